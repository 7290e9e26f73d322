// Package drift compares the live tenant with a baseline snapshot, object by
// object (as diff compares two snapshots), and decides with a watch list
// which drift is critical. It reads nothing itself: the caller reads the
// tenant (exporter.Read) and opens the baseline, so it is tested with plain
// values.
package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
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
	Baseline   string
	Commit     string
	TenantID   string
	Watch      string
	Kinds      int // kinds compared
	Critical   *diff.Result
	Other      *diff.Result
	NotChecked []NotChecked
	Notes      []string
	Skipped    []diff.Skipped // baseline files that could not be read (left out)
}

// Unchecked lists the kinds that could not be checked and may hold
// critical drift.
func (rep *Report) Unchecked() []string {
	var names []string
	for _, nc := range rep.NotChecked {
		if nc.Critical {
			names = append(names, nc.Kind)
		}
	}
	return names
}

// Repo reads the baseline's files (a *snapshot.Repo).
type Repo interface {
	Walk(ctx context.Context, rev, prefix string, fn func(path string, blob plumbing.Hash) error) error
	ReadFile(ctx context.Context, rev, path string) ([]byte, error)
}

// Input is what Compare compares: the live read and the baseline.
type Input struct {
	Baseline, Commit string             // the baseline as given, and its commit id
	Repo             Repo               // reads the baseline's files at Commit
	Index            *history.Index     // the baseline's objects
	Manifest         *exporter.Manifest // the baseline's manifest
	Live             *exporter.Live     // the tenant, as exporter.Read read Kinds
	Kinds            []*layout.Kind
	Watch            *Watch // nil: all drift is critical
	WatchFile        string // the watch list's name, for the report
}

// Compare compares the kinds read completely live with the baseline. A
// kind the tenant is not licensed for is not compared (a note says so); a
// kind not read completely, or not in the baseline, is not checked and its
// objects are never reported as removed. A baseline file that cannot be
// read is left out of both sides (Report.Skipped, returned with the error
// too if the live files then cannot be decoded).
func Compare(ctx context.Context, in Input) (*Report, error) {
	live, man, watch := in.Live, in.Manifest, in.Watch
	rep := &Report{Baseline: in.Baseline, Commit: in.Commit, TenantID: live.TenantID, Watch: in.WatchFile}
	compared := map[string]bool{}
	for _, kr := range live.Kinds {
		k, _ := layout.Lookup(kr.Kind)
		if kr.NotLicensed != "" {
			// Not a gap in the check: the tenant has no such objects to
			// drift. Never compared, so the baseline's files are not
			// reported as deleted.
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s are not licensed in this tenant (needs %s): not compared with the baseline's %d", k.Title, kr.NotLicensed, man.Kinds[k.Name].Objects))
			continue
		}
		if !kr.Complete {
			reason := kr.Reason
			if len(kr.Permissions) > 0 {
				reason += "; grant " + strings.Join(kr.Permissions, " and ") + " to the app entrasnap signs in as"
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
	}
	rep.Kinds = len(compared)

	// Only the files that differ are decoded: blob ids of the live files
	// against the baseline's tree.
	baseBlobs := map[string]plumbing.Hash{}
	for _, k := range in.Kinds {
		if !compared[k.Name] {
			continue
		}
		err := in.Repo.Walk(ctx, in.Commit, kindRoot(k), func(p string, blob plumbing.Hash) error {
			if kk, _, err := layout.Locate(p); err == nil && kk == k {
				baseBlobs[p] = blob
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
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
		rep.NotChecked[i].Critical = watch == nil || watch.kindCritical(k, in.Index)
	}
	return rep, nil
}

// kindRoot is the repository path holding a kind's files.
func kindRoot(k *layout.Kind) string {
	if k.Singleton {
		return k.Folder + ".yaml"
	}
	return k.Folder
}

func (rep *Report) title() string {
	return fmt.Sprintf("%s (%s) → live tenant", rep.Baseline, rep.Commit[:12])
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
	} else {
		if err = section("CRITICAL drift (watched in "+rep.Watch+"):", rep.Critical, "none"); err == nil {
			err = section("Drift that is not critical (not watched in "+rep.Watch+"):", rep.Other, "none")
		}
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
			fmt.Fprintf(w, "  %s%s: %s\n", nc.Title, mark, nc.Reason)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
	return nil
}

// Markdown renders the report as GitHub-flavoured markdown.
func (rep *Report) Markdown(w io.Writer) error {
	var err error
	if rep.Watch == "" {
		err = rep.Critical.Markdown(w, diff.RenderOptions{Heading: "entrasnap drift", Title: rep.title()})
	} else {
		err = rep.Critical.Markdown(w, diff.RenderOptions{Heading: "entrasnap drift (critical, watched in " + rep.Watch + ")", Title: rep.title()})
		if err == nil {
			fmt.Fprintln(w)
			err = rep.Other.Markdown(w, diff.RenderOptions{Heading: "Drift that is not critical", Title: "not watched in " + rep.Watch})
		}
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
			fmt.Fprintf(w, "- **%s**%s: %s\n", nc.Title, mark, strings.ReplaceAll(nc.Reason, "`", "'"))
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "\n> Note: %s\n", n)
	}
	return nil
}

// JSON renders the report as one JSON document.
func (rep *Report) JSON(w io.Writer) error {
	raw := func(res *diff.Result) (json.RawMessage, error) {
		var b bytes.Buffer
		if err := res.JSON(&b); err != nil {
			return nil, err
		}
		return json.RawMessage(bytes.TrimSpace(b.Bytes())), nil
	}
	crit, err := raw(rep.Critical)
	if err != nil {
		return err
	}
	other, err := raw(rep.Other)
	if err != nil {
		return err
	}
	nc := rep.NotChecked
	if nc == nil {
		nc = []NotChecked{}
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
		NotChecked    []NotChecked    `json:"NotChecked"`
		Notes         []string        `json:"notes,omitempty"`
	}{rep.Baseline, rep.Commit, rep.TenantID, rep.Watch, rep.Kinds,
		!rep.Critical.Empty() || !rep.Other.Empty(), !rep.Critical.Empty(), crit, other, nc, rep.Notes}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
