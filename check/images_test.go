package check

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// check verifies each image a branding file names: the file exists with
// the SHA-256 the YAML holds; an image no object names is a warning.
func TestRepoImages(t *testing.T) {
	r := newCheckRepo(t)
	k := kind(t, "branding")
	logo := []byte("\x89PNG\r\n\x1a\nnot really a logo")
	im, err := layout.NewImage("0", "bannerLogo", "image/png", logo)
	if err != nil {
		t.Fatal(err)
	}
	p, y := objectFile(t, k, map[string]any{"id": "0", "signInPageText": "Hi", "bannerLogo": im.Value()})
	imgPath := k.ImagePath(im.File)
	check := func(files map[string][]byte) []Issue {
		t.Helper()
		return checkSnapshot(t, r, files, "").Snapshots[0].Issues
	}
	if is := check(map[string][]byte{p: y, imgPath: logo}); len(is) != 0 {
		t.Errorf("a good snapshot: %+v", is)
	}
	is := check(map[string][]byte{p: y, imgPath: append([]byte(nil), append(logo, '!')...)})
	if len(is) != 1 || is[0].File != p || is[0].Property != "bannerLogo" || is[0].Severity != SevError || !strings.Contains(is[0].Message, "changed by hand") {
		t.Errorf("a changed image: %+v", is)
	}
	is = check(map[string][]byte{p: y})
	if len(is) != 1 || is[0].Severity != SevError || !strings.Contains(is[0].Message, "which the snapshot lacks") {
		t.Errorf("a missing image: %+v", is)
	}
	stray := k.Folder + "/images/0/favicon.ico"
	is = check(map[string][]byte{p: y, imgPath: logo, stray: []byte("x")})
	if len(is) != 1 || is[0].File != stray || is[0].Severity != SevWarning {
		t.Errorf("an image no object names: %+v", is)
	}
	bad := map[string]any{"id": "0", "bannerLogo": map[string]any{"file": "../../users/x.yaml", "sha256": im.SHA256, "contentType": "image/png", "size": 1}}
	p2, y2 := objectFile(t, k, bad)
	is = check(map[string][]byte{p2: y2})
	found := false
	for _, i := range is {
		found = found || i.Severity == SevError && strings.Contains(i.Message, "not a file under images/")
	}
	if !found {
		t.Errorf("an image path outside images/: %+v", is)
	}
}
