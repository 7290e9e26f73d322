package importer

import "fmt"

// Outcome is how an Apply ended; the CLI maps it to its exit code.
type Outcome int

const (
	// Applied: every action succeeded, verification passed and the
	// post-restore snapshot was recorded.
	Applied Outcome = iota
	// Unrecorded: applied and verified, but the post-restore snapshot was
	// not recorded (SnapshotErr says why).
	Unrecorded
	// Failed: nothing was changed (actions failed or were skipped).
	Failed
	// Partial: some actions changed the tenant, others failed or were
	// skipped, or verification found differences.
	Partial
)

// Outcome classifies r.
func (r *Result) Outcome() Outcome {
	c := r.Count()
	switch {
	case r.Complete() && r.SnapshotErr == "":
		return Applied
	case !r.Wrote() && c[StatusAlready] == 0:
		return Failed
	case r.Complete():
		return Unrecorded
	}
	return Partial
}

// Err is nil when r's outcome is Applied; otherwise it says what happened
// and what to do (the report above it, Report, has the details).
func (r *Result) Err() error {
	c := r.Count()
	switch r.Outcome() {
	case Applied:
		return nil
	case Failed:
		return fmt.Errorf("the restore failed: %d actions failed, %d were skipped, nothing was changed; see above", c[StatusFailed], c[StatusSkipped])
	case Unrecorded:
		return fmt.Errorf("the tenant was restored and verified, but the post-restore snapshot was not recorded: %s", r.SnapshotErr)
	}
	what := fmt.Sprintf("%d actions failed, %d were skipped", c[StatusFailed], c[StatusSkipped])
	if !r.Verified {
		what += fmt.Sprintf(", verification found %d differences", len(r.Differences))
	}
	return fmt.Errorf("the restore was partly applied (%s): fix the cause and run the same restore again, which only does what is still to do", what)
}
