package buildinfo

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

// A `go install ...@v1.2.3` build reports v1.2.3; a build from a checkout
// reports (devel) with the revision, whether the tree was modified, and
// the commit time; -ldflags -X main.version wins over both.
func TestVersionAndWrite(t *testing.T) {
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/entrasnap/entrasnap", Version: "v1.2.3"}}
	local := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/entrasnap/entrasnap", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "5aa1c90abcdef"},
			{Key: "vcs.time", Value: "2026-12-05T17:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		bi       *debug.BuildInfo
		set      string
		want     string
		contains []string
		lacks    []string
	}{
		{installed, "", "v1.2.3", []string{"entrasnap version v1.2.3\n", "built with go1.26.8"}, []string{"revision", "modified"}},
		{local, "", "(devel)", []string{"entrasnap version (devel)\n", "revision 5aa1c90abcdef (modified", "commit time 2026-12-05T17:00:00Z"}, nil},
		{installed, "v9.9.9", "v9.9.9", []string{"entrasnap version v9.9.9\n"}, nil},
		{nil, "", "(devel)", []string{"entrasnap version (devel)\n"}, []string{"built with"}},
	} {
		v := Version(tc.bi, tc.set)
		if v != tc.want {
			t.Errorf("moduleVersion = %q, want %q", v, tc.want)
		}
		var b bytes.Buffer
		Write(&b, "entrasnap", tc.bi, v)
		for _, s := range tc.contains {
			if !strings.Contains(b.String(), s) {
				t.Errorf("version output lacks %q:\n%s", s, b.String())
			}
		}
		for _, s := range tc.lacks {
			if strings.Contains(b.String(), s) {
				t.Errorf("version output has %q:\n%s", s, b.String())
			}
		}
	}
}
