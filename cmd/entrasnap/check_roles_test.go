package main

import (
	"strings"
	"testing"
)

// Role assignments: a scope "/administrativeUnits/{id}" is a reference to
// an administrative unit ("/" is the tenant, not one); a principal or a
// unit deleted since is a warning (Graph keeps listing the assignment for
// days after its principal is deleted), a role definition that is not in
// the snapshot an error.
func TestCheckRoleAssignmentReferences(t *testing.T) {
	f := newDriftFixture(t, nil)
	repo := f.repo

	// The principal of a role assignment, a role-assignable group, is
	// deleted; graphsim (as Graph) still lists the assignment.
	grp := firstFile(t, repo, "groups", "isAssignableToRole: true")
	grpID := ""
	for _, line := range strings.Split(readRepoFile(t, repo, grp), "\n") {
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			grpID = strings.Trim(v, "\"")
		}
	}
	ra := firstFile(t, repo, "roles/assignments", "principalId: \""+grpID+"\"")
	histDo(t, &f.histFixture, "DELETE", "/v1.0/groups/"+grpID, nil)
	histExport(t, &f.histFixture, "group deleted")
	if !strings.Contains(readRepoFile(t, repo, ra), grpID) {
		t.Fatalf("the assignment of the deleted group is not in the snapshot: %s", ra)
	}
	code, out, errOut := runCLI(t, "check", "--repo", repo)
	if code != exitOK || !strings.Contains(out, ra) || !strings.Contains(out, "principalId: "+grpID+" names no object in the snapshot") ||
		!strings.Contains(out, "Graph keeps listing a role assignment") {
		t.Fatalf("check with a deleted principal: code %d\n%s\n%s", code, out, errOut)
	}

	// A unit scope naming no unit, and a role definition that is not there.
	scoped := firstFile(t, repo, "roles/assignments", "directoryScopeId: \"/administrativeUnits/")
	const dead = "deadbeef-0000-4000-8000-000000000000"
	editFile(t, repo, scoped, func(s string) string {
		i := strings.Index(s, "/administrativeUnits/") + len("/administrativeUnits/")
		return s[:i] + dead + s[i+36:]
	})
	gitCLI(t, repo, "commit", "-q", "-am", "scope edited")
	code, out, _ = runCLI(t, "check", "--repo", repo)
	if code != exitOK || !strings.Contains(out, scoped) || !strings.Contains(out, "directoryScopeId: "+dead+" names no object in the snapshot (administrative units)") {
		t.Fatalf("check with a scope naming no unit: code %d\n%s", code, out)
	}
	editFile(t, repo, scoped, func(s string) string {
		i := strings.Index(s, "roleDefinitionId: \"") + len("roleDefinitionId: \"")
		return s[:i] + dead + s[i+36:]
	})
	gitCLI(t, repo, "commit", "-q", "-am", "role edited")
	code, out, _ = runCLI(t, "check", "--repo", repo)
	if code != exitError || !strings.Contains(out, "roleDefinitionId: "+dead+" names no object in the snapshot (role definitions): a dangling reference") {
		t.Fatalf("check with a role naming no definition: code %d\n%s", code, out)
	}
}

func readRepoFile(t *testing.T, repo, p string) string {
	t.Helper()
	return gitCLI(t, repo, "show", "HEAD:"+p)
}
