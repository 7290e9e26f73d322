package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/entrasnap/entrasnap/internal/golden"
)

// hostile is a name as a file or a tenant may hold it: newline, CR, ESC,
// a bidi override.
const hostile = "evil\u202egpj.\r\n\x1b[31mred"

// goldenReport is a check report of two snapshots with errors, warnings
// and tag issues, some naming hostile files, tags and properties.
func goldenReport() *Report {
	return &Report{
		Repo: "/repo",
		Snapshots: []Snapshot{
			{Commit: "0123456789abcdef0123456789abcdef01234567", Names: []string{"HEAD", "snapshot/2026-12-05"}, Files: 3, Errors: 2, Warnings: 1,
				Issues: []Issue{
					{Severity: SevError, File: "groups/ev/" + hostile + ".yaml", Line: 3, Property: "displayName", Message: "not a string: " + hostile},
					{Severity: SevError, File: "groups/fi/finance.9a000000-0000-4000-8000-000000000001.yaml", Message: "the manifest counts 2 groups, 3 files hold them"},
					{Severity: SevWarning, File: "conditional-access/policies/mfa.c0ffee00-0000-4000-8000-000000000001.yaml", Line: 12, Property: "conditions.users.excludeGroups[0]", Message: "names a group that is not in this snapshot"},
				}, Unchecked: 2},
			{Commit: "fedcba9876543210fedcba9876543210fedcba98", Names: []string{"snapshot/" + hostile}, Files: 1, Issues: []Issue{}},
		},
		TagsChecked: 2,
		Tags:        []Issue{{Severity: SevWarning, File: "snapshot/" + hostile, Message: "points at a commit without a manifest"}},
		Errors:      2, Warnings: 2,
	}
}

// check's text and JSON (as `check --json` writes it) are pinned byte for
// byte, and so are validate's problems in text and as GitHub annotations.
func TestRenderGolden(t *testing.T) {
	rep := goldenReport()
	var text, js bytes.Buffer
	rep.WriteText(&text)
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "check.txt", text.Bytes())
	golden.Check(t, "check.json", js.Bytes())

	problems := []Problem{
		{File: "groups/ev/" + hostile + ".yaml", Line: 3, Property: "display,Name:x", Message: "not a string: 100% " + hostile},
		{File: "users/ad/ada.yaml", Message: "not an object file of users"},
	}
	var plain, gh bytes.Buffer
	for _, p := range problems {
		fmt.Fprintln(&plain, p.String())
		fmt.Fprintln(&gh, p.GitHub())
	}
	golden.Check(t, "validate.txt", plain.Bytes())
	golden.Check(t, "validate.github", gh.Bytes())
}
