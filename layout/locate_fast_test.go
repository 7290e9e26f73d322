package layout

import (
	"testing"
)

// TestLocateAndForPathMatchFolderBoundaries (issue 12: Locate and ForPath
// no longer build a string per kind for each path): a path is a kind's
// only under its folder followed by "/", and a singleton's only as
// exactly <folder>.yaml; a folder name that is a prefix of another's
// never captures it, whatever the order of the catalog.
func TestLocateAndForPathMatchFolderBoundaries(t *testing.T) {
	for _, k := range Kinds() {
		if k.Singleton {
			got, key, err := Locate(k.Folder + ".yaml")
			if err != nil || got != k || key != k.Name {
				t.Errorf("Locate(%s.yaml) = %v, %q, %v; want %s", k.Folder, got, key, err, k.Name)
			}
			for _, p := range []string{k.Folder + "x.yaml", k.Folder + ".yml", "x" + k.Folder + ".yaml"} {
				if got, _, err := Locate(p); err == nil && got == k {
					t.Errorf("Locate(%s) = %s, want not %s", p, got.Name, k.Name)
				}
			}
			continue
		}
		if got, ok := ForPath(k.Folder + "/x.yaml"); !ok || got != k {
			t.Errorf("ForPath(%s/x.yaml) = %v, %v; want %s", k.Folder, got, ok, k.Name)
		}
		if got, ok := ForPath(k.Folder + "x/y.yaml"); ok && got == k {
			t.Errorf("ForPath(%sx/y.yaml) = %s: a folder whose name only starts with %s's", k.Folder, got.Name, k.Name)
		}
		if got, ok := ForPath(k.Folder); ok && got == k {
			t.Errorf("ForPath(%s) = %s: the folder itself is no file of it", k.Folder, got.Name)
		}
	}
}
