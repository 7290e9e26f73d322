package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
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

	isPlain := e.plainUser()
	var plain []map[string]any
	for _, u := range e.list("/v1.0/users?$select=id,userPrincipalName,displayName,onPremisesSyncEnabled") {
		if isPlain(u) {
			plain = append(plain, u)
		}
	}
	var grp map[string]any
	if groups := e.plainSecurityGroups(); len(groups) > 0 {
		grp = groups[0]
	}
	if len(plain) < 2 || grp == nil {
		t.Fatal("the demo tenant lacks two plain users or a plain security group")
	}
	inside, outside := plain[0], plain[1]
	inID, outID, gid := str(inside["id"]), str(outside["id"]), str(grp["id"])

	// An app whose tokens carry the user's directory roles (wids).
	h := newHelpdesk(t, e, map[string]any{"groupMembershipClaims": "DirectoryRole"}, groupsAdminRole)
	h.addToUnit(inID)
	opUPN := h.upn

	for _, id := range []string{inID, outID} {
		e.do("PATCH", "/v1.0/users/"+id, map[string]any{"jobTitle": "corrupted"})
	}
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": "corrupted"})

	h.signIn(t)
	sel := []string{"users/" + str(inside["userPrincipalName"]), "users/" + str(outside["userPrincipalName"]), "groups/" + str(grp["displayName"])}

	p := h.plan(t, sel...)
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

	res, err := Apply(ctx, p, h.applyOptions(ctx))
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
	h.grantRole(directoryReadersRole)
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": "corrupted again"})
	p = h.plan(t, sel...)
	if p.RolesFrom != RolesFromGraph || len(p.OutOfScope) != 1 || !strings.EqualFold(p.OutOfScope[0].Name, str(outside["displayName"])) {
		t.Fatalf("with Directory Readers: roles from %q, out of scope %+v:\n%s", p.RolesFrom, p.OutOfScope, render(p))
	}
	if out := render(p); !strings.Contains(out, "Checked against the directory roles of "+opUPN+", as Graph lists their role assignments.") {
		t.Errorf("the rendered plan does not say the roles came from Graph:\n%s", out)
	}
}
