package importer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// byIDReads are the kinds a plan reads by id rather than whole
// (live.ReadOptions.Only), with the lower-case ids to read: a restore of a
// thousand users reads those users, not the tenant's hundred thousand
// (issue 12 row f), in its plan, in apply's check that the tenant did not
// change since and in its verification; so are groups and service
// principals (live.OnlyKinds).
//
// A kind of live.OnlyKinds is read by id when the plan only updates,
// restores or recreates selected objects of it: not when the kind is
// selected whole (its live objects missing at REV are deleted), a file of
// it is deleted (fromfiles.go), it is read to plan another kind
// (layout.Kind.AdvisoryReads, read whole), or an interrupted restore left a
// create of it in doubt (indoubt.go finds the object Graph made by its name
// among all those of the kind). The ids are the selected objects' keys and
// the ids the selection references (each also through the id map), so
// that what the plan checks of them (that they exist: checkRefs) is known
// as for a kind read whole; an id referenced that is not read (a reference
// that may be of several kinds) is asked about as before.
func byIDReads(in *Input, sel Selection, kinds []*layout.Kind, advisory map[string]bool, journal []journalEntry) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, k := range kinds {
		if slices.Contains(live.OnlyKinds, k.Name) && !slices.Contains(sel.Kinds, k.Name) && !advisory[k.Name] {
			out[k.Name] = map[string]bool{}
		}
	}
	for _, d := range in.Removed {
		delete(out, d.Kind.Name)
	}
	// The PIM for Groups kinds read with groups read by id read only those
	// groups' schedules (live.ReadOptions.Only): fine to plan selected
	// schedules (their groups are among the ids), not a kind restored whole
	// or a schedule's file deleted, which need every live one.
	for _, pk := range live.AuditKinds() {
		if slices.Contains(sel.Kinds, pk) || slices.ContainsFunc(in.Removed, func(d *Object) bool { return d.Kind.Name == pk }) {
			delete(out, "groups")
		}
	}
	for _, e := range journal {
		if e.New == "" {
			delete(out, e.Kind)
		}
	}
	if len(out) == 0 {
		return nil
	}
	add := func(kind, id string) {
		ids := out[kind]
		if ids == nil {
			return
		}
		ids[strings.ToLower(id)] = true
		if n, ok := in.IDMap.Resolve(id); ok && n != "" {
			ids[strings.ToLower(n)] = true
		}
	}
	sps := map[string]bool{}
	for _, d := range in.Desired {
		add(d.Kind.Name, d.Key)
		for _, r := range d.Kind.Refs {
			r.Walk(d.Data, func(id string) string {
				for _, rk := range r.Kinds {
					add(rk, id)
				}
				return id
			})
		}
		if d.Kind.Name == "service-principals" {
			sps[strings.ToLower(d.Key)] = true
		}
	}
	// A service principal's app role assignments are kept in the files of
	// the resources it is assigned to (appRoleAssignedTo): those are asked
	// too, as the plan grants them again on the live resource
	// (apps.go indexHeld, clientAssignment).
	if out["service-principals"] != nil && len(sps) > 0 {
		for _, o := range in.Others {
			if o.Kind.Name != "service-principals" {
				continue
			}
			for _, it := range asSlice(o.Data["appRoleAssignedTo"]) {
				if m, ok := it.(map[string]any); ok && sps[strings.ToLower(str(m["principalId"]))] {
					add("service-principals", o.Key)
				}
			}
		}
	}
	return out
}

// namedBefore notes, for each selected object of a kind read by id that is
// neither live nor in a recycle bin (the plan creates it), the objects of
// the kind that hold its name now (live.Named: one request per name). If a
// create's answer is lost, settleInDoubt takes as Graph's the object with
// its name that was not in the tenant when the plan was checked, and a
// kind read by id does not tell which others were: a user of the same name
// made long before would be taken for it. A name that cannot be asked
// (no NameFilter, or Graph refused) is noted as unknown: such a create
// whose answer is lost stays failed, and a re-run reads the kind whole
// (its journal entry is in doubt).
func namedBefore(ctx context.Context, c *graph.Client, in *Input) error {
	asked := map[string]bool{}
	for _, d := range in.Desired {
		k := d.Kind
		if in.readByID[k.Name] == nil {
			continue
		}
		key := d.Key
		if n, ok := in.IDMap.Resolve(key); ok && n != "" {
			key = n
		}
		if in.Live[k.Name][strings.ToLower(key)] != nil || in.Deleted[strings.ToLower(key)] != nil {
			continue
		}
		name := str(d.Data[k.NameFilter])
		if k.NameFilter == "" || name == "" {
			in.notNamed(k.Name)
			continue
		}
		if asked[k.Name+"\x00"+name] {
			continue
		}
		asked[k.Name+"\x00"+name] = true
		objs, err := live.Named(ctx, c, k, name)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			in.notNamed(k.Name)
			continue
		}
		if in.named == nil {
			in.named = map[string]map[string]*Object{}
		}
		if in.named[k.Name] == nil {
			in.named[k.Name] = map[string]*Object{}
		}
		for _, o := range objs {
			if key := str(o[k.KeyProp()]); key != "" {
				in.named[k.Name][strings.ToLower(key)] = &Object{Kind: k, Key: key, Data: o}
			}
		}
	}
	return nil
}

// notNamed notes that the objects named as a create of kind were not all
// asked for (namedBefore).
func (in *Input) notNamed(kind string) {
	if in.unnamed == nil {
		in.unnamed = map[string]bool{}
	}
	in.unnamed[kind] = true
}

// knownBefore is the objects of kind k in the tenant when in was loaded,
// as far as in tells them apart from objects made since (settleInDoubt):
// ok is false for a kind read by id whose creates' names were not all
// asked (namedBefore).
func (in *Input) knownBefore(kind string) (known map[string]*Object, ok bool) {
	if in.readByID[kind] == nil {
		return in.Live[kind], in.Live[kind] != nil
	}
	if in.unnamed[kind] || in.Live[kind] == nil {
		return nil, false
	}
	known = maps.Clone(in.Live[kind])
	maps.Copy(known, in.named[kind])
	return known, true
}

// waitFresh reads the tenant again (read), waiting between reads up to
// o.ConsistencyTimeout (backoff.go), while lv failed only as replication
// lag on objects a restore created moments ago (freshLag): a plan made
// right after a restore reads by id the objects it created, and a replica
// that has not seen them yet answers their sponsors or owners "not found"
// (graph-semantics.md §2.3: replication delays). It returns the last read
// and how long it waited; with notRestored, the failures of the last read
// were not-found answers on objects no restore created within the
// timeout (not waited for, as far as the plan could tell: its timeout is
// positive).
func (o LoadOptions) waitFresh(ctx context.Context, in *Input, lv *live.Live, advisory map[string]bool, read func() (*live.Live, error)) (_ *live.Live, waited time.Duration, notRestored bool, _ error) {
	now := time.Now
	if o.Clock != nil {
		now = o.Clock
	}
	lag := newBackoff(time.Second, o.ConsistencyTimeout, o.Sleep, nil)
	fresh := freshIDs(in, now(), lag.timeout)
	for {
		lagging := freshLag(fresh, in.readByID, lv, advisory)
		if !lagging || !lag.More() {
			return lv, lag.waited, !lagging && lag.timeout > 0, nil
		}
		if err := lag.Wait(ctx); err != nil {
			return nil, lag.waited, false, err
		}
		again, err := read()
		if err != nil {
			return nil, lag.waited, false, err
		}
		lv = again
	}
}

// freshIDs are, per kind read by id, the lower-case ids read that a
// restore created within window of now (in.IDMap: the repository's id
// map, the journal's answered creates and apply's new ids; IDEntry.Fresh).
// Graph documents no bound on its replication lag, so the window is the
// time a restore waits for it (ConsistencyTimeout): an id created before
// that, or at a time not known (an id map written before entrasnap noted
// the time), names an object Graph has had that long to show everywhere;
// not found, it is gone.
func freshIDs(in *Input, now time.Time, window time.Duration) map[string]map[string]bool {
	fresh := map[string]map[string]bool{}
	for _, e := range in.IDMap.IDs {
		id := strings.ToLower(e.New)
		if !in.readByID[e.Kind][id] || !e.Fresh(now, window) {
			continue
		}
		if fresh[e.Kind] == nil {
			fresh[e.Kind] = map[string]bool{}
		}
		fresh[e.Kind][id] = true
	}
	return fresh
}

// freshLag reports whether every kind lv could not read (advisory kinds
// aside) failed only with "not found" and is read by id with a fresh id
// (freshIDs) among its ids: lag, not an object gone, as far as the plan
// can tell. When the failed request names an object read by id (its
// path: /users/{id}/sponsors), that object must be a fresh one: a 404 on
// an object no restore created moments ago is not waited for.
func freshLag(fresh, readByID map[string]map[string]bool, lv *live.Live, advisory map[string]bool) bool {
	n := 0
	for _, k := range lv.Incomplete() {
		if advisory[k.Kind] {
			continue
		}
		if k.Err == nil || !graph.IsNotFound(k.Err) || len(fresh[k.Kind]) == 0 {
			return false
		}
		if id := namedIn(k.Err, readByID[k.Kind]); id != "" && !fresh[k.Kind][id] {
			return false
		}
		n++
	}
	return n > 0
}

// namedIn is the id among ids (lower-case) that the path of Graph's error
// err names, "" when it names none.
func namedIn(err error, ids map[string]bool) string {
	var ge *graph.Error
	if !errors.As(err, &ge) {
		return ""
	}
	path, _, _ := strings.Cut(ge.Path, "?")
	for seg := range strings.SplitSeq(strings.ToLower(path), "/") {
		if ids[seg] {
			return seg
		}
	}
	return ""
}
