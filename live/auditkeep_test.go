package live

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// TestPastAuditKeep: the one retention test of the kinds the audit log
// drives turns at the log's 7 days less ReplicationMargin (the window
// starts that much before the last full read), and users' sponsors, as
// apps' relationships, are then planned from no log: no plan, no request,
// a note saying why.
func TestPastAuditKeep(t *testing.T) {
	since := time.Date(2026, 3, 23, 10, 15, 0, 0, time.UTC)
	edge := since.Add(AuditKeep - ReplicationMargin)
	for _, c := range []struct {
		now  time.Time
		past bool
	}{
		{since, false},
		{since.Add(24 * time.Hour), false},
		{edge.Add(-time.Second), false},
		{edge, true},
		{since.Add(AuditKeep), true},
		{since.Add(30 * 24 * time.Hour), true},
	} {
		if got := PastAuditKeep(since, c.now); got != c.past {
			t.Errorf("PastAuditKeep(since, since+%s) = %v, want %v", c.now.Sub(since), got, c.past)
		}
	}

	ctx := context.Background()
	for _, kind := range []string{"users", "applications"} {
		k, _ := layout.Lookup(kind)
		uk := untracked(k, deltaKinds[kind])
		if uk == nil {
			t.Fatalf("%s: no untracked children", kind)
		}
		from := DeltaFrom{Since: since, Now: edge}
		var requests atomic.Int64
		r := &reader{progress: NoProgress{}, track: true} // no client: a request would panic
		var plan any
		var note string
		var err error
		if kind == "users" {
			var p *rereads
			p, note, err = r.plannedRereads(ctx, uk, from, prevFiles{}, nil, nil, &requests)
			if p != nil {
				plan = p
			}
		} else {
			var p *childPlan
			p, note, err = r.plannedChildRereads(ctx, uk, from, prevFiles{}, nil, &requests)
			if p != nil {
				plan = p
			}
		}
		if err != nil || plan != nil || requests.Load() != 0 ||
			!strings.Contains(note, childNames(uk)+" read for every object: the last full read is older than the directory audit log keeps its records (7 days") {
			t.Errorf("%s past the log's retention: plan %v, note %q, %d requests, %v", kind, plan, note, requests.Load(), err)
		}
		if n := pastAuditKeepNote(uk, DeltaFrom{Since: since, Now: edge.Add(-time.Second)}); n != "" {
			t.Errorf("%s within the log's retention: note %q", kind, n)
		}
	}
}
