package exporter

// Who changed it (issue 14, part 1). At each export that changes objects,
// the directory audit records since the previous snapshot (less
// AuditMargin, for the log's latency) are read once (live.ReadAudits),
// matched to the objects this snapshot changes, and kept in the snapshot
// as .entrasnap/changes/<snapshot time>.yaml (layout.EncodeChanges), so
// that attribution outlives Graph's retention of 7 or 30 days.
//
//   - A record already kept by an earlier snapshot (the windows overlap by
//     AuditMargin) is not kept again: records are deduplicated by id.
//   - A record that arrives after its snapshot (the log's latency) is kept
//     by the next snapshot that commits: it happened before the previous
//     snapshot (not the first) and names an object the repository holds.
//   - Of a record's modified properties only those the object's file
//     stores are kept (the kind's selected properties, minus volatile and
//     secret ones), never credential material.
//   - Without AuditLog.Read.All (or when the read fails) the export warns
//     once and goes on: attribution is not part of a snapshot's
//     completeness.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/go-git/go-git/v5/plumbing"
)

// AuditMargin is how far before the previous snapshot the audit window
// starts: Microsoft published 2 minutes (95th percentile) and 5 minutes
// (99th) for the audit log's latency; 15 minutes covers both with room.
const AuditMargin = live.AuditMargin

// auditWarningPath names the attribution in a warning.
const auditWarningPath = layout.ChangesDir

// attribution returns the changes file of this snapshot (path and content,
// with the previous snapshot's records when it names the same file; ""
// when there is nothing to keep), this run's records, and a warning when
// the audit log could not be read.
func (o Options) attribution(ctx context.Context, prev *previous, files map[string][]byte, blobs map[string]plumbing.Hash,
	carry []string, start time.Time) (string, []byte, []layout.ChangeRecord, *live.Warning) {
	if o.NoAudit || prev.rev == "" {
		return "", nil, nil, nil // the first snapshot: every object is new, no change to attribute
	}
	changed := map[string]*layout.Kind{} // lower-cased object key → kind
	note := func(p string) {
		if k, key, err := layout.Locate(p); err == nil {
			changed[strings.ToLower(key)] = k
		}
	}
	for p, data := range files {
		if old, ok := prev.blobs[p]; !ok || old != plumbing.ComputeHash(plumbing.BlobObject, data) {
			note(p)
		}
	}
	for p, h := range blobs {
		if old, ok := prev.blobs[p]; !ok || old != h {
			note(p)
		}
	}
	for p := range prev.blobs {
		_, inFiles := files[p]
		_, inBlobs := blobs[p]
		if !inFiles && !inBlobs && !underAny(p, carry) {
			note(p)
		}
	}
	if len(changed) == 0 {
		return "", nil, nil, nil
	}
	log, err := o.Repo.Log(ctx, prev.rev, 1)
	if err != nil || len(log) == 0 {
		return "", nil, nil, nil
	}
	prevTime := layout.SnapshotTime(log[0].Tags, log[0].Time)
	// Records from before the first snapshot explain no change the
	// repository shows: only later snapshots take late records.
	lateOK := !log[0].Parent.IsZero()
	since := prevTime.Add(-AuditMargin)
	recs, err := live.ReadAudits(ctx, o.Client, since, start)
	if err != nil {
		if ctx.Err() != nil {
			return "", nil, nil, nil
		}
		msg := fmt.Sprintf("who changed what is not recorded in this snapshot: %v", err)
		var ue *live.AuditUnavailableError
		if errors.As(err, &ue) {
			msg = fmt.Sprintf("who changed what is not recorded: the directory audit log cannot be read (grant the app %s; the snapshot is complete without it)", live.AuditPermission)
		}
		return "", nil, nil, &live.Warning{Path: auditWarningPath, Message: msg}
	}
	seen, prevFiles := o.keptAuditIDs(ctx, prev, since)
	var known map[string]*layout.Kind // objects of the previous snapshot, built when needed
	var kept []layout.ChangeRecord
	for _, r := range recs {
		if seen[r.ID] {
			continue
		}
		keep := false
		for i := range r.Targets {
			t := &r.Targets[i]
			k := changed[strings.ToLower(t.ID)]
			if k == nil && lateOK && !r.Time.After(prevTime) {
				// Late: it happened before the previous snapshot, whose
				// change it explains.
				if known == nil {
					known = map[string]*layout.Kind{}
					for p := range prev.blobs {
						if kk, key, err := layout.Locate(p); err == nil {
							known[strings.ToLower(key)] = kk
						}
					}
				}
				k = known[strings.ToLower(t.ID)]
			}
			if k == nil {
				t.Properties = nil // an object we do not back up: its name only
				continue
			}
			t.Kind = k.Name
			var explains bool
			if t.Properties, explains = targetProperties(k, t.Properties); explains {
				keep = true
			}
		}
		if keep {
			seen[r.ID] = true
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return "", nil, nil, nil
	}
	layout.SortChanges(kept)
	// A snapshot taken in the same second as the previous one names the
	// same changes file: it holds the previous file's records (decoded by
	// keptAuditIDs; ids are not repeated) and this run's. An unreadable
	// previous file is replaced by this run's records.
	p, all := layout.ChangesPath(start), kept
	if old, ok := prevFiles[p]; ok {
		all = append(old, kept...)
		layout.SortChanges(all)
	}
	return p, layout.EncodeChanges(all), kept, nil
}

// keptAuditIDs are the ids of the records earlier snapshots kept that can
// fall in a window starting at since (files named at or after since), and
// those files' records by path (the ones that could be read).
func (o Options) keptAuditIDs(ctx context.Context, prev *previous, since time.Time) (map[string]bool, map[string][]layout.ChangeRecord) {
	seen, files := map[string]bool{}, map[string][]layout.ChangeRecord{}
	for p := range prev.blobs {
		t, ok := layout.ChangesTime(p)
		if !ok || t.Before(since) {
			continue
		}
		data, err := o.Repo.ReadFile(ctx, prev.rev, p)
		if err != nil {
			continue
		}
		recs, err := layout.DecodeChanges(data)
		if err != nil {
			continue
		}
		files[p] = recs
		for _, r := range recs {
			seen[r.ID] = true
		}
	}
	return seen, files
}

// credentialWords mark a property that may carry credential material,
// whatever the kind declares.
var credentialWords = []string{"password", "secret", "credential", "certificate", "keyvalue", "key description", "keydescription", "token"}

// targetProperties are the modified properties kept of a record's target
// of kind k, and whether the record explains a change of the target's
// file: an update of properties the file does not store (sign-in
// bookkeeping, sync timestamps) explains none.
func targetProperties(k *layout.Kind, props []layout.ChangeProperty) ([]layout.ChangeProperty, bool) {
	kept, whole := storedProperties(k, props)
	return kept, len(props) == 0 || whole || len(kept) > 0
}

// storedProperties keeps the modified properties the kind's files store
// (compared without regard to case: Graph's audit names are often
// PascalCase), never volatile, secret or credential-looking ones. whole
// reports a property named after the object's type, which Graph uses for
// the whole object ("ConditionalAccessPolicy" in "Update conditional
// access policy"): the change is one the file shows, its values (the
// whole object, both sides) are not kept.
func storedProperties(k *layout.Kind, props []layout.ChangeProperty) (out []layout.ChangeProperty, whole bool) {
	typ := k.ODataType[strings.LastIndexByte(k.ODataType, '.')+1:]
	for _, p := range props {
		name := strings.ToLower(strings.TrimSpace(p.Name))
		if typ != "" && strings.EqualFold(name, typ) {
			whole = true
			continue
		}
		if name == "" || strings.ContainsAny(name, " .") {
			continue // "Included Updated Properties", "Group.ObjectID": not properties of the file
		}
		bad := false
		for _, w := range credentialWords {
			if strings.Contains(name, w) {
				bad = true
			}
		}
		for _, list := range [][]string{k.Secret, k.Volatile} {
			for _, s := range list {
				if strings.EqualFold(s, p.Name) || strings.HasPrefix(strings.ToLower(s), name+".") || strings.HasPrefix(strings.ToLower(s), name+"[") {
					bad = true
				}
			}
		}
		if bad {
			continue
		}
		if len(k.Select) > 0 {
			found := false
			for _, s := range k.Select {
				if strings.EqualFold(s, p.Name) {
					found = true
				}
			}
			if !found {
				continue
			}
		}
		out = append(out, p)
	}
	return out, whole
}
