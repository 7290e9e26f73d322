package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// tr maps an id referenced at REV to the id it has now (id map), for
// references to objects of kinds.
func (pl *planner) tr(kinds []string, id string) string {
	if n, ok := pl.in.IDMap.Resolve(id); ok {
		return n
	}
	for _, k := range kinds {
		n, ok := "", false
		switch k {
		case "applications":
			n, ok = pl.in.IDMap.ResolveAppID(id)
		case "directory-roles":
			n, ok = pl.liveDirectoryRole(id) // roles.go
		}
		if ok {
			return n
		}
	}
	return id
}

// translate returns a copy of obj with its key and references mapped
// through the id map.
func (pl *planner) translate(o *Object) *Object {
	data := layout.Copy(o.Data).(map[string]any)
	k := o.Kind
	for _, r := range k.Refs {
		r.Walk(data, func(id string) string { return pl.tr(r.Kinds, id) })
	}
	key := o.Key
	if !k.Singleton {
		key = pl.tr(nil, o.Key)
		if _, ok := data[k.KeyProp()]; ok {
			data[k.KeyProp()] = key
		}
	}
	if k.Name == "applications" || k.Name == "service-principals" {
		if a := str(data["appId"]); a != "" {
			if n, ok := pl.in.IDMap.ResolveAppID(a); ok {
				data["appId"] = n
				rewriteAppID(data, a, n)
			}
		}
	}
	return &Object{Path: o.Path, Kind: k, Key: key, Data: data}
}

// ref maps a referenced id for a request: a placeholder when the object
// is being created, with the actions the request must wait for.
func (pl *planner) ref(kinds []string, id string) (string, []string) {
	if slices.Contains(kinds, "applications") {
		if s := pl.creatingApp[strings.ToLower(id)]; s != nil {
			return s.appHold, []string{mainDep(s)}
		}
		if s := pl.restoringAp[strings.ToLower(id)]; s != nil {
			return id, []string{mainDep(s)}
		}
	}
	if s := pl.creating[strings.ToLower(id)]; s != nil {
		return s.holder, []string{mainDep(s)}
	}
	if s := pl.restoring[strings.ToLower(id)]; s != nil {
		return id, []string{mainDep(s)}
	}
	for _, k := range kinds { // created with the key it had (upsertCreate)
		if s := pl.keyedNew[k+"/"+strings.ToLower(id)]; s != nil {
			return id, []string{mainDep(s)}
		}
	}
	return id, nil
}

// mainDep names the create or restore of s, which may not be planned yet:
// finish turns the name into the action's id.
func mainDep(s *objState) string {
	if s.main != "" {
		return s.main
	}
	return "@" + s.k.Name + "/" + strings.ToLower(s.key)
}

// mapRefs replaces, in data of kind k (top-level properties as in the
// file), the ids of objects being created by their placeholders.
func (pl *planner) mapRefs(k *layout.Kind, data map[string]any) {
	for _, r := range k.Refs {
		r.Walk(data, func(id string) string {
			n, _ := pl.ref(r.Kinds, id)
			return n
		})
	}
}

// depsOf returns the actions a request body of kind k must wait for: the
// creates of the placeholders it holds and the restores of the objects it names.
func (pl *planner) depsOf(k *layout.Kind, b map[string]any) []string {
	var deps []string
	for _, r := range k.Refs {
		r.Walk(b, func(id string) string {
			if isHolder(id) && strings.HasPrefix(id, "{{new") {
				if s := pl.holders[id]; s != nil {
					deps = append(deps, mainDep(s))
				}
				return id
			}
			_, d := pl.ref(r.Kinds, id)
			deps = append(deps, d...)
			return id
		})
	}
	return deps
}

// refState says whether a referenced id exists, for ids outside the plan.
func (pl *planner) refState(id string) RefState {
	if pl.planned[strings.ToLower(id)] {
		return RefLive
	}
	if st, ok := pl.in.Refs[strings.ToLower(id)]; ok {
		return st
	}
	return RefLive
}

func (pl *planner) refName(id string) string {
	if n, ok := pl.names[strings.ToLower(id)]; ok {
		return fmt.Sprintf("%q (%s)", n, id)
	}
	return id
}

// danglingRefs warns about references to objects that are gone and not
// being restored.
func (pl *planner) danglingRefs(s *objState, data map[string]any, warns *[]string) {
	for _, r := range s.k.Refs {
		if isChild(s.k, topProp(r.Path)) {
			continue
		}
		r.Walk(data, func(id string) string {
			if what, ok := pl.uncreatable[strings.ToLower(id)]; ok {
				*warns = append(*warns, fmt.Sprintf("%s names %s, which is not in the tenant and which this plan cannot create (see the plan's warnings): Graph refuses this write until it exists; recreate it first, then plan again", r.Path, what))
				return id
			}
			switch pl.refState(id) {
			case RefDeleted:
				*warns = append(*warns, fmt.Sprintf("%s names %s, which is in the recycle bin: add it to the selection, or Graph may refuse this write", r.Path, pl.refName(id)))
			case RefGone:
				*warns = append(*warns, fmt.Sprintf("%s names %s, which no longer exists: restore it too, or Graph may refuse this write", r.Path, pl.refName(id)))
			}
			return id
		})
	}
}

func refKindsOf(k *layout.Kind, p string) []string {
	for _, r := range k.Refs {
		if r.Path == p || strings.HasPrefix(r.Path, p+".") || strings.HasPrefix(r.Path, p+"[]") {
			return r.Kinds
		}
	}
	return nil
}

// refsOf returns the lower-case ids an object's references name.
func refsOf(k *layout.Kind, data map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, r := range k.Refs {
		r.Walk(data, func(id string) string {
			out[strings.ToLower(id)] = true
			return id
		})
	}
	return out
}

// references reports references to recreated objects from objects at REV
// that the plan does not restore.
func (pl *planner) references() {
	if len(pl.creating) == 0 {
		return
	}
	old := map[string]*objState{}
	for _, s := range pl.creating {
		old[strings.ToLower(s.key)] = s
	}
	for _, s := range pl.states {
		if s.mode == modeCreate && s.holder != "" {
			old[strings.ToLower(s.d.Key)] = s
		}
	}
	referrers := map[*objState][]string{}    // kinds of the objects naming s
	named := map[*objState]map[string]bool{} // those objects, once each
	for _, o := range pl.in.Others {
		k := o.Kind
		for _, r := range k.Refs {
			r.Walk(o.Data, func(id string) string {
				if s := old[strings.ToLower(pl.tr(r.Kinds, id))]; s != nil {
					pl.p.References = append(pl.p.References, Reference{Kind: k.Name, Key: o.Key, Name: displayName(o), File: o.Path, Property: r.Path, OldID: id})
					referrers[s] = append(referrers[s], k.Name)
					if named[s] == nil {
						named[s] = map[string]bool{}
					}
					named[s][k.Name+"/"+o.Key] = true
				}
				return id
			})
		}
	}
	for s, kinds := range referrers {
		if a := pl.action(s.main); a != nil {
			msg := "%d objects not being restored name its old id (listed below) and keep pointing at nothing until restored too: add them to the selection (e.g. %s)"
			if len(named[s]) == 1 {
				msg = "%d object not being restored names its old id (listed below) and keeps pointing at nothing until restored too: add it to the selection (e.g. %s)"
			}
			a.Warnings = append(a.Warnings, fmt.Sprintf(msg, len(named[s]), strings.Join(uniq(kinds), ", ")))
		}
	}
}
