package check

import (
	"strings"
	"testing"
)

// TestVerdict: failed signatures make a check untrusted (exit 4 in the
// CLI) and still count the file errors; file errors alone fail it; a clean
// report passes. Each message names the repository.
func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rep       Report
		untrusted bool
		want      string
	}{
		{"clean", Report{Repo: "r", Signatures: &SignatureReport{Commits: 3, Good: 3}}, false, ""},
		{"errors", Report{Repo: "snaps", Errors: 1}, false, "check found 1 error in snaps (listed above)"},
		{"unsigned", Report{Repo: "snaps", Signatures: &SignatureReport{AllowedSigners: "allowed", Commits: 3, Tags: 2, Failed: 1}}, true,
			"1 of 5 commits and snapshot tags in snaps are unsigned or not signed by a key allowed allows for their committer or tagger (listed above); a rewritten"},
		{"unsigned and errors", Report{Repo: "snaps", Errors: 2, Signatures: &SignatureReport{Commits: 1, Failed: 1}}, true, "(listed above), and found 2 errors in the files;"},
	} {
		untrusted, err := tc.rep.Verdict()
		if untrusted != tc.untrusted || (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, %v; want %v, %q", tc.name, untrusted, err, tc.untrusted, tc.want)
		}
	}
}

func TestFilesReportErr(t *testing.T) {
	if err := (&FilesReport{Files: 3}).Err(); err != nil {
		t.Errorf("no problems: %v", err)
	}
	rep := &FilesReport{Files: 3, Problems: []Problem{{File: "a"}, {File: "a"}, {File: "b"}}}
	want := "3 problems in 2 of 3 files; fix them and run validate again"
	if err := rep.Err(); err == nil || err.Error() != want {
		t.Errorf("Err = %v, want %s", err, want)
	}
}

// TestFilesReportWrite: validate's output in each format; a problem's text
// from a file is escaped, and the count of valid files is said only when
// there is no problem.
func TestFilesReportWrite(t *testing.T) {
	bad := &FilesReport{Files: 2, Problems: []Problem{{File: "groups/a\x1b[31m.yaml", Line: 3, Message: "unknown property"}}}
	for _, tc := range []struct {
		rep          *FilesReport
		format, want string
	}{
		{&FilesReport{}, "text", "no object files found\n"},
		{&FilesReport{Files: 1, Valid: true}, "text", "1 file valid\n"},
		{&FilesReport{Files: 3, Valid: true}, "text", "3 files valid\n"},
		{bad, "text", "groups/a\\x1b[31m.yaml:3: unknown property\n"},
		{bad, "github", "::error file=groups/a\\x1b[31m.yaml,line=3,title=entrasnap validate::unknown property\n"},
		{&FilesReport{Files: 1, Valid: true, Problems: []Problem{}}, "json", "{\n  \"files\": 1,\n  \"valid\": true,\n  \"problems\": []\n}\n"},
	} {
		var b strings.Builder
		if err := tc.rep.Write(&b, tc.format); err != nil || b.String() != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.format, b.String(), err, tc.want)
		}
	}
}
