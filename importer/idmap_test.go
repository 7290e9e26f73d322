package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// An id map whose entries form a cycle (an edited or badly merged
// .entrasnap/idmap.yaml) is refused when read, with an error naming the
// ids of the cycle, instead of resolving an id to whichever member the
// walk stopped at; in memory, a cycle resolves nothing. A long chain (an
// object recreated many times) resolves to its newest id.
func TestIDMapCycles(t *testing.T) {
	cyclic := NewIDMap()
	cyclic.Add("groups", "aaaa", "bbbb", "r1")
	cyclic.Add("groups", "bbbb", "cccc", "r2")
	cyclic.Add("groups", "cccc", "aaaa", "r3")
	cyclic.Add("groups", "dddd", "aaaa", "r4") // leads into the cycle
	_, err := DecodeIDMap(cyclic.Encode())
	if err == nil || !strings.Contains(err.Error(), IDMapPath) || !strings.Contains(err.Error(), `"aaaa" → "bbbb" → "cccc" → "aaaa"`) {
		t.Fatalf("a cyclic id map: err = %v", err)
	}
	for _, id := range []string{"aaaa", "dddd"} {
		if got, ok := cyclic.Resolve(id); ok {
			t.Errorf("Resolve(%s) in a cycle = %s, true; want not resolved", id, got)
		}
	}

	apps := NewIDMap()
	apps.AddAppID("app-1", "app-2")
	apps.AddAppID("app-2", "APP-1")
	if _, err := DecodeIDMap(apps.Encode()); err == nil || !strings.Contains(err.Error(), "appIds") || !strings.Contains(err.Error(), `"app-1"`) || !strings.Contains(err.Error(), `"app-2"`) {
		t.Fatalf("a cyclic appId map: err = %v", err)
	}

	chain := NewIDMap()
	for i := 0; i < 40; i++ {
		chain.Add("groups", fmt.Sprintf("id-%02d", i), fmt.Sprintf("id-%02d", i+1), "r")
	}
	back, err := DecodeIDMap(chain.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := back.Resolve("ID-00"); !ok || got != "id-40" {
		t.Fatalf("Resolve through 40 recreations = %s, %v; want id-40", got, ok)
	}
}

// An id map entry's creation time (created:) is written to the second in
// UTC and read back; an entry without one (an id map written before
// entrasnap noted it) is of a time not known. A malformed one is refused
// naming the file and the entry, without quoting the value; a time far in
// the future or past decodes but is not fresh, and none hangs or panics.
func TestIDMapCreatedTimes(t *testing.T) {
	at := time.Date(2026, 3, 23, 10, 0, 0, 123, time.FixedZone("x", 3600))
	m := NewIDMap()
	m.AddCreated("users", "old-1", "new-1", "r", at)
	m.Add("users", "old-2", "new-2", "r")
	back, err := DecodeIDMap(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if c := back.IDs["old-1"].Created; !c.Equal(at.Truncate(time.Second)) || c.Location() != time.UTC {
		t.Errorf("created read back as %v, want %v in UTC", c, at.Truncate(time.Second))
	}
	if c := back.IDs["old-2"].Created; !c.IsZero() || strings.Contains(string(m.Encode()), "created: \"0001") {
		t.Errorf("an entry of a time not known: %v\n%s", c, m.Encode())
	}

	const entry = "format: 1\nids:\n  old-1:\n    id: new-1\n    kind: users\n"
	for name, created := range map[string]string{
		"not a time":   `"yesterday"`,
		"a number":     `1700000000`,
		"a year 10000": `"10000-01-01T00:00:00Z"`,
		"unprintable":  `"2026-03-23T10:00:00Z\u001b[2J"`,
		"huge":         `"` + strings.Repeat("9", 100000) + `"`,
		"a mapping":    `{at: now}`,
	} {
		_, err := DecodeIDMap([]byte(entry + "    created: " + created + "\n"))
		if err == nil || !strings.Contains(err.Error(), IDMapPath+": ids.old-1: created:") || len(err.Error()) > 400 || strings.ContainsAny(err.Error(), "\x1b") {
			t.Errorf("%s: %v, want a short refusal naming the file and entry", name, err)
		}
	}

	now := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	const window = 2 * time.Minute
	for _, c := range []struct {
		created string
		fresh   bool
	}{
		{"2026-12-08T00:59:00Z", true},
		{"2026-12-08T01:00:30Z", true}, // the restoring machine's clock a little ahead
		{"2026-12-08T00:57:59Z", false},
		{"2026-06-01T00:00:00Z", false},
		{"9999-12-31T23:59:59Z", false},
		{"0001-01-01T00:00:01Z", false},
		{"1677-01-01T00:00:00Z", false},
	} {
		m, err := DecodeIDMap([]byte(entry + "    created: \"" + c.created + "\"\n"))
		if err != nil {
			t.Fatalf("%s: %v", c.created, err)
		}
		if got := m.IDs["old-1"].Fresh(now, window); got != c.fresh {
			t.Errorf("created %s, now %s: fresh %v, want %v", c.created, now, got, c.fresh)
		}
		if m.IDs["old-1"].Fresh(now, -1) {
			t.Errorf("created %s: fresh with no wait", c.created)
		}
	}
}

// The backoff of every wait for replication: the first wait, doubling up
// to 10 s, until the timeout has been slept (0: the default 2 minutes;
// negative: none); with a clock, also until the timeout has passed on it.
func TestBackoff(t *testing.T) {
	var slept []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	b := newBackoff(500*time.Millisecond, 0, sleep, nil)
	for b.More() {
		if err := b.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for range 11 {
		want = append(want, 10*time.Second)
	}
	if fmt.Sprint(slept) != fmt.Sprint(want) || b.waited != 125500*time.Millisecond {
		t.Errorf("waits %v (%s), want %v", slept, b.waited, want)
	}
	if newBackoff(time.Second, -1, sleep, nil).More() {
		t.Error("a negative timeout waits")
	}
	now := time.Date(2026, 3, 23, 10, 0, 0, 0, time.UTC)
	b = newBackoff(time.Second, time.Minute, sleep, func() time.Time { return now })
	now = now.Add(time.Minute)
	if b.More() {
		t.Error("a minute passed on the clock, and the backoff of a minute waits on")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newBackoff(time.Second, time.Minute, nil, nil).Wait(ctx); err == nil {
		t.Error("the default sleep does not end with ctx")
	}
}
