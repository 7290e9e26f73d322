package history

import (
	"context"
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

// Lines are the lines a rendering prints under a change of the object key
// made between the snapshots taken at from and to: one "changed by ..." per
// record (safe for a terminal), or NoAuditRecord; none when the repository
// keeps no audit records.
func (a *Attribution) Lines(key string, from, to time.Time) []string {
	if a == nil || !a.on {
		return nil
	}
	recs := a.Between(key, from, to)
	if len(recs) == 0 {
		return []string{NoAuditRecord}
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Describe())
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
