package exporter

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// TestExtraFilesAreCommittedAndReplaced: Options.Files are written with the
// snapshot (restore's id map), replace the previous version, are carried
// by later runs that do not give them, and may not be object files.
func TestExtraFilesAreCommittedAndReplaced(t *testing.T) {
	whenShortOnly(t, "users", "groups") // the extra files do not depend on the kinds; a file in groups' folder is refused
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	const p = ".entrasnap/idmap.yaml"
	mustExport(t, c, r, func(o *Options) { o.Files = map[string][]byte{p: []byte("format: 1\n")} })
	if got := git(t, r.Path(), "show", "HEAD:"+p); got != "format: 1\n" {
		t.Fatalf("extra file: %q", got)
	}
	res := mustExport(t, c, r, func(o *Options) { o.Files = map[string][]byte{p: []byte("format: 2\n")} })
	if !res.Changed || git(t, r.Path(), "show", "HEAD:"+p) != "format: 2\n" {
		t.Errorf("replaced extra file: changed %v, %q", res.Changed, git(t, r.Path(), "show", "HEAD:"+p))
	}
	res = mustExport(t, c, r, nil)
	if res.Changed || git(t, r.Path(), "show", "HEAD:"+p) != "format: 2\n" {
		t.Errorf("extra file not carried: changed %v", res.Changed)
	}
	_, err := export(t, c, r, func(o *Options) { o.Files = map[string][]byte{"groups/ab/x.abcdef.yaml": []byte("{}\n")} })
	if err == nil || !strings.Contains(err.Error(), "object file") {
		t.Errorf("object file as an extra file: %v", err)
	}
	fsck(t, r.Path())
}
