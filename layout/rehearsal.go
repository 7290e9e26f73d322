package layout

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/internal/textcut"
)

// Rehearsals: `entrasnap rehearse` restores the classic incidents on a
// snapshot loaded into graphsim and keeps the outcome in the repository,
// .entrasnap/rehearsals/<UTC YYYYMMDDTHHMMSSZ>.yaml, one commit each (not a
// snapshot: no tag). The rehearse command writes them, the evidence report
// reads them; this is the one format both use. Exports carry the folder
// forward (it belongs to no kind).

// RehearsalsDir is the folder of the rehearsal records.
const RehearsalsDir = ".entrasnap/rehearsals"

// RehearsalFormat is the version of the rehearsal records this entrasnap
// writes (the file's "version" key).
const RehearsalFormat = 1

// MaxRehearsalFile is the largest rehearsal record read (bytes): a record
// is a few kilobytes; a larger file is reported, not decoded.
const MaxRehearsalFile = 1 << 20

// MaxRehearsalDetail bounds a scenario's detail, in characters.
const MaxRehearsalDetail = 300

// The results of a rehearsal scenario.
const (
	RehearsalPass    = "pass"
	RehearsalFail    = "fail"
	RehearsalSkipped = "skipped"
)

// RehearsalScenarios are the scenario names a rehearsal runs, in order.
var RehearsalScenarios = []string{
	"ca-policy-deleted", "group-membership-wiped", "app-redirect-uris-changed",
	"sp-permissions-changed", "named-location-deleted", "user-attributes-corrupted",
}

// Rehearsal is one rehearsal record.
type Rehearsal struct {
	Version    int
	StartedAt  time.Time
	FinishedAt time.Time
	Snapshot   string // the tag rehearsed, or ""
	Commit     string // the full commit id rehearsed
	Tool       string // the entrasnap version string
	Throttle   string // "realistic" or "off"
	Scenarios  []RehearsalScenario
	Passed     int
	Failed     int
	Skipped    int
	// Notes are what the load into graphsim left out (internal/rehearse,
	// Load's notes: files of an owner the snapshot does not hold), each one
	// printable line (RehearsalDetail): the scenarios ran on a tenant
	// without them. Written only when there are some.
	Notes []string
	// Path is the file the record was read from (Rehearsals); not written.
	Path string
}

// RehearsalScenario is one incident rehearsed.
type RehearsalScenario struct {
	Name           string
	Result         string  // RehearsalPass, RehearsalFail or RehearsalSkipped
	Objects        int     // objects damaged and restored
	RestoreSeconds float64 // plan + apply + verify, on the run's clock
	Detail         string  // one printable line, at most MaxRehearsalDetail characters
}

// RehearsalPath is the record of the rehearsal started at t.
func RehearsalPath(t time.Time) string {
	return RehearsalsDir + "/" + t.UTC().Format("20060102T150405Z") + ".yaml"
}

// IsRehearsalPath reports whether p is a file of the rehearsals folder.
func IsRehearsalPath(p string) bool {
	return path.Dir(p) == RehearsalsDir && strings.HasSuffix(p, ".yaml")
}

// RehearsalDetail makes s a scenario's detail: one printable line (Safe),
// at most MaxRehearsalDetail characters (cut, marked with "…").
func RehearsalDetail(s string) string {
	return textcut.Cut(Safe(s), MaxRehearsalDetail)
}

// Count sets Passed, Failed and Skipped from the scenarios.
func (r *Rehearsal) Count() {
	r.Passed, r.Failed, r.Skipped = 0, 0, 0
	for _, s := range r.Scenarios {
		switch s.Result {
		case RehearsalPass:
			r.Passed++
		case RehearsalSkipped:
			r.Skipped++
		default:
			r.Failed++
		}
	}
}

// Encode writes the record as canonical YAML (details made printable and
// bounded, RehearsalDetail).
func (r *Rehearsal) Encode() []byte {
	num := func(i int) json.Number { return json.Number(strconv.Itoa(i)) }
	scen := make([]any, 0, len(r.Scenarios))
	for _, s := range r.Scenarios {
		scen = append(scen, map[string]any{
			"name": s.Name, "result": s.Result, "objects": num(s.Objects),
			"restoreSeconds": json.Number(strconv.FormatFloat(s.RestoreSeconds, 'f', 3, 64)),
			"detail":         RehearsalDetail(s.Detail),
		})
	}
	v := r.Version
	if v == 0 {
		v = RehearsalFormat
	}
	rec := map[string]any{
		"version":    num(v),
		"startedAt":  r.StartedAt.UTC().Format(time.RFC3339),
		"finishedAt": r.FinishedAt.UTC().Format(time.RFC3339),
		"snapshot":   r.Snapshot,
		"commit":     r.Commit,
		"tool":       r.Tool,
		"throttle":   r.Throttle,
		"scenarios":  scen,
		"passed":     num(r.Passed),
		"failed":     num(r.Failed),
		"skipped":    num(r.Skipped),
	}
	if len(r.Notes) > 0 {
		notes := make([]any, len(r.Notes))
		for i, n := range r.Notes {
			notes[i] = RehearsalDetail(n)
		}
		rec["notes"] = notes
	}
	return Encode(rec)
}

// DecodeRehearsal reads a rehearsal record. Keys it does not know are
// ignored (a later version may add some); finishedAt and the totals may be
// absent (a stopped run; Count gives them from the scenarios); a newer
// version, a missing start time, a malformed time or a malformed or
// negative number is an error naming the key.
func DecodeRehearsal(data []byte) (*Rehearsal, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	r := &Rehearsal{}
	if r.Version, err = intOf(v["version"]); err != nil {
		return nil, fmt.Errorf("version: %w", err)
	}
	if r.Version < 1 {
		return nil, fmt.Errorf("version %d: want 1", r.Version)
	}
	if r.Version > RehearsalFormat {
		return nil, fmt.Errorf("version %d is newer than this entrasnap understands (%d): upgrade entrasnap", r.Version, RehearsalFormat)
	}
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"startedAt", &r.StartedAt}, {"finishedAt", &r.FinishedAt}} {
		if _, ok := v[f.key]; !ok && f.key == "finishedAt" {
			continue // a run that was stopped may not say when it ended
		}
		s, _ := v[f.key].(string)
		if *f.t, err = time.Parse(time.RFC3339, s); err != nil {
			return nil, fmt.Errorf("%s: want an RFC 3339 time, got %q", f.key, Safe(s))
		}
	}
	r.Snapshot, _ = v["snapshot"].(string)
	r.Commit, _ = v["commit"].(string)
	r.Tool, _ = v["tool"].(string)
	r.Throttle, _ = v["throttle"].(string)
	for _, f := range []struct {
		key string
		n   *int
	}{{"passed", &r.Passed}, {"failed", &r.Failed}, {"skipped", &r.Skipped}} {
		if _, ok := v[f.key]; !ok {
			continue // counted from the scenarios by the reader that needs them (Count)
		}
		if *f.n, err = intOf(v[f.key]); err != nil || *f.n < 0 {
			return nil, fmt.Errorf("%s: want a whole number of scenarios, got %v", f.key, Safe(fmt.Sprint(v[f.key])))
		}
	}
	if notes, ok := v["notes"].([]any); ok || v["notes"] != nil {
		if !ok {
			return nil, fmt.Errorf("notes: want a list")
		}
		for i, n := range notes {
			s, ok := n.(string)
			if !ok {
				return nil, fmt.Errorf("notes[%d]: want a string", i)
			}
			r.Notes = append(r.Notes, s)
		}
	}
	raw, ok := v["scenarios"].([]any)
	if !ok && v["scenarios"] != nil {
		return nil, fmt.Errorf("scenarios: want a list")
	}
	for i, x := range raw {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("scenarios[%d]: not a mapping", i)
		}
		s := RehearsalScenario{}
		s.Name, _ = m["name"].(string)
		s.Result, _ = m["result"].(string)
		s.Detail, _ = m["detail"].(string)
		if s.Objects, err = intOf(m["objects"]); err != nil || s.Objects < 0 {
			return nil, fmt.Errorf("scenarios[%d].objects: want a whole number, got %v", i, Safe(fmt.Sprint(m["objects"])))
		}
		n, ok := m["restoreSeconds"].(json.Number)
		if !ok {
			return nil, fmt.Errorf("scenarios[%d].restoreSeconds: want a number, got %v", i, m["restoreSeconds"])
		}
		if s.RestoreSeconds, err = n.Float64(); err != nil || s.RestoreSeconds < 0 {
			return nil, fmt.Errorf("scenarios[%d].restoreSeconds: want a number, got %s", i, n)
		}
		r.Scenarios = append(r.Scenarios, s)
	}
	return r, nil
}

// Rehearsals decodes the rehearsal records among files (repository path →
// content, e.g. snapshot.Repo.ReadAll of RehearsalsDir), oldest first (by
// StartedAt, then path). A file that does not decode is skipped and
// reported in errs, each error naming its file.
func Rehearsals(files map[string][]byte) (recs []Rehearsal, errs []error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		if IsRehearsalPath(p) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		if len(files[p]) > MaxRehearsalFile {
			errs = append(errs, fmt.Errorf("%s: %d bytes, more than a rehearsal record holds (%d): not read", p, len(files[p]), MaxRehearsalFile))
			continue
		}
		r, err := DecodeRehearsal(files[p])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		r.Path = p
		recs = append(recs, *r)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].StartedAt.Before(recs[j].StartedAt) })
	return recs, errs
}
