//go:build unix

package ci

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// signingBlock is the start of a template's export script up to the line
// that unsets the variable holding the key: the part that writes the key
// from the secret store to a file for entrasnap.
func signingBlock(t *testing.T, script, unsetLine string) string {
	t.Helper()
	i := strings.Index(script, unsetLine)
	if i < 0 {
		t.Fatalf("the export script has no %q line", unsetLine)
	}
	return script[:i+len(unsetLine)] + "\n"
}

// The signing blocks of the GitHub and Azure export steps, run with bash:
// with the secret set, ENTRASNAP_SIGNING_KEY names a 0600 file holding the
// key exactly, the variable holding the key is unset, and the file is gone
// when the step ends; without it (GitHub: empty; Azure: the text $(NAME)
// of an undefined variable) nothing is signed.
func TestSigningKeyFromSecretStore(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	keys := t.TempDir()
	keyFile, _ := gitcheck.SSHKey(t, keys, "k", "ed25519", "")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var export, inline string
	for _, s := range loadGitHubWorkflow(t).Jobs["backup"].Steps {
		if s.ID == "export" {
			export = s.Run
		}
	}
	var p adoPipeline
	decodeYAML(t, azurePipeline, &p)
	for _, j := range p.Jobs {
		for _, s := range j.Steps {
			if j.Job == "backup" && s.Name == "export" {
				inline, _ = s.Inputs["inlineScript"].(string)
			}
		}
	}
	// The apply steps of the changes templates sign the post-apply snapshot
	// with the same key, the same way.
	var cw ghWorkflow
	decodeYAML(t, githubChanges, &cw)
	var ghApply string
	for _, st := range cw.Jobs["apply"].Steps {
		if st.ID == "apply" {
			ghApply = st.Run
		}
	}
	var changes any
	decodeYAML(t, azureChanges, &changes)
	adoApply := inlineScriptOf(changes, "apply")
	check := `
if [ -z "${ENTRASNAP_SIGNING_KEY:-}" ]; then echo none; exit 0; fi
[ "$(stat -c %a "$ENTRASNAP_SIGNING_KEY")" = 600 ] || { echo "mode $(stat -c %a "$ENTRASNAP_SIGNING_KEY")"; exit 10; }
cmp -s "$ENTRASNAP_SIGNING_KEY" "$WANT" || { echo "content differs"; exit 11; }
[ -z "${SIGNING_KEY:-}${SIGNING_KEY_B64:-}" ] || { echo "key variable still set"; exit 12; }
echo "$ENTRASNAP_SIGNING_KEY"
`
	cases := []struct {
		name, block, env, want string
	}{
		{"github", signingBlock(t, export, "unset SIGNING_KEY"), "SIGNING_KEY=" + strings.TrimSuffix(string(key), "\n"), "file"},
		{"github, no secret", signingBlock(t, export, "unset SIGNING_KEY"), "SIGNING_KEY=", "none"},
		{"azure", signingBlock(t, inline, "unset SIGNING_KEY_B64"), "SIGNING_KEY_B64=" + base64.StdEncoding.EncodeToString(key), "file"},
		{"azure, undefined variable", signingBlock(t, inline, "unset SIGNING_KEY_B64"), "SIGNING_KEY_B64=$(ENTRASNAP_SIGNING_KEY_B64)", "none"},
		{"github changes apply", signingBlock(t, ghApply, "unset SIGNING_KEY"), "SIGNING_KEY=" + strings.TrimSuffix(string(key), "\n"), "file"},
		{"github changes apply, no secret", signingBlock(t, ghApply, "unset SIGNING_KEY"), "SIGNING_KEY=", "none"},
		{"azure changes apply", signingBlock(t, adoApply, "unset SIGNING_KEY_B64"), "SIGNING_KEY_B64=" + base64.StdEncoding.EncodeToString(key), "file"},
		{"azure changes apply, undefined variable", signingBlock(t, adoApply, "unset SIGNING_KEY_B64"), "SIGNING_KEY_B64=$(ENTRASNAP_SIGNING_KEY_B64)", "none"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", c.block+check)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RUNNER_TEMP=" + tmp, "AGENT_TEMPDIRECTORY=" + tmp, "WANT=" + keyFile, c.env,
				"ENTRASNAP_SIGNING_KEY_PASSPHRASE=$(ENTRASNAP_SIGNING_KEY_PASSPHRASE)"}
			out, err := cmd.CombinedOutput()
			got := strings.TrimSpace(string(out))
			if err != nil {
				t.Fatalf("the block failed: %v\n%s", err, out)
			}
			if strings.Contains(got, "PRIVATE KEY") {
				t.Fatal("the block printed the key")
			}
			switch c.want {
			case "none":
				if got != "none" {
					t.Fatalf("without the secret: %q", got)
				}
			case "file":
				if !strings.HasPrefix(got, filepath.Join(tmp, "signing-key.")) {
					t.Fatalf("ENTRASNAP_SIGNING_KEY = %q", got)
				}
				if _, err := os.Stat(got); !os.IsNotExist(err) {
					t.Fatalf("the key file %s is still there after the step: %v", got, err)
				}
			}
		})
	}
}

// inlineScriptOf finds, anywhere in a decoded pipeline, the step named name
// and returns its inputs.inlineScript ("" when there is none).
func inlineScriptOf(node any, name string) string {
	switch n := node.(type) {
	case map[string]any:
		if n["name"] == name {
			if in, ok := n["inputs"].(map[string]any); ok {
				if s, ok := in["inlineScript"].(string); ok {
					return s
				}
			}
		}
		for _, v := range n {
			if s := inlineScriptOf(v, name); s != "" {
				return s
			}
		}
	case []any:
		for _, v := range n {
			if s := inlineScriptOf(v, name); s != "" {
				return s
			}
		}
	}
	return ""
}
