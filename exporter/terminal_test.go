package exporter

import (
	"bytes"
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
	p.Retry(graph.Event{Method: "GET", Endpoint: "/v1.0/users", Status: 200}) // not retried: no line
	p.Done(&Result{Commit: "0123456789abcdef", Changed: true, Branch: "main", Tag: "snapshot/x", Warnings: []live.Warning{{Path: "u.yaml", Message: "w1"}}})
	for _, want := range []string{
		"  users                                       3 objects     1 requests\n",
		"NOT LICENSED in this tenant (needs Microsoft Entra ID P2)",
		"INCOMPLETE: list: permission denied (needs Group.Read.All); grant the application permission Group.Read.All to the app entrasnap signs in as\n",
		"  waiting 2.0s before retry 2 of GET /v1.0/users (throttled by Graph)\n",
		"1 warnings:\n  ",
	} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, w.String())
		}
	}
	if strings.Count(w.String(), "waiting") != 1 {
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
	p.Done(&Result{})
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	want := []string{`"event":"kind_started"`, `"permissions":["Group.Read.All"]`, `"event":"retry"`, `"event":"summary"`}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), w.String())
	}
	for i, s := range want {
		if !strings.Contains(lines[i], s) {
			t.Errorf("line %d = %s, want %s in it", i+1, lines[i], s)
		}
	}
}
