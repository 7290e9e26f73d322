package layout

import (
	"strings"
	"testing"
	"time"
)

// TestParseApplyRecord: a record reads back; one missing its plan, tenant
// or actions line is not one, and the error says which; hostile or huge
// messages never panic.
func TestParseApplyRecord(t *testing.T) {
	msg := "apply of the restore of g from snapshot/x (0123456789ab): nothing was written\n\n" +
		"Restored from snapshot/x (0123), plan of 2026-09-02T10:00:00Z, tenant 3f782963-1da0-4787-a4b5-77a4d41bdf07.\n" +
		ApplyPlanLine + "sha256:" + strings.Repeat("ab", 32) + "\n" + ApplyByLine + "app 1 (app-only)\n" +
		"Actions: 1 done, 2 already in place, 3 failed, 4 skipped.\n" + ApplyFailedLine + "\n  - failed x (k1): e\n  - skipped y (k2): n\nVerification: 1 differences remain.\n"
	rec, err := ParseApplyRecord(msg)
	if err != nil || rec.Tenant != "3f782963-1da0-4787-a4b5-77a4d41bdf07" || rec.By != "app 1 (app-only)" || rec.Done != 1 || rec.Already != 2 ||
		rec.Failed != 3 || rec.Skipped != 4 || len(rec.NotDone) != 2 || rec.NotDone[1] != "- skipped y (k2): n" {
		t.Fatalf("%v %+v", err, rec)
	}
	for _, drop := range []string{ApplyPlanLine, ", tenant ", "Actions: "} {
		var kept []string
		for _, l := range strings.Split(msg, "\n") {
			if !strings.Contains(l, drop) {
				kept = append(kept, l)
			}
		}
		if _, err := ParseApplyRecord(strings.Join(kept, "\n")); err == nil || !strings.Contains(err.Error(), "not an apply record") {
			t.Errorf("without %q: %v", drop, err)
		}
	}
	for _, bad := range []string{"", "\n\n\n", "\x00\u202e" + strings.Repeat("Plan: ", 1e5), "Actions: -1 done, x"} {
		if _, err := ParseApplyRecord(bad); err == nil {
			t.Errorf("%.40q: no error", bad)
		}
	}
	if n := ApplyTagName(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), "ab"); n != "entrasnap/apply/20260102T020405Z-ab" {
		t.Errorf("tag name %s", n)
	}
}
