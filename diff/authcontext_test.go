package diff

import (
	"bytes"
	"strings"
	"testing"
)

// A Conditional Access policy's authentication contexts are named in a
// diff although their ids (c1..c25) are short, and a hostile context name
// is shown escaped.
func TestDiffNamesAuthenticationContexts(t *testing.T) {
	c1 := obj(t, "authentication-contexts", `{"id":"c1","displayName":"Sensitive actions","isAvailable":true}`)
	c2 := obj(t, "authentication-contexts", `{"id":"c2","displayName":"Pay\u202eroll\r\u001b[31m","isAvailable":true}`)
	polOld := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled",
		"conditions":{"applications":{"includeAuthenticationContextClassReferences":["c1"]}}}`)
	polNew := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled",
		"conditions":{"applications":{"includeAuthenticationContextClassReferences":["c2"]}}}`)
	res := Compare(snap(c1, c2, polOld), snap(c1, c2, polNew), nil)
	var txt bytes.Buffer
	if err := res.Text(&txt, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	if !strings.Contains(out, "Sensitive actions (c1)") || !strings.Contains(out, `Pay\u202eroll\r\x1b[31m (c2)`) {
		t.Errorf("contexts not named:\n%s", out)
	}
	if strings.Contains(out, "\u202e") || strings.Contains(out, "\x1b") {
		t.Errorf("raw control characters:\n%s", out)
	}
}
