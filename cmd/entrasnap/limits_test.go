package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
)

// zeros is an endless reader that counts the bytes handed out.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

func TestValidateRefusesDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	code, out, errOut := runCLI(t, "validate", "--kind", "groups", "/dev/zero")
	if code != exitError || !strings.Contains(out, "/dev/zero: not a file but a character device") {
		t.Fatalf("code %d\n%s%s", code, out, errOut)
	}
}

func TestValidateStdinStopsAtLimit(t *testing.T) {
	z := &zeros{}
	var outb, errb strings.Builder
	code := run([]string{"entrasnap", "validate", "--kind", "groups", "--max-file-size", "1MiB", "-"}, z, &outb, &errb)
	if code != exitError || !strings.Contains(outb.String(), "<stdin>: larger than 1MiB, the limit on one object file") ||
		!strings.Contains(outb.String(), "--max-file-size") {
		t.Fatalf("code %d\n%s%s", code, outb.String(), errb.String())
	}
	if z.n > 1<<20+1 {
		t.Errorf("read %d bytes from an endless standard input, want at most the limit + 1", z.n)
	}
}

func TestValidateOversizedFile(t *testing.T) {
	big := policyFile(t, validPolicy+"# "+strings.Repeat("x", 4096)+"\n")
	code, out, _ := runCLI(t, "validate", "--max-file-size", "4KiB", big)
	if code != exitError || !strings.Contains(out, big+": larger than 4KiB") {
		t.Fatalf("code %d\n%s", code, out)
	}
	t.Setenv(check.MaxFileSizeEnv, "8KiB")
	if code, out, errOut := runCLI(t, "validate", big); code != exitOK {
		t.Errorf("with %s=8KiB: code %d\n%s%s", check.MaxFileSizeEnv, code, out, errOut)
	}
	// A folder holding an oversized file names it.
	t.Setenv(check.MaxFileSizeEnv, "")
	code, out, _ = runCLI(t, "validate", "--max-file-size", "4000", filepath.Dir(filepath.Dir(filepath.Dir(big))))
	if code != exitError || !strings.Contains(out, big+": larger than 4000B") {
		t.Errorf("folder: code %d\n%s", code, out)
	}
	for _, bad := range []string{"0", "-1", "lots", "12XB"} {
		if code, _, errOut := runCLI(t, "validate", "--max-file-size", bad, big); code != exitUsage || !strings.Contains(errOut, "--max-file-size") {
			t.Errorf("--max-file-size %s: code %d, %s", bad, code, errOut)
		}
	}
}

func TestPlainHTTPGraphURLRefused(t *testing.T) {
	const token = "tok-PLAIN-HTTP-SECRET"
	for i, args := range [][]string{
		{"export", "--repo", t.TempDir(), "--graph-url", "http://example.invalid", "--access-token", token},
		{"export", "--repo", t.TempDir()}, // from the environment
	} {
		if i == 1 {
			t.Setenv("ENTRASNAP_GRAPH_URL", "http://graph.example.com:8080/")
			t.Setenv("ENTRASNAP_ACCESS_TOKEN", token)
		}
		code, out, errOut := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "--graph-url") || !strings.Contains(errOut, "loopback") {
			t.Errorf("%s: code %d\n%s%s", args[0], code, out, errOut)
		}
		if strings.Contains(out+errOut, token) {
			t.Errorf("%s: output shows the token", args[0])
		}
	}
	t.Setenv("ENTRASNAP_GRAPH_URL", "")
	t.Setenv("ENTRASNAP_MAX_PAGES", "many")
	if code, _, errOut := runCLI(t, "export", "--repo", t.TempDir(), "--graph-url", "http://127.0.0.1:1", "--access-token", token); code != exitUsage || !strings.Contains(errOut, "ENTRASNAP_MAX_PAGES") {
		t.Errorf("bad ENTRASNAP_MAX_PAGES: code %d %s", code, errOut)
	}
}

func TestCheckReportsOversizedFile(t *testing.T) {
	f := newDriftFixture(t, nil)
	repo := f.repo
	allocs := func(args ...string) (uint64, int, string) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		code, out, errOut := runCLI(t, append([]string{"check", "--repo", repo}, args...)...)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, code, out + errOut
	}
	base, _, _ := allocs("--max-file-size", "64KiB")

	grp := firstFile(t, repo, "groups", "members:")
	_, id, err := layout.Locate(grp)
	if err != nil {
		t.Fatal(err)
	}
	// 24 MiB of comment lines: valid YAML, far over a 64KiB limit. Under
	// -short (the race run, where check's reading and parsing of it at the
	// default limit below cost most of the test) 6 MiB, still over the
	// 4 MiB above which snapshot's object cache keeps no object: read, it
	// adds about 8 times its size to check's allocations (a 4 MiB file
	// about 33 MiB), refused unread under 0.1 MiB, so the bound below
	// (half its size) still tells the two apart.
	huge := uint64(24 << 20)
	if testing.Short() {
		huge = 6 << 20
	}
	editFile(t, repo, grp, func(s string) string {
		return s + strings.Repeat("# "+strings.Repeat("x", 1021)+"\n", int(huge>>10))
	})
	gitCLI(t, repo, "commit", "-q", "-am", "a huge group file")
	for _, packed := range []bool{false, true} {
		if packed {
			gitCLI(t, repo, "repack", "-q", "-a", "-d")
		}
		n, code, out := allocs("--max-file-size", "64KiB")
		if code != exitError || !strings.Contains(out, grp+": larger than 64KiB, the limit on one object file") {
			t.Fatalf("packed %v: code %d\n%s", packed, code, out)
		}
		if strings.Contains(out, id+" names no object") {
			t.Errorf("packed %v: references to the oversized group are reported as dangling:\n%s", packed, out)
		}
		// Loosely: the huge file was not read (it alone is 24 MiB, or 6).
		if n > base+huge/2 {
			t.Errorf("packed %v: check allocated %d MiB, %d MiB without the huge file: it was read", packed, n>>20, base>>20)
		}
	}
	// Within the default limit the same file is read and passes.
	if _, code, out := allocs(); code != exitOK {
		t.Errorf("default limit: code %d\n%s", code, out)
	}
}

// Every command that reads a snapshot bounds one file: diff and show of an
// oversized file name it and the limit instead of reading it whole.
func TestSnapshotReadsAreBounded(t *testing.T) {
	f := newDriftFixture(t, nil)
	repo := f.repo
	grp := firstFile(t, repo, "groups", "members:")
	editFile(t, repo, grp, func(s string) string {
		return s + strings.Repeat("# "+strings.Repeat("x", 1021)+"\n", 512) // 512 KiB
	})
	gitCLI(t, repo, "commit", "-q", "-am", "a large group file")
	t.Setenv(check.MaxFileSizeEnv, "64KiB")
	for _, args := range [][]string{
		{"diff", "--repo", repo, "HEAD~1", "HEAD"},
		{"show", "--repo", repo, grp},
	} {
		code, out, errOut := runCLI(t, args...)
		if code == exitOK || !strings.Contains(out+errOut, grp) || !strings.Contains(out+errOut, "larger than the limit of 65536 bytes") {
			t.Errorf("%s with %s=64KiB: code %d\n%s%s", args[0], check.MaxFileSizeEnv, code, out, errOut)
		}
	}
	t.Setenv(check.MaxFileSizeEnv, "1MiB")
	if code, out, errOut := runCLI(t, "show", "--repo", repo, grp); code != exitOK {
		t.Errorf("show within the limit: code %d\n%s%s", code, out, errOut)
	}
	t.Setenv(check.MaxFileSizeEnv, "lots")
	if code, _, errOut := runCLI(t, "show", "--repo", repo, grp); code != exitUsage || !strings.Contains(errOut, check.MaxFileSizeEnv) {
		t.Errorf("a bad %s: code %d\n%s", check.MaxFileSizeEnv, code, errOut)
	}
}
