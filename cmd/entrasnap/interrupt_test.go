package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// TestExportSignalExitCodes interrupts an export against a slow graphsim
// with a real SIGINT and SIGTERM sent to this process (run's own handler
// catches them): the exit codes are 130 and 143, nothing is committed and
// the repository is clean (no lock left, index and working tree at HEAD,
// git fsck --strict clean); the next run completes.
func TestExportSignalExitCodes(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{})
	srv := simtest.Serve(t, sim)
	repo := filepath.Join(t.TempDir(), "backup")
	args := []string{"export", "--repo", repo, "--kinds", "conditional-access,groups", "--graph-url", srv.URL, "--access-token", sim.Token()}
	if code, _, errOut := runCLI(t, args...); code != exitOK {
		t.Fatalf("first export: %d\n%s", code, errOut)
	}
	head := gitcheck.Run(t, repo, "rev-parse", "HEAD")
	slow := simtest.New(t, graphsim.Options{Latency: 40 * time.Millisecond, Now: simtest.Now.Add(24 * time.Hour)})
	slowSrv := simtest.Serve(t, slow)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		t.Run(tc.name, func(t *testing.T) {
			before := slow.Stats().Requests
			go func() {
				// once the export is reading, signal this process
				for slow.Stats().Requests < before+3 {
					time.Sleep(5 * time.Millisecond)
				}
				syscall.Kill(os.Getpid(), tc.sig)
			}()
			var out, errb bytes.Buffer
			code := run([]string{"entrasnap", "export", "--repo", repo, "--graph-url", slowSrv.URL, "--access-token", slow.Token()},
				strings.NewReader(""), &out, &errb)
			if code != tc.code {
				t.Fatalf("code %d, want %d\n%s\n%s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), "interrupted by "+tc.name) || !strings.Contains(errb.String(), "nothing was committed") {
				t.Errorf("stderr:\n%s", errb.String())
			}
			if got := gitcheck.Run(t, repo, "rev-parse", "HEAD"); got != head {
				t.Errorf("HEAD moved to %s", got)
			}
			if st := gitcheck.Run(t, repo, "status", "--porcelain"); st != "" {
				t.Errorf("git status --porcelain:\n%s", st)
			}
			for _, f := range []string{"entrasnap.lock", "index.lock"} {
				if _, err := os.Stat(filepath.Join(repo, ".git", f)); !os.IsNotExist(err) {
					t.Errorf(".git/%s left behind", f)
				}
			}
			gitcheck.Fsck(t, repo)
		})
	}
	if code, _, errOut := runCLI(t, args...); code != exitOK {
		t.Fatalf("export after the interruptions: %d\n%s", code, errOut)
	}
}
