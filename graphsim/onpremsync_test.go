package graphsim

import "testing"

// The on-premises synchronization settings: one object per tenant with the
// tenant's id, read and PATCHed, never created or deleted (405); a
// deletion prevention type outside the enumeration, a negative threshold
// or a feature that is not a Boolean → 400; a PATCH of features replaces
// the whole complex value (the strict reading: the product sends it whole).
func TestOnPremisesSynchronization(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/directory/onPremisesSynchronization"
	list := asSlice(e.do("GET", coll, nil).must(t, 200).body["value"])
	if len(list) != 1 || str(list[0].(map[string]any)["id"]) != e.s.TenantID() {
		t.Fatalf("the tenant's synchronization object: %v", list)
	}
	item := coll + "/" + e.s.TenantID()
	e.do("POST", coll, map[string]any{"features": map[string]any{"passwordSyncEnabled": true}}).must(t, 405)
	e.do("DELETE", item, nil).must(t, 405)
	for _, bad := range []map[string]any{
		{"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"synchronizationPreventionType": "always"}}},
		{"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"alertThreshold": -1}}},
		{"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"alertThreshold": 1.5}}},
		{"features": map[string]any{"passwordSyncEnabled": "yes"}},
		{"features": "on"},
	} {
		e.do("PATCH", item, bad).must(t, 400)
	}
	e.do("PATCH", item, map[string]any{"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"synchronizationPreventionType": "enabledForPercentage", "alertThreshold": 10}},
		"features": map[string]any{"groupWriteBackEnabled": true}}).must(t, 204)
	got := e.do("GET", item, nil).must(t, 200).body
	if digAny(got, "configuration", "accidentalDeletionPrevention", "synchronizationPreventionType") != "enabledForPercentage" ||
		digAny(got, "features", "groupWriteBackEnabled") != true || digAny(got, "features", "passwordSyncEnabled") != nil {
		t.Errorf("after PATCH: %v", got)
	}
}

// Graph serves the on-premises synchronization settings to delegated
// callers only ("Application: Not supported"): an app-only token is
// refused whatever it holds; a delegated one reads with
// OnPremDirectorySynchronization.Read.All and writes with .ReadWrite.All.
func TestOnPremisesSynchronizationDelegatedOnly(t *testing.T) {
	a := newAuthzEnv(t)
	coll := "/v1.0/directory/onPremisesSynchronization"
	app := a.token("a", "OnPremDirectorySynchronization.ReadWrite.All", "OnPremDirectorySynchronization.Read.All", "Directory.ReadWrite.All", "Organization.ReadWrite.All")
	a.want(app, "GET", coll, nil, 403)

	e := newIDEnv(t)
	tn := e.s.Tenant()
	admin := e.seedUser("admin")
	if r := e.call("Bearer "+e.s.Token(), "POST", "/v1.0/roleManagement/directory/roleAssignments",
		map[string]any{"principalId": admin, "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/"}); r.status != 201 {
		t.Fatalf("role assignment: %d %s", r.status, r.raw)
	}
	if _, err := tn.Seed(onPremSyncKindName, map[string]any{"id": tn.ID(), "features": map[string]any{"passwordSyncEnabled": false}}); err != nil {
		t.Fatal(err)
	}
	reader := "Bearer " + e.delegatedToken(e.newPublicClient("reader", "OnPremDirectorySynchronization.Read.All"), "admin@"+tn.Domain())
	writer := "Bearer " + e.delegatedToken(e.newPublicClient("writer", "OnPremDirectorySynchronization.ReadWrite.All"), "admin@"+tn.Domain())
	if r := e.call(reader, "GET", coll, nil); r.status != 200 {
		t.Errorf("delegated read: %d %s", r.status, r.raw)
	}
	patch := map[string]any{"features": map[string]any{"passwordSyncEnabled": true}}
	if r := e.call(reader, "PATCH", coll+"/"+tn.ID(), patch); r.status != 403 {
		t.Errorf("delegated write with the read scope: %d %s", r.status, r.raw)
	}
	if r := e.call(writer, "PATCH", coll+"/"+tn.ID(), patch); r.status != 204 {
		t.Errorf("delegated write: %d %s", r.status, r.raw)
	}
	// Global Administrator is the only role for either: a Hybrid Identity
	// Administrator, or a user without a role, holding both scopes is refused.
	hybrid := e.seedUser("hybrid")
	if r := e.call("Bearer "+e.s.Token(), "POST", "/v1.0/roleManagement/directory/roleAssignments",
		map[string]any{"principalId": hybrid, "roleDefinitionId": "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", "directoryScopeId": "/"}); r.status != 201 {
		t.Fatalf("role assignment: %d %s", r.status, r.raw)
	}
	e.seedUser("plain")
	both := e.newPublicClient("both", "OnPremDirectorySynchronization.Read.All", "OnPremDirectorySynchronization.ReadWrite.All")
	for _, nick := range []string{"hybrid", "plain"} {
		tok := "Bearer " + e.delegatedToken(both, nick+"@"+tn.Domain())
		if r := e.call(tok, "GET", coll, nil); r.status != 403 {
			t.Errorf("%s reads: %d %s, want 403", nick, r.status, r.raw)
		}
		if r := e.call(tok, "PATCH", coll+"/"+tn.ID(), patch); r.status != 403 {
			t.Errorf("%s writes: %d %s, want 403", nick, r.status, r.raw)
		}
	}
}
