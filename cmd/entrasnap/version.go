package main

import (
	"runtime/debug"

	"github.com/entrasnap/entrasnap/internal/buildinfo"

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
	version = buildinfo.Version(bi, version)
	cli.VersionPrinter = func(c *cli.Context) {
		bi, _ := debug.ReadBuildInfo()
		buildinfo.Write(c.App.Writer, "entrasnap", bi, version)
	}
}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print the version, the VCS revision it was built from, and the Go version (as --version)",
		Description: helpText("version"),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("version takes no arguments")
			}
			bi, _ := debug.ReadBuildInfo()
			buildinfo.Write(e.stdout, "entrasnap", bi, version)
			return nil
		},
	}
}
