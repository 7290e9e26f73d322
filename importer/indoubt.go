package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// A create whose answer never arrived (the run was killed after Graph
// carried it out, before the new id could be noted) is "in doubt": Graph
// may hold the object. Apply journals each create before sending it
// (JournalFile); the next Load looks for the object Graph may have made
// and, when exactly one live object fits, plans against it instead of
// creating it again.

// recoverInDoubt maps each in-doubt create of the objects being restored to
// the live object Graph made for it: the one of that kind with the same
// display name that the snapshot does not know and no id map entry names
// (creation times are not compared: the tenant's clock is not ours).
// Several candidates are not guessed between: the plan says so.
func recoverInDoubt(in *Input, journal []journalEntry, known func(key string) bool) {
	if len(journal) == 0 {
		return
	}
	desired := map[string]*Object{}
	for _, d := range in.Desired {
		desired[strings.ToLower(d.Key)] = d
	}
	mapped := map[string]bool{}
	for _, e := range in.IDMap.IDs {
		mapped[strings.ToLower(e.New)] = true
	}
	for _, it := range journal {
		d := desired[strings.ToLower(it.Old)]
		if d == nil || d.Kind.Name != it.Kind {
			continue
		}
		if _, ok := in.IDMap.Resolve(it.Old); ok {
			continue // its answer arrived and was noted
		}
		if in.Live[it.Kind][strings.ToLower(it.Old)] != nil {
			continue
		}
		var fits []*Object
		for key, o := range in.Live[it.Kind] {
			// (known last: of a lean Load, it lists the key's shard folder.)
			if displayName(o) != it.Name || mapped[key] || known(key) {
				continue
			}
			fits = append(fits, o)
		}
		sort.Slice(fits, func(i, j int) bool { return fits[i].Key < fits[j].Key })
		fits, others := splitAsSent(it.Sent, fits) // assent.go
		switch len(fits) {
		case 0:
			if len(others) > 0 {
				in.Recovered = append(in.Recovered, fmt.Sprintf("%s %s: an interrupted restore may have created it already, but the objects of its name that the snapshot does not know are not as it sent them, so none is taken as its own and it is created again: %s",
					d.Kind.Title, label(d), strings.Join(others, "; ")))
			}
		case 1:
			o := fits[0]
			in.IDMap.AddCreated(it.Kind, it.Old, o.Key, "an interrupted restore", it.At)
			if oldApp, ok := d.Data["appId"].(string); ok {
				if newApp, ok := o.Data["appId"].(string); ok && newApp != "" {
					in.IDMap.AddAppID(oldApp, newApp)
				}
			}
			mapped[strings.ToLower(o.Key)] = true
			in.Recovered = append(in.Recovered, fmt.Sprintf("%s %s: an interrupted restore created it without noting its id; found as %s (same name, not in the snapshot), so it is not created again",
				d.Kind.Title, label(d), o.Key))
		default:
			ids := make([]string, len(fits))
			for i, o := range fits {
				ids[i] = o.Key
			}
			in.Recovered = append(in.Recovered, fmt.Sprintf("%s %s: an interrupted restore may have created it already, and %d objects fit (%s): it is created again; delete the extra ones",
				d.Kind.Title, label(d), len(fits), strings.Join(ids, ", ")))
		}
	}
}

// settleInDoubt looks, once the actions have run, for the objects of the
// creates whose answer was lost (no answer, or a server error the client
// gave up on: Graph may have carried the create out). The object Graph
// made is the one of the kind with the create's display name that was not
// in the tenant when the plan was checked (before); a new object takes a
// while to show in lists (replication), so the tenant is read again until
// ApplyOptions.ConsistencyTimeout. Exactly one: the create is done, its id
// noted as an answered create's (journal, id map, recorded snapshot), so
// neither this run nor a re-run sends it twice. None: it stays failed (a
// re-run creates it; its journal entry stays, recoverInDoubt). Several:
// not guessed between; the error names them.
func (r *runner) settleInDoubt(ctx context.Context, before *Input) {
	r.mu.Lock()
	pending := append([]int(nil), r.inDoubt...)
	r.mu.Unlock()
	if len(pending) == 0 || before == nil {
		return
	}
	sort.Ints(pending)
	lag := newBackoff(time.Second, r.o.ConsistencyTimeout, r.o.Sleep, nil) // backoff.go
	for len(pending) > 0 {
		var left []int
		for _, i := range pending {
			a, res := &r.p.Actions[i], &r.results[i]
			k, ok := layout.Lookup(a.Kind)
			if !ok || a.Name == "" {
				continue
			}
			known, told := before.knownBefore(k.Name) // byid.go
			if !told {
				if before.Live[k.Name] != nil {
					res.Error += " (its answer was lost, and which objects of its name were in the tenant before was not read: a re-run reads them all and finds whether Graph made it)"
				}
				continue
			}
			fits, err := r.madeSince(ctx, k, a, known)
			fits, others := splitAsSent(sentProps(k, a.Request.Body), fits) // assent.go
			switch {
			case err != nil:
				res.Error += fmt.Sprintf(" (its answer was lost, and the tenant could not be read to find whether Graph made it: %s; a re-run looks again)", layout.Safe(err.Error()))
			case len(fits) == 1:
				o := fits[0]
				appID, _ := o.Data["appId"].(string)
				res.Status, res.NewID, res.NewAppID = StatusDone, o.Key, appID
				res.Error = "its answer was lost; Graph made it: found by its name, not in the tenant before, and as the create sent it"
				r.mu.Lock()
				if a.Placeholder != "" {
					r.values[a.Placeholder] = o.Key
				}
				if err := r.noteCreated(a, o.Key, appID); err != nil {
					res.Error += fmt.Sprintf("; the new id could not be noted for a re-run (%v)", err)
				}
				r.mu.Unlock()
				r.progress(*res)
			case len(fits) > 1:
				ids := make([]string, len(fits))
				for j, o := range fits {
					ids[j] = layout.Safe(o.Key)
				}
				res.Error += fmt.Sprintf(" (its answer was lost, and %d new objects have its name: %s; find the one made, delete the others, then plan again)", len(fits), strings.Join(ids, ", "))
			case len(others) > 0 && !lag.More():
				res.Error += fmt.Sprintf(" (its answer was lost, and the new objects of its name are not as it sent them, so none is taken as the one it made: %s; a re-run looks again, then creates it)", strings.Join(others, "; "))
			default:
				left = append(left, i)
			}
		}
		pending = left
		if len(pending) == 0 || !lag.More() || lag.Wait(ctx) != nil {
			return
		}
	}
}

// madeSince returns the objects of kind k named as create a names that
// known (the kind's objects when the plan was checked) does not hold.
// Where Graph filters the kind's list by the name's property
// (layout.Kind.NameFilter) and the create sends the name in it, it asks
// for those objects alone (live.Named: one request, whatever the
// tenant's size); else, or when Graph refuses that filter (400), it reads
// the whole kind.
func (r *runner) madeSince(ctx context.Context, k *layout.Kind, a *Action, known map[string]*Object) ([]*Object, error) {
	if k.NameFilter != "" && createSends(a, k.NameFilter) == a.Name {
		objs, err := live.Named(ctx, r.o.Client, k, a.Name)
		var ge *graph.Error
		if err == nil {
			var fits []*Object
			for _, o := range objs {
				key, _ := o[k.KeyProp()].(string)
				if key == "" || known[strings.ToLower(key)] != nil {
					continue
				}
				if n, _ := o[k.NameFilter].(string); n == a.Name { // Graph's eq ignores case
					fits = append(fits, &Object{Kind: k, Key: key, Data: o})
				}
			}
			sort.Slice(fits, func(i, j int) bool { return fits[i].Key < fits[j].Key })
			return fits, nil
		}
		if !errors.As(err, &ge) || ge.Status != 400 {
			return nil, err
		}
	}
	return r.listedSince(ctx, k, known, a.Name)
}

// createSends is the string property prop of create a's body ("" when
// it sends none).
func createSends(a *Action, prop string) string {
	var body map[string]any
	if json.Unmarshal(a.Request.Body, &body) != nil {
		return ""
	}
	s, _ := body[prop].(string)
	return s
}

// listedSince reads kind k of the tenant and returns its objects named
// name that known does not hold.
func (r *runner) listedSince(ctx context.Context, k *layout.Kind, known map[string]*Object, name string) ([]*Object, error) {
	lv, err := live.Read(ctx, live.ReadOptions{Client: r.o.Client, Kinds: []*layout.Kind{k}})
	if err != nil {
		return nil, err
	}
	if inc := lv.Incomplete(); len(inc) > 0 {
		return nil, fmt.Errorf("%s: %s", inc[0].Kind, inc[0].Reason)
	}
	snap, err := diff.Load(lv.Files)
	if err != nil {
		return nil, err
	}
	var fits []*Object
	for _, o := range snap {
		if o.Kind.Name == k.Name && known[strings.ToLower(o.Key)] == nil && displayName(o) == name {
			fits = append(fits, o)
		}
	}
	sort.Slice(fits, func(i, j int) bool { return fits[i].Key < fits[j].Key })
	return fits, nil
}
