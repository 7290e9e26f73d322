package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Delta reads (graph-semantics.md §2.3).
//
// groups are always read through GET /groups/delta with $select of the
// stored properties plus members and owners: one round returns every group
// with its member and owner ids as members@delta / owners@delta (Graph
// documents that any directoryObject-collection relationship, such as
// owners, can be selected on groups), about one resource unit per page,
// instead of one members and one owners request per group (3 + 1 units
// each). A group whose relationships span pages is repeated, each time with
// another slice: the slices are merged. Graph documents no $top for delta
// (it is not sent; the page size is Graph's).
//
// users are listed in pages of 999 as before; when the caller keeps delta
// state (ReadOptions.TrackDelta) a GET /users/delta?$deltatoken=latest
// before the list ("sync from now", documented for users and groups) gives
// the deltaLink of the next run. A change between that request and the list
// is replayed by the next round, which is harmless: changes apply
// idempotently.
//
// applications, service principals and administrative units are read
// through their delta functions too (GET /applications/delta,
// /servicePrincipals/delta, /directory/administrativeUnits/delta, no
// $select: every property, as the list without $select), but those track
// properties only. What Graph documents (graphsim/doc.go "Delta rounds"):
//   - application delta and servicePrincipal delta (learn:/graph/api/
//     application-delta, serviceprincipal-delta): $select of properties, id
//     always returned, $filter by id only; @removed changed/deleted as for
//     every directory object. The delta overview (learn:/graph/
//     delta-query-overview) documents relationships as rel@delta for users
//     and groups only and says "navigation properties are not supported":
//     an app's owners, a service principal's owners, appRoleAssignedTo and
//     oauth2PermissionGrants are not tracked (graphsim refuses them in
//     $select), so a change to them does not show the parent.
//   - administrativeUnit delta (learn:/graph/api/administrativeunit-delta):
//     its example shows members@delta on an initial round; nothing says a
//     later round reports member changes, nor scopedRoleMembers (strict:
//     not reported).
//   - /oauth2PermissionGrants/delta is documented (v1.0), but the grants are
//     already read for the whole tenant in a few pages (topLevelChild).
//   - Nothing documented tells which apps or service principals had an
//     owner or an app role assignment added or removed (audit logs are
//     neither complete nor immediate, and need AuditLog.Read.All).
//   - The application and servicePrincipal lists take $expand=owners (and
//     appRoleAssignedTo), which returns at most 20 related objects per
//     object and no nextLink (known issue 13635): one list of 100 objects a
//     page gives every such list shorter than 20 (untrackedChildren,
//     expandRefs).
// So for these kinds the round gives the properties and the deletions, and
// every child relationship (spec.rels are none) is read again in full for
// every object, each run: owners of apps and service principals and
// service principals' appRoleAssignedTo through the lists' $expand (per
// parent for one that shows 20), members and scopedRoleMembers per unit
// (through $batch: units are few, and a unit's members may need
// Member.Read.Hidden), the grants from /oauth2PermissionGrants. README
// "Large tenants" gives what a daily run costs.
//
// A later round (ReadOptions.Delta) applies the changes to the previous
// snapshot's files of the kind: an object listed with @removed is dropped;
// another object's properties are those of its previous file overlaid with
// the properties the round returned (Graph returns the changed properties,
// and by default the unchanged selected ones too; a cleared property comes
// as null) and its relationships are the previous ones plus the ids added,
// minus those marked @removed. A created or restored object has no previous
// file and is taken as returned. Objects the round does not mention keep
// their previous file's bytes.

// deltaSpec is a kind read with delta.
type deltaSpec struct {
	// rels are the relationships the round tracks (Refs children).
	rels []string
	// round: the full read itself is a delta round (it yields the
	// relationships); otherwise the kind is listed and, when tracking,
	// $deltatoken=latest gives the deltaLink.
	round bool
}

var deltaKinds = map[string]deltaSpec{
	"groups": {rels: []string{"members", "owners"}, round: true},
	"users":  {},
	// Properties only: their children are read in full each run (untracked).
	"applications":         {round: true},
	"service-principals":   {round: true},
	"administrative-units": {round: true},
}

// untracked is k with only the children spec's round does not track (read
// in full for every object after the round); nil when there are none.
func untracked(k *layout.Kind, spec deltaSpec) *layout.Kind {
	var rest []layout.Child
	for _, c := range k.Children {
		if !slices.Contains(spec.rels, c.Name) {
			rest = append(rest, c)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	kk := *k
	kk.Children = rest
	return &kk
}

// DeltaKinds are the kinds that can resume from a deltaLink (ReadOptions.Delta).
func DeltaKinds() []string {
	out := make([]string, 0, len(deltaKinds))
	for k := range deltaKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DeltaFrom is where a kind's read resumes.
type DeltaFrom struct {
	// Link is the deltaLink the previous run kept, relative to the Graph
	// root ("/v1.0/groups/delta?$deltatoken=...").
	Link string
	// Files are the kind's files in the previous snapshot, by path.
	Files map[string][]byte
}

// ErrBadDeltaLink: a stored deltaLink is not one Graph gave for the kind.
var ErrBadDeltaLink = errors.New("not a deltaLink of this kind")

// deltaPath is the delta function of k with its $select.
func deltaPath(k *layout.Kind, spec deltaSpec) string {
	sel := append(append([]string(nil), k.Select...), spec.rels...)
	return "/" + k.APIVersion + k.ListPath + "/delta" + query(selectParam(sel))
}

// DeltaQuery is the request a full delta read of kind starts with: its
// $select names the properties a link tracks. A link kept from a read with
// another query (the catalog changed) must not be resumed.
func DeltaQuery(kind string) string {
	k, ok := layout.Lookup(kind)
	spec, delta := deltaKinds[kind]
	if !ok || !delta {
		return ""
	}
	return deltaPath(k, spec)
}

// CheckDeltaLink checks that link (relative to the Graph root) is a
// deltaLink of kind: the kind's delta function with only $-parameters
// (Graph's $deltatoken, $select, ...). A state file is read from a
// repository anyone may have edited: a link to another path, or one with
// other parameters, is refused.
func CheckDeltaLink(kind, link string) error {
	k, ok := layout.Lookup(kind)
	if _, delta := deltaKinds[kind]; !ok || !delta {
		return fmt.Errorf("%s: %w (the kind is not read with delta)", kind, ErrBadDeltaLink)
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != "/"+k.APIVersion+k.ListPath+"/delta" {
		return fmt.Errorf("%s: %w (want a path %s/delta)", kind, ErrBadDeltaLink, "/"+k.APIVersion+k.ListPath)
	}
	q := u.Query()
	for p := range q {
		if !strings.HasPrefix(p, "$") {
			return fmt.Errorf("%s: %w (parameter %q)", kind, ErrBadDeltaLink, layout.Safe(p))
		}
	}
	if q.Get("$deltatoken") == "" {
		return fmt.Errorf("%s: %w (no $deltatoken)", kind, ErrBadDeltaLink)
	}
	return nil
}

// relative turns a deltaLink Graph sent into a path under the client's root.
func (r *reader) relative(link string) (string, error) {
	base := strings.TrimSuffix(r.c.BaseURL(), "/")
	if rest, ok := strings.CutPrefix(link, base); ok && strings.HasPrefix(rest, "/") {
		return rest, nil
	}
	if strings.HasPrefix(link, "/") {
		return link, nil
	}
	return "", errors.New("Graph sent a deltaLink outside its own root")
}

// deltaRead is what a delta-aware read of one kind produced.
type deltaRead struct {
	objs    []map[string]any // objects to prepare
	carried []prepared       // unchanged files of the previous snapshot
	link    string           // the next deltaLink, relative ("" when none)
	mode    string           // "delta" or "full"
	note    string           // why a resume fell back to a full read
}

// deltaChange is one object's merged items in a round.
type deltaChange struct {
	id      string
	removed bool
	props   map[string]any
	rels    map[string]*relChange
}

// relChange is a relationship's changes: ids added (with their refs) or removed.
type relChange struct {
	add    map[string]map[string]any // lower-case id → ref
	remove map[string]bool
}

// deltaRound runs one round from link and merges the items per object, in
// the order objects first appear.
func (r *reader) deltaRound(ctx context.Context, link string, spec deltaSpec, requests *atomic.Int64) ([]*deltaChange, string, error) {
	byID := map[string]*deltaChange{}
	var order []*deltaChange
	next, err := r.c.Delta(ctx, link, func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return err
			}
			id, _ := o["id"].(string)
			if id == "" {
				return errors.New("Graph returned a delta item without id")
			}
			lid := strings.ToLower(id)
			ch := byID[lid]
			if ch == nil {
				ch = &deltaChange{id: id}
				byID[lid] = ch
				order = append(order, ch)
			}
			if _, gone := o["@removed"]; gone {
				ch.removed, ch.props, ch.rels = true, nil, nil
				continue
			}
			ch.removed = false
			if ch.props == nil {
				ch.props = map[string]any{}
			}
			for p, v := range o {
				name, isRel := strings.CutSuffix(p, "@delta")
				if !isRel {
					ch.props[p] = v
					continue
				}
				if !slices.Contains(spec.rels, name) {
					continue
				}
				if err := ch.relate(name, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		if graph.AsError(err) == nil && ctx.Err() == nil {
			requests.Add(1)
		}
		return nil, "", err
	}
	rel, err := r.relative(next)
	if err != nil {
		return nil, "", err
	}
	return order, rel, nil
}

// relate merges one rel@delta slice.
func (ch *deltaChange) relate(rel string, v any) error {
	refs, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%s@delta is not an array", rel)
	}
	if ch.rels == nil {
		ch.rels = map[string]*relChange{}
	}
	rc := ch.rels[rel]
	if rc == nil {
		rc = &relChange{add: map[string]map[string]any{}, remove: map[string]bool{}}
		ch.rels[rel] = rc
	}
	for _, x := range refs {
		m, ok := x.(map[string]any)
		if !ok {
			return fmt.Errorf("%s@delta holds a value that is not an object", rel)
		}
		id, _ := m["id"].(string)
		if id == "" {
			return fmt.Errorf("%s@delta holds an entry without id", rel)
		}
		lid := strings.ToLower(id)
		if _, gone := m["@removed"]; gone {
			delete(rc.add, lid)
			rc.remove[lid] = true
			continue
		}
		delete(rc.remove, lid)
		rc.add[lid] = m
	}
	return nil
}

// apply is the object after ch, from its previous state base (nil when new).
func apply(k *layout.Kind, spec deltaSpec, base map[string]any, ch *deltaChange) map[string]any {
	obj := map[string]any{}
	for p, v := range base {
		obj[p] = v
	}
	for p, v := range ch.props {
		obj[p] = v
	}
	for _, rel := range spec.rels {
		var child layout.Child
		for _, c := range k.Children {
			if c.Name == rel {
				child = c
			}
		}
		var items []map[string]any
		rc := ch.rels[rel]
		prev, _ := base[rel].([]any)
		for _, x := range prev {
			m, ok := x.(map[string]any)
			if !ok {
				continue
			}
			id := fmt.Sprint(m["id"])
			if rc != nil && (rc.remove[strings.ToLower(id)] || rc.add[strings.ToLower(id)] != nil) {
				continue // removed, or replaced by the round's ref below
			}
			items = append(items, m)
		}
		if rc != nil {
			ids := make([]string, 0, len(rc.add))
			for lid := range rc.add {
				ids = append(ids, lid)
			}
			sort.Strings(ids)
			for _, lid := range ids {
				items = append(items, rc.add[lid])
			}
		}
		obj[rel] = childList(child, items)
	}
	return obj
}

// readDelta reads a kind of deltaKinds: resuming from r.delta when given,
// else in full.
func (r *reader) readDelta(ctx context.Context, k *layout.Kind, spec deltaSpec, requests *atomic.Int64) (*deltaRead, error) {
	note := ""
	if from, ok := r.delta[k.Name]; ok {
		res, err := r.resume(ctx, k, spec, from, requests)
		var rs *graph.ErrResyncRequired
		switch {
		case err == nil:
			return res, nil
		case errors.As(err, &rs):
			note = "Graph no longer knows the delta token (410 Gone or expired): read in full"
		case errors.Is(err, ErrBadDeltaLink), errors.As(err, new(*layout.DecodeError)):
			note = "the delta state cannot be used (" + err.Error() + "): read in full"
		case errors.As(err, new(*KindError)):
			return nil, err // a child read after the round, already described
		default:
			return nil, kindError(k, "delta round", err, r.named(k.ReadPermissions))
		}
		if np, ok := r.progress.(NoteProgress); ok {
			np.KindNote(k.Name, note)
		}
	}
	res := &deltaRead{mode: "full", note: note}
	if spec.round {
		changes, link, err := r.deltaRound(ctx, deltaPath(k, spec), spec, requests)
		if err != nil {
			perms := append([]string(nil), k.ReadPermissions...)
			for _, c := range k.Children {
				if slices.Contains(spec.rels, c.Name) {
					perms = append(perms, c.ReadPermissions...)
				}
			}
			return nil, kindError(k, "delta round", err, r.named(perms))
		}
		for _, ch := range changes {
			if !ch.removed {
				res.objs = append(res.objs, apply(k, spec, nil, ch))
			}
		}
		if uk := untracked(k, spec); uk != nil {
			if err := r.untrackedChildren(ctx, uk, res.objs, requests); err != nil {
				return nil, err
			}
		}
		if r.track {
			res.link = link
		}
		return res, nil
	}
	if r.track {
		link, err := r.c.Delta(ctx, deltaPath(k, spec)+"&$deltatoken=latest", func(items []json.RawMessage) error {
			requests.Add(1)
			return nil
		})
		if err != nil {
			return nil, kindError(k, "delta token", err, r.named(k.ReadPermissions))
		}
		if res.link, err = r.relative(link); err != nil {
			return nil, kindError(k, "delta token", err, nil)
		}
	}
	objs, err := r.list(ctx, k, requests)
	if err != nil {
		return nil, err
	}
	res.objs = objs
	return res, nil
}

// resume runs a later round from from.Link and applies it to from.Files.
func (r *reader) resume(ctx context.Context, k *layout.Kind, spec deltaSpec, from DeltaFrom, requests *atomic.Int64) (*deltaRead, error) {
	if err := CheckDeltaLink(k.Name, from.Link); err != nil {
		return nil, err
	}
	// The previous files by key; every path must be one of the kind's.
	type file struct {
		path string
		data []byte
	}
	prev := make(map[string]file, len(from.Files))
	for p, data := range from.Files {
		fk, key, err := layout.Locate(p)
		if err != nil || fk != k {
			return nil, fmt.Errorf("%s: %w (previous file %s is not a %s file)", k.Name, ErrBadDeltaLink, layout.Safe(p), k.Name)
		}
		prev[strings.ToLower(key)] = file{p, data}
	}
	changes, link, err := r.deltaRound(ctx, from.Link, spec, requests)
	if err != nil {
		return nil, err
	}
	res := &deltaRead{mode: "delta", link: link}
	changed := map[string]*deltaChange{}
	for _, ch := range changes {
		changed[strings.ToLower(ch.id)] = ch
	}
	keys := make([]string, 0, len(prev))
	for lid := range prev {
		keys = append(keys, lid)
	}
	sort.Strings(keys)
	uk := untracked(k, spec)
	for _, lid := range keys {
		f := prev[lid]
		ch := changed[lid]
		if ch == nil && uk == nil {
			_, key, _ := layout.Locate(f.path)
			res.carried = append(res.carried, prepared{path: f.path, key: key, data: f.data})
			continue
		}
		if ch != nil && ch.removed {
			continue
		}
		base, err := layout.Decode(f.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		if ch == nil {
			// Unchanged properties; its untracked children are read below.
			ch = &deltaChange{id: lid}
		}
		res.objs = append(res.objs, apply(k, spec, base, ch))
	}
	for _, ch := range changes {
		if _, had := prev[strings.ToLower(ch.id)]; had || ch.removed {
			continue
		}
		res.objs = append(res.objs, apply(k, spec, nil, ch))
	}
	if uk != nil {
		// Graph's round does not tell which objects' children changed:
		// every object's are read again (a failure fails the kind, which
		// is then carried forward whole, as any incomplete kind).
		if err := r.untrackedChildren(ctx, uk, res.objs, requests); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// NoteProgress is a Progress that also takes notes about a kind's read
// (a delta token Graph no longer knows, so the kind is read in full).
type NoteProgress interface {
	KindNote(kind, note string)
}

// expandable are the untracked children read with $expand on the kind's
// list: Graph documents $expand on the application and servicePrincipal
// lists; on relationships of directory objects it returns at most 20
// related objects per item with no nextLink (known issue 13635,
// graphsim/doc.go): a parent that shows 20 may have more and is read on
// its own.
var expandable = map[string]bool{"applications/owners": true, "service-principals/owners": true,
	"service-principals/appRoleAssignedTo": true}

// expandLimit is the most related objects Graph's $expand returns.
const expandLimit = 20

// untrackedChildren reads the children of uk (a kind narrowed to the
// relationships its delta round does not track) for every object: owners
// from the list's $expand where that is complete, the rest per parent
// (children).
func (r *reader) untrackedChildren(ctx context.Context, uk *layout.Kind, objs []map[string]any, requests *atomic.Int64) error {
	var rest []layout.Child
	kp := uk.KeyProp()
	for _, ch := range uk.Children {
		if !expandable[uk.Name+"/"+ch.Name] {
			rest = append(rest, ch)
			continue
		}
		got, err := r.expandRefs(ctx, uk, ch, requests)
		if err != nil {
			perms := append(append([]string(nil), uk.ReadPermissions...), ch.ReadPermissions...)
			return kindError(uk, ch.Name+" of "+uk.Title+" ($expand)", err, r.named(perms))
		}
		var left []map[string]any
		for _, o := range objs {
			key, _ := o[kp].(string)
			items, ok := got[strings.ToLower(key)]
			if !ok || len(items) >= expandLimit {
				left = append(left, o) // not listed (created since), or maybe more than shown
				continue
			}
			o[ch.Name] = childList(ch, items)
		}
		if len(left) > 0 {
			one := *uk
			one.Children = []layout.Child{ch}
			if err := r.children(ctx, &one, left, requests); err != nil {
				return err
			}
		}
	}
	if len(rest) == 0 {
		return nil
	}
	others := *uk
	others.Children = rest
	return r.children(ctx, &others, objs, requests)
}

// expandRefs lists the kind's ids with ch expanded, in pages of 100 (the
// most Graph serves with $expand), by lower-case key.
func (r *reader) expandRefs(ctx context.Context, k *layout.Kind, ch layout.Child, requests *atomic.Int64) (map[string][]map[string]any, error) {
	out := map[string][]map[string]any{}
	err := r.c.List(ctx, "/"+k.APIVersion+k.ListPath+"?$select=id&$expand="+ch.Path+"&$top=100", func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return err
			}
			id, _ := o["id"].(string)
			v, present := o[ch.Name]
			list, isList := v.([]any)
			if id == "" || !present || (!isList && v != nil) {
				return fmt.Errorf("Graph answered an item without id or %s", ch.Name)
			}
			refs := make([]map[string]any, 0, len(list))
			for _, x := range list {
				m, ok := x.(map[string]any)
				if !ok {
					return fmt.Errorf("%s holds a value that is not an object", ch.Name)
				}
				refs = append(refs, m)
			}
			out[strings.ToLower(id)] = refs
		}
		return nil
	})
	if err != nil {
		if graph.AsError(err) == nil && ctx.Err() == nil {
			requests.Add(1)
		}
		return nil, err
	}
	return out, nil
}
