package diff

import (
	"bytes"
	"strings"
	"testing"
)

// A user's manager and sponsors (issue 13) are named in a diff: the
// manager that replaced another, and a sponsor group added.
func TestDiffNamesManagerAndSponsors(t *testing.T) {
	const ann, bob, cy, grp = "0a7b0c1d-0000-4000-8000-000000000001", "0a7b0c1d-0000-4000-8000-000000000002",
		"0a7b0c1d-0000-4000-8000-000000000003", "0a7b0c1d-0000-4000-8000-000000000004"
	user := func(id, upn string) *Object {
		return obj(t, "users", `{"id":"`+id+`","userPrincipalName":"`+upn+`","displayName":"`+upn+`"}`)
	}
	b, c := user(bob, "bob@contoso.com"), user(cy, "cy@contoso.com")
	g := obj(t, "groups", `{"id":"`+grp+`","displayName":"Partner sponsors"}`)
	was := obj(t, "users", `{"id":"`+ann+`","userPrincipalName":"ann@contoso.com","displayName":"Ann",
		"manager":[{"@odata.type":"#microsoft.graph.user","id":"`+bob+`"}],"sponsors":[]}`)
	now := obj(t, "users", `{"id":"`+ann+`","userPrincipalName":"ann@contoso.com","displayName":"Ann",
		"manager":[{"@odata.type":"#microsoft.graph.user","id":"`+cy+`"}],"sponsors":[{"@odata.type":"#microsoft.graph.group","id":"`+grp+`"}]}`)
	res := Compare(snap(b, c, g, was), snap(b, c, g, now), nil)
	var txt bytes.Buffer
	if err := res.Text(&txt, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	for _, want := range []string{"bob@contoso.com", "cy@contoso.com", "Partner sponsors"} {
		if !strings.Contains(out, want) {
			t.Errorf("%s is not named:\n%s", want, out)
		}
	}
}
