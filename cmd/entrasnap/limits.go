package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/graph"
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
	maxResponseSizeEnv = "ENTRASNAP_MAX_RESPONSE_SIZE"
	maxPagesEnv        = "ENTRASNAP_MAX_PAGES"
)

var parseSize = check.ParseSize

// graphLimitsFromEnv sets the client's response-size and page limits from
// ENTRASNAP_MAX_RESPONSE_SIZE and ENTRASNAP_MAX_PAGES when they are set.
func graphLimitsFromEnv(cfg *graph.Config) error {
	if v := os.Getenv(maxResponseSizeEnv); v != "" {
		n, err := parseSize(v)
		if err != nil {
			return usageErrorf("%s: %v", maxResponseSizeEnv, err)
		}
		cfg.MaxResponseBytes = n
	}
	if v := os.Getenv(maxPagesEnv); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			return usageErrorf("%s: %q: want a positive number of pages", maxPagesEnv, v)
		}
		cfg.MaxPages = n
	}
	return nil
}

// maxFileSizeFlag is --max-file-size of validate and check.
func maxFileSizeFlag() cli.Flag {
	return &cli.StringFlag{Name: "max-file-size", EnvVars: []string{maxFileSizeEnv}, Value: check.FormatSize(defaultMaxFileSize),
		Usage: "the largest object file read (B, KiB, MiB, GiB); a larger one is reported, not read"}
}

func maxFileSizeFrom(c *cli.Context) (int64, error) {
	n, err := parseSize(c.String("max-file-size"))
	if err != nil {
		return 0, usageErrorf("--max-file-size (%s): %v", maxFileSizeEnv, err)
	}
	return n, nil
}
