package main

import (
	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

// Size limits (see README "Limits"). Each error names the file or request
// and the limit, and says how to raise it.
const (
	// defaultMaxFileSize bounds one object file read by validate and check,
	// as it bounds every file read from a snapshot (see there why 64 MiB).
	defaultMaxFileSize = snapshot.DefaultMaxFileSize
	maxFileSizeEnv     = check.MaxFileSizeEnv
)

// maxFileSizeFlag is --max-file-size of validate and check.
func maxFileSizeFlag() cli.Flag {
	return &cli.StringFlag{Name: "max-file-size", EnvVars: []string{maxFileSizeEnv}, Value: layout.FormatSize(defaultMaxFileSize),
		Usage: "the largest object file read (B, KiB, MiB, GiB); a larger one is reported, not read"}
}

func maxFileSizeFrom(c *cli.Context) (int64, error) {
	n, err := layout.ParseSize(c.String("max-file-size"))
	if err != nil {
		return 0, usageErrorf("--max-file-size (%s): %v", maxFileSizeEnv, err)
	}
	return n, nil
}
