//go:build unix

package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
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

// enabledPolicyFiles lists the files of the enabled Conditional Access
// policies in the checkout dir, sorted (a pull or merge request edits
// them); the test fails with fewer than two.
func enabledPolicyFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for _, f := range strings.Fields(gitRun(t, dir, "ls-files", "conditional-access/policies")) {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); strings.Contains(string(b), "\nstate: \"enabled\"\n") {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) < 2 {
		t.Fatalf("want two enabled policies, got %v", files)
	}
	return files
}

// objectIDOf is the object id in an object file's name (NAME.ID.yaml).
func objectIDOf(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), ".yaml")
	return base[strings.LastIndexByte(base, '.')+1:]
}

// glSigningFile makes an SSH signing key and the GitLab runner's copy of
// the File variable ENTRASNAP_SIGNING_KEY that holds it (its own
// temporary file, written with the runner's mode, named by the variable):
// it returns the key's folder, public key and text, and fileVar, the path.
func (l *localRun) glSigningFile(t *testing.T) (keyDir, keyPub string, keyText []byte, fileVar string) {
	t.Helper()
	keyDir = t.TempDir()
	keyFile, keyPub := gitcheck.SSHKey(t, keyDir, "gitlab-signing", "ed25519", "")
	keyText, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	fileVar = filepath.Join(l.root, "tenant-backup.tmp", "ENTRASNAP_SIGNING_KEY")
	os.MkdirAll(filepath.Dir(fileVar), 0o755)
	if err := os.WriteFile(fileVar, keyText, 0o644); err != nil {
		t.Fatal(err)
	}
	return keyDir, keyPub, keyText, fileVar
}
