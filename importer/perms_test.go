package importer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/color"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/graphsim/builtin"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// fakeToken is an unsigned app-only JWT carrying roles: enough for the
// pre-flight check, which reads the claim without verifying it.
func fakeToken(roles []string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none"}) + "." + enc(map[string]any{"appid": "00000000-0000-4000-8000-000000000001", "roles": roles}) + ".x"
}

func without(list []string, drop string) []string {
	var out []string
	for _, x := range list {
		if x != drop {
			out = append(out, x)
		}
	}
	return out
}

// seedRestoreCases adds what needs the object- and property-level
// permissions of a restore: a user with a leave date and a sign-in
// identity, a role-assignable group holding a service principal, and a
// hidden-membership group. It returns their ids.
func (e *env) seedRestoreCases() (user, roleGroup string) {
	e.t.Helper()
	ctx := context.Background()
	dom := e.sim.Tenant().Domain()
	resp, err := e.c.Post(ctx, "/v1.0/users", map[string]any{"displayName": "Lee Ver", "userPrincipalName": "lee.ver@" + dom,
		"mailNickname": "lee.ver", "accountEnabled": true, "passwordProfile": map[string]any{"password": "Xy!" + strings.Repeat("9", 12)},
		"employeeLeaveDateTime": "2030-06-30T00:00:00Z",
		"identities":            []any{map[string]any{"signInType": "userPrincipalName", "issuer": dom, "issuerAssignedId": "lee.ver@" + dom}}})
	if err != nil {
		e.t.Fatal(err)
	}
	var u struct{ ID string }
	_ = json.Unmarshal(resp.Body, &u)
	resp, err = e.c.Post(ctx, "/v1.0/groups", map[string]any{"displayName": "Tier0 operators", "mailNickname": "tier0ops",
		"mailEnabled": false, "securityEnabled": true, "isAssignableToRole": true, "groupTypes": []any{}})
	if err != nil {
		e.t.Fatal(err)
	}
	var g struct{ ID string }
	_ = json.Unmarshal(resp.Body, &g)
	sps := e.list("/v1.0/servicePrincipals?$select=id,appOwnerOrganizationId,servicePrincipalType")
	var sp string
	for _, s := range sps {
		if s["appOwnerOrganizationId"] == e.sim.TenantID() && s["servicePrincipalType"] == "Application" {
			sp = str(s["id"])
		}
	}
	if sp == "" {
		e.t.Fatal("the demo tenant has no service principal of its own")
	}
	for _, m := range []string{u.ID, sp} {
		e.do("POST", "/v1.0/groups/"+g.ID+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + m})
	}
	resp, err = e.c.Post(ctx, "/v1.0/groups", map[string]any{"displayName": "Board", "mailNickname": "board",
		"mailEnabled": true, "securityEnabled": false, "groupTypes": []any{"Unified"}, "visibility": "HiddenMembership"})
	if err != nil {
		e.t.Fatal(err)
	}
	var h struct{ ID string }
	_ = json.Unmarshal(resp.Body, &h)
	e.do("POST", "/v1.0/groups/"+h.ID+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + u.ID})
	return u.ID, g.ID
}

// An app holding exactly the export and restore sets that `entrasnap
// kinds --permissions` lists exports the tenant, and restores one object
// of every kind Graph can recreate (gone for good, with a user holding a
// leave date and identities, and a role-assignable group with a service
// principal member among them) plus a user and a group from the recycle
// bin. Without any one permission of the restore set, the pre-flight check
// names it and nothing is written.
func TestRestoreWithExactlyTheListedPermissions(t *testing.T) {
	// The Conditional Access bin is purged through /beta, which this tenant
	// lets app-only tokens reach (as TestRecreateOneObjectOfEveryCreatableKind).
	sim, srv := startSim(t, graphsim.Options{Profile: "demo", Seed: 1, CARecycleBinAppOnly: true}, nil)
	e := &env{t: t, sim: sim, srv: srv, now: time.Date(2026, 3, 23, 10, 0, 0, 0, time.UTC)}
	e.c = e.client(sim.Token())
	userID, roleGroup := e.seedRestoreCases()
	exportSet, restoreSet := layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())
	for _, must := range []string{"Policy.ReadWrite.ConditionalAccess", "RoleManagement.ReadWrite.Directory", "Application.ReadWrite.All",
		"User.ManageIdentities.All", "User-LifeCycleInfo.ReadWrite.All", "GroupSettings.ReadWrite.All"} {
		if !contains(restoreSet, must) {
			t.Fatalf("the restore set %v lacks %s", restoreSet, must)
		}
	}
	// API connectors are opt-in and read only with a write permission
	// (layout.ReadWithWritePermissions): granted to this export, which
	// names them, so that one connector is restored.
	conns, _ := layout.Lookup("api-connectors")
	ufc, _ := layout.Lookup(layout.UserFlowConnections) // the same: a user flow's identity providers and API connectors
	exportClient := e.client(e.token(append(append([]string(nil), exportSet...), layout.ReadWithWritePermissions([]*layout.Kind{conns, ufc})...)...))
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "backup"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	e.repo = r
	csa, _ := layout.Lookup(csaKind) // opt-in: exported here so that one user's values are restored
	res, err := exporter.Run(context.Background(), exporter.Options{Client: exportClient, Repo: r, Now: e.clock, Message: "baseline",
		Kinds: append(layout.DefaultKinds(), csa, conns, ufc)})
	if err != nil || !res.Complete() {
		t.Fatalf("export with exactly %v: %v %+v", exportSet, err, res.Incomplete())
	}
	e.first = res.Tag
	byKind := objectsByKind(e.snapshotObjects(e.first))
	// The seeded user and role-assignable group are the ones purged.
	first := func(kind, id string) {
		sort.SliceStable(byKind[kind], func(i, j int) bool {
			return strings.EqualFold(byKind[kind][i].Key, id) && !strings.EqualFold(byKind[kind][j].Key, id)
		})
	}
	first("users", userID)
	first("groups", roleGroup)
	policiesNamingCustomStrengthsFirst(byKind)
	picked, sel := e.purgeOneOfEachCreatableKind(byKind)
	if !strings.EqualFold(picked["users"].Key, userID) || !strings.EqualFold(picked["groups"].Key, roleGroup) {
		t.Fatalf("purged user %s and group %s, want the seeded %s and %s", picked["users"].Key, picked["groups"].Key, userID, roleGroup)
	}
	// A user and a Microsoft 365 group wait in the recycle bin.
	for _, kind := range []string{"users", "groups"} {
		k, _ := layout.Lookup(kind)
		for _, o := range byKind[kind] {
			if strings.EqualFold(o.Key, picked[kind].Key) || !candidate(k, o) || kind == "groups" && !containsFold(asSlice(o.Data["groupTypes"]), "Unified") {
				continue
			}
			if _, err := e.c.Do(context.Background(), "DELETE", itemPath(k, o.Key), nil); err != nil {
				continue
			}
			sel = append(sel, o.Path)
			break
		}
	}
	// Kinds restore updates but never creates: an administrator changed
	// each of them since the snapshot.
	org := e.list("/v1.0/organization")[0]
	e.do("PATCH", "/v1.0/organization/"+str(org["id"]), map[string]any{"marketingNotificationEmails": []any{"changed@example.com"}})
	dom := e.list("/v1.0/domains")[0]
	e.do("PATCH", "/v1.0/domains/"+str(dom["id"]), map[string]any{"passwordValidityPeriodInDays": 42})
	e.do("PATCH", "/v1.0/policies/authorizationPolicy", map[string]any{"allowedToUseSSPR": e.get("/v1.0/policies/authorizationPolicy")["allowedToUseSSPR"] != true})
	e.do("PATCH", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", map[string]any{"isEnabled": e.get("/v1.0/policies/identitySecurityDefaultsEnforcementPolicy")["isEnabled"] != true})
	fido := e.get("/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2")
	state := "enabled"
	if fido["state"] == "enabled" {
		state = "disabled"
	}
	e.do("PATCH", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2", map[string]any{"@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration", "state": state})
	changeNewPolicySingletons(e) // policies_test.go
	// Custom security attributes are never deleted in Graph: one changed (customsec_test.go).
	e.do("PATCH", csaDefs+"/HR_CostCenter", map[string]any{"description": "changed"})
	// A user's custom security attribute values changed (csavalues_test.go).
	if len(byKind[csaKind]) == 0 {
		t.Fatal("no user's custom security attribute values were exported")
	}
	var valued *Object
	for _, o := range byKind[csaKind] {
		if _, err := e.c.Get(context.Background(), "/v1.0/users/"+o.Key+"?$select=id"); err == nil {
			valued = o // not purged nor in the recycle bin
			break
		}
	}
	if valued == nil {
		t.Fatal("every user with values is gone")
	}
	e.do("PATCH", "/v1.0/users/"+valued.Key, csaSetBody("HR", "CostCenter", "changed"))
	sel = append(sel, valued.Path)
	// An identity provider is not created without its secret (identityproviders_test.go): one changed.
	e.do("PATCH", "/v1.0/identity/identityProviders/Google-OAUTH", map[string]any{"displayName": "changed"})
	// Nor an API connector (apiconnectors_test.go): one changed.
	e.do("PATCH", connColl+"/"+str(e.list(connColl)[0]["id"]), map[string]any{"targetUrl": "https://changed.example/api"})
	// PIM role settings are never created or deleted in Graph: one role's changed (pim_test.go).
	changeRoleSettings(e)
	// The entitlement management settings, a singleton (governance_test.go): changed.
	e.do("PATCH", emColl+"settings", map[string]any{"externalUserLifecycleAction": "blockSignIn"})
	// The external identities policy (beta) changed (external_test.go).
	e.do("PATCH", "/beta/policies/externalIdentitiesPolicy", map[string]any{"allowExternalIdentitiesToLeave": e.get("/beta/policies/externalIdentitiesPolicy")["allowExternalIdentitiesToLeave"] != true})
	// The default branding is never created by restore (branding_test.go): its logo replaced.
	if _, err := e.c.Do(context.Background(), "PUT", "/v1.0/organization/"+str(org["id"])+"/branding/localizations/0/bannerLogo",
		testPNG(t, color.RGBA{9, 9, 9, 255}), graph.WithHeader("Content-Type", "image/png")); err != nil {
		t.Fatal(err)
	}
	for _, o := range byKind["branding"] {
		if o.Key == "0" {
			sel = append(sel, o.Path)
		}
	}
	for _, kind := range []string{"organization", "domains", "authorization-policy", "security-defaults", "authentication-method-configurations",
		"admin-consent-request-policy", "tenant-app-management-policy", "authentication-flows-policy", "device-registration-policy",
		"custom-security-attributes", "identity-providers", "api-connectors", layout.UserFlowConnections, "role-management-policies", "entitlement-management-settings", "external-identities-policy"} {
		for _, o := range byKind[kind] {
			sel = append(sel, o.Path)
		}
	}
	e.recordIncident()

	tok := e.token(append(append([]string(nil), exportSet...), restoreSet...)...)
	limited := e.client(tok)
	in, err := Load(context.Background(), LoadOptions{Client: limited, Repo: e.repo, Rev: e.first, Selectors: sel, Options: Options{CAState: CAStateAsIs}, Now: e.now})
	if err != nil {
		t.Fatalf("load with exactly the listed permissions: %v", err)
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[Op]int{}
	for _, a := range p.Actions {
		ops[a.Op]++
	}
	creatable := 0
	for _, k := range creatableKinds() {
		if k.DelegatedOnly == "" || len(byKind[k.Name]) > 0 { // an app-only export skips delegated-only kinds
			creatable++
		}
	}
	if ops[OpRestore] < 2 || ops[OpCreate] < creatable {
		t.Fatalf("plan: %v\n%s", ops, render(p))
	}
	// Pre-flight: without any one permission of the set, the check names it.
	all := append(append([]string(nil), exportSet...), restoreSet...)
	if err := CheckPermissions(p, fakeToken(all)); err != nil {
		t.Fatalf("pre-flight with the whole set: %v", err)
	}
	for _, perm := range restoreSet {
		err := CheckPermissions(p, fakeToken(without(all, perm)))
		var pe *PermissionError
		// It names perm, or the narrowest permission an action needs that
		// perm grants (layout.GrantedBy: LifecycleWorkflows-Workflow.ReadWrite.All
		// for LifecycleWorkflows.ReadWrite.All).
		named := false
		if errors.As(err, &pe) {
			for _, m := range pe.Missing {
				named = named || contains(layout.GrantedBy(m), perm)
			}
		}
		if !named {
			t.Errorf("without %s the pre-flight check says %v", perm, err)
		}
	}
	// The plan the read-only identity that made the export makes (the
	// pull-request and restore templates' plan job) is the same plan, and
	// the writing identity applies it.
	pRO := e.planWith(exportClient, e.first, sel, Options{CAState: CAStateAsIs})
	if stale, differ := staleObjects(pRO, p), boundDiffs(pRO, p); len(stale) > 0 || len(differ) > 0 {
		t.Errorf("the plan made with the export set is not the one made with the export and restore sets: live fingerprints %v; actions %v", stale, differ)
	}
	o := e.applyOpts()
	o.Client, o.Token, o.Record = limited, tok, e.recordWith(limited)
	ares, err := Apply(context.Background(), roundTrip(t, pRO), o)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	var failed []string
	for _, a := range ares.Actions {
		if a.Status != StatusDone && a.Status != StatusAlready {
			failed = append(failed, a.ID+" "+a.Kind+" "+string(a.Op)+": "+string(a.Status)+" "+a.Error)
		}
	}
	if len(failed) > 0 || !ares.Complete() {
		var diffs []string
		for _, d := range ares.Differences {
			diffs = append(diffs, d.Kind+" "+d.Name+" "+d.What+" "+d.Target)
		}
		t.Fatalf("apply with exactly the listed permissions did not complete:\n%s\ndifferences: %s\nverify: %v", strings.Join(failed, "\n"), strings.Join(diffs, "; "), ares.VerifyError)
	}
}

// Changing the mobile phone of a Global Administrator needs, for an
// app-only caller, the Privileged Authentication Administrator role on its
// service principal: the pre-flight check refuses the plan before any
// write, and once the role is assigned the restore goes through.
func TestRestoreSensitiveAttributesOfAnAdministrator(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	dom := e.sim.Tenant().Domain()
	resp, err := e.c.Post(ctx, "/v1.0/users", map[string]any{"displayName": "Ada Admin", "userPrincipalName": "ada.admin@" + dom,
		"mailNickname": "ada.admin", "accountEnabled": true, "mobilePhone": "+1 555 0100",
		"passwordProfile": map[string]any{"password": "Xy!" + strings.Repeat("7", 12)}})
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID string }
	_ = json.Unmarshal(resp.Body, &u)
	e.do("POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{
		"roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "principalId": u.ID, "directoryScopeId": "/"})
	res, err := exporter.Run(ctx, exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "with the admin"})
	if err != nil || !res.Complete() {
		t.Fatalf("export: %v", err)
	}
	e.do("PATCH", "/v1.0/users/"+u.ID, map[string]any{"mobilePhone": "+1 555 0199"})

	tok := e.token(append(layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())...)...)
	limited := e.client(tok)
	in, err := Load(ctx, LoadOptions{Client: limited, Repo: e.repo, Rev: res.Tag, Selectors: []string{u.ID}, Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compute(in)
	if err != nil || len(sensitiveTargets(p)) != 1 {
		t.Fatalf("plan: %v\n%s", err, render(p))
	}
	o := e.applyOpts()
	o.Client, o.Token, o.Record = limited, tok, e.recordWith(limited)
	_, err = Apply(ctx, p, o)
	var re *DirectoryRoleError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "Privileged Authentication Administrator") || !strings.Contains(err.Error(), u.ID) {
		t.Fatalf("apply without the role: %v", err)
	}
	if got := e.get("/v1.0/users/" + u.ID + "?$select=mobilePhone")["mobilePhone"]; got != "+1 555 0199" {
		t.Fatalf("something was written: mobilePhone %v", got)
	}
	sp := e.sim.Tenant().FindBy("servicePrincipal", "appId", graph.TokenClaim(tok, "appid"))
	e.do("POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{
		"roleDefinitionId": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", "principalId": sp, "directoryScopeId": "/"})
	ares, err := Apply(ctx, p, o)
	if err != nil || !ares.Complete() {
		t.Fatalf("apply with the role: %v %+v", err, ares)
	}
	if got := e.get("/v1.0/users/" + u.ID + "?$select=mobilePhone")["mobilePhone"]; got != "+1 555 0100" {
		t.Errorf("mobilePhone after the restore: %v", got)
	}
}

// The product's privileged roles are built-in roles graphsim knows by the
// same name, and the same roles graphsim treats as privileged
// (graphsim.PrivilegedRoleNames): a user graphsim
// protects is one the pre-flight check protects.
func TestPrivilegedRolesAreBuiltInRoles(t *testing.T) {
	sim := graphsim.PrivilegedRoleNames()
	var ours []string
	for _, n := range privilegedRoles {
		ours = append(ours, n)
	}
	sort.Strings(sim)
	sort.Strings(ours)
	if strings.Join(sim, ",") != strings.Join(ours, ",") {
		t.Errorf("privileged roles:\n ours     %v\n graphsim %v", ours, sim)
	}
	for id, name := range privilegedRoles {
		d, ok := builtin.RoleDefinition(id)
		if !ok || d["displayName"] != name {
			t.Errorf("%s: %v %v, want %s", id, ok, d["displayName"], name)
		}
	}
}
