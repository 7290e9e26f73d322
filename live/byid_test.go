package live

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// TestReadOnlyUsersEqualsTheFullRead: users read by id (ReadOptions.Only,
// byid.go) give exactly the full read's files of those users (properties,
// manager, sponsors), none of the others, nothing for an id that is no
// user (deleted, unknown, not a GUID), and cost requests that grow with
// the ids asked, not with the tenant: the same 45 ids in a tenant of 150
// and of 600 users cost the same.
func TestReadOnlyUsersEqualsTheFullRead(t *testing.T) {
	users, _ := layout.Lookup("users")
	kinds := []*layout.Kind{users}
	var costs []int64
	for _, size := range []int{150, 600} {
		sim, c := deltaSim(t, graphsim.Sizes{Users: size, Groups: 10, MembersPerGroup: 20})
		full, _ := readWith(t, &reader{c: c, progress: NoProgress{}}, kinds)
		byKey := pathsByID(full)
		all := slices.Sorted(maps.Keys(byKey))
		if len(all) < 100 {
			t.Fatalf("%d users", len(all))
		}
		// 45 users (every third), among them some with sponsors and some
		// with a manager.
		var ids []string
		sponsors, managers := 0, 0
		for i := 0; i < len(all) && len(ids) < 45; i += 3 {
			b := string(full[byKey[all[i]]])
			ids = append(ids, strings.ToUpper(all[i]))
			if strings.Contains(b, "\nsponsors:\n  -") {
				sponsors++
			}
			if strings.Contains(b, "\nmanager:\n  -") {
				managers++
			}
		}
		if len(ids) < 45 || sponsors == 0 || managers == 0 {
			t.Fatalf("%d ids, %d with sponsors, %d with a manager: the test covers too little", len(ids), sponsors, managers)
		}
		gone := ids[3]
		if _, err := c.Delete(context.Background(), "/v1.0/users/"+gone); err != nil {
			t.Fatal(err)
		}
		asked := append(slices.Clone(ids), "00000000-0000-0000-0000-00000000abcd", "not-a-guid")
		s0 := c.Stats()
		got, res := readWith(t, &reader{c: c, progress: NoProgress{}, only: map[string][]string{"users": asked}}, kinds)
		costs = append(costs, c.Stats().Requests-s0.Requests)
		want := map[string][]byte{}
		for _, id := range ids {
			if id != gone {
				want[byKey[strings.ToLower(id)]] = full[byKey[strings.ToLower(id)]]
			}
		}
		if len(got) != len(want) || res[0].Objects != len(want) {
			t.Errorf("%d users: read %d files (%d objects), want %d", size, len(got), res[0].Objects, len(want))
		}
		for p, b := range want {
			if string(got[p]) != string(b) {
				t.Errorf("%d users: %s differs from the full read:\n%s\nwant\n%s", size, p, got[p], b)
			}
		}
		_ = sim
	}
	if costs[0] != costs[1] {
		t.Errorf("requests for the same ids: %d in the small tenant, %d in the large one", costs[0], costs[1])
	}
	// 45 ids in rounds of 20 (3) plus the sponsors of the users found,
	// 20 per $batch (3 envelopes).
	if costs[0] > 6 {
		t.Errorf("%d requests for 45 ids, want at most 6", costs[0])
	}
}

// TestReadOnlyGroupsAndServicePrincipalsEqualTheFullRead: groups and
// service principals read by id give exactly the full read's files of
// those objects (a group's members and owners, merged from the round's
// slices; a service principal's owners and app role assignments), none
// of the others, nothing for an id that is not of the kind, at a cost
// that does not grow with the tenant.
func TestReadOnlyGroupsAndServicePrincipalsEqualTheFullRead(t *testing.T) {
	for _, kind := range []string{"groups", "service-principals"} {
		k, _ := layout.Lookup(kind)
		kinds := []*layout.Kind{k}
		var costs []int64
		for _, size := range []int{1, 4} {
			_, c := deltaSim(t, graphsim.Sizes{Users: 100 * size, Groups: 30 * size, MembersPerGroup: 45, Apps: 30 * size})
			full, _ := readWith(t, &reader{c: c, progress: NoProgress{}}, kinds)
			byKey := pathsByID(full)
			all := slices.Sorted(maps.Keys(byKey))
			if len(all) < 25 {
				t.Fatalf("%s: %d objects", kind, len(all))
			}
			// 25 ids: those with members, owners or app role
			// assignments first.
			var ids, rest []string
			related := 0
			for _, id := range all {
				b := string(full[byKey[id]])
				if strings.Contains(b, "\nmembers:\n  -") || strings.Contains(b, "\nowners:\n  -") || strings.Contains(b, "\nappRoleAssignedTo:\n  -") {
					related++
					ids = append(ids, strings.ToUpper(id))
				} else {
					rest = append(rest, strings.ToUpper(id))
				}
			}
			ids = append(ids, rest...)[:25]
			if related < 3 {
				t.Fatalf("%s: %d of the ids asked have members, owners or app role assignments: the test covers too little", kind, related)
			}
			asked := append(slices.Clone(ids), "00000000-0000-0000-0000-00000000abcd", "not-a-guid")
			s0 := c.Stats()
			got, res := readWith(t, &reader{c: c, progress: NoProgress{}, only: map[string][]string{kind: asked}}, kinds)
			costs = append(costs, c.Stats().Requests-s0.Requests)
			want := map[string][]byte{}
			for _, id := range ids {
				want[byKey[strings.ToLower(id)]] = full[byKey[strings.ToLower(id)]]
			}
			if len(got) != len(want) || res[0].Objects != len(want) {
				t.Errorf("%s, size %d: read %d files (%d objects), want %d", kind, size, len(got), res[0].Objects, len(want))
			}
			for p, b := range want {
				if string(got[p]) != string(b) {
					t.Errorf("%s, size %d: %s differs from the full read:\n%s\nwant\n%s", kind, size, p, got[p], b)
				}
			}
		}
		if costs[0] != costs[1] {
			t.Errorf("%s: requests for the same number of ids: %d in the small tenant, %d in the one 4 times larger", kind, costs[0], costs[1])
		}
		t.Logf("%s: %d requests for 25 ids", kind, costs[0])
	}
}

// TestReadOnlyRefusesOtherKinds: Only names kinds byid.go reads.
func TestReadOnlyRefusesOtherKinds(t *testing.T) {
	_, c := deltaSim(t, graphsim.Sizes{Users: 10})
	_, err := Read(context.Background(), ReadOptions{Client: c, Only: map[string][]string{"applications": {"x"}}})
	if err == nil || !strings.Contains(err.Error(), "applications cannot be read by id") {
		t.Errorf("err = %v", err)
	}
}

// pathsByID maps the id of each file's object (its top-level "id:" line)
// to the file's path.
func pathsByID(files map[string][]byte) map[string]string {
	byKey := map[string]string{}
	for p, b := range files {
		for _, l := range strings.Split(string(b), "\n") {
			if id, ok := strings.CutPrefix(l, "id: "); ok {
				byKey[strings.Trim(id, `'"`)] = p
			}
		}
	}
	return byKey
}
