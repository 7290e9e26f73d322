package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// A signing key's text given where its file's name belongs (a GitLab
// CI/CD variable of type Variable instead of File) is refused before Graph
// is read, and no line of the key appears in the error.
func TestSigningKeyTextRefused(t *testing.T) {
	keyFile, _ := gitcheck.SSHKey(t, t.TempDir(), "k", "ed25519", "")
	text, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	sim, u := exportTestSim(t)
	t.Setenv(envSigningKey, string(text))
	code, out, errOut := runCLI(t, "export", "--repo", filepath.Join(t.TempDir(), "backup"), "--graph-url", u, "--access-token", sim.Token())
	if code != exitUsage || !strings.Contains(errOut, "holds a key's text") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, line := range strings.Split(string(text), "\n") {
		if line != "" && strings.Contains(out+errOut, line) {
			t.Fatalf("the output holds a line of the key: %q", line)
		}
	}
	if sim.Stats().Requests != 0 {
		t.Fatalf("%d Graph requests before the key was refused", sim.Stats().Requests)
	}
}
