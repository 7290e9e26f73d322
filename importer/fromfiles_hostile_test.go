package importer

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// prHostileName holds controls, CR, bidi overrides, zero-width characters
// and markdown, HTML and mention injection.
const prHostileName = "CA002 \x01\x1b[31m\r\n‮evil‬\u200b\u2066 <img src=x onerror=alert(1)> [click](https://evil.example) @everyone | cell | `code` <!-- x -->"

// yamlQuote is s as a YAML double-quoted scalar, controls escaped.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + strings.ToUpper(string("0123456789abcdef"[r>>4])+string("0123456789abcdef"[r&15])))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkSafeText fails when s holds a character a terminal or a pull
// request comment would act on.
func checkSafeText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8", what)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200b || r == 0x200e || r == 0x200f {
			t.Errorf("%s holds %U:\n%q", what, r, s)
			return
		}
	}
}

// TestFilesHostileInput: edited and new files holding hostile values, and
// new files with hostile names, each either planned and applied exactly
// (the value written as the file has it, every rendering escaped, the
// markdown bounded) or refused before anything is written with an error
// naming the file (and its line) and what to do.
func TestFilesHostileInput(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	wt := e.repo.WorkTree()
	reset := func() {
		t.Helper()
		git(t, wt, "reset", "-q", "--hard")
		git(t, wt, "clean", "-qfd")
	}
	group := e.prGroup(e.first, "")
	newGroup := func(name string) string {
		return "description: \"hand-written\"\ndisplayName: " + yamlQuote(name) + "\ngroupTypes: []\nmailEnabled: false\nmailNickname: \"hand-written\"\nsecurityEnabled: true\n"
	}

	// Planned and applied: a hostile display name in an edited policy and
	// a new group, and a long description.
	long := strings.Repeat("Ünïcødé ", 120) // 960 characters, inside a group description's 1,024
	// A new display name gives the file a new name (git mv, as validate says).
	renamed := strings.Replace(e.readWT(ca002), `displayName: "CA002: Block legacy authentication"`, "displayName: "+yamlQuote(prHostileName), 1)
	obj, err := layout.Decode([]byte(renamed))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := layout.Lookup("conditional-access-policies")
	caPath, err := layout.Path(k, obj)
	if err != nil {
		t.Fatal(err)
	}
	git(t, wt, "mv", ca002, caPath)
	e.writeWT(caPath, renamed)
	e.writeWT(group.Path, replaceLine(e.readWT(group.Path), "description: ", "description: "+yamlQuote(long)))
	e.writeWT("groups/new-hostile.yaml", newGroup(prHostileName))
	p := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{})
	if c := p.Counts(); c[OpUpdate] != 2 || c[OpCreate] != 1 {
		t.Fatalf("want 2 updates and a create: %v\n%s", c, render(p))
	}
	text := render(p)
	checkSafeText(t, "the plan", text)
	var md bytes.Buffer
	if err := p.Markdown(&md, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	// A mention is broken with a zero-width space after its @ (markdown.go).
	checkSafeText(t, "the markdown", strings.ReplaceAll(md.String(), "@\u200b", "@"))
	// Outside code spans, nothing renders as HTML, a link or a mention.
	spans := strings.Split(md.String(), "`")
	for i := 0; i < len(spans); i += 2 {
		for _, bad := range []string{"<img", "<!--", "[click](", "@everyone"} {
			if strings.Contains(spans[i], bad) {
				t.Errorf("the markdown holds %q outside a code span:\n%s", bad, spans[i])
			}
		}
	}
	var small bytes.Buffer
	if err := p.Markdown(&small, MarkdownOptions{Limit: 2000}); err != nil || small.Len() > 2000 {
		t.Errorf("the markdown is not bounded: %d bytes (limit 2000), %v", small.Len(), err)
	}
	res := e.apply(roundTrip(t, p))
	if !res.Complete() {
		t.Fatalf("apply: %+v", res.Actions)
	}
	if pol, _ := e.sim.Tenant().Get("conditionalAccessPolicy", "37d3a33f-9060-464e-844d-dab8699bd355"); pol["displayName"] != prHostileName {
		t.Errorf("the policy's name is %q, want the file's exactly", pol["displayName"])
	}
	if g, _ := e.sim.Tenant().Get("group", group.Key); g["description"] != long {
		t.Errorf("the long description was not written exactly")
	}
	n := 0
	for _, g := range e.sim.Tenant().List("group") {
		if g["displayName"] == prHostileName {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d groups with the hostile name, want 1", n)
	}
	if again := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{}); !again.Empty() {
		t.Errorf("the recorded state differs:\n%s", render(again))
	}
	reset()

	// Refused before anything is written, naming the file.
	for _, c := range []struct {
		name  string
		files map[string]string
		want  []string // in the error, besides the file's name
	}{
		{"invalid UTF-8", map[string]string{caPath: strings.Replace(e.readWT(caPath), "state: ", "description: \"\xff\xfe\"\nstate: ", 1)}, []string{"UTF-8"}},
		{"a space in a new file's name", map[string]string{"groups/new-platform team.yaml": newGroup("Platform team")}, []string{"directly in that folder, NAME of at most 101 ASCII letters", "rename it, e.g. to groups/new-"}},
		{"unicode in a new file's name", map[string]string{"groups/new-plättform.yaml": newGroup("Plättform")}, []string{"directly in that folder, NAME of at most 101 ASCII letters", "rename it, e.g. to groups/new-"}},
		{"a leading dash", map[string]string{"groups/-new-x.yaml": newGroup("X"), "groups/new--x.yaml": newGroup("Y")}, []string{"directly in that folder, NAME of at most 101 ASCII letters", "rename it, e.g. to groups/new-"}},
		{"a very long new file name", map[string]string{"groups/new-" + strings.Repeat("a", 200) + ".yaml": newGroup("Long")}, []string{"directly in that folder, NAME of at most 101 ASCII letters", "rename it, e.g. to groups/new-"}},
		{"names that differ only in case", map[string]string{"groups/new-Platform.yaml": newGroup("P1"), "groups/new-platform.yaml": newGroup("P2")}, []string{"same name"}},
		{"a new group in the policies folder", map[string]string{"conditional-access/policies/new-group.yaml": newGroup("Lost")}, []string{"mailNickname"}},
		{"a new file in a shard folder", map[string]string{"groups/3c/new-x.yaml": newGroup("Shard")}, []string{"directly in that folder, NAME of at most 101 ASCII letters", "rename it, e.g. to groups/new-"}},
		{"a new file with an id that exists", map[string]string{"groups/new-copy.yaml": "id: \"" + group.Key + "\"\n" + newGroup("Copy")}, []string{"has no id"}},
		{"a control character in a new file's name", map[string]string{"groups/new-x\x1b[31m.yaml": newGroup("Ctl")}, []string{"directly in that folder, NAME of at most 101 ASCII letters", "rename it, e.g. to groups/new-"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer reset()
			for p, content := range c.files {
				e.writeWT(p, content)
			}
			before := len(e.sim.Tenant().List("group"))
			_, err := e.planFiles(Files{From: "HEAD", Worktree: true}, Options{})
			var fe *FilesError
			if !errors.As(err, &fe) {
				t.Fatalf("want the files refused, got %v", err)
			}
			msg := err.Error()
			checkSafeText(t, "the error", msg)
			named := false
			for p := range c.files {
				for _, pr := range fe.Problems {
					named = named || pr.File == p
				}
			}
			if !named {
				t.Errorf("the error names none of the files %v:\n%s", sortedKeys(c.files), msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error does not say %q:\n%s", w, msg)
				}
			}
			if !strings.Contains(msg, "nothing was planned") {
				t.Errorf("the error does not say nothing was planned:\n%s", msg)
			}
			if n := len(e.sim.Tenant().List("group")); n != before {
				t.Errorf("groups %d → %d: a refused plan wrote", before, n)
			}
		})
	}
}

// An existing object whose name starts with "new-" ("New hires") is no
// misnamed new object's file; a name meant as new-NAME.yaml that is not
// one is.
func TestBadNewName(t *testing.T) {
	for p, want := range map[string]bool{
		"groups/3c/new-hires.3c998624-d984-4d8d-a7df-2f959a18c3ed.yaml":                   false,
		"conditional-access/policies/new-hires.37d3a33f-9060-464e-844d-dab8699bd355.yaml": false,
		"groups/new-hires.yaml":                          false, // a new object's file
		"groups/new-new hires.yaml":                      true,
		"conditional-access/policies/new-new hires.yaml": true,
		"groups/3c/new-hires.yaml":                       true,
		"groups/--new-hires.yaml":                        true,
	} {
		k, _, ok := layout.KindOf(p)
		if !ok {
			t.Fatalf("%s: no kind", p)
		}
		if _, got := badNewName(k, p); got != want {
			t.Errorf("badNewName(%s) = %v, want %v", p, got, want)
		}
	}
}
