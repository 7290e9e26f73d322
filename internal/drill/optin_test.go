package drill

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// A rehearsal of a repository that holds the opt-in kinds that are state
// of users (per-user MFA, custom security attribute values), one of them
// carried forward for a user deleted since: the snapshot loads (the
// orphans named in the progress, not a failure), the bulk corruption of
// the users is restored and verified (under realistic throttling but with
// -short), and the rehearsal tenant keeps every user's state as the files
// hold it.
func TestRehearsalOfOptInStateOfUsers(t *testing.T) {
	ctx := context.Background()
	sim := simtest.New(t, graphsim.Options{Profile: "empty", Seed: 1})
	tn := sim.Tenant()
	states := []string{"enforced", "enabled", "disabled"}
	var ids []string
	for i, name := range []string{"Gone", "O'Brien \"x\" \u202e🔐", "../../etc", "Plain"} {
		id, err := tn.Seed("user", map[string]any{"displayName": name, "userPrincipalName": "u" + string(rune('a'+i)) + "@" + tn.Domain(),
			"accountEnabled": true, "userType": "Member", "mailNickname": "u" + string(rune('a'+i)), "department": "Dept " + name,
			"customSecurityAttributes": map[string]any{"HR": map[string]any{"@odata.type": "#microsoft.graph.customSecurityAttributeValue", "CostCenter": name + "\nline"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tn.SeedPerObject("user", id, "authentication/requirements", map[string]any{"perUserMfaState": states[i%3]}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	c := simtest.Client(t, sim, simtest.Serve(t, sim), "")
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
	export("organization", "users", "per-user-mfa", layout.UserSecurityAttributes)
	if _, err := c.Delete(ctx, "/v1.0/users/"+ids[0]); err != nil {
		t.Fatal(err)
	}
	export("users") // the opt-in kinds carried forward, the deleted user's too

	var tenant *graphsim.Server
	o := testOptions(repo, &tenant)
	var progress bytes.Buffer
	o.Progress, o.Scenarios = &progress, []string{"user-attributes-corrupted"}
	if o.Throttle = "realistic"; testing.Short() {
		o.Throttle = "off" // realistic throttling costs ~5 s here; the plain test phase runs it
	}
	rec, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if len(rec.Scenarios) != 1 || rec.Passed != 1 || rec.Scenarios[0].Objects != 4 { // the three kept users and the profile's admin
		t.Errorf("scenarios %+v\n%s", rec.Scenarios, progress.String())
	}
	if p := progress.String(); !strings.Contains(p, "per-user-mfa "+ids[0]+" (of users)") || !strings.Contains(p, "skipped 2 file(s)") {
		t.Errorf("the progress does not name the state of the deleted user:\n%s", p)
	}
	// The record says so too (it outlives the progress): in the file, the
	// commit message and the table.
	if len(rec.Notes) != 1 || !strings.Contains(rec.Notes[0], "skipped 2 file(s)") || !strings.Contains(rec.Notes[0], "per-user-mfa "+ids[0]) {
		t.Errorf("the record's notes: %q", rec.Notes)
	}
	back, err := layout.DecodeRehearsal(rec.Encode())
	if err != nil || len(back.Notes) != 1 || back.Notes[0] != layout.RehearsalDetail(rec.Notes[0]) {
		t.Errorf("the notes read back: %q, %v", back.Notes, err)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, rec); err != nil || !strings.Contains(table.String(), "note: ") || !strings.Contains(Message(rec), "note: ") {
		t.Errorf("the table and the message do not carry the note:\n%s\n%s", table.String(), Message(rec))
	}
	rt := tenant.Tenant()
	for i, id := range ids[1:] {
		if got, want := rt.MFAState(id), states[(i+1)%3]; got != want {
			t.Errorf("user %s: per-user MFA %q after the rehearsal, want %q", id, got, want)
		}
		if got, want := rt.CustomSecurityAttributes(id), tn.CustomSecurityAttributes(id); got == nil || got["HR"].(map[string]any)["CostCenter"] != want["HR"].(map[string]any)["CostCenter"] {
			t.Errorf("user %s: values %v after the rehearsal, want %v", id, got, want)
		}
		if u, _ := rt.Get("user", id); u["department"] == corrupted {
			t.Errorf("user %s: still corrupted", id)
		}
	}
}
