//go:build linux

package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// hostileNames are group display names an ordinary user can create (any user
// may create a security group by default).
var hostileNames = []struct{ name, value string }{
	{"C0 controls", "Team\x01\x07\x08\x1fOps"},
	{"DEL", "Finance\x7fAdmins"},
	{"C1 controls", "Caf\u0080\u009b Admins"},
	{"carriage return", "Harmless\r- delete Finance Admins"},
	{"ANSI escapes", "\x1b[32m~ update Harmless\x1b[0m\x1b[2K"},
	{"bidi overrides", "Admins\u202egnp.exe\u202c \u2066x\u2069"},
	{"U+FFFE", "Group\uFFFEName"},
	{"markdown heading", "# Approved by security"},
	{"newline then heading", "Team\n# Approved by security"},
	{"markdown mention", "@contoso/admins please approve"},
	{"very long", strings.Repeat("Long name ", 26)[:256]}, // Graph's maximum for a group's displayName (graphsim/limits.go)
	{"path traversal", "../../../../etc/passwd"},
	{"Windows reserved CON", "CON"},
	{"Windows reserved NUL", "nul"},
	{"trailing dots", "Admins..."},
}

func hostileNameScenarios() []scenario {
	var out []scenario
	for i, h := range hostileNames {
		i, h := i, h
		out = append(out, scenario{
			name:   "hostile name: " + h.name,
			checks: fmt.Sprintf("a group named %s goes through export (exit 0, a safe path), check (exit 0), diff and `export --pr-body` (no raw controls, CR, escapes or bidi in text; no heading or mention in markdown) and a restore from the file (exact name back)", quoteName(h.value)),
			run:    func(r *row) { hostileName(r, i, h.value) },
		})
	}
	return out
}

// quoteName shows a name in the README with Go escapes, shortened.
func quoteName(s string) string {
	q := fmt.Sprintf("%+q", s)
	if len(q) > 40 {
		q = q[:37] + "…\""
	}
	return "`" + strings.ReplaceAll(q, "`", "'") + "`"
}

// unsafeRune is what must never reach a terminal raw.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e || r == 0x200f:
		return true
	case r == 0xfffe || r == 0xffff || r == utf8.RuneError:
		return true
	}
	return false
}

var reservedRE = regexp.MustCompile(`(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$`)

// pathProblem says what is unsafe about a repository path, or "".
func pathProblem(p string) string {
	if !utf8.ValidString(p) {
		return "invalid UTF-8"
	}
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "" || c == "." || c == "..":
			return fmt.Sprintf("component %q", c)
		case reservedRE.MatchString(c):
			return fmt.Sprintf("Windows reserved name %q", c)
		case strings.HasSuffix(c, ".") || strings.HasSuffix(c, " "):
			return fmt.Sprintf("trailing dot or space in %q", c)
		case len(c) > 255:
			return "component longer than 255 bytes"
		}
		for _, r := range c {
			if unsafeRune(r) || strings.ContainsRune(`\:*?"<>|`, r) {
				return fmt.Sprintf("character %U in %q", r, c)
			}
		}
	}
	return ""
}

// emptyTemplate is graphsim's empty tenant exported once per run
// (TestMain removes it).
var emptyTemplate simtest.Template

// emptyReference copies the empty tenant's export into a new repository
// of the suite named name and returns it.
func emptyReference(t testing.TB, name string) string {
	t.Helper()
	repo := newRepoDir(t, name)
	emptyTemplate.Copy(t, repo, func(t testing.TB, dir string) (any, error) {
		s := newSim(t, graphsim.Options{Profile: "empty"}, nil)
		if r := export(t, s, dir, runOpts{}); r.code != 0 {
			return nil, fmt.Errorf("the empty tenant's export: exit %d\n%s", r.code, r.out())
		}
		return nil, nil
	})
	return repo
}

func hostileName(r *row, i int, name string) {
	s := newSim(r, graphsim.Options{Profile: "empty"}, nil)
	repo := emptyReference(r, "hostile")
	code, g := s.call(r, "POST", "/groups", map[string]any{
		"displayName": name, "mailEnabled": false, "securityEnabled": true,
		"mailNickname": fmt.Sprintf("hostile%d", i), "description": "made by the reliability suite",
	})
	if code >= 300 {
		r.Fatalf("graphsim refuses the name: %d %v", code, g)
	}
	id := g["id"].(string)

	// export --pr-body into a second copy: the pull request description.
	prRepo := emptyReference(r, "hostile-pr")
	prBody := filepath.Join(filepath.Dir(prRepo), "pr.md")
	if pres := run(r, s, runOpts{}, "export", "--repo", prRepo, "--message", "reliability", "--pr-body", prBody); pres.code != 0 {
		r.failf(fmt.Sprintf("export --pr-body exits %d", pres.code), "%s", short(pres.stderr))
	}
	pr, _ := os.ReadFile(prBody)
	keepOutput(pr)

	// export: exit 0, a safe path, valid UTF-8 content.
	res := export(r, s, repo, runOpts{})
	if res.code != 0 {
		r.failf(fmt.Sprintf("export exits %d", res.code), "%s", short(res.out()))
		return
	}
	var path string
	for p := range blobs(r, repo, "HEAD") {
		if strings.Contains(p, id) {
			path = p
		}
	}
	if path == "" {
		r.failf("export wrote no file for the group", "id %s", id)
		return
	}
	if pr := pathProblem(path); pr != "" {
		r.failf("unsafe path: "+pr, "%q", path)
	}
	body, _ := git(repo, "show", "HEAD:"+path)
	// Files stay exact, but YAML cannot carry C0 (but tab and newline), DEL,
	// C1 or noncharacters raw: they must be escaped.
	if !utf8.ValidString(body) || strings.ContainsFunc(body, func(c rune) bool {
		return c != '\n' && c != '\t' && (c < 0x20 || c == 0x7f || c >= 0x80 && c <= 0x9f || c == 0xfffe || c == 0xffff)
	}) {
		r.failf("the file holds raw bytes YAML cannot carry", "%q", short(body))
	}

	// check
	if c := run(r, nil, runOpts{}, "check", "--repo", repo); c.code != 0 {
		r.failf(fmt.Sprintf("check exits %d", c.code), "%s", short(c.out()))
	}

	// diff, text and markdown
	d := run(r, nil, runOpts{}, "diff", "--repo", repo, "HEAD~1", "HEAD")
	switch {
	case d.code != 2 && d.code != 0:
		r.failf(fmt.Sprintf("diff exits %d", d.code), "%s", short(d.out()))
	case strings.ContainsFunc(d.stdout, unsafeRune):
		r.failf("diff prints the name raw (controls, escapes or bidi reach the terminal)", "%q", short(d.stdout))
	case strings.Contains(d.stdout, "\n# Approved"):
		r.failf("diff lets the name start a line of its own", "%q", short(d.stdout))
	}
	m := run(r, nil, runOpts{}, "diff", "--repo", repo, "--format", "markdown", "HEAD~1", "HEAD")
	if m.code != 2 && m.code != 0 {
		r.failf(fmt.Sprintf("diff --format markdown exits %d", m.code), "%s", short(m.out()))
	}
	for _, l := range strings.Split(m.stdout+"\n"+string(pr), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "# Approved") {
			r.failf("markdown lets the name start a heading", "%q", l)
		}
		if regexp.MustCompile("(^|[^\\\\`])@contoso/admins").MatchString(l) {
			r.failf("markdown lets the name @-mention a team", "%q", l)
		}
	}
	if strings.ContainsFunc(m.stdout+string(pr), unsafeRune) {
		r.failf("markdown holds the name's raw controls", "%q", short(m.stdout))
	}

	// restore from the file: the group gone for good, then back with its exact name.
	s.mustCall(r, "DELETE", "/groups/"+id, nil)
	s.mustCall(r, "DELETE", "/directory/deletedItems/"+id, nil)
	rr := run(r, s, runOpts{}, "restore", "--repo", repo, "--at", "HEAD", id, "--yes")
	if rr.code != 0 {
		r.failf(fmt.Sprintf("restore exits %d", rr.code), "%s", short(rr.out()))
	} else {
		found := false
		for _, o := range s.srv.Tenant().List("group") {
			if o["displayName"] == name {
				found = true
			}
		}
		if !found {
			r.failf("the restored group's name is not exact", "want %q", name)
		}
	}
	if strings.ContainsFunc(rr.stdout, unsafeRune) {
		r.failf("the restore plan prints the name raw", "%q", short(rr.stdout))
	}
}
