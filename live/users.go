package live

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

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
		g, err := r.expandRefs(ctx, uk, ch, requests)
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
