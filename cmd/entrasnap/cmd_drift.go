package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/urfave/cli/v2"
)

func driftCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "drift",
		Usage: "compare the live tenant with a snapshot, object by object, without committing",
		Description: `drift reads the tenant exactly as export does (the same requests, the same
canonical files) but commits nothing, and compares it with the baseline
snapshot (default: HEAD, the latest snapshot) as diff does: added, removed
and changed objects with their changed properties, ids shown with names.

A kind that cannot be read completely (a missing permission, errors that
outlast the retries) is reported as NOT CHECKED: nothing is known about it,
and its objects are never reported as removed. A kind the baseline does not
hold (it was not exported then) is not checked either.

--watch FILE makes only some drift critical, so that CI alerts on what
matters. FILE is YAML listing kinds (names or folders, as --kinds), paths in
the repository (folders or files) and objects: ids, or any OBJECT as show
takes it (an appId, kind/displayName), looked up in the baseline:

   # drift-watch.yaml
   kinds: [conditional-access, role-assignments]
   paths: [groups/3f/finance-admins.3f2a0b1c-1111-4000-8000-000000000001.yaml]
   objects: [c0ffee00-0000-4000-8000-000000000001, "groups/Finance Admins"]

Other drift is still printed, marked not critical, but does not change the
exit code.

EXIT CODES:
   0   no drift (with --watch: no critical drift)
   1   error: the tenant or the repository could not be read
   2   drift found (with --watch: critical drift)
   3   no drift found, but some kinds (with --watch: watched kinds) could not be checked
   64  bad flags or arguments

EXAMPLES:
   entrasnap drift --repo ./tenant-backup --tenant-id contoso.onmicrosoft.com --client-id APP_ID
   entrasnap drift --repo ./tenant-backup --kinds conditional-access --baseline snapshot/20260320T020000Z
   entrasnap drift --repo ./tenant-backup --watch drift-watch.yaml --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.StringFlag{Name: "baseline", Value: "HEAD", Usage: "the snapshot to compare with: a revision, snapshot tag or date"},
			&cli.StringSliceFlag{Name: "kinds", Usage: "read and compare only these kinds or folders (default: all)"},
			&cli.StringFlag{Name: "watch", Usage: "YAML file naming the kinds, paths and object ids whose drift is critical"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, markdown or json"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("drift takes no arguments (got %q); give the baseline with --baseline", c.Args().First())
			}
			o := driftOptions{
				repo: c.String("repo"), baseline: c.String("baseline"), kinds: c.StringSlice("kinds"),
				watch: c.String("watch"), format: c.String("format"), conn: connectionFrom(c),
			}
			switch o.format {
			case "text", "markdown", "json":
			default:
				return usageErrorf("--format %q: want text, markdown or json", o.format)
			}
			return runDrift(c.Context, e, o)
		},
	}
}

type driftOptions struct {
	repo, baseline, watch, format string
	kinds                         []string
	conn                          connection
}

// notChecked is a kind drift could not compare.
type notChecked struct {
	Kind        string   `json:"kind"`
	Title       string   `json:"title"`
	Reason      string   `json:"reason"`
	Permissions []string `json:"permissions,omitempty"`
	Critical    bool     `json:"critical"`
}

// driftReport is drift's outcome, rendered as text, markdown or JSON.
type driftReport struct {
	Baseline   string
	Commit     string
	TenantID   string
	Watch      string
	Kinds      int // kinds compared
	Critical   *diff.Result
	Other      *diff.Result
	NotChecked []notChecked
	Notes      []string
}

func runDrift(ctx context.Context, e *env, o driftOptions) error {
	kinds, err := layout.Select(o.kinds)
	if err != nil {
		return usageErrorf("--kinds: %v", err)
	}
	var watch *watchList
	if o.watch != "" {
		if watch, err = loadWatch(o.watch); err != nil {
			return usageErrorf("--watch %s: %v", o.watch, err)
		}
	}
	r, err := openRepo(o.repo)
	if err != nil {
		return err
	}
	defer r.Close()
	base, err := r.Resolve(ctx, o.baseline)
	if err != nil {
		return err
	}
	rev := base.String()
	manData, err := r.ReadFile(ctx, rev, exporter.ManifestPath)
	if errors.Is(err, snapshot.ErrNotFound) {
		return fmt.Errorf("%s (%s) is not an entrasnap snapshot: it has no %s; give --baseline a snapshot (`entrasnap snapshots` lists them)", o.baseline, rev[:12], exporter.ManifestPath)
	}
	if err != nil {
		return err
	}
	man, err := exporter.DecodeManifest(manData)
	if err != nil {
		return fmt.Errorf("%s in %s (%s): %w; run `entrasnap check --repo %s`", exporter.ManifestPath, o.baseline, rev[:12], err, o.repo)
	}

	baseIx := history.Open(ctx, r, rev)
	if watch != nil {
		if err := watch.resolveObjects(baseIx); err != nil {
			return usageErrorf("--watch %s: %v", o.watch, err)
		}
	}

	client, err := o.conn.client("entrasnap/" + version)
	if err != nil {
		return err
	}
	var progress exporter.Progress
	if isTerminal(e.stderr) {
		progress = &exportTermProgress{w: e.stderr}
	}
	live, err := exporter.Read(ctx, exporter.ReadOptions{Client: client, Kinds: kinds, Progress: progress})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("drift interrupted")
		}
		return err
	}
	if man.TenantID != "" && live.TenantID != "" && !strings.EqualFold(man.TenantID, live.TenantID) {
		return fmt.Errorf("%s holds snapshots of tenant %s, but Graph answers for tenant %s; give --repo the repository of this tenant", o.repo, man.TenantID, live.TenantID)
	}

	rep := &driftReport{Baseline: o.baseline, Commit: rev, TenantID: live.TenantID, Watch: o.watch}
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
			rep.NotChecked = append(rep.NotChecked, notChecked{Kind: k.Name, Title: k.Title, Reason: reason, Permissions: kr.Permissions})
			continue
		}
		mk, ok := man.Kinds[k.Name]
		if !ok {
			rep.NotChecked = append(rep.NotChecked, notChecked{Kind: k.Name, Title: k.Title,
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
	for _, k := range kinds {
		if !compared[k.Name] {
			continue
		}
		err := r.Walk(ctx, rev, kindRoot(k), func(p string, blob plumbing.Hash) error {
			if kk, _, err := layout.Locate(p); err == nil && kk == k {
				baseBlobs[p] = blob
			}
			return nil
		})
		if err != nil {
			return err
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
		data, err := r.ReadFile(ctx, rev, p)
		if err != nil {
			return err
		}
		before[p] = data
	}
	// A baseline file that cannot be read is left out of both sides (it is
	// neither drift nor "added"), and said so.
	a, skipped := diff.LoadFiles(before)
	var unread []skippedFile
	for _, s := range skipped {
		delete(after, s.Path)
		unread = append(unread, skippedFile{Skipped: s, Rev: o.baseline})
		rep.Notes = append(rep.Notes, fmt.Sprintf("not checked: %s could not be read at the baseline", s.Path))
	}
	warnSkipped(e.stderr, unread)
	b, err := diff.Load(after)
	if err != nil {
		return fmt.Errorf("the live tenant: %w", err)
	}
	res := diff.Compare(a, b, history.Chain{history.FromFiles(live.Files), baseIx})
	rep.Critical = &diff.Result{Names: res.Names}
	rep.Other = &diff.Result{Names: res.Names}
	for _, c := range res.Changes {
		if watch == nil || watch.critical(c) {
			rep.Critical.Changes = append(rep.Critical.Changes, c)
		} else {
			rep.Other.Changes = append(rep.Other.Changes, c)
		}
	}
	criticalUnchecked := 0
	for i := range rep.NotChecked {
		k, _ := layout.Lookup(rep.NotChecked[i].Kind)
		rep.NotChecked[i].Critical = watch == nil || watch.kindCritical(k, baseIx)
		if rep.NotChecked[i].Critical {
			criticalUnchecked++
		}
	}

	switch o.format {
	case "json":
		err = rep.json(e.stdout)
	case "markdown":
		err = rep.markdown(e.stdout)
	default:
		err = rep.text(e.stdout, isTerminal(e.stdout))
	}
	if err != nil {
		return err
	}
	switch {
	case !rep.Critical.Empty():
		return &codedError{code: exitChanges}
	case criticalUnchecked > 0:
		var names []string
		for _, nc := range rep.NotChecked {
			if nc.Critical {
				names = append(names, nc.Kind)
			}
		}
		return &codedError{code: exitPartial, err: fmt.Errorf(
			"no drift found, but %s could not be checked (see above); fix the cause and run drift again", strings.Join(names, ", "))}
	}
	return nil
}

// kindRoot is the repository path holding a kind's files.
func kindRoot(k *layout.Kind) string {
	if k.Singleton {
		return k.Folder + ".yaml"
	}
	return k.Folder
}

func (rep *driftReport) title() string {
	return fmt.Sprintf("%s (%s) → live tenant", rep.Baseline, rep.Commit[:12])
}

func (rep *driftReport) text(w io.Writer, color bool) error {
	fmt.Fprintf(w, "Drift: %s, %d %s compared\n", rep.title(), rep.Kinds, plural(rep.Kinds, "kind", "kinds"))
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

func (rep *driftReport) markdown(w io.Writer) error {
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

func (rep *driftReport) json(w io.Writer) error {
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
		nc = []notChecked{}
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
		NotChecked    []notChecked    `json:"notChecked"`
		Notes         []string        `json:"notes,omitempty"`
	}{rep.Baseline, rep.Commit, rep.TenantID, rep.Watch, rep.Kinds,
		!rep.Critical.Empty() || !rep.Other.Empty(), !rep.Critical.Empty(), crit, other, nc, rep.Notes}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// watchList is a --watch file: what drift is critical.
type watchList struct {
	kinds   map[string]bool
	paths   []string
	objects map[string]bool // lower-case ids
	// selectors are the objects as written, resolved against the baseline
	// by resolveObjects.
	selectors []string
}

// loadWatch reads a --watch file strictly: only kinds, paths and objects,
// each a list of strings.
func loadWatch(file string) (*watchList, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, errors.New(unwrapPathError(err))
	}
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
	w := &watchList{kinds: map[string]bool{}, objects: map[string]bool{}}
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

func (w *watchList) watchesPath(p string) bool {
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
func (w *watchList) critical(c diff.Change) bool {
	return w.kinds[c.Kind] || w.objects[strings.ToLower(c.Key)] || w.watchesPath(c.Path) || w.watchesPath(c.OldPath)
}

// kindCritical reports whether a kind that could not be checked may hold
// watched drift: the kind is watched, a watched path is in its folder (or
// holds it), or a watched object is of this kind in the baseline.
func (w *watchList) kindCritical(k *layout.Kind, base *history.Index) bool {
	if w.kinds[k.Name] {
		return true
	}
	root := kindRoot(k)
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

// resolveObjects turns the list's objects (any selector naming one object:
// an id, an alias such as an application's appId, a file path or
// kind/displayName) into the ids of those objects in the baseline. An id
// the baseline does not hold is kept as it is (the object may be new).
func (w *watchList) resolveObjects(base *history.Index) error {
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
				if k.Singleton {
					key = k.Name
				}
				w.objects[strings.ToLower(key)] = true
			}
		}
	}
	return nil
}
