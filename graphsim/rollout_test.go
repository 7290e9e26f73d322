package graphsim

import "testing"

// Feature rollout policies: listed with their groups by $expand=appliesTo,
// created with a stagedFeatureName feature (one policy per feature,
// strict), feature never changed by an update (strict), groups added and
// removed by $ref (groups only, strict); names kept exactly.
func TestFeatureRolloutPolicies(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/policies/featureRolloutPolicies"
	list := e.do("GET", coll+"?$expand=appliesTo", nil).must(t, 200).body["value"].([]any)
	var phs map[string]any
	for _, p := range list {
		if m := p.(map[string]any); m["feature"] == "passwordHashSync" {
			phs = m
		}
	}
	if len(list) != 2 || phs == nil || len(asSlice(phs["appliesTo"])) != 2 ||
		asSlice(phs["appliesTo"])[0].(map[string]any)["@odata.type"] != "#microsoft.graph.group" {
		t.Fatalf("demo policies: %v", list)
	}
	id := str(phs["id"])
	for _, bad := range []map[string]any{
		{"displayName": "x", "feature": "notAFeature", "isEnabled": true},
		{"displayName": "x", "feature": "emailAsAlternateId"},
		{"displayName": "x", "feature": "passwordHashSync", "isEnabled": true}, // one per feature
	} {
		e.do("POST", coll, bad).must(t, 400)
	}
	hostile := "MFA \u202epilot\r\n\x1b[31m"
	r := e.do("POST", coll, map[string]any{"displayName": hostile, "feature": "multiFactorAuthentication", "isEnabled": true}).must(t, 201)
	if r.body["displayName"] != hostile || r.body["isAppliedToOrganization"] != false {
		t.Errorf("created: %v", r.body)
	}
	e.do("PATCH", coll+"/"+id, map[string]any{"feature": "seamlessSso"}).must(t, 400)
	e.do("PATCH", coll+"/"+id, map[string]any{"isEnabled": false}).must(t, 204)
	if got := e.do("GET", coll+"/"+id, nil).must(t, 200).body; got["isEnabled"] != false || got["feature"] != "passwordHashSync" {
		t.Errorf("after PATCH: %v", got)
	}
	grp, usr := e.newGroup("rollout-wave-2", nil), e.newUser("rollout.user")
	e.do("POST", coll+"/"+id+"/appliesTo/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + usr}).must(t, 400)
	e.do("POST", coll+"/"+id+"/appliesTo/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + grp}).must(t, 204)
	e.do("DELETE", coll+"/"+id+"/appliesTo/"+grp+"/$ref", nil).must(t, 204)
	e.do("DELETE", coll+"/"+id, nil).must(t, 204)
	e.do("GET", coll+"/"+id, nil).must(t, 404)
}

// Graph serves feature rollout policies to delegated callers only
// ("Application: Not supported" on every page): an app-only token is
// refused whatever it holds, a delegated one reads with
// Policy.Read.HybridAuthentication and writes with
// Policy.ReadWrite.HybridAuthentication.
func TestFeatureRolloutPoliciesDelegatedOnly(t *testing.T) {
	a := newAuthzEnv(t)
	coll := "/v1.0/policies/featureRolloutPolicies"
	body := map[string]any{"displayName": "PHS", "feature": "passwordHashSync", "isEnabled": true}
	app := a.token("a", "Policy.ReadWrite.HybridAuthentication", "Policy.Read.HybridAuthentication", "Directory.ReadWrite.All", "Policy.ReadWrite.FeatureRollout")
	a.want(app, "GET", coll, nil, 403)
	a.want(app, "POST", coll, body, 403)

	e, reader, writer := globalAdminTokens(t, "Policy.Read.HybridAuthentication", "Policy.ReadWrite.HybridAuthentication")
	if r := e.call(reader, "GET", coll, nil); r.status != 200 {
		t.Errorf("delegated read: %d %s", r.status, r.raw)
	}
	if r := e.call(reader, "POST", coll, body); r.status != 403 {
		t.Errorf("delegated write with the read scope: %d %s", r.status, r.raw)
	}
	if r := e.call(writer, "POST", coll, body); r.status != 201 {
		t.Errorf("delegated write: %d %s", r.status, r.raw)
	}
}

// globalAdminTokens signs a Global Administrator in twice, through public
// clients granted the delegated scope read, then write: the two bearer
// headers.
func globalAdminTokens(t *testing.T, read, write string) (e *idEnv, reader, writer string) {
	t.Helper()
	e = newIDEnv(t)
	tn := e.s.Tenant()
	god := "Bearer " + e.s.Token()
	admin, err := tn.Seed("user", map[string]any{"displayName": "admin", "userPrincipalName": "admin@" + tn.Domain(), "mailNickname": "admin", "accountEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.call(god, "POST", "/v1.0/roleManagement/directory/roleAssignments",
		map[string]any{"principalId": admin, "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/"}); r.status != 201 {
		t.Fatalf("role assignment: %d %s", r.status, r.raw)
	}
	reader = "Bearer " + e.delegatedToken(e.newPublicClient("reader", read), "admin@"+tn.Domain())
	writer = "Bearer " + e.delegatedToken(e.newPublicClient("writer", write), "admin@"+tn.Domain())
	return e, reader, writer
}
