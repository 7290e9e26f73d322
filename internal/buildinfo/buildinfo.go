// Package buildinfo reports the version and VCS revision a binary was
// built from, from runtime/debug's build information.
package buildinfo

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Version is set (an -ldflags -X value) when not empty, else the main
// module's version from the build information, else "(devel)".
func Version(bi *debug.BuildInfo, set string) string {
	switch {
	case set != "":
		return set
	case bi != nil && bi.Main.Version != "":
		return bi.Main.Version
	}
	return "(devel)"
}

// Write prints the version v and, when the build recorded them, the
// VCS revision, whether the work tree had changes, the commit time, and
// the Go version and platform.
func Write(w io.Writer, name string, bi *debug.BuildInfo, v string) {
	fmt.Fprintf(w, "%s version %s\n", name, v)
	if bi == nil {
		return
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified: the work tree had uncommitted changes)"
		}
		fmt.Fprintf(w, "revision %s\n", rev)
	}
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(w, "commit time %s\n", t)
	}
	gov := bi.GoVersion
	if gov == "" {
		gov = runtime.Version()
	}
	fmt.Fprintf(w, "built with %s for %s/%s\n", gov, runtime.GOOS, runtime.GOARCH)
}
