// Package gitcheck runs the real git CLI against repositories entrasnap
// writes, for tests: every repository we write must satisfy git itself
// (fsck --strict, status, log, diff), not only go-git.
package gitcheck

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Env is the environment for git in tests: no system or user config, a
// fixed identity and locale, so results do not depend on the machine.
func Env() []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "LC_ALL=C")
}

// Run runs git in dir and returns its standard output; a failure fails the test.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = Env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// Fsck fails the test unless `git fsck --strict` accepts the repository
// without errors, warnings, missing or broken objects.
func Fsck(t testing.TB, dir string) {
	t.Helper()
	out := Run(t, dir, "fsck", "--strict", "--no-progress")
	for _, l := range strings.Split(strings.ToLower(out), "\n") {
		if strings.HasPrefix(l, "error") || strings.HasPrefix(l, "warning") || strings.Contains(l, "missing") || strings.Contains(l, "broken") {
			t.Fatalf("git fsck --strict:\n%s", out)
		}
	}
}
