package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// RehearsalsDir is where `entrasnap rehearse` records its runs, one file
// each, committed in the repository.
const RehearsalsDir = ".entrasnap/rehearsals"

// maxRehearsalFile bounds one record read (a record is a few kilobytes).
const maxRehearsalFile = 1 << 20

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
}

// readRehearsals reads the records at HEAD: a missing folder is no
// records, a record that cannot be read is listed in Broken by name.
func readRehearsals(ctx context.Context, r *snapshot.Repo, w Window) (Rehearsals, error) {
	out := Rehearsals{Records: []Rehearsal{}, Broken: []BrokenFile{}}
	var files []string
	var blobs []plumbing.Hash
	err := r.Walk(ctx, "HEAD", RehearsalsDir, func(p string, blob plumbing.Hash) error {
		if strings.HasSuffix(p, ".yaml") && path.Dir(p) == RehearsalsDir {
			files = append(files, p)
			blobs = append(blobs, blob)
		}
		return nil
	})
	if err != nil && !errors.Is(err, snapshot.ErrUnknownRevision) {
		return out, fmt.Errorf("reading %s: %w", RehearsalsDir, err)
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
		if !w.From.IsZero() && rh.StartedAt.Before(w.From) {
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

// ParseRehearsal reads one record, tolerantly: unknown keys are ignored,
// the counts are the scenarios' (the totals when none are listed), a scenario result other
// than pass or skipped counts as failed; a file that is not YAML, of a
// newer version, or without its start time is an error.
func ParseRehearsal(data []byte) (*Rehearsal, error) {
	if len(data) > maxRehearsalFile {
		return nil, fmt.Errorf("%d bytes, more than a record holds (%d)", len(data), maxRehearsalFile)
	}
	v, err := layout.Decode(data)
	if err != nil {
		return nil, err
	}
	rh := &Rehearsal{Scenarios: []Scenario{}}
	if rh.Version, err = intIn(v, "version"); err != nil {
		return nil, err
	}
	if rh.Version != 1 {
		return nil, fmt.Errorf("version %d: this entrasnap reads version 1 (upgrade entrasnap)", rh.Version)
	}
	if rh.StartedAt, err = timeIn(v, "startedAt"); err != nil {
		return nil, err
	}
	if _, ok := v["finishedAt"]; ok {
		if rh.FinishedAt, err = timeIn(v, "finishedAt"); err != nil {
			return nil, err
		}
	}
	rh.Snapshot, _ = v["snapshot"].(string)
	rh.Commit, _ = v["commit"].(string)
	rh.Tool, _ = v["tool"].(string)
	rh.Throttle, _ = v["throttle"].(string)
	list, _ := v["scenarios"].([]any)
	var counted [3]int
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("scenarios[%d]: not a mapping", i)
		}
		var sc Scenario
		sc.Name, _ = m["name"].(string)
		sc.Result, _ = m["result"].(string)
		sc.Detail, _ = m["detail"].(string)
		if _, ok := m["objects"]; ok {
			if sc.Objects, err = intIn(m, "objects"); err != nil {
				return nil, fmt.Errorf("scenarios[%d].%w", i, err)
			}
		}
		if n, ok := m["restoreSeconds"].(json.Number); ok {
			f, err := strconv.ParseFloat(n.String(), 64)
			if err != nil || f < 0 {
				return nil, fmt.Errorf("scenarios[%d].restoreSeconds: want a number of seconds, got %s", i, n)
			}
			sc.RestoreSeconds = f
		}
		switch sc.Result {
		case "pass":
			counted[0]++
		case "fail":
			counted[1]++
		case "skipped":
			counted[2]++
		default:
			counted[1]++ // a result this entrasnap does not know is not a pass
		}
		if sc.RestoreSeconds > rh.RestoreSeconds {
			rh.RestoreSeconds = sc.RestoreSeconds
		}
		rh.Scenarios = append(rh.Scenarios, sc)
	}
	// The counts are the scenarios' when the record lists them (a total
	// that disagrees cannot hide a failed scenario), else its totals.
	for i, key := range []string{"passed", "failed", "skipped"} {
		n := counted[i]
		if _, ok := v[key]; ok {
			total, err := intIn(v, key)
			if err != nil {
				return nil, err
			}
			if len(list) == 0 {
				n = total
			}
		}
		*[]*int{&rh.Passed, &rh.Failed, &rh.Skipped}[i] = n
	}
	return rh, nil
}

func intIn(v map[string]any, key string) (int, error) {
	n, ok := v[key].(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s: want a whole number, got %s", key, describe(v[key]))
	}
	i, err := strconv.Atoi(n.String())
	if err != nil || i < 0 {
		return 0, fmt.Errorf("%s: want a whole number, got %s", key, n)
	}
	return i, nil
}

func timeIn(v map[string]any, key string) (time.Time, error) {
	s, ok := v[key].(string)
	if !ok {
		return time.Time{}, fmt.Errorf("%s: want an RFC 3339 time, got %s", key, describe(v[key]))
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: want an RFC 3339 time, got %q", key, layout.Safe(s))
	}
	return t.UTC(), nil
}

func describe(v any) string {
	if v == nil {
		return "nothing"
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}
