package exporter

import (
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
)

// A snapshot's commit and tag are dated by the export's clock, the time
// its tag is named after (was: the machine's clock, so a run's tag name and
// commit time could disagree, and `restore --at DATE` and the evidence
// report's gaps read the commit time).
func TestCommitAndTagDatedByTheExportClock(t *testing.T) {
	whenShortOnly(t, "users", "groups") // the dates do not depend on the kinds
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := mustExport(t, c, r, func(o *Options) { o.Now = func() time.Time { return at } })
	if res.Tag != "snapshot/20260102T030405Z" {
		t.Fatalf("tag %s", res.Tag)
	}
	dates := func(format, ref string) []time.Time {
		var out []time.Time
		for _, f := range strings.Fields(git(t, r.Path(), "log", "-1", "--no-walk", "--format="+format, ref)) {
			d, err := time.Parse(time.RFC3339, f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
		}
		return out
	}
	same := func(got []time.Time, want time.Time) bool {
		for _, g := range got {
			if !g.Equal(want) {
				return false
			}
		}
		return len(got) > 0
	}
	if got := dates("%aI %cI", res.Tag); len(got) != 2 || !same(got, at) {
		t.Errorf("author and committer dates %v, want %s", got, at)
	}
	tagDate, err := time.Parse(time.RFC3339, strings.TrimSpace(git(t, r.Path(), "for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/"+res.Tag)))
	if err != nil || !tagDate.Equal(at) {
		t.Errorf("tag date %v %v, want %s", tagDate, err, at)
	}
	// A date given with the author is kept.
	given := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	sim.Tenant().Seed("group", map[string]any{"displayName": "another", "mailEnabled": false, "securityEnabled": true, "mailNickname": "another"})
	res2 := mustExport(t, c, r, func(o *Options) {
		o.Now = func() time.Time { return at.Add(time.Hour) }
		o.Author = snapshot.Signature{Name: "Ada", Email: "ada@contoso.com", When: given}
	})
	if got := dates("%aI %cI", res2.Tag); len(got) != 2 || !same(got, given) {
		t.Errorf("with the author's own date: %v", got)
	}
}
