package main

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// Every command's long help comes from its help/NAME.txt, every text file
// is used, "--help" shows the text and every flag, and every flag a help
// text names is a flag of that command or of another one (a renamed flag
// cannot leave its old name in the prose).
func TestHelpTexts(t *testing.T) {
	app := newApp(&env{})
	used := map[string]bool{"entrasnap": true, "exit-codes": true}
	allFlags := map[string]bool{"help": true, "version": true}
	for _, c := range app.Commands {
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				allFlags[n] = true
			}
		}
	}
	flagRef := regexp.MustCompile(`(?:^|[\s(\[,"])--([a-z][a-z-]+)`)
	for _, c := range app.Commands {
		used[c.Name] = true
		if strings.Contains(c.Description, "(no help text") || strings.Contains(c.Description, "{{") {
			t.Errorf("%s: %s", c.Name, c.Description)
			continue
		}
		code, out, errOut := runCLI(t, c.Name, "--help")
		if code != exitOK {
			t.Fatalf("%s --help: exit %d: %s", c.Name, code, errOut)
		}
		first, _, _ := strings.Cut(c.Description, "\n")
		if !strings.Contains(out, first) {
			t.Errorf("%s --help lacks its text %q", c.Name, first)
		}
		own := map[string]bool{}
		for _, f := range c.VisibleFlags() {
			own[f.Names()[0]] = true
			if !strings.Contains(out, "--"+f.Names()[0]) {
				t.Errorf("%s --help lacks --%s", c.Name, f.Names()[0])
			}
		}
		for _, m := range flagRef.FindAllStringSubmatch(entrasnapText(c.Description), -1) {
			if !own[m[1]] && !allFlags[m[1]] {
				t.Errorf("help/%s.txt names --%s, which no command has", c.Name, m[1])
			}
		}
	}
	for _, m := range helpInclude.FindAllStringSubmatch(strings.Join(helpFileTexts(t), "\n"), -1) {
		used[m[1]] = true
	}
	names, _ := fs.Glob(helpFiles, "help/*.txt")
	for _, n := range names {
		if name := strings.TrimSuffix(strings.TrimPrefix(n, "help/"), ".txt"); !used[name] {
			t.Errorf("%s is used by no command", n)
		}
	}
	if !strings.Contains(app.CustomAppHelpTemplate, "EXIT CODES:") || app.Description == "" {
		t.Error("the app's help lacks its description or exit codes")
	}
}

func helpFileTexts(t *testing.T) []string {
	names, err := fs.Glob(helpFiles, "help/*.txt")
	if err != nil || len(names) == 0 {
		t.Fatalf("no help files: %v", err)
	}
	var out []string
	for _, n := range names {
		data, _ := helpFiles.ReadFile(n)
		out = append(out, string(data))
	}
	return out
}

// entrasnapText is help text without the parts of example lines that run
// other programs (git diff --name-only, gh pr create --head).
func entrasnapText(help string) string {
	var b strings.Builder
	for _, line := range strings.Split(help, "\n") {
		for _, seg := range regexp.MustCompile(`\||&&`).Split(line, -1) {
			switch strings.Fields(seg + " x")[0] {
			case "git", "gh", "test", "cat", "jq":
				continue
			}
			b.WriteString(seg + "\n")
		}
	}
	return b.String()
}

// The other places help can go stale: each command's synopsis (UsageText)
// names only flags it has and, when it lists flags, every one of its own
// ("[connection flags]" stands for those); no flag's usage holds a
// backquote (urfave/cli shows the first `word` as the flag's placeholder:
// the help once read "--auth az login"); and a default the help text
// states for a flag ("--timeout (default 6h)", "--since, default 90
// days") is the flag's default.
func TestHelpSynopsisAndStatedDefaults(t *testing.T) {
	app := newApp(&env{})
	flagRef := regexp.MustCompile(`--([a-z][a-z-]+)`)
	stated := regexp.MustCompile(`--([a-z][a-z-]+)(?: [a-z]+)?(?: \(|, )default:? ([^,;:)]+)`)
	checked := 0
	for _, c := range app.Commands {
		own := map[string]cli.DocGenerationFlag{}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				own[n], _ = f.(cli.DocGenerationFlag)
			}
			if d, ok := f.(cli.DocGenerationFlag); ok && strings.Contains(d.GetUsage(), "`") {
				t.Errorf("%s --%s: its usage holds a backquote, which --help shows as the flag's placeholder: %s", c.Name, f.Names()[0], d.GetUsage())
			}
		}
		named := map[string]bool{}
		for _, m := range flagRef.FindAllStringSubmatch(c.UsageText, -1) {
			named[m[1]] = true
			if _, ok := own[m[1]]; !ok {
				t.Errorf("%s's synopsis names --%s, which %s does not have: %s", c.Name, m[1], c.Name, c.UsageText)
			}
		}
		if len(named) > 0 {
			for _, f := range c.VisibleFlags() {
				cat, _ := f.(cli.CategorizableFlag)
				if n := f.Names()[0]; !named[n] && n != "help" && (cat == nil || cat.GetCategory() == "") {
					t.Errorf("%s's synopsis lacks --%s: %s", c.Name, n, c.UsageText)
				}
			}
		}
		for _, m := range stated.FindAllStringSubmatch(entrasnapText(c.Description), -1) {
			f := own[m[1]]
			if f == nil || f.GetDefaultText() == "" {
				continue // another command's flag, or a default applied later (--full-every)
			}
			checked++
			said, has := strings.ReplaceAll(strings.TrimSpace(m[2]), " days", "d"), strings.Trim(f.GetDefaultText(), `"`)
			if ds, err := time.ParseDuration(said); err == nil {
				if dh, err := time.ParseDuration(has); err == nil && ds == dh {
					continue
				}
			}
			if said != has {
				t.Errorf("help/%s.txt says --%s defaults to %q; the flag's default is %q", c.Name, m[1], m[2], has)
			}
		}
	}
	if checked < 4 {
		t.Errorf("only %d stated defaults checked: the pattern no longer finds them", checked)
	}
}
