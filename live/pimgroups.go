package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// PIM for Groups (layout/catalog_pimgroups.go). Graph lists the schedules
// only with $filter=groupId eq '...' or principalId eq '...'
// (privilegedaccessgroup-list-eligibilityschedules, -assignmentschedules),
// so the read needs the groups first (id and the properties that say
// whether PIM can govern the group: from the groups kind's full read in
// the same run, groupCensus, else a list of its own), then the schedules
// of each group PIM can govern, 20 lists per $batch envelope; a list with
// a next page is read to its end. Activations (assignmentType activated) are left out of
// the assignments: they are the eligibility's, which is kept.

func init() {
	customReads["group-eligibility-schedules"] = (*reader).readGroupSchedules
	customReads["group-assignment-schedules"] = (*reader).readGroupSchedules
}

// pimGovernable says whether PIM for Groups can govern group g: security
// and Microsoft 365 groups, not dynamic ones nor groups synchronized from
// on-premises (learn:/entra/id-governance/privileged-identity-management/concept-pim-for-groups).
func pimGovernable(g map[string]any) bool {
	if b, _ := g["onPremisesSyncEnabled"].(bool); b {
		return false
	}
	unified := false
	types, _ := g["groupTypes"].([]any)
	for _, t := range types {
		s, _ := t.(string)
		if strings.EqualFold(s, "DynamicMembership") {
			return false
		}
		unified = unified || strings.EqualFold(s, "Unified")
	}
	sec, _ := g["securityEnabled"].(bool)
	return sec || unified
}

func (r *reader) readGroupSchedules(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	if c := r.census; c != nil && c.version == k.APIVersion {
		return r.readGroupSchedulesStreamed(ctx, k, c, requests)
	}
	groups, _, _, err := r.pimGroups(ctx, k, requests)
	if err != nil {
		return nil, err
	}
	return r.schedulesOf(ctx, k, groups, requests)
}

// pimGroupList is the one list of the groups that both PIM for Groups
// kinds read (their schedules are listed group by group): one read shares
// it, as auditRead shares the audit log (at 20,000 groups, 21 pages of 999
// instead of 42). Its slices and maps are read only once made (sorted).
type pimGroupList struct {
	once    sync.Once
	groups  []string             // governed, sorted (sorted makes it)
	created map[string]time.Time // governed, by lower-case id
	listed  map[string]bool      // every group, by lower-case id
	// governed: the governed groups' ids as listed, by lower-case id,
	// until sorted makes groups.
	governed map[string]string
	pages    int64
	err      error
}

// pimGroups lists the groups PIM can govern, by id, sorted, when each was
// created (createdDateTime) and every group listed, by lower-case id. The
// list is read once per read and per API version; each kind that asks
// counts its pages in its own requests (as auditSince does).
func (r *reader) pimGroups(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]string, map[string]time.Time, map[string]bool, error) {
	r.pimMu.Lock()
	if r.pimLists == nil {
		r.pimLists = map[string]*pimGroupList{}
	}
	l := r.pimLists[k.APIVersion]
	if l == nil {
		l = &pimGroupList{}
		r.pimLists[k.APIVersion] = l
	}
	r.pimMu.Unlock()
	l.once.Do(func() { l.read(ctx, r.c, "/"+k.APIVersion) })
	requests.Add(l.pages)
	if l.err != nil {
		return nil, nil, nil, kindError(k, "list the groups for", l.err, r.named(k.ReadPermissions))
	}
	return l.groups, l.created, l.listed, nil
}

func (l *pimGroupList) read(ctx context.Context, c *graph.Client, base string) {
	q := url.Values{"$select": {"id,groupTypes,securityEnabled,onPremisesSyncEnabled,createdDateTime"}, "$top": {"999"}}
	l.err = c.List(ctx, base+"/groups?"+q.Encode(), func(items []json.RawMessage) error {
		l.pages++
		for _, it := range items {
			g, err := decodeObject(it)
			if err != nil {
				return err
			}
			if err := l.add(g); err != nil {
				return err
			}
		}
		return nil
	})
	l.sorted()
}

// add notes group g (id and the properties pimGovernable reads); a group
// listed again is taken as listed last, as the groups kind's writer keeps
// an object Graph repeats (files.go): a delta round's later page holds the
// group's later state.
func (l *pimGroupList) add(g map[string]any) error {
	if l.listed == nil {
		l.listed, l.created, l.governed = map[string]bool{}, map[string]time.Time{}, map[string]string{}
	}
	id, _ := g["id"].(string)
	if id == "" {
		return fmt.Errorf("Graph returned a group without id")
	}
	lid := strings.ToLower(id)
	l.listed[lid] = true
	if !pimGovernable(g) {
		delete(l.governed, lid)
		delete(l.created, lid)
		return nil
	}
	l.governed[lid] = id
	s, _ := g["createdDateTime"].(string)
	t, _ := time.Parse(time.RFC3339, s) // none or unreadable: zero, read again (pimGroupsSince)
	l.created[lid] = t
	return nil
}

// sorted makes groups from governed.
func (l *pimGroupList) sorted() {
	l.groups = make([]string, 0, len(l.governed))
	for _, id := range l.governed {
		l.groups = append(l.groups, id)
	}
	sort.Strings(l.groups)
	l.governed = nil
}

// groupCensus is PIM for Groups' groups list made from the groups kind's
// full read in the same run: every group the groups kind's writer is
// given, whose $select holds what pimGovernable reads and createdDateTime
// (layout's groupSelect). With it the PIM kinds need no groups list of
// their own (issue 12: 5 units at 4,000 groups, 21 at 20,000). readAll
// makes it when both are read and the groups kind does not resume from a
// deltaLink (a later round gives only the groups that changed; the others'
// properties are in their previous files, and decoding every one of those
// costs more than the list's pages: docs/design.md); the PIM kinds list
// the groups themselves when the groups read failed or resumed.
//
// A full read of the PIM kinds does not wait for the census to end: the
// groups read streams the groups PIM can govern as its pages arrive
// (seen: a delta round's items, before the round merges them), and the
// schedules of those groups are read while the round goes on
// (readGroupSchedulesStreamed). Issue 12, row b1: at 20,000 groups the
// schedules are 39,800 of a full export's 44,158 units, and asked for
// only after the groups round they took half the run's time in pacing
// waits once the bucket's first fill was spent.
type groupCensus struct {
	l       pimGroupList
	version string // the groups kind's API version
	done    chan struct{}
	end     sync.Once

	mu sync.Mutex
	// early are the groups PIM can govern as first seen, in that order:
	// those of the groups read's pages so far. The census's end decides
	// (a group seen again may no longer be governed).
	early     []string
	earlySeen map[string]bool
	wake      chan struct{} // closed and replaced when early grows
	// looked and again count the objects seen was given, and of them those
	// it had noted already (tests: a group is looked at once).
	looked, again int
}

// add notes the groups a writer is given (files.go); noted says seen was
// given them already, item by item, as a delta round's pages arrived
// (delta.go, readDelta): the writer gets the round's merged objects, and a
// second look at each would find it noted (earlySeen). Objects from a
// plain list (listInto, readOnly) are seen here.
func (c *groupCensus) add(objs []map[string]any, noted bool) {
	for _, g := range objs {
		_ = c.l.add(g) // (a group without id fails the writer)
	}
	if !noted {
		c.seen(objs)
	}
}

// seen notes the groups of a page as they arrive, before a delta round
// merges them: the governed ones may have their schedules read at once.
func (c *groupCensus) seen(objs []map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	grew := false
	c.looked += len(objs)
	for _, g := range objs {
		id, _ := g["id"].(string)
		if id == "" || g["@removed"] != nil || !pimGovernable(g) {
			continue
		}
		lid := strings.ToLower(id)
		if c.earlySeen == nil {
			c.earlySeen = map[string]bool{}
		}
		if c.earlySeen[lid] {
			c.again++
			continue
		}
		c.earlySeen[lid] = true
		c.early = append(c.early, id)
		grew = true
	}
	if grew && c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// next returns n groups seen after the first from, once there are n of
// them (so that a Batch call of n, a multiple of graph.MaxBatchSize, fills
// its envelopes), or, ended true, all that are left once the census has
// ended.
func (c *groupCensus) next(ctx context.Context, from, n int) (ids []string, ended bool, err error) {
	for {
		c.mu.Lock()
		select {
		case <-c.done:
			ended = true
		default:
		}
		if ended || len(c.early)-from >= n {
			end := len(c.early)
			if !ended {
				end = from + n
			}
			ids = c.early[from:end:end]
			c.mu.Unlock()
			return ids, ended, nil
		}
		if c.wake == nil {
			c.wake = make(chan struct{})
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-c.done:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// finish ends the census: when the groups were read in full (complete),
// its list becomes the one the PIM kinds of its API version read.
func (r *reader) finishCensus(complete bool) {
	c := r.census
	if c == nil {
		return
	}
	c.end.Do(func() {
		if complete {
			c.l.sorted()
			c.l.once.Do(func() {})
			r.pimMu.Lock()
			if r.pimLists == nil {
				r.pimLists = map[string]*pimGroupList{}
			}
			r.pimLists[c.version] = &c.l
			r.pimMu.Unlock()
		}
		close(c.done)
	})
}

// readGroupSchedulesStreamed is the full read of a PIM for Groups kind
// beside the groups kind's full read (census): the schedules of the
// groups PIM can govern, pimStreamGroups at a time as the groups read sees
// them, then, once the groups list is final (the census's, or the kind's
// own list when the groups read failed or resumed), of those not read yet.
// The result is that of readGroupSchedules: the groups of the final list,
// in its order, each with its schedules (those of a group read early that
// the final list leaves out are dropped, as is an error reading them).
func (r *reader) readGroupSchedulesStreamed(ctx context.Context, k *layout.Kind, c *groupCensus, requests *atomic.Int64) ([]map[string]any, error) {
	read := map[string]groupSchedules{} // by lower-case id
	for from := 0; ; {
		ids, ended, err := c.next(ctx, from, pimStreamGroups)
		if err != nil {
			return nil, err
		}
		if ended {
			break
		}
		from += len(ids)
		got, err := r.schedulesOfBatch(ctx, k, ids, requests)
		if err != nil {
			return nil, err
		}
		for i, g := range ids {
			read[strings.ToLower(g)] = got[i]
		}
	}
	groups, _, _, err := r.pimGroups(ctx, k, requests)
	if err != nil {
		return nil, err
	}
	var rest []string
	for _, g := range groups {
		if _, ok := read[strings.ToLower(g)]; !ok {
			rest = append(rest, g)
		}
	}
	for lo := 0; lo < len(rest); lo += pimBatchGroups {
		part := rest[lo:min(lo+pimBatchGroups, len(rest))]
		got, err := r.schedulesOfBatch(ctx, k, part, requests)
		if err != nil {
			return nil, err
		}
		for i, g := range part {
			read[strings.ToLower(g)] = got[i]
		}
	}
	var objs []map[string]any
	for _, g := range groups {
		gs := read[strings.ToLower(g)]
		if gs.err != nil {
			return nil, gs.err
		}
		objs = append(objs, gs.objs...)
	}
	return objs, nil
}

// pimBatchGroups is how many groups' schedules schedulesOf asks for in one
// Batch call (50 envelopes of 20 lists): a call holds every item's request
// and answer until its last envelope is answered, so a full read of 20,000
// groups at once held about 20 MB per kind (issue 12, peak memory; it also
// had a goroutine per envelope then). A multiple of graph.MaxBatchSize: the
// envelopes, and the requests counted, are those of one call.
var pimBatchGroups = 50 * graph.MaxBatchSize // (a test sets it lower)

// pimStreamGroups is how many groups' schedules readGroupSchedulesStreamed
// asks for in one Batch call while the groups round goes on (10 envelopes
// of 20 lists): the groups seen when the round ends, fewer than this, are
// read after it, so a smaller call leaves less for the run's end. In
// BenchmarkThrottledReadModel (a model of bench row b1; the least it can
// take is 0.82× its bound), calls of 1,000 groups took 0.92× the bound,
// of 400 0.86×, of 200 0.85×, of 100 0.87× (2026-12-07).
var pimStreamGroups = 10 * graph.MaxBatchSize // (a test sets it lower)

// schedulesOf reads the schedules of groups, 20 lists per $batch envelope,
// pimBatchGroups groups at a time.
func (r *reader) schedulesOf(ctx context.Context, k *layout.Kind, groups []string, requests *atomic.Int64) ([]map[string]any, error) {
	var objs []map[string]any
	for lo := 0; lo < len(groups); lo += pimBatchGroups {
		got, err := r.schedulesOfBatch(ctx, k, groups[lo:min(lo+pimBatchGroups, len(groups))], requests)
		if err != nil {
			return nil, err
		}
		for _, gs := range got {
			if gs.err != nil {
				return nil, gs.err
			}
			objs = append(objs, gs.objs...)
		}
	}
	return objs, nil
}

// groupSchedules is one group's schedules, or why they could not be read.
type groupSchedules struct {
	objs []map[string]any
	err  error
}

// schedulesOfBatch reads the schedules of groups in one Batch call: one
// groupSchedules per group, in their order. The error is that of the whole
// call (the context's, or no answer at all).
func (r *reader) schedulesOfBatch(ctx context.Context, k *layout.Kind, groups []string, requests *atomic.Int64) ([]groupSchedules, error) {
	base := "/" + k.APIVersion
	path := func(g string) string {
		return base + k.ListPath + "?" + url.Values{"$filter": {"groupId eq '" + g + "'"}}.Encode()
	}
	reqs := make([]graph.BatchRequest, 0, len(groups))
	for i, g := range groups {
		reqs = append(reqs, graph.BatchRequest{ID: fmt.Sprint(i + 1), Method: "GET", URL: path(g)})
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	requests.Add(int64((len(reqs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize))
	resps, berr := r.c.Batch(ctx, reqs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if resps == nil && berr != nil {
		return nil, kindError(k, fmt.Sprintf("list the schedules of %d groups for", len(groups)), berr, r.named(k.ReadPermissions))
	}
	out := make([]groupSchedules, len(groups))
	for i, resp := range resps {
		out[i] = r.groupSchedulesOf(ctx, k, groups[i], path(groups[i]), resp, requests)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// groupSchedulesOf is group g's schedules from its list's answer in a
// $batch (resp), the rest of the list read when it has a next page.
// Activations (assignmentType activated) are left out: the eligibility is
// kept.
func (r *reader) groupSchedulesOf(ctx context.Context, k *layout.Kind, g, path string, resp graph.BatchResponse, requests *atomic.Int64) groupSchedules {
	what := "list the schedules of group " + layout.Safe(g) + " for"
	var objs []map[string]any
	keep := func(o map[string]any) {
		if t, _ := o["assignmentType"].(string); strings.EqualFold(t, "activated") {
			return // an activation: its eligibility is kept
		}
		objs = append(objs, o)
	}
	if err := resp.Err(); err != nil {
		return groupSchedules{err: kindError(k, what, err, r.named(k.ReadPermissions))}
	}
	var page struct {
		Value    []json.RawMessage `json:"value"`
		NextLink string            `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		return groupSchedules{err: kindError(k, what, err, nil)}
	}
	if page.NextLink != "" { // more than a page: read the whole list
		err := r.c.List(ctx, path, func(items []json.RawMessage) error {
			requests.Add(1)
			for _, it := range items {
				o, err := decodeObject(it)
				if err != nil {
					return err
				}
				keep(o)
			}
			return nil
		})
		if err != nil {
			return groupSchedules{err: kindError(k, what, err, r.named(k.ReadPermissions))}
		}
		return groupSchedules{objs: objs}
	}
	for _, it := range page.Value {
		o, err := decodeObject(it)
		if err != nil {
			return groupSchedules{err: kindError(k, what, err, nil)}
		}
		keep(o)
	}
	return groupSchedules{objs: objs}
}

// PIM for Groups on a later run (issue 12). A full read costs a schedules
// list per governable group (20 to a $batch envelope: about 1,000 envelopes
// per kind at 20,000 groups), whatever changed. Graph has no delta function
// for the schedules, so a later run (ReadOptions.Delta, DeltaFrom without
// Link) reads again only the groups whose schedules may have changed since
// the kind's last full read, and carries the other groups' files as they
// are:
//   - a group the directory audit log names in a record since the last full
//     read (less ReplicationMargin, as users' sponsors: users.go). PIM records its
//     writes there: category GroupManagement, activities "Add eligible member
//     to role in PIM completed (permanent)", "Remove member from role in PIM
//     completed (timebound)", ... (learn:/entra/identity/monitoring-health/
//     reference-audit-activities, "Privileged Identity Management (PIM)"),
//     logged by the service Graph names "Privileged Identity Management"
//     (learn:/graph/api/resources/directoryaudit, loggedByService; "PIM" in
//     the records themselves). Which targets such a record names is not
//     documented: any record naming the group counts, whatever its activity,
//     and a PIM record of category GroupManagement that names no group PIM
//     governs now, nor one a previous file names, nor a target of type
//     Group that the groups list no longer shows (deleted since: nothing to
//     read), means the log cannot tell which group changed: the kind is
//     read in full;
//   - a group created since (its createdDateTime, from the groups list the
//     read starts with: a group created with schedules is read even before
//     its records appear), or restored or changed (the log names it);
//   - a group whose previous files name a principal the log names (a user
//     deleted or restored);
//   - a group whose previous files name a principal that is neither a user
//     of the previous snapshot nor a group of this run's groups list
//     (gonePrincipals): a deleted principal's schedules stay listed 7 days,
//     then a clean-up removes them and writes no record (graph-semantics:
//     undocumented, observed; graphsim/doc.go), so the log cannot tell when;
//     the group is read each run until its files no longer name the
//     principal;
//   - a group with a schedule whose end is before the run's start plus
//     AuditMargin (DeltaFrom.Now): Graph ends it at its time, with no record
//     we rely on;
//   - and the first governed group, every run: a permission withdrawn or a
//     licence lapsed then shows as a full read would show it.
// A change shows once its record is in the log (minutes: the window starts
// at the last full read, so a record that appears late is still seen by the
// next run), and once Graph's replicas show its schedules (a run that reads
// the group before they do reads it again the next run, as long as the
// record is in the window). A group PIM no longer governs (deleted, made dynamic) loses its files, as
// a full read does not read it. When the log cannot be read (no
// AuditLog.Read.All, a 403, a failed page) the kind is read in full and
// progress says why (NoteProgress, KindResult.Note); so does the exporter
// when the log's retention may have passed since the last full read.

// auditKinds are the kinds a later run reads again only where the audit
// log says they may have changed.
var auditKinds = map[string]bool{"group-eligibility-schedules": true, "group-assignment-schedules": true}

// AuditKinds are the kinds that resume from the audit log (ReadOptions.Delta
// with Paths, Read, Since and Now; no Link), sorted.
func AuditKinds() []string {
	return []string{"group-assignment-schedules", "group-eligibility-schedules"}
}

// auditFrom is where a kind of auditKinds resumes, if it does. Only such a
// kind's read looks at r.delta: readAll sets it (ReadOptions.Later) while
// the other kinds are read, and these kinds wait for it.
func (r *reader) auditFrom(k *layout.Kind) (DeltaFrom, bool) {
	if !auditKinds[k.Name] {
		return DeltaFrom{}, false
	}
	from, ok := r.delta[k.Name]
	return from, ok
}

// pimService says whether a record was logged by PIM.
func pimService(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "pim" || strings.Contains(s, "privileged identity management")
}

// prevSchedule is what a later run needs of a previous schedule file.
type prevSchedule struct {
	path, key        string
	group, principal string // lower-case
	end              time.Time
}

// readGroupSchedulesSince is a later run's read of k (see above): the
// objects read again, and the previous files carried in res.
func (r *reader) readGroupSchedulesSince(ctx context.Context, k *layout.Kind, from DeltaFrom, requests *atomic.Int64) ([]map[string]any, *deltaRead, error) {
	full := func(note string) ([]map[string]any, *deltaRead, error) {
		if np, ok := r.progress.(NoteProgress); ok {
			np.KindNote(k.Name, note)
		}
		objs, err := r.readGroupSchedules(ctx, k, requests)
		return objs, &deltaRead{mode: "full", note: note}, err
	}
	paths, read := from.Paths, from.Read
	if from.Files != nil {
		paths = make([]string, 0, len(from.Files))
		for p := range from.Files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		read = func(p string) ([]byte, error) { return from.Files[p], nil }
	}
	if read == nil && len(paths) > 0 {
		return full("full read: no way to read the previous files")
	}
	prev := make([]prevSchedule, 0, len(paths))
	prevGroups := map[string]bool{}
	for _, p := range paths {
		fk, key, err := layout.Locate(p)
		if err != nil || fk != k {
			return full("full read: previous file " + layout.Safe(p) + " is not a " + k.Name + " file")
		}
		data, err := read(p)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return full("full read: the previous " + layout.Safe(p) + " cannot be read (" + layout.Safe(err.Error()) + ")")
		}
		obj, err := layout.Decode(data)
		g, _ := obj["groupId"].(string)
		if err != nil || g == "" {
			return full("full read: the previous " + layout.Safe(p) + " names no group")
		}
		ps := prevSchedule{path: p, key: key, group: strings.ToLower(g)}
		p, _ := obj["principalId"].(string)
		ps.principal = strings.ToLower(p)
		if info, ok := obj["scheduleInfo"].(map[string]any); ok {
			if exp, ok := info["expiration"].(map[string]any); ok {
				if s, ok := exp["endDateTime"].(string); ok && s != "" {
					if ps.end, err = time.Parse(time.RFC3339, s); err != nil {
						return full("full read: the previous " + layout.Safe(p) + " has an end that is not a time")
					}
				}
			}
		}
		prev = append(prev, ps)
		prevGroups[ps.group] = true
	}
	groups, created, listed, err := r.pimGroups(ctx, k, requests)
	if err != nil {
		return nil, nil, err
	}
	if from.Since.IsZero() {
		return full("full read: the time of the last full read is unknown")
	}
	// The records since the last full read, less ReplicationMargin (a
	// change the full read's replica did not show yet: users.go); the
	// groups created since it, less AuditMargin (read before their records
	// appear).
	since := from.Since.Add(-AuditMargin)
	recs, err := r.auditSince(ctx, from.Since.Add(-ReplicationMargin), requests)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		why := err.Error()
		if graph.IsForbidden(err) || graph.AsError(err) != nil && graph.AsError(err).Status == 401 {
			why = "grant the app " + AuditPermission + " to read only the groups whose schedules changed"
		}
		return full("full read: the directory audit log cannot be read (" + layout.Safe(why) + ")")
	}
	governed := make(map[string]bool, len(groups))
	for _, g := range groups {
		governed[strings.ToLower(g)] = true
	}
	named := map[string]bool{}
	for _, a := range recs {
		tells := false
		for _, t := range a.targets {
			named[t] = true
			tells = tells || governed[t] || prevGroups[t]
		}
		for _, g := range a.groups {
			tells = tells || !listed[g] // a group gone since: nothing to read
		}
		if pimService(a.service) && strings.EqualFold(a.category, "GroupManagement") && !tells {
			return full("full read: the directory audit log has a PIM for Groups record that names no group PIM governs")
		}
	}
	now := from.Now
	if now.IsZero() {
		now = time.Now()
	}
	again := map[string]bool{}
	if len(groups) > 0 {
		// One group's schedules at least, every run: the read then meets
		// what Graph says of the kind today (a permission withdrawn: 403; a
		// licence lapsed: 400 AadPremiumLicenseRequired) as a full read
		// would, instead of carrying the files as if read.
		again[strings.ToLower(groups[0])] = true
	}
	for _, g := range groups {
		lg := strings.ToLower(g)
		if c := created[lg]; named[lg] || c.IsZero() || !c.Before(since) {
			again[lg] = true
		}
	}
	gone := r.gonePrincipals(listed)
	for _, f := range prev {
		if governed[f.group] && (named[f.principal] || gone(f.principal) || !f.end.IsZero() && f.end.Before(now.Add(AuditMargin))) {
			again[f.group] = true
		}
	}
	res := &deltaRead{mode: "delta", read: read}
	for _, f := range prev {
		if governed[f.group] && !again[f.group] {
			c := prepared{path: f.path, key: f.key}
			if from.Files != nil {
				c.data = from.Files[f.path]
			}
			res.carried = append(res.carried, c)
		}
	}
	var ask []string
	for _, g := range groups {
		if again[strings.ToLower(g)] {
			ask = append(ask, g)
		}
	}
	objs, err := r.schedulesOf(ctx, k, ask, requests)
	if err != nil {
		return nil, nil, err
	}
	return objs, res, nil
}

// gonePrincipals says which principals a previous schedule file names that
// are no longer a live user or group: neither a user of the previous
// snapshot (its users files: the users kind's read of the last run) nor a
// group of this run's groups list (listed). PIM for Groups' principals are
// users and groups (learn:/graph/api/resources/privilegedaccessgroupeligibilityschedule,
// principalId); another type would be read again each run, which costs
// its group's lists and changes nothing. A principal deleted since the
// last run is still in the previous users files, but its delete record
// names it (the rule above); from the next run on it is not in them. When
// this run does not read the users kind, or the previous snapshot holds no
// users files, nothing is known of the users: no principal is taken as
// gone (the log's records and the next full read remain).
func (r *reader) gonePrincipals(listed map[string]bool) func(principal string) bool {
	uk, ok := layout.Lookup("users")
	if !ok || !r.readsUsers || r.previousPaths == nil {
		return func(string) bool { return false }
	}
	// The users' map is made at the first principal that is not a listed
	// group (none: a tenant whose schedules name groups only, or none).
	var once sync.Once
	var users map[string]bool
	return func(p string) bool {
		if p == "" || listed[p] {
			return false
		}
		once.Do(func() {
			paths := r.previousPaths(uk)
			users = make(map[string]bool, len(paths))
			for _, path := range paths {
				if fk, key, err := layout.Locate(path); err == nil && fk == uk {
					users[strings.ToLower(key)] = true
				}
			}
		})
		return len(users) > 0 && !users[p]
	}
}
