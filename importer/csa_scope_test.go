package importer

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

const (
	attrAssignAdminRole = "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d" // Attribute Assignment Administrator
)

// TestOutOfScopeAttributeSets checks the plan's notes for roles scoped to
// attribute sets, from plain values: values of a set outside the scope,
// a definition in another set, the set itself, Global Administrator
// (who writes none of it), and a role at the tenant's scope covering all.
func TestOutOfScopeAttributeSets(t *testing.T) {
	rtl := "مالية"
	values := func(sets ...string) []byte {
		m := map[string]any{}
		for _, s := range sets {
			m[s] = map[string]any{"@odata.type": csaWriteType, "Code": "x\"\n\u202e🚀"}
		}
		b, _ := json.Marshal(map[string]any{"customSecurityAttributes": m})
		return b
	}
	p := &Plan{Actions: []Action{
		{ID: "1", Kind: csaKind, Key: "u1", Name: "Bob", Op: OpUpdate, Request: Request{Body: values("HR")}},
		{ID: "2", Kind: csaKind, Key: "u2", Name: "Carol", Op: OpUpdate, Request: Request{Body: values("HR", "DataProtection")}},
		{ID: "3", Kind: "service-principal-security-attributes", Key: "sp", Name: "App", Op: OpUpdate, Request: Request{Body: values(rtl)}},
		{ID: "4", Kind: "custom-security-attributes", Key: "HR_Grade", Name: "Grade", Op: OpUpdate},
		{ID: "5", Kind: "custom-security-attributes", Key: "new", Name: "Code", Op: OpCreate, Request: Request{Body: []byte(`{"attributeSet":"DataProtection","name":"Code"}`)}},
		{ID: "6", Kind: "attribute-sets", Key: "HR", Name: "HR", Op: OpUpdate},
		{ID: "7", Kind: "custom-security-attributes", Key: "HR_Grade", Name: "Grade", Op: OpAddChild, Relationship: "allowedValues", Target: "A"},
	}}
	u := &SignedInUser{ID: "op", Name: "op@contoso.com", Roles: []ScopedRole{
		{Role: "Attribute Assignment Administrator", Scope: "/attributeSets/HR"},
		{Role: "Attribute Assignment Administrator", Scope: "/attributeSets/" + rtl},
		{Role: "Attribute Definition Administrator", Scope: "/attributeSets/HR"},
		{Role: "Global Administrator", Scope: "/"},
	}}
	got := map[string]string{}
	for _, n := range outOfScope(u, p, nil) {
		got[n.Action] = n.Reason
	}
	want := map[string]string{
		"2": "assigns values of attribute set DataProtection: your Attribute Assignment Administrator roles are scoped to attribute sets HR, " + rtl,
		"5": "a definition in attribute set DataProtection: your Attribute Definition Administrator role is scoped to attribute set HR",
		"6": "your Attribute Definition Administrator role is scoped to attribute set HR, and a role at an attribute set's scope does not update the set itself: that needs the role over the whole directory",
	}
	if len(got) != len(want) {
		t.Errorf("notes %q, want %q", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("action %s: %q, want %q", id, got[id], w)
		}
	}
	// Global Administrator alone writes none of it.
	ga := &SignedInUser{ID: "ga", Name: "ga@contoso.com", Roles: []ScopedRole{{Role: "Global Administrator", Scope: "/"}}}
	if n := outOfScope(ga, p, nil); len(n) != len(p.Actions) || !strings.Contains(n[0].Reason, "none of your directory roles may update user security attributes") {
		t.Errorf("Global Administrator: %+v", n)
	}
	// At the tenant's scope, the roles cover every action.
	all := &SignedInUser{ID: "a", Name: "a@contoso.com", Roles: []ScopedRole{
		{Role: "Attribute Assignment Administrator", Scope: "/"}, {Role: "Attribute Definition Administrator", Scope: "/"},
		{Role: "Attribute Assignment Administrator", Scope: "/attributeSets/HR"}}}
	if n := outOfScope(all, p, nil); len(n) != 0 {
		t.Errorf("roles over the whole directory: %+v", n)
	}
}

// TestRestoreValuesWithAnAttributeSetScopedRole: under realistic
// throttling, faults and lag, a person holding Attribute Assignment Reader
// over the whole directory (to read every value) and Attribute Assignment
// Administrator scoped to the attribute sets HR and an RTL-named set signs
// in by device code and restores users' values. The plan names the user
// whose values of DataProtection changed too (outside those sets), apply
// refuses it before the first write, graphsim refuses the same PATCH; once
// DataProtection is put back by someone else, the plan applies, verifies
// and gives back the hostile value of the RTL set.
func TestRestoreValuesWithAnAttributeSetScopedRole(t *testing.T) {
	o := realisticSim()
	if testing.Short() {
		o = graphsim.Options{} // -short: the same restore, without throttling, faults and lag
	}
	e := newEnv(t, o, nil)
	ctx := context.Background()
	tn := e.sim.Tenant()
	rtl := "مالية"
	hostile := "Ré\"sumé'\n\u202e../🚀 " + strings.Repeat("ش", 80)
	e.post("/v1.0/directory/attributeSets", map[string]any{"id": rtl, "description": "Finance \u202e 🚀"})
	e.sim.Clock().Advance(10 * time.Second)
	e.post(csaDefs, map[string]any{"attributeSet": rtl, "name": "Code", "type": "String", "status": "Available",
		"isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false})
	e.sim.Clock().Advance(10 * time.Second)
	// Two holders: one with HR and DataProtection values, another.
	var both, other string
	for _, u := range e.list("/v1.0/users?$select=id,onPremisesSyncEnabled") {
		id := str(u["id"])
		v := tn.CustomSecurityAttributes(id)
		switch {
		case v == nil:
		case both == "" && v["HR"] != nil && v["DataProtection"] != nil:
			both = id
		case other == "" && v["HR"] != nil:
			other = id
		}
	}
	if both == "" || other == "" {
		t.Fatal("the demo tenant has no two users with values")
	}
	e.do("PATCH", "/v1.0/users/"+other, csaSetBody(rtl, "Code", hostile))
	base, files := e.exportCSA()
	clearance := str(tn.CustomSecurityAttributes(both)["DataProtection"].(map[string]any)["Clearance"])
	since := "Public"
	if clearance == since {
		since = "Internal"
	}
	// The incident.
	e.do("PATCH", "/v1.0/users/"+both, map[string]any{"customSecurityAttributes": map[string]any{
		"HR":             map[string]any{"@odata.type": csaWriteType, "CostCenter": "corrupted"},
		"DataProtection": map[string]any{"@odata.type": csaWriteType, "Clearance": since}}})
	e.do("PATCH", "/v1.0/users/"+other, csaSetBody(rtl, "Code", "corrupted"))

	// The person and their roles.
	upn := "attr.delegate@" + tn.Domain()
	person := e.post("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Attribute \"delegate\" \u202e 🚀", "mailNickname": "attr.delegate",
		"userPrincipalName": upn, "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
	e.sim.Clock().Advance(10 * time.Second)
	for _, r := range []struct{ role, scope string }{{attrAssignReaderRole, "/"}, {directoryReadersRole, "/"},
		{attrAssignAdminRole, "/attributeSets/HR"}, {attrAssignAdminRole, "/attributeSets/" + rtl}} {
		e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": person["id"], "roleDefinitionId": r.role, "directoryScopeId": r.scope})
	}
	e.sim.Clock().Advance(10 * time.Second)
	dc := e.delegatedClient("csa set admin", "DirectoryRole", upn, "User.Read.All", "Directory.Read.All", "CustomSecAttributeAssignment.ReadWrite.All")
	plan := func() *Plan {
		t.Helper()
		in, err := Load(ctx, LoadOptions{Client: dc, Repo: e.repo, Rev: base, Selectors: []string{csaKind}, Now: e.now})
		if err != nil {
			t.Fatalf("load as the delegate: %v", err)
		}
		p, err := Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	opts := ApplyOptions{Client: dc, Repo: e.repo, Token: dc.BearerToken(ctx), Sleep: simtest.Sleep(e.sim), Record: e.recordWith(dc), ConsistencyTimeout: time.Minute}

	p := plan()
	if p.RolesFrom != RolesFromGraph || len(p.OutOfScope) != 1 || !strings.EqualFold(p.OutOfScope[0].Name, p.Names[strings.ToLower(both)]) && p.OutOfScope[0].Name != both {
		t.Fatalf("roles from %q, out of scope %+v; want one note for %s:\n%s", p.RolesFrom, p.OutOfScope, both, render(p))
	}
	want := "assigns values of attribute set DataProtection: your Attribute Assignment Administrator roles are scoped to attribute sets HR, " + rtl
	if got := p.OutOfScope[0].Reason; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	// The delegate may not read definitions (no CustomSecAttributeDefinition.Read.All):
	// the plan says what it cannot see.
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "the live attribute definitions could not be read") {
		t.Errorf("no warning that the live definitions were not read:\n%s", w)
	}
	if out := render(p); !strings.Contains(out, "attribute set DataProtection") {
		t.Errorf("the rendered plan does not say what lies outside:\n%s", out)
	}
	var outAction *Action
	for i := range p.Actions {
		if p.Actions[i].ID == p.OutOfScope[0].Action {
			outAction = &p.Actions[i]
		}
	}
	if outAction == nil || !strings.Contains(outAction.Request.Path, both) {
		t.Fatalf("the note names action %s, not the PATCH of %s", p.OutOfScope[0].Action, both)
	}
	_, err := Apply(ctx, p, opts)
	var se *ScopeError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "nothing was written") || !strings.Contains(err.Error(), "DataProtection") {
		t.Fatalf("apply: %v, want a ScopeError naming DataProtection", err)
	}
	if got := tn.CustomSecurityAttributes(other)[rtl].(map[string]any)["Code"]; got != "corrupted" {
		t.Errorf("a refused plan wrote: %v", got)
	}
	// graphsim agrees: the PATCH the plan refused is refused by Graph.
	var ge *graph.Error
	for try := 0; try < 5; try++ {
		_, err = dc.Do(ctx, outAction.Request.Method, outAction.Request.Path, outAction.Request.Body)
		if !errors.As(err, &ge) || ge.Status < 500 {
			break
		}
	}
	if !errors.As(err, &ge) || ge.Status != 403 {
		t.Errorf("the out-of-scope PATCH sent anyway: %v, want 403 from graphsim", err)
	}

	// Someone whose role covers DataProtection puts it back; the rest is
	// the delegate's to restore.
	e.do("PATCH", "/v1.0/users/"+both, csaSetBody("DataProtection", "Clearance", clearance))
	e.sim.ResetStats()
	var res *Result
	for run := 0; run < 4; run++ {
		p = plan()
		if len(p.OutOfScope) != 0 {
			t.Fatalf("out of scope after DataProtection was put back: %+v", p.OutOfScope)
		}
		if p.Empty() {
			break
		}
		if res, err = Apply(ctx, p, opts); err != nil {
			t.Fatalf("apply as the delegate: %v", err)
		}
		if res.Complete() {
			break
		}
	}
	if res == nil || !res.Complete() {
		t.Fatalf("the delegate's restore did not complete: %+v", res)
	}
	if st := e.sim.Stats(); st.Throttled == 0 && st.Faults == 0 {
		t.Logf("the restore met no 429 and no fault: %+v", st)
	}
	for _, id := range []string{both, other} {
		if got, want := csaJSON(t, tn.CustomSecurityAttributes(id)), csaJSON(t, files[strings.ToLower(id)].Data["customSecurityAttributes"]); got != want {
			t.Errorf("%s after the restore:\n got %s\nwant %s", id, got, want)
		}
	}
	if p := plan(); !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}
}
