package importer

import (
	"net/url"
	"reflect"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
)

// Writes Graph takes in another shape than it reads: properties written by
// a bound action (viaAction), nested objects written as a reference
// (idOnly), and child collections documented below another path to the
// parent (layout.Child.Base).

// childColl is the path of a child collection of the object parent.
func childColl(k *layout.Kind, ch layout.Child, parent string) string {
	if ch.Base != "" {
		p := "/" + k.APIVersion + ch.Base + "/"
		if isHolder(parent) {
			return p + parent + "/" + ch.Path
		}
		return p + url.PathEscape(parent) + "/" + ch.Path
	}
	return itemPath(k, parent) + "/" + ch.Path
}

// sendIDOnly replaces each idOnly object of a request body by {"id": ...}.
func sendIDOnly(k *layout.Kind, b map[string]any) {
	for _, path := range idOnly[k.Name] {
		segs := strings.Split(path, ".")
		m := b
		for _, s := range segs[:len(segs)-1] {
			next, _ := m[s].(map[string]any)
			if next == nil {
				m = nil
				break
			}
			m = next
		}
		if m == nil {
			continue
		}
		last := segs[len(segs)-1]
		if o, ok := m[last].(map[string]any); ok {
			m[last] = map[string]any{"id": o["id"]}
		}
	}
}

// actionWrites plans the properties of byTop that Graph writes through a
// bound action, one action each, and removes them from byTop. It returns
// the ids of the actions.
func (pl *planner) actionWrites(s *objState, want map[string]any, byTop map[string][]diff.PropChange, deps []string) []string {
	var ids []string
	for _, prop := range sortedKeys(byTop) {
		act, ok := viaAction[s.k.Name][prop]
		if !ok {
			continue
		}
		pcs := byTop[prop]
		delete(byTop, prop)
		v, inDesired := want[prop]
		if !inDesired {
			continue
		}
		var changes []Change
		for _, pc := range pcs {
			changes = append(changes, changeOf(pc))
		}
		ids = append(ids, pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "POST", Path: itemPath(s.k, s.key) + "/" + act,
			Body: body(map[string]any{prop: layout.Copy(v)})}, Changes: changes, DependsOn: deps,
			Warnings: []string{prop + " is written with Graph's " + act + " action (a PATCH cannot change it)"}}))
	}
	return ids
}

// combinationBody is what a create or update of a combination
// configuration sends: its type and settings, never its id.
func combinationBody(m map[string]any) map[string]any {
	b := map[string]any{}
	for p, v := range m {
		if p != "id" {
			b[p] = layout.Copy(v)
		}
	}
	return b
}

// sameChild reports whether a child item needs no write: equal once ids
// (Graph's, new on every create) are set aside.
func sameChild(a, b map[string]any) bool {
	x, y := combinationBody(a), combinationBody(b)
	norm := func(m map[string]any) {
		for p, v := range m {
			if l := asSlice(v); l != nil {
				c := append([]any(nil), l...)
				sortAny(c)
				m[p] = c
			}
		}
	}
	norm(x)
	norm(y)
	return reflect.DeepEqual(x, y)
}

// combinationChildren plans an authentication strength's combination
// configurations: updates and creates after the allowed combinations are
// written (a configuration applies to allowed combinations only), removals
// before (a combination cannot be dropped while a configuration applies to it).
func (pl *planner) combinationChild(s *objState, ch layout.Child, parent string, old, m map[string]any, parentDeps []string) string {
	k := s.k
	deps := append(append([]string(nil), parentDeps...), s.via...)
	switch {
	case old != nil && m != nil:
		if sameChild(old, m) {
			return ""
		}
		return pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: str(old["id"]), DependsOn: deps,
			Request: Request{Method: "PATCH", Path: childColl(k, ch, parent) + "/" + str(old["id"]), Body: body(combinationBody(m))},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}, Added: []any{m}}}})
	case m != nil:
		return pl.add(s, Action{Op: OpAddChild, Relationship: ch.Name, Target: str(m["id"]), DependsOn: deps,
			Request: Request{Method: "POST", Path: childColl(k, ch, parent), Body: body(combinationBody(m))},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}}}})
	}
	id := pl.add(s, Action{Op: OpRemoveChild, Relationship: ch.Name, Target: str(old["id"]), Removal: true, DependsOn: parentDeps,
		Request: Request{Method: "DELETE", Path: childColl(k, ch, parent) + "/" + str(old["id"])},
		Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}}}})
	for _, v := range s.via {
		if a := pl.action(v); a != nil {
			a.DependsOn = append(a.DependsOn, id)
		}
	}
	return id
}

// onlyReadOnly reports whether every difference in pcs is inside a
// read-only part of its property (info.logoUrl): there is nothing to write.
func onlyReadOnly(k *layout.Kind, sch *schemas.Schema, pcs []diff.PropChange) bool {
	if len(pcs) == 0 {
		return false
	}
	for _, pc := range pcs {
		if !readOnly(k, sch, pc.Path) {
			return false
		}
	}
	return true
}

// idOnlyChanges drops the differences inside an idOnly object other than
// its id: the object is another one's (a strength inside a CA policy),
// restored with that object, and the write sends only the id.
func idOnlyChanges(k *layout.Kind, pcs []diff.PropChange) []diff.PropChange {
	var out []diff.PropChange
next:
	for _, pc := range pcs {
		for _, p := range idOnly[k.Name] {
			if strings.HasPrefix(pc.Path, p+".") && pc.Path != p+".id" {
				continue next
			}
		}
		out = append(out, pc)
	}
	return out
}
