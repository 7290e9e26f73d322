package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is the version entrasnap reports and sends in its User-Agent:
// the value of -ldflags "-X main.version=v1.2.3" when a release build sets
// it, otherwise the module version from the build information: "v1.2.3"
// for `go install github.com/entrasnap/entrasnap/cmd/entrasnap@v1.2.3`; for
// a build from a checkout the pseudo-version Go derives from git
// ("v0.0.0-20261205172634-ab6df82e6e71+dirty"), or "(devel)" when the build
// recorded no VCS information (-buildvcs=false).
var version string

func init() {
	bi, _ := debug.ReadBuildInfo()
	version = moduleVersion(bi, version)
	cli.VersionPrinter = func(c *cli.Context) {
		bi, _ := debug.ReadBuildInfo()
		writeVersion(c.App.Writer, bi, version)
	}
}

// moduleVersion is the -X value when set, else the main module's version.
func moduleVersion(bi *debug.BuildInfo, set string) string {
	switch {
	case set != "":
		return set
	case bi != nil && bi.Main.Version != "":
		return bi.Main.Version
	}
	return "(devel)"
}

// writeVersion prints the version and, when the build recorded them, the
// VCS revision, whether the work tree had changes, the commit time, and
// the Go version and platform.
func writeVersion(w io.Writer, bi *debug.BuildInfo, v string) {
	fmt.Fprintf(w, "entrasnap version %s\n", v)
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

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the VCS revision it was built from, and the Go version (as --version)",
		Description: `The version is the module version a release or ` + "`go install ...@v1.2.3`" + ` build
records ("v1.2.3"); a build from a checkout reports the pseudo-version Go
derives from git (v0.0.0-DATE-REVISION, "+dirty" with uncommitted changes) or
"(devel)" when it recorded no VCS information (-buildvcs=false). Then the git
revision, whether the work tree had uncommitted changes, and the commit time,
when the build recorded them, and the Go version.`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("version takes no arguments")
			}
			bi, _ := debug.ReadBuildInfo()
			writeVersion(e.stdout, bi, version)
			return nil
		},
	}
}
