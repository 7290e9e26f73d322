package exporter

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// Reporter is the export command's progress: Progress, and the Graph
// client's waits (graph.Options.Progress).
type Reporter interface {
	Progress
	Retry(graph.Event)
}

// NewReporter is the export's progress in format: text (TermProgress: a
// line per kind and the warnings on stderr, the outcome and the summary
// on stdout) or json (JSONProgress: JSON lines on stdout).
func NewReporter(format string, stdout, stderr io.Writer) (Reporter, error) {
	switch format {
	case "", layout.FormatText:
		return &TermProgress{W: stderr, Out: stdout}, nil
	case layout.FormatJSON:
		return &JSONProgress{W: stdout}, nil
	}
	return nil, layout.FormatError(format, layout.FormatText, layout.FormatJSON)
}

// TermProgress is the export's progress for people: a line per kind and
// the warnings on W, the outcome and the summary on Out (when set) at the
// end. Repo names the repository in the outcome (default: the one the
// export wrote).
type TermProgress struct {
	mu     sync.Mutex
	W, Out io.Writer
	Repo   string
}

func (p *TermProgress) KindStarted(string) {}

func (p *TermProgress) KindDone(kind string, objects, requests int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ke *live.KindError
	if errors.As(err, &ke) && ke.Delegated != "" {
		fmt.Fprintf(p.W, "  %-38s SKIPPED for an app-only token (Graph serves it to delegated callers only): not read, earlier files kept; export it signed in (--auth device-code, browser or azure-cli)\n", kind)
		return
	}
	if errors.As(err, &ke) && ke.Licence != "" {
		fmt.Fprintf(p.W, "  %-38s NOT LICENSED in this tenant (needs %s): not read, earlier files kept\n", kind, ke.Licence)
		return
	}
	if err != nil {
		fmt.Fprintf(p.W, "  %-38s INCOMPLETE: %s\n", kind, incompleteText(kind, err))
		return
	}
	fmt.Fprintf(p.W, "  %-38s %6d objects  %4d requests\n", kind, objects, requests)
}

// KindNote says why a kind is read in full instead of from the delta state.
func (p *TermProgress) KindNote(kind, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.W, "  %-38s %s\n", kind, layout.Safe(note))
}

// Retry says on W that a request waits: paced to Graph's budget, throttled
// (429), or before a retry.
// Retry is called from the Graph client's request goroutines, beside
// KindDone from the kind readers': it takes the lock too.
func (p *TermProgress) Retry(ev graph.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case ev.Paced > 0:
		fmt.Fprintf(p.W, "  throttled by Graph, resuming in %s (pacing to Graph's budget of %s)\n", waitText(ev.Paced), ev.Budget)
	case ev.RetryIn > 0 && ev.Status == 429:
		fmt.Fprintf(p.W, "  throttled by Graph, resuming in %s (%s %s answered 429)\n", waitText(ev.RetryIn), ev.Method, ev.Endpoint)
	case ev.RetryIn > 0:
		fmt.Fprintf(p.W, "  waiting %.1fs before retry %d of %s %s (%s)\n", ev.RetryIn.Seconds(), ev.Attempt+1, ev.Method, ev.Endpoint, retryReason(ev))
	}
}

// waitText renders a wait in whole seconds ("8 s"), or in minutes and
// seconds from a minute on ("2 min 5 s").
func waitText(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 60 {
		return fmt.Sprintf("%d s", secs)
	}
	if secs%60 == 0 {
		return fmt.Sprintf("%d min", secs/60)
	}
	return fmt.Sprintf("%d min %d s", secs/60, secs%60)
}

// retryReason names why a request is retried.
func retryReason(ev graph.Event) string {
	switch {
	case ev.Status == 429:
		return "throttled by Graph"
	case ev.Status >= 500:
		return fmt.Sprintf("Graph answered %d", ev.Status)
	case ev.Status == 0:
		return "connection failed"
	}
	return fmt.Sprintf("status %d", ev.Status)
}

func (p *TermProgress) Done(res *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	repo := cmp.Or(p.Repo, res.repo)
	if n := len(res.Warnings); n > 0 {
		fmt.Fprintf(p.W, "%d warnings:\n", n)
		listSome(p.W, res.Warnings, 20)
	}
	switch {
	case res.Commit == "":
		fmt.Fprintln(p.Out, "Nothing was committed.")
	case res.Changed:
		fmt.Fprintf(p.Out, "Snapshot %s committed to %s (branch %s)", shortHash(res.Commit), repo, res.Branch)
		if res.Tag != "" {
			fmt.Fprintf(p.Out, ", tagged %s", res.Tag)
		}
		fmt.Fprintln(p.Out, ".")
	default:
		fmt.Fprintf(p.Out, "No change since snapshot %s in %s", shortHash(res.Commit), repo)
		if res.Tag != "" {
			fmt.Fprintf(p.Out, "; tagged it %s", res.Tag)
		}
		fmt.Fprintln(p.Out, ".")
	}
	fmt.Fprint(p.Out, Summary(res, nil))
	fmt.Fprintln(p.Out, TrafficLine(res))
	if res.WorktreeSkipped != "" {
		fmt.Fprintf(p.W, "The working tree was not updated: %s\n", res.WorktreeSkipped)
	}
	if n := len(res.WorktreeKept); n > 0 {
		fmt.Fprintf(p.W, "The index has the snapshot; %d file(s) in the working tree keep your local content (git status lists them as your changes):\n", n)
		listSome(p.W, res.WorktreeKept, 10)
	}
}

// incompleteText says in one line why a kind is incomplete and what to do.
func incompleteText(kind string, err error) string {
	var ke *live.KindError
	if errors.As(err, &ke) && ke.Status == 403 && len(ke.Permissions) > 0 {
		return ke.Reason() + "; " + ke.Remedy()
	}
	return strings.TrimPrefix(err.Error(), kind+": ")
}

// shortHash is the 12-digit form of a commit id.
func shortHash(h string) string { return h[:min(len(h), 12)] }

// listSome writes the first show items, one a line, then how many more.
func listSome[T any](w io.Writer, items []T, show int) {
	for i, it := range items {
		if i == show {
			fmt.Fprintf(w, "  ... and %d more\n", len(items)-show)
			return
		}
		fmt.Fprintf(w, "  %v\n", it)
	}
}

// JSONProgress is the export's progress as JSON lines on W: kind_started,
// kind_done, retry and, at the end, summary.
type JSONProgress struct {
	mu sync.Mutex
	W  io.Writer
}

func (p *JSONProgress) emit(v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, _ := json.Marshal(v)
	fmt.Fprintln(p.W, string(b))
}

func (p *JSONProgress) KindStarted(kind string) {
	p.emit(map[string]any{"event": "kind_started", "kind": kind})
}

func (p *JSONProgress) KindDone(kind string, objects, requests int, err error) {
	ev := map[string]any{"event": "kind_done", "kind": kind, "objects": objects, "requests": requests, "complete": err == nil}
	var ke *live.KindError
	if errors.As(err, &ke) && ke.Licence != "" {
		ev["notLicensed"] = ke.Licence
	}
	if errors.As(err, &ke) && ke.Delegated != "" {
		ev["skipped"] = live.SkippedAppOnlyReason
	}
	if err != nil {
		ev["error"] = err.Error()
		if errors.As(err, &ke) && len(ke.Permissions) > 0 {
			ev["permissions"] = ke.Permissions
		}
	}
	p.emit(ev)
}

// Retry writes a retry event when a request waits before it is retried.
// KindNote says why a kind is read in full (event kind_note).
func (p *JSONProgress) KindNote(kind, note string) {
	p.emit(map[string]any{"event": "kind_note", "kind": kind, "note": note})
}

func (p *JSONProgress) Retry(ev graph.Event) {
	switch {
	case ev.Paced > 0:
		p.emit(map[string]any{"event": "throttled", "budget": ev.Budget, "waitSeconds": ev.Paced.Seconds()})
	case ev.RetryIn > 0:
		p.emit(map[string]any{"event": "retry", "method": ev.Method, "endpoint": ev.Endpoint, "status": ev.Status,
			"attempt": ev.Attempt + 1, "waitSeconds": ev.RetryIn.Seconds()})
	}
}

func (p *JSONProgress) Done(res *Result) {
	p.emit(struct {
		Event string `json:"event"`
		*Result
		Complete bool `json:"complete"`
	}{"summary", res, res.Complete()})
}
