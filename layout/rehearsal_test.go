package layout

import (
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func sampleRehearsal() *Rehearsal {
	t0 := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	r := &Rehearsal{StartedAt: t0, FinishedAt: t0.Add(95 * time.Second), Snapshot: "snapshot/20261205T020000Z",
		Commit: strings.Repeat("ab", 20), Tool: "entrasnap 1.2.3", Throttle: "realistic",
		Scenarios: []RehearsalScenario{
			{Name: "ca-policy-deleted", Result: RehearsalPass, Objects: 1, RestoreSeconds: 2.5, Detail: "recreated under a new id"},
			{Name: "named-location-deleted", Result: RehearsalSkipped, Detail: "no named location in the snapshot"},
			{Name: "user-attributes-corrupted", Result: RehearsalFail, Objects: 50, RestoreSeconds: 61.25, Detail: "3 users still differ"},
		}}
	r.Count()
	return r
}

func TestRehearsalRoundTrip(t *testing.T) {
	r := sampleRehearsal()
	if r.Passed != 1 || r.Failed != 1 || r.Skipped != 1 {
		t.Fatalf("Count: %d %d %d", r.Passed, r.Failed, r.Skipped)
	}
	data := r.Encode()
	for _, key := range []string{"version: 1\n", "startedAt: \"2026-12-06T05:00:00Z\"", "finishedAt: \"2026-12-06T05:01:35Z\"",
		"snapshot: \"snapshot/20261205T020000Z\"", "commit: \"abab", "tool: \"entrasnap 1.2.3\"", "throttle: \"realistic\"",
		"\n  - detail: ", "    name: \"ca-policy-deleted\"", "    result: \"pass\"", "    objects: 1\n", "    restoreSeconds: 2.500\n",
		"restoreSeconds: 61.250\n", "passed: 1\n", "failed: 1\n", "skipped: 1\n"} {
		if !strings.Contains(string(data), key) {
			t.Errorf("record lacks %q:\n%s", key, data)
		}
	}
	got, err := DecodeRehearsal(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.StartedAt.Equal(r.StartedAt) || !got.FinishedAt.Equal(r.FinishedAt) || got.Snapshot != r.Snapshot || got.Commit != r.Commit ||
		got.Tool != r.Tool || got.Throttle != r.Throttle || got.Passed != 1 || got.Failed != 1 || got.Skipped != 1 || got.Version != 1 {
		t.Errorf("decoded %+v", got)
	}
	if len(got.Scenarios) != 3 || got.Scenarios[2] != r.Scenarios[2] || got.Scenarios[0] != r.Scenarios[0] {
		t.Errorf("scenarios %+v", got.Scenarios)
	}
}

// A detail from Graph or an error is one printable line of at most 300
// characters in the file.
func TestRehearsalDetailHostile(t *testing.T) {
	r := sampleRehearsal()
	r.Scenarios[0].Detail = "evil\r\n\x1b[31mred\u202egnp.exe\xff" + strings.Repeat("é", 1000)
	got, err := DecodeRehearsal(r.Encode())
	if err != nil {
		t.Fatal(err)
	}
	d := got.Scenarios[0].Detail
	if strings.ContainsAny(d, "\r\n\x1b\u202e") || !utf8.ValidString(d) || utf8.RuneCountInString(d) > MaxRehearsalDetail || !strings.HasSuffix(d, "…") {
		t.Errorf("detail %q (%d characters)", d, utf8.RuneCountInString(d))
	}
	if !strings.HasPrefix(d, `evil\r\n\x1b[31mred\u202egnp.exe\xff`) {
		t.Errorf("detail %q", d)
	}
}

func TestRehearsalsRead(t *testing.T) {
	newer := sampleRehearsal()
	older := sampleRehearsal()
	older.StartedAt = older.StartedAt.Add(-7 * 24 * time.Hour)
	files := map[string][]byte{
		RehearsalPath(newer.StartedAt): newer.Encode(),
		// A later version's extra keys are ignored.
		RehearsalPath(older.StartedAt):        append(older.Encode(), "futureKey: \"x\"\n"...),
		RehearsalsDir + "/broken.yaml":        []byte("version: 1\nstartedAt: \"yesterday\"\n"),
		RehearsalsDir + "/newer.yaml":         []byte("version: 2\n"),
		RehearsalsDir + "/huge.yaml":          []byte(strings.Repeat("#", MaxRehearsalFile+1)),
		RehearsalsDir + "/README.md":          []byte("not a record"),
		ChangesDir + "/20261206T050000Z.yaml": []byte("format: 1\nrecords: []\n"),
	}
	recs, errs := Rehearsals(files)
	if len(recs) != 2 || !recs[0].StartedAt.Equal(older.StartedAt) || recs[1].Path != "/.entrasnap/rehearsals/20261206T050000Z.yaml"[1:] {
		t.Fatalf("records %+v", recs)
	}
	want := []string{"broken.yaml: startedAt: want an RFC 3339 time", "huge.yaml: 1048577 bytes", "newer.yaml: version 2 is newer"}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, w := range want {
		if !strings.Contains(errs[i].Error(), RehearsalsDir+"/"+w) {
			t.Errorf("error %d = %v, want %q", i, errs[i], w)
		}
	}
	if recs, errs := Rehearsals(nil); len(recs) != 0 || len(errs) != 0 {
		t.Errorf("no files: %v %v", recs, errs)
	}
}

// The evidence report reads these keys: exactly these, no others.
func TestRehearsalKeys(t *testing.T) {
	v, err := Decode(sampleRehearsal().Encode())
	if err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return strings.Join(k, " ")
	}
	if got := keys(v); got != "commit failed finishedAt passed scenarios skipped snapshot startedAt throttle tool version" {
		t.Errorf("keys %s", got)
	}
	if got := keys(v["scenarios"].([]any)[0].(map[string]any)); got != "detail name objects restoreSeconds result" {
		t.Errorf("scenario keys %s", got)
	}
}

// The load's notes (what graphsim --from-repo could not load) are kept as
// one printable line each under "notes", written only when there are some
// (a record without them is as before); a malformed "notes" is an error
// naming the key.
func TestRehearsalNotes(t *testing.T) {
	r := sampleRehearsal()
	plain := string(r.Encode())
	if strings.Contains(plain, "notes") {
		t.Errorf("a record without notes has the key:\n%s", plain)
	}
	r.Notes = []string{"repo at snapshot/x: per-user-mfa \u202eu1\n (of users) belong to objects the snapshot does not hold: skipped 1 file(s); " + strings.Repeat("x", 400)}
	got, err := DecodeRehearsal(r.Encode())
	if err != nil || len(got.Notes) != 1 || got.Notes[0] != RehearsalDetail(r.Notes[0]) || strings.ContainsAny(got.Notes[0], "\u202e\n") || utf8.RuneCountInString(got.Notes[0]) > MaxRehearsalDetail {
		t.Errorf("notes read back %q, %v", got.Notes, err)
	}
	for _, bad := range []string{"notes: 3\n", "notes:\n  - 3\n"} {
		if _, err := DecodeRehearsal([]byte(plain + bad)); err == nil || !strings.Contains(err.Error(), "notes") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
