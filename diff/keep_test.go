package diff

import (
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// Keep leaves only the objects of the kinds given; no kinds keeps all.
func TestKeep(t *testing.T) {
	groups, _ := layout.Lookup("groups")
	users, _ := layout.Lookup("users")
	s := Snapshot{"g": {Kind: groups}, "u": {Kind: users}}
	s.Keep(nil)
	if len(s) != 2 {
		t.Fatalf("Keep(nil) dropped objects: %v", s)
	}
	s.Keep([]*layout.Kind{groups})
	if len(s) != 1 || s["g"] == nil {
		t.Errorf("Keep(groups) = %v, want only g", s)
	}
}
