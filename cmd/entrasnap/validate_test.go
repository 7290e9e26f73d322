package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
)

const validPolicyPath = "conditional-access/policies/require-mfa.c0ffee00-0000-4000-8000-000000000001.yaml"

const validPolicy = `conditions:
  applications:
    includeApplications:
      - "All"
  clientAppTypes:
    - "all"
  users:
    excludeGroups: []
    includeUsers:
      - "All"
displayName: "Require MFA"
grantControls:
  builtInControls:
    - "mfa"
  operator: "OR"
id: "c0ffee00-0000-4000-8000-000000000001"
state: "enabled"
`

// policyFile writes content as the policy's file in a repository-like
// folder and returns its path.
func policyFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tenant", filepath.FromSlash(validPolicyPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLIStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"entrasnap"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidate(t *testing.T) {
	good := policyFile(t, validPolicy)
	if code, out, errOut := runCLI(t, "validate", good); code != exitOK || out != "1 file valid\n" {
		t.Fatalf("a valid file: code %d\n%s%s", code, out, errOut)
	}

	for _, tc := range []struct {
		name, content, want string
	}{
		{"duplicate key", strings.Replace(validPolicy, `state: "enabled"`, "state: \"enabled\"\ndisplayName: \"Again\"", 1),
			":18: displayName: duplicate key"},
		{"yes is ambiguous", strings.Replace(validPolicy, `state: "enabled"`, "state: yes", 1),
			`:17: state: "yes" is ambiguous`},
		{"unknown property", strings.Replace(validPolicy, `    excludeGroups: []`, "    excludeGroups: []\n    excludeGroupz: []", 1),
			":9: conditions.users.excludeGroupz: unknown property"},
		{"wrong type", strings.Replace(validPolicy, `    - "mfa"`, "    - 42", 1),
			":14: grantControls.builtInControls[0]: "},
		{"value outside the enum", strings.Replace(validPolicy, `state: "enabled"`, `state: "on-ish"`, 1),
			":17: state: value must be one of"},
		{"id does not match the file name", strings.Replace(validPolicy, `id: "c0ffee00-0000-4000-8000-000000000001"`, `id: "c0ffee00-0000-4000-8000-000000000002"`, 1),
			": entrasnap keeps this object at conditional-access/policies/require-mfa.c0ffee00-0000-4000-8000-000000000002.yaml; rename the file"},
		{"not YAML", "displayName: [unclosed\n", ":1: "},
		{"byte order mark", "\xef\xbb\xbf" + validPolicy, ":1: the file starts with a byte order mark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policyFile(t, tc.content)
			code, out, errOut := runCLI(t, "validate", p)
			if code != exitError || !strings.HasPrefix(out, p+":") || !strings.Contains(out, p+tc.want) {
				t.Errorf("code %d, want 1; output lacks %q:\n%s", code, p+tc.want, out)
			}
			if !strings.Contains(errOut, "1 problem in 1 of 1 file") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("stderr = %q", errOut)
			}
		})
	}

	// Standard input needs --kind; the file name is then not checked.
	other := strings.Replace(validPolicy, `id: "c0ffee00-0000-4000-8000-000000000001"`, `id: "c0ffee00-0000-4000-8000-000000000009"`, 1)
	if code, out, errOut := runCLIStdin(t, other, "validate", "--kind", "conditional-access-policies", "-"); code != exitOK {
		t.Errorf("stdin with --kind: code %d\n%s%s", code, out, errOut)
	}
	code, out, _ := runCLIStdin(t, strings.Replace(validPolicy, "state:", "stat:", 1), "validate", "--kind", "conditional-access-policies", "-")
	if code != exitError || !strings.Contains(out, "<stdin>:17: stat: unknown property") {
		t.Errorf("stdin with a problem: code %d\n%s", code, out)
	}
	code, out, _ = runCLIStdin(t, "id: \"00000000-0000-0000-0000-000000000000\"\nisEnabled: yes\n", "validate", "--kind", "security-defaults", "-")
	if code != exitError || !strings.Contains(out, `<stdin>:2: isEnabled: "yes" is ambiguous (a boolean in YAML 1.1): write true or false, or quote it`) {
		t.Errorf("isEnabled: yes: code %d\n%s", code, out)
	}
	if code, _, errOut := runCLIStdin(t, validPolicy, "validate", "-"); code != exitUsage || !strings.Contains(errOut, "--kind") {
		t.Errorf("stdin without --kind: code %d, stderr %q", code, errOut)
	}

	// --kind for a file outside a repository.
	loose := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(loose, []byte(validPolicy), 0o644)
	if code, out, _ := runCLI(t, "validate", loose); code != exitError || !strings.Contains(out, "give --kind") {
		t.Errorf("a file whose kind cannot be told: code %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "validate", "--kind", "conditional-access-policies", loose); code != exitOK {
		t.Errorf("--kind: code %d\n%s", code, out)
	}

	// GitHub annotations and JSON.
	bad := policyFile(t, strings.Replace(validPolicy, `state: "enabled"`, "state: no", 1))
	code, out, _ = runCLI(t, "validate", "--format", "github", bad, good)
	if code != exitError || !strings.HasPrefix(out, "::error file="+bad+",line=17,title=entrasnap validate::state: ") || strings.Count(out, "\n") != 1 {
		t.Errorf("github format: code %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "validate", "--format", "json", bad, good)
	var js struct {
		Files    int
		Valid    bool
		Problems []check.Problem
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != exitError || js.Files != 2 || js.Valid || len(js.Problems) != 1 || js.Problems[0].Line != 17 {
		t.Errorf("json: code %d %v %+v", code, err, js)
	}

	// Usage errors are one line.
	for _, args := range [][]string{
		{"validate"},
		{"validate", "--kind", "no-such-kind", good},
		{"validate", "--format", "xml", good},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut)
		}
	}
}

// TestValidateExportedRepository: every file a real export writes is valid,
// and a folder is searched for object files only.
func TestValidateExportedRepository(t *testing.T) {
	f := newDriftFixture(t, nil)
	os.MkdirAll(filepath.Join(f.repo, ".github", "workflows"), 0o755)
	os.WriteFile(filepath.Join(f.repo, ".github", "workflows", "ci.yaml"), []byte("on: push\n"), 0o644)
	code, out, errOut := runCLI(t, "validate", f.repo)
	if code != exitOK || !strings.HasSuffix(out, " files valid\n") || strings.HasPrefix(out, "0 ") {
		t.Errorf("validate of an exported repository: code %d\n%s%s", code, out, errOut)
	}
}

// A property name holding an escape sequence and a bidi override is
// reported escaped, in text and in GitHub annotations: validate's output
// goes to terminals and CI logs.
func TestValidateEscapesHostileNames(t *testing.T) {
	bad := policyFile(t, validPolicy+"\"evil\\x1b[31m\\u202eboom\": 1\n")
	for _, args := range [][]string{{"validate", bad}, {"validate", "--format", "github", bad}} {
		code, out, errOut := runCLI(t, args...)
		if code == exitOK || !strings.Contains(out, "evil") {
			t.Fatalf("%v: code %d, want a problem naming the property\n%s%s", args, code, out, errOut)
		}
		if strings.ContainsAny(out+errOut, "\x1b\u202e") {
			t.Errorf("%v: raw control or bidi character in the output: %q", args, out+errOut)
		}
	}
}
