package importer

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

const (
	ufColl   = "/v1.0/identity/b2xUserFlows"
	ufaColl  = "/v1.0/identity/userFlowAttributes"
	caeColl  = "/v1.0/identity/customAuthenticationExtensions"
	demoFlow = "B2X_1_PartnerSignUp"
)

// userFlowState is what a user flow holds of what a snapshot keeps, read
// as Graph shows it.
func (e *env) userFlowState(id string) string {
	e.t.Helper()
	// The order of collection (getOrder, setOrder) is not backed up.
	var attrs []string
	for _, a := range e.list(ufColl + "/" + id + "/userAttributeAssignments") {
		attrs = append(attrs, fmt.Sprintf("attr=%v/%v/%v/%v/%v;", a["id"], a["displayName"], a["isOptional"], a["userInputType"], len(asSlice(a["userAttributeValues"]))))
	}
	sort.Strings(attrs)
	return strings.Join(attrs, "")
}

// External Identities come back as Graph allows: a deleted user flow is
// created again under its name (Graph puts B2X_1_ back) with its attribute
// assignments, the custom attribute it collects recreated first and named
// through the plan's reference (its new id), and the plan says its
// identity providers and API connectors are to be added by hand; a changed
// attribute's description and a changed assignment are PATCHed; a deleted
// custom authentication extension is created again and one added since is
// deleted.
func TestRestoreExternalIdentities(t *testing.T) {
	whenShortOnly(t, "custom-authentication-extensions", "user-flow-attributes", "user-flows")
	e := newEnv(t, graphsim.Options{}, nil)
	const other = "B2X_1_Other"
	e.do("POST", ufColl, map[string]any{"id": "Other", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1})
	e.do("POST", ufColl+"/"+other+"/userAttributeAssignments", map[string]any{"displayName": "City", "isOptional": true, "requiresVerification": false,
		"userInputType": "textBox", "userAttribute": map[string]any{"id": "city"}})
	// The baseline holds the other flow too.
	e.recordIncident()
	base, err := e.repo.Resolve(t.Context(), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	before := e.userFlowState(demoFlow)
	var company, terms map[string]any
	for _, a := range e.list(ufaColl + "?$filter=userFlowAttributeType%20eq%20'custom'") {
		switch a["displayName"] {
		case "PartnerCompany":
			company = a
		case "AcceptedTerms":
			terms = a
		}
	}
	if company == nil || terms == nil || !strings.Contains(before, "attr="+str(company["id"])) {
		t.Fatalf("demo user flow: %s", before)
	}
	cae := e.list(caeColl)[0]

	e.do("DELETE", ufColl+"/"+demoFlow, nil)
	e.do("DELETE", ufaColl+"/"+str(company["id"]), nil)
	e.do("PATCH", ufaColl+"/"+str(terms["id"]), map[string]any{"description": hostileName})
	e.do("PATCH", ufColl+"/"+other+"/userAttributeAssignments/city", map[string]any{"isOptional": false, "displayName": hostileName})
	e.do("DELETE", caeColl+"/"+str(cae["id"]), nil)
	added := map[string]any{"@odata.type": "#microsoft.graph.onAttributeCollectionStartCustomExtension", "displayName": "Added since",
		"endpointConfiguration":       map[string]any{"@odata.type": "#microsoft.graph.httpRequestEndpoint", "targetUrl": "https://x.example/api"},
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.azureAdTokenAuthentication", "resourceId": "api://x.example/1"}}
	e.do("POST", caeColl, added)
	e.recordIncident()

	sel := []string{"external-identities"}
	p := e.plan(base.String(), sel, Options{})
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.Request.Method+" "+a.Request.Path)
		if a.Request.Method == "POST" && a.Request.Path == ufColl && !strings.Contains(string(a.Request.Body), `"id":"PartnerSignUp"`) {
			t.Errorf("the user flow is created as %s, want its name without B2X_1_", a.Request.Body)
		}
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		"POST " + ufaColl, "PATCH " + ufaColl + "/" + str(terms["id"]),
		"POST " + caeColl, "DELETE " + caeColl + "/", "POST " + ufColl,
		"POST " + ufColl + "/" + demoFlow + "/userAttributeAssignments",
		"PATCH " + ufColl + "/" + other + "/userAttributeAssignments/city",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("the plan has no %s:\n%s", want, joined)
		}
	}
	// The recreated attribute is named through its placeholder.
	remapped := false
	for _, a := range p.Actions {
		if strings.HasSuffix(a.Request.Path, "/userAttributeAssignments") && strings.Contains(string(a.Request.Body), "{{new:"+str(company["id"])+"}}") {
			remapped = true
		}
	}
	if !remapped {
		t.Errorf("the assignment of the recreated attribute does not name its new id:\n%s", render(p))
	}
	if !strings.Contains(render(p), "identity providers and the API connectors of its steps are kept only by the opt-in kind user-flow-connections") {
		t.Errorf("the plan does not say what a recreated user flow lacks:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s\n%s", res.Actions, res.Differences, res.VerifyError, render(p))
	}
	if after := e.userFlowState(demoFlow); after != before {
		t.Errorf("user flow after the restore:\n%s\nwant\n%s", after, before)
	}
	if a := e.get(ufColl + "/" + other + "/userAttributeAssignments/city"); a["isOptional"] != true || a["displayName"] != "City" {
		t.Errorf("assignment after the restore: %v", a)
	}
	e.mustBeEmptyAt(base.String(), sel)
}

// A partner's cross-tenant user synchronization policy comes back by PUT
// (a changed one, and on a partner created again), and one added since is
// deleted.
func TestRestoreCrossTenantIdentitySync(t *testing.T) {
	whenShortOnly(t, "cross-tenant-access-partners")
	const coll = "/v1.0/policies/crossTenantAccessPolicy/partners"
	e := newEnv(t, graphsim.Options{}, nil)
	var synced, other string
	var before map[string]any
	for _, p := range e.list(coll) {
		id := str(p["tenantId"])
		if _, err := e.c.Get(t.Context(), coll+"/"+id+"/identitySynchronization"); err == nil {
			synced, before = id, e.get(coll+"/"+id+"/identitySynchronization")
		} else {
			other = id
		}
	}
	if synced == "" || other == "" {
		t.Fatalf("the demo tenant needs a partner with a sync policy and one without (%q, %q)", synced, other)
	}
	sel := []string{"policies/cross-tenant-access/partners"}
	e.do("PATCH", coll+"/"+synced+"/identitySynchronization", map[string]any{"displayName": hostileName, "userSyncInbound": map[string]any{"isSyncAllowed": false}})
	e.do("PUT", coll+"/"+other+"/identitySynchronization", map[string]any{"userSyncInbound": map[string]any{"isSyncAllowed": true}})
	e.recordIncident()
	p := e.plan(e.first, sel, Options{})
	if got := opList(p); got != "update,remove-child" && got != "remove-child,update" {
		t.Fatalf("plan %s\n%s", got, render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	after := e.get(coll + "/" + synced + "/identitySynchronization")
	if after["displayName"] != before["displayName"] || dig(after, "userSyncInbound", "isSyncAllowed") != true {
		t.Errorf("after the restore: %v, want %v", after, before)
	}
	if _, err := e.c.Get(t.Context(), coll+"/"+other+"/identitySynchronization"); err == nil {
		t.Error("the policy added since was not deleted")
	}
	e.mustBeEmpty(sel, Options{})

	// The partner deleted: created again, then its policy.
	e.do("DELETE", coll+"/"+synced, nil)
	e.recordIncident()
	p = e.plan(e.first, sel, Options{})
	if got := opList(p); got != "create,update" {
		t.Fatalf("plan %s\n%s", got, render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if after := e.get(coll + "/" + synced + "/identitySynchronization"); dig(after, "userSyncInbound", "isSyncAllowed") != true {
		t.Errorf("the recreated partner's policy: %v", after)
	}
}

// The external identities policy is read from and written to beta.
func TestRestoreExternalIdentitiesPolicy(t *testing.T) {
	whenShortOnly(t, "external-identities-policy")
	const path = "/beta/policies/externalIdentitiesPolicy"
	e := newEnv(t, graphsim.Options{}, nil)
	if e.get(path)["allowExternalIdentitiesToLeave"] != false {
		t.Fatal("the demo tenant's guests may leave")
	}
	e.do("PATCH", path, map[string]any{"allowExternalIdentitiesToLeave": true})
	e.recordIncident()
	sel := []string{"external-identities-policy"}
	p := e.plan(e.first, sel, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Request.Method != "PATCH" || p.Actions[0].Request.Path != path ||
		string(p.Actions[0].Request.Body) != `{"allowExternalIdentitiesToLeave":false}` {
		t.Fatalf("plan:\n%s", render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if e.get(path)["allowExternalIdentitiesToLeave"] != false {
		t.Error("not restored")
	}
	e.mustBeEmpty(sel, Options{})
}
