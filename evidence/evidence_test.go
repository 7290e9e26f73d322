package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

var t0 = time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC)

// snap is one synthetic snapshot: its time, tag and manifest kinds.
type snap struct {
	at    time.Time
	tag   string
	kinds map[string]layout.ManifestKind
	files map[string]string // more files (rehearsal records)
	acc   *layout.ManifestAccess
	sign  snapshot.Signer // nil: unsigned
}

func complete() map[string]layout.ManifestKind {
	return map[string]layout.ManifestKind{"groups": {Folder: "groups", Complete: true}}
}

func partial() map[string]layout.ManifestKind {
	return map[string]layout.ManifestKind{"groups": {Folder: "groups", Reason: "list: throttled (429) after 5 tries"}}
}

// newRepo writes the snapshots in order, each a commit with its committer
// time and an annotated snapshot tag (tagged at the same time).
func newRepo(t *testing.T, snaps ...snap) *snapshot.Repo {
	t.Helper()
	r, err := snapshot.Init(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	files := map[string][]byte{}
	for i, s := range snaps {
		m := &layout.Manifest{Format: layout.FormatVersion, TenantID: "00000000-0000-0000-0000-00000000000a", Kinds: s.kinds, Access: s.acc}
		if m.Kinds == nil {
			m.Kinds = complete()
		}
		files[layout.ManifestPath] = m.Encode()
		for p, c := range s.files {
			if c == "" {
				delete(files, p)
			} else {
				files[p] = []byte(c)
			}
		}
		tag := s.tag
		if tag == "" {
			tag = "snapshot/" + s.at.UTC().Format("20060102T150405Z")
		}
		sig := snapshot.Signature{Name: "Backup", Email: "backup@example.com", When: s.at}
		// (a copy: WriteSnapshot may keep the map)
		cp := map[string][]byte{}
		for p, c := range files {
			cp[p] = c
		}
		if _, err := r.WriteSnapshot(context.Background(), snapshot.Snapshot{Files: cp, Message: fmt.Sprintf("snapshot %d", i),
			Author: sig, Committer: sig, Tag: tag, TagWhenUnchanged: true, Signer: s.sign}); err != nil {
			t.Fatalf("snapshot %d: %v", i, err)
		}
	}
	return r
}

func build(t *testing.T, r *snapshot.Repo, o Options) *Report {
	t.Helper()
	rep, err := Build(context.Background(), r, o)
	if err != nil {
		t.Fatal(err)
	}
	rep.Repo = "./tenant-backup"
	return rep
}

func line(t *testing.T, rep *Report, id string) Line {
	t.Helper()
	for _, l := range rep.Summary {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("no summary line %q", id)
	return Line{}
}

// The series: the largest gap between consecutive snapshots (counted from
// the last snapshot before the window), the gaps over --max-gap, and the
// age of the last snapshot.
func TestGaps(t *testing.T) {
	h := time.Hour
	r := newRepo(t,
		snap{at: t0},                                   // before the window
		snap{at: t0.Add(30 * h)},                       // 30h after the one before: over 26h
		snap{at: t0.Add(54 * h)},                       // 24h
		snap{at: t0.Add(80 * h)},                       // 26h: not over
		snap{at: t0.Add(80*h + 26*h + 1)},              // 26h and 1ns, which git keeps as 26h: not over
		snap{at: t0.Add(80*h + 26*h + 61*time.Minute)}, // 1h 1m
	)
	now := t0.Add(200 * h)
	rep := build(t, r, Options{Now: now, Since: now.Sub(t0.Add(h))})
	s := rep.Snapshots
	if s.Count != 5 || s.Before == nil || !s.Before.Time.Equal(t0) {
		t.Fatalf("count %d, before %+v; want 5 in the window and the first before it", s.Count, s.Before)
	}
	if s.LargestGap == nil || s.LargestGap.Seconds != (30*h).Seconds() || s.LargestGap.From != s.Before.Tag {
		t.Errorf("largest gap %+v, want 30h from the snapshot before the window", s.LargestGap)
	}
	var over []string
	for _, g := range s.GapsOver {
		over = append(over, Human(g.Seconds))
	}
	if fmt.Sprint(over) != "[1d 6h]" {
		t.Errorf("gaps over 26h: %v, want [1d 6h] (exactly 26h is not over)", over)
	}
	wantAge := now.Sub(t0.Add(80*h + 26*h + 61*time.Minute)).Seconds()
	if s.SinceLastSeconds != wantAge {
		t.Errorf("age of the last snapshot %v, want %v", s.SinceLastSeconds, wantAge)
	}
	if l := line(t, rep, "rpo"); l.Status != StatusAttention || !strings.HasPrefix(l.Result, "1d 6h") {
		t.Errorf("rpo line %+v", l)
	}
	if l := line(t, rep, "gaps"); l.Status != StatusAttention || !strings.Contains(l.Result, "the last snapshot is") {
		t.Errorf("gaps line %+v: the last snapshot is days old", l)
	}

	// --max-gap 31h: nothing over; the whole history: no snapshot before.
	rep = build(t, r, Options{Now: t0.Add(108 * h), MaxGap: 31 * h})
	if rep.Snapshots.Count != 6 || rep.Snapshots.Before != nil || len(rep.Snapshots.GapsOver) != 0 {
		t.Errorf("whole history, max gap 31h: %+v", rep.Snapshots)
	}
	if l := line(t, rep, "gaps"); l.Status != StatusOK {
		t.Errorf("gaps line %+v, want ok", l)
	}
}

// Snapshots whose manifest marks a kind incomplete are counted partial; a
// kind the tenant is not licensed for does not make a snapshot partial.
func TestPartialSnapshotsCounted(t *testing.T) {
	h := time.Hour
	notLicensed := complete()
	notLicensed["role-eligibility-schedules"] = layout.ManifestKind{Folder: "roles/eligibility", NotLicensed: "Microsoft Entra ID P2"}
	r := newRepo(t, snap{at: t0}, snap{at: t0.Add(24 * h), kinds: partial()}, snap{at: t0.Add(48 * h), kinds: notLicensed},
		snap{at: t0.Add(72 * h), kinds: partial()})
	rep := build(t, r, Options{Now: t0.Add(73 * h)})
	s := rep.Snapshots
	if s.Complete != 2 || s.Partial != 2 {
		t.Errorf("complete %d, partial %d; want 2 and 2", s.Complete, s.Partial)
	}
	if l := line(t, rep, "partial"); l.Status != StatusAttention || !strings.HasPrefix(l.Result, "2 of 4 complete, 2 partial") {
		t.Errorf("partial line %+v", l)
	}
	c := rep.Completeness
	if c.Incomplete != 1 || c.Complete != 0 || c.Kinds[0].Kind != "groups" || c.Kinds[0].Status != "incomplete" || !strings.Contains(c.Kinds[0].Reason, "throttled") {
		t.Errorf("completeness of the latest snapshot: %+v", c)
	}
	if c.NotExported != len(layout.Kinds())-1 {
		t.Errorf("not exported %d, want every catalog kind but groups", c.NotExported)
	}
}

// A kind an app-only export skips by design (a delegated-only kind, its
// files carried) leaves the snapshot complete and says why, as a kind the
// tenant is not licensed for does.
func TestSkippedKindIsNotPartial(t *testing.T) {
	skipped := complete()
	skipped["feature-rollout-policies"] = layout.ManifestKind{Folder: "policies/feature-rollout", Skipped: "delegated callers only"}
	r := newRepo(t, snap{at: t0}, snap{at: t0.Add(time.Hour), kinds: skipped})
	rep := build(t, r, Options{Now: t0.Add(2 * time.Hour)})
	if s := rep.Snapshots; s.Complete != 2 || s.Partial != 0 {
		t.Errorf("complete %d, partial %d; want 2 and 0", s.Complete, s.Partial)
	}
	c := rep.Completeness
	if c.Skipped != 1 || c.Incomplete != 0 {
		t.Errorf("completeness %+v: want 1 skipped, 0 incomplete", c)
	}
	var kl KindLine
	for _, k := range c.Kinds {
		if k.Kind == "feature-rollout-policies" {
			kl = k
		}
	}
	if kl.Status != "skipped" || kl.Reason != "delegated callers only" {
		t.Errorf("kind line %+v", kl)
	}
	if l := line(t, rep, "kinds"); l.Status != StatusOK || !strings.Contains(l.Result, "1 read only when signed in as a user") {
		t.Errorf("kinds line %+v", l)
	}
}

const goodRecord = `version: 1
startedAt: "2026-09-02T03:00:00Z"
finishedAt: "2026-09-02T03:04:10Z"
snapshot: snapshot/20260902T020000Z
commit: 0123456789abcdef0123456789abcdef01234567
tool: v1.4.0
throttle: realistic
futureKey: ignored
scenarios:
  - name: ca-policy-deleted
    result: pass
    objects: 1
    restoreSeconds: 12.5
    detail: restored and verified
  - name: group-membership-wiped
    result: fail
    objects: 40
    restoreSeconds: 95.25
    detail: 2 members still missing
  - name: named-location-deleted
    result: skipped
    objects: 0
    restoreSeconds: 0
    detail: no named location in the snapshot
passed: 1
failed: 1
skipped: 1
`

func TestNoRehearsals(t *testing.T) {
	rep := build(t, newRepo(t, snap{at: t0}), Options{Now: t0.Add(time.Hour)})
	if len(rep.Rehearsals.Records) != 0 || !strings.Contains(rep.Rehearsals.Hint, "entrasnap rehearse --repo") {
		t.Errorf("rehearsals %+v", rep.Rehearsals)
	}
	if l := line(t, rep, "rehearsals"); l.Status != StatusMissing || !strings.Contains(l.Result, "entrasnap rehearse") {
		t.Errorf("rehearsals line %+v", l)
	}
	var b bytes.Buffer
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No rehearsal recorded in the window. To make one: run `entrasnap rehearse --repo R`") {
		t.Errorf("markdown does not say what to run:\n%s", b.String())
	}
}

// A broken record is named and the others are read; unknown keys are
// ignored; a record outside the window is counted, not listed.
func TestRehearsalRecords(t *testing.T) {
	dir := layout.RehearsalsDir + "/"
	old := strings.Replace(goodRecord, "2026-09-02T03:00:00Z", "2026-01-02T03:00:00Z", 1)
	r := newRepo(t, snap{at: t0, files: map[string]string{
		dir + "20260902T030000Z.yaml": goodRecord,
		dir + "20260102T030000Z.yaml": old,
		dir + "broken.yaml":           "version: 1\nstartedAt: [\n",
		dir + "newer.yaml":            strings.Replace(goodRecord, "version: 1", "version: 2", 1),
		dir + "README.md":             "not a record",
	}})
	rep := build(t, r, Options{Now: t0.Add(48 * time.Hour), Since: 30 * 24 * time.Hour})
	rh := rep.Rehearsals
	if len(rh.Records) != 1 || rh.Older != 1 {
		t.Fatalf("records %+v, older %d; want one in the window and one older", rh.Records, rh.Older)
	}
	got := rh.Records[0]
	if got.Passed != 1 || got.Failed != 1 || got.Skipped != 1 || got.RestoreSeconds != 95.25 || len(got.Scenarios) != 3 ||
		got.Scenarios[1].Objects != 40 || got.Throttle != "realistic" || got.File != dir+"20260902T030000Z.yaml" {
		t.Errorf("record %+v", got)
	}
	var broken []string
	for _, b := range rh.Broken {
		broken = append(broken, b.File)
	}
	if fmt.Sprint(broken) != "["+dir+"broken.yaml "+dir+"newer.yaml]" {
		t.Errorf("broken %v, want broken.yaml and newer.yaml named", rh.Broken)
	}
	if !strings.Contains(rh.Broken[1].Error, "version 2") {
		t.Errorf("newer record: %s", rh.Broken[1].Error)
	}
	if l := line(t, rep, "rehearsals"); l.Status != StatusAttention || !strings.Contains(l.Result, "1 failed") || !strings.Contains(l.Result, "1m 35s") && !strings.Contains(l.Result, "2m") {
		t.Errorf("rehearsals line %+v", l)
	}
}

// A last rehearsal older than MaxRehearsalAge (default 8 days: weekly,
// with a day of slack) needs attention even when it passed: the weekly job
// stopped.
func TestStaleRehearsalIsFlagged(t *testing.T) {
	dir := layout.RehearsalsDir + "/"
	passed := strings.NewReplacer("result: fail", "result: pass", "result: skipped", "result: pass", "passed: 1", "passed: 3", "failed: 1", "failed: 0", "skipped: 1", "skipped: 0").Replace(goodRecord)
	r := newRepo(t, snap{at: t0, files: map[string]string{dir + "20260902T030000Z.yaml": passed}})
	started := time.Date(2026, 9, 2, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now    time.Time
		maxAge time.Duration
		status string
		stale  bool
	}{
		{started.Add(7 * 24 * time.Hour), 0, StatusOK, false},
		{started.Add(9 * 24 * time.Hour), 0, StatusAttention, true},
		{started.Add(9 * 24 * time.Hour), 14 * 24 * time.Hour, StatusOK, false},
	} {
		rep := build(t, r, Options{Now: c.now, Since: 90 * 24 * time.Hour, MaxRehearsalAge: c.maxAge})
		l := line(t, rep, "rehearsals")
		if l.Status != c.status || strings.Contains(l.Result, "is the weekly rehearsal job still running?") != c.stale {
			t.Errorf("at %s, max age %s: line %+v", c.now, c.maxAge, l)
		}
		if c.stale && !strings.Contains(l.Result, "the last is 9d old, more than 8d") {
			t.Errorf("the stale line does not say how old: %q", l.Result)
		}
	}
}

func TestParseRehearsalCountsFromScenarios(t *testing.T) {
	rec := strings.Split(goodRecord, "passed:")[0] // no totals
	rh, err := ParseRehearsal([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	if rh.Passed != 1 || rh.Failed != 1 || rh.Skipped != 1 {
		t.Errorf("counts from scenarios: %+v", rh)
	}
	// Totals that hide a failed scenario do not win; without scenarios the
	// totals are the counts.
	if rh, err := ParseRehearsal([]byte("version: 1\nstartedAt: \"2026-09-02T03:00:00Z\"\npassed: 4\nfailed: 2\n")); err != nil || rh.Passed != 4 || rh.Failed != 2 {
		t.Errorf("totals only: %+v, %v", rh, err)
	}
	rh, err = ParseRehearsal([]byte(strings.Replace(goodRecord, "failed: 1", "failed: 0", 1)))
	if err != nil || rh.Failed != 1 {
		t.Errorf("failed %d, %v: a failed scenario counts", rh.Failed, err)
	}
	// A result this entrasnap does not know is not a pass.
	rh, err = ParseRehearsal([]byte(strings.Replace(goodRecord, "result: pass", "result: maybe", 1)))
	if err != nil || rh.Failed != 2 || rh.Passed != 0 || rh.Scenarios[0].Result != "maybe" {
		t.Errorf("an unknown result: %+v, %v", rh, err)
	}
	for _, bad := range []string{"startedAt: x\nversion: 1\n", "version: 1\n", "version: 1\nstartedAt: \"2026-09-02T03:00:00Z\"\nscenarios: [1]\n",
		strings.Replace(goodRecord, "restoreSeconds: 12.5", "restoreSeconds: -3", 1)} {
		if _, err := ParseRehearsal([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestReadOnlyPermission(t *testing.T) {
	for p, want := range map[string]bool{
		"Directory.Read.All": true, "User-LifeCycleInfo.Read.All": true, "Member.Read.Hidden": true, "AuditLog.Read.All": true,
		"Directory.ReadWrite.All": false, "Policy.ReadWrite.ConditionalAccess": false, "User.Invite.All": false,
		"Directory.AccessAsUser.All": false, "RoleManagement.ReadWrite.Directory": false, "User.ReadBasic.All": true,
		"DeviceManagementConfiguration.Read.All": true, "Sites.Manage.All": false,
	} {
		if got := readOnlyPermission(p); got != want {
			t.Errorf("readOnlyPermission(%s) = %v, want %v", p, got, want)
		}
	}
	if auditPermission != live.AuditPermission {
		t.Errorf("auditPermission %s, live reads the audit log with %s", auditPermission, live.AuditPermission)
	}
}

// The manifest's access against the least read set of its kinds.
func TestAccess(t *testing.T) {
	kinds := complete()
	need := layout.ExportPermissions([]*layout.Kind{mustKind("groups")})
	for _, c := range []struct {
		name   string
		acc    *layout.ManifestAccess
		status string
		ro, lp bool
		inLine string
	}{
		{"not recorded", nil, StatusMissing, false, false, "not recorded"},
		{"exact", &layout.ManifestAccess{Type: "application", Permissions: append(append([]string{}, need...), "AuditLog.Read.All")}, StatusOK, true, true, "read-only and least privilege"},
		{"a write", &layout.ManifestAccess{Type: "application", Permissions: append(append([]string{}, need...), "Group.ReadWrite.All")}, StatusAttention, false, false, "not read-only: Group.ReadWrite.All"},
		{"extra read", &layout.ManifestAccess{Type: "application", Permissions: append(append([]string{}, need...), "Mail.Read")}, StatusAttention, true, false, "1 beyond the least set: Mail.Read"},
		{"global admin role", &layout.ManifestAccess{Type: "delegated", Permissions: need, DirectoryRoles: []string{"62e90394-69f5-4237-9190-012177145e10"}}, StatusAttention, false, false, "directory role 62e90394"},
		{"one missing", &layout.ManifestAccess{Type: "application", Permissions: need[1:]}, StatusAttention, true, true, "1 needed not held: " + need[0]},
		{"global reader role", &layout.ManifestAccess{Type: "delegated", Permissions: need, DirectoryRoles: []string{"f2ef992c-3afb-46b9-b7cf-a126ee74c451"}}, StatusOK, true, true, "delegated token"},
	} {
		rep := build(t, newRepo(t, snap{at: t0, kinds: kinds, acc: c.acc}), Options{Now: t0.Add(time.Hour)})
		l := line(t, rep, "access")
		if l.Status != c.status || rep.Access.ReadOnly != c.ro || rep.Access.LeastPrivilege != c.lp || !strings.Contains(l.Result, c.inLine) {
			t.Errorf("%s: line %+v, access %+v", c.name, l, rep.Access)
		}
	}
}

// Where the manifest's permissions were read shows in every form: the
// token's claims (also a manifest written before the source was kept), or
// Graph (the export token was not a JWT).
func TestAccessSource(t *testing.T) {
	need := layout.ExportPermissions([]*layout.Kind{mustKind("groups")})
	for _, c := range []struct {
		source, want, words string
	}{
		{"", "token", "read from the export token's claims"},
		{layout.AccessFromToken, "token", "read from the export token's claims"},
		{layout.AccessFromGraph, "graph", "read from Graph: the app's grants, as the export token is not a JWT"},
	} {
		acc := &layout.ManifestAccess{Type: "application", Permissions: need, Source: c.source}
		rep := build(t, newRepo(t, snap{at: t0, kinds: complete(), acc: acc}), Options{Now: t0.Add(time.Hour)})
		if rep.Access.Source != c.want || !strings.Contains(line(t, rep, "access").Result, c.words) {
			t.Errorf("source %q: access %+v, line %+v", c.source, rep.Access, line(t, rep, "access"))
		}
		var md, html, js bytes.Buffer
		if err := rep.Markdown(&md); err != nil {
			t.Fatal(err)
		}
		if err := rep.HTML(&html); err != nil {
			t.Fatal(err)
		}
		if err := rep.JSON(&js); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(md.String(), "("+c.words+")") || !strings.Contains(html.String(), `<span id="access-source">`+strings.ReplaceAll(c.words, "'", "&#39;")+`</span>`) ||
			!strings.Contains(js.String(), `"source": "`+c.want+`"`) {
			t.Errorf("source %q not shown in every form:\n%s", c.source, md.String())
		}
	}
}

// Every line names the controls it supports, and every control is one the
// report lists.
func TestEveryLineSupportsControls(t *testing.T) {
	rep := build(t, newRepo(t, snap{at: t0}), Options{Now: t0.Add(time.Hour)})
	ids := map[string]bool{}
	for _, c := range rep.Controls {
		ids[c.ID] = true
	}
	want := []string{"snapshots", "rpo", "gaps", "partial", "kinds", "check", "signatures", "rehearsals", "access"}
	var got []string
	for _, l := range rep.Summary {
		got = append(got, l.ID)
		if len(l.Controls) == 0 {
			t.Errorf("line %s supports no control", l.ID)
		}
		for _, c := range l.Controls {
			if !ids[c] {
				t.Errorf("line %s names %s, not in the controls", l.ID, c)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary lines %v, want %v", got, want)
	}
	var b bytes.Buffer
	if err := rep.JSON(&b); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["schema"] != Schema {
		t.Fatalf("json: %v %v", back["schema"], err)
	}
	for _, k := range []string{"summary", "snapshots", "completeness", "integrity", "rehearsals", "access", "controls", "window"} {
		if _, ok := back[k]; !ok {
			t.Errorf("json lacks %s", k)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "26h": 26 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%s) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0d", "-1d", "x", "1.5d", "99999999d"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
	if got, err := ParseSince("all"); got != 0 || err != nil {
		t.Errorf(`ParseSince("all") = %v, %v; want 0 (every snapshot)`, got, err)
	}
	if got, err := ParseSince("13w"); got != 13*7*24*time.Hour || err != nil {
		t.Errorf(`ParseSince("13w") = %v, %v`, got, err)
	}
	for _, bad := range []string{"ALL", "", "0d", "all\n", "../90d"} {
		if _, err := ParseSince(bad); err == nil {
			t.Errorf("ParseSince(%q) accepted", bad)
		}
	}
	if got := Human(26*3600 + 61); got != "1d 2h 1m" {
		t.Errorf("Human = %s", got)
	}
	if got := Human(12.5); got != "12.5s" {
		t.Errorf("Human(12.5) = %s", got)
	}
}

func mustKind(name string) *layout.Kind {
	k, ok := layout.Lookup(name)
	if !ok {
		panic(name)
	}
	return k
}

// Signatures: verified with the allowed signers, every commit and tag
// good; one unsigned snapshot is listed and the line needs attention.
func TestSignatures(t *testing.T) {
	keys := t.TempDir()
	priv, pub := gitcheck.SSHKey(t, keys, "ci", "ed25519", "")
	signer, err := snapshot.LoadSigner(priv, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := snapshot.ParseAllowedSigners("allowed_signers", []byte("backup@example.com "+pub+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := time.Hour
	r := newRepo(t, snap{at: t0, sign: signer}, snap{at: t0.Add(24 * h), sign: signer, kinds: partial()})
	rep := build(t, r, Options{Now: t0.Add(25 * h), Signers: allowed})
	if l := line(t, rep, "signatures"); l.Status != StatusOK || l.Result != "all 4 good (against allowed_signers)" {
		t.Errorf("signed series: %+v", l)
	}
	r = newRepo(t, snap{at: t0, sign: signer}, snap{at: t0.Add(24 * h), kinds: partial()})
	rep = build(t, r, Options{Now: t0.Add(25 * h), Signers: allowed})
	sg := rep.Integrity.Signatures
	if l := line(t, rep, "signatures"); l.Status != StatusAttention || !strings.HasPrefix(l.Result, "2 of 4 not trusted") ||
		len(sg.Failures) != 2 || sg.Failures[0].Status != "unsigned" {
		t.Errorf("an unsigned snapshot: %+v %+v", l, sg)
	}
	if l := line(t, build(t, r, Options{Now: t0.Add(25 * h)}), "signatures"); l.Status != StatusMissing || !strings.HasPrefix(l.Result, "not verified") {
		t.Errorf("without allowed signers: %+v", l)
	}
}

// Every key of the JSON form is documented in doc.go's schema, so the
// schema a user reads is the one written.
func TestJSONKeysDocumented(t *testing.T) {
	rep, _, _ := hostileRepo(t) // every section filled: gaps, a rehearsal, a broken record, access
	rep.Integrity.Check.Issues = append(rep.Integrity.Check.Issues, check.Issue{Severity: "error", File: "f", Line: 1, Property: "p", Message: "m"})
	rep.Integrity.Signatures.Failures = append(rep.Integrity.Signatures.Failures, SigFailed{Object: "o", Type: "tag", Names: []string{"n"}, Status: "unsigned", Detail: "d"})
	var b bytes.Buffer
	if err := rep.JSON(&b); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				keys[k] = true
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	schema := string(doc)[strings.Index(string(doc), "# JSON schema"):]
	word := regexp.MustCompile(`[A-Za-z]+`)
	documented := map[string]bool{}
	for _, w := range word.FindAllString(schema, -1) {
		documented[w] = true
	}
	for k := range keys {
		if !documented[k] {
			t.Errorf("the JSON key %q is not in doc.go's schema", k)
		}
	}
	if len(keys) < 60 {
		t.Errorf("only %d keys: the report was not filled", len(keys))
	}
}

// A record's tool is named once: rehearse writes "entrasnap v1.2.3", older
// or hand-made records the version alone.
func TestRehearsalToolNamedOnce(t *testing.T) {
	dir := layout.RehearsalsDir + "/"
	rec := strings.Replace(goodRecord, "tool: v1.4.0", `tool: "entrasnap (devel)"`, 1)
	r := newRepo(t, snap{at: t0, files: map[string]string{dir + "20260902T030000Z.yaml": rec}})
	rep := build(t, r, Options{Now: t0.Add(48 * time.Hour), Since: 30 * 24 * time.Hour})
	var b, h strings.Builder
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if err := rep.HTML(&h); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"markdown": b.String(), "html": h.String()} {
		if strings.Contains(out, "entrasnap entrasnap") || !strings.Contains(out, "entrasnap (devel), record") {
			t.Errorf("%s names the tool wrongly:\n%s", name, out)
		}
	}
	for in, want := range map[string]string{"v1.4.0": "entrasnap v1.4.0", "entrasnap v2": "entrasnap v2", "": "entrasnap"} {
		if got := toolName(in); got != want {
			t.Errorf("toolName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A record's notes (what the load into graphsim left out) reach the
// report's JSON, markdown and HTML (escaped in the last two).
func TestRehearsalNotesInTheReport(t *testing.T) {
	rec := goodRecord + "notes:\n  - \"repo at snapshot/x: per-user-mfa <b>u1</b> *x* (of users) belong to objects the snapshot does not hold: skipped 1 file(s)\"\n"
	r := newRepo(t, snap{at: t0, files: map[string]string{layout.RehearsalsDir + "/20260902T030000Z.yaml": rec}})
	rep := build(t, r, Options{Now: t0.Add(48 * time.Hour), Since: 30 * 24 * time.Hour})
	if got := rep.Rehearsals.Records; len(got) != 1 || len(got[0].Notes) != 1 || !strings.Contains(got[0].Notes[0], "skipped 1 file(s)") {
		t.Fatalf("records %+v", got)
	}
	for _, f := range []string{"json", "markdown", "html"} {
		var b strings.Builder
		if err := rep.Render(&b, f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "skipped 1 file(s)") || f != "json" && strings.Contains(b.String(), "<b>u1") {
			t.Errorf("%s: the note is missing or not escaped", f)
		}
	}
}
