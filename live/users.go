package live

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Users' manager (issue 13). Graph documents it as a single-valued
// relationship of a user (learn:/graph/api/resources/user) tracked by users
// delta with $select=manager (learn:/graph/delta-query-overview:
// manager@delta, a replaced or removed manager with @removed). So every
// full read of users is an initial round with $select=manager (a list of
// users cannot give it, and GET /users/{id}/manager per user costs one
// request per user): the round's pages are Graph's size, not 999, which
// costs more pages than a list did (README "Large tenants"); later rounds
// report a new or removed manager like a changed property. The file holds
// the manager as a list of at most one reference ({id, @odata.type}), the
// shape of members and owners, so check, diff and restore resolve it as a
// reference.

// inlineRels turns o's single-valued relationships of an initial round
// (rel@delta, one entry) into the stored list (at most one reference).
func inlineRels(k *layout.Kind, spec deltaSpec, o map[string]any) error {
	if !spec.inline {
		return nil
	}
	for _, rel := range spec.rels {
		var child layout.Child
		for _, c := range k.Children {
			if c.Name == rel {
				child = c
			}
		}
		v, present := o[rel+"@delta"]
		delete(o, rel+"@delta")
		var items []map[string]any
		if present && v != nil {
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s@delta is not an array", rel)
			}
			for _, x := range list {
				m, ok := x.(map[string]any)
				if !ok {
					return fmt.Errorf("%s@delta holds a value that is not an object", rel)
				}
				if id, _ := m["id"].(string); id == "" {
					return fmt.Errorf("%s@delta holds an entry without id", rel)
				}
				if _, gone := m["@removed"]; gone {
					continue
				}
				items = append(items, m)
			}
		}
		o[rel] = childList(child, items)
	}
	return nil
}

// pageReads are the children of a kind (narrowed to those its round does
// not track) read with the list's $expand (expandRefs) before the round,
// by child name and lower-case key.
type pageReads struct {
	r        *reader
	ctx      context.Context
	uk       *layout.Kind
	requests *atomic.Int64
	got      map[string]map[string][]map[string]any
	rest     []layout.Child // read per object
}

// pageChildren reads the children of uk that the kind's list expands.
func (r *reader) pageChildren(ctx context.Context, uk *layout.Kind, requests *atomic.Int64) (*pageReads, error) {
	pc := &pageReads{r: r, ctx: ctx, uk: uk, requests: requests, got: map[string]map[string][]map[string]any{}}
	for _, ch := range uk.Children {
		if !expandable[uk.Name+"/"+ch.Name] {
			pc.rest = append(pc.rest, ch)
			continue
		}
		g, err := r.expandRefs(ctx, uk, ch, requests, false) // (attach: not listed is none)
		if err != nil {
			perms := append(append([]string(nil), uk.ReadPermissions...), ch.ReadPermissions...)
			return nil, kindError(uk, ch.Name+" of "+uk.Title+" ($expand)", err, r.named(perms))
		}
		pc.got[ch.Name] = g
	}
	return pc, nil
}

// holding is the set of lower-case keys that hold some child now.
func (pc *pageReads) holding() map[string]bool {
	out := map[string]bool{}
	for _, g := range pc.got {
		for key, items := range g {
			if len(items) > 0 {
				out[key] = true
			}
		}
	}
	return out
}

// attach sets the children of a page of objects: from the $expand read
// where it is complete, per object (children) for one it listed with
// expandLimit children (maybe more). An object the read did not list was
// created (or restored) since, or has not replicated to the replica that
// answered: it is taken as having none, as a new user has (sponsors are
// added after the user exists), rather than read on its own, which a
// replica that has not seen it answers 404 (graph-semantics.md §2.3,
// "replication delays apply"). If it got sponsors meanwhile, the next run's
// $expand read lists them and its file is read again and written with them.
func (pc *pageReads) attach(page []map[string]any) error {
	kp := pc.uk.KeyProp()
	for _, ch := range pc.uk.Children {
		g, ok := pc.got[ch.Name]
		if !ok {
			continue
		}
		var left []map[string]any
		for _, o := range page {
			key, _ := o[kp].(string)
			items := g[strings.ToLower(key)]
			if len(items) >= expandLimit {
				left = append(left, o)
				continue
			}
			o[ch.Name] = childList(ch, items)
		}
		if len(left) > 0 {
			one := *pc.uk
			one.Children = []layout.Child{ch}
			if err := pc.r.children(pc.ctx, &one, left, pc.requests); err != nil {
				return err
			}
		}
	}
	if len(pc.rest) == 0 || len(page) == 0 {
		return nil
	}
	others := *pc.uk
	others.Children = pc.rest
	return pc.r.children(pc.ctx, &others, page, pc.requests)
}

// adder is w.add after attach, noting in res.held the objects that hold
// children.
func (pc *pageReads) adder(w *writer, res *deltaRead) func([]map[string]any) error {
	kp := pc.uk.KeyProp()
	if res.held == nil {
		res.held = []string{}
	}
	return func(page []map[string]any) error {
		if err := pc.attach(page); err != nil {
			return err
		}
		for _, o := range page {
			for _, ch := range pc.uk.Children {
				if l, _ := o[ch.Name].([]any); len(l) > 0 {
					key, _ := o[kp].(string)
					res.held = append(res.held, key)
					break
				}
			}
		}
		return w.add(page)
	}
}

// childNames lists k's children, for a message.
func childNames(k *layout.Kind) string {
	var names []string
	for _, c := range k.Children {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// directLicences keeps, in a user's assignedLicenses, only the licences
// assigned to the user directly. Graph's assignedLicenses holds inherited
// (group-based) licences too (learn:/graph/api/resources/user:
// "including inherited (group-based) licenses"); licenseAssignmentStates
// tells each assignment's source (assignedByGroup, null for a direct one).
// An inherited licence is the group's file's (its assignedLicenses) and
// comes back with the group and its members; storing it in every member's
// file would make restore assign it directly. When the read has no
// licenseAssignmentStates (a later round that did not return it), the
// assignedLicenses already held (the previous file's, direct) are kept.
// licenseAssignmentStates itself is not written (volatile: its state and
// error change as Entra processes assignments).
func directLicences(k *layout.Kind, o map[string]any) {
	if k.Name != "users" {
		return
	}
	states, present := o["licenseAssignmentStates"]
	if !present {
		return
	}
	direct := []any{}
	list, _ := states.([]any)
	for _, x := range list {
		st, ok := x.(map[string]any)
		if !ok || st["assignedByGroup"] != nil {
			continue
		}
		sku, _ := st["skuId"].(string)
		if sku == "" {
			continue
		}
		disabled, _ := st["disabledPlans"].([]any)
		if disabled == nil {
			disabled = []any{}
		}
		direct = append(direct, map[string]any{"skuId": sku, "disabledPlans": disabled})
	}
	o["assignedLicenses"] = direct
	delete(o, "licenseAssignmentStates")
}

// Users' sponsors on a delta day (issue 12). Graph's users delta does not
// track sponsors (graphsim/doc.go "Users' manager and sponsors"), and
// nothing on the user object says its sponsors changed. Reading every
// user's sponsors each run (the list's $expand, 100 users a page) costs
// about 1,000 requests at 100,000 users, whatever changed. What Graph does
// document: the directory audit log is "the history of every task
// performed in your tenant" (learn:/graph/api/resources/directoryaudit,
// azure-ad-auditlog-overview), each record naming its targetResources by
// id, filterable by activityDateTime ge (learn:/graph/api/directoryaudit-
// list). Adding or removing a sponsor is such a task on the user. So a
// delta day asks the log which objects were targets since the kind's last
// full read (less ReplicationMargin, as its records may carry an earlier
// time than the read that missed the change), and reads again the sponsors of
// those users only. The strict reading of what is not documented:
//   - the activity's name is not relied on (any record naming the user
//     counts, whatever its activity or result);
//   - a record's latency is unbounded: the window starts at the last full
//     read, not at the previous run, so a record that appears late is
//     still seen by the next run that reads the log, until the next full
//     read (--full-every) reads every user's sponsors anyway;
//   - sponsors are not only a guest's (learn:/entra/external-id/b2b-sponsors
//     speaks of "B2B users", which include external members, and userType
//     can change): no $filter on userType;
//   - a sponsor that is deleted leaves its users' lists and may come back
//     with a restore, without a record naming those users: a user whose
//     file names an object the log or the round names, or one that POST
//     /directoryObjects/getByIds no longer finds (a group deleted before
//     the log shows it), is read again, and a user once holding sponsors
//     stays watched (DeltaFrom.Held) until the next full read, read again
//     on any day the log names anything.
// Without the log (no AuditLog.Read.All, no licence, a failed read), when
// the last full read is older than the log keeps its records (PastAuditKeep:
// a --full-every longer than the retention, the records of the window's
// first days gone), or when more users are to be read again than the list's $expand costs, the
// delta day reads every user's sponsors from the list, as a full read
// does (said in progress). A sponsor change shows in the snapshot once its
// record is in the log (minutes: reference-log-latency); a full export
// sees it as soon as Graph's replicas do.

// AuditMargin covers the audit log's latency where a window ends at a run
// or a schedule's end: Microsoft published 2 minutes (95th percentile) and
// 5 minutes (99th) for it; 15 minutes covers both with room
// (exporter.AuditMargin, the attribution window, is the same; pimgroups.go
// reads again a group created this close to the last full read, or with a
// schedule ending this close to the run).
const AuditMargin = 15 * time.Minute

// ReplicationMargin is how far before the kind's last full read a delta
// day's audit window starts (users' sponsors, PIM for Groups). The log's
// latency does not decide it: a record that appears late is seen by the
// next run, as the window starts at the last full read every run. What
// does is replication: a change made shortly before the full read may not
// have reached the replica that answered it ("replication delays",
// learn:/graph/delta-query-overview; Graph documents no bound), and its
// record carries the change's time, before the full read. 15 minutes left
// such a change out until the next full read (exporter
// TestPIMGroupsConvergeUnderReplicationLag, at graphsim's lag of 40
// minutes); 2 hours is the lag graphsim's robustness test runs under, and
// costs only the objects the log names in those 2 hours, read again on
// each run until the next full read. A lag longer still is caught by the
// periodic full read (--full-every).
const ReplicationMargin = 2 * time.Hour

// AuditKeep is how long Graph keeps directory audit records without
// Microsoft Entra ID P1 or P2 (learn:/entra/identity/monitoring-health/
// reference-reports-data-retention: 7 days; 30 days with P1 or P2, which
// entrasnap does not rely on: a licence can lapse, and graphsim keeps 7 days
// without one, graphsim/doc.go).
const AuditKeep = 7 * 24 * time.Hour

// PastAuditKeep tells whether an audit window that starts at since (a
// kind's last full read), less ReplicationMargin, reaches back further than
// the log keeps its records at now: the records of its first hours may be
// gone, so the log can no longer tell what changed (users' sponsors, apps'
// and service principals' relationships, PIM for Groups: exporter). The one
// test of the retention for every kind the log drives.
func PastAuditKeep(since, now time.Time) bool {
	return now.Sub(since)+ReplicationMargin >= AuditKeep
}

// AuditKeepReason is why a kind the log drives is read whole past
// PastAuditKeep, as progress and the kind's note say it.
const AuditKeepReason = "older than the directory audit log keeps its records (7 days without Microsoft Entra ID P1 or P2)"

// auditNamed is the start of a scheduled run's plan of what to read again:
// the lower-case ids the directory audit log names since the kind's last
// full read (less ReplicationMargin). A nil map means the log cannot tell
// (past its retention, or not readable: note says why, naming uk's
// relationships for the permission's remedy) or err.
func (r *reader) auditNamed(ctx context.Context, uk *layout.Kind, from DeltaFrom, requests *atomic.Int64) (map[string]bool, string, error) {
	if note := pastAuditKeepNote(uk, from); note != "" {
		return nil, note, nil
	}
	named, err := r.auditTargets(ctx, from.Since.Add(-ReplicationMargin), requests)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		why := err.Error()
		if graph.IsForbidden(err) || graph.AsError(err) != nil && graph.AsError(err).Status == 401 {
			why = "grant the app " + AuditPermission + " to read only the changed " + uk.Title + "' " + childNames(uk)
		}
		return nil, childNames(uk) + " read for every object: the directory audit log cannot be read (" + layout.Safe(why) + ")", nil
	}
	if named == nil {
		named = map[string]bool{}
	}
	return named, "", nil
}

// pastAuditKeepNote is the note of a delta day that reads uk's untracked
// children for every object because the window from.Since starts is past
// the log's retention at from.Now (the run's start; now when unset), or ""
// when the log still holds the whole window.
func pastAuditKeepNote(uk *layout.Kind, from DeltaFrom) string {
	now := from.Now
	if now.IsZero() {
		now = time.Now()
	}
	if !PastAuditKeep(from.Since, now) {
		return ""
	}
	return childNames(uk) + " read for every object: the last full read is " + AuditKeepReason
}

// auditTargets reads the directory audit records since since, every
// activity and result, and returns the lower-case ids of their targets.
func (r *reader) auditTargets(ctx context.Context, since time.Time, requests *atomic.Int64) (map[string]bool, error) {
	recs, err := r.auditSince(ctx, since, requests)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, a := range recs {
		for _, t := range a.targets {
			out[t] = true
		}
	}
	return out, nil
}

// auditEntry is what a delta day needs of a directory audit record.
type auditEntry struct {
	service, category string
	targets           []string // lower-case ids
	groups            []string // the targets of type Group
}

// auditRead is one read of the audit log since a time, shared by the kinds
// that ask for the same window (users' sponsors and PIM for Groups, whose
// last full reads are usually the same run's).
type auditRead struct {
	once  sync.Once
	recs  []auditEntry
	pages int64
	err   error
}

// auditSince reads the directory audit records since since (once per
// window for the whole read). Each kind that uses it counts its pages in
// its own requests (KindResult.Requests is what the kind needed; Graph's
// traffic, Live.Requests, counts them once).
func (r *reader) auditSince(ctx context.Context, since time.Time, requests *atomic.Int64) ([]auditEntry, error) {
	since = since.UTC().Truncate(time.Second)
	r.auditMu.Lock()
	if r.audits == nil {
		r.audits = map[time.Time]*auditRead{}
	}
	ar := r.audits[since]
	if ar == nil {
		ar = &auditRead{}
		r.audits[since] = ar
	}
	r.auditMu.Unlock()
	ar.once.Do(func() { ar.recs, ar.pages, ar.err = r.readAuditLog(ctx, since) })
	requests.Add(ar.pages)
	return ar.recs, ar.err
}

func (r *reader) readAuditLog(ctx context.Context, since time.Time) ([]auditEntry, int64, error) {
	f := "activityDateTime ge " + since.UTC().Format("2006-01-02T15:04:05Z")
	var out []auditEntry
	var pages int64
	err := r.c.List(ctx, "/v1.0/auditLogs/directoryAudits?$top=999&$filter="+url.QueryEscape(f), func(items []json.RawMessage) error {
		pages++
		for _, it := range items {
			var a struct {
				Service  string `json:"loggedByService"`
				Category string `json:"category"`
				Targets  []struct {
					ID   string `json:"id"`
					Type string `json:"type"`
				} `json:"targetResources"`
			}
			if err := json.Unmarshal(it, &a); err != nil {
				return fmt.Errorf("a directory audit record: %w", err)
			}
			e := auditEntry{service: a.Service, category: a.Category}
			for _, t := range a.Targets {
				if t.ID != "" {
					e.targets = append(e.targets, strings.ToLower(t.ID))
					if strings.EqualFold(t.Type, "Group") {
						e.groups = append(e.groups, strings.ToLower(t.ID))
					}
				}
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		if graph.AsError(err) == nil && ctx.Err() == nil {
			pages++
		}
		return nil, pages, err
	}
	return out, pages, nil
}

// rereads is what a delta day reads again of a kind's untracked children
// (users' sponsors), decided from the audit log.
type rereads struct {
	// again: lower-case keys of objects with a previous file whose children
	// are read again (one request per object, through $batch).
	again map[string]bool
	// named: lower-case ids the log names (new objects among them are read
	// on their own, a 404 taken as not replicated yet).
	named map[string]bool
	// watched: the objects of DeltaFrom.Held still there, for the next
	// run's Held (with the ones read now that hold children).
	watched []string
}

// plannedRereads decides which users' sponsors a delta day reads again.
// prev maps lower-case keys to the previous files' paths. A nil plan (and
// a note) means the log cannot tell: every object's children are read.
func (r *reader) plannedRereads(ctx context.Context, uk *layout.Kind, from DeltaFrom, prev prevFiles,
	changes []*deltaChange, read func(string) ([]byte, error), requests *atomic.Int64) (*rereads, string, error) {
	if from.Since.IsZero() {
		return nil, "", nil
	}
	named, note, err := r.auditNamed(ctx, uk, from, requests)
	if named == nil {
		return nil, note, err
	}
	p := &rereads{again: map[string]bool{}, named: named}
	// Every id the log or the round names: a user's file that names one
	// (a sponsor deleted or restored) is read again.
	mentioned := maps.Clone(named)
	removed := map[string]bool{}
	for _, ch := range changes {
		mentioned[strings.ToLower(ch.id)] = true
		if ch.removed {
			removed[strings.ToLower(ch.id)] = true
		}
	}
	for lid := range prev {
		if named[lid] {
			p.again[lid] = true
		}
	}
	// The watched users' previous files: the sponsors they name (sponsor →
	// users), and those that name none now.
	refs := map[string][]string{}
	for _, key := range from.Held {
		lid := strings.ToLower(key)
		if removed[lid] {
			continue
		}
		p.watched = append(p.watched, key)
		f, had := prev[lid]
		path := f.path
		if !had || p.again[lid] {
			continue
		}
		data, err := read(path)
		if err != nil {
			return nil, "", fmt.Errorf("reading the previous %s: %w", path, err)
		}
		obj, err := layout.Decode(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		holds := false
		for _, ch := range uk.Children {
			list, _ := obj[ch.Name].([]any)
			for _, x := range list {
				holds = true
				if m, ok := x.(map[string]any); ok {
					sid := strings.ToLower(fmt.Sprint(m["id"]))
					refs[sid] = append(refs[sid], lid)
					if mentioned[sid] {
						p.again[lid] = true
					}
				}
			}
		}
		if !holds && len(mentioned) > 0 {
			p.again[lid] = true // watched without any now: a sponsor may come back
		}
	}
	// A sponsor deleted since (a group, whose deletion the users round does
	// not show, and whose record the log may not show yet): the users that
	// name it are read again. POST /directoryObjects/getByIds answers the
	// objects that exist, 1,000 ids a request (learn:/graph/api/
	// directoryobject-getbyids).
	gone, err := r.missingObjects(ctx, slices.Sorted(maps.Keys(refs)), requests)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, childNames(uk) + " read for every object: which sponsors still exist could not be read (" + layout.Safe(err.Error()) + ")", nil
	}
	for _, sid := range gone {
		for _, lid := range refs[sid] {
			p.again[lid] = true
		}
	}
	// Per object costs a request per 20 users ($batch); the list's $expand
	// one per 100: past a fifth of the users, the list is cheaper.
	if n := len(p.again); n > 0 && n*5 >= len(prev) {
		return nil, fmt.Sprintf("%s read for every object: the audit log names %d of %d since the last full read (reading them one by one would cost more)",
			childNames(uk), n, len(prev)), nil
	}
	return p, "", nil
}

// adder is w.add after reading the children of the page's objects: those
// with a previous file or that the log names, one request each through
// $batch; the other new ones are taken as holding none (watched: the log
// names them once its record of their creation appears). A 404 is an
// object not replicated yet (created or restored moments ago, graph-
// semantics.md §2.3): it keeps its previous file's children (none when
// new) and is watched, as the list's $expand leaves it out the same way
// (pageReads.attach). Objects written with children are noted in
// res.held.
func (p *rereads) adder(ctx context.Context, r *reader, uk *layout.Kind, prev prevFiles, w *writer, res *deltaRead, requests *atomic.Int64) func([]map[string]any) error {
	kp := uk.KeyProp()
	res.held = append([]string{}, p.watched...)
	return func(page []map[string]any) error {
		var ask []map[string]any
		for _, o := range page {
			key, _ := o[kp].(string)
			lid := strings.ToLower(key)
			_, had := prev[lid]
			if !had {
				for _, ch := range uk.Children {
					o[ch.Name] = []any{}
				}
			}
			if had || p.named[lid] {
				ask = append(ask, o)
			} else {
				res.held = append(res.held, key)
			}
		}
		lagging, err := r.childrenOrLagging(ctx, uk, ask, requests)
		if err != nil {
			return err
		}
		for _, o := range ask {
			key, _ := o[kp].(string)
			if lagging[strings.ToLower(key)] {
				res.held = append(res.held, key)
				continue
			}
			for _, ch := range uk.Children {
				if l, _ := o[ch.Name].([]any); len(l) > 0 {
					res.held = append(res.held, key)
					break
				}
			}
		}
		return w.add(page)
	}
}

// childrenOrLagging reads the children of objs (one GET per object and
// child, through $batch) and attaches them; an object Graph answers 404
// for keeps what it holds and is returned (lower-case key). Any other
// failure fails the kind.
func (r *reader) childrenOrLagging(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) (map[string]bool, error) {
	lagging := map[string]bool{}
	if len(objs) == 0 || len(k.Children) == 0 {
		return lagging, nil
	}
	kp := k.KeyProp()
	type target struct {
		obj   map[string]any
		child layout.Child
	}
	var reqs []graph.BatchRequest
	var targets []target
	for _, ch := range k.Children {
		q := query(selectParam(ch.Select))
		for _, o := range objs {
			key, _ := o[kp].(string)
			reqs = append(reqs, graph.BatchRequest{ID: fmt.Sprintf("%d", len(reqs)+1), Method: "GET",
				URL: "/" + k.APIVersion + childBase(k, ch) + "/" + url.PathEscape(key) + "/" + ch.Path + q})
			targets = append(targets, target{o, ch})
		}
	}
	requests.Add(int64((len(reqs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize))
	resps, err := r.c.Batch(ctx, reqs)
	if err == nil && len(resps) != len(reqs) {
		err = fmt.Errorf("$batch answered %d of %d requests", len(resps), len(reqs))
	}
	if err != nil {
		return nil, kindError(k, childNames(k)+" of "+k.Title, err, nil)
	}
	failed := 0
	var first error
	for i, resp := range resps {
		t := targets[i]
		if err := resp.Err(); err != nil {
			if graph.IsNotFound(err) {
				key, _ := t.obj[kp].(string)
				lagging[strings.ToLower(key)] = true
				continue
			}
			failed++
			first = cmp.Or(first, err)
			continue
		}
		items, err := r.childPages(ctx, resp.Body, requests)
		if err != nil {
			failed++
			first = cmp.Or(first, err)
			continue
		}
		t.obj[t.child.Name] = childList(t.child, items)
	}
	if failed > 0 {
		perms := append([]string(nil), k.ReadPermissions...)
		for _, ch := range k.Children {
			perms = append(perms, ch.ReadPermissions...)
		}
		return nil, kindError(k, fmt.Sprintf("%s of %d of %d %s", childNames(k), failed, len(objs), k.Title), first, r.named(perms))
	}
	return lagging, nil
}

// missingObjects returns the ids (lower case) of ids that name no
// directory object Graph serves now (FoundObjects).
func (r *reader) missingObjects(ctx context.Context, ids []string, requests *atomic.Int64) ([]string, error) {
	found, err := FoundObjects(ctx, r.c, ids, requests)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, id := range ids {
		if !found[strings.ToLower(id)] {
			gone = append(gone, strings.ToLower(id))
		}
	}
	return gone, nil
}

// FoundObjects returns the ids (lower case) of those of ids that name a
// directory object Graph serves now: POST /directoryObjects/getByIds with
// $select=id, 1,000 ids a request, resent after a lost answer or a server
// error as the read it is. requests, when not nil, counts the requests. An
// answer without a value array is an error: it cannot tell what exists.
func FoundObjects(ctx context.Context, c *graph.Client, ids []string, requests *atomic.Int64) (map[string]bool, error) {
	found := map[string]bool{}
	for i := 0; i < len(ids); i += 1000 {
		chunk := ids[i:min(i+1000, len(ids))]
		if requests != nil {
			requests.Add(1)
		}
		resp, err := c.Post(ctx, "/v1.0/directoryObjects/getByIds?$select=id", map[string]any{"ids": chunk}, graph.RetryNonIdempotent())
		if err != nil {
			return nil, err
		}
		var page struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil || page.Value == nil {
			return nil, fmt.Errorf("getByIds answered no value array")
		}
		for _, v := range page.Value {
			found[strings.ToLower(v.ID)] = true
		}
	}
	return found, nil
}
