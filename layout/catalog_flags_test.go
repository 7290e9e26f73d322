package layout

import (
	"slices"
	"strings"
	"testing"
)

// What rehearse and check once decided by kind name is catalog data: the
// children a rehearsal seeds inside their parent, the children whose
// references are settings, and strict references outside a child.
func TestChildFlagsInTheCatalog(t *testing.T) {
	var seeded, settings []string
	for _, k := range Kinds() {
		for _, ch := range k.Children {
			if ch.SeededWithParent {
				seeded = append(seeded, k.Name+"."+ch.Name)
			}
			if ch.RefsAreSettings {
				settings = append(settings, k.Name+"."+ch.Name)
				if ch.Refs {
					t.Errorf("%s.%s: a child of references cannot hold settings", k.Name, ch.Name)
				}
			}
		}
		for _, r := range k.Refs {
			first, _, _ := strings.Cut(strings.SplitN(r.Path, "[", 2)[0], ".")
			if r.Strict && slices.ContainsFunc(k.Children, func(ch Child) bool { return ch.Name == first }) {
				t.Errorf("%s %s: Strict is for a reference outside a child (a child's are strict already)", k.Name, r.Path)
			}
		}
	}
	wantSeeded := []string{"authentication-strengths.combinationConfigurations", "permission-grant-policies.includes", "permission-grant-policies.excludes", "user-flows.userAttributeAssignments", "lifecycle-workflows.tasks", "access-package-catalogs.resources", "access-packages.resourceRoleScopes"}
	slices.Sort(seeded)
	slices.Sort(wantSeeded)
	if !slices.Equal(seeded, wantSeeded) {
		t.Errorf("children seeded with the parent: %q, want %q", seeded, wantSeeded)
	}
	if !slices.Equal(settings, []string{"lifecycle-workflows.tasks"}) {
		t.Errorf("children whose references are settings: %q", settings)
	}
}

// The kinds a restore plan reads beside a kind, to plan it right, are
// declared on the kind (once a table in the importer): each names another
// kind of the catalog.
func TestAdvisoryReadsInTheCatalog(t *testing.T) {
	got := map[string][]string{}
	for _, k := range Kinds() {
		for _, a := range k.AdvisoryReads {
			if lk, ok := Lookup(a); !ok || lk == k {
				t.Errorf("%s: advisory read %q is not another kind of the catalog", k.Name, a)
			}
		}
		if len(k.AdvisoryReads) > 0 {
			got[k.Name] = k.AdvisoryReads
		}
	}
	want := map[string][]string{"groups": {"group-assignment-schedules"},
		"role-definitions":                      {"role-assignments", "role-eligibility-schedules", "time-bound-role-assignments"},
		"user-flow-connections":                 {"identity-providers", "api-connectors"},
		"user-security-attributes":              {"custom-security-attributes"},
		"service-principal-security-attributes": {"custom-security-attributes"}}
	if len(got) != len(want) {
		t.Errorf("advisory reads %q, want %q", got, want)
	}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s: advisory reads %q, want %q", k, got[k], w)
		}
	}
}

// The kinds a restore plan reads whenever a planned object references them
// are declared on the kind (once a list in the importer): exactly these,
// each referenced by some kind of the catalog (else the flag reads
// nothing). importer TestReadWhenReferencedIsWhatLoadReads holds the
// behaviour to it.
func TestReadWhenReferencedInTheCatalog(t *testing.T) {
	referenced := map[string]bool{}
	for _, k := range Kinds() {
		for _, r := range k.Refs {
			for _, rk := range r.Kinds {
				referenced[rk] = true
			}
		}
	}
	var got []string
	for _, k := range Kinds() {
		if !k.ReadWhenReferenced {
			continue
		}
		got = append(got, k.Name)
		if !referenced[k.Name] {
			t.Errorf("%s is read when referenced, but no kind's Refs name it", k.Name)
		}
	}
	want := []string{"named-locations", "authentication-strengths", "directory-roles"}
	if !slices.Equal(got, want) {
		t.Errorf("kinds read when referenced %q, want %q", got, want)
	}
}
