package check

import (
	"fmt"
	"path"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// Images of objects (layout.Kind.Images: company branding's logos) are
// files next to the object's YAML, which names each with its SHA-256.
// check verifies every image an object names exists with those bytes, and
// warns about image files no object names.

// namedImages reads the images obj names, adding an issue for each value
// that is not a valid image reference.
func namedImages(k *layout.Kind, obj map[string]any, issues []Issue) ([]layout.Image, []Issue) {
	var out []layout.Image
	for _, prop := range k.Images {
		im, ok, err := layout.ImageOf(obj, prop)
		if err != nil {
			issues = append(issues, Issue{Severity: SevError, Property: prop, Message: err.Error()})
			continue
		}
		if ok {
			im.File = k.ImagePath(im.File)
			out = append(out, im)
		}
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

// propOf is the property of k holding image im (files are named after it).
func propOf(_ *layout.Kind, im layout.Image) string { return imageProp(im.File) }

// imageProp is the property name an image file is named after.
func imageProp(file string) string {
	base := path.Base(file)
	name, _, _ := strings.Cut(base, ".")
	return name
}
