package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
)

const acColl = "/v1.0/identity/conditionalAccess/authenticationContextClassReferences"

// hostileACName is a display name with the strings a hostile or careless
// admin can type: bidi override, CR/LF, an escape sequence, a tab, quotes.
const hostileACName = "Pay\u202eroll\r\n\x1b[31mred\x1b[0m\t\"c1\" ' #: - [x]"

// TestRestorePurgedAuthContextAndPolicyRequiringIt: a Conditional Access
// policy that requires an authentication context, both deleted (the policy
// first: Graph refuses to delete a context in use), come back in dependency
// order: the context by PATCH with its own id (authenticationcontextclassreference-update),
// then the policy naming it; a context with a hostile name is restored
// byte for byte; an update and a removal round-trip too.
func TestRestorePurgedAuthContextAndPolicyRequiringIt(t *testing.T) {
	whenShortOnly(t, "authentication-contexts", "conditional-access-policies")
	e := newEnv(t, graphsim.Options{}, nil)
	var pol map[string]any
	for _, p := range e.list("/v1.0/identity/conditionalAccess/policies") {
		if containsFold(asSlice(dig(p, "conditions", "applications", "includeAuthenticationContextClassReferences")), "c1") {
			pol = p
		}
	}
	if pol == nil {
		t.Fatal("the demo tenant has no policy requiring authentication context c1")
	}
	// The snapshot to restore: c2 renamed to a hostile name.
	e.do("PATCH", acColl+"/c2", map[string]any{"displayName": hostileACName})
	res, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "hostile"})
	if err != nil || !res.Complete() {
		t.Fatalf("export: %v %+v", err, res)
	}
	rev := res.Tag
	e.first = rev // mustBeEmpty plans from e.first

	// The incident: the policy and both contexts deleted, c3 added.
	e.do("DELETE", "/v1.0/identity/conditionalAccess/policies/"+str(pol["id"]), nil)
	e.do("DELETE", acColl+"/c1", nil)
	e.do("DELETE", acColl+"/c2", nil)
	e.do("PATCH", acColl+"/c3", map[string]any{"displayName": "added after the snapshot"})
	e.recordIncident()

	opts := Options{CAState: CAStateAsIs}
	sel := []string{"conditional-access"}
	p := e.plan(rev, sel, opts)
	var c1, polAct *Action
	deletes := 0
	for i := range p.Actions {
		a := &p.Actions[i]
		switch {
		case a.Kind == "authentication-contexts" && a.Key == "c1":
			c1 = a
		case a.Kind == "conditional-access-policies" && a.Op == OpCreate:
			polAct = a
		case a.Kind == "authentication-contexts" && a.Op == OpDelete:
			deletes++
			if a.Key != "c3" {
				t.Errorf("deletes %s", a.Key)
			}
		}
	}
	if c1 == nil || polAct == nil || deletes != 1 {
		t.Fatalf("plan:\n%s", render(p))
	}
	if c1.Op != OpCreate || c1.Request.Method != "PATCH" || !strings.HasSuffix(c1.Request.Path, "/authenticationContextClassReferences/c1") {
		t.Errorf("context create: %s %s %s", c1.Op, c1.Request.Method, c1.Request.Path)
	}
	if strings.Contains(string(c1.Request.Body), `"id"`) {
		t.Errorf("the id is sent in the body (read-only): %s", c1.Request.Body)
	}
	if !contains(polAct.DependsOn, c1.ID) {
		t.Errorf("the policy's create does not wait for its context: %+v", polAct.DependsOn)
	}
	if !strings.Contains(string(polAct.Request.Body), `"includeAuthenticationContextClassReferences":["c1"]`) {
		t.Errorf("the policy does not name c1: %s", polAct.Request.Body)
	}
	if out := render(p); !strings.Contains(out, "Sensitive actions") {
		t.Errorf("the plan does not name the context:\n%s", out)
	}
	r := e.apply(p)
	if !r.Complete() {
		t.Fatalf("%+v\n%+v", r.Actions, r.Differences)
	}
	if got := e.get(acColl + "/c2"); got["displayName"] != hostileACName {
		t.Errorf("hostile name: got %q", got["displayName"])
	}
	if got := e.get(acColl + "/c1"); got["displayName"] != "Sensitive actions" || got["isAvailable"] != true {
		t.Errorf("c1: %v", got)
	}
	if n := len(e.list(acColl)); n != 2 {
		t.Errorf("%d contexts after the restore, want 2", n)
	}
	e.mustBeEmpty(sel, opts)

	// An update: the description changed and c2 published.
	e.do("PATCH", acColl+"/c1", map[string]any{"description": "changed", "isAvailable": false})
	p = e.plan(rev, []string{"authentication-contexts"}, opts)
	if opList(p) != "update" || p.Actions[0].Request.Method != "PATCH" {
		t.Fatalf("plan:\n%s", render(p))
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v", r.Actions)
	}
	if got := e.get(acColl + "/c1"); got["isAvailable"] != true || strings.Contains(str(got["description"]), "changed") {
		t.Errorf("c1 after update: %v", got)
	}
	e.mustBeEmpty(sel, opts)
}
