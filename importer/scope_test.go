package importer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/live"
)

const (
	userAdminRole        = "fe930be7-5e62-47db-91af-98c3a49a38b1" // User Administrator (template id)
	directoryReadersRole = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b" // Directory Readers
)

// TestRestoreAsHelpdeskOperatorInAdministrativeUnit: a helpdesk operator
// holding User Administrator scoped to the administrative unit Helpdesk-EU
// signs in with the device code flow and restores users and a group.
// Without a role that reads role assignments the plan is checked against
// the operator's own memberships; with Directory Readers as well, against
// the role assignments Graph lists; either way the plan names the user
// outside the unit and why; apply refuses that plan
// before writing anything; graphsim refuses the same write (the pre-check
// and Graph agree); the narrowed selection applies and verifies, and the
// audit log names the operator.
func TestRestoreAsHelpdeskOperatorInAdministrativeUnit(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()

	plain := e.plainUser()
	users := map[string]map[string]any{}
	for _, u := range e.list("/v1.0/users?$select=id,userPrincipalName,onPremisesSyncEnabled") {
		users[strings.ToLower(str(u["id"]))] = u
	}
	// A plain group with a plain user member: the member inside the unit.
	var grp, inside, outside map[string]any
	for _, g := range e.list("/v1.0/groups?$select=id,displayName,groupTypes,onPremisesSyncEnabled,membershipRule,isAssignableToRole,securityEnabled,mailEnabled") {
		if grp != nil || g["onPremisesSyncEnabled"] == true || str(g["membershipRule"]) != "" || g["isAssignableToRole"] == true ||
			len(asSlice(g["groupTypes"])) > 0 || g["securityEnabled"] != true || g["mailEnabled"] == true {
			continue
		}
		for _, m := range e.list("/v1.0/groups/" + str(g["id"]) + "/members?$select=id") {
			if u := users[strings.ToLower(str(m["id"]))]; u != nil && plain(u) {
				grp, inside = g, u
				break
			}
		}
	}
	for _, u := range users {
		if plain(u) && u["id"] != inside["id"] && (outside == nil || str(u["userPrincipalName"]) < str(outside["userPrincipalName"])) {
			outside = u
		}
	}
	if grp == nil || outside == nil {
		t.Fatal("the demo tenant has no plain group with a plain member, or no second plain user")
	}
	gid, inID, outID := str(grp["id"]), str(inside["id"]), str(outside["id"])

	// The unit, the operator and their scoped role, the public client app.
	h := newHelpdesk(t, e, nil)
	h.addToUnit(inID, gid)
	op, opUPN := h.op, h.upn

	// The incident: both users' job titles, and the member taken out.
	for _, id := range []string{inID, outID} {
		e.do("PATCH", "/v1.0/users/"+id, map[string]any{"jobTitle": "corrupted"})
	}
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+inID+"/$ref", nil)

	h.signIn(t)
	dc := h.client
	opts := h.applyOptions(ctx)

	selIn, selOut, selGroup := "users/"+str(inside["userPrincipalName"]), "users/"+str(outside["userPrincipalName"]), "groups/"+str(grp["displayName"])
	// Without a role that lists role assignments, Graph refuses to list
	// them (403): the operator's own memberships name their roles instead
	// (the token carries no wids), and the plan is checked against those.
	want := "users/" + e.get("/v1.0/users/" + outID + "?$select=displayName")["displayName"].(string) + ": not in administrative unit Helpdesk-EU that your User Administrator role is scoped to"
	p := h.plan(t, selIn, selOut, selGroup)
	if p.RolesFrom != RolesFromMemberships || len(p.OutOfScope) != 1 || p.OutOfScope[0].String() != want {
		t.Fatalf("roles from %q, out of scope %+v; want the memberships and %q:\n%s", p.RolesFrom, p.OutOfScope, want, render(p))
	}
	// With Directory Readers as well, Graph lists the role assignments.
	h.grantRole(directoryReadersRole)
	p = h.plan(t, selIn, selOut, selGroup)
	if len(p.OutOfScope) != 1 || p.SignedIn != opUPN || p.RolesFrom != RolesFromGraph {
		t.Fatalf("out of scope = %+v (signed in %q, roles from %q), want only %s; plan:\n%s", p.OutOfScope, p.SignedIn, p.RolesFrom, selOut, render(p))
	}
	if got := p.OutOfScope[0].String(); got != want {
		t.Errorf("note = %q, want %q", got, want)
	}
	if out := render(p); !strings.Contains(out, want) || !strings.Contains(out, "Outside what "+opUPN+" may change") {
		t.Errorf("the rendered plan does not say what lies outside:\n%s", out)
	}
	var outAction *Action
	for i := range p.Actions {
		if p.Actions[i].ID == p.OutOfScope[0].Action {
			outAction = &p.Actions[i]
		}
	}
	if outAction == nil || outAction.Op != OpUpdate || !strings.EqualFold(outAction.Key, outID) {
		t.Fatalf("the note names action %s, not the update of %s", p.OutOfScope[0].Action, outID)
	}

	// Apply refuses the whole plan before the first write.
	_, err := Apply(ctx, p, opts)
	var se *ScopeError
	if !errors.As(err, &se) || len(se.Notes) != 1 || !strings.Contains(err.Error(), "nothing was written") || !strings.Contains(err.Error(), want) {
		t.Fatalf("apply: %v, want a ScopeError naming %s", err, selOut)
	}
	if got := e.get("/v1.0/users/" + inID + "?$select=jobTitle"); got["jobTitle"] != "corrupted" {
		t.Errorf("a refused plan wrote: jobTitle of the user inside the unit is %v", got["jobTitle"])
	}

	// graphsim agrees: the write the pre-check refused is refused by Graph.
	_, err = dc.Do(ctx, outAction.Request.Method, outAction.Request.Path, outAction.Request.Body)
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != 403 {
		t.Errorf("the out-of-scope update sent anyway: %v, want 403 from graphsim", err)
	}

	// The narrowed selection applies and verifies (graphsim accepts every write).
	p = h.plan(t, selIn, selGroup)
	if len(p.OutOfScope) != 0 || p.Empty() {
		t.Fatalf("narrowed plan: out of scope %+v:\n%s", p.OutOfScope, render(p))
	}
	res, err := Apply(ctx, p, opts)
	if err != nil || !res.Complete() {
		t.Fatalf("apply as the operator: %v %+v", err, res)
	}
	if got := e.get("/v1.0/users/" + inID + "?$select=jobTitle"); got["jobTitle"] == "corrupted" {
		t.Errorf("jobTitle not restored")
	}
	if !containsFold(idsOf(e.list("/v1.0/groups/"+gid+"/members?$select=id")), inID) {
		t.Errorf("the member is not back in the group")
	}
	if h.prompts != 1 {
		t.Errorf("signed in %d times, want once", h.prompts)
	}

	// The audit log names the operator as the actor of the restore.
	e.sim.Clock().Advance(time.Hour)
	recs := e.list("/v1.0/auditLogs/directoryAudits?$filter=" + url.QueryEscape("initiatedBy/user/id eq '"+str(op["id"])+"'"))
	found := false
	for _, r := range recs {
		for _, tr := range asSlice(r["targetResources"]) {
			if m, _ := tr.(map[string]any); m != nil && strings.EqualFold(str(m["id"]), inID) {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no audit record of the operator's update of %s (%d records by the operator)", inID, len(recs))
	}
}

// helpdesk is the set-up the delegated scope tests share: an
// administrative unit Helpdesk-EU, an operator holding User Administrator
// scoped to it (and roles over the whole directory, by template id), and
// a public client app (with appProps) granted User.ReadWrite.All,
// Group.ReadWrite.All and Directory.Read.All delegated. signIn signs the
// operator in on it by device code; plan and apply act as them.
type helpdesk struct {
	e       *env
	au, op  map[string]any
	app     map[string]any
	upn     string
	client  *graph.Client
	prompts int // device-code prompts answered
}

func newHelpdesk(t *testing.T, e *env, appProps map[string]any, tenantRoles ...string) *helpdesk {
	t.Helper()
	h := &helpdesk{e: e, upn: "helpdesk.op@" + e.sim.Tenant().Domain()}
	h.au = e.post("/v1.0/directory/administrativeUnits", map[string]any{"displayName": "Helpdesk-EU"})
	h.op = e.post("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Helpdesk operator", "mailNickname": "helpdesk.op",
		"userPrincipalName": h.upn, "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
	e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": h.op["id"], "roleDefinitionId": userAdminRole,
		"directoryScopeId": "/administrativeUnits/" + str(h.au["id"])})
	for _, role := range tenantRoles {
		h.grantRole(role)
	}
	body := map[string]any{"displayName": "entrasnap restore", "isFallbackPublicClient": true}
	for k, v := range appProps {
		body[k] = v
	}
	h.app = e.post("/v1.0/applications", body)
	e.post("/v1.0/servicePrincipals", map[string]any{"appId": h.app["appId"]})
	if err := e.sim.Tenant().GrantDelegated(str(h.app["appId"]), "User.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	return h
}

// addToUnit makes the directory objects ids members of the unit.
func (h *helpdesk) addToUnit(ids ...string) {
	for _, id := range ids {
		h.e.do("POST", "/v1.0/directory/administrativeUnits/"+str(h.au["id"])+"/members/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id})
	}
}

// grantRole gives the operator role (a template id) over the whole directory.
func (h *helpdesk) grantRole(role string) {
	h.e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": h.op["id"], "roleDefinitionId": role, "directoryScopeId": "/"})
}

// signIn signs the operator in on the app (graphsim over TLS, as
// azidentity requires).
func (h *helpdesk) signIn(t *testing.T) {
	t.Helper()
	ts := httptest.NewTLSServer(h.e.sim)
	t.Cleanup(ts.Close)
	var err error
	h.client, err = live.Connection{Auth: live.AuthDeviceCode, TenantID: h.e.sim.TenantID(), ClientID: str(h.app["appId"]), GraphURL: ts.URL,
		AuthorityHost: ts.URL, HTTPClient: ts.Client(), Sleep: simtest.Sleep(h.e.sim),
		Prompt: func(_ context.Context, code live.DeviceCode) error {
			h.prompts++
			return h.e.sim.ApproveDeviceCode(code.UserCode, h.upn)
		}}.Client()
	if err != nil {
		t.Fatal(err)
	}
}

// plan loads and computes the plan of sel at the first snapshot as the operator.
func (h *helpdesk) plan(t *testing.T, sel ...string) *Plan {
	t.Helper()
	in, err := Load(context.Background(), LoadOptions{Client: h.client, Repo: h.e.repo, Rev: h.e.first, Selectors: sel, Now: h.e.now})
	if err != nil {
		t.Fatalf("load as the operator: %v", err)
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// applyOptions apply a plan as the operator.
func (h *helpdesk) applyOptions(ctx context.Context) ApplyOptions {
	return ApplyOptions{Client: h.client, Repo: h.e.repo, Token: h.client.BearerToken(ctx), Sleep: simtest.Sleep(h.e.sim), Record: h.e.recordWith(h.client), ConsistencyTimeout: time.Minute}
}

// plainUser reports whether a user is cloud-only and holds no directory role.
func (e *env) plainUser() func(u map[string]any) bool {
	admins := map[string]bool{}
	for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments?$select=principalId") {
		admins[strings.ToLower(str(a["principalId"]))] = true
	}
	return func(u map[string]any) bool {
		return u["onPremisesSyncEnabled"] != true && !admins[strings.ToLower(str(u["id"]))] && str(u["userPrincipalName"]) != ""
	}
}

func idsOf(list []map[string]any) []any {
	var out []any
	for _, m := range list {
		out = append(out, m["id"])
	}
	return out
}

// TestOutOfScopeReasons checks each reason outOfScope gives, from plain values.
func TestOutOfScopeReasons(t *testing.T) {
	unit := ScopedRole{Role: "User Administrator", Scope: "/administrativeUnits/au1", Unit: "Helpdesk-EU",
		Members: map[string]bool{"u-in": true, "g-in": true}}
	p := &Plan{Names: map[string]string{"u-out": "Carol"}, Actions: []Action{
		{ID: "1", Kind: "users", Key: "u-in", Name: "Bob", Op: OpUpdate},
		{ID: "2", Kind: "users", Key: "u-out", Name: "Carol", Op: OpUpdate},
		{ID: "3", Kind: "users", Key: "u-new", Name: "Dan", Op: OpCreate},
		{ID: "4", Kind: "users", Key: "u-in", Name: "Bob", Op: OpRestore},
		{ID: "5", Kind: "groups", Key: "g-in", Name: "EU", Op: OpAddLink, Relationship: "members", Target: "u-in"},
		{ID: "6", Kind: "groups", Key: "g-in", Name: "EU", Op: OpAddLink, Relationship: "members", Target: "u-out"},
		{ID: "7", Kind: "conditional-access-policies", Key: "ca", Name: "MFA", Op: OpUpdate},
		{ID: "8", Kind: "users", Key: "u-out", Name: "Carol", Op: OpUpdate, Request: Request{Body: []byte(`{"passwordProfile":{"password":"x"}}`)}},
	}}
	u := &SignedInUser{ID: "op", Name: "op@contoso.com", Roles: []ScopedRole{unit, {Role: "Helpdesk Administrator", Scope: "/"}}}
	got := map[string]string{}
	for _, n := range outOfScope(u, p, nil) {
		got[n.Action] = n.Reason
	}
	want := map[string]string{
		"2": "not in administrative unit Helpdesk-EU that your User Administrator role is scoped to",
		"3": "creating it needs a role over the whole directory: your User Administrator role is scoped to administrative unit Helpdesk-EU",
		"4": "restoring it from the recycle bin needs a role over the whole directory (a deleted object is in no administrative unit): your User Administrator role is scoped to administrative unit Helpdesk-EU",
		"6": "cannot add members to it: Carol is not in administrative unit Helpdesk-EU that your User Administrator role is scoped to",
		"7": "none of your directory roles may update conditional access policies",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("action %s: reason %q, want %q", id, got[id], w)
		}
	}
	for _, id := range []string{"1", "5", "8"} {
		if r, ok := got[id]; ok {
			t.Errorf("action %s is within scope, got %q", id, r)
		}
	}
	if outOfScope(nil, p, nil) != nil {
		t.Error("an app-only token (no signed-in user) is checked against roles")
	}
}

// TestSignedInUserRolesThroughGroup: the roles read for the pre-check
// include those held through a role-assignable group, and a unit scope
// comes with the unit's name and members.
func TestSignedInUserRolesThroughGroup(t *testing.T) {
	sim, srv := startSim(t, graphsim.Options{Profile: "demo", Seed: 1}, nil)
	c := simtest.Client(t, sim, srv, "")
	ctx := context.Background()
	post := func(path string, body any) map[string]any {
		t.Helper()
		r, err := c.Do(ctx, "POST", path, body)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		m, err := decode(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	op := post("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Op", "mailNickname": "op",
		"userPrincipalName": "op@" + sim.Tenant().Domain(), "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
	g := post("/v1.0/groups", map[string]any{"displayName": "Group admins", "mailNickname": "groupadmins", "mailEnabled": false,
		"securityEnabled": true, "isAssignableToRole": true, "groupTypes": []any{}})
	if _, err := c.Do(ctx, "POST", "/v1.0/groups/"+str(g["id"])+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + str(op["id"])}); err != nil {
		t.Fatal(err)
	}
	au := post("/v1.0/directory/administrativeUnits", map[string]any{"displayName": "Helpdesk-EU"})
	if _, err := c.Do(ctx, "POST", "/v1.0/directory/administrativeUnits/"+str(au["id"])+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + str(g["id"])}); err != nil {
		t.Fatal(err)
	}
	post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": g["id"], "roleDefinitionId": "fdd7a751-b60b-444a-984c-02652fe8fa1c", "directoryScopeId": "/"})
	post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": op["id"], "roleDefinitionId": userAdminRole, "directoryScopeId": "/administrativeUnits/" + str(au["id"])})

	// A delegated token's claims (loadSignedInUser reads them unverified;
	// the reads go through graphsim's own token).
	claims, _ := json.Marshal(map[string]any{"idtyp": "user", "oid": op["id"], "upn": "op@x", "scp": "Directory.Read.All"})
	token := "e30." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"
	u, err := loadSignedInUser(ctx, c, token)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range u.Roles {
		got = append(got, r.Role+" at "+r.Scope+" "+r.Unit+fmt.Sprint(len(r.Members)))
	}
	want := []string{"Groups Administrator at / 0", "User Administrator at /administrativeUnits/" + str(au["id"]) + " Helpdesk-EU1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("roles = %q, want %q", got, want)
	}
	if u2, err := loadSignedInUser(ctx, c, sim.Token()); u2 != nil || err != nil {
		t.Errorf("an opaque token: %+v %v, want no signed-in user", u2, err)
	}
}

// TestOutOfScopeRoleAssignableGroups: a role-assignable group is created,
// changed and its members managed only by a Privileged Role or Global
// Administrator over the whole directory (graphsim's rule): a Groups
// Administrator's plan names each such action; a plain group is theirs.
func TestOutOfScopeRoleAssignableGroups(t *testing.T) {
	p := &Plan{Actions: []Action{
		{ID: "1", Kind: "groups", Key: "ra", Name: "Tier 0 admins", Op: OpAddLink, Relationship: "members", Target: "u1"},
		{ID: "2", Kind: "groups", Key: "old-ra", LiveKey: "", Name: "Helpdesk admins", Op: OpCreate},
		{ID: "3", Kind: "groups", Key: "plain", Name: "Staff", Op: OpUpdate},
	}}
	ra := map[string]bool{"ra": true, "old-ra": true}
	groupsAdmin := &SignedInUser{Name: "g@x", Roles: []ScopedRole{{Role: "Groups Administrator", Scope: "/"}}}
	got := map[string]string{}
	for _, n := range outOfScope(groupsAdmin, p, ra) {
		got[n.Action] = n.Reason
	}
	if len(got) != 2 || !strings.Contains(got["1"], "a role-assignable group: only a Privileged Role Administrator or Global Administrator") || got["2"] == "" {
		t.Errorf("Groups Administrator: %q, want actions 1 and 2 refused as role-assignable", got)
	}
	pra := &SignedInUser{Name: "p@x", Roles: []ScopedRole{{Role: "Privileged Role Administrator", Scope: "/"}}}
	if notes := outOfScope(pra, &Plan{Actions: p.Actions[:2]}, ra); len(notes) != 0 {
		t.Errorf("Privileged Role Administrator: %+v, want none", notes)
	}
	unread := &SignedInUser{Name: "h@x", RolesUnread: "no role reads them"}
	q := &Plan{Actions: p.Actions}
	if notes := outOfScope(unread, q, ra); notes != nil || len(q.Warnings) != 1 || !strings.Contains(q.Warnings[0], "not checked against the directory roles of h@x") {
		t.Errorf("roles unread: notes %+v, warnings %q", notes, q.Warnings)
	}
	// From the memberships: refused as from Graph, unless one of the roles
	// could not be named (a directory role Graph does not list): then each
	// is a warning, since that role may allow it.
	members := &SignedInUser{Name: "m@x", RolesFrom: RolesFromMemberships, Roles: []ScopedRole{{Role: "Groups Administrator", Scope: "/"}}}
	if notes := outOfScope(members, &Plan{Actions: p.Actions[:2]}, ra); len(notes) != 2 {
		t.Errorf("memberships: notes %+v, want 2 refusals", notes)
	}
	members.Roles = append(members.Roles, ScopedRole{Role: "role 1b2c", Scope: "/administrativeUnits/u1", Unit: "EU", Unresolved: true})
	q = &Plan{Actions: p.Actions[:2]}
	if notes := outOfScope(members, q, ra); notes != nil || len(q.Warnings) != 3 || !strings.Contains(q.Warnings[0], "(role 1b2c, scoped to administrative unit EU) names a directory role Graph does not list as activated") ||
		!strings.HasPrefix(q.Warnings[1], "not covered by the roles in your memberships: ") {
		t.Errorf("memberships with an unnamed role: notes %+v, warnings %q", notes, q.Warnings)
	}
}
