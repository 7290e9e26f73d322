package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// TestCheckAcceptsKeysDifferingInCase: two objects whose keys differ only
// in case, at the paths export gives them (layout.Path and
// layout.PathCaseDistinct), are two objects for check, not one object in
// two files nor a file at the wrong path.
func TestCheckAcceptsKeysDifferingInCase(t *testing.T) {
	f := newDriftFixture(t, nil)
	repo := f.repo
	src := firstFile(t, repo, "users", "userPrincipalName:")
	data, err := os.ReadFile(filepath.Join(repo, src))
	if err != nil {
		t.Fatal(err)
	}
	idLine := regexp.MustCompile(`(?m)^id: "[^"]*"$`)
	users, _ := layout.Lookup("users")
	for i, key := range []string{"case-key", "Case-Key"} {
		content := idLine.ReplaceAllString(string(data), `id: "`+key+`"`)
		obj := map[string]any{"id": key}
		if m := regexp.MustCompile(`(?m)^userPrincipalName: "?([^"\n]*)"?$`).FindStringSubmatch(content); m != nil {
			obj["userPrincipalName"] = m[1]
		}
		pathOf := layout.Path
		if i == 1 {
			pathOf = layout.PathCaseDistinct
		}
		p, err := pathOf(users, obj)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(repo, p)), 0o755)
		if err := os.WriteFile(filepath.Join(repo, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// the manifest counts the two new users
	man := filepath.Join(repo, ".entrasnap", "snapshot.yaml")
	mb, _ := os.ReadFile(man)
	ms := regexp.MustCompile(`(?s)(\n  users:\n.*?objects: )(\d+)`).ReplaceAllStringFunc(string(mb), func(m string) string {
		return strings.TrimSuffix(m, "150") + "152"
	})
	os.WriteFile(man, []byte(ms), 0o644)
	gitCLI(t, repo, "add", "-A")
	gitCLI(t, repo, "commit", "-q", "-m", "two keys differing in case")
	code, out, errOut := runCLI(t, "check", "--repo", repo)
	if code != exitOK || strings.Contains(out, "two files hold one object") || strings.Contains(out, "keeps this object at") {
		t.Fatalf("check: code %d\n%s\n%s", code, out, errOut)
	}
}
