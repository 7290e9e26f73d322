// Package check verifies snapshot repositories and object files as
// entrasnap reads them back: strict YAML, the kind's schema, the path, unique
// ids, references, the manifest and the snapshot tags. The CLI's check and
// validate commands render its reports; tests of the packages that write
// repositories call Problems after writing.
package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Severities of an Issue: an error fails the check, a warning does not.
const (
	SevError   = "error"
	SevWarning = "warning"
)

// Issue is one problem: in a file of a snapshot, or with a tag.
type Issue struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"` // path in the repository, or the tag
	Line     int    `json:"line,omitempty"`
	Property string `json:"property,omitempty"`
	Message  string `json:"message"`
}

func (i Issue) String() string {
	p := Problem{File: i.File, Line: i.Line, Property: i.Property, Message: i.Message}
	return fmt.Sprintf("%-8s %s", i.Severity, p)
}

// Snapshot is the report of one checked commit.
type Snapshot struct {
	Commit   string   `json:"commit"`
	Names    []string `json:"names"` // HEAD and the snapshot tags on it
	Files    int      `json:"objectFiles"`
	Errors   int      `json:"errors"`
	Warnings int      `json:"warnings"`
	Issues   []Issue  `json:"issues"`
	// Unchecked counts references to objects outside the snapshot's
	// complete kinds (not backed up, or not read completely).
	Unchecked int `json:"uncheckedReferences"`
}

// Report is what Repo found; its slices are never nil.
type Report struct {
	Repo        string     `json:"repo"` // Options.Name
	Snapshots   []Snapshot `json:"snapshots"`
	TagsChecked int        `json:"tagsChecked"`
	// ApplyTags counts the apply record tags (layout.ApplyTagPrefix:
	// applies that changed nothing), checked with the snapshot tags.
	ApplyTags int     `json:"applyTags"`
	Tags      []Issue `json:"tagIssues"`
	Errors    int     `json:"errors"`
	Warnings  int     `json:"warnings"`
	// Signatures is the signature verification (Options.Signers), nil
	// when not asked for. Its failures are not counted in Errors.
	Signatures *SignatureReport `json:"signatures,omitempty"`
	// State are issues of the git directory outside every commit that the
	// caller found (AddState): the journal of an interrupted restore,
	// whose format check does not own (importer.ReadLeftoverJournal).
	State []Issue `json:"stateIssues,omitempty"`
	OK    bool    `json:"ok"`
}

// AddState adds an issue of the git directory's state (File names the
// state file), counted as its severity says.
func (rep *Report) AddState(i Issue) {
	rep.State = append(rep.State, i)
	if i.Severity == SevError {
		rep.Errors++
		rep.OK = false
	} else {
		rep.Warnings++
	}
}

// Options say what Repo checks.
type Options struct {
	Name        string // the repository as the user named it (default: its path), for the report and errors
	All         bool   // HEAD and every tagged snapshot; false: HEAD only
	MaxFileSize int64  // the largest object file read; 0: r's own limit (snapshot.Repo.MaxFileSize)
	// Signers, when set, verifies the signatures of every commit and
	// snapshot tag against these allowed signers (Signatures), with
	// SignedSince.
	Signers     *snapshot.AllowedSigners
	SignedSince string
	// OpenPGP, when set, verifies OpenPGP signatures with gpg against its
	// keyring (openpgp.go), with Signers or alone.
	OpenPGP *OpenPGP
	// workers: how many files are read and analysed at once (0: one per
	// CPU); tests compare one with many.
	workers int
}

// ErrNoCommit: the repository has no HEAD commit to check.
var ErrNoCommit = errors.New("no commit yet: nothing to check")

// Repo checks the repository r: the snapshot at HEAD (with o.All, every
// tagged snapshot too) and the snapshot tags, reading everything afresh.
// It reads with o.MaxFileSize as r's file size limit when that is set, and
// gives r its own limit back when it returns. The error is for a
// repository that cannot be read (ErrNoCommit, with what to do, when it is
// empty); problems found are in the report.
func Repo(ctx context.Context, r *snapshot.Repo, o Options) (*Report, error) {
	o.Name = cmp.Or(o.Name, r.Path())
	if o.MaxFileSize > 0 {
		defer r.SetMaxFileSize(r.MaxFileSize())
		r.SetMaxFileSize(o.MaxFileSize)
	} else {
		o.MaxFileSize = r.MaxFileSize()
	}
	head, err := r.Resolve(ctx, "HEAD")
	if err != nil {
		return nil, fmt.Errorf("%s has %w; run `entrasnap export --repo %s` first", o.Name, ErrNoCommit, o.Name)
	}
	rep := &Report{Repo: o.Name, Snapshots: []Snapshot{}}
	ck := &checker{r: r, cache: map[string]*fileFacts{}, limit: o.MaxFileSize, workers: o.workers}

	// Tags: listed and resolved one by one, so one broken tag does not hide
	// the others.
	tagCommits, applyTags, tagIssues := ck.checkTags(ctx)
	rep.Tags = append(append([]Issue{}, tagIssues...), ck.checkApplyTags(ctx, applyTags)...)
	rep.TagsChecked, rep.ApplyTags = len(tagCommits), len(applyTags)
	names := map[plumbing.Hash][]string{head: {"HEAD"}}
	order := []plumbing.Hash{head}
	for _, tc := range tagCommits {
		if _, seen := names[tc.commit]; !seen {
			order = append(order, tc.commit)
		}
		names[tc.commit] = append(names[tc.commit], tc.name)
	}
	if !o.All {
		order = order[:1]
	}
	for _, h := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cs, err := ck.checkCommit(ctx, h)
		if err != nil {
			return nil, err
		}
		cs.Names = names[h]
		rep.Snapshots = append(rep.Snapshots, *cs)
		rep.Errors += cs.Errors
		rep.Warnings += cs.Warnings
	}
	for _, i := range rep.Tags {
		if i.Severity == SevError {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	if o.Signers != nil || o.OpenPGP != nil {
		if rep.Signatures, err = signatures(ctx, r, keys{ssh: o.Signers, pgp: o.OpenPGP}, o.SignedSince); err != nil {
			return nil, err
		}
	}
	rep.OK = rep.Errors == 0 && (rep.Signatures == nil || rep.Signatures.Failed == 0)
	return rep, nil
}

// Problems checks every snapshot and tag of the repository at path and
// returns its errors, one line each (warnings are left out): the
// post-condition tests of the packages that write repositories assert.
func Problems(ctx context.Context, path string) ([]string, error) {
	r, err := snapshot.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rep, err := Repo(ctx, r, Options{All: true})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, cs := range rep.Snapshots {
		for _, i := range cs.Issues {
			if i.Severity == SevError {
				out = append(out, cs.Commit[:12]+" "+i.String())
			}
		}
	}
	for _, i := range rep.Tags {
		if i.Severity == SevError {
			out = append(out, i.String())
		}
	}
	return out, nil
}

// Render writes the report in format: text (WriteText) or json (the
// whole report, every warning).
func (rep *Report) Render(w io.Writer, format string) error {
	switch format {
	case "", layout.FormatText:
		rep.WriteText(w)
		return nil
	case layout.FormatJSON:
		return layout.WriteJSON(w, rep)
	}
	return layout.FormatError(format, layout.FormatText, layout.FormatJSON)
}

// maxWarningsShown bounds the warnings printed per snapshot in text form.
const maxWarningsShown = 50

// WriteText writes the report for a person: per snapshot its issues (at
// most maxWarningsShown warnings), then the tags and the totals.
func (rep *Report) WriteText(w io.Writer) {
	files := 0
	for _, cs := range rep.Snapshots {
		files += cs.Files
		fmt.Fprintf(w, "%s %s: %d object files", layout.Safe(strings.Join(cs.Names, ", ")), cs.Commit[:12], cs.Files)
		if cs.Errors+cs.Warnings == 0 {
			fmt.Fprintln(w, ", ok")
		} else {
			fmt.Fprintf(w, ", %d %s, %d %s\n", cs.Errors, layout.Plural(cs.Errors, "error", "errors"), cs.Warnings, layout.Plural(cs.Warnings, "warning", "warnings"))
		}
		shown := 0
		for _, i := range cs.Issues {
			if i.Severity == SevWarning {
				if shown == maxWarningsShown {
					fmt.Fprintf(w, "  ... and %d more warnings (--json lists them all)\n", cs.Warnings-maxWarningsShown)
				}
				shown++
				if shown > maxWarningsShown {
					continue
				}
			}
			fmt.Fprintf(w, "  %s\n", layout.Safe(i.String()))
		}
		if cs.Unchecked > 0 {
			fmt.Fprintf(w, "  %d references name objects of kinds this snapshot does not hold completely, or that entrasnap does not back up (devices, contacts): not checked\n", cs.Unchecked)
		}
	}
	fmt.Fprintf(w, "tags: %d snapshot %s", rep.TagsChecked, layout.Plural(rep.TagsChecked, "tag", "tags"))
	if rep.ApplyTags > 0 {
		fmt.Fprintf(w, ", %d apply %s", rep.ApplyTags, layout.Plural(rep.ApplyTags, "record", "records"))
	}
	if len(rep.Tags) == 0 {
		fmt.Fprintln(w, ", each on a commit with a manifest")
	} else {
		fmt.Fprintln(w)
	}
	for _, i := range rep.Tags {
		fmt.Fprintf(w, "  %s\n", layout.Safe(i.String()))
	}
	if len(rep.State) > 0 {
		fmt.Fprintln(w, "git directory (outside every commit):")
		for _, i := range rep.State {
			fmt.Fprintf(w, "  %s\n", layout.Safe(i.String()))
		}
	}
	if rep.Signatures != nil {
		rep.Signatures.WriteText(w)
	}
	if rep.Errors+rep.Warnings == 0 && rep.Signatures != nil && rep.Signatures.Failed > 0 {
		fmt.Fprintf(w, "No problems in the files of %d %s (%d object files) and %d tags, but %d %s not trusted (above).\n", len(rep.Snapshots), layout.Plural(len(rep.Snapshots), "snapshot", "snapshots"), files, rep.TagsChecked,
			rep.Signatures.Failed, layout.Plural(rep.Signatures.Failed, "signature is", "signatures are"))
	} else if rep.Errors+rep.Warnings == 0 {
		fmt.Fprintf(w, "No problems in %d %s (%d object files) and %d tags.\n", len(rep.Snapshots), layout.Plural(len(rep.Snapshots), "snapshot", "snapshots"), files, rep.TagsChecked)
	} else {
		fmt.Fprintf(w, "%d %s, %d %s.\n", rep.Errors, layout.Plural(rep.Errors, "error", "errors"), rep.Warnings, layout.Plural(rep.Warnings, "warning", "warnings"))
	}
}

// checker checks commits, analysing each distinct file (path and content)
// once per run.
type checker struct {
	r       *snapshot.Repo
	cache   map[string]*fileFacts // path + "\x00" + blob id
	limit   int64                 // the largest object file read (tooLarge)
	workers int                   // Options.workers
}

// fileFacts is what one object file says, read and checked this run.
type fileFacts struct {
	kind    *layout.Kind
	located bool   // the path is an object path (layout.Locate)
	key     string // the object's id as its content gives it; "" when unreadable
	altIDs  []string
	refs    []refUse
	issues  []Issue
	// images: the images an object file names (images.go); imageSum: an
	// image file's SHA-256.
	images   []layout.NamedImage
	imageSum string
}

// refUse is one id a file holds in a reference property.
type refUse struct {
	prop    string // concrete path: "members[3].id"
	id      string
	targets []string // kind names the id may name
	strict  bool     // Graph keeps it consistent: unresolved is an error
	binned  bool     // Graph keeps it while its object is in deleted items
}

type taggedCommit struct {
	name   string
	commit plumbing.Hash
}

// checkTags resolves every snapshot/* tag and reads its manifest.
func (ck *checker) checkTags(ctx context.Context) (_ []taggedCommit, applyTags []string, _ []Issue) {
	var issues []Issue
	gr, err := git.PlainOpenWithOptions(ck.r.Path(), &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, nil, []Issue{{Severity: SevError, Message: "cannot list the tags: " + err.Error()}}
	}
	refs, err := gr.References()
	if err != nil {
		return nil, nil, []Issue{{Severity: SevError, Message: "cannot list the tags: " + err.Error()}}
	}
	var names []string
	_ = refs.ForEach(func(ref *plumbing.Reference) error {
		if n, ok := strings.CutPrefix(ref.Name().String(), "refs/tags/"); ok && strings.HasPrefix(n, "snapshot/") {
			names = append(names, n)
		} else if ok && strings.HasPrefix(n, layout.ApplyTagPrefix) {
			applyTags = append(applyTags, n)
		}
		return nil
	})
	// Newest first: tag names are snapshot/<UTC time>.
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	var out []taggedCommit
	for _, n := range names {
		h, err := ck.r.Resolve(ctx, "refs/tags/"+n)
		if err != nil {
			issues = append(issues, Issue{Severity: SevError, File: n,
				Message: "does not point at a commit; delete it (git tag -d " + n + ") if it is not a snapshot"})
			continue
		}
		out = append(out, taggedCommit{n, h})
		data, err := ck.r.ReadFile(ctx, h.String(), ManifestPath)
		if errors.Is(err, snapshot.ErrNotFound) {
			issues = append(issues, Issue{Severity: SevError, File: n,
				Message: fmt.Sprintf("points at %s, which holds no %s: not a snapshot; delete the tag (git tag -d %s) or move it to a snapshot commit", h.String()[:12], ManifestPath, n)})
			continue
		}
		if err != nil {
			issues = append(issues, Issue{Severity: SevError, File: n, Message: fmt.Sprintf("cannot read %s at %s: %v", ManifestPath, h.String()[:12], err)})
			continue
		}
		if _, err := decodeManifest(data); err != nil {
			issues = append(issues, Issue{Severity: SevError, File: n, Message: fmt.Sprintf("points at %s, whose %s cannot be read: %v", h.String()[:12], ManifestPath, err)})
		}
	}
	return out, applyTags, issues
}

// checkApplyTags checks the apply record tags checkTags found: each an
// annotated tag of a commit whose message is an apply record
// (layout.ParseApplyRecord) of an apply that changed nothing.
func (ck *checker) checkApplyTags(ctx context.Context, names []string) []Issue {
	if len(names) == 0 {
		return nil
	}
	infos, err := ck.r.Tags(ctx, layout.ApplyTagPrefix)
	if err != nil {
		return []Issue{{Severity: SevError, Message: "cannot read the apply record tags: " + err.Error()}}
	}
	byName := map[string]snapshot.TagInfo{}
	for _, t := range infos {
		byName[t.Name] = t
	}
	var issues []Issue
	sort.Strings(names)
	for _, n := range names {
		t, ok := byName[n]
		if !ok || !t.Annotated {
			issues = append(issues, Issue{Severity: SevError, File: n,
				Message: "not an annotated tag of a commit, so it holds no apply record; delete it (git tag -d " + n + ") if entrasnap did not write it"})
			continue
		}
		rec, err := layout.ParseApplyRecord(t.Message)
		switch {
		case err != nil:
			issues = append(issues, Issue{Severity: SevError, File: n, Message: err.Error() + "; delete the tag (git tag -d " + n + ") if entrasnap did not write it"})
		case rec.Done > 0:
			issues = append(issues, Issue{Severity: SevWarning, File: n,
				Message: fmt.Sprintf("records an apply that changed %d objects, whose post-restore snapshot is missing: run an export to record the tenant as it is", rec.Done)})
		}
	}
	return issues
}

type blobFile struct {
	path string
	blob plumbing.Hash
}

func (ck *checker) checkCommit(ctx context.Context, h plumbing.Hash) (*Snapshot, error) {
	rev := h.String()
	cs := &Snapshot{Commit: rev, Issues: []Issue{}}
	var files []blobFile
	manifestBlob := plumbing.ZeroHash
	err := ck.r.Walk(ctx, rev, "", func(p string, blob plumbing.Hash) error {
		if p == ManifestPath {
			manifestBlob = blob
			return nil
		}
		if _, _, ok := layout.KindOf(p); ok {
			files = append(files, blobFile{p, blob})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", rev[:12], err)
	}

	// Read and analyse the files not seen yet in this run.
	var missing []blobFile
	for _, f := range files {
		if ck.cache[f.path+"\x00"+f.blob.String()] == nil {
			missing = append(missing, f)
		}
	}
	if err := ck.analyse(ctx, rev, missing); err != nil {
		return nil, err
	}
	facts := make([]*fileFacts, len(files))
	for i, f := range files {
		facts[i] = ck.cache[f.path+"\x00"+f.blob.String()]
	}
	issues := map[string][]Issue{} // by file
	add := func(file string, i Issue) {
		i.File = file
		issues[file] = append(issues[file], i)
	}
	for i, f := range files {
		for _, is := range facts[i].issues {
			add(f.path, is)
		}
		if facts[i].located {
			cs.Files++
		}
	}

	imageIssues(files, facts, add) // images.go

	// The manifest.
	var man map[string]manifestKind
	var manData []byte
	if manifestBlob.IsZero() {
		add(ManifestPath, Issue{Severity: SevError, Message: "missing: this commit is not an entrasnap snapshot (export writes the manifest)"})
	} else {
		data, err := ck.r.ReadFile(ctx, rev, ManifestPath)
		manData = data
		switch {
		case err != nil:
			add(ManifestPath, Issue{Severity: SevError, Message: "cannot read: " + err.Error()})
		case plumbing.ComputeHash(plumbing.BlobObject, data) != manifestBlob:
			add(ManifestPath, Issue{Severity: SevError, Message: "its content does not match its git object id: the object store is damaged; restore the repository from a clone"})
		default:
			m, err := decodeManifest(data)
			if err != nil {
				var de *layout.DecodeError
				if errors.As(err, &de) {
					add(ManifestPath, Issue{Severity: SevError, Line: de.Line, Property: de.Path, Message: de.Msg})
				} else {
					add(ManifestPath, Issue{Severity: SevError, Message: err.Error()})
				}
			} else {
				man = m
			}
		}
	}
	perKind := map[string]int{}
	for i := range files {
		if facts[i].located {
			perKind[facts[i].kind.Name]++
		}
	}
	complete := map[string]bool{} // kinds the snapshot holds completely
	if man != nil {
		lines := layout.NewLines(manData)
		for _, k := range layout.Kinds() {
			mk, ok := man[k.Name]
			if !ok {
				if perKind[k.Name] > 0 {
					add(ManifestPath, Issue{Severity: SevError, Property: "kinds." + k.Name,
						Message: fmt.Sprintf("missing, but the snapshot holds %d %s files", perKind[k.Name], k.Title)})
				}
				continue
			}
			prop := "kinds." + k.Name
			if mk.Folder != k.Folder {
				add(ManifestPath, Issue{Severity: SevError, Line: lines.Of(prop + ".folder"), Property: prop + ".folder",
					Message: fmt.Sprintf("is %q, but entrasnap keeps %s in %s", mk.Folder, k.Title, k.Folder)})
			}
			if mk.Objects != perKind[k.Name] {
				add(ManifestPath, Issue{Severity: SevError, Line: lines.Of(prop + ".objects"), Property: prop + ".objects",
					Message: fmt.Sprintf("says %d, but the snapshot holds %d %s files: files were added or removed by hand; export again to rewrite them", mk.Objects, perKind[k.Name], k.Title)})
			}
			switch st, licence := mk.State(); st {
			case layout.StateNotLicensed:
				add(ManifestPath, Issue{Severity: SevWarning, Line: lines.Of(prop + ".complete"), Property: prop + ".complete",
					Message: fmt.Sprintf("%s are not licensed in this tenant (needs %s): not read; their files, if any, are carried from an earlier snapshot", k.Title, licence)})
			case layout.StateSkipped, layout.StateIncomplete:
				// A skipped kind's manifest reason says why it was skipped.
				reason := mk.Reason
				if reason == "" {
					reason = "no reason recorded"
				}
				add(ManifestPath, Issue{Severity: SevWarning, Line: lines.Of(prop + ".complete"), Property: prop + ".complete",
					Message: fmt.Sprintf("%s could not be read completely (%s): its files are carried from an earlier snapshot", k.Title, reason)})
			case layout.StatePartial:
				// Every object has its file, some kept from an earlier
				// snapshot: complete for references, and said.
				add(ManifestPath, Issue{Severity: SevWarning, Line: lines.Of(prop + ".partial"), Property: prop + ".partial",
					Message: fmt.Sprintf("%s were read in part (%s): the files or values not read are an earlier snapshot's", k.Title, licence)})
				complete[k.Name] = true
			case layout.StateComplete:
				complete[k.Name] = true
			}
		}
		var unknown []string
		for name := range man {
			if _, ok := layout.Lookup(name); !ok {
				unknown = append(unknown, name)
			}
		}
		sort.Strings(unknown)
		for _, name := range unknown {
			add(ManifestPath, Issue{Severity: SevWarning, Line: lines.Of("kinds." + name), Property: "kinds." + name,
				Message: "a kind this version of entrasnap does not know; its files were not checked"})
		}
	} else {
		for name, n := range perKind {
			if n > 0 {
				complete[name] = true
			}
		}
	}

	// Unique ids per kind, and the index references resolve against.
	byID := map[string]map[string][]string{} // kind → lower-case id → paths
	alt := map[string]map[string]bool{}      // kind → lower-case templateId / appId
	for i, f := range files {
		ff := facts[i]
		if ff.key == "" {
			continue
		}
		m := byID[ff.kind.Name]
		if m == nil {
			m = map[string][]string{}
			byID[ff.kind.Name] = m
		}
		id := ff.key
		if layout.IsGUID(id) { // GUIDs are case-insensitive; other keys ("Fido2", "fido2") are distinct
			id = strings.ToLower(id)
		}
		m[id] = append(m[id], f.path)
		for _, a := range ff.altIDs {
			if alt[ff.kind.Name] == nil {
				alt[ff.kind.Name] = map[string]bool{}
			}
			alt[ff.kind.Name][strings.ToLower(a)] = true
		}
	}
	for kind, m := range byID {
		k, _ := layout.Lookup(kind)
		for _, paths := range m {
			if len(paths) < 2 || k.Singleton {
				continue
			}
			for _, p := range paths {
				var others []string
				for _, q := range paths {
					if q != p {
						others = append(others, q)
					}
				}
				add(p, Issue{Severity: SevError, Property: k.KeyProp(),
					Message: "the same " + k.KeyProp() + " as " + strings.Join(others, ", ") + ": two files hold one object; delete the one that is not at its path"})
			}
		}
	}
	resolves := func(targets []string, id string) bool {
		// byID keeps non-GUID keys as they are (an identity provider's
		// "Google-OAUTH", a user flow attribute's extension_..._Name).
		exact := id
		id = strings.ToLower(id)
		for _, t := range targets {
			if len(byID[t][id]) > 0 || len(byID[t][exact]) > 0 || alt[t][id] {
				return true
			}
			if t == "applications" && alt["service-principals"][id] {
				return true // first-party apps exist as service principals only
			}
		}
		return false
	}
	// Which references name nothing: the index is only read now, so on
	// every CPU (a million group members at 100,000 users took a second);
	// the issues then follow in file order as before.
	unresolved := make([][]int, len(files))
	ck.parallel(len(files), func(i int) {
		for j, ru := range facts[i].refs {
			if !resolves(ru.targets, ru.id) {
				unresolved[i] = append(unresolved[i], j)
			}
		}
	})
	for i, f := range files {
		for _, j := range unresolved[i] {
			ru := facts[i].refs[j]
			covered := true
			for _, t := range ru.targets {
				covered = covered && complete[t]
			}
			if !covered {
				cs.Unchecked++
				continue
			}
			titles := make([]string, len(ru.targets))
			for j, t := range ru.targets {
				k, _ := layout.Lookup(t)
				titles[j] = k.Title
			}
			why := "policies keep the ids of objects deleted since; remove it from the policy if it is gone"
			if len(ru.targets) == 1 && ru.targets[0] == "applications" {
				why = "a Microsoft application with no service principal in this tenant, or an app deleted since"
			}
			if ru.binned {
				why = "an object deleted since: Graph keeps this entry while the object is in deleted items and drops it when the object is purged; restore the object, or remove the entry"
			}
			if k := facts[i].kind; k != nil && k.OutlivesReferents {
				why = "a deleted object: Graph keeps listing a role assignment for some days after its principal or scope is deleted; restore the object, or the assignment goes when Graph cleans it up"
			}
			carried := facts[i].kind != nil && !complete[facts[i].kind.Name]
			if carried {
				// Not read in this snapshot (not licensed, skipped by
				// design, or incomplete): its files are an earlier
				// snapshot's and may name objects deleted since.
				why = "this kind's files are carried from an earlier snapshot (not read this time) and may name objects deleted since; export again when it can be read"
			}
			is := Issue{Severity: SevWarning, Property: ru.prop,
				Message: fmt.Sprintf("%s names no object in the snapshot (%s): %s", ru.id, strings.Join(titles, ", "), why)}
			if ru.strict && !carried {
				is.Severity = SevError
				is.Message = fmt.Sprintf("%s names no object in the snapshot (%s): a dangling reference Graph would not return; export again, or remove it", ru.id, strings.Join(titles, ", "))
			}
			is.Line = ck.lineOf(ctx, rev, f.path, ru.prop)
			add(f.path, is)
		}
	}

	// Files of a kind that is state of another kind's object
	// (layout.OwnerKind: per-user MFA state, custom security attribute
	// values, a user flow's identity providers and API connectors): the
	// owner object must be in the snapshot, since Graph holds no such state
	// without it. A warning: the owned kind is opt-in and carried forward
	// between its reads, so its owner may be deleted since; and read in
	// the same export, the two lists are read moments apart.
	for i, f := range files {
		ff := facts[i]
		owner := layout.OwnerKind(ff.kind)
		if owner == "" || ff.key == "" || !ff.located || resolves([]string{owner}, ff.key) {
			continue
		}
		if !complete[owner] {
			cs.Unchecked++
			continue
		}
		ok, _ := layout.Lookup(owner)
		why := "the " + ok.Title + " list and this kind were read moments apart and the owner was created or deleted in between; export both again (entrasnap export --kinds " + owner + "," + ff.kind.Name + ")"
		if !complete[ff.kind.Name] {
			why = "this kind's files are carried from an earlier snapshot (not read this time) and the owner was deleted since; export the kind again (entrasnap export --kinds " + ff.kind.Name + ") to drop the file"
		}
		add(f.path, Issue{Severity: SevWarning, Property: ff.kind.KeyProp(), Line: ck.lineOf(ctx, rev, f.path, ff.kind.KeyProp()),
			Message: fmt.Sprintf("owner missing: this file holds %s of %s %s, which the snapshot does not hold; Graph keeps them only on their owner, so a restore has nothing to write them to: %s",
				ff.kind.Title, ok.Title, ff.key, why)})
	}

	// Issues sorted by file, then line.
	paths := make([]string, 0, len(issues))
	for p := range issues {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		list := issues[p]
		sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
		for _, is := range list {
			if is.Severity == SevError {
				cs.Errors++
			} else {
				cs.Warnings++
			}
			cs.Issues = append(cs.Issues, is)
		}
	}
	return cs, nil
}

// lineOf finds the line of a property in a file (read again: lines are
// needed only for the few references that do not resolve).
func (ck *checker) lineOf(ctx context.Context, rev, p, prop string) int {
	data, err := ck.r.ReadFile(ctx, rev, p)
	if err != nil {
		return 0
	}
	return layout.NewLines(data).Of(prop)
}

// analyse reads files and records their facts in the cache: on every CPU,
// each reader analysing the files it reads (snapshot.Repo.ReadBlobs), so
// that reading overlaps checking and no more than a file per CPU is held
// (issue 12, row e3: 125,000 files were read first, one goroutine reading
// and all held, 1.6 GB). A file that cannot be read that way (over the
// limit, a damaged object) is read again on its own so that the problem
// names it as before. The facts are per file, whatever the order of
// reading: the report is the same on one CPU or many
// (TestRepoParallelSameReport).
func (ck *checker) analyse(ctx context.Context, rev string, files []blobFile) error {
	if len(files) == 0 {
		return nil
	}
	hs := make([]plumbing.Hash, len(files))
	for i, f := range files {
		hs[i] = f.blob
	}
	results := make([]*fileFacts, len(files))
	err := ck.r.ReadBlobs(ctx, hs, ck.readers(), func(i int, data []byte, err error) {
		if err == nil {
			results[i] = analyseFile(files[i], data, nil)
		}
	})
	if err != nil {
		return err
	}
	for i, f := range files {
		if results[i] != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := ck.readLimited(ctx, rev, f)
		results[i] = analyseFile(f, data, err)
	}
	for i, f := range files {
		ck.cache[f.path+"\x00"+f.blob.String()] = results[i]
	}
	return ctx.Err()
}

// parallel calls fn(i) for every i below n, from ck.readers() goroutines
// taking consecutive chunks of 1,024; fn must be safe for concurrent use.
func (ck *checker) parallel(n int, fn func(i int)) {
	const chunk = 1024
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(ck.readers(), (n+chunk-1)/chunk) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				from := int(next.Add(chunk)) - chunk
				if from >= n {
					return
				}
				for i := from; i < min(from+chunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// readers is how many goroutines read and analyse files: checker.workers,
// or one per CPU.
func (ck *checker) readers() int {
	if ck.workers > 0 {
		return ck.workers
	}
	return runtime.GOMAXPROCS(0)
}

// analyseFile checks one object file on its own.
func analyseFile(f blobFile, data []byte, readErr error) *fileFacts {
	k, located, _ := layout.KindOf(f.path)
	ff := &fileFacts{kind: k, located: located}
	if readErr != nil {
		msg := "cannot read: " + readErr.Error()
		if errors.Is(readErr, errFileTooLarge) {
			msg = readErr.Error()
			_, ff.key, _ = layout.Locate(f.path) // references to it still resolve
		}
		ff.issues = append(ff.issues, Issue{Severity: SevError, Message: msg})
		return ff
	}
	if plumbing.ComputeHash(plumbing.BlobObject, data) != f.blob {
		ff.issues = append(ff.issues, Issue{Severity: SevError, Message: "its content does not match its git object id: the object store is damaged; restore the repository from a clone"})
		return ff
	}
	if _, img := layout.IsImageFile(f.path); img {
		ff.imageSum = layout.SHA256Hex(data) // images.go
		return ff
	}
	if !located && !strings.HasSuffix(f.path, ".yaml") {
		ff.issues = append(ff.issues, Issue{Severity: SevWarning, Message: "not an object file, in the folder of " + k.Title + "; entrasnap ignores it"})
		return ff
	}
	obj, problems := File(k, f.path, data)
	for _, p := range problems {
		ff.issues = append(ff.issues, Issue{Severity: SevError, Line: p.Line, Property: p.Property, Message: p.Message})
	}
	if obj == nil {
		// Unreadable, but the object exists: its id from the file name
		// keeps references to it from being reported too.
		_, ff.key, _ = layout.Locate(f.path)
		return ff
	}
	if k.Singleton {
		ff.key = k.Name
	} else {
		ff.key, _ = obj[k.KeyProp()].(string)
	}
	for _, p := range k.Aliases {
		if a, ok := obj[p].(string); ok && a != "" {
			ff.altIDs = append(ff.altIDs, a)
		}
	}
	ff.refs = objectRefs(k, obj)
	ff.images, ff.issues = namedImages(k, obj, ff.issues) // images.go
	return ff
}

// typeKinds maps an @odata.type to the kind that stores it.
var typeKinds = func() map[string]string {
	m := map[string]string{}
	for _, k := range layout.Kinds() {
		m[k.ODataType] = k.Name
		for _, t := range k.DerivedTypes {
			m[t] = k.Name
		}
	}
	return m
}()

// kindTargets is each kind's name alone, the targets of a reference its
// @odata.type names: one slice per kind, not one per reference (a million
// group members at 100,000 users).
var kindTargets = func() map[string][]string {
	m := map[string][]string{}
	for _, k := range layout.Kinds() {
		m[k.Name] = []string{k.Name}
	}
	return m
}()

// strictRef reports whether Graph keeps a reference consistent (child
// relationships, assignments): one that names nothing is then an error.
// A reference the catalog marks Strict is; one in a child is, unless the
// child's references are settings (layout.Child.RefsAreSettings).
func strictRef(k *layout.Kind, ref layout.Ref) bool {
	if ref.Strict {
		return true
	}
	ch := refChild(k, ref)
	return ch != nil && !ch.RefsAreSettings && !ch.KeptWhileReferentDeleted
}

// keptWhileDeleted reports whether ref lies in a child Graph keeps while
// the object it names is in deleted items (layout.Child.KeptWhileReferentDeleted).
func keptWhileDeleted(k *layout.Kind, ref layout.Ref) bool {
	ch := refChild(k, ref)
	return ch != nil && ch.KeptWhileReferentDeleted
}

// refChild is the child of k that ref's path lies in, or nil.
func refChild(k *layout.Kind, ref layout.Ref) *layout.Child {
	first := ref.Path
	if i := strings.IndexAny(first, ".["); i >= 0 {
		first = first[:i]
	}
	for i := range k.Children {
		if k.Children[i].Name == first {
			return &k.Children[i]
		}
	}
	return nil
}

// objectRefs lists the ids an object holds in its kind's reference
// properties, minus the special values (All, None, ...). References to
// objects entrasnap does not back up (a device in a group) are left out.
func objectRefs(k *layout.Kind, obj map[string]any) []refUse {
	var out []refUse
	owned := layout.OwnerKind(k) != ""
	for _, ref := range k.Refs {
		if owned && ref.Path == k.KeyProp() {
			continue // the owner: checked as such ("owner missing")
		}
		strict, binned := strictRef(k, ref), keptWhileDeleted(k, ref)
		ref.Uses(obj, func(prop, id, typ string) {
			targets := ref.Kinds
			if typ != "" {
				kind, ok := typeKinds[typ]
				if !ok {
					return // a device, a contact, ...: not backed up
				}
				targets = kindTargets[kind]
			}
			out = append(out, refUse{prop: prop, id: id, targets: targets, strict: strict, binned: binned})
		})
	}
	if k.MoreRefs != nil {
		// A user's values name attribute definitions, which Graph never
		// deletes (only deactivates): one that names none is an error.
		k.MoreRefs(obj, func(prop, id string, kinds []string) {
			out = append(out, refUse{prop: prop, id: id, targets: kinds, strict: true})
		})
	}
	return out
}

// errFileTooLarge marks an object file check refused to read for its size.
var errFileTooLarge = errors.New("file too large")

type fileTooLargeError struct{ limit int64 }

func (e *fileTooLargeError) Error() string { return TooLargeMessage(e.limit) }
func (e *fileTooLargeError) Unwrap() error { return errFileTooLarge }

// tooLarge reports whether f's blob is larger than the limit, from the
// object's header: its content is not read. A size that cannot be read
// counts as not too large; reading the file then reports the damage.
func (ck *checker) tooLarge(f blobFile) bool {
	n, err := ck.r.BlobSize(f.blob)
	return err == nil && n > ck.limit
}

// readLimited reads f at rev unless it is larger than the limit.
func (ck *checker) readLimited(ctx context.Context, rev string, f blobFile) ([]byte, error) {
	if ck.tooLarge(f) {
		return nil, &fileTooLargeError{ck.limit}
	}
	data, err := ck.r.ReadFile(ctx, rev, f.path)
	if err == nil && int64(len(data)) > ck.limit {
		return nil, &fileTooLargeError{ck.limit}
	}
	return data, err
}
