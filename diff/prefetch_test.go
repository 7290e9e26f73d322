package diff

import (
	"bytes"
	"slices"
	"testing"
)

// recordingPrefetcher names a few ids, and records the ids it was asked to
// ready and those it was then asked to name.
type recordingPrefetcher struct {
	readied, asked []string
	names          map[string]string
}

func (p *recordingPrefetcher) Prefetch(ids []string) { p.readied = append(p.readied, ids...) }

func (p *recordingPrefetcher) Name(id string) (string, bool) {
	p.asked = append(p.asked, id)
	n, ok := p.names[id]
	return n, ok
}

// TestRenderReadiesEveryIDItNames: before rendering, Render hands a
// Prefetcher every id that the rendering then asks it to name (group
// members, ids in policies, an assignment's principal and resource, an
// unknown id, a short key), in text, markdown and JSON, and the output is
// that of a rendering without it.
func TestRenderReadiesEveryIDItNames(t *testing.T) {
	const (
		gA  = "4a000000-0000-4000-8000-000000000001"
		gB  = "4a000000-0000-4000-8000-000000000002"
		u1  = "11000000-0000-4000-8000-000000000001"
		u2  = "11000000-0000-4000-8000-000000000002"
		sp  = "5b000000-0000-4000-8000-000000000001"
		unk = "dddddddd-0000-4000-8000-000000000000"
	)
	grpOld := obj(t, "groups", `{"id":"`+gA+`","displayName":"A","members":[{"id":"`+u1+`","@odata.type":"#microsoft.graph.user"}]}`)
	grpNew := obj(t, "groups", `{"id":"`+gA+`","displayName":"A","members":[{"id":"`+u2+`","@odata.type":"#microsoft.graph.user"},{"id":"`+unk+`"}]}`)
	polOld := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled","conditions":{"users":{"includeGroups":["`+gB+`"]}}}`)
	polNew := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled","conditions":{"users":{"includeGroups":["`+gA+`"]}},"sessionControls":{"authenticationContext":"c1"}}`)
	spOld := obj(t, "service-principals", `{"id":"`+sp+`","displayName":"App","appRoleAssignedTo":[]}`)
	spNew := obj(t, "service-principals", `{"id":"`+sp+`","displayName":"App","appRoleAssignedTo":[{"principalId":"`+u1+`","resourceId":"`+sp+`","appRoleId":"00000000-0000-0000-0000-000000000000"}]}`)
	names := map[string]string{u1: "User 1", gA: "A", sp: "App", "c1": "Step-up"}
	for _, format := range Formats {
		p := &recordingPrefetcher{names: names}
		res := Compare(snap(grpOld, polOld, spOld), snap(grpNew, polNew, spNew), p)
		var got bytes.Buffer
		if err := res.Render(&got, format, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(p.asked) == 0 {
			t.Fatalf("%s: no id named", format)
		}
		for _, id := range p.asked {
			if !slices.Contains(p.readied, id) {
				t.Errorf("%s: %q named but not readied first (readied %v)", format, id, p.readied)
			}
		}
		for _, id := range []string{u1, u2, unk, gA, gB, sp} {
			if !slices.Contains(p.readied, id) {
				t.Errorf("%s: %s not readied (readied %v)", format, id, p.readied)
			}
		}
		// The same without Prefetch.
		var want bytes.Buffer
		plain := Compare(snap(grpOld, polOld, spOld), snap(grpNew, polNew, spNew), namesOf(names))
		if err := plain.Render(&want, format, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s with Prefetch:\n%s\nwithout:\n%s", format, got.String(), want.String())
		}
	}
}

// namesOf is a Resolver over a map, without Prefetch.
type namesOf map[string]string

func (n namesOf) Name(id string) (string, bool) { s, ok := n[id]; return s, ok }
