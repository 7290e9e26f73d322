package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/complete"
)

// The scripts list exactly the commands of the command table (so they
// cannot drift from it), bash accepts the bash script, and completing
// with it gives commands, flags and kind names.
func TestCompletionScripts(t *testing.T) {
	app := newApp(&env{})
	var want []string
	for _, c := range app.VisibleCommands() {
		want = append(want, c.Name)
	}
	sort.Strings(want)
	for _, c := range []string{"version", "completion", "restore", "show"} {
		if !slices.Contains(want, c) {
			t.Fatalf("the command table lacks %s: %v", c, want)
		}
	}
	scripts := map[string]string{}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runCLI(t, "completion", sh)
		if code != exitOK || out == "" {
			t.Fatalf("completion %s: %d %s", sh, code, errOut)
		}
		scripts[sh] = out
		for _, c := range app.VisibleCommands() {
			if !strings.Contains(out, c.Name) {
				t.Errorf("the %s script lacks the command %s", sh, c.Name)
			}
			for _, f := range c.VisibleFlags() {
				if n := f.Names()[0]; len(n) > 1 && !strings.Contains(out, n) {
					t.Errorf("the %s script lacks %s --%s", sh, c.Name, n)
				}
			}
		}
	}
	if code, _, errOut := runCLI(t, "completion", "powershell"); code != exitUsage || !strings.Contains(errOut, "bash, zsh or fish") {
		t.Errorf("completion powershell: %d %s", code, errOut)
	}

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	file := filepath.Join(t.TempDir(), "entrasnap.bash")
	if err := os.WriteFile(file, []byte(scripts["bash"]), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", file).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	complete := func(words ...string) []string {
		t.Helper()
		script := "source " + file + "\nCOMP_WORDS=(" + strings.Join(quoteAll(words), " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_entrasnap\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command(bash, "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", words, err, out)
		}
		return strings.Fields(string(out))
	}
	// The first word: every command.
	got := complete("entrasnap", "")
	var gotCmds []string
	for _, g := range got {
		if !strings.HasPrefix(g, "-") {
			gotCmds = append(gotCmds, g)
		}
	}
	sort.Strings(gotCmds)
	if strings.Join(gotCmds, " ") != strings.Join(want, " ") {
		t.Errorf("commands completed: %v\nthe command table: %v", gotCmds, want)
	}
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"entrasnap", "res"}, []string{"restore"}},
		{[]string{"entrasnap", "drift", "--wa"}, []string{"--watch"}},
		{[]string{"entrasnap", "export", "--kinds", "conditional-access/"}, []string{"conditional-access/authentication-contexts", "conditional-access/named-locations", "conditional-access/policies"}},
		{[]string{"entrasnap", "restore", "--repo", "r", "role-a"}, []string{"role-assignments"}},
		{[]string{"entrasnap", "diff", "--format", "m"}, []string{"markdown"}},
		{[]string{"entrasnap", "completion", "f"}, []string{"fish"}},
	} {
		if got := complete(tc.words...); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("completing %q: %v, want %v", tc.words, got, tc.want)
		}
	}
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = complete.Quote(w)
	}
	return out
}

// zsh and fish accept their scripts (when they are on this machine: CI
// images may lack them, the test then says so): zsh parses the script and,
// (compdef stubbed, as compinit would provide it) defines _entrasnap; fish completes with it as bash does.
func TestCompletionScriptsZshFish(t *testing.T) {
	for _, sh := range []string{"zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			bin, err := exec.LookPath(sh)
			if err != nil {
				t.Skipf("no %s on PATH: its completion script is not syntax-checked here", sh)
			}
			code, script, errOut := runCLI(t, "completion", sh)
			if code != exitOK {
				t.Fatalf("completion %s: %d %s", sh, code, errOut)
			}
			file := filepath.Join(t.TempDir(), "entrasnap."+sh)
			if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			if sh == "zsh" {
				if out, err := exec.Command(bin, "-n", file).CombinedOutput(); err != nil {
					t.Fatalf("zsh -n: %v\n%s", err, out)
				}
				out, err := exec.Command(bin, "-fc", "compdef() { :; }; source "+complete.Quote(file)+"; whence -w _entrasnap").CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != "_entrasnap: function" {
					t.Fatalf("zsh, sourcing the script: %v\n%s", err, out)
				}
				return
			}
			if out, err := exec.Command(bin, "--no-execute", file).CombinedOutput(); err != nil {
				t.Fatalf("fish --no-execute: %v\n%s", err, out)
			}
			for line, want := range map[string]string{
				"entrasnap res":        "restore",
				"entrasnap drift --wa": "--watch",
				"entrasnap export --kinds conditional-access/": "conditional-access/authentication-contexts conditional-access/named-locations conditional-access/policies",
				"entrasnap restore --repo r role-a":            "role-assignments",
				"entrasnap diff --format m":                    "markdown",
				"entrasnap completion f":                       "fish",
			} {
				out, err := exec.Command(bin, "--no-config", "-c", "source "+complete.Quote(file)+"; complete -C "+complete.Quote(line)).CombinedOutput()
				if err != nil {
					t.Fatalf("fish completing %q: %v\n%s", line, err, out)
				}
				var got []string
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					got = append(got, strings.SplitN(l, "\t", 2)[0])
				}
				if strings.Join(got, " ") != want {
					t.Errorf("fish completing %q: %q, want %q", line, got, want)
				}
			}
		})
	}
}
