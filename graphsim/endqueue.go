package graphsim

import (
	"container/heap"
	"sort"
	"time"
)

// endQueue holds the ends of the records that end on graphsim's clock (PIM
// for Groups schedules: dropEndedGroupSchedules; role assignment instances:
// dropExpired), earliest first, so that a sweep looks at what is due and
// nothing else (issue #12: sweeping every schedule before every request
// cost graphsim 12 % of its CPU in a 1.2M-user export, and the
// role-assignment sweep made building a tenant quadratic).
//
// Entries are added when a record is stored or its end changes (noteEnd:
// insert, reattach, the loader, updateSchedule) and never updated in
// place: a sweep checks each due entry against the record as it is now
// (gone, or its end moved later: skipped; its new end has an entry of its
// own). So the queue may hold stale entries; each is looked at once, when
// its time comes.
type endQueue []endEntry

type endEntry struct {
	at time.Time
	r  *record
}

func (q endQueue) Len() int           { return len(q) }
func (q endQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q endQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *endQueue) Push(x any)        { *q = append(*q, x.(endEntry)) }
func (q *endQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = endEntry{}
	*q = old[:len(old)-1]
	return e
}

// add queues r's end; a zero end (none) is not queued.
func (q *endQueue) add(at time.Time, r *record) {
	if !at.IsZero() {
		heap.Push(q, endEntry{at: at, r: r})
	}
}

// due says whether the earliest queued end has come.
func (q endQueue) due(now time.Time) bool { return len(q) > 0 && !now.Before(q[0].at) }

// popDue removes the entries whose end has come and returns their records,
// each once, in key order.
func (q *endQueue) popDue(now time.Time) []*record {
	var out []*record
	seen := map[*record]bool{}
	for q.due(now) {
		r := heap.Pop(q).(endEntry).r
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// instanceEnd is when a role assignment instance ends (zero: never), as
// Tenant.expired reads it.
func instanceEnd(obj map[string]any) time.Time {
	end, _ := time.Parse(time.RFC3339, str(obj["endDateTime"]))
	return end
}

// noteEnd queues the end of r, just stored or given a new end, if it is a
// record that ends on the clock. Callers hold t.mu for writing.
func (t *Tenant) noteEnd(r *record) {
	switch {
	case isGroupSchedule(r.kind):
		t.groupEnds.add(groupScheduleEnd(r.view()), r)
	case r.kind.Name == "unifiedRoleAssignmentScheduleInstance":
		t.roleEnds.add(instanceEnd(r.view()), r)
	}
}
