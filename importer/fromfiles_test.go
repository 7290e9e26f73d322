package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

const ca002 = "conditional-access/policies/ca002-block-legacy-authentication.37d3a33f-9060-464e-844d-dab8699bd355.yaml"

// wt is the path of a repository file in e's working tree.
func (e *env) wt(p string) string { return filepath.Join(e.repo.WorkTree(), filepath.FromSlash(p)) }

func (e *env) readWT(p string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.wt(p))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) writeWT(p, content string) {
	e.t.Helper()
	if err := os.MkdirAll(filepath.Dir(e.wt(p)), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.wt(p), []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// editWT replaces old with new in a working-tree file.
func (e *env) editWT(p, old, new string) {
	e.t.Helper()
	s := e.readWT(p)
	if !strings.Contains(s, old) {
		e.t.Fatalf("%s does not hold %q", p, old)
	}
	e.writeWT(p, strings.Replace(s, old, new, 1))
}

// editCreated changes the createdDateTime of a working-tree file.
func (e *env) editCreated(p string) {
	e.t.Helper()
	e.writeWT(p, regexp.MustCompile(`(?m)^createdDateTime: .*$`).ReplaceAllString(e.readWT(p), `createdDateTime: "2020-01-01T00:00:00Z"`))
}

// commitAll commits the working tree with git, as a person would.
func (e *env) commitAll(msg string) {
	e.t.Helper()
	git(e.t, e.repo.WorkTree(), "add", "-A")
	git(e.t, e.repo.WorkTree(), "commit", "-q", "-m", msg)
}

// planFiles plans from files.
func (e *env) planFiles(f Files, opts Options) (*Plan, error) {
	e.t.Helper()
	in, err := Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Files: &f, Options: opts, Now: e.now})
	if err != nil {
		return nil, err
	}
	return Compute(in)
}

func (e *env) mustPlanFiles(f Files, opts Options) *Plan {
	e.t.Helper()
	p, err := e.planFiles(f, opts)
	if err != nil {
		e.t.Fatalf("plan from files: %v", err)
	}
	return p
}

// roundTrip encodes and decodes a plan, as the plan file does.
func roundTrip(t *testing.T, p *Plan) *Plan {
	t.Helper()
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestFilesEditRoundTrip: a CA policy edited in a branch becomes a plan of
// that one object, applied, verified and recorded; planning the recorded
// state again finds nothing to do (no drift).
func TestFilesEditRoundTrip(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	git(t, e.repo.WorkTree(), "checkout", "-q", "-b", "change")
	e.editWT(ca002, "    - \"exchangeActiveSync\"\n    - \"other\"\n", "    - \"exchangeActiveSync\"\n")
	e.commitAll("CA002: block only Exchange ActiveSync")

	p := e.mustPlanFiles(Files{From: "main", To: "HEAD"}, Options{})
	if p.Format != FormatFiles || p.Files == nil || len(p.Files.Changed) != 1 || p.Files.Changed[0] != ca002 {
		t.Fatalf("plan source: format %d %+v", p.Format, p.Files)
	}
	if len(p.Actions) != 1 || p.Actions[0].Op != OpUpdate || p.Actions[0].Changes[0].Path != "conditions.clientAppTypes" {
		t.Fatalf("want one update of clientAppTypes:\n%s", render(p))
	}
	// The same safety as a restore: an edited plan, or one whose files
	// source was edited, is refused.
	tampered := roundTrip(t, p)
	tampered.Actions[0].Request.Body = []byte(`{"conditions":{"clientAppTypes":["all"]}}`)
	var te *TamperedError
	if _, err := Apply(context.Background(), tampered, e.applyOpts()); !errors.As(err, &te) {
		t.Fatalf("an edited plan: want TamperedError, got %v", err)
	}
	tampered = roundTrip(t, p)
	tampered.Files.Digest = "sha256:00"
	var fc *FilesChangedError
	if _, err := Apply(context.Background(), tampered, e.applyOpts()); !errors.As(err, &fc) {
		t.Fatalf("an edited files source: want FilesChangedError, got %v", err)
	}
	res := e.apply(roundTrip(t, p))
	if !res.Complete() || res.Snapshot == nil { // the export finds the edit as committed: no new commit needed
		t.Fatalf("apply: %+v", res)
	}
	got, err := e.repo.ReadFile(context.Background(), "HEAD", ca002)
	if err != nil || strings.Contains(string(got), `"other"`) {
		t.Fatalf("the recorded file still has other: %v\n%s", err, got)
	}
	if again := e.plan("HEAD", []string{"conditional-access"}, Options{}); !again.Empty() {
		t.Fatalf("the recorded snapshot differs from the tenant:\n%s", render(again))
	}
	fsck(t, e.repo.WorkTree())
}

// TestFilesNewObject: a new-NAME.yaml without an id is created (report-only
// by default), and the recorded snapshot holds it at its canonical path
// with Graph's id, the hand-written file gone and no new- key in the id map.
func TestFilesNewObject(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	src := e.readWT(ca002)
	var lines []string
	for _, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, "id: ") || strings.HasPrefix(l, "createdDateTime: ") {
			continue
		}
		lines = append(lines, l)
	}
	newFile := "conditional-access/policies/new-block-legacy-for-guests.yaml"
	content := strings.Replace(strings.Join(lines, "\n"), `displayName: "CA002: Block legacy authentication"`, `displayName: "CA010: Block legacy authentication for guests"`, 1)
	e.writeWT(newFile, content)
	e.commitAll("CA010")

	p := e.mustPlanFiles(Files{From: "HEAD~1", To: "HEAD"}, Options{})
	if len(p.Files.New) != 1 || len(p.Actions) != 1 || p.Actions[0].Op != OpCreate || p.Actions[0].Name != "CA010: Block legacy authentication for guests" {
		t.Fatalf("want one create:\n%s", render(p))
	}
	if !strings.Contains(string(p.Actions[0].Request.Body), caReportOnly) {
		t.Fatalf("a new CA policy is not created report-only: %s", p.Actions[0].Request.Body)
	}
	res := e.apply(roundTrip(t, p))
	if !res.Complete() || res.Snapshot == nil {
		t.Fatalf("apply: %+v", res)
	}
	newID := res.Actions[0].NewID
	files, err := e.repo.ReadAll(context.Background(), "HEAD", "conditional-access/policies")
	if err != nil {
		t.Fatal(err)
	}
	if _, left := files[newFile]; left {
		t.Fatalf("the hand-written file is still in the snapshot")
	}
	want := "conditional-access/policies/ca010-block-legacy-authentication-for-guests." + newID + ".yaml"
	if _, ok := files[want]; !ok || newID == "" {
		t.Fatalf("no %s in the recorded snapshot: %v", want, sortedKeys(files))
	}
	// The new- key stays in the id map naming the plan's files (a plan of
	// the same files again finds the object); no other plan sees it.
	if idmap, err := e.repo.ReadFile(context.Background(), "HEAD", IDMapPath); err == nil && strings.Contains(string(idmap), "new-") && !strings.Contains(string(idmap), shortHash(p.Commit)) {
		t.Fatalf("the id map holds the new- key without its plan's commit:\n%s", idmap)
	}
	ids := NewIDMap()
	ids.Add("conditional-access-policies", "new-block-legacy-for-guests", newID, p.Rev+" ("+shortHash(p.Commit)+")")
	if scopeNewKeys(ids, "0123456789abcdef"); ids.Len() != 0 {
		t.Fatal("another plan's files see the new- key")
	}
	if again := e.plan("HEAD", []string{"conditional-access"}, Options{}); !again.Empty() {
		t.Fatalf("the recorded snapshot differs from the tenant:\n%s", render(again))
	}
	fsck(t, e.repo.WorkTree())
}

// TestFilesDeletes: a deleted file is ignored (and listed) without
// AllowDeletes, and deletes the object with it.
func TestFilesDeletes(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	git(t, e.repo.WorkTree(), "rm", "-q", ca002)
	e.commitAll("drop CA002")

	p := e.mustPlanFiles(Files{From: "HEAD~1", To: "HEAD"}, Options{})
	if !p.Empty() || len(p.Files.Ignored) != 1 || p.Files.Ignored[0] != ca002 {
		t.Fatalf("a deleted file without AllowDeletes must be ignored and listed: %+v\n%s", p.Files, render(p))
	}
	if out := render(p); !strings.Contains(out, "deleted file ignored") {
		t.Fatalf("the plan does not say the deleted file is ignored:\n%s", out)
	}
	p = e.mustPlanFiles(Files{From: "HEAD~1", To: "HEAD"}, Options{AllowDeletes: true})
	if len(p.Actions) != 1 || p.Actions[0].Op != OpDelete || !p.Actions[0].Removal {
		t.Fatalf("want one delete:\n%s", render(p))
	}
	res := e.apply(roundTrip(t, p))
	if !res.Complete() {
		t.Fatalf("apply: %+v", res)
	}
	if _, err := e.repo.ReadFile(context.Background(), "HEAD", ca002); err == nil {
		t.Fatal("the deleted policy is still recorded")
	}
	for _, o := range e.list("/v1.0/identity/conditionalAccess/policies") {
		if o["id"] == "37d3a33f-9060-464e-844d-dab8699bd355" {
			t.Fatal("the policy is still in the tenant")
		}
	}
}

// TestFilesInvalidRefused: a file that fails validation is never planned;
// the error names the file, the line and what to do.
func TestFilesInvalidRefused(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	e.editWT(ca002, `state: "enabled"`, `state: "enabled"`+"\nnotAProperty: 1")
	e.editCreated(ca002)
	e.writeWT("conditional-access/policies/new-x.yaml", "displayName: \"X\"\nid: \"11111111-1111-1111-1111-111111111111\"\nstate: \"disabled\"\n")
	e.commitAll("broken")
	_, err := e.planFiles(Files{From: "HEAD~1", To: "HEAD"}, Options{})
	var fe *FilesError
	if !errors.As(err, &fe) {
		t.Fatalf("want a FilesError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{ca002 + ":", "notAProperty", "conditional-access/policies/new-x.yaml:2: id: a new object's file (new-NAME.yaml) has no id", "nothing was planned", "entrasnap validate"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	// The read-only edit alone: flagged with its line.
	e2 := newEnv(t, graphsim.Options{}, nil)
	e2.editCreated(ca002)
	_, err = e2.planFiles(Files{From: "HEAD", Worktree: true}, Options{})
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), ca002+":23: createdDateTime: read-only") {
		t.Fatalf("want the read-only edit refused with its line, got %v", err)
	}
}

// TestFilesStaleRefused: a plan is refused when the tenant changed since,
// when the files at HEAD are not those reviewed, and (working tree) when
// the files changed.
func TestFilesStaleRefused(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	git(t, e.repo.WorkTree(), "checkout", "-q", "-b", "change")
	e.editWT(ca002, `state: "enabled"`, `state: "disabled"`)
	e.commitAll("disable CA002")
	p := roundTrip(t, e.mustPlanFiles(Files{From: "main", To: "HEAD"}, Options{}))

	// Another commit changes the reviewed file: refused.
	e.editWT(ca002, `state: "disabled"`, `state: "enabledForReportingButNotEnforced"`)
	e.commitAll("report-only instead")
	_, err := Apply(context.Background(), p, e.applyOpts())
	var fc *FilesChangedError
	if !errors.As(err, &fc) || !strings.Contains(err.Error(), ca002) {
		t.Fatalf("want the changed file refused, got %v", err)
	}
	git(t, e.repo.WorkTree(), "reset", "-q", "--hard", "HEAD~1")

	// The tenant changed: refused as stale.
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/37d3a33f-9060-464e-844d-dab8699bd355", map[string]any{"displayName": "CA002 renamed outside"})
	_, err = Apply(context.Background(), p, e.applyOpts())
	var se *StaleError
	if !errors.As(err, &se) {
		t.Fatalf("want a stale plan refused, got %v", err)
	}

	// Working tree: a file edited after planning is refused.
	e2 := newEnv(t, graphsim.Options{}, nil)
	e2.editWT(ca002, `state: "enabled"`, `state: "disabled"`)
	pw := roundTrip(t, e2.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{}))
	if len(pw.Actions) != 1 {
		t.Fatalf("want one update:\n%s", render(pw))
	}
	e2.editWT(ca002, `state: "disabled"`, `state: "enabledForReportingButNotEnforced"`)
	_, err = Apply(context.Background(), pw, e2.applyOpts())
	if !errors.As(err, &fc) {
		t.Fatalf("want the edited working tree refused, got %v", err)
	}
}

// TestFilesNewObjectFromWorktree: a new-NAME.yaml in the working tree is
// created, recorded at its canonical path, and removed from the working
// tree, so planning the working tree again finds nothing to do.
func TestFilesNewObjectFromWorktree(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	newFile := "conditional-access/policies/new-mfa-for-guests.yaml"
	e.writeWT(newFile, "conditions:\n  applications:\n    includeApplications:\n      - \"All\"\n  users:\n    includeUsers:\n      - \"GuestsOrExternalUsers\"\n"+
		"displayName: \"CA011: MFA for guests\"\ngrantControls:\n  builtInControls:\n    - \"mfa\"\n  operator: \"OR\"\nstate: \"disabled\"\n")
	p := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Op != OpCreate {
		t.Fatalf("want one create:\n%s", render(p))
	}
	res := e.apply(roundTrip(t, p))
	if !res.Complete() || res.SnapshotErr != "" {
		t.Fatalf("apply: %+v", res)
	}
	if _, err := os.Stat(e.wt(newFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the hand-written file is still in the working tree: %v", err)
	}
	canonical := "conditional-access/policies/ca011-mfa-for-guests." + res.Actions[0].NewID + ".yaml"
	if _, err := os.Stat(e.wt(canonical)); err != nil {
		t.Fatalf("the working tree lacks %s: %v", canonical, err)
	}
	if again := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{}); !again.Empty() || len(again.Files.New) != 0 {
		t.Fatalf("planning the working tree again is not empty:\n%s", render(again))
	}
	if st := git(t, e.repo.WorkTree(), "status", "--porcelain"); st != "" {
		t.Fatalf("git status: %s", st)
	}
}

// TestFilesCopiedFileRefused: a copy of an object's file (same id) under
// another name is refused, not planned as a second write of one object.
func TestFilesCopiedFileRefused(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	e.writeWT(strings.Replace(ca002, "ca002-block-legacy-authentication", "ca002-block-legacy-authentication-copy", 1),
		strings.Replace(e.readWT(ca002), `displayName: "CA002: Block legacy authentication"`, `displayName: "CA002: Block legacy authentication copy"`, 1))
	_, err := e.planFiles(Files{From: "HEAD", Worktree: true}, Options{})
	if err == nil || !strings.Contains(err.Error(), "one object, one file") {
		t.Fatalf("want the copy refused, got %v", err)
	}
}

// TestFilesReadWithinTheRepositoryLimit: the files of a plan from files are
// read within the repository's limit on one file (the CLI sets it from
// ENTRASNAP_MAX_FILE_SIZE), the working tree's as a commit's: a file over
// it is refused, named, and not read past the limit.
func TestFilesReadWithinTheRepositoryLimit(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	all, err := e.repo.ReadAll(context.Background(), "HEAD", "")
	if err != nil {
		t.Fatal(err)
	}
	largest := 0
	for _, data := range all {
		largest = max(largest, len(data))
	}
	limit := int64(largest + 1024)
	src := e.readWT(ca002)
	e.writeWT(ca002, src+"# "+strings.Repeat("x", largest+2048)+"\n")
	e.repo.SetMaxFileSize(limit)
	_, err = e.planFiles(Files{From: "HEAD", Worktree: true}, Options{})
	if err == nil || !strings.Contains(err.Error(), ca002) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("--worktree with %s over the repository's limit of %d bytes: %v", ca002, limit, err)
	}
	e.repo.SetMaxFileSize(0)
	e.commitAll("a long comment")
	e.repo.SetMaxFileSize(limit)
	_, err = e.planFiles(Files{From: "HEAD~1", To: "HEAD"}, Options{})
	if err == nil || !strings.Contains(err.Error(), ca002) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("--changed with %s over the repository's limit of %d bytes: %v", ca002, limit, err)
	}
}
