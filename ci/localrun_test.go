//go:build unix

package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// localRun is what every local run of a workflow starts from: bash and git
// (or the test is skipped), a bare remote the repository is pushed to, a
// bin folder with the entrasnap built in TestMain (and any stand-ins the
// test writes) first on PATH, a HOME, and the runner's base environment.
type localRun struct {
	root, remote, bin, home string
	// skip names the steps that cannot run on this machine, with why
	// (curl and jq for the federated sign-in step).
	skip map[string]string
}

func newLocalRun(t *testing.T) *localRun {
	t.Helper()
	for _, tool := range []string{"bash", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the workflow's steps need it", tool)
		}
	}
	l := &localRun{root: t.TempDir(), skip: map[string]string{}}
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			l.skip["federated-token"] = tool + " is not installed (GitHub's runners have it)"
		}
	}
	l.remote = filepath.Join(l.root, "tenant-backup.git")
	gitRun(t, l.root, "init", "-q", "--bare", "--initial-branch=main", l.remote)
	l.bin = filepath.Join(l.root, "bin")
	l.home = filepath.Join(l.root, "home")
	for _, d := range []string{l.bin, l.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(entrasnapBin, filepath.Join(l.bin, "entrasnap")); err != nil {
		t.Fatal(err)
	}
	return l
}

// clone clones the remote into root/name.
func (l *localRun) clone(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(l.root, name)
	gitRun(t, l.root, "clone", "-q", l.remote, dir)
	return dir
}

// env is the environment every step of a run starts from, plus extra.
func (l *localRun) env(extra ...string) []string {
	return append([]string{
		"PATH=" + l.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + l.home, "LC_ALL=C", "TZ=UTC", "CI=true", "GITHUB_ACTIONS=true",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	}, extra...)
}
