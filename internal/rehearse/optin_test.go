package rehearse

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// optInSource is a tenant that holds the opt-in kinds that are state of
// other objects (per-user MFA, custom security attribute values of users
// and service principals), exported into a new repository: the demo
// profile with every kind of the catalog (~15 s) in the full run; under
// -short an empty tenant with a few such objects, hostile values included,
// with those kinds and their owners (optInKinds).
func optInSource(t *testing.T) (*graphsim.Server, *snapshot.Repo, *exporter.Result) {
	t.Helper()
	ctx := context.Background()
	profile := "demo"
	if testing.Short() {
		profile = "empty"
	}
	sim := simtest.New(t, graphsim.Options{Profile: profile, Seed: 1})
	if testing.Short() {
		tn := sim.Tenant()
		hostile := []string{"quote \" and ' and \\", "line\nbreak", "rtl \u202eexe.txt", "emoji 🔐", "../../etc/passwd", strings.Repeat("long ", 60)}
		for i, h := range hostile {
			id, err := tn.Seed("user", map[string]any{"displayName": "User " + h, "userPrincipalName": "u" + string(rune('a'+i)) + "@" + tn.Domain(),
				"accountEnabled": true, "userType": "Member", "mailNickname": "u" + string(rune('a'+i)),
				"customSecurityAttributes": map[string]any{"HR": map[string]any{"@odata.type": "#microsoft.graph.customSecurityAttributeValue",
					"CostCenter": h, "Grade": int64(i), "Grade@odata.type": "#Int32"}}})
			if err != nil {
				t.Fatal(err)
			}
			if st := []string{"enforced", "enabled", "disabled"}[i%3]; st != "disabled" {
				if err := tn.SeedPerObject("user", id, "authentication/requirements", map[string]any{"perUserMfaState": st}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := tn.Seed("user", map[string]any{"displayName": "No values", "userPrincipalName": "plain@" + tn.Domain(), "accountEnabled": true, "userType": "Member"}); err != nil {
			t.Fatal(err)
		}
		if _, err := tn.Seed("servicePrincipal", map[string]any{"displayName": "App " + hostile[2], "appId": "6f1c3a52-2c1e-4f37-9a52-0d7f3c7e1a01",
			"servicePrincipalType": "Application", "accountEnabled": true,
			"customSecurityAttributes": map[string]any{"DataProtection": map[string]any{"@odata.type": "#microsoft.graph.customSecurityAttributeValue",
				"Clearance": hostile[0], "Projects": []any{hostile[3], hostile[1]}, // sorted, as the file keeps them (live/csavalues.go)
				"Projects@odata.type": "#Collection(String)"}}}); err != nil {
			t.Fatal(err)
		}
	}
	srv := simtest.Serve(t, sim)
	c := simtest.Client(t, sim, srv, "")
	repo := simtest.Repo(t, false)
	res, err := exporter.Run(ctx, exporter.Options{Client: c, Repo: repo, Kinds: optInKinds(t), AllowShrink: true, Now: func() time.Time { return sim.Clock().Now() }})
	if err != nil {
		t.Fatal(err)
	}
	return sim, repo, res
}

// optInKinds are the kinds the test exports: every kind of the catalog;
// under -short (where reading every kind, even of an empty tenant, costs
// seconds) the opt-in kinds of state and their owners.
func optInKinds(t *testing.T) []*layout.Kind {
	if !testing.Short() {
		return layout.Kinds()
	}
	ks, err := layout.Select([]string{"organization", "users", "service-principals", "per-user-mfa", layout.UserSecurityAttributes, layout.ServicePrincipalSecurityAttributes})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// A repository that exported every kind of the catalog, the opt-in ones
// that are state of users and service principals too, loads into a
// rehearsal tenant, and that tenant serves the same per-user MFA states and
// custom security attribute values as the tenant exported, through Graph
// under realistic throttling as well as by its Go API,
// and exports back to the same files.
func TestLoadEveryKindServesOptInState(t *testing.T) {
	ctx := context.Background()
	src, repo, res := optInSource(t)
	objects := 0
	for _, k := range res.Kinds {
		if k.Err != nil {
			t.Fatalf("export of %s: %v", k.Kind, k.Err)
		}
		objects += k.Objects
	}
	for _, kind := range []string{"per-user-mfa", layout.UserSecurityAttributes, layout.ServicePrincipalSecurityAttributes} {
		found := false
		for _, k := range res.Kinds {
			found = found || (k.Kind == kind && k.Objects > 0)
		}
		if !found {
			t.Fatalf("the export wrote no %s: the test proves nothing", kind)
		}
	}
	rh, n, err := Load(ctx, repo, "HEAD", graphsim.Options{Seed: 1, Now: simtest.Now, Throttle: "realistic"})
	if err != nil {
		t.Fatal(err)
	}
	if n != objects {
		t.Errorf("loaded %d objects, the export wrote %d", n, objects)
	}
	same := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	st, rt := src.Tenant(), rh.Tenant()
	var csaUser, mfaUser, mfaState string
	for _, u := range st.List("user") {
		id, _ := u["id"].(string)
		if got, want := rt.MFAState(id), st.MFAState(id); got != want {
			t.Errorf("user %s: per-user MFA %q in the rehearsal tenant, %q in the tenant exported", id, got, want)
		} else if want != "disabled" && mfaUser == "" {
			mfaUser, mfaState = id, want
		}
		got, want := rt.CustomSecurityAttributes(id), st.CustomSecurityAttributes(id)
		if !same(got, want) {
			t.Errorf("user %s: custom security attributes %v in the rehearsal tenant, %v in the tenant exported", id, got, want)
		} else if want != nil && csaUser == "" {
			csaUser = id
		}
	}
	spValues := 0
	for _, sp := range st.List("servicePrincipal") {
		id, _ := sp["id"].(string)
		got, want := rt.CustomSecurityAttributes(id), st.CustomSecurityAttributes(id)
		if !same(got, want) {
			t.Errorf("service principal %s: custom security attributes %v in the rehearsal tenant, %v in the tenant exported", id, got, want)
		}
		if want != nil {
			spValues++
		}
	}
	if csaUser == "" || mfaUser == "" || spValues == 0 {
		t.Fatalf("no user with values (%q), with per-user MFA on (%q) or service principal with values (%d)", csaUser, mfaUser, spValues)
	}
	// Through Graph, as a restore reads them (realistic throttling: the
	// client waits as Graph asks).
	srcSrv, rhSrv := simtest.Serve(t, src), simtest.Serve(t, rh)
	sc, rc := simtest.Client(t, src, srcSrv, ""), simtest.Client(t, rh, rhSrv, "")
	for _, p := range []string{"/v1.0/users/" + url.PathEscape(csaUser) + "?$select=id,customSecurityAttributes", "/beta/users/" + url.PathEscape(mfaUser) + "/authentication/requirements"} {
		want, err := sc.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rc.Get(ctx, p)
		if err != nil {
			t.Fatalf("rehearsal tenant: GET %s: %v", p, err)
		}
		var g, w map[string]any
		if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil {
			t.Fatalf("GET %s: %s / %s", p, got, want)
		}
		delete(g, "@odata.context")
		delete(w, "@odata.context")
		if !same(g, w) {
			t.Errorf("GET %s: the rehearsal tenant serves %s, the tenant exported %s", p, got, want)
		}
		if strings.HasSuffix(p, "requirements") && g["perUserMfaState"] != mfaState {
			t.Errorf("GET %s: %s, want perUserMfaState %s", p, got, mfaState)
		}
		if strings.Contains(p, "customSecurityAttributes") && g["customSecurityAttributes"] == nil {
			t.Errorf("GET %s: no values: %s", p, got)
		}
	}
	// And the rehearsal tenant exports back to the same files, the
	// opt-in kinds' included (README: "exports back to byte-identical
	// files").
	again := simtest.Repo(t, false)
	if _, err := exporter.Run(ctx, exporter.Options{Client: rc, Repo: again, Kinds: optInKinds(t), AllowShrink: true, Now: func() time.Time { return rh.Clock().Now() }}); err != nil {
		t.Fatal(err)
	}
	tree := func(r *snapshot.Repo) map[string][]byte {
		t.Helper()
		files, err := r.ReadAll(ctx, "HEAD", "")
		if err != nil {
			t.Fatal(err)
		}
		for p := range files {
			if strings.HasPrefix(p, ".entrasnap/") { // the read's times and delta tokens, not tenant state
				delete(files, p)
			}
		}
		return files
	}
	simtest.SameFiles(t, "the rehearsal tenant exported again", tree(again), tree(repo))
}

// A per-user MFA state or custom security attribute values carried forward
// for a user deleted since they were read belong to no object of the
// snapshot: Load names them (an error without a note function, a note
// with one, and the rest loads).
func TestLoadOptInStateOfAnObjectTheSnapshotLacks(t *testing.T) {
	ctx := context.Background()
	sim := simtest.New(t, graphsim.Options{Profile: "empty", Seed: 1})
	tn := sim.Tenant()
	var ids []string
	for i, name := range []string{"Gone \u202e🔐 \"user\"", "Kept"} {
		id, err := tn.Seed("user", map[string]any{"displayName": name, "userPrincipalName": "u" + string(rune('a'+i)) + "@" + tn.Domain(),
			"accountEnabled": true, "userType": "Member", "mailNickname": "u" + string(rune('a'+i)),
			"customSecurityAttributes": map[string]any{"HR": map[string]any{"@odata.type": "#microsoft.graph.customSecurityAttributeValue", "CostCenter": name}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tn.SeedPerObject("user", id, "authentication/requirements", map[string]any{"perUserMfaState": "enforced"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	srv := simtest.Serve(t, sim)
	c := simtest.Client(t, sim, srv, "")
	repo := simtest.Repo(t, false)
	export := func(names ...string) {
		t.Helper()
		ks, err := layout.Select(names)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exporter.Run(ctx, exporter.Options{Client: c, Repo: repo, Kinds: ks, AllowShrink: true, Now: func() time.Time { return sim.Clock().Now() }}); err != nil {
			t.Fatal(err)
		}
	}
	export("users", "per-user-mfa", layout.UserSecurityAttributes)
	if _, err := c.Delete(ctx, "/v1.0/users/"+ids[0]); err != nil {
		t.Fatal(err)
	}
	export("users") // the opt-in kinds are carried forward
	_, _, err := Load(ctx, repo, "HEAD", graphsim.Options{Seed: 1, Now: simtest.Now})
	for _, w := range []string{"per-user-mfa " + ids[0] + " (of users)", layout.UserSecurityAttributes + " " + ids[0] + " (of users)", "entrasnap export --kinds"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Load without a note: %v, want an error naming %q", err, w)
		}
	}
	if err != nil && strings.Contains(err.Error(), ids[1]) {
		t.Errorf("Load names the user the snapshot holds: %v", err)
	}
	var notes []string
	rh, n, err := Load(ctx, repo, "HEAD", graphsim.Options{Seed: 1, Now: simtest.Now}, func(s string) { notes = append(notes, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "skipped 2 file(s)") || !strings.Contains(notes[0], "per-user-mfa "+ids[0]) {
		t.Errorf("notes %q", notes)
	}
	if n != 5 { // the kept user and the profile's admin, their MFA states, the kept user's values
		t.Errorf("loaded %d objects, want 5", n)
	}
	if st := rh.Tenant().MFAState(ids[1]); st != "enforced" {
		t.Errorf("the kept user's per-user MFA: %q", st)
	}
	if v := rh.Tenant().CustomSecurityAttributes(ids[1]); v == nil {
		t.Error("the kept user has no values in the rehearsal tenant")
	}
	if _, ok := rh.Tenant().Get("user", ids[0]); ok {
		t.Error("the deleted user is in the rehearsal tenant")
	}
}
