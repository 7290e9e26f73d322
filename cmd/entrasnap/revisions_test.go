package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestBadRevisionsGiveOneClearError: every command that takes a revision
// (show --at, log --at, diff FROM TO, drift --baseline, restore --at)
// resolves it the same way and refuses one that names no commit with the
// same error: exit 1, one line on stderr naming the revision quoted (a
// newline or an RTL mark escaped, a long one cut), no go-git internals,
// and what to give instead. Nothing is read from or written to the tenant
// first (restore plans nothing).
func TestBadRevisionsGiveOneClearError(t *testing.T) {
	e := newRstEnv(t, nil)
	conn := []string{"--graph-url", e.url, "--access-token", e.sim.Token()}
	revs := []string{"-x", "HEAD~999", "a\nb", "\u202eevil", "../../etc/passwd", strings.Repeat("x", 5000)}
	if testing.Short() {
		revs = []string{"a\nb", strings.Repeat("x", 5000)}
	}
	for _, rev := range revs {
		shown := strconv.Quote(rev)
		if len(rev) > 100 {
			shown = strconv.Quote(rev[:100]) + "… (5000 bytes)"
		}
		want := "entrasnap: unknown revision " + shown + " in " + e.repo
		for _, args := range [][]string{
			{"show", "--repo", e.repo, "--at", rev, "groups"},
			{"log", "--repo", e.repo, "--at", rev, "groups"},
			{"diff", "--repo", e.repo, "--", rev, "HEAD"},
			{"diff", "--repo", e.repo, "--", "HEAD", rev}, // "--": a revision may begin with "-"
			append([]string{"drift", "--repo", e.repo, "--baseline", rev}, conn...),
			append([]string{"restore", "--repo", e.repo, "--at", rev, "groups"}, conn...),
		} {
			code, out, errOut := runWith(t, e.factory(), "", false, args...)
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			last := lines[len(lines)-1]
			if code != exitError || out != "" || !strings.HasPrefix(last, want) || !strings.Contains(last, "`entrasnap snapshots` lists the snapshots") ||
				strings.Contains(errOut, "Revision invalid") || strings.Contains(errOut, "EOF") || len(last) > 500 {
				t.Errorf("entrasnap %s %q: exit %d, want %d and a last stderr line starting %q\nstdout: %s\nstderr: %s", args[0], rev, code, exitError, want, out, errOut)
			}
		}
	}
}
