package importer

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// appliesToOf lists "type id" of what the policy at path applies to.
func (e *env) appliesToOf(path string) []string {
	e.t.Helper()
	var out []string
	for _, m := range e.list(path + "/appliesTo?$select=id") {
		out = append(out, strings.TrimPrefix(str(m["@odata.type"]), "#microsoft.graph.")+" "+strings.ToLower(str(m["id"])))
	}
	sort.Strings(out)
	return out
}

// Policy assignments come back from the snapshot, written on the
// application's or service principal's side with exactly the listed
// permissions: two applications whose token lifetime policies were swapped
// (each removed from the policy it has now before it is given the one it
// had: one policy per application), a claims mapping policy deleted for
// good (recreated with a new id, then assigned to its service principal
// again), an application purged with its app management policy's
// assignment (recreated, and the policy assigned to the new id). Names are
// hostile; the plan names the applications; a second plan is empty.
func TestRestorePolicyAssignments(t *testing.T) {
	whenShortOnly(t, "app-management-policies", "applications", "claims-mapping-policies", "service-principals", "token-lifetime-policies")
	e := newEnv(t, graphsim.Options{}, nil)
	const tlp, cmp, amp = "/v1.0/policies/tokenLifetimePolicies", "/v1.0/policies/claimsMappingPolicies", "/v1.0/policies/appManagementPolicies"
	tl1 := str(e.list(tlp)[0]["id"])
	e.do("PATCH", tlp+"/"+tl1, map[string]any{"displayName": hostileName + " lifetime"})
	tl2 := str(e.post(tlp, map[string]any{"displayName": "Second \u202elifetime\r\n", "definition": []any{`{"TokenLifetimePolicy":{"Version":1,"AccessTokenLifetime":"02:00:00"}}`}})["id"])
	// Two applications without a token lifetime policy: A gets tl1, B tl2.
	var free []map[string]any
	for _, a := range e.list("/v1.0/applications") {
		if len(e.list("/v1.0/applications/"+str(a["id"])+"/tokenLifetimePolicies")) == 0 {
			free = append(free, a)
		}
	}
	if len(free) < 3 {
		t.Fatalf("the demo tenant has %d applications without a token lifetime policy", len(free))
	}
	appA, appB, appX := str(free[0]["id"]), str(free[1]["id"]), str(free[2]["id"])
	e.do("PATCH", "/v1.0/applications/"+appA, map[string]any{"displayName": hostileName + " app"})
	ref := func(coll, id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/policies/" + coll + "/" + id}
	}
	e.do("POST", "/v1.0/applications/"+appA+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl1))
	e.do("POST", "/v1.0/applications/"+appB+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl2))
	// X has the app management policy (or is given it).
	am := str(e.list(amp)[0]["id"])
	if !slices.Contains(e.appliesToOf(amp+"/"+am), "application "+strings.ToLower(appX)) {
		e.do("POST", "/v1.0/applications/"+appX+"/appManagementPolicies/$ref", ref("appManagementPolicies", am))
	}
	cm := e.list(cmp)[0]
	cmApplies := e.appliesToOf(cmp + "/" + str(cm["id"]))
	if len(cmApplies) != 1 || !strings.HasPrefix(cmApplies[0], "servicePrincipal ") {
		t.Fatalf("the demo's claims mapping policy applies to %v, want one service principal", cmApplies)
	}
	e.first = e.baseline("assignments")
	tl1Before, tl2Before, amBefore := e.appliesToOf(tlp+"/"+tl1), e.appliesToOf(tlp+"/"+tl2), e.appliesToOf(amp+"/"+am)

	// The incident.
	e.do("DELETE", "/v1.0/applications/"+appA+"/tokenLifetimePolicies/"+tl1+"/$ref", nil)
	e.do("DELETE", "/v1.0/applications/"+appB+"/tokenLifetimePolicies/"+tl2+"/$ref", nil)
	e.do("POST", "/v1.0/applications/"+appA+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl2))
	e.do("POST", "/v1.0/applications/"+appB+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl1))
	e.do("DELETE", cmp+"/"+str(cm["id"]), nil)
	xName := str(e.get("/v1.0/applications/" + appX)["displayName"])
	e.do("DELETE", "/v1.0/applications/"+appX, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+appX, nil)
	e.recordIncident()

	// Plan and apply with exactly the listed permissions.
	e.c = e.client(e.token(append(layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())...)...))
	xPath := ""
	for p := range e.files(e.first) {
		if strings.HasPrefix(p, "applications/") && strings.Contains(p, strings.ToLower(appX)) {
			xPath = p
		}
	}
	if xPath == "" {
		t.Fatalf("no file of application %s at %s", appX, e.first)
	}
	sel := []string{"policies/token-lifetime", "policies/claims-mapping", "policies/app-management", xPath}
	p := e.plan(e.first, sel, Options{})
	text := render(p)
	for _, want := range []string{"add assignment ", "remove assignment ", "tokenLifetimePolicies/$ref", "claimsMappingPolicies/$ref", "appManagementPolicies/$ref", xName} {
		if !strings.Contains(text, want) {
			t.Errorf("the plan does not show %q:\n%s", want, text)
		}
	}
	// Each application's removal from the policy it has now comes before
	// it is given the one it had.
	pos := map[string]int{}
	for i, a := range p.Actions {
		if a.Relationship == "appliesTo" {
			pos[string(a.Op)+" "+a.Kind+" "+strings.ToLower(a.Target)+" "+strings.ToLower(a.Key)] = i + 1
		}
	}
	for _, c := range [][2]string{{"remove-link token-lifetime-policies " + strings.ToLower(appA) + " " + tl2, "add-link token-lifetime-policies " + strings.ToLower(appA) + " " + tl1},
		{"remove-link token-lifetime-policies " + strings.ToLower(appB) + " " + tl1, "add-link token-lifetime-policies " + strings.ToLower(appB) + " " + tl2}} {
		if pos[c[0]] == 0 || pos[c[1]] == 0 || pos[c[0]] > pos[c[1]] {
			t.Errorf("%q at %d, %q at %d:\n%s", c[0], pos[c[0]], c[1], pos[c[1]], text)
		}
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s\n%s", res.Actions, res.Differences, res.VerifyError, text)
	}
	if got := e.appliesToOf(tlp + "/" + tl1); !slices.Equal(got, tl1Before) {
		t.Errorf("%s applies to %v, want %v", tl1, got, tl1Before)
	}
	if got := e.appliesToOf(tlp + "/" + tl2); !slices.Equal(got, tl2Before) {
		t.Errorf("%s applies to %v, want %v", tl2, got, tl2Before)
	}
	newCM := ""
	for _, c := range e.list(cmp) {
		if c["displayName"] == cm["displayName"] {
			newCM = str(c["id"])
		}
	}
	if newCM == "" || strings.EqualFold(newCM, str(cm["id"])) {
		t.Fatalf("claims mapping policy not recreated: %q", newCM)
	}
	if got := e.appliesToOf(cmp + "/" + newCM); !slices.Equal(got, cmApplies) {
		t.Errorf("the recreated claims mapping policy applies to %v, want %v", got, cmApplies)
	}
	newX := ""
	for _, a := range e.list("/v1.0/applications?$filter=displayName eq '" + strings.ReplaceAll(xName, "'", "''") + "'") {
		newX = strings.ToLower(str(a["id"]))
	}
	if newX == "" {
		t.Fatalf("application %q not recreated", xName)
	}
	var wantAM []string
	for _, s := range amBefore {
		if s == "application "+strings.ToLower(appX) {
			s = "application " + newX
		}
		wantAM = append(wantAM, s)
	}
	sort.Strings(wantAM)
	if got := e.appliesToOf(amp + "/" + url.PathEscape(am)); !slices.Equal(got, wantAM) {
		t.Errorf("the app management policy applies to %v, want %v", got, wantAM)
	}
	e.mustBeEmpty(sel, Options{})
}

// An application in the recycle bin that had a token lifetime policy: the
// plan restores it and assigns the policy again with "already exists"
// counting as done (Graph may bring the assignment back with the object;
// graphsim does); the policy applies to it afterwards and a second plan is
// empty.
func TestRestorePolicyAssignmentOfARestoredApplication(t *testing.T) {
	whenShortOnly(t, "app-management-policies", "applications", "claims-mapping-policies", "service-principals", "token-issuance-policies", "token-lifetime-policies")
	e := newEnv(t, graphsim.Options{}, nil)
	const tlp = "/v1.0/policies/tokenLifetimePolicies"
	tl := str(e.list(tlp)[0]["id"])
	var app map[string]any
	for _, a := range e.list("/v1.0/applications") {
		if len(e.list("/v1.0/applications/"+str(a["id"])+"/tokenLifetimePolicies")) == 0 {
			app = a
			break
		}
	}
	if app == nil {
		t.Fatal("no application without a token lifetime policy")
	}
	id := str(app["id"])
	spID := strings.ToLower(str(e.spOf(str(app["appId"]))["id"])) // deleted with the application
	e.do("POST", "/v1.0/applications/"+id+"/tokenLifetimePolicies/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/policies/tokenLifetimePolicies/" + tl})
	e.first = e.baseline("assigned")
	want := e.appliesToOf(tlp + "/" + tl)
	e.do("DELETE", "/v1.0/applications/"+id, nil)
	e.recordIncident()
	if got := e.appliesToOf(tlp + "/" + tl); slices.Contains(got, "application "+strings.ToLower(id)) {
		t.Fatalf("a deleted application is listed: %v", got)
	}
	sel := []string{"policies/token-lifetime"}
	for p := range e.files(e.first) {
		if strings.HasPrefix(p, "applications/") && strings.Contains(p, strings.ToLower(id)) ||
			strings.HasPrefix(p, "service-principals/") && strings.Contains(p, spID) {
			sel = append(sel, p)
		}
	}
	sort.Strings(sel)
	p := e.plan(e.first, sel, Options{})
	ensured := false
	for _, a := range p.Actions {
		if a.Op == OpAddLink && a.Relationship == "appliesTo" && strings.EqualFold(a.Target, id) {
			ensured = a.Ensure
		}
	}
	if !ensured {
		t.Fatalf("the assignment of the restored application is not planned as ensured:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s\n%s", res.Actions, res.Differences, res.VerifyError, render(p))
	}
	if got := e.appliesToOf(tlp + "/" + tl); !slices.Equal(got, want) {
		t.Errorf("the policy applies to %v, want %v", got, want)
	}
	e.mustBeEmpty(sel, Options{})
}

// Planned with plain values: an app management policy that names a
// service principal (v1.0 has no $ref for it) and an item without a type
// are warned about and not written; removals and adds name the object's
// side of the assignment and carry the permission pair.
func TestComputePolicyAssignmentsWarnings(t *testing.T) {
	const amp = "99999999-0000-4000-8000-000000000001"
	mk := func(items ...any) *Object {
		return obj(t, "app-management-policies", amp, map[string]any{"displayName": "AMP \u202e", "isEnabled": true, "appliesTo": items})
	}
	desired := mk(map[string]any{"@odata.type": "#microsoft.graph.servicePrincipal", "id": sp1},
		map[string]any{"id": sp2},
		map[string]any{"@odata.type": "#microsoft.graph.application", "id": app1})
	live := mk(map[string]any{"@odata.type": "#microsoft.graph.application", "id": uA})
	p := compute(t, input([]*Object{desired}, []*Object{live}, nil))
	var adds, removes []Action
	for _, a := range p.Actions {
		switch a.Op {
		case OpAddLink:
			adds = append(adds, a)
		case OpRemoveLink:
			removes = append(removes, a)
		}
	}
	if len(adds) != 1 || adds[0].Request.Path != "/v1.0/applications/"+app1+"/appManagementPolicies/$ref" ||
		!strings.Contains(string(adds[0].Request.Body), "/v1.0/policies/appManagementPolicies/"+amp) {
		t.Errorf("adds: %+v", adds)
	}
	if len(removes) != 1 || removes[0].Request.Method != "DELETE" || removes[0].Request.Path != "/v1.0/applications/"+uA+"/appManagementPolicies/"+amp+"/$ref" {
		t.Errorf("removes: %+v", removes)
	}
	for _, a := range append(adds, removes...) {
		if strings.Join(a.Permissions, " ") != "Application.Read.All|Application.ReadWrite.All Policy.ReadWrite.ApplicationConfiguration" {
			t.Errorf("%s permissions %v", a.ID, a.Permissions)
		}
	}
	w := strings.Join(p.Warnings, "\n")
	if !strings.Contains(w, "cannot be given this policy through Graph v1.0") || !strings.Contains(w, "has no @odata.type") {
		t.Errorf("warnings:\n%s", w)
	}
}
