package importer

import (
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// Objects Graph gives a new id when written again are matched by the
// properties the catalog names (layout.Kind.NaturalKey), case-insensitively;
// other kinds by their key.
func TestNaturalKeyFromTheCatalog(t *testing.T) {
	role := map[string]any{"roleDefinitionId": "R-1", "principalId": "P-1", "directoryScopeId": "/"}
	sched := map[string]any{"groupId": "G-1", "principalId": "P-1", "accessId": "member"}
	for _, tc := range []struct {
		kind string
		data map[string]any
		key  string
		want string
	}{
		{"role-assignments", role, "id-1", "r-1|p-1|/"},
		{"role-eligibility-schedules", role, "id-2", "r-1|p-1|/"},
		{timeBoundKind, role, "id-3", "r-1|p-1|/"},
		{groupEligKind, sched, "id-4", "g-1|p-1|member"},
		{groupAssignKind, sched, "id-5", "g-1|p-1|member"},
		{cbaKind, map[string]any{}, "id-6", "configuration"},
		{"groups", map[string]any{"displayName": "X"}, "ABC-Def", "abc-def"},
	} {
		k, ok := layout.Lookup(tc.kind)
		if !ok {
			t.Fatalf("no kind %s", tc.kind)
		}
		if got := naturalKey(k, tc.data, tc.key); got != tc.want {
			t.Errorf("%s: naturalKey = %q, want %q", tc.kind, got, tc.want)
		}
	}
	if got := groupScheduleKey(sched); got != "g-1|p-1|member" {
		t.Errorf("groupScheduleKey = %q", got)
	}
}

// The children written on the objects they name (layout.Child.
// AssignedOnTarget) are the policies' appliesTo that assignNav knows how
// to write; a feature rollout policy's appliesTo is its own.
func TestAssignedOnTargetMatchesAssignNav(t *testing.T) {
	for _, k := range layout.Kinds() {
		for _, ch := range k.Children {
			_, nav := assignNav[k.Name]
			if want := nav && ch.Name == appliesTo; ch.AssignedOnTarget != want {
				t.Errorf("%s.%s: AssignedOnTarget %v, want %v", k.Name, ch.Name, ch.AssignedOnTarget, want)
			}
		}
	}
	for name := range assignNav {
		if _, ok := layout.Lookup(name); !ok {
			t.Errorf("assignNav names %s, not a kind", name)
		}
	}
}
