package history

import (
	"context"
	"fmt"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// NoAuditRecord is what a change without an audit record says.
const NoAuditRecord = "no audit record (older than the audit log's retention, made before who-changed-it was recorded, or not yet in the log: the next export picks late records up)"

// Attribution is who changed what: the directory audit records the
// repository keeps in .entrasnap/changes (exporter, layout.EncodeChanges).
// A record explains the change of a snapshot when it names the object and
// happened after the snapshot before it and at or before it: records that
// reached the log late are kept by a later snapshot, so they are read from
// the newest revisions given.
type Attribution struct {
	recs []layout.ChangeRecord
	on   bool // the repository keeps audit records at all
}

// LoadAttribution reads the changes files at each revision (unreadable
// ones are skipped: attribution is commentary, never a reason to fail).
func LoadAttribution(ctx context.Context, r *snapshot.Repo, revs ...string) *Attribution {
	a := &Attribution{}
	seen := map[string]bool{}
	for _, rev := range revs {
		files, err := r.ReadAll(ctx, rev, layout.ChangesDir)
		if err != nil {
			continue
		}
		for _, data := range files {
			a.on = true
			recs, err := layout.DecodeChanges(data)
			if err != nil {
				continue
			}
			for _, rc := range recs {
				if !seen[rc.ID] {
					seen[rc.ID] = true
					a.recs = append(a.recs, rc)
				}
			}
		}
	}
	layout.SortChanges(a.recs)
	return a
}

// Between are the records naming the object key in (from, to], oldest first.
func (a *Attribution) Between(key string, from, to time.Time) []layout.ChangeRecord {
	var out []layout.ChangeRecord
	for _, r := range a.recs {
		if r.Time.After(from) && !r.Time.After(to) && r.Names(key) {
			out = append(out, r)
		}
	}
	return out
}

// MaxAttributionLines is how many "changed by" lines Lines gives one
// change at most; the rest are counted in a last line.
const MaxAttributionLines = 8

// Lines are the lines a rendering prints under a change of the object key
// made between the snapshots taken at from and to (safe for a terminal):
// one "changed by ..." per run of records with the same actor and activity
// (a group whose members a sync job changed 300 times gets one line, with
// the count and the first and last time, not 300), at most
// MaxAttributionLines of them and a line counting the rest; or
// NoAuditRecord; none when the repository keeps no audit records.
func (a *Attribution) Lines(key string, from, to time.Time) []string {
	if a == nil || !a.on {
		return nil
	}
	recs := a.Between(key, from, to)
	if len(recs) == 0 {
		return []string{NoAuditRecord}
	}
	type run struct {
		first, last layout.ChangeRecord
		n           int
	}
	var runs []run
	for _, r := range recs {
		if k := len(runs) - 1; k >= 0 && runs[k].last.Actor == r.Actor && runs[k].last.Activity == r.Activity {
			runs[k].last, runs[k].n = r, runs[k].n+1
			continue
		}
		runs = append(runs, run{first: r, last: r, n: 1})
	}
	out := make([]string, 0, min(len(runs), MaxAttributionLines+1))
	for i, g := range runs {
		if i == MaxAttributionLines {
			rest := 0
			for _, g := range runs[i:] {
				rest += g.n
			}
			out = append(out, fmt.Sprintf("and %d more audit records", rest))
			break
		}
		if g.n == 1 {
			out = append(out, g.first.Describe())
			continue
		}
		const stamp = "2006-01-02 15:04 UTC"
		first, last := g.first.Time.UTC(), g.last.Time.UTC()
		when := first.Format(stamp) + " to " + last.Format(stamp)
		switch {
		case first.Format(stamp) == last.Format(stamp):
			when = first.Format(stamp)
		case first.Format("2006-01-02") == last.Format("2006-01-02"):
			when = first.Format("2006-01-02 15:04") + " to " + last.Format("15:04 UTC")
		}
		out = append(out, fmt.Sprintf("changed by %s, %s, %s (%d times)", layout.Safe(g.first.Actor.Describe()), when, layout.Safe(g.first.Activity), g.n))
	}
	return out
}

// snapshotTimeOf is the snapshot time of revision rev.
func snapshotTimeOf(ctx context.Context, r *snapshot.Repo, rev string) (time.Time, bool) {
	log, err := r.Log(ctx, rev, 1)
	if err != nil || len(log) == 0 {
		return time.Time{}, false
	}
	return layout.SnapshotTime(log[0].Tags, log[0].Time), true
}

// Attribution returns the lines diff renderings print under each change
// (diff.RenderOptions.Attribution): the records between the two snapshots
// compared, read from the newer revision and from HEAD (late records).
// It returns nil when the repository keeps no audit records.
func (c *Comparison) Attribution(ctx context.Context, r *snapshot.Repo) func(diff.Change) []string {
	from, ok1 := snapshotTimeOf(ctx, r, c.From)
	to, ok2 := snapshotTimeOf(ctx, r, c.To)
	if !ok1 || !ok2 || !from.Before(to) {
		return nil
	}
	a := LoadAttribution(ctx, r, "HEAD", c.To)
	if !a.on {
		return nil
	}
	return func(ch diff.Change) []string { return a.Lines(ch.Key, from, to) }
}
