package evidence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Schema names the JSON form's version: a field is only ever added under
// the same name; a change of meaning gets a new name.
const Schema = "entrasnap.evidence/v1"

// DefaultMaxGap is the gap between consecutive snapshots the report
// flags by default: a daily export, with two hours of slack.
const DefaultMaxGap = 26 * time.Hour

// DefaultMaxRehearsalAge is how old the last rehearsal may be before the
// report flags it: a weekly rehearsal (the CI templates'), with a day of
// slack.
const DefaultMaxRehearsalAge = 8 * 24 * time.Hour

// Options say what Build reports on.
type Options struct {
	// Name is the repository as the user named it (default: its path),
	// for the report and errors.
	Name string
	// Now is the end of the window and the report's time (the caller's
	// clock); zero: time.Now.
	Now time.Time
	// Since is the window's length, back from Now; 0: the whole history.
	Since time.Duration
	// MaxGap flags the gaps between consecutive snapshots longer than
	// it; 0: DefaultMaxGap.
	MaxGap time.Duration
	// MaxRehearsalAge flags a last rehearsal older than it at Now (the
	// weekly job stopped); 0: DefaultMaxRehearsalAge.
	MaxRehearsalAge time.Duration
	// CheckAll checks every tagged snapshot, not only HEAD (check --all).
	CheckAll bool
	// Signers, when set, verifies every commit and snapshot tag (check
	// --verify-signatures), with SignedSince; nil: not verified.
	Signers     *snapshot.AllowedSigners
	SignedSince string
	// OpenPGP, when set, verifies OpenPGP signatures with gpg against its
	// keyring (check --gpg-keyring), with Signers or alone.
	OpenPGP *check.OpenPGP
	// Tool is the entrasnap version that makes the report.
	Tool string
}

// Report is the evidence report: what the repository shows about the
// backups of one tenant over a window. Its JSON form is documented in
// doc.go; every slice is non-nil.
type Report struct {
	Schema      string    `json:"schema"`
	Repo        string    `json:"repo"` // Options.Name
	Tool        string    `json:"tool"`
	GeneratedAt time.Time `json:"generatedAt"`
	TenantID    string    `json:"tenantId"`
	Window      Window    `json:"window"`
	// Summary is one line per piece of evidence, with the controls it
	// supports; the sections below hold the details.
	Summary      []Line       `json:"summary"`
	Snapshots    Series       `json:"snapshots"`
	Completeness Completeness `json:"completeness"`
	Integrity    Integrity    `json:"integrity"`
	Rehearsals   Rehearsals   `json:"rehearsals"`
	// Applies are the restore applies in the window that changed nothing
	// (every write failed or was refused): no snapshot records them, their
	// tags do (history.Applies), newest first.
	Applies  []history.Applied `json:"appliesThatChangedNothing"`
	Access   Access            `json:"access"`
	Controls []Control         `json:"controls"`
}

// Window is the period the report covers; From is zero for the whole
// history.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// before reports whether t is before the window: the one rule of the
// report's sections (snapshots, rehearsals, applies). Nothing is after it:
// a record dated after the report's time (a clock ahead of this one, or a
// report made with an earlier Now) happened all the same, so it counts.
func (w Window) before(t time.Time) bool {
	return !w.From.IsZero() && t.Before(w.From)
}

// Statuses of a summary line.
const (
	StatusOK        = "ok"        // the evidence is there and meets the bar
	StatusAttention = "attention" // there, but short of the bar: the line says how
	StatusMissing   = "missing"   // no evidence of this kind: the line says what to run
)

// Line is one line of the summary.
type Line struct {
	ID       string   `json:"id"` // stable: snapshots, rpo, gaps, partial, kinds, check, signatures, rehearsals, access
	Evidence string   `json:"evidence"`
	Result   string   `json:"result"`
	Status   string   `json:"status"`
	Controls []string `json:"controls"` // Control.ID
}

// Snap is one snapshot of the series.
type Snap struct {
	Tag         string    `json:"tag"`
	Commit      string    `json:"commit"`
	Time        time.Time `json:"time"`
	Complete    bool      `json:"complete"`
	Incomplete  []string  `json:"incompleteKinds"`
	NotLicensed []string  `json:"notLicensedKinds"`
	Objects     int       `json:"objects"`
	Signed      bool      `json:"signed"`
}

// Gap is the time between two consecutive snapshots (From may be the last
// snapshot before the window).
type Gap struct {
	From     string    `json:"from"` // tag
	To       string    `json:"to"`   // tag
	FromTime time.Time `json:"fromTime"`
	ToTime   time.Time `json:"toTime"`
	Seconds  float64   `json:"seconds"`
}

// Series is the snapshot series in the window.
type Series struct {
	Count    int   `json:"count"`
	Complete int   `json:"complete"`
	Partial  int   `json:"partial"` // a kind could not be read (Snap.Incomplete)
	First    *Snap `json:"first"`
	Last     *Snap `json:"last"`
	// Before is the last snapshot before the window: the first gap is
	// counted from it.
	Before *Snap `json:"before"`
	// LargestGap is the recovery point objective achieved: the longest
	// time between consecutive snapshots (nil with fewer than two).
	LargestGap    *Gap    `json:"largestGap"`
	MaxGapSeconds float64 `json:"maxGapSeconds"`
	GapsOver      []Gap   `json:"gapsOverMax"`
	// SinceLastSeconds is the age of the last snapshot at the report's
	// time (an open gap).
	SinceLastSeconds float64 `json:"sinceLastSeconds"`
	List             []Snap  `json:"list"` // oldest first
}

// KindLine is one kind of the latest snapshot's manifest, or of the
// catalog when the manifest does not list it.
type KindLine struct {
	Kind    string `json:"kind"`
	Folder  string `json:"folder"`
	Objects int    `json:"objects"`
	// Status: complete, incomplete (Reason says why; the files are an
	// earlier snapshot's), not-licensed (the tenant lacks Reason's
	// licence), skipped (not read by design: Reason says why; files
	// carried), not-exported (in the catalog, not in this repository).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Completeness is the latest snapshot's manifest, kind by kind.
type Completeness struct {
	Snapshot    string `json:"snapshot"` // tag; "" without snapshots
	Commit      string `json:"commit"`
	Objects     int    `json:"objects"`
	Complete    int    `json:"complete"`
	Incomplete  int    `json:"incomplete"`
	NotLicensed int    `json:"notLicensed"`
	Skipped     int    `json:"skipped"`
	NotExported int    `json:"notExported"`
	// ReadInPart counts the kinds, among Complete, that Graph answered in
	// part only (a role scoped to some attribute sets; the rest kept from
	// an earlier snapshot: layout.StatePartial).
	ReadInPart int        `json:"readInPart,omitempty"`
	Kinds      []KindLine `json:"kinds"`
}

// Integrity is the repository check and the signature verification.
type Integrity struct {
	Check      CheckResult     `json:"check"`
	Signatures SignatureResult `json:"signatures"`
}

// CheckResult is check.Repo's verdict.
type CheckResult struct {
	OK          bool          `json:"ok"`
	All         bool          `json:"all"` // every tagged snapshot checked, not only HEAD
	Snapshots   int           `json:"snapshotsChecked"`
	Files       int           `json:"objectFiles"`
	TagsChecked int           `json:"tagsChecked"`
	Errors      int           `json:"errors"`
	Warnings    int           `json:"warnings"`
	Issues      []check.Issue `json:"errorsShown"` // the first maxShown errors
}

// SignatureResult is check.Signatures' verdict, or Verified false.
type SignatureResult struct {
	Verified       bool        `json:"verified"`
	AllowedSigners string      `json:"allowedSigners"`
	Commits        int         `json:"commits"`
	Tags           int         `json:"tags"`
	Good           int         `json:"good"`
	Failed         int         `json:"failed"`
	Before         int         `json:"beforeSignedSince"`
	Failures       []SigFailed `json:"failuresShown"` // the first maxShown
}

// SigFailed is one commit or tag whose signature is not trusted.
type SigFailed struct {
	Object string   `json:"object"`
	Type   string   `json:"type"`
	Names  []string `json:"names"`
	Status string   `json:"status"`
	Detail string   `json:"detail"`
}

// maxShown bounds the issues and failures a report lists (check lists
// them all).
const maxShown = 20

// ErrNoCommit: the repository has nothing to report on. The error Build
// returns for it also is check.ErrNoCommit (errors.Is), whose message it
// does not repeat.
var ErrNoCommit error = noCommit{}

type noCommit struct{}

func (noCommit) Error() string        { return "no commit yet: nothing to report on" }
func (noCommit) Is(target error) bool { return target == check.ErrNoCommit }

// Build reads the repository and makes the report. The error is for a
// repository that cannot be read; what is missing or wrong is in the
// report.
func Build(ctx context.Context, r *snapshot.Repo, o Options) (*Report, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.MaxGap <= 0 {
		o.MaxGap = DefaultMaxGap
	}
	o.Name = cmp.Or(o.Name, r.Path())
	rep := &Report{Schema: Schema, Repo: o.Name, Tool: o.Tool, GeneratedAt: o.Now.UTC(), Window: Window{To: o.Now.UTC()}, Controls: Controls}
	if o.Since > 0 {
		rep.Window.From = o.Now.Add(-o.Since).UTC()
	}
	tagged, err := history.Snapshots(ctx, r, 0)
	if err != nil {
		return nil, err
	}
	rep.Snapshots = series(tagged, rep.Window, o.MaxGap)

	ck, err := check.Repo(ctx, r, check.Options{Name: o.Name, All: o.CheckAll, Signers: o.Signers, SignedSince: o.SignedSince, OpenPGP: o.OpenPGP})
	if errors.Is(err, check.ErrNoCommit) {
		return nil, fmt.Errorf("%s has %w; run `entrasnap export --repo %s` first", o.Name, ErrNoCommit, o.Name)
	} else if err != nil {
		return nil, fmt.Errorf("checking the repository: %w", err)
	}
	rep.Integrity = integrity(ck, o.CheckAll)

	var man *layout.Manifest
	if len(tagged) > 0 {
		latest := tagged[0]
		rep.Completeness.Snapshot, rep.Completeness.Commit = latest.Tag, latest.Commit
		if data, err := r.ReadFile(ctx, latest.Commit, layout.ManifestPath); err == nil {
			man, _ = layout.DecodeManifest(data) // check reports a broken manifest
		}
	}
	rep.Completeness = completeness(rep.Completeness, man)
	if man != nil {
		rep.TenantID = man.TenantID
	}
	rep.Access = access(man, rep.Completeness.Snapshot)
	applies, err := history.Applies(ctx, r)
	if err != nil {
		return nil, err
	}
	rep.Applies = []history.Applied{}
	for _, a := range applies {
		if !rep.Window.before(a.Time) {
			rep.Applies = append(rep.Applies, a)
		}
	}

	rep.Rehearsals, err = readRehearsals(ctx, r, rep.Window)
	if err != nil {
		return nil, err
	}
	if o.MaxRehearsalAge <= 0 {
		o.MaxRehearsalAge = DefaultMaxRehearsalAge
	}
	rep.Rehearsals.MaxAgeSeconds = o.MaxRehearsalAge.Seconds()
	rep.Summary = summary(rep, o.MaxGap)
	return rep, nil
}

func snapOf(t history.Tagged) Snap {
	s := Snap{Tag: t.Tag, Commit: t.Commit, Time: t.Time.UTC(), Complete: t.Complete, Incomplete: t.Incomplete,
		NotLicensed: t.NotLicensed, Objects: t.Objects, Signed: t.Signed}
	if s.Incomplete == nil {
		s.Incomplete = []string{}
	}
	if s.NotLicensed == nil {
		s.NotLicensed = []string{}
	}
	return s
}

// series computes the snapshot series of the window from the tagged
// snapshots (newest first, as history.Snapshots lists them).
func series(tagged []history.Tagged, w Window, maxGap time.Duration) Series {
	s := Series{MaxGapSeconds: maxGap.Seconds(), GapsOver: []Gap{}, List: []Snap{}}
	all := make([]Snap, len(tagged))
	for i, t := range tagged {
		all[i] = snapOf(t)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].Time.Equal(all[j].Time) {
			return all[i].Time.Before(all[j].Time)
		}
		return all[i].Tag < all[j].Tag
	})
	for i := range all {
		sn := all[i]
		if w.before(sn.Time) {
			s.Before = &all[i]
			continue
		}
		s.List = append(s.List, sn)
	}
	s.Count = len(s.List)
	prev := s.Before
	for i := range s.List {
		sn := &s.List[i]
		if sn.Complete {
			s.Complete++
		} else {
			s.Partial++
		}
		if prev != nil {
			g := Gap{From: prev.Tag, To: sn.Tag, FromTime: prev.Time, ToTime: sn.Time, Seconds: sn.Time.Sub(prev.Time).Seconds()}
			if s.LargestGap == nil || g.Seconds > s.LargestGap.Seconds {
				gg := g
				s.LargestGap = &gg
			}
			if g.Seconds > maxGap.Seconds() {
				s.GapsOver = append(s.GapsOver, g)
			}
		}
		prev = sn
	}
	if s.Count > 0 {
		first, last := s.List[0], s.List[s.Count-1]
		s.First, s.Last = &first, &last
		s.SinceLastSeconds = max(0, w.To.Sub(last.Time).Seconds())
	} else if s.Before != nil {
		s.SinceLastSeconds = max(0, w.To.Sub(s.Before.Time).Seconds())
	}
	return s
}

func completeness(c Completeness, m *layout.Manifest) Completeness {
	c.Kinds = []KindLine{}
	if m == nil {
		return c
	}
	for _, name := range m.Names() {
		k := m.Kinds[name]
		kl := KindLine{Kind: name, Folder: k.Folder, Objects: k.Objects}
		st, reason := k.State()
		kl.Status, kl.Reason = string(st), reason
		switch st {
		case layout.StateNotLicensed:
			c.NotLicensed++
		case layout.StateSkipped:
			c.Skipped++
		case layout.StateIncomplete:
			c.Incomplete++
		case layout.StateComplete:
			c.Complete++
		case layout.StatePartial:
			c.Complete++
			c.ReadInPart++
		}
		c.Objects += k.Objects
		c.Kinds = append(c.Kinds, kl)
	}
	for _, k := range layout.Kinds() {
		if _, ok := m.Kinds[k.Name]; !ok {
			c.Kinds = append(c.Kinds, KindLine{Kind: k.Name, Folder: k.Root(), Status: "not-exported",
				Reason: "not in this repository (an export with --kinds, or an older entrasnap)"})
			c.NotExported++
		}
	}
	return c
}

func integrity(ck *check.Report, all bool) Integrity {
	in := Integrity{}
	in.Check = CheckResult{OK: ck.Errors == 0, All: all, Snapshots: len(ck.Snapshots), TagsChecked: ck.TagsChecked,
		Errors: ck.Errors, Warnings: ck.Warnings, Issues: []check.Issue{}}
	add := func(i check.Issue) {
		if i.Severity == check.SevError && len(in.Check.Issues) < maxShown {
			in.Check.Issues = append(in.Check.Issues, i)
		}
	}
	for _, cs := range ck.Snapshots {
		in.Check.Files += cs.Files
		for _, i := range cs.Issues {
			add(i)
		}
	}
	for _, i := range ck.Tags {
		add(i)
	}
	in.Signatures.Failures = []SigFailed{}
	if s := ck.Signatures; s != nil {
		in.Signatures = SignatureResult{Verified: true, AllowedSigners: s.AllowedSigners, Commits: s.Commits, Tags: s.Tags,
			Good: s.Good, Failed: s.Failed, Before: s.Before, Failures: []SigFailed{}}
		for _, res := range s.Results {
			if res.Status == snapshot.SigGood || res.Status == snapshot.SigMerge || len(in.Signatures.Failures) >= maxShown {
				continue
			}
			names := res.Names
			if names == nil {
				names = []string{}
			}
			in.Signatures.Failures = append(in.Signatures.Failures, SigFailed{Object: res.Object, Type: res.Type, Names: names,
				Status: string(res.Status), Detail: res.Detail})
		}
	}
	return in
}
