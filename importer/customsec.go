package importer

import (
	"fmt"
	"net/url"
	"sort"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of custom security attribute sets and definitions
// (layout/catalog_tenant.go). Graph deletes none of them:
//
//   - an attribute set is created with its id (the set's name, the
//     administrator's: directory-post-attributesets) and PATCHed
//     (attributeset-update); one live but not at REV stays, and the plan
//     says so;
//   - a definition is created with attributeSet, name, type, isCollection
//     and isSearchable, which cannot be changed later, and PATCHed for
//     description, status and usePreDefinedValuesOnly
//     (customsecurityattributedefinition-update); one live but not at REV
//     is deactivated (status Deprecated), the nearest Graph has to a
//     delete, with a warning;
//   - predefined values (allowedValues) are matched by id exactly (Graph's
//     ids are case sensitive), added by POST with their id
//     (customsecurityattributedefinition-post-allowedvalues), their
//     isActive PATCHed (allowedvalue-update); one live but not at REV is
//     deactivated (isActive false), never deleted.

const (
	attrSets    = "attribute-sets"
	attrDefs    = "custom-security-attributes"
	allowedVals = "allowedValues"
)

func init() {
	createOnly[attrSets] = []string{"id"}
	createOnly[attrDefs] = []string{"attributeSet", "isCollection", "isSearchable", "name", "type"}
	noDelete[attrSets] = true
	noDelete[attrDefs] = true
}

// isAllowedValues reports whether ch is a definition's predefined values.
func isAllowedValues(kind string, ch layout.Child) bool {
	return kind == attrDefs && ch.Name == allowedVals
}

// allowedValues plans the predefined values of definition s: current is
// the live definition (nil when it is created), want the values at REV.
func (pl *planner) allowedValues(s *objState, ch layout.Child, parent string, current *Object, want any, deps []string) {
	k := s.k
	coll := childColl(k, ch, parent)
	byID := func(list any) (map[string]map[string]any, []string) {
		m := map[string]map[string]any{}
		var ids []string
		for _, it := range asSlice(list) {
			if v, ok := it.(map[string]any); ok {
				id := str(v["id"])
				if _, dup := m[id]; !dup {
					ids = append(ids, id)
				}
				m[id] = v
			}
		}
		sort.Strings(ids)
		return m, ids
	}
	wantBy, wantIDs := byID(want)
	var have map[string]map[string]any
	var haveIDs []string
	if current != nil {
		have, haveIDs = byID(current.Data[ch.Name])
	}
	name := func(id string) string { return layout.Safe("predefined value " + id) }
	itemPath := func(id string) string { return coll + "/" + url.PathEscape(id) }
	active := func(v map[string]any) bool { b, _ := v["isActive"].(bool); return b }
	for _, id := range wantIDs {
		m, old := wantBy[id], have[id]
		switch {
		case old == nil:
			pl.add(s, Action{Op: OpAddChild, Relationship: ch.Name, Target: name(id), DependsOn: deps,
				Request: Request{Method: "POST", Path: coll, Body: body(map[string]any{"id": id, "isActive": active(m)})},
				Changes: []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}}}})
		case active(old) != active(m):
			pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: name(id), DependsOn: deps,
				Request: Request{Method: "PATCH", Path: itemPath(id), Body: body(map[string]any{"isActive": active(m)})},
				Changes: []Change{{Path: ch.Name + "[id=" + id + "].isActive", Action: diff.Replaced, Before: active(old), After: active(m)}}})
		}
	}
	for _, id := range haveIDs {
		old := have[id]
		if _, ok := wantBy[id]; ok || !active(old) {
			continue
		}
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: name(id)})
			continue
		}
		pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: name(id), DependsOn: deps,
			Request:  Request{Method: "PATCH", Path: itemPath(id), Body: body(map[string]any{"isActive": false})},
			Changes:  []Change{{Path: ch.Name + "[id=" + id + "].isActive", Action: diff.Replaced, Before: true, After: false}},
			Warnings: []string{"Graph does not delete predefined values: " + layout.Safe(id) + " is deactivated instead (isActive false)"}})
	}
}

// undeletable plans the live objects of kind k that are not at REV when
// Graph cannot delete them (matched: kind/lower key of the objects at
// REV). It reports whether k is such a kind.
func (pl *planner) undeletable(k *layout.Kind, live map[string]*Object, matched map[string]bool) bool {
	if k.Name != attrSets && k.Name != attrDefs {
		return false
	}
	for _, key := range sortedKeys(live) {
		o := live[key]
		if matched[k.Name+"/"+key] {
			continue
		}
		if k.Name == attrSets {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s is not in the snapshot at %s and stays: Graph does not delete attribute sets", k.Title, label(o), pl.in.Rev))
			continue
		}
		if str(o.Data["status"]) == "Deprecated" {
			continue // as deactivated as Graph allows
		}
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: o.Key, Name: displayName(o)})
			continue
		}
		pl.p.Live[k.Name+"/"+o.Key] = fingerprint(o.Data)
		s := &objState{d: o, k: k, key: o.Key, orig: o.Key, live: o, mode: modeLive}
		pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(k, o.Key), Body: body(map[string]any{"status": "Deprecated"})},
			Changes:  []Change{{Path: "status", Action: diff.Replaced, Before: o.Data["status"], After: "Deprecated"}},
			Warnings: []string{"not in the snapshot at " + layout.Safe(pl.in.Rev) + ": Graph does not delete custom security attribute definitions, so it is deactivated (status Deprecated); values users hold in it stay"}})
	}
	return true
}
