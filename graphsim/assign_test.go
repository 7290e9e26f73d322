package graphsim

import (
	"net/url"
	"strings"
	"testing"
)

// Policy assignments are written on the application's or service
// principal's side ($ref), one policy of a kind per object, and read from
// the policy's appliesTo, with the permission pairs Graph documents.
func TestPolicyAssignments(t *testing.T) {
	e := newAuthzEnv(t)
	name := "a\u202e\r\n\xffpp" // hostile: bidi override, CR LF, invalid UTF-8
	app := e.seed("application", map[string]any{"displayName": name})
	obj, _ := e.s.Tenant().Get("application", app)
	appID := str(obj["appId"])
	sp := e.seed("servicePrincipal", map[string]any{"appId": appID, "displayName": name})
	tl1 := e.seed("tokenLifetimePolicy", map[string]any{"displayName": "tl1", "definition": []any{"{}"}})
	tl2 := e.seed("tokenLifetimePolicy", map[string]any{"displayName": "tl2", "definition": []any{"{}"}})
	cm := e.seed("claimsMappingPolicy", map[string]any{"displayName": "cm", "definition": []any{"{}"}})
	amp := e.seed("appManagementPolicy", map[string]any{"displayName": "amp", "isEnabled": true})
	ref := func(coll, id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/policies/" + coll + "/" + id}
	}

	all := e.token("all", "Application.ReadWrite.All", "Policy.ReadWrite.ApplicationConfiguration", "Policy.Read.All", "Application.Read.All")
	appOnly := e.token("apponly", "Application.ReadWrite.All")
	policyOnly := e.token("policyonly", "Policy.ReadWrite.ApplicationConfiguration", "Policy.Read.All")
	// The write needs an application permission and a policy permission.
	e.want(appOnly, "POST", "/v1.0/applications/"+app+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl1), 403)
	e.want(policyOnly, "POST", "/v1.0/applications/"+app+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl1), 403)
	e.want(all, "POST", "/v1.0/applications/"+app+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl1), 204)
	// The same one again: "already exist"; a second one: refused.
	e.want(all, "POST", "/v1.0/applications/"+app+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl1), 400)
	out := e.want(all, "POST", "/v1.0/applications/"+app+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl2), 400)
	if msg := str(out["error"].(map[string]any)["message"]); msg == "" || strings.Contains(msg, "already exist") {
		t.Errorf("second policy: %q", msg)
	}
	// A policy of another kind in the relationship: refused.
	e.want(all, "POST", "/v1.0/applications/"+app+"/tokenLifetimePolicies/$ref", ref("claimsMappingPolicies", cm), 400)
	// Claims mapping: service principals only in v1.0.
	e.want(all, "POST", "/v1.0/applications/"+app+"/claimsMappingPolicies/$ref", ref("claimsMappingPolicies", cm), 400)
	e.want(all, "POST", "/v1.0/servicePrincipals/"+sp+"/claimsMappingPolicies/$ref", ref("claimsMappingPolicies", cm), 204)
	e.want(all, "POST", "/v1.0/servicePrincipals/"+sp+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl2), 204)
	// App management: Application.Read.All and Policy.ReadWrite.ApplicationConfiguration.
	e.want(appOnly, "POST", "/v1.0/applications/"+app+"/appManagementPolicies/$ref", ref("appManagementPolicies", amp), 403)
	e.want(all, "POST", "/v1.0/applications/"+app+"/appManagementPolicies/$ref", ref("appManagementPolicies", amp), 204)
	e.want(all, "POST", "/v1.0/servicePrincipals/"+sp+"/appManagementPolicies/$ref", ref("appManagementPolicies", amp), 400)

	// Not through @odata.bind in an application's write (strict: only $ref is documented).
	e.want(all, "PATCH", "/v1.0/applications/"+app, map[string]any{"tokenIssuancePolicies@odata.bind": []any{"https://graph.microsoft.com/v1.0/policies/tokenLifetimePolicies/" + tl2}}, 400)
	e.want(all, "POST", "/v1.0/applications", map[string]any{"displayName": "bound", "tokenLifetimePolicies@odata.bind": []any{"https://graph.microsoft.com/v1.0/policies/tokenLifetimePolicies/" + tl2}}, 400)

	// appliesTo from the policy's side: Policy.Read.All and Application.Read.All.
	reader := e.token("reader", "Policy.Read.All", "Application.Read.All")
	e.want(e.token("policyreader", "Policy.Read.All"), "GET", "/v1.0/policies/tokenLifetimePolicies/"+tl1+"/appliesTo", nil, 403)
	ids := func(path string) []string {
		t.Helper()
		var out []string
		for _, it := range asSlice(e.want(reader, "GET", path, nil, 200)["value"]) {
			m := it.(map[string]any)
			out = append(out, str(m["@odata.type"])+" "+str(m["id"]))
		}
		return out
	}
	if got := ids("/v1.0/policies/tokenLifetimePolicies/" + tl1 + "/appliesTo?$select=id"); len(got) != 1 || got[0] != "#microsoft.graph.application "+app {
		t.Errorf("tl1 appliesTo %v", got)
	}
	if got := ids("/v1.0/policies/tokenLifetimePolicies/" + tl2 + "/appliesTo"); len(got) != 1 || got[0] != "#microsoft.graph.servicePrincipal "+sp {
		t.Errorf("tl2 appliesTo %v", got)
	}
	if got := ids("/v1.0/policies/appManagementPolicies/" + amp + "/appliesTo"); len(got) != 1 {
		t.Errorf("amp appliesTo %v", got)
	}
	// No write from the policy's side.
	for _, p := range []string{"/appliesTo/$ref", "/appliesTo"} {
		if code, _ := e.call(all, "POST", "/v1.0/policies/tokenLifetimePolicies/"+tl1+p, map[string]any{"@odata.id": "x/" + app}); code < 400 {
			t.Errorf("POST %s: %d", p, code)
		}
	}

	// Unassign (the app management DELETE is the documented path), then the
	// other policy fits.
	e.want(appOnly, "DELETE", "/v1.0/applications/"+app+"/tokenLifetimePolicies/"+tl1+"/$ref", nil, 403)
	e.want(all, "DELETE", "/v1.0/applications/"+app+"/tokenLifetimePolicies/"+tl1+"/$ref", nil, 204)
	e.want(all, "DELETE", "/v1.0/applications/"+app+"/appManagementPolicies/"+url.PathEscape(amp)+"/$ref", nil, 204)
	e.want(all, "POST", "/v1.0/applications/"+app+"/tokenLifetimePolicies/$ref", ref("tokenLifetimePolicies", tl2), 204)
	if got := ids("/v1.0/policies/tokenLifetimePolicies/" + tl2 + "/appliesTo"); len(got) != 2 {
		t.Errorf("tl2 appliesTo after move %v", got)
	}
	if got := ids("/v1.0/policies/tokenLifetimePolicies/" + tl1 + "/appliesTo"); len(got) != 0 {
		t.Errorf("tl1 appliesTo after unassign %v", got)
	}
	// A deleted application is not listed.
	e.want(all, "DELETE", "/v1.0/applications/"+app, nil, 204)
	if got := ids("/v1.0/policies/tokenLifetimePolicies/" + tl2 + "/appliesTo"); len(got) != 1 {
		t.Errorf("tl2 appliesTo after app delete %v", got)
	}
}

// The demo and large tenants assign their policies: the large one a token
// lifetime policy to every tenth line-of-business service principal and an
// app management policy to every fifth application.
func TestGeneratedTenantsAssignPolicies(t *testing.T) {
	tn := genServer(t, Options{Profile: "large", Seed: 9, Sizes: Sizes{Users: 100, Groups: 10, MembersPerGroup: 3, Apps: 20, CAPolicies: 2}}).Tenant()
	count := func(kind, rel string) int {
		n := 0
		for _, o := range tn.List(kind) {
			n += len(tn.Links(kind, str(o["id"]), rel))
		}
		return n
	}
	if got := count("servicePrincipal", "tokenLifetimePolicies"); got != 2 {
		t.Errorf("large: %d service principals with a token lifetime policy, want 2", got)
	}
	if got := count("application", "appManagementPolicies"); got != 4 {
		t.Errorf("large: %d applications with an app management policy, want 4", got)
	}
	demo := genServer(t, Options{Profile: "demo", Seed: 1}).Tenant()
	for _, c := range []struct{ kind, rel string }{{"application", "tokenLifetimePolicies"}, {"servicePrincipal", "tokenLifetimePolicies"},
		{"servicePrincipal", "claimsMappingPolicies"}, {"application", "tokenIssuancePolicies"},
		{"servicePrincipal", "homeRealmDiscoveryPolicies"}, {"application", "appManagementPolicies"}} {
		n := 0
		for _, o := range demo.List(c.kind) {
			n += len(demo.Links(c.kind, str(o["id"]), c.rel))
		}
		if n == 0 {
			t.Errorf("demo: no %s has %s", c.kind, c.rel)
		}
	}
}
