package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// docs/coverage.md names, for each kind issue 13 lists, the tests that
// prove its export, restore and check: every test it names exists in the
// module (a renamed or deleted test fails here, not in a reader's
// search), and its opening count of kinds is the catalog's.
func TestCoverageNamesExistingTests(t *testing.T) {
	doc, err := os.ReadFile("../../docs/coverage.md")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]+)\(t \*testing\.T\)`)
	err = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != "../.." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			defined[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`\bTest[A-Z][A-Za-z0-9_]*`).FindAllString(string(doc), -1)
	if len(named) < 40 {
		t.Fatalf("docs/coverage.md names %d tests: the page lost its table?", len(named))
	}
	for _, n := range named {
		if !defined[n] {
			t.Errorf("docs/coverage.md names %s, which no test file of the module defines", n)
		}
	}

	restorable, exportOnly := 0, 0
	for _, k := range layout.Kinds() {
		if k.ExportOnly != "" {
			exportOnly++
		} else {
			restorable++
		}
	}
	want := fmt.Sprintf("(%d kinds: %d restorable, %d export-only)", restorable+exportOnly, restorable, exportOnly)
	if !strings.Contains(strings.Join(strings.Fields(string(doc)), " "), want) {
		t.Errorf("docs/coverage.md does not open with the catalog's count %s", want)
	}
}
