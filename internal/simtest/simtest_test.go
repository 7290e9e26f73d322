package simtest

import (
	"os"
	"path/filepath"
	"testing"
)

// A Template with LinkObjects hard-links the files of a git object store
// and copies every other file (a folder named objects that is not beside
// a HEAD file included); without it every file is copied.
func TestTemplateLinksOnlyTheObjectStore(t *testing.T) {
	files := map[string]bool{ // path → linked
		".git/HEAD": false, ".git/config": false, ".git/objects/ab/cdef01": true, ".git/objects/pack/pack-1.pack": true,
		"objects/users/x.yaml": false, "users/objects/y.yaml": false,
	}
	build := func(t testing.TB, dir string) (any, error) {
		for p := range files {
			f := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(f, []byte(p), 0o644); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	for _, link := range []bool{true, false} {
		tp := &Template{LinkObjects: link}
		defer tp.Remove()
		dst := filepath.Join(t.TempDir(), "copy")
		tp.Copy(t, dst, build)
		for p, linked := range files {
			a, err := os.Stat(filepath.Join(tp.dir, "t", filepath.FromSlash(p)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.Stat(filepath.Join(dst, filepath.FromSlash(p)))
			if err != nil {
				t.Fatalf("LinkObjects %v: %s not copied: %v", link, p, err)
			}
			if data, _ := os.ReadFile(filepath.Join(dst, filepath.FromSlash(p))); string(data) != p {
				t.Errorf("LinkObjects %v: %s holds %q", link, p, data)
			}
			if got := os.SameFile(a, b); got != (linked && link) {
				t.Errorf("LinkObjects %v: %s linked %v, want %v", link, p, got, linked && link)
			}
		}
	}
}
