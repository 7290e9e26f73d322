package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Delegated permission grants through their delta function (issue 12).
//
// A service principal's oauth2PermissionGrants are read for the whole
// tenant from one top-level collection (topLevelChild). When the caller
// keeps delta state (ReadOptions.TrackDelta), that read is
// GET /oauth2PermissionGrants/delta instead (learn:/graph/api/
// oauth2permissiongrant-delta, v1.0, Directory.Read.All as the list): a
// full read is its initial round (every grant, grouped by clientId), and
// the round's deltaLink is kept with the service principals' state
// (DeltaFrom.Children, Live.ChildLinks). The next run resumes from it:
// the service principals' previous files hold their grants (without
// clientId, layout's Drop); the round's created grants come in full with
// their clientId, an edited one (scope) with its properties, which are
// laid over the previous grant of the same id (a grant's clientId never
// changes: create-only), and a deleted one as @removed. A service
// principal without a previous file (created or restored since: a
// restored one's grants were never deleted, so the round does not show
// them) has its grants read on its own, GET /servicePrincipals/{id}/
// oauth2PermissionGrants (serviceprincipal-list-oauth2permissiongrants),
// through $batch. A link Graph no longer knows (410) makes this run read
// the grants in full through a new initial round; the rest of the kind
// still resumes.

// deltaChildren are the top-level children (topLevelChild) read with a
// delta function when tracking: child key → the function's path.
var deltaChildren = map[string]string{
	"service-principals/oauth2PermissionGrants": "/oauth2PermissionGrants/delta",
}

// childDelta is the delta read of one child of deltaChildren.
type childDelta struct {
	// link to resume from ("": an initial round).
	link string
	// fresh are the lower-cased keys of the parents without a previous
	// file: their children are read on their own.
	fresh map[string]bool
	// next is the round's deltaLink, relative; note says why a resume
	// fell back to a full read of the child.
	next, note string
}

// CheckChildDeltaLink checks that link is a deltaLink of kind's child, as
// CheckDeltaLink does a kind's.
func CheckChildDeltaLink(kind, child, link string) error {
	k, ok := layout.Lookup(kind)
	path, delta := deltaChildren[kind+"/"+child]
	if !ok || !delta {
		return fmt.Errorf("%s/%s: %w (the child is not read with delta)", kind, child, ErrBadDeltaLink)
	}
	u, err := url.Parse(link)
	want := "/" + k.APIVersion + path
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != want {
		return fmt.Errorf("%s/%s: %w (want a path %s)", kind, child, ErrBadDeltaLink, want)
	}
	q := u.Query()
	for p := range q {
		if !strings.HasPrefix(p, "$") {
			return fmt.Errorf("%s/%s: %w (parameter %q)", kind, child, ErrBadDeltaLink, layout.Safe(p))
		}
	}
	if q.Get("$deltatoken") == "" {
		return fmt.Errorf("%s/%s: %w (no $deltatoken)", kind, child, ErrBadDeltaLink)
	}
	return nil
}

// childDeltas are the delta reads of k's children for this read: nil when
// not tracking. from.Children gives the links to resume from.
func (r *reader) childDeltas(k *layout.Kind, from *DeltaFrom, fresh map[string]bool) map[string]*childDelta {
	if !r.track {
		return nil
	}
	out := map[string]*childDelta{}
	for _, ch := range k.Children {
		if _, ok := deltaChildren[k.Name+"/"+ch.Name]; !ok {
			continue
		}
		cd := &childDelta{fresh: fresh}
		if from != nil {
			cd.link = from.Children[ch.Name]
			if cd.link != "" && CheckChildDeltaLink(k.Name, ch.Name, cd.link) != nil {
				cd.link = ""
				cd.note = ch.Name + ": the delta state cannot be used: read in full"
			}
		}
		out[ch.Name] = cd
	}
	return out
}

// readChildDelta gives the items of child ch by lower-cased parent key,
// from cd's round applied to the children objs hold now (their previous
// files'), or from an initial round.
func (r *reader) readChildDelta(ctx context.Context, k *layout.Kind, ch layout.Child, cd *childDelta, objs []map[string]any, requests *atomic.Int64) (map[string][]map[string]any, error) {
	parentProp := topLevelChild[k.Name+"/"+ch.Name].parentProp
	start := "/" + k.APIVersion + deltaChildren[k.Name+"/"+ch.Name]
	if cd.link == "" {
		return r.childRound(ctx, start, parentProp, nil, cd, requests)
	}
	kp := k.KeyProp()
	// The previous children by id, with their parent.
	prev := map[string]prevChild{}
	for _, o := range objs {
		key, _ := o[kp].(string)
		if cd.fresh[strings.ToLower(key)] {
			continue
		}
		list, _ := o[ch.Name].([]any)
		for _, x := range list {
			m, ok := x.(map[string]any)
			id, _ := m["id"].(string)
			if !ok || id == "" {
				return nil, fmt.Errorf("a previous %s item without id", ch.Name)
			}
			prev[strings.ToLower(id)] = prevChild{parent: strings.ToLower(key), item: m}
		}
	}
	byParent, err := r.childRound(ctx, cd.link, parentProp, prev, cd, requests)
	var rs *graph.ErrResyncRequired
	if errors.As(err, &rs) {
		cd.note = ch.Name + ": Graph no longer knows the delta token (410 Gone or expired): read in full"
		if np, ok := r.progress.(NoteProgress); ok {
			np.KindNote(k.Name, cd.note)
		}
		return r.childRound(ctx, start, parentProp, nil, cd, requests)
	}
	if err != nil {
		return nil, err
	}
	// Parents without a previous file: their children on their own.
	var fresh []map[string]any
	for _, o := range objs {
		key, _ := o[kp].(string)
		if cd.fresh[strings.ToLower(key)] {
			fresh = append(fresh, o)
		}
	}
	if len(fresh) > 0 {
		one := *k
		one.Children = []layout.Child{ch}
		own, err := r.perParentChildren(ctx, &one, ch, fresh, requests)
		if err != nil {
			return nil, err
		}
		for key, items := range own {
			byParent[key] = items
		}
	}
	return byParent, nil
}

type prevChild struct {
	parent string
	item   map[string]any
}

// childRound runs a round from link: an initial one (prev nil) groups the
// items by parentProp; a later one applies its changes to prev.
func (r *reader) childRound(ctx context.Context, link, parentProp string, prev map[string]prevChild, cd *childDelta, requests *atomic.Int64) (map[string][]map[string]any, error) {
	cur := map[string]prevChild{}
	for id, pc := range prev {
		cur[id] = pc
	}
	next, err := r.deltaItems(ctx, link, requests, func(o map[string]any, _, lid string, removed bool) error {
		if removed {
			delete(cur, lid)
			return nil
		}
		pc, had := cur[lid]
		if had {
			merged := make(map[string]any, len(pc.item)+len(o))
			for p, v := range pc.item {
				merged[p] = v
			}
			for p, v := range o {
				merged[p] = v
			}
			cur[lid] = prevChild{parent: pc.parent, item: merged}
			return nil
		}
		parent, _ := o[parentProp].(string)
		if parent == "" {
			return fmt.Errorf("Graph returned a new item without %s", parentProp)
		}
		cur[lid] = prevChild{parent: strings.ToLower(parent), item: o}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cd.next = next
	byParent := map[string][]map[string]any{}
	for _, pc := range cur {
		byParent[pc.parent] = append(byParent[pc.parent], pc.item)
	}
	return byParent, nil
}

// perParentChildren reads child ch of each of objs on its own (through
// $batch, as childrenPage does), by lower-cased parent key.
func (r *reader) perParentChildren(ctx context.Context, k *layout.Kind, ch layout.Child, objs []map[string]any, requests *atomic.Int64) (map[string][]map[string]any, error) {
	kp := k.KeyProp()
	out := map[string][]map[string]any{}
	var reqs []graph.BatchRequest
	var keys []string
	for _, o := range objs {
		key, _ := o[kp].(string)
		reqs = append(reqs, graph.BatchRequest{ID: fmt.Sprint(len(reqs) + 1), Method: "GET",
			URL: "/" + k.APIVersion + childBase(k, ch) + "/" + url.PathEscape(key) + "/" + ch.Path})
		keys = append(keys, key)
	}
	requests.Add(int64((len(reqs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize))
	resps, berr := r.c.Batch(ctx, reqs)
	if resps == nil && berr != nil {
		return nil, berr
	}
	for i, resp := range resps {
		if err := resp.Err(); err != nil {
			return nil, err
		}
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return nil, err
		}
		items := page.Value
		if page.NextLink != "" {
			items = nil
			err := r.c.List(ctx, reqs[i].URL, func(more []json.RawMessage) error {
				requests.Add(1)
				items = append(items, more...)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		list := make([]map[string]any, 0, len(items))
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return nil, err
			}
			list = append(list, o)
		}
		out[strings.ToLower(keys[i])] = list
	}
	return out, nil
}
