package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadPlan: ReadPlan reads a saved plan as `entrasnap apply FILE`
// does. What the user gave wrong (no such file, too large, not a plan, a
// rehearsal's plan without --rehearsal, a real one with it) is a
// *PlanFileError naming the file; a plan of a newer format is a plain
// error (not the user's mistake: upgrade) that names it too.
func TestReadPlan(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	const inst = "0123456789abcdef0123456789abcdef"
	real := write("real.json", `{"format":1,"tenantId":"t","liveFingerprints":{},"actions":[]}`)
	rehearsal := write("rehearsal.json", `{"format":1,"tenantId":"t","rehearsal":"`+inst+`","liveFingerprints":{},"actions":[]}`)
	if p, err := ReadPlan(real, false); err != nil || p.TenantID != "t" || p.Rehearsal != "" {
		t.Fatalf("a real plan: %+v, %v", p, err)
	}
	if p, err := ReadPlan(rehearsal, true); err != nil || p.Rehearsal != inst {
		t.Fatalf("a rehearsal's plan with --rehearsal: %+v, %v", p, err)
	}
	big := write("big.json", `{"format":1,"tenantId":"t","liveFingerprints":{},"actions":[]}`+strings.Repeat(" ", 2048))
	for _, c := range []struct {
		name, file string
		rehearsal  bool
		want       string
		notAPlan   bool
	}{
		{"missing", filepath.Join(dir, "missing.json"), false, "missing.json", false},
		{"too large", big, false, "larger than", false},
		{"not JSON", write("garbage.json", "hello\n"), false, "garbage.json: not an entrasnap restore plan", true},
		{"no format", write("noformat.json", `{"actions":[]}`), false, "noformat.json: not an entrasnap restore plan", true},
		{"an action without a path", write("nopath.json", `{"format":1,"liveFingerprints":{},"actions":[{"id":"a","request":{"method":"GET"}}]}`), false, "action 1 has no id, method or path", true},
		{"a rehearsal's plan without --rehearsal", rehearsal, false, "apply it with --rehearsal", false},
		{"a real plan with --rehearsal", real, true, "made against a real tenant", false},
	} {
		t.Setenv("ENTRASNAP_MAX_FILE_SIZE", "1KiB")
		p, err := ReadPlan(c.file, c.rehearsal)
		var pe *PlanFileError
		if p != nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrNotAPlan) != c.notAPlan {
			t.Errorf("%s: %v, %v; want a *PlanFileError saying %q", c.name, p, err, c.want)
		}
	}
	newer := write("newer.json", `{"format":99,"tenantId":"t","liveFingerprints":{},"actions":[]}`)
	p, err := ReadPlan(newer, false)
	var pe *PlanFileError
	if p != nil || err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "newer.json: plan format 99 is newer") || !strings.Contains(err.Error(), "upgrade entrasnap") {
		t.Errorf("a plan of a newer format: %v, %v; want a plain error naming the file and saying to upgrade", p, err)
	}
}
