// Package drift compares the live tenant with a baseline snapshot, object by
// object (as diff compares two snapshots), and decides with a watch list
// which drift is critical. The caller reads the tenant (live.Read) and
// opens the baseline, so it is tested with plain values.
package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/go-git/go-git/v5/plumbing"
)

// NotChecked is a kind drift could not compare.
type NotChecked struct {
	Kind        string   `json:"kind"`
	Title       string   `json:"title"`
	Reason      string   `json:"reason"`
	Permissions []string `json:"permissions,omitempty"`
	Critical    bool     `json:"critical"`
}

// Report is drift's outcome, rendered as text, markdown or JSON.
type Report struct {
	Baseline, Commit, TenantID, Watch string
	Kinds                             int // kinds compared
	Critical, Other                   *diff.Result
	NotChecked                        []NotChecked
	Unchecked                         []string // the kinds in NotChecked that may hold critical drift
	Notes                             []string
	Skipped                           []diff.Skipped // baseline files that could not be read (left out)
}

// UncheckedError is the verdict when no critical drift was found but
// kinds that may hold it could not be checked (Unchecked); nil otherwise.
func (rep *Report) UncheckedError() error {
	if len(rep.Unchecked) == 0 || rep.Critical != nil && !rep.Critical.Empty() {
		return nil
	}
	return fmt.Errorf("no drift found, but %s could not be checked (see above); fix the cause and run drift again", strings.Join(rep.Unchecked, ", "))
}

// Repo reads the baseline's files (a *snapshot.Repo).
type Repo interface {
	Walk(ctx context.Context, rev, prefix string, fn func(path string, blob plumbing.Hash) error) error
	ReadFile(ctx context.Context, rev, path string) ([]byte, error)
}

// Input is what Compare compares: the live read and the baseline.
type Input struct {
	Baseline, Commit string           // the baseline as given, and its commit id
	Repo             Repo             // reads the baseline's files at Commit
	Index            *history.Index   // the baseline's objects
	Manifest         *layout.Manifest // the baseline's manifest
	Live             *live.Live       // the tenant, as live.Read read it
	Watch            *Watch           // nil: all drift is critical
	WatchFile        string           // the watch list's name, for the report
	RepoDir          string           // the repository's folder, for errors
}

// remedy says what to do about a kind Graph refused: worded by the token
// refused when the reader said (live.KindError.Remedy), or the reader's
// own words for a refusal it made (live.KindError.Worded: the attribute
// sets a role scoped to them reads, the role or permission that reads
// them all).
func remedy(kr live.KindResult) string {
	var ke *live.KindError
	if errors.As(kr.Err, &ke) && ke.Remedy() != "" {
		return ke.Remedy()
	}
	if ke != nil && ke.Worded() != "" {
		return ke.Worded()
	}
	if len(kr.Permissions) > 0 {
		return "grant " + strings.Join(kr.Permissions, " and ") + " to the app entrasnap signs in as"
	}
	return ""
}

// Compare compares the kinds read completely live with the baseline. A
// kind not read completely, or not in the baseline, is not checked (never
// reported as removed). A baseline file that cannot be read is left out of
// both sides (Report.Skipped; the report comes with a later error too).
// A baseline of another tenant is refused.
func Compare(ctx context.Context, in Input) (*Report, error) {
	live, man, watch := in.Live, in.Manifest, in.Watch
	if man.TenantID != "" && live.TenantID != "" && !strings.EqualFold(man.TenantID, live.TenantID) {
		return nil, fmt.Errorf("%s holds snapshots of tenant %s, but Graph answers for tenant %s; give --repo the repository of this tenant", in.RepoDir, man.TenantID, live.TenantID)
	}
	rep := &Report{Baseline: in.Baseline, Commit: in.Commit, TenantID: live.TenantID, Watch: in.WatchFile}
	compared, baseBlobs := map[string]bool{}, map[string]plumbing.Hash{}
	for _, kr := range live.Kinds {
		k, _ := layout.Lookup(kr.Kind)
		if kr.NotLicensed != "" {
			// Not a gap in the check: the tenant has no such objects to drift.
			// Never compared, so the baseline's files are not reported as deleted.
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s are not licensed in this tenant (needs %s): not compared with the baseline's %d", k.Title, kr.NotLicensed, man.Kinds[k.Name].Objects))
			continue
		}
		if kr.Skipped != "" {
			// By design: Graph serves the kind to delegated callers only and
			// the token is app-only. Not compared, never reported as deleted.
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s are served by Graph to delegated callers only: not compared with an app-only token (run drift signed in, --auth device-code, browser or azure-cli, to compare them)", k.Title))
			continue
		}
		if !kr.Complete {
			reason := kr.Reason
			if r := remedy(kr); r != "" {
				reason += "; " + r
			}
			rep.NotChecked = append(rep.NotChecked, NotChecked{Kind: k.Name, Title: k.Title, Reason: reason, Permissions: kr.Permissions})
			continue
		}
		mk, ok := man.Kinds[k.Name]
		if !ok {
			rep.NotChecked = append(rep.NotChecked, NotChecked{Kind: k.Name, Title: k.Title,
				Reason: "the baseline does not hold this kind (it was not exported then)"})
			continue
		}
		if !mk.Complete {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the baseline's %s are carried from an earlier snapshot: they could not be read then (%s)", k.Title, mk.Reason))
		}
		compared[k.Name] = true
		// Only the files that differ are decoded: blob ids of the live
		// files against the baseline's tree.
		err := in.Repo.Walk(ctx, in.Commit, k.Root(), func(p string, blob plumbing.Hash) error {
			if kk, _, err := layout.Locate(p); err == nil && kk == k {
				baseBlobs[p] = blob
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	rep.Kinds = len(compared)
	before, after := map[string][]byte{}, map[string][]byte{}
	for p, data := range live.Files {
		k, _, err := layout.Locate(p)
		if err != nil || !compared[k.Name] {
			continue
		}
		if blob, ok := baseBlobs[p]; !ok || blob != plumbing.ComputeHash(plumbing.BlobObject, data) {
			after[p] = data
		}
	}
	for p, blob := range baseBlobs {
		if data, ok := live.Files[p]; ok && blob == plumbing.ComputeHash(plumbing.BlobObject, data) {
			continue
		}
		data, err := in.Repo.ReadFile(ctx, in.Commit, p)
		if err != nil {
			return nil, err
		}
		before[p] = data
	}
	// A baseline file that cannot be read is left out of both sides (it is
	// neither drift nor "added"), and said so.
	a, skipped := diff.LoadFiles(before)
	rep.Skipped = skipped
	for _, s := range skipped {
		delete(after, s.Path)
		rep.Notes = append(rep.Notes, fmt.Sprintf("not checked: %s could not be read at the baseline", s.Path))
	}
	b, err := diff.Load(after)
	if err != nil {
		return rep, fmt.Errorf("the live tenant: %w", err)
	}
	// A file Graph answered without its bytes ("fileData": null) whose
	// properties are the baseline's is the baseline's file: Graph not
	// returning the bytes is no change of the tenant (layout.SameDocuments;
	// the next export keeps the same PDF, live/termsofuse.go), so a tenant
	// that answers null after answering the bytes is not drift every day.
	for p, o := range b {
		if old := a[p]; old != nil && o.Kind.FileItems != nil {
			layout.SameDocuments(o.Kind, o.Data, old.Data)
		}
	}
	res := diff.Compare(a, b, history.Chain{history.FromFiles(live.Files), in.Index})
	rep.Critical = &diff.Result{Names: res.Names}
	rep.Other = &diff.Result{Names: res.Names}
	for _, c := range res.Changes {
		if watch == nil || watch.critical(c) {
			rep.Critical.Changes = append(rep.Critical.Changes, c)
		} else {
			rep.Other.Changes = append(rep.Other.Changes, c)
		}
	}
	for i := range rep.NotChecked {
		k, _ := layout.Lookup(rep.NotChecked[i].Kind)
		if rep.NotChecked[i].Critical = watch == nil || watch.kindCritical(k, in.Index); rep.NotChecked[i].Critical {
			rep.Unchecked = append(rep.Unchecked, k.Name)
		}
	}
	return rep, nil
}

func (rep *Report) title() string {
	return fmt.Sprintf("%s (%s) → live tenant", rep.Baseline, rep.Commit[:12])
}

// Render writes the report in format (one of diff.Formats; "" is text),
// in colour if color and the format is text.
func (rep *Report) Render(w io.Writer, format string, color bool) error {
	switch format {
	case "", "text":
		return rep.Text(w, color)
	case "markdown":
		return rep.Markdown(w)
	case "json":
		return rep.JSON(w)
	}
	return layout.FormatError(format, diff.Formats...)
}

// Text renders the report for a terminal (colour if color).
func (rep *Report) Text(w io.Writer, color bool) error {
	fmt.Fprintf(w, "Drift: %s, %d %s compared\n", rep.title(), rep.Kinds, map[bool]string{true: "kind", false: "kinds"}[rep.Kinds == 1])
	section := func(heading string, res *diff.Result, none string) error {
		if heading != "" {
			fmt.Fprintf(w, "\n%s\n", heading)
		}
		if res.Empty() {
			fmt.Fprintln(w, none)
			return nil
		}
		return res.Text(w, diff.RenderOptions{Color: color})
	}
	var err error
	if rep.Watch == "" {
		err = section("", rep.Critical, "No drift.")
	} else if err = section("CRITICAL drift (watched in "+rep.Watch+"):", rep.Critical, "none"); err == nil {
		err = section("Drift that is not critical (not watched in "+rep.Watch+"):", rep.Other, "none")
	}
	if err != nil {
		return err
	}
	if len(rep.NotChecked) > 0 {
		fmt.Fprintln(w, "\nNOT CHECKED (nothing is known about these kinds; their objects are not reported as removed):")
		for _, nc := range rep.NotChecked {
			mark := ""
			if rep.Watch != "" && nc.Critical {
				mark = " [watched]"
			}
			fmt.Fprintf(w, "  %s%s: %s\n", nc.Title, mark, layout.Safe(nc.Reason))
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", layout.Safe(n))
	}
	return nil
}

// Markdown renders the report as GitHub-flavoured markdown.
func (rep *Report) Markdown(w io.Writer) error {
	var err error
	if rep.Watch == "" {
		err = rep.Critical.Markdown(w, diff.RenderOptions{Heading: "entrasnap drift", Title: rep.title()})
	} else if err = rep.Critical.Markdown(w, diff.RenderOptions{Heading: "entrasnap drift (critical, watched in " + rep.Watch + ")", Title: rep.title()}); err == nil {
		fmt.Fprintln(w)
		err = rep.Other.Markdown(w, diff.RenderOptions{Heading: "Drift that is not critical", Title: "not watched in " + rep.Watch})
	}
	if err != nil {
		return err
	}
	if len(rep.NotChecked) > 0 {
		fmt.Fprint(w, "\n#### Not checked\n\nNothing is known about these kinds; their objects are not reported as removed.\n\n")
		for _, nc := range rep.NotChecked {
			mark := ""
			if rep.Watch != "" && nc.Critical {
				mark = " (watched)"
			}
			fmt.Fprintf(w, "- **%s**%s: %s\n", nc.Title, mark, diff.MarkdownText(nc.Reason))
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "\n> Note: %s\n", diff.MarkdownText(n))
	}
	return nil
}

// JSON renders the report as one JSON document.
func (rep *Report) JSON(w io.Writer) error {
	var crit, other bytes.Buffer
	if err := rep.Critical.JSON(&crit); err != nil {
		return err
	}
	if err := rep.Other.JSON(&other); err != nil {
		return err
	}
	out := struct {
		Baseline      string          `json:"baseline"`
		Commit        string          `json:"commit"`
		TenantID      string          `json:"tenantId"`
		Watch         string          `json:"watch,omitempty"`
		KindsCompared int             `json:"kindsCompared"`
		Drift         bool            `json:"drift"`
		CriticalDrift bool            `json:"criticalDrift"`
		Critical      json.RawMessage `json:"critical"`
		NotCritical   json.RawMessage `json:"notCritical"`
		NotChecked    []NotChecked    `json:"notChecked"`
		Notes         []string        `json:"notes,omitempty"`
	}{rep.Baseline, rep.Commit, rep.TenantID, rep.Watch, rep.Kinds,
		!rep.Critical.Empty() || !rep.Other.Empty(), !rep.Critical.Empty(), bytes.TrimSpace(crit.Bytes()),
		bytes.TrimSpace(other.Bytes()), append([]NotChecked{}, rep.NotChecked...), rep.Notes}
	return layout.WriteJSON(w, out)
}

// Watch is a watch file (drift --watch): what drift is critical. Resolve
// it against the baseline before Compare.
type Watch struct {
	kinds   map[string]bool
	paths   []string
	objects map[string]bool // lower-case ids
	// selectors are the objects as written, resolved against the baseline
	// by Resolve.
	selectors []string
}

// ParseWatch reads a watch file strictly: only kinds, paths and objects,
// each a list of strings.
func ParseWatch(data []byte) (*Watch, error) {
	v, err := layout.Decode(data)
	if err != nil {
		return nil, err
	}
	strs := func(key string) ([]string, error) {
		raw, ok := v[key]
		if !ok || raw == nil {
			return nil, nil
		}
		list, ok := raw.([]any)
		if !ok {
			if s, ok := raw.(string); ok {
				return []string{s}, nil
			}
			return nil, fmt.Errorf("%s: want a list of strings", key)
		}
		out := make([]string, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("%s[%d]: want a string", key, i)
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, nil
	}
	for key := range v {
		switch key {
		case "kinds", "paths", "objects":
		default:
			return nil, fmt.Errorf("unknown key %q: a watch file lists kinds, paths and objects", key)
		}
	}
	w := &Watch{kinds: map[string]bool{}, objects: map[string]bool{}}
	ks, err := strs("kinds")
	if err != nil {
		return nil, err
	}
	if len(ks) > 0 {
		sel, err := layout.Select(ks)
		if err != nil {
			return nil, fmt.Errorf("kinds: %v", err)
		}
		for _, k := range sel {
			w.kinds[k.Name] = true
		}
	}
	ps, err := strs("paths")
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		p = strings.TrimSuffix(path.Clean(strings.TrimPrefix(p, "./")), "/")
		if p == "." || p == "" {
			return nil, errors.New("paths: \".\" would watch everything; list kinds or folders")
		}
		w.paths = append(w.paths, p)
	}
	ids, err := strs("objects")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		w.objects[strings.ToLower(id)] = true
		w.selectors = append(w.selectors, id)
	}
	if len(w.kinds)+len(w.paths)+len(w.objects) == 0 {
		return nil, errors.New("it names nothing to watch: list kinds, paths or objects")
	}
	return w, nil
}

func (w *Watch) watchesPath(p string) bool {
	if p == "" {
		return false
	}
	for _, q := range w.paths {
		if p == q || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

// critical reports whether a change touches what the list watches.
func (w *Watch) critical(c diff.Change) bool {
	return w.kinds[c.Kind] || w.objects[strings.ToLower(c.Key)] || w.watchesPath(c.Path) || w.watchesPath(c.OldPath)
}

// kindCritical reports whether a kind that could not be checked may hold
// watched drift: the kind is watched, a watched path is in its folder (or
// holds it), or a watched object is of this kind in the baseline.
func (w *Watch) kindCritical(k *layout.Kind, base *history.Index) bool {
	if w.kinds[k.Name] {
		return true
	}
	root := k.Root()
	for _, q := range w.paths {
		if q == root || strings.HasPrefix(q, root+"/") || strings.HasPrefix(root, q+"/") {
			return true
		}
	}
	for id := range w.objects {
		ps, err := base.Lookup(id)
		if err != nil {
			return true // cannot tell: treat as critical
		}
		for _, p := range ps {
			if base.Kind(p) == k {
				return true
			}
		}
	}
	return false
}

// Resolve turns the list's objects (any selector naming one object:
// an id, an alias such as an application's appId, a file path or
// kind/displayName) into the ids of those objects in the baseline. An id
// the baseline does not hold is kept as it is (the object may be new).
func (w *Watch) Resolve(base *history.Index) error {
	for _, s := range w.selectors {
		p, err := history.ResolveOne(base, s)
		if err != nil {
			var se *history.SelectorError
			if errors.As(err, &se) && layout.IsGUID(s) {
				continue
			}
			return fmt.Errorf("objects: %v", err)
		}
		if k := base.Kind(p); k != nil {
			if _, key, err := layout.Locate(p); err == nil {
				w.objects[strings.ToLower(key)] = true
			}
		}
	}
	return nil
}
