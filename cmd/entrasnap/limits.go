package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

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
	maxFileSizeEnv     = "ENTRASNAP_MAX_FILE_SIZE"
	maxResponseSizeEnv = "ENTRASNAP_MAX_RESPONSE_SIZE"
	maxPagesEnv        = "ENTRASNAP_MAX_PAGES"
)

// parseSize reads a byte count: a number with an optional unit B, KiB, MiB,
// GiB (or K, M, G, KB, MB, GB, all powers of 1024), e.g. "64MiB", "128 MB".
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: want a positive size such as 64MiB", s)
	}
	var shift uint
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	default:
		return 0, fmt.Errorf("%q: unknown unit (want B, KiB, MiB or GiB)", s)
	}
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q: too large", s)
	}
	return n << shift, nil
}

// formatSize renders a byte count as parseSize reads it back.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

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

// fileTooLargeMsg is the problem reported for a file over the limit.
func fileTooLargeMsg(limit int64) string {
	return fmt.Sprintf("larger than %s, the limit on one object file; not read (raise it with --max-file-size or %s if the file is really meant to be this large)", formatSize(limit), maxFileSizeEnv)
}

// readLimited reads at most limit bytes from r; tooLarge is true when r
// holds more (then limit+1 bytes have been read, no more).
func readLimited(r io.Reader, limit int64) (data []byte, tooLarge bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return nil, true, err
	}
	return data, false, err
}

// readObjectFile reads a file for validate, at most limit bytes. Devices
// (/dev/zero, /dev/urandom: endless) and sockets are refused unread; a
// pipe (`validate <(git show REV:path)`) is read up to the limit. A
// non-empty problem says why the file was not read.
func readObjectFile(p string, limit int64) (data []byte, problem string) {
	f, err := os.Open(p)
	if err != nil {
		return nil, "cannot read: " + unwrapPathError(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "cannot read: " + unwrapPathError(err)
	}
	if st.Mode()&(os.ModeDevice|os.ModeSocket|os.ModeIrregular) != 0 || st.IsDir() {
		return nil, "not a file but " + fileType(st.Mode()) + "; validate reads object files only"
	}
	if st.Mode().IsRegular() && st.Size() > limit {
		return nil, fileTooLargeMsg(limit)
	}
	data, tooLarge, err := readLimited(f, limit)
	switch {
	case err != nil:
		return nil, "cannot read: " + unwrapPathError(err)
	case tooLarge: // it grew while being read
		return nil, fileTooLargeMsg(limit)
	}
	return data, ""
}

func fileType(m os.FileMode) string {
	switch {
	case m&os.ModeDevice != 0 && m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a folder"
	}
	return "mode " + m.String()
}

// maxFileSizeFlag is --max-file-size of validate and check.
func maxFileSizeFlag() cli.Flag {
	return &cli.StringFlag{Name: "max-file-size", EnvVars: []string{maxFileSizeEnv}, Value: formatSize(defaultMaxFileSize),
		Usage: "the largest object file read (B, KiB, MiB, GiB); a larger one is reported, not read"}
}

func maxFileSizeFrom(c *cli.Context) (int64, error) {
	n, err := parseSize(c.String("max-file-size"))
	if err != nil {
		return 0, usageErrorf("--max-file-size (%s): %v", maxFileSizeEnv, err)
	}
	return n, nil
}
