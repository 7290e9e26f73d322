package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// auScopedAssignment finds the demo's role assignment scoped to an
// administrative unit and the unit's id.
func (e *env) auScopedAssignment() (map[string]any, string) {
	e.t.Helper()
	for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments") {
		if au, ok := strings.CutPrefix(str(a["directoryScopeId"]), "/administrativeUnits/"); ok {
			return a, au
		}
	}
	e.t.Fatal("the demo tenant has no role assignment scoped to an administrative unit")
	return nil, ""
}

// An administrative unit that scopes a role assignment is deleted and
// purged with the assignment: restoring both recreates the unit, and the
// assignment's directoryScopeId names the new unit (the plan shows it).
func TestRestoreAssignmentScopedToRecreatedUnit(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ra, au := e.auScopedAssignment()
	e.do("DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+str(ra["id"]), nil)
	e.do("DELETE", "/v1.0/directory/administrativeUnits/"+au, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+au, nil)
	e.recordIncident()
	sel := []string{au, str(ra["id"])}
	p := e.plan(e.first, sel, Options{})
	if opList(p) == "" || !strings.Contains(render(p), "/administrativeUnits/{{new:") {
		t.Fatalf("the plan does not scope the assignment to the new unit:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v", res.Actions, res.Differences)
	}
	newAU, ok := res.IDs.Resolve(au)
	if !ok || strings.EqualFold(newAU, au) {
		t.Fatalf("id map %+v", res.IDs)
	}
	var scopes []string
	for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments") {
		if a["principalId"] == ra["principalId"] && a["roleDefinitionId"] == ra["roleDefinitionId"] {
			scopes = append(scopes, str(a["directoryScopeId"]))
		}
	}
	if len(scopes) != 1 || scopes[0] != "/administrativeUnits/"+newAU {
		t.Fatalf("restored assignment scopes %v, want [/administrativeUnits/%s]", scopes, newAU)
	}
	e.mustBeEmpty(sel, Options{})
}
