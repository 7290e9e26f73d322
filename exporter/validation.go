package exporter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/schemas"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Schema checks of unchanged files (issue 12: the largest CPU cost of a
// day without changes).
//
// The state file keeps, beside the delta links, a record of the schema
// check of the snapshot it is committed with (Checked): the version of
// the schemas and rules (live.SchemaVersion), the kinds all of whose files
// were checked under that version, and every warning of those files. A
// file this run makes whose canonical bytes have the blob id of the same
// path in the previous snapshot, of a kind the record covers under this
// build's version, is not checked again: its schema warnings are the
// recorded ones (live.Validated). A file that changed is checked; a build
// whose schemas differ (another version) checks every file it makes, and
// the files a delta read keeps without making them (Live.Kept) are
// checked from the repository before the record moves to its version.
//
// What a user sees: the same warnings as if every file were checked, on
// every run, including those of files a delta read kept (these were not
// reported at all before the record existed). The record is rewritten
// only with a snapshot that changes files or the delta state (a day
// without changes makes no commit); until then a new build checks every
// file it makes, as before, and reports no warnings of the kept files it
// has no record of.

// Checked is the record of the schema check of a snapshot's files.
type Checked struct {
	// Schemas is live.SchemaVersion of the build that checked the files.
	Schemas string
	// Kinds are the kinds all of whose files were checked, sorted.
	Kinds []string
	// Warnings are those files' warnings by path (files without any are
	// not listed), in the order the check gave them.
	Warnings map[string][]live.Warning
}

func (c *Checked) covers(kind string) bool {
	_, ok := slices.BinarySearch(c.Kinds, kind)
	return ok
}

// validated is the live.Validated of a run whose previous snapshot has
// the blob ids prev and the record st (nil when it cannot be used: none,
// or another build's schemas).
func validated(prev map[string]plumbing.Hash, st *State) live.Validated {
	if st == nil || st.Checked == nil || st.Checked.Schemas != live.SchemaVersion() {
		return nil
	}
	c := st.Checked
	return func(path string, data []byte) ([]live.Warning, bool) {
		h, ok := prev[path]
		if !ok || plumbing.ComputeHash(plumbing.BlobObject, data) != h {
			return nil, false
		}
		k, _, err := layout.Locate(path)
		if err != nil || !c.covers(k.Name) {
			return nil, false
		}
		return c.Warnings[path], true
	}
}

// nextChecked is the record of this run's snapshot, and the warnings of
// the files kept from the previous snapshot (Live.Kept), which this run
// reports too. blobs are the object files of the new snapshot. check says
// whether to check the kept files the previous record does not cover
// (only when the record will be written: see above).
func nextChecked(ctx context.Context, repo *snapshot.Repo, old *State, lv *live.Live, kinds []live.KindResult, blobs map[string]plumbing.Hash, check bool) (*Checked, []live.Warning, error) {
	version := live.SchemaVersion()
	var prev *Checked
	if old != nil && old.Checked != nil && old.Checked.Schemas == version {
		prev = old.Checked
	}
	next := &Checked{Schemas: version, Warnings: map[string][]live.Warning{}}
	complete := map[string]bool{}
	for _, r := range kinds {
		if r.Complete {
			complete[r.Kind] = true
		}
	}
	// This run's files: every warning of a file of a kind read completely.
	for _, w := range lv.Warnings {
		if k, _, err := layout.Locate(w.Path); err == nil && k.Name == w.Kind && complete[k.Name] {
			next.Warnings[w.Path] = append(next.Warnings[w.Path], w)
		}
	}
	keptBy := map[string][]string{}
	for _, p := range lv.Kept {
		if k, _, err := layout.Locate(p); err == nil {
			keptBy[k.Name] = append(keptBy[k.Name], p)
		}
	}
	var keptWarnings []live.Warning
	uncovered := map[string]bool{}
	for name := range complete {
		kept := keptBy[name]
		if len(kept) == 0 {
			next.Kinds = append(next.Kinds, name)
			continue
		}
		if prev != nil && prev.covers(name) {
			for _, p := range kept {
				next.Warnings[p] = prev.Warnings[p]
				keptWarnings = append(keptWarnings, prev.Warnings[p]...)
			}
			next.Kinds = append(next.Kinds, name)
			continue
		}
		if !check {
			uncovered[name] = true
			continue
		}
		ws, err := checkFiles(ctx, repo, name, kept, blobs)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range kept {
			if len(ws[p]) > 0 {
				next.Warnings[p] = ws[p]
				keptWarnings = append(keptWarnings, ws[p]...)
			}
		}
		next.Kinds = append(next.Kinds, name)
	}
	// Kinds carried whole (not read, or not completely): their files are
	// the previous snapshot's, covered as they were.
	if prev != nil {
		for _, name := range prev.Kinds {
			if _, read := complete[name]; read {
				continue
			}
			k, ok := layout.Lookup(name)
			if !ok {
				continue
			}
			next.Kinds = append(next.Kinds, name)
			for p, ws := range prev.Warnings {
				if underAny(p, []string{k.Root()}) {
					next.Warnings[p] = ws
				}
			}
		}
	}
	for p, ws := range next.Warnings {
		if len(ws) == 0 {
			delete(next.Warnings, p)
		}
	}
	sort.Strings(next.Kinds)
	next.Kinds = slices.Compact(next.Kinds)
	return next, keptWarnings, nil
}

// checkFiles checks the files paths of kind (in the new snapshot, by blob
// id) against the kind's schema, as the writer does a file it makes.
func checkFiles(ctx context.Context, repo *snapshot.Repo, kind string, paths []string, blobs map[string]plumbing.Hash) (map[string][]live.Warning, error) {
	sch, err := schemas.For(kind)
	if errors.Is(err, schemas.ErrUnknownKind) {
		return nil, nil // the kind's own warning says it is not checked
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]live.Warning{}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := repo.ReadBlob(ctx, blobs[p])
		if err != nil {
			return nil, fmt.Errorf("reading %s to check it against the schema: %w", p, err)
		}
		obj, err := layout.Decode(data)
		if err != nil {
			out[p] = append(out[p], live.Warning{Path: p, Kind: kind, Message: err.Error()})
			continue
		}
		err = sch.Validate(obj)
		var ve *schemas.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, pr := range ve.Problems {
				out[p] = append(out[p], live.Warning{Path: p, Kind: kind, Property: pr.Path, Message: pr.Message})
			}
		case err != nil:
			out[p] = append(out[p], live.Warning{Path: p, Kind: kind, Message: err.Error()})
		}
	}
	return out, nil
}

// objectsChanged tells whether the object files (blob ids by path) differ
// from the previous snapshot's: then a commit is made, and the state
// (with the record) is written with it.
// Files carried (carry: kinds not read completely) are the same.
func objectsChanged(blobs map[string]plumbing.Hash, prev *previous, carry []string) bool {
	n := 0
	for p, h := range prev.blobs {
		if _, _, err := layout.Locate(p); err != nil || underAny(p, carry) {
			continue
		}
		n++
		if blobs[p] != h {
			return true
		}
	}
	for p := range blobs {
		if _, _, err := layout.Locate(p); err == nil && !underAny(p, carry) {
			n--
		}
	}
	return n != 0
}

// encodeChecked renders the record for the state file.
func encodeChecked(c *Checked) map[string]any {
	kinds := make([]any, len(c.Kinds))
	for i, k := range c.Kinds {
		kinds[i] = k
	}
	ws := map[string]any{}
	for p, list := range c.Warnings {
		items := make([]any, len(list))
		for i, w := range list {
			m := map[string]any{"message": w.Message}
			if w.Property != "" {
				m["property"] = w.Property
			}
			items[i] = m
		}
		ws[p] = items
	}
	return map[string]any{"schemas": c.Schemas, "kinds": kinds, "warnings": ws}
}

// decodeChecked reads the record; nil when it is missing or malformed
// (every file is then checked: the record is only a saving).
func decodeChecked(v any) *Checked {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	c := &Checked{Warnings: map[string][]live.Warning{}}
	if c.Schemas, ok = m["schemas"].(string); !ok || c.Schemas == "" {
		return nil
	}
	kinds, ok := m["kinds"].([]any)
	if !ok && m["kinds"] != nil {
		return nil
	}
	for _, x := range kinds {
		name, ok := x.(string)
		if !ok {
			return nil
		}
		c.Kinds = append(c.Kinds, name)
	}
	sort.Strings(c.Kinds)
	ws, ok := m["warnings"].(map[string]any)
	if !ok && m["warnings"] != nil {
		return nil
	}
	for p, x := range ws {
		k, _, err := layout.Locate(p)
		list, isList := x.([]any)
		if err != nil || !isList {
			return nil
		}
		for _, y := range list {
			e, ok := y.(map[string]any)
			msg, okm := e["message"].(string)
			prop, _ := e["property"].(string)
			if !ok || !okm {
				return nil
			}
			c.Warnings[p] = append(c.Warnings[p], live.Warning{Path: p, Kind: k.Name, Property: prop, Message: msg})
		}
	}
	return c
}
