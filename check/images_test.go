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

// A terms of use agreement's files (layout.Kind.FileItems) are checked as
// images are, each named by its language; a Conditional Access policy's
// grantControls.termsOfUse resolves to the agreements the snapshot holds.
func TestRepoAgreementFilesAndReferences(t *testing.T) {
	r := newCheckRepo(t)
	k, id, pdf, im := agreementPDF(t)
	p, y := objectFile(t, k, map[string]any{"id": id, "displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{map[string]any{"language": "en-US", "fileName": "t.pdf", "isDefault": true, "fileData": im.Value()}}})
	doc := k.ImagePath(im.File)
	ca := kind(t, "conditional-access-policies")
	policy := func(agreement string) (string, []byte) {
		return objectFile(t, ca, map[string]any{"id": "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f", "displayName": "ToU", "state": "disabled",
			"conditions":    map[string]any{"users": map[string]any{"includeUsers": []any{"All"}}, "applications": map[string]any{"includeApplications": []any{"All"}}},
			"grantControls": map[string]any{"operator": "OR", "termsOfUse": []any{agreement}}})
	}
	pp, py := policy(id)
	if is := checkSnapshot(t, r, map[string][]byte{p: y, doc: pdf, pp: py}, "").Snapshots[0].Issues; len(is) != 0 {
		t.Errorf("a good snapshot: %+v", is)
	}
	is := checkSnapshot(t, r, map[string][]byte{p: y, doc: append([]byte("x"), pdf...), pp: py}, "").Snapshots[0].Issues
	if len(is) != 1 || is[0].File != p || is[0].Property != "files[en-US].fileData" || !strings.Contains(is[0].Message, "changed by hand") {
		t.Errorf("a changed PDF: %+v", is)
	}
	pp, py = policy("7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6aff")
	rep := checkSnapshot(t, r, map[string][]byte{p: y, doc: pdf, pp: py}, "")
	if got := dangling(rep, func(i Issue) string { return i.File + " " + i.Property }); len(got) != 1 || !strings.Contains(got[0], "grantControls.termsOfUse") {
		t.Errorf("a policy requiring an agreement the snapshot lacks: %v %+v", got, rep.Snapshots[0].Issues)
	}
}

// An agreement file Graph returned without its bytes (fileData
// {notReturned: true}) is accepted with a warning naming it: no PDF is
// expected. The agreement's other file is still verified.
func TestRepoAgreementFileNotReturned(t *testing.T) {
	r := newCheckRepo(t)
	k, id, pdf, im := agreementPDF(t)
	p, y := objectFile(t, k, map[string]any{"id": id, "displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{map[string]any{"language": "en-US", "fileName": "t.pdf", "isDefault": true, "fileData": im.Value()},
			map[string]any{"language": "de-DE", "fileName": "g.pdf", "isDefault": false, "fileData": layout.NotReturnedValue()}}})
	doc := k.ImagePath(im.File)
	rep := checkSnapshot(t, r, map[string][]byte{p: y, doc: pdf}, "").Snapshots[0]
	if rep.Errors != 0 || len(rep.Issues) != 1 || rep.Issues[0].Severity != SevWarning || rep.Issues[0].Property != "files[de-DE].fileData" ||
		!strings.Contains(rep.Issues[0].Message, "without its bytes") {
		t.Errorf("a file without bytes: %+v", rep.Issues)
	}
	is := checkSnapshot(t, r, map[string][]byte{p: y, doc: append([]byte("x"), pdf...)}, "").Snapshots[0].Issues
	if n := len(is); n != 2 || is[0].Property != "files[en-US].fileData" && is[1].Property != "files[en-US].fileData" {
		t.Errorf("the other file is not verified: %+v", is)
	}
}

// agreementPDF is an agreement's kind, id, a small PDF and its en-US
// file's Image.
func agreementPDF(t *testing.T) (*layout.Kind, string, []byte, layout.Image) {
	t.Helper()
	k := kind(t, "terms-of-use")
	const id = "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a01"
	pdf := []byte("%PDF-1.4\nterms\n%%EOF\n")
	im, err := k.NewItemImage(id, "en-US", pdf)
	if err != nil {
		t.Fatal(err)
	}
	return k, id, pdf, im
}
