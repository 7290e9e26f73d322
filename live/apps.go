package live

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Applications' and service principals' relationships on a delta day
// (issue 12). Graph's application and servicePrincipal delta rounds track
// properties only (delta.go): an app's owners, federated identity
// credentials and extension properties, a service principal's owners, app
// role assignments (appRoleAssignedTo) and delegated permission
// classifications change without the round showing the parent. A full read
// lists them all through the lists' $expand, 100 parents a page, whatever
// changed (at 2,000 apps, 183 of a no-change day's 275 units). What Graph
// does document: the directory audit log is "the history of every task
// performed in your tenant" (learn:/graph/api/resources/directoryaudit),
// each record naming its targetResources by id, filterable by
// activityDateTime ge (learn:/graph/api/directoryaudit-list); adding or
// removing an owner ("Add owner to application", "Remove owner from service
// principal"), an app role assignment ("Add app role assignment to service
// principal", "Add app role assignment grant to user", ...: the resource
// service principal is a target), a credential or a classification (an
// update of its parent) is such a task (learn:/entra/identity/monitoring-
// health/reference-audit-activities, ApplicationManagement). So a delta day
// reads again, one request per parent and child through $batch (as users'
// sponsors: users.go), only the relationships of
//   - the apps and service principals the log names in a record since the
//     kind's last full read, less ReplicationMargin (any activity, any
//     result: the name is not relied on);
//   - those the round changed, and the new ones (no previous file);
//   - those whose previous file names, among their owners or app role
//     assignments' principals, an object the log or the round names (a
//     user or group deleted or restored leaves or rejoins the lists
//     without a record naming the app);
// and takes the others' relationships from their previous files. The
// service principals' grants keep their own delta round (grants.go).
// Without the log (no AuditLog.Read.All, a failed read), when the last
// full read is older than the log keeps its records (PastAuditKeep,
// users.go), or when reading the named objects one by one takes more
// requests than the lists
// (20 parents and child a $batch against 100 parents a page), the day
// reads every relationship through the lists as a full read does, and says
// why (KindResult.Note). A change shows once its record is in the log
// (minutes: reference-log-latency; a record that appears late is seen by
// the next run, as the window starts at the last full read); a full read
// sees it as soon as Graph's replicas do.

// auditedChildren are the kinds whose untracked children (but those read
// with their own delta function) a delta day reads again only where the
// audit log names the parent.
var auditedChildren = map[string]bool{"applications": true, "service-principals": true}

// childPlan is what a delta day of an auditedChildren kind reads again.
type childPlan struct {
	prev      map[string]bool // lower-case keys with a previous file
	again     map[string]bool // lower-case keys whose children are read again
	mentioned map[string]bool // lower-case ids the log or the round names
	// note, set by untrackedChildren when it reads every object's children
	// after all (too many to read one by one).
	note string
}

// plannedChildRereads decides which apps' or service principals'
// relationships a delta day reads again. A nil plan (and a note) means
// the log cannot tell: every object's are read through the lists.
func (r *reader) plannedChildRereads(ctx context.Context, uk *layout.Kind, from DeltaFrom, prev prevFiles,
	changes []*deltaChange, requests *atomic.Int64) (*childPlan, string, error) {
	if from.Since.IsZero() {
		return nil, "", nil
	}
	named, note, err := r.auditNamed(ctx, uk, from, requests)
	if named == nil {
		return nil, note, err
	}
	p := &childPlan{prev: map[string]bool{}, again: map[string]bool{}, mentioned: map[string]bool{}}
	for lid := range prev {
		p.prev[lid] = true
		if named[lid] {
			p.again[lid] = true
		}
	}
	for id := range named {
		p.mentioned[id] = true
	}
	for _, ch := range changes {
		lid := strings.ToLower(ch.id)
		p.mentioned[lid] = true
		if !ch.removed {
			p.again[lid] = true
		}
	}
	// The watched objects (DeltaFrom.Held: an owner or assignment
	// principal left their lists since the last full read, delta.go) are
	// read again on any day the log or the round names anything: the
	// object that left may be restored, with no record naming them.
	if len(p.mentioned) > 0 {
		for _, key := range from.Held {
			if lid := strings.ToLower(key); p.prev[lid] {
				p.again[lid] = true
			}
		}
	}
	return p, "", nil
}

// childRefs are the ids the relationships of o that name other objects
// hold (owners, app role assignments' principals), lower-case.
func childRefs(uk *layout.Kind, o map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, ch := range uk.Children {
		if !ch.Refs && ch.Name != "appRoleAssignedTo" {
			continue
		}
		list, _ := o[ch.Name].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			for _, id := range refIDs(m) {
				out[id] = true
			}
		}
	}
	return out
}

// refIDs are the ids a child item names: a reference's id (owners), an
// app role assignment's principal.
func refIDs(item map[string]any) []string {
	var out []string
	for _, prop := range []string{"id", "principalId"} {
		if s, ok := item[prop].(string); ok && s != "" {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

// decide completes the plan with the objects of objs (built on their
// previous files) that must be read again for the children chs: new ones,
// ones without a previous list, ones whose list names a mentioned object.
// It returns false when reading them one by one costs more than the lists.
func (p *childPlan) decide(uk *layout.Kind, chs []layout.Child, objs []map[string]any) bool {
	kp := uk.KeyProp()
	for _, o := range objs {
		key, _ := o[kp].(string)
		lid := strings.ToLower(key)
		if !p.prev[lid] {
			p.again[lid] = true
			continue
		}
		for _, ch := range chs {
			v, present := o[ch.Name]
			list, isList := v.([]any)
			if !present || !isList && v != nil {
				p.again[lid] = true // no previous list to keep
				continue
			}
			if !ch.Refs && ch.Name != "appRoleAssignedTo" {
				continue
			}
			for _, x := range list {
				m, _ := x.(map[string]any)
				for _, id := range refIDs(m) {
					if p.mentioned[id] {
						p.again[lid] = true
					}
				}
			}
		}
	}
	// Per object costs a request per 20 parents and child ($batch); the
	// lists' $expand one per 100 parents and child: when that is more
	// requests, the lists are read instead.
	n := 0
	for _, o := range objs {
		key, _ := o[kp].(string)
		if p.again[strings.ToLower(key)] {
			n++
		}
	}
	one := (n*len(chs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize
	lists := len(chs) * ((len(objs) + 99) / 100)
	if one > lists {
		p.note = fmt.Sprintf("%s read for every object: %d of %d to read again since the last full read (reading them one by one would cost more)",
			childNames(uk), n, len(objs))
		return false
	}
	return true
}
