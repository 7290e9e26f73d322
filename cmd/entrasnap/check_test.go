package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// gitCLI runs the real git CLI in dir, as a person editing the repository.
func gitCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(gitcheck.Run(t, dir, args...))
}

// firstFile is the first tracked file under dir whose content contains want.
func firstFile(t *testing.T, repo, dir, want string) string {
	t.Helper()
	for _, p := range strings.Fields(gitCLI(t, repo, "ls-files", dir)) {
		data, err := os.ReadFile(filepath.Join(repo, p))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), want) {
			return p
		}
	}
	t.Fatalf("no file under %s holds %q", dir, want)
	return ""
}

func editFile(t *testing.T, repo, p string, edit func(string) string) {
	t.Helper()
	fp := filepath.Join(repo, p)
	data, err := os.ReadFile(fp)
	if err != nil {
		t.Fatal(err)
	}
	changed := edit(string(data))
	if changed == string(data) {
		t.Fatalf("the edit of %s changed nothing", p)
	}
	if err := os.WriteFile(fp, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lineCount(t *testing.T, repo, p string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, p))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

func TestCheck(t *testing.T) {
	f := newDriftFixture(t, nil)
	repo := f.repo

	// A fresh export passes (warnings allowed: a CA policy names a
	// Microsoft application that has no service principal in the tenant).
	code, out, errOut := runCLI(t, "check", "--repo", repo)
	if code != exitOK || !strings.Contains(out, "0 errors") && !strings.Contains(out, "No problems") {
		t.Fatalf("check of a fresh export: code %d\n%s\n%s", code, out, errOut)
	}

	// Hand edits committed with the git CLI.
	dup := firstFile(t, repo, "conditional-access/named-locations", "displayName:")
	dupLine := lineCount(t, repo, dup) + 1
	editFile(t, repo, dup, func(s string) string { return s + "displayName: \"Again\"\n" })

	bogus := firstFile(t, repo, "conditional-access/policies", "conditions:")
	editFile(t, repo, bogus, func(s string) string { return "bogusSetting: true\n" + s })

	grp := firstFile(t, repo, "groups", "members:\n  - \"@odata.type\": \"#microsoft.graph.user\"\n    id: \"")
	const dead = "deadbeef-0000-4000-8000-000000000000"
	editFile(t, repo, grp, func(s string) string {
		i := strings.Index(s, "members:\n")
		j := i + strings.Index(s[i:], "id: \"") + len("id: \"")
		return s[:j] + dead + s[j+36:]
	})

	app := firstFile(t, repo, "applications", "displayName:")
	moved := "applications/zz/" + filepath.Base(app)
	if err := os.MkdirAll(filepath.Join(repo, "applications/zz"), 0o755); err != nil {
		t.Fatal(err)
	}
	gitCLI(t, repo, "mv", app, moved)

	gone := firstFile(t, repo, "policies/cross-tenant-access/partners", "tenantId:")
	gitCLI(t, repo, "rm", "-q", gone)

	gitCLI(t, repo, "commit", "-q", "-am", "hand edits")

	code, out, errOut = runCLI(t, "check", "--repo", repo)
	t.Logf("check after hand edits:\n%s", out)
	if code != exitError {
		t.Fatalf("check after hand edits: code %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		fmt.Sprintf("%s:%d: displayName: duplicate key", dup, dupLine),
		bogus + ":1: bogusSetting: unknown property",
		grp + ":", "members[0].id: " + dead + " names no object in the snapshot",
		moved + ": entrasnap keeps this object at " + app,
		".entrasnap/snapshot.yaml:", "kinds.cross-tenant-access-partners.objects: says 2, but the snapshot holds 1 cross-tenant access partner settings files",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(strings.TrimSpace(errOut), "\n") > 0 || !strings.Contains(errOut, "check found") {
		t.Errorf("stderr = %q", errOut)
	}
	code, out, _ = runCLI(t, "check", "--repo", repo, "--json")
	var rep check.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, is := range rep.Snapshots[0].Issues {
		if is.Severity == check.SevError {
			files[is.File] = true
		}
	}
	if code != exitError || rep.OK || len(rep.Snapshots) != 1 || rep.Snapshots[0].Names[0] != "HEAD" ||
		!files[dup] || !files[bogus] || !files[grp] || !files[moved] || !files[".entrasnap/snapshot.yaml"] || len(files) != 5 {
		t.Errorf("json: code %d, files with errors %v\n%s", code, files, out)
	}

	// The hand-edited commit becomes a tagged snapshot; a new export
	// rewrites the objects. The latest is clean; --all finds the old one.
	gitCLI(t, repo, "tag", "-a", "-m", "hand edits", "snapshot/20000101T000000Z")
	histExport(t, &f.histFixture, "after hand edits")
	if code, out, _ := runCLI(t, "check", "--repo", repo); code != exitOK {
		t.Errorf("check after a new export: code %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "check", "--repo", repo, "--all")
	t.Logf("check --all:\n%s", out)
	if code != exitError || !strings.Contains(out, "snapshot/20000101T000000Z") || !strings.Contains(out, bogus+":1: bogusSetting: unknown property") ||
		!strings.Contains(out, "tags: 3 snapshot tags, each on a commit with a manifest") {
		t.Errorf("check --all: code %d\n%s", code, out)
	}
	if n := strings.Count(out, " object files"); n != 3 {
		t.Errorf("check --all checked %d commits, want 3 (HEAD is also the latest tag)\n%s", n, out)
	}

	// A snapshot tag on a commit that holds no manifest.
	empty := gitCLI(t, repo, "hash-object", "-t", "tree", "/dev/null")
	orphan := gitCLI(t, repo, "commit-tree", empty, "-m", "not a snapshot")
	gitCLI(t, repo, "tag", "snapshot/bogus", orphan)
	code, out, _ = runCLI(t, "check", "--repo", repo)
	if code != exitError || !strings.Contains(out, "snapshot/bogus: points at "+orphan[:12]+", which holds no .entrasnap/snapshot.yaml") {
		t.Errorf("check with a tag on a commit without manifest: code %d\n%s", code, out)
	}

	// Errors are one line that says what to do.
	for _, args := range [][]string{
		{"check", "--repo", t.TempDir()},
		{"check"},
		{"check", "--repo", repo, "extra"},
	} {
		code, _, errOut := runCLI(t, args...)
		if code == exitOK || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut)
		}
	}
}
