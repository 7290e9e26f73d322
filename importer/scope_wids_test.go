package importer

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/live"
)

const groupsAdminRole = "fdd7a751-b60b-444a-984c-02652fe8fa1c" // Groups Administrator (template id)

// TestPreCheckFallsBackToTokenWids: an operator holding Groups
// Administrator over the whole directory and User Administrator scoped to
// an administrative unit, with no role that lists role assignments, signs
// in on an app whose tokens carry wids. Graph refuses to list the roles
// (403): the plan is checked against the token's wids instead and says so
// (RolesFrom token, the rendered plan, a warning naming the roles); the
// group's update is covered; the two users' updates are not covered by a
// tenant-wide role, so each is a warning (a unit-scoped role, which wids
// does not list, may allow it), not a refusal. Apply goes ahead: Graph
// allows the user in the unit and refuses the one outside, action by
// action. With Directory Readers as well, the roles come from Graph
// (RolesFrom graph) and the user outside the unit is refused before the
// first write.
func TestPreCheckFallsBackToTokenWids(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()

	admins := map[string]bool{}
	for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments?$select=principalId") {
		admins[strings.ToLower(str(a["principalId"]))] = true
	}
	var plain []map[string]any
	for _, u := range e.list("/v1.0/users?$select=id,userPrincipalName,displayName,onPremisesSyncEnabled") {
		if u["onPremisesSyncEnabled"] != true && !admins[strings.ToLower(str(u["id"]))] && str(u["userPrincipalName"]) != "" {
			plain = append(plain, u)
		}
	}
	var grp map[string]any
	for _, g := range e.list("/v1.0/groups?$select=id,displayName,groupTypes,onPremisesSyncEnabled,membershipRule,isAssignableToRole,securityEnabled,mailEnabled") {
		if g["onPremisesSyncEnabled"] != true && str(g["membershipRule"]) == "" && g["isAssignableToRole"] != true &&
			len(asSlice(g["groupTypes"])) == 0 && g["securityEnabled"] == true && g["mailEnabled"] != true {
			grp = g
			break
		}
	}
	if len(plain) < 2 || grp == nil {
		t.Fatal("the demo tenant lacks two plain users or a plain security group")
	}
	inside, outside := plain[0], plain[1]
	inID, outID, gid := str(inside["id"]), str(outside["id"]), str(grp["id"])

	au := e.post("/v1.0/directory/administrativeUnits", map[string]any{"displayName": "Helpdesk-EU"})
	e.do("POST", "/v1.0/directory/administrativeUnits/"+str(au["id"])+"/members/$ref",
		map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + inID})
	opUPN := "helpdesk.op@" + e.sim.Tenant().Domain()
	op := e.post("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Helpdesk operator", "mailNickname": "helpdesk.op",
		"userPrincipalName": opUPN, "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
	e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": op["id"], "roleDefinitionId": userAdminRole,
		"directoryScopeId": "/administrativeUnits/" + str(au["id"])})
	e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": op["id"], "roleDefinitionId": groupsAdminRole,
		"directoryScopeId": "/"})
	// An app whose tokens carry the user's directory roles (wids).
	app := e.post("/v1.0/applications", map[string]any{"displayName": "entrasnap restore", "isFallbackPublicClient": true,
		"groupMembershipClaims": "DirectoryRole"})
	e.post("/v1.0/servicePrincipals", map[string]any{"appId": app["appId"]})
	if err := e.sim.Tenant().GrantDelegated(str(app["appId"]), "User.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}

	for _, id := range []string{inID, outID} {
		e.do("PATCH", "/v1.0/users/"+id, map[string]any{"jobTitle": "corrupted"})
	}
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": "corrupted"})

	ts := httptest.NewTLSServer(e.sim)
	t.Cleanup(ts.Close)
	dc, err := live.Connection{Auth: live.AuthDeviceCode, TenantID: e.sim.TenantID(), ClientID: str(app["appId"]), GraphURL: ts.URL,
		AuthorityHost: ts.URL, HTTPClient: ts.Client(), Sleep: simtest.Sleep(e.sim),
		Prompt: func(_ context.Context, code live.DeviceCode) error {
			return e.sim.ApproveDeviceCode(code.UserCode, opUPN)
		}}.Client()
	if err != nil {
		t.Fatal(err)
	}
	planAs := func(sel ...string) *Plan {
		t.Helper()
		in, err := Load(ctx, LoadOptions{Client: dc, Repo: e.repo, Rev: e.first, Selectors: sel, Now: e.now})
		if err != nil {
			t.Fatalf("load as the operator: %v", err)
		}
		p, err := Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	sel := []string{"users/" + str(inside["userPrincipalName"]), "users/" + str(outside["userPrincipalName"]), "groups/" + str(grp["displayName"])}

	p := planAs(sel...)
	warnings := strings.Join(p.Warnings, "\n")
	if p.RolesFrom != RolesFromToken || len(p.OutOfScope) != 0 {
		t.Fatalf("roles from %q, out of scope %+v; want the token's roles and warnings only:\n%s", p.RolesFrom, p.OutOfScope, render(p))
	}
	for _, want := range []string{
		"the plan is checked against the directory roles in the sign-in token of " + opUPN + " (its wids claim: Groups Administrator)",
		"not covered by the roles in the token: users/" + str(inside["displayName"]) + ": none of your directory roles may update users",
		"not covered by the roles in the token: users/" + str(outside["displayName"]),
		"hold Directory Readers, Global Reader or Privileged Role Administrator as well",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	if strings.Contains(warnings, "groups/"+str(grp["displayName"])) {
		t.Errorf("the group's update is covered by Groups Administrator, yet warned about:\n%s", warnings)
	}
	if out := render(p); !strings.Contains(out, "Checked against the directory roles of "+opUPN+" as their sign-in token lists them") {
		t.Errorf("the rendered plan does not say where the roles came from:\n%s", out)
	}

	opts := ApplyOptions{Client: dc, Repo: e.repo, Token: dc.BearerToken(ctx), Sleep: simtest.Sleep(e.sim), Record: e.recordWith(dc), ConsistencyTimeout: time.Minute}
	res, err := Apply(ctx, p, opts)
	if err != nil {
		t.Fatalf("apply: %v (a plan checked against the token's roles is not refused for what they do not cover)", err)
	}
	status := map[string]ActionResult{}
	for _, ar := range res.Actions {
		status[strings.ToLower(ar.Key)] = ar
	}
	if a := status[strings.ToLower(inID)]; a.Status != StatusDone {
		t.Errorf("user in the unit: %+v, want done", a)
	}
	if a := status[strings.ToLower(gid)]; a.Status != StatusDone {
		t.Errorf("group: %+v, want done", a)
	}
	if a := status[strings.ToLower(outID)]; a.Status != StatusFailed || a.GraphStatus != 403 {
		t.Errorf("user outside the unit: %+v, want failed with Graph's 403", a)
	}

	// With a role that lists role assignments, Graph is the source again.
	e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": op["id"], "roleDefinitionId": directoryReadersRole, "directoryScopeId": "/"})
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": "corrupted again"})
	p = planAs(sel...)
	if p.RolesFrom != RolesFromGraph || len(p.OutOfScope) != 1 || !strings.EqualFold(p.OutOfScope[0].Name, str(outside["displayName"])) {
		t.Fatalf("with Directory Readers: roles from %q, out of scope %+v:\n%s", p.RolesFrom, p.OutOfScope, render(p))
	}
	if out := render(p); !strings.Contains(out, "Checked against the directory roles of "+opUPN+", as Graph lists their role assignments.") {
		t.Errorf("the rendered plan does not say the roles came from Graph:\n%s", out)
	}
}
