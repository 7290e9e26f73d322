package importer

import (
	"strings"
	"testing"
)

// Each ending of an Apply has its outcome and a message that says what
// happened and what to do.
func TestResultOutcome(t *testing.T) {
	acts := func(ss ...Status) []ActionResult {
		var out []ActionResult
		for _, s := range ss {
			out = append(out, ActionResult{Status: s})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		res  Result
		want Outcome
		msg  string
	}{
		{"all done", Result{Actions: acts(StatusDone, StatusAlready), Verified: true}, Applied, ""},
		{"all already", Result{Actions: acts(StatusAlready), Verified: true}, Applied, ""},
		{"not recorded", Result{Actions: acts(StatusDone), Verified: true, SnapshotErr: "disk full"}, Unrecorded, "post-restore snapshot was not recorded: disk full"},
		{"all failed", Result{Actions: acts(StatusFailed, StatusSkipped)}, Failed, "1 actions failed, 1 were skipped, nothing was changed"},
		{"nothing written, not verified", Result{Actions: acts(StatusFailed)}, Failed, "nothing was changed"},
		{"some done", Result{Actions: acts(StatusDone, StatusFailed, StatusSkipped), Differences: []Difference{{}, {}}}, Partial, "partly applied (1 actions failed, 1 were skipped, verification found 2 differences)"},
		{"done, verification differs", Result{Actions: acts(StatusDone)}, Partial, "verification found 0 differences"},
		{"already and failed", Result{Actions: acts(StatusAlready, StatusFailed), Verified: true}, Partial, "partly applied (1 actions failed, 0 were skipped)"},
	} {
		if got := tc.res.Outcome(); got != tc.want {
			t.Errorf("%s: outcome %d, want %d", tc.name, got, tc.want)
		}
		err := tc.res.Err()
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%s: Err() = %v, want nil", tc.name, err)
		case tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)):
			t.Errorf("%s: Err() = %v, want it to say %q", tc.name, err, tc.msg)
		}
	}
}
