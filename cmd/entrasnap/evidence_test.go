package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// evidence end to end: two exports by an app holding exactly the export
// set, then the report in each format. (The commit and tag times are the
// real clock's, so the gaps are seconds here: evidence's own tests make
// series with chosen times.)
func TestEvidenceCommand(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	set := layout.ExportPermissions(layout.Kinds())
	var deny []string
	for _, k := range layout.Kinds() {
		for _, p := range layout.KindReadPermissions(k) {
			if !containsStr(set, p) && !containsStr(deny, p) {
				deny = append(deny, p)
			}
		}
	}
	tok := exportTestToken(t, sim, u, deny...)
	t0 := time.Now()
	at := func(d time.Duration) factory { return factory{now: func() time.Time { return t0.Add(d) }} }
	for _, d := range []time.Duration{0, time.Second} {
		if code, out, errOut := runWith(t, at(d), "", false, "export", "--repo", repo, "--graph-url", u, "--access-token", tok); code != exitOK {
			t.Fatalf("export: %d\n%s\n%s", code, out, errOut)
		}
	}

	code, out, errOut := runWith(t, at(31*time.Hour), "", false, "evidence", "--repo", repo, "--format", "json")
	if code != exitOK {
		t.Fatalf("evidence: %d\n%s", code, errOut)
	}
	var rep struct {
		Schema    string
		Snapshots struct {
			Count       int
			LargestGap  struct{ Seconds float64 }
			GapsOverMax []any
		}
		Integrity struct {
			Check      struct{ OK bool }
			Signatures struct{ Verified bool }
		}
		Access struct {
			Recorded, ReadOnly, LeastPrivilege bool
			Permissions                        []string
		}
		Rehearsals struct{ Hint string }
		Summary    []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rep.Schema != "entrasnap.evidence/v1" || rep.Snapshots.Count != 2 || rep.Snapshots.LargestGap.Seconds > 3600 ||
		len(rep.Snapshots.GapsOverMax) != 0 || !rep.Integrity.Check.OK || rep.Integrity.Signatures.Verified {
		t.Errorf("report: %+v", rep)
	}
	if !rep.Access.Recorded || !rep.Access.ReadOnly || !rep.Access.LeastPrivilege || strings.Join(rep.Access.Permissions, ",") != strings.Join(set, ",") {
		t.Errorf("access: %+v, want exactly %v, read-only, least privilege", rep.Access, set)
	}
	if !strings.Contains(rep.Rehearsals.Hint, "entrasnap rehearse") {
		t.Errorf("no rehearsal hint: %+v", rep.Rehearsals)
	}
	if strings.Contains(out+errOut, tok) {
		t.Error("the token was printed")
	}
	// The command's output value (env.outputOf), as every command's:
	// --json is --format json and wins over --format; on a terminal the
	// report is still plain (colour is for text, which no format of the
	// report is).
	if code, jout, errOut := runWith(t, at(31*time.Hour), "", false, "evidence", "--repo", repo, "--json", "--format", "html"); code != exitOK || jout != out {
		t.Errorf("--json: %d %s\n%s\nwant the --format json report:\n%s", code, errOut, jout, out)
	}
	var term bytes.Buffer
	te := &env{args: []string{"entrasnap", "evidence", "--repo", repo}, factory: at(31 * time.Hour),
		streams: streams{stdin: strings.NewReader(""), stdout: &term, stderr: io.Discard, color: true, errTTY: true}}
	if code := runContext(context.Background(), te); code != exitOK || !strings.HasPrefix(term.String(), "# Backup evidence") || strings.Contains(term.String(), "\x1b[") {
		t.Errorf("markdown on a terminal: %d\n%q", code, term.String())
	}

	// The default: markdown on stdout; a window after the series.
	code, out, _ = runWith(t, at(48*time.Hour), "", false, "evidence", "--repo", repo, "--since", "2h")
	if code != exitOK || !strings.Contains(out, "# Backup evidence: Microsoft Entra tenant") || !strings.Contains(out, "| 1 | Snapshots taken | none in the window; the last was snapshot/") ||
		!strings.Contains(out, "| 3 | Gaps longer than 26h | 0; the last snapshot is 2d old") {
		t.Errorf("markdown: %d\n%s", code, out)
	}

	file := filepath.Join(t.TempDir(), "evidence.html")
	code, out, errOut = runWith(t, at(31*time.Hour), "", false, "evidence", "--repo", repo, "--format", "html", "--out", file)
	data, err := os.ReadFile(file)
	if code != exitOK || err != nil || !strings.HasPrefix(string(data), "<!DOCTYPE html>") || out != "" || !strings.Contains(errOut, "wrote the evidence report (html) to") {
		t.Errorf("--out: %d %v, stdout %q, stderr %q", code, err, out, errOut)
	}

	// --allowed-signers verifies: these snapshots are not signed.
	signers := filepath.Join(t.TempDir(), "allowed_signers")
	os.WriteFile(signers, []byte("ops@example.com namespaces=\"git\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"), 0o644)
	code, out, errOut = runWith(t, at(31*time.Hour), "", false, "evidence", "--repo", repo, "--allowed-signers", signers, "--format", "json")
	if code != exitOK || !strings.Contains(out, `"verified": true`) || !strings.Contains(out, `"status": "unsigned"`) {
		t.Errorf("--allowed-signers: %d %s\n%s", code, errOut, out)
	}

	for _, args := range [][]string{
		{"--format", "pdf"}, {"--since", "yesterday"}, {"--max-gap", "0h"}, {"--signed-since", "HEAD"}, {"extra-arg"},
	} {
		code, _, errOut := runCLI(t, append([]string{"evidence", "--repo", repo}, args...)...)
		if code != exitUsage {
			t.Errorf("evidence %v: code %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "evidence", "--repo", filepath.Join(t.TempDir(), "none")); code != exitError || !strings.Contains(errOut, "entrasnap export --repo") {
		t.Errorf("no repository: %d %s", code, errOut)
	}
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
