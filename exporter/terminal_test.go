package exporter

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/live"
)

func TestTermProgressLines(t *testing.T) {
	var w, out bytes.Buffer
	p := &TermProgress{W: &w, Out: &out, Repo: "/r"}
	p.KindDone("users", 3, 1, nil)
	p.KindDone("pim", 0, 1, &live.KindError{Kind: "pim", What: "list", Err: errors.New("x"), Licence: "Microsoft Entra ID P2"})
	p.KindDone("groups", 0, 1, &live.KindError{Kind: "groups", What: "list", Err: errors.New("denied"), Status: 403, Permissions: []string{"Group.Read.All"}})
	p.Retry(graph.Event{Method: "GET", Endpoint: "/v1.0/users", Status: 429, Attempt: 1, RetryIn: 2 * time.Second})
	p.Retry(graph.Event{Method: "GET", Endpoint: "/v1.0/groups", Status: 503, Attempt: 0, RetryIn: time.Second})
	p.Retry(graph.Event{Paced: 8 * time.Second, Budget: "8000 units per 10 s"})
	p.Retry(graph.Event{Method: "GET", Endpoint: "/v1.0/users", Status: 200}) // not retried: no line
	p.Done(&Result{Commit: "0123456789abcdef", Changed: true, Branch: "main", Tag: "snapshot/x", Warnings: []live.Warning{{Path: "u.yaml", Message: "w1"}}})
	for _, want := range []string{
		"  users                                       3 objects     1 requests\n",
		"NOT LICENSED in this tenant (needs Microsoft Entra ID P2)",
		"INCOMPLETE: list: permission denied (needs Group.Read.All); grant the application permission Group.Read.All to the app entrasnap signs in as (see `entrasnap kinds --permissions`)\n",
		"  throttled by Graph, resuming in 2 s (GET /v1.0/users answered 429)\n",
		"  waiting 1.0s before retry 1 of GET /v1.0/groups (Graph answered 503)\n",
		"  throttled by Graph, resuming in 8 s (pacing to Graph's budget of 8000 units per 10 s)\n",
		"1 warnings:\n  ",
	} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, w.String())
		}
	}
	if strings.Count(w.String(), "waiting")+strings.Count(w.String(), "resuming") != 3 {
		t.Errorf("a request that is not retried was announced:\n%s", w.String())
	}
	if want := "Snapshot 0123456789ab committed to /r (branch main), tagged snapshot/x.\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("outcome = %q, want it to start with %q", out.String(), want)
	}
}

func TestJSONProgressEvents(t *testing.T) {
	var w bytes.Buffer
	p := &JSONProgress{W: &w}
	p.KindStarted("users")
	p.KindDone("groups", 0, 1, &live.KindError{Kind: "groups", What: "list", Err: errors.New("denied"), Status: 403, Permissions: []string{"Group.Read.All"}})
	p.Retry(graph.Event{Method: "GET", Endpoint: "/v1.0/users", Status: 503, RetryIn: time.Second})
	p.Retry(graph.Event{Paced: 3 * time.Second, Budget: "3500 units per 10 s"})
	p.Done(&Result{})
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	want := []string{`"event":"kind_started"`, `"permissions":["Group.Read.All"]`, `"event":"retry"`, `"event":"throttled"`, `"event":"summary"`}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), w.String())
	}
	for i, s := range want {
		if !strings.Contains(lines[i], s) {
			t.Errorf("line %d = %s, want %s in it", i+1, lines[i], s)
		}
	}
}

func TestWaitText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		8 * time.Second: "8 s", 7200 * time.Millisecond: "8 s", 90 * time.Second: "1 min 30 s", 2 * time.Minute: "2 min",
	} {
		if got := waitText(d); got != want {
			t.Errorf("waitText(%v) = %q, want %q", d, got, want)
		}
	}
}

// The Graph client calls Retry from its request goroutines while the kind
// readers call KindDone: TermProgress takes its lock in both, so lines never
// mix and the race detector (go test -race, run by .ci/run) finds no
// unsynchronized write to W (it found one in Retry before it took the lock).
func TestTermProgressRetryBesideKindDone(t *testing.T) {
	var w bytes.Buffer
	p := &TermProgress{W: &w, Out: &bytes.Buffer{}}
	const n = 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			p.Retry(graph.Event{Paced: time.Second, Budget: "1 request per second"})
		}
	}()
	for i := 0; i < n; i++ {
		p.KindDone("users", i, 1, nil)
	}
	<-done
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	paced, kinds := 0, 0
	for _, l := range lines {
		switch {
		case l == "  throttled by Graph, resuming in 1 s (pacing to Graph's budget of 1 request per second)":
			paced++
		case strings.HasPrefix(l, "  users ") && strings.HasSuffix(l, " requests"):
			kinds++
		default:
			t.Errorf("mixed or unknown line %q", l)
		}
	}
	if paced != n || kinds != n {
		t.Errorf("%d paced and %d kind lines, want %d of each", paced, kinds, n)
	}
}

// NewReporter: text is TermProgress (kind lines on stderr, the outcome on
// stdout naming the repository the export wrote), json is JSONProgress
// (JSON lines on stdout, nothing on stderr); another format is refused.
func TestNewReporter(t *testing.T) {
	var stdout, stderr bytes.Buffer
	p, err := NewReporter("text", &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	p.KindDone("users", 3, 1, nil)
	p.Done(&Result{Commit: "0123456789abcdef", Changed: true, Branch: "main", repo: "/the/repo"})
	if !strings.Contains(stderr.String(), "  users ") || strings.Contains(stdout.String(), "users ") {
		t.Errorf("text: kind line not on stderr alone:\nstderr %q\nstdout %q", stderr.String(), stdout.String())
	}
	if want := "Snapshot 0123456789ab committed to /the/repo (branch main).\n"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("text outcome = %q, want it to start with %q", stdout.String(), want)
	}

	stdout.Reset()
	stderr.Reset()
	if p, err = NewReporter("json", &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	p.KindDone("users", 3, 1, nil)
	p.Retry(graph.Event{Method: "GET", Endpoint: "/v1.0/users", Status: 429, RetryIn: time.Second})
	p.Done(&Result{Commit: "0123456789abcdef", Changed: true, repo: "/the/repo"})
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 || stderr.Len() != 0 {
		t.Fatalf("json: %d lines on stdout, %q on stderr:\n%s", len(lines), stderr.String(), stdout.String())
	}
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev["event"] == nil {
			t.Errorf("json line %s: %v", l, err)
		}
	}
	if _, err := NewReporter("markdown", &stdout, &stderr); err == nil || !strings.Contains(err.Error(), `"markdown"`) {
		t.Errorf("format markdown: err = %v", err)
	}
}
