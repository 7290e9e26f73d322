package exporter

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// seedPermissionCases adds to the demo tenant what needs the property- and
// object-level permissions of an export: a hidden-membership group and
// administrative unit (Member.Read.Hidden) and a user with a leave date
// (User-LifeCycleInfo.Read.All is needed for any user read that selects it).
func seedPermissionCases(t testing.TB, sim *graphsim.Server) {
	t.Helper()
	tn := sim.Tenant()
	u, err := tn.Seed("user", map[string]any{"displayName": "Leaver", "userPrincipalName": "leaver@" + tn.Domain(),
		"mailNickname": "leaver", "accountEnabled": true, "employeeLeaveDateTime": "2030-06-30T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := tn.Seed("group", map[string]any{"displayName": "Board", "mailNickname": "board", "mailEnabled": true,
		"securityEnabled": false, "groupTypes": []any{"Unified"}, "visibility": "HiddenMembership"})
	if err != nil {
		t.Fatal(err)
	}
	au, err := tn.Seed("administrativeUnit", map[string]any{"displayName": "Executives", "visibility": "HiddenMembership"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.SeedLink("group", g, "members", u); err != nil {
		t.Fatal(err)
	}
	if err := tn.SeedLink("administrativeUnit", au, "members", u); err != nil {
		t.Fatal(err)
	}
}

// An app holding exactly the export set `entrasnap kinds --permissions`
// lists reads every kind; without any one of them the export's report
// names the missing permission.
func TestExportWithExactlyTheListedPermissions(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	seedPermissionCases(t, sim)
	srv := newServer(t, sim)
	admin := clientFor(t, sim, srv, sim.Token())
	set := layout.ExportPermissions(layout.Kinds())
	for _, must := range []string{"Member.Read.Hidden", "User-LifeCycleInfo.Read.All", "Directory.Read.All"} {
		if !containsString(set, must) {
			t.Fatalf("the export set %v lacks %s", set, must)
		}
	}
	defaultSet := layout.ExportPermissions(layout.DefaultKinds())
	r := newRepo(t, false)
	exact := clientFor(t, sim, srv, limitedToken(t, sim, admin, srv.URL, set...))
	res := mustExport(t, exact, r, nil)
	if !res.Complete() {
		t.Fatalf("export with exactly %v is incomplete: %+v", set, res.Incomplete())
	}
	for _, p := range set {
		var rest []string
		for _, q := range set {
			if q != p {
				rest = append(rest, q)
			}
		}
		c := clientFor(t, sim, srv, limitedToken(t, sim, admin, srv.URL, rest...))
		kinds := layout.DefaultKinds()
		if !containsString(defaultSet, p) {
			// Only an opt-in kind needs it (users' custom security
			// attribute values): the export names that kind.
			kinds = layout.Kinds()
		}
		// Only the kinds whose reads the report can name p for (a denied
		// read names the kind's permissions as the set grants them): an
		// export of every kind per permission (23 of them) read the
		// other kinds only to pass them by.
		kinds = kindsNeeding(kinds, p, set)
		res := mustExport(t, c, newRepo(t, false), func(o *Options) { o.Kinds = kinds })
		named := false
		var got []string
		for _, k := range res.Incomplete() {
			got = append(got, k.Kind+": "+strings.Join(k.Permissions, ","))
			named = named || containsString(k.Permissions, p)
		}
		if !named {
			t.Errorf("without %s the export's report does not name it (incomplete: %v)", p, got)
		}
	}
	_ = context.Background
}

// kindsNeeding are the kinds among kinds whose read permissions, named as
// set grants them, hold p (but those Graph serves to delegated callers
// only, which an app-only export skips); all of kinds when none does (so that a
// permission no kind declares still fails the test).
func kindsNeeding(kinds []*layout.Kind, p string, set []string) []*layout.Kind {
	var out []*layout.Kind
	for _, k := range kinds {
		if k.DelegatedOnly == "" && containsString(layout.NameInSet(layout.KindReadPermissions(k), set), p) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return kinds
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
