package importer

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of custom security attribute values of users and of service
// principals (layout kinds user-security-attributes and
// service-principal-security-attributes, one implementation; below, "the
// user" is the service principal for the second): one PATCH /users/{id}
// (/servicePrincipals/{id}) per object whose values differ, naming only the attributes that change
// (learn:/graph/custom-security-attributes-examples): each set carries
// "@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue",
// each changed value its "@odata.type" annotation exactly as the file holds
// it, a removed single value null and a removed collection [] (as the
// examples remove them).
//
// A user's file absent at REV means the user had no values then: a restore
// of the whole kind removes the values of live users that hold some and have
// no file (said in the plan as "not at REV: no values then"); --no-remove
// keeps them. A file whose user is not in the tenant waits for the user's
// create or restore from the recycle bin when the plan restores the user
// too (the PATCH names the new user's id); otherwise the plan says to
// restore the user first.

const csaKind = layout.UserSecurityAttributes

// isCSA reports whether k is a kind of custom security attribute values.
func isCSA(k *layout.Kind) bool { return layout.AttributeValueOwner(k) != "" }

// csaOwner is the kind the values of k belong to and what one of its
// objects is called.
func csaOwner(k *layout.Kind) (kind, noun string) {
	kind = layout.AttributeValueOwner(k)
	if kind == "service-principals" {
		return kind, "service principal"
	}
	return kind, "user"
}

const csaWriteType = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"

// csaValueSets returns the attribute sets of a file's or live object's data.
func csaValueSets(data map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	sets, _ := data["customSecurityAttributes"].(map[string]any)
	for name, v := range sets {
		if m, ok := v.(map[string]any); ok {
			out[name] = m
		}
	}
	return out
}

// csaValueAttrs lists a set's attribute names (annotations left out), sorted.
func csaValueAttrs(set map[string]any) []string {
	var out []string
	for k := range set {
		if !strings.Contains(k, "@") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// csaRemoval is what removes attribute a of a live set: [] for a collection, else null.
func csaRemoval(set map[string]any, a string) any {
	_, isArr := set[a].([]any)
	if isArr || strings.HasPrefix(fmt.Sprint(set[a+"@odata.type"]), "#Collection(") {
		return []any{}
	}
	return nil
}

// csaValuesBody builds the PATCH body that turns have into want, with the
// changes for review; empty when they hold the same values.
func csaValuesBody(have, want map[string]any) (map[string]any, []Change) {
	hs, ws := csaValueSets(have), csaValueSets(want)
	names := map[string]bool{}
	for n := range hs {
		names[n] = true
	}
	for n := range ws {
		names[n] = true
	}
	var order []string
	for n := range names {
		order = append(order, n)
	}
	sort.Strings(order)
	out := map[string]any{}
	var changes []Change
	for _, set := range order {
		h, w := hs[set], ws[set]
		b := map[string]any{}
		for _, a := range csaValueAttrs(w) {
			ann, annotated := w[a+"@odata.type"]
			if h != nil && reflect.DeepEqual(norm(h[a]), norm(w[a])) && reflect.DeepEqual(h[a+"@odata.type"], w[a+"@odata.type"]) {
				continue
			}
			b[a] = layout.Copy(w[a])
			if annotated {
				b[a+"@odata.type"] = ann
			}
			path := "customSecurityAttributes." + set + "." + a
			if h != nil {
				if _, had := h[a]; had {
					changes = append(changes, Change{Path: path, Action: diff.Replaced, Before: h[a], After: w[a]})
					continue
				}
			}
			changes = append(changes, Change{Path: path, Action: diff.Added, After: w[a]})
		}
		for _, a := range csaValueAttrs(h) {
			if _, kept := w[a]; kept {
				continue
			}
			b[a] = csaRemoval(h, a)
			changes = append(changes, Change{Path: "customSecurityAttributes." + set + "." + a, Action: diff.Removed, Before: h[a]})
		}
		if len(b) > 0 {
			b["@odata.type"] = csaWriteType
			out[set] = b
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return map[string]any{"customSecurityAttributes": out}, changes
}

// norm makes numbers comparable whatever decoded them (json.Number, YAML).
func norm(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = norm(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = norm(e)
		}
		return out
	case nil, bool, string:
		return x
	}
	return fmt.Sprint(v)
}

// csaDeactivated takes out of b the values it assigns to attributes Graph
// will refuse as deactivated (status Deprecated; graphsim/doc.go): at REV,
// or in the tenant now (the live definitions, read beside the values:
// layout AdvisoryReads). A value of an attribute deactivated since REV whose
// definition this plan restores too (Available at REV) stays, and waits for
// that PATCH (deps); any other is left out and the plan says what to do.
// Removals (null, []) stay.
func (pl *planner) csaDeactivated(b map[string]any, changes []Change) (map[string]any, []Change, []string, []string) {
	if pl.csaStatus == nil {
		pl.csaStatus = map[string]string{}
		for _, o := range append(append([]*Object(nil), pl.in.Others...), pl.in.Desired...) {
			if o.Kind.Name == attrDefs {
				pl.csaStatus[strings.ToLower(o.Key)] = str(o.Data["status"])
			}
		}
	}
	if b == nil {
		return nil, nil, nil, nil
	}
	selected := map[string]*Object{}
	for _, o := range pl.in.Desired {
		if o.Kind.Name == attrDefs {
			selected[strings.ToLower(o.Key)] = o
		}
	}
	deprecated := func(status any) bool { return strings.EqualFold(str(status), "Deprecated") }
	sets := b["customSecurityAttributes"].(map[string]any)
	var warns, deps []string
	dropped := map[string]bool{}
	for _, set := range sortedKeys(sets) {
		attrs := sets[set].(map[string]any)
		for _, a := range csaValueAttrs(attrs) {
			v := attrs[a]
			if arr, ok := v.([]any); v == nil || ok && len(arr) == 0 {
				continue // a removal
			}
			id := strings.ToLower(set + "_" + a)
			name := layout.Safe(set + "." + a)
			switch live := pl.in.Live[attrDefs][id]; {
			case deprecated(pl.csaStatus[id]):
				warns = append(warns, fmt.Sprintf("%s is not given back: the attribute is deactivated (status Deprecated at REV) and Graph does not assign a deactivated attribute; reactivate it (custom-security-attributes) and restore again", name))
			case live == nil || !deprecated(live.Data["status"]):
				continue
			case selected[id] != nil && !deprecated(selected[id].Data["status"]):
				deps = append(deps, "@"+attrDefs+"/"+id)
				warns = append(warns, fmt.Sprintf("%s: the attribute was deactivated since REV; this plan reactivates it (custom-security-attributes, status Available at REV) before giving the value back", name))
				continue
			default:
				warns = append(warns, fmt.Sprintf("%s is not given back: the attribute was deactivated since REV (status Deprecated in the tenant, Available at REV) and Graph does not assign a deactivated attribute; restore its definition custom-security-attributes/%s in the same plan (the plan reactivates it first), or leave the value out", name, layout.Safe(set+"_"+a)))
			}
			delete(attrs, a)
			delete(attrs, a+"@odata.type")
			dropped["customSecurityAttributes."+set+"."+a] = true
		}
		if len(csaValueAttrs(attrs)) == 0 {
			delete(sets, set)
		}
	}
	var kept []Change
	for _, c := range changes {
		if !dropped[c.Path] {
			kept = append(kept, c)
		}
	}
	if len(sets) == 0 {
		return nil, nil, warns, nil
	}
	return b, kept, warns, deps
}

// csaUpdate plans the PATCH of a live user's values to REV's.
func (pl *planner) csaUpdate(s *objState, current *Object, dep string) {
	b, changes, warns, deps := pl.csaDeactivated(csaValuesBody(current.Data, s.d.Data))
	if b == nil {
		if len(warns) > 0 {
			pl.note(s, warns)
		}
		return
	}
	if dep != "" {
		deps = append(deps, dep)
	}
	pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(s.k, s.key), Body: body(b)},
		Name: pl.csaName(s.orig), Changes: changes, DependsOn: deps, Warnings: warns})
}

// csaAssign plans the values of a user that holds none in the tenant: the
// user is there, or this plan creates or restores it (the PATCH waits for
// that and names the new id), or it is gone and the plan says so.
func (pl *planner) csaAssign(s *objState) {
	owner, noun := csaOwner(s.k)
	id, deps := pl.ref([]string{owner}, s.key)
	if len(deps) == 0 {
		if st, ok := pl.in.Refs[strings.ToLower(s.key)]; ok && st != RefLive {
			where := "deleted for good"
			if st == RefDeleted {
				where = "in the recycle bin"
			}
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: the %s is %s and this plan does not restore it: restore the %s (%s) with this kind to give it back its values",
				s.k.Title, label(s.d), noun, where, noun, owner))
			return
		}
	}
	b, changes, warns, reactivated := pl.csaDeactivated(csaValuesBody(map[string]any{}, s.d.Data))
	if b == nil {
		if len(warns) > 0 {
			pl.note(s, warns)
		}
		return
	}
	if len(deps) > 0 {
		warns = append(warns, "set once this plan has brought the "+noun+" back")
	}
	pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(s.k, id), Body: body(b)},
		Name: pl.csaName(s.orig), Changes: changes, DependsOn: append(deps, reactivated...), Warnings: warns})
}

// csaRemoveAll plans removing the values of a live user that has no file at
// REV (it held none then).
func (pl *planner) csaRemoveAll(k *layout.Kind, o *Object) {
	_, noun := csaOwner(k)
	s := &objState{d: o, k: k, key: o.Key, orig: o.Key, live: o, mode: modeLive}
	b, changes := csaValuesBody(o.Data, map[string]any{})
	if b == nil {
		return
	}
	pl.add(s, Action{Op: OpUpdate, Removal: true, Request: Request{Method: "PATCH", Path: itemPath(k, o.Key), Body: body(b)},
		Name: pl.csaName(o.Key), Changes: changes, Warnings: []string{"the " + noun + " has no file at REV: it held no custom security attribute values then"}})
}

// csaName is the user's (service principal's) name when the snapshot or the tenant knows it.
func (pl *planner) csaName(id string) string {
	if n, ok := pl.names[strings.ToLower(id)]; ok {
		return n
	}
	return id
}
