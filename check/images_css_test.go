package check

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// check verifies company branding's customCSS as it does the images: the
// file the YAML names must hold the bytes of its SHA-256; a style sheet
// named as an image type is an error.
func TestRepoCustomCSS(t *testing.T) {
	ctx := context.Background()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "backup"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	k := kind(t, "branding")
	css := []byte("/* \u202e */ .ext-title { color: red; }\r\n")
	im, err := layout.NewImage("0", layout.CustomCSS, "text/css", css)
	if err != nil {
		t.Fatal(err)
	}
	if im.File != "images/0/customCSS.css" {
		t.Fatalf("file %s", im.File)
	}
	p, y := objectFile(t, k, map[string]any{"id": "0", layout.CustomCSS: im.Value()})
	check := func(files map[string][]byte) []Issue {
		t.Helper()
		writeSnapshot(t, r, files, "")
		rep, err := Repo(ctx, r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Snapshots[0].Issues
	}
	if is := check(map[string][]byte{p: y, k.ImagePath(im.File): css}); len(is) != 0 {
		t.Errorf("a good snapshot: %+v", is)
	}
	is := check(map[string][]byte{p: y, k.ImagePath(im.File): append(append([]byte(nil), css...), " .x{}"...)})
	if len(is) != 1 || is[0].Property != layout.CustomCSS || !strings.Contains(is[0].Message, "changed by hand") {
		t.Errorf("a changed style sheet: %+v", is)
	}
	if _, err := layout.NewImage("0", layout.CustomCSS, "image/png", css); err == nil {
		t.Error("a style sheet as image/png was accepted")
	}
	if _, err := layout.NewImage("0", "bannerLogo", "text/css", css); err == nil {
		t.Error("a logo as text/css was accepted")
	}
}
