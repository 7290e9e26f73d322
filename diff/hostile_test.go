package diff

import (
	"bytes"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/golden"
	"github.com/entrasnap/entrasnap/layout"
)

// hostileScenario: a group whose name tries to repaint a removal as an
// update, one with a bidi override, one that tries markdown injection,
// and a policy that names the first group.
func hostileScenario(t *testing.T) *Result {
	const (
		gANSI = "4a000000-0000-4000-8000-000000000001"
		gBidi = "4a000000-0000-4000-8000-000000000002"
		gMD   = "4a000000-0000-4000-8000-000000000003"
	)
	ansi := obj(t, "groups", `{"id":"`+gANSI+`","displayName":"\u001b[32m~ changed  Harmless\u001b[0m\r","securityEnabled":true}`)
	bidi := obj(t, "groups", `{"id":"`+gBidi+`","displayName":"Admins\u202e\u2066 exe.txt","securityEnabled":true}`)
	md := obj(t, "groups", `{"id":"`+gMD+`","displayName":"x\n# Approved by security\n@acme/security-team | <img src=x> [click](https://evil) `+"`"+`code","securityEnabled":true}`)
	polOld := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled",
		"conditions":{"users":{"includeGroups":[]}}}`)
	polNew := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled",
		"conditions":{"users":{"includeGroups":["`+gANSI+`"]}},"notes":"\u001b]0;title\u0007\u0085"}`)
	return Compare(snap(ansi, polOld), snap(bidi, md, polNew), nil)
}

func TestRenderEscapesHostileNames(t *testing.T) {
	res := hostileScenario(t)
	var txt, md bytes.Buffer
	if err := res.Text(&txt, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	if err := res.Markdown(&md, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	for _, bad := range []string{"\x1b", "\r", "\u202e", "\u2066", "\u0085", "\a"} {
		if strings.Contains(out, bad) || strings.Contains(md.String(), bad) {
			t.Errorf("output holds %q raw:\n%s\n%s", bad, out, md.String())
		}
	}
	// The removal is still a removal line, with the name shown escaped.
	if !strings.Contains(out, `- removed \x1b[32m~ changed  Harmless\x1b[0m\r  (`) {
		t.Errorf("the removal is not shown as one, with its name escaped:\n%s", out)
	}
	if !strings.Contains(out, `Admins\u202e\u2066 exe.txt`) {
		t.Errorf("bidi override not shown escaped:\n%s", out)
	}
	// Every markdown line is one we wrote: no heading, mention, tag, link
	// or table from a name.
	for _, l := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "@") || strings.HasPrefix(l, "|") {
			t.Errorf("markdown line from a name: %q", l)
		}
	}
	m := md.String()
	for _, bad := range []string{"@acme", "<img", "[click](", "| <", "\n# Approved"} {
		if strings.Contains(m, bad) {
			t.Errorf("markdown holds %q:\n%s", bad, m)
		}
	}
	golden.Check(t, "hostile.txt", []byte(out))
	golden.Check(t, "hostile.md", []byte(m))
}

func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"Finance Admins":      "Finance Admins",
		"Dept - Finance (EU)": "Dept - Finance (EU)",
		"@org/team":           "@\u200borg/team",
		"a*b_c`d":             "a\\*b\\_c\\`d",
		"<script>&amp;":       "&lt;script&gt;&amp;amp;",
		"[x](http://e)":       "\\[x\\](http://e)",
		"a|b":                 "a\\|b",
		"x\n## h":             "x\\\\n\\#\\# h",
		"\u202e":              "\\\\u202e",
		"back\\slash":         "back\\\\slash",
		"~~strike~~ &#x202e;": "\\~\\~strike\\~\\~ &amp;\\#x202e;",
	} {
		if got := MarkdownText(in); got != want {
			t.Errorf("MarkdownText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := MarkdownCode("a`b\nc"); got != "`a'b\\nc`" {
		t.Errorf("MarkdownCode = %q", got)
	}
}

func TestLoadFilesSkipsUnreadableFiles(t *testing.T) {
	good := obj(t, "groups", `{"id":"`+gFinance+`","displayName":"Finance","securityEnabled":true}`)
	files := map[string][]byte{
		good.Path: layout.Canonical(good.Kind, good.Data),
		"groups/3f/broken.3f2a0b1c-2222-4000-8000-000000000002.yaml": []byte("displayName: \"a\x7fb\"\n"),
		"manifest.yaml": []byte("not: [an object"),
	}
	s, skipped := LoadFiles(files)
	if len(s) != 1 || s[good.Path] == nil {
		t.Fatalf("objects %v", s)
	}
	if len(skipped) != 1 || skipped[0].Path != "groups/3f/broken.3f2a0b1c-2222-4000-8000-000000000002.yaml" || skipped[0].Reason == "" {
		t.Fatalf("skipped %v", skipped)
	}
	if _, err := Load(files); err == nil || !strings.Contains(err.Error(), "broken.3f2a0b1c") {
		t.Fatalf("Load: %v", err)
	}
	other := snap(obj(t, "groups", `{"id":"3f2a0b1c-2222-4000-8000-000000000002","displayName":"Sales renamed","securityEnabled":true}`), good)
	other.Drop(skipped)
	if len(other) != 1 || other[good.Path] == nil {
		t.Fatalf("Drop left %v", other)
	}
}

// A short reference value (a CA policy's special values sit beside ids) and
// a grant's consentType and scope are printed as read: controls in them
// must be escaped like names are.
func TestRenderEscapesHostileShortValues(t *testing.T) {
	const sp = "5b000000-0000-4000-8000-000000000001"
	polOld := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled",
		"conditions":{"users":{"includeGroups":[]}}}`)
	polNew := obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"MFA","state":"enabled",
		"conditions":{"users":{"includeGroups":["\u001b[2J\u202e"]}}}`)
	spOld := obj(t, "service-principals", `{"id":"`+sp+`","appId":"5b000000-0000-4000-8000-0000000000aa","displayName":"api"}`)
	spNew := obj(t, "service-principals", `{"id":"`+sp+`","appId":"5b000000-0000-4000-8000-0000000000aa","displayName":"api",
		"oauth2PermissionGrants":[{"id":"g1","consentType":"AllPrincipals\u001b]0;owned\u0007","scope":"User.Read\r\u001b[1A~ harmless","resourceId":"`+sp+`"}]}`)
	res := Compare(snap(polOld, spOld), snap(polNew, spNew), nil)
	var txt bytes.Buffer
	if err := res.Text(&txt, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	for _, bad := range []string{"\x1b", "\r", "\u202e", "\a"} {
		if strings.Contains(out, bad) {
			t.Errorf("rendered diff holds %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{`\x1b[2J`, `consentType=AllPrincipals\x1b]0;owned\x07`, `scope=User.Read\r\x1b[1A~ harmless`} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered diff lacks the escaped %q:\n%s", want, out)
		}
	}
}

// Annotate's result is printed by callers that do not escape whole lines
// (the restore plan's "← target" notes): a short unnamed value is escaped
// like a name.
func TestAnnotateEscapesShortValues(t *testing.T) {
	for _, v := range []string{"\x1b[2J", "All\u202e", "c1\r", "\xff"} {
		got := Annotate(nil, v)
		if got != layout.Safe(v) || got == v {
			t.Errorf("Annotate(%q) = %q, want %q", v, got, layout.Safe(v))
		}
	}
	if got := Annotate(nil, "All"); got != "All" {
		t.Errorf("Annotate(All) = %q", got)
	}
}
