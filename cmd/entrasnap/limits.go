package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"

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

// envMaxFileSize is the limit on one file read: ENTRASNAP_MAX_FILE_SIZE,
// or 64 MiB when it is not set.
func envMaxFileSize() (int64, error) {
	if v := os.Getenv(maxFileSizeEnv); v != "" {
		return layout.ParseSize(v)
	}
	return defaultMaxFileSize, nil
}

// readCapped reads a file the user names besides a snapshot's (a --watch
// list, a --break-glass list, a saved plan), bounded as every file read
// from a snapshot is: at most 64 MiB, or ENTRASNAP_MAX_FILE_SIZE. A larger
// file is an error naming it, read no further than the limit.
func readCapped(file string) ([]byte, error) {
	limit, err := envMaxFileSize()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", maxFileSizeEnv, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: file, Err: fmt.Errorf("larger than %s, the limit on one file entrasnap reads; not read (raise it with %s if the file is really meant to be this large)", layout.FormatSize(limit), maxFileSizeEnv)}
	}
	return data, err
}
