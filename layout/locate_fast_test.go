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

// TestLocateCopiesNoPlainKey: the key Locate gives for a file name with
// nothing escaped is part of the path, not a copy (an incremental export
// locates every file of the previous snapshot and keeps the keys for the
// run: 9 MB of copies at 100,000 users, issue 12); an escaped key is
// still unescaped.
func TestLocateCopiesNoPlainKey(t *testing.T) {
	p := "users/ab/ada-lovelace.ab5e0c1e-4a7d-4c2b-9a57-3f1e2d0c9b8a.yaml"
	if k, key, err := Locate(p); err != nil || k.Name != "users" || key != "ab5e0c1e-4a7d-4c2b-9a57-3f1e2d0c9b8a" {
		t.Fatalf("Locate(%s) = %v, %q, %v", p, k, key, err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = Locate(p) }); n != 0 {
		t.Errorf("Locate of a plain file name allocates %.0f times, want 0", n)
	}
	var escaped string
	for _, k := range Kinds() {
		if !k.Singleton && k.NameProp == "" && !k.Shard {
			escaped = k.Folder + "/a~2Fb.yaml"
			break
		}
	}
	if escaped == "" {
		t.Skip("no kind named by its key alone")
	}
	if _, key, err := Locate(escaped); err != nil || key != "a/b" {
		t.Errorf("Locate(%s) = %q, %v; want the key a/b", escaped, key, err)
	}
}
