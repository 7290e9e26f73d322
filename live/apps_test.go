package live

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// TestAppChildRereadsFromTheAuditLog: a delta day's plan for an app's
// relationships names the app the audit log names (an owner added), those
// the round changed, and no other; a last full read older than the log's
// retention, or a log Graph refuses, gives no plan and a note saying why.
func TestAppChildRereadsFromTheAuditLog(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 20, Groups: 4, Apps: 6})
	ctx := context.Background()
	k, _ := layout.Lookup("applications")
	uk := untracked(k, deltaKinds["applications"])
	tn := sim.Tenant()
	apps := tn.List("application")
	prev := prevFiles{}
	for _, a := range apps {
		prev[strings.ToLower(a["id"].(string))] = prevFile{path: "unused"}
	}
	owned, edited := strings.ToLower(apps[0]["id"].(string)), strings.ToLower(apps[1]["id"].(string))
	since := sim.Clock().Now()
	sim.Clock().Advance(time.Minute)
	user := tn.List("user")[0]["id"].(string)
	if _, err := c.Do(ctx, "POST", "/v1.0/applications/"+owned+"/owners/$ref",
		map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + user}); err != nil {
		t.Fatal(err)
	}
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	changes := []*deltaChange{{id: edited}}
	var requests atomic.Int64
	r := &reader{c: c, progress: NoProgress{}, track: true}
	p, note, err := r.plannedChildRereads(ctx, uk, DeltaFrom{Since: since, Now: sim.Clock().Now()}, prev, changes, &requests)
	if err != nil || p == nil || note != "" {
		t.Fatalf("plan %+v, note %q, %v", p, note, err)
	}
	for _, a := range apps {
		id := strings.ToLower(a["id"].(string))
		if want := id == owned || id == edited; p.again[id] != want {
			t.Errorf("app %s read again %v, want %v", id, p.again[id], want)
		}
	}
	if !p.mentioned[strings.ToLower(user)] {
		t.Errorf("the owner the log names is not among the mentioned ids")
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want the one page of the audit log", requests.Load())
	}

	// Past the log's retention: no plan, said so.
	r = &reader{c: c, progress: NoProgress{}, track: true}
	p, note, err = r.plannedChildRereads(ctx, uk, DeltaFrom{Since: since, Now: since.Add(7*24*time.Hour - time.Hour)}, prev, changes, &requests)
	if err != nil || p != nil || !strings.Contains(note, "older than the directory audit log keeps its records") {
		t.Errorf("past retention: plan %+v, note %q, %v", p, note, err)
	}

	// Graph refuses the log (no AuditLog.Read.All): no plan, the note names
	// the permission.
	noAudit := simtest.Client(t, sim, simtest.Serve(t, simtest.Denying(sim, "auditLogs")), "")
	r = &reader{c: noAudit, progress: NoProgress{}, track: true}
	p, note, err = r.plannedChildRereads(ctx, uk, DeltaFrom{Since: since, Now: sim.Clock().Now()}, prev, changes, &requests)
	if err != nil || p != nil || !strings.Contains(note, "grant the app AuditLog.Read.All") {
		t.Errorf("without the permission: plan %+v, note %q, %v", p, note, err)
	}
}
