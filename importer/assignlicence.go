package importer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
)

// Licence assignments (issue 13): a user's or group's assignedLicenses in
// its file are its direct assignments (live/users.go leaves out what a user
// inherits from groups). Graph writes them only through POST
// /users/{id}/assignLicense and /groups/{id}/assignLicense
// (user-assignlicense, group-assignlicense) with {addLicenses: [{skuId,
// disabledPlans}], removeLicenses: [skuId]}: a PATCH refuses them. So
// restore plans one assignLicense per object whose direct licences differ:
// the licences to add or whose disabled plans changed, and those to
// remove. It waits for the object's create or restore; a user needs its
// usageLocation (in its file) and Graph refuses a SKU the tenant has no
// subscription for, or has no units left for, naming the SKU: apply
// reports that action failed, object by object.

// licences plans the assignLicense of s from its file (want) and the live
// object (current, nil when the object is created or restored).
func (pl *planner) licences(s *objState, current *Object, parentDeps []string) {
	k := s.k
	if k.Name != "users" && k.Name != "groups" {
		return
	}
	wantV, ok := s.d.Data["assignedLicenses"]
	if !ok {
		return // the file has no opinion
	}
	want := licenceMap(wantV)
	have := map[string]map[string]any{}
	if current != nil {
		have = licenceMap(current.Data["assignedLicenses"])
	}
	var add, addShown []any
	var remove, removeShown []any
	for _, sku := range sortedKeys(want) {
		w := want[sku]
		if h, ok := have[sku]; ok && samePlans(h, w) {
			continue
		}
		plans := asSlice(w["disabledPlans"])
		if plans == nil {
			plans = []any{}
		}
		add = append(add, map[string]any{"skuId": w["skuId"], "disabledPlans": plans})
		addShown = append(addShown, w)
	}
	for _, sku := range sortedKeys(have) {
		if _, ok := want[sku]; ok {
			continue
		}
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: "assignedLicenses", Target: str(have[sku]["skuId"])})
			continue
		}
		remove = append(remove, have[sku]["skuId"])
		removeShown = append(removeShown, have[sku])
	}
	if len(add) == 0 && len(remove) == 0 {
		return
	}
	if add == nil {
		add = []any{}
	}
	if remove == nil {
		remove = []any{}
	}
	var targets []string
	for _, x := range addShown {
		targets = append(targets, str(x.(map[string]any)["skuId"]))
	}
	for _, x := range remove {
		targets = append(targets, str(x))
	}
	parent := s.key
	if s.holder != "" {
		parent = s.holder
	}
	a := Action{Op: OpUpdate, Relationship: "assignedLicenses", Target: strings.Join(targets, ","), DependsOn: parentDeps,
		Request: Request{Method: "POST", Path: itemPath(k, parent) + "/assignLicense",
			Body: body(map[string]any{"addLicenses": add, "removeLicenses": remove})},
		Changes: []Change{{Path: "assignedLicenses", Action: diff.Changed, Added: addShown, Removed: removeShown}}}
	if k.Name == "users" && len(add) > 0 && str(s.d.Data["usageLocation"]) == "" {
		a.Warnings = append(a.Warnings, fmt.Sprintf("user %s has no usageLocation in its file: Graph refuses to assign it a licence without one", label(s.d)))
	}
	pl.add(s, a)
}

// licenceMap is a list of assignedLicenses entries by lower-case skuId.
func licenceMap(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, x := range asSlice(v) {
		if m, ok := x.(map[string]any); ok && str(m["skuId"]) != "" {
			out[strings.ToLower(str(m["skuId"]))] = m
		}
	}
	return out
}

// samePlans reports whether two assignments disable the same plans.
func samePlans(a, b map[string]any) bool {
	norm := func(m map[string]any) string {
		var ps []string
		for _, p := range asSlice(m["disabledPlans"]) {
			ps = append(ps, strings.ToLower(str(p)))
		}
		sort.Strings(ps)
		return strings.Join(ps, ",")
	}
	return norm(a) == norm(b)
}
