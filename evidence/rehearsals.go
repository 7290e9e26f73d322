package evidence

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// Rehearsal is one recorded rehearsal (format version 1, written by
// `entrasnap rehearse`).
type Rehearsal struct {
	File       string     `json:"file"`
	Version    int        `json:"version"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt time.Time  `json:"finishedAt"`
	Snapshot   string     `json:"snapshot"`
	Commit     string     `json:"commit"`
	Tool       string     `json:"tool"`
	Throttle   string     `json:"throttle"`
	Scenarios  []Scenario `json:"scenarios"`
	Passed     int        `json:"passed"`
	Failed     int        `json:"failed"`
	Skipped    int        `json:"skipped"`
	// RestoreSeconds is the longest measured restore of its scenarios.
	RestoreSeconds float64 `json:"maxRestoreSeconds"`
	// Notes are what the load into graphsim left out (layout.Rehearsal.Notes):
	// the scenarios ran on a tenant without it.
	Notes []string `json:"notes,omitempty"`
}

// Scenario is one incident of a rehearsal and its restore.
type Scenario struct {
	Name           string  `json:"name"`
	Result         string  `json:"result"` // pass, fail or skipped
	Objects        int     `json:"objects"`
	RestoreSeconds float64 `json:"restoreSeconds"`
	Detail         string  `json:"detail"`
}

// BrokenFile is a record that could not be read.
type BrokenFile struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// Rehearsals are the records of the window, newest first.
type Rehearsals struct {
	Records []Rehearsal  `json:"records"`
	Older   int          `json:"olderThanWindow"`
	Broken  []BrokenFile `json:"broken"`
	// Hint says what to run when the window has no rehearsal.
	Hint string `json:"hint,omitempty"`
	// MaxAgeSeconds is Options.MaxRehearsalAge: a last rehearsal older
	// than it at the report's time is flagged (the weekly job stopped).
	MaxAgeSeconds float64 `json:"maxAgeSeconds"`
}

// readRehearsals reads the records at HEAD: a missing folder is no
// records, a record that cannot be read is listed in Broken by name.
func readRehearsals(ctx context.Context, r *snapshot.Repo, w Window) (Rehearsals, error) {
	out := Rehearsals{Records: []Rehearsal{}, Broken: []BrokenFile{}}
	var files []string
	var blobs []plumbing.Hash
	err := r.Walk(ctx, "HEAD", layout.RehearsalsDir, func(p string, blob plumbing.Hash) error {
		if layout.IsRehearsalPath(p) {
			files = append(files, p)
			blobs = append(blobs, blob)
		}
		return nil
	})
	if err != nil && !errors.Is(err, snapshot.ErrUnknownRevision) {
		return out, fmt.Errorf("reading %s: %w", layout.RehearsalsDir, err)
	}
	for i, p := range files {
		data, err := r.ReadBlob(ctx, blobs[i])
		if err != nil {
			out.Broken = append(out.Broken, BrokenFile{File: p, Error: err.Error()})
			continue
		}
		rh, err := ParseRehearsal(data)
		if err != nil {
			out.Broken = append(out.Broken, BrokenFile{File: p, Error: err.Error()})
			continue
		}
		rh.File = p
		if w.before(rh.StartedAt) {
			out.Older++
			continue
		}
		out.Records = append(out.Records, *rh)
	}
	sort.SliceStable(out.Records, func(i, j int) bool {
		a, b := out.Records[i], out.Records[j]
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.After(b.StartedAt)
		}
		return a.File > b.File
	})
	if len(out.Records) == 0 {
		out.Hint = "run `entrasnap rehearse --repo R` (it restores the classic incidents in an emulated copy of the latest snapshot and records the result here); the CI templates in ci/ run it weekly"
	}
	return out, nil
}

// ParseRehearsal reads one record with the format's own decoder
// (layout.DecodeRehearsal: unknown keys ignored; a file that is not YAML,
// of a newer version, or with a malformed time or count is an error). The
// counts are the scenarios' when the record lists them (a total that
// disagrees cannot hide a failed scenario; a result this entrasnap does not
// know is not a pass), else its totals.
func ParseRehearsal(data []byte) (*Rehearsal, error) {
	if len(data) > layout.MaxRehearsalFile {
		return nil, fmt.Errorf("%d bytes, more than a record holds (%d)", len(data), layout.MaxRehearsalFile)
	}
	lr, err := layout.DecodeRehearsal(data)
	if err != nil {
		return nil, err
	}
	if len(lr.Scenarios) > 0 {
		lr.Count()
	}
	rh := &Rehearsal{Version: lr.Version, StartedAt: lr.StartedAt.UTC(), FinishedAt: lr.FinishedAt.UTC(),
		Snapshot: lr.Snapshot, Commit: lr.Commit, Tool: lr.Tool, Throttle: lr.Throttle,
		Passed: lr.Passed, Failed: lr.Failed, Skipped: lr.Skipped, Scenarios: []Scenario{}, Notes: lr.Notes}
	for i, sc := range lr.Scenarios {
		if sc.Objects < 0 || sc.RestoreSeconds < 0 {
			return nil, fmt.Errorf("scenarios[%d]: negative objects or restoreSeconds", i)
		}
		rh.RestoreSeconds = max(rh.RestoreSeconds, sc.RestoreSeconds)
		rh.Scenarios = append(rh.Scenarios, Scenario{Name: sc.Name, Result: sc.Result, Objects: sc.Objects,
			RestoreSeconds: sc.RestoreSeconds, Detail: sc.Detail})
	}
	return rh, nil
}
