package history

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// Annotate names the ids an object file quotes, not the object's own id,
// and escapes what a terminal would interpret.
func TestAnnotate(t *testing.T) {
	groups, _ := layout.Lookup("groups")
	const gid, uid = "3f2a0b1c-1111-4000-8000-000000000001", "5e000000-0000-4000-8000-000000000001"
	group := map[string]any{"id": gid, "displayName": "Finance"}
	users, _ := layout.Lookup("users")
	user := map[string]any{"id": uid, "displayName": "Ada\u202e"}
	gp, _ := layout.Path(groups, group)
	up, _ := layout.Path(users, user)
	ix := FromFiles(map[string][]byte{gp: layout.Canonical(groups, group), up: layout.Canonical(users, user)})
	data := []byte("id: \"" + gid + "\"\nmembers:\n  - id: \"" + uid + "\"\nnote: \"\x1b[31m\"\n")
	var b strings.Builder
	if err := ix.Annotate(&b, gp, data); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if strings.Contains(lines[0], "#") {
		t.Errorf("the object's own id is annotated: %q", lines[0])
	}
	if !strings.HasSuffix(lines[2], "  # "+layout.Safe("Ada\u202e")) || strings.Contains(b.String(), "\u202e") {
		t.Errorf("member line = %q, want the user's name, escaped", lines[2])
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("a control character reached the output:\n%q", b.String())
	}
}
