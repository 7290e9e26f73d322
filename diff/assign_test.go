package diff

import (
	"bytes"
	"strings"
	"testing"
)

// A policy's assignments are named in a diff by the applications' and
// service principals' names, hostile ones escaped.
func TestDiffNamesPolicyAssignments(t *testing.T) {
	const app, sp, pol = "0a000000-0000-4000-8000-0000000000a1", "0a000000-0000-4000-8000-0000000000b1", "0a000000-0000-4000-8000-0000000000d1"
	a := obj(t, "applications", `{"id":"`+app+`","appId":"0a000000-0000-4000-8000-0000000000c1","displayName":"Pay\u202eroll\r\u001b[31m"}`)
	s := obj(t, "service-principals", `{"id":"`+sp+`","appId":"0a000000-0000-4000-8000-0000000000c2","displayName":"HR Portal"}`)
	before := obj(t, "token-lifetime-policies", `{"id":"`+pol+`","displayName":"8 hours","definition":["{}"],
		"appliesTo":[{"@odata.type":"#microsoft.graph.servicePrincipal","id":"`+sp+`"}]}`)
	after := obj(t, "token-lifetime-policies", `{"id":"`+pol+`","displayName":"8 hours","definition":["{}"],
		"appliesTo":[{"@odata.type":"#microsoft.graph.application","id":"`+app+`"}]}`)
	res := Compare(snap(a, s, before), snap(a, s, after), nil)
	var txt bytes.Buffer
	if err := res.Text(&txt, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	if !strings.Contains(out, "appliesTo: + Pay\\u202eroll\\r\\x1b[31m ("+app[:8]) || !strings.Contains(out, "appliesTo: - HR Portal ("+sp[:8]) {
		t.Errorf("assignments not named:\n%s", out)
	}
	if strings.Contains(out, "\u202e") || strings.Contains(out, "\x1b") {
		t.Errorf("raw control characters:\n%s", out)
	}
}
