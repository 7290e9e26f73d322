package check

import (
	"fmt"

	"github.com/entrasnap/entrasnap/layout"
)

// Images of objects (layout.Kind.Images: company branding's logos) are
// files next to the object's YAML, which names each with its SHA-256.
// check verifies every image an object names exists with those bytes, and
// warns about image files no object names.

// namedImages reads the images obj names (layout.ObjectImages: Images and
// FileItems documents), adding an issue for each value that is not a
// valid image reference.
func namedImages(k *layout.Kind, obj map[string]any, issues []Issue) ([]layout.NamedImage, []Issue) {
	out, errs := layout.ObjectImages(k, obj)
	for _, err := range errs {
		issues = append(issues, Issue{Severity: SevError, Property: err.Prop, Message: err.Error()})
	}
	for i := range out {
		out[i].File = k.ImagePath(out[i].File)
	}
	for _, prop := range layout.ItemsNotReturned(k, obj) { // live/termsofuse.go: fileData null
		issues = append(issues, Issue{Severity: SevWarning, Property: prop,
			Message: "Graph returned this file without its bytes: no PDF is expected or checked; restore cannot recreate the agreement (or add this language) from this snapshot"})
	}
	for _, prop := range layout.ItemsCarried(k, obj) { // live/termsofuse.go: fileData null, an earlier export's PDF kept
		issues = append(issues, Issue{Severity: SevWarning, Property: prop,
			Message: "Graph returned this file without its bytes at the last export; the PDF named is the one an earlier export read (checked like any other), not confirmed by Graph since"})
	}
	return out, issues
}

// imageIssues checks the images the object files name against the image
// files of the commit.
func imageIssues(files []blobFile, facts []*fileFacts, add func(string, Issue)) {
	sums := map[string]string{} // image path → SHA-256
	for i, f := range files {
		if facts[i].imageSum != "" {
			sums[f.path] = facts[i].imageSum
		}
	}
	named := map[string]bool{}
	for i, f := range files {
		for _, im := range facts[i].images {
			named[im.File] = true
			sum, ok := sums[im.File]
			switch {
			case !ok:
				add(f.path, Issue{Severity: SevError, Property: propOf(facts[i].kind, im),
					Message: fmt.Sprintf("names the image file %s, which the snapshot lacks: export again, or restore the file from an earlier snapshot", layout.Safe(im.File))})
			case sum != im.SHA256:
				add(f.path, Issue{Severity: SevError, Property: propOf(facts[i].kind, im),
					Message: fmt.Sprintf("names the image file %s with SHA-256 %s, but the file's is %s: the image was changed by hand; export again", layout.Safe(im.File), im.SHA256, sum)})
			}
		}
	}
	for p := range sums {
		if !named[p] {
			add(p, Issue{Severity: SevWarning, Message: "an image no object file names; entrasnap ignores it"})
		}
	}
}

// propOf is the property of k holding image im.
func propOf(_ *layout.Kind, im layout.NamedImage) string { return im.Prop }
