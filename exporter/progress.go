package exporter

import "github.com/entrasnap/entrasnap/live"

// Progress receives the export's progress: the read's (live.Progress) and
// its end. Methods may be called from several goroutines at once;
// implementations serialise their output.
type Progress interface {
	live.Progress
	// Done: the export ended with res (before the error, if any, is
	// returned from Run; res may then be partial).
	Done(res *Result)
}

// NoProgress discards progress.
type NoProgress struct{ live.NoProgress }

func (NoProgress) Done(*Result) {}
