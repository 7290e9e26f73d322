package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

func TestDemo(t *testing.T) {
	// The restore, apply and rehearsal commits name git's committer.
	t.Setenv("GIT_COMMITTER_NAME", "Demo Committer")
	t.Setenv("GIT_COMMITTER_EMAIL", "demo@example.com")
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := runCLI(t, "demo", "--dir", dir)
	if code != exitOK {
		t.Fatalf("demo: code %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"Conditional Access policy", "lost all", "redirects sign-ins", "named location",
		"- removed", "web.redirectUris: + \"https://login.contoso-support.example/callback\"", "members: - ",
		"2 removed, 2 changed", "The repository is " + dir, "mass-deletion guard", "named-locations fell from 4 to 3",
		"not restored from the Conditional Access recycle bin, which could not be read (Graph answered 403 AccessDenied",
		"Verified: the tenant matches the snapshot", "Post-restore snapshot", "Recreated under new ids",
		"2 added, 2 removed, 0 changed", "report-only", "recreated under new ids",
		// 7. A change by pull request: planned from the branch's files, merged, applied, recorded.
		"7. A change by pull request", "from the files of main..change/ca-report-only", "Files: 1 edited",
		"state: \"enabled\" → \"enabledForReportingButNotEnforced\"", "0 added, 0 removed, 1 changed",
		// Who changed it: the audit records kept with the second snapshot, next to each change.
		"and who\n   changed it (from Graph's audit log, kept in .entrasnap/changes/",
		// The incidents are a signed-in administrator's (a delegated token):
		// Graph's audit log names the person.
		"3. Simulating incidents, signed in as admin@contoso.onmicrosoft.com on the Azure Portal app",
		"changed by admin@contoso.onmicrosoft.com, ", ", Delete conditional access policy\n", ", Remove member from group (4 times)\n", ", Update application\n", ", Delete named location\n",
		// 2. The app-only export skips the delegated-only kind and says how an operator reads it.
		"Skipped feature rollout (staged rollout) policies: Graph serves them only to a signed-in administrator",
		"entrasnap export --kinds feature-rollout-policies --auth device-code",
		// 8. A rehearsal, recorded.
		"8. A rehearsal (entrasnap rehearse)", "SCENARIO  ", "user-attributes-corrupted  50 ", "6 passed, 0 failed, 0 skipped (snapshot/", "throttling realistic",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	for _, args := range [][]string{{"fsck", "--strict"}, {"status", "--porcelain"}} {
		b, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		if err != nil || (args[0] == "status" && len(b) > 0) {
			t.Errorf("git %v: %v\n%s", args, err, b)
		}
	}
	b, err := exec.Command("git", "-C", dir, "log", "--format=%s").Output()
	if err != nil || strings.Count(string(b), "\n") != 5 || !strings.Contains(string(b), "after the incidents") || !strings.Contains(string(b), "restore") ||
		!strings.Contains(string(b), "report-only while its sign-ins are checked (#1)") || !strings.HasPrefix(string(b), "rehearsal: 6 of 6 passed at snapshot/") {
		t.Errorf("git log: %v\n%s", err, b)
	}
	b, err = exec.Command("git", "-C", dir, "log", "--format=%cn <%ce> %s").Output()
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if (strings.Contains(l, "restore") || strings.Contains(l, "rehearsal:")) && !strings.HasPrefix(l, "Demo Committer <demo@example.com> ") {
			t.Errorf("a commit of the tour does not name git's committer: %s", l)
		}
	}
	// No change is attributed to graphsim's own token: the incidents were
	// the administrator's; and the restore's record says which application
	// wrote (its token is a JWT from graphsim's token endpoint).
	if strings.Contains(out, "changed by app graphsim") {
		t.Errorf("the demo attributes a change to graphsim's own token:\n%s", out)
	}
	b, err = exec.Command("git", "-C", dir, "log", "--format=%B").Output()
	if err != nil || !regexp.MustCompile(`\nBy: application [0-9a-f-]{36} \(app-only\)\n`).Match(b) || strings.Contains(string(b), "By: not known") {
		t.Errorf("the restore's record does not name the application that wrote: %v\n%s", err, b)
	}
	// The suggested next commands work.
	if code, out, errOut := runCLI(t, "snapshots", "--repo", dir); code != exitOK || strings.Count(out, "\nsnapshot/") != 4 {
		t.Errorf("snapshots after demo: %d %s %s", code, out, errOut)
	}
	// The evidence report of the demo's repository shows the backup app's
	// permissions (its exports sign in as an app granted the read set):
	// read-only and least privilege, although the tour's restores ran with
	// an app granted the write permissions too.
	if code, out, errOut := runCLI(t, "evidence", "--repo", dir, "--format", "json"); code != exitOK {
		t.Errorf("evidence after demo: %d %s", code, errOut)
	} else {
		var rep struct {
			Access struct {
				Recorded, ReadOnly, LeastPrivilege bool
				Type                               string
				Permissions, Extra, Writes         []string
			}
		}
		want := append(layout.ExportPermissions(layout.Kinds()), "AuditLog.Read.All")
		sort.Strings(want)
		if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.Access.Recorded || !rep.Access.ReadOnly || !rep.Access.LeastPrivilege ||
			rep.Access.Type != "application" || strings.Join(rep.Access.Permissions, ",") != strings.Join(want, ",") {
			t.Errorf("evidence access after demo: %+v (%v), want application %v, read-only, least privilege", rep.Access, err, want)
		}
	}
	// README's sample evidence report is what evidence prints for the demo.
	if code, out, errOut := runCLI(t, "evidence", "--repo", dir); code != exitOK {
		t.Errorf("evidence (markdown) after demo: %d %s", code, errOut)
	} else {
		readmeEvidenceSample(t, strings.ReplaceAll(out, dir, "./entrasnap-demo"))
	}
	// A second run into the same folder refuses and says what to do.
	code, _, errOut = runCLI(t, "demo", "--dir", dir)
	if code != exitUsage || !strings.Contains(errOut, "not empty") {
		t.Errorf("second demo: code %d, %q", code, errOut)
	}
}

// readmeEvidenceSample compares the README's sample evidence report (the
// markdown block after "A sample, from the demo's repository") with out,
// what `entrasnap evidence --repo ./entrasnap-demo` printed for the demo,
// abridged as the README abridges it (abridgeEvidence). Both sides are
// normalized first (normalizeEvidence): what differs from run to run
// (times, snapshot tag names and record files, which carry the time, short
// commit ids, durations) becomes a placeholder; everything else (tenant,
// counts, kinds, statuses, scenarios, permissions, wording) must match.
func readmeEvidenceSample(t *testing.T, out string) {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "A sample, from the demo's repository")
	_, rest, ok2 := strings.Cut(rest, "```markdown\n")
	sample, _, ok3 := strings.Cut(rest, "\n```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no sample evidence report (a ```markdown block after \"A sample, from the demo's repository\")")
	}
	want := abridgeEvidence(out)
	if normalizeEvidence(sample+"\n") != normalizeEvidence(want) {
		t.Errorf("README.md's sample evidence report is not what evidence prints for the demo (times, tags, commit ids and durations aside); replace the block with:\n%s", want)
	}
}

// abridgeEvidence cuts sections 1 to 3 and the controls table of a
// markdown evidence report, as README's sample does.
func abridgeEvidence(report string) string {
	head, rest, ok := strings.Cut(report, "## 1. Snapshot series\n")
	_, rest, ok2 := strings.Cut(rest, "## 4. Restore rehearsals\n")
	body, _, ok3 := strings.Cut(rest, "## Controls\n")
	if !ok || !ok2 || !ok3 {
		return report
	}
	return head + "(sections 1 to 3 abridged)\n\n## 4. Restore rehearsals\n" + body + "(the controls abridged)\n"
}

var evidenceVarying = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`), "<time>"},
	{regexp.MustCompile(`\b\d{8}T\d{6}Z\b`), "<time>"},
	{regexp.MustCompile(`\([0-9a-f]{12}\)`), "(<commit>)"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ms|s|m|h|d)\b`), "<duration>"},
}

// normalizeEvidence replaces what varies between two demo runs with
// placeholders (evidenceVarying).
func normalizeEvidence(s string) string {
	for _, v := range evidenceVarying {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}
