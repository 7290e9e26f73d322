package importer

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore rules of the policies in layout/catalog_policies.go beyond the
// generic ones.
//
// A permission grant policy's condition sets (includes, excludes) have ids
// of Graph's and no update (permissiongrantpolicy-post-includes,
// -delete-includes; no PATCH is documented): a set is matched by its
// conditions, a missing one is added with POST and one the snapshot does
// not hold is removed with DELETE.
//
// The admin consent request policy and the device registration policy are
// written whole with PUT (adminconsentrequestpolicy-update,
// deviceregistrationpolicy-update document no PATCH).

// putWhole are singletons Graph updates with PUT of every writable property.
var putWhole = map[string]bool{"admin-consent-request-policy": true, "device-registration-policy": true}

// isConditionSet reports whether ch is a permission grant policy's
// includes or excludes.
func isConditionSet(kind string, ch layout.Child) bool {
	return kind == "permission-grant-policies" && (ch.Name == "includes" || ch.Name == "excludes")
}

// conditionSetKey identifies a condition set by its conditions: every
// property but its id, lists in canonical (sorted) order.
func conditionSetKey(item map[string]any) string {
	m := map[string]any{}
	for k, v := range item {
		if k == "id" || k == "@odata.type" {
			continue
		}
		if l, ok := v.([]any); ok {
			c := make([]string, 0, len(l))
			for _, e := range l {
				c = append(c, strings.ToLower(str(e)))
			}
			slices.Sort(c)
			v = c
		}
		m[k] = v
	}
	b, _ := json.Marshal(m) // map keys sorted: one key per set of conditions
	return strings.ToLower(string(b))
}

// conditionSetChild plans adding m (old nil) or removing old (m nil).
func (pl *planner) conditionSetChild(s *objState, ch layout.Child, parent string, old, m map[string]any, parentDeps []string) string {
	k := s.k
	if m != nil {
		b := layout.Copy(m).(map[string]any)
		delete(b, "id")
		return pl.add(s, Action{Op: OpAddChild, Relationship: ch.Name, Target: str(m["id"]), DependsOn: parentDeps,
			Request: Request{Method: "POST", Path: childColl(k, ch, parent), Body: body(b)},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}}}})
	}
	return pl.add(s, Action{Op: OpRemoveChild, Relationship: ch.Name, Target: str(old["id"]), Removal: true, DependsOn: parentDeps,
		Request: Request{Method: "DELETE", Path: childColl(k, ch, parent) + "/" + str(old["id"])},
		Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}}}})
}

// wholeBody is the PUT body of a putWhole kind: every writable property of
// want, the changed ones included; a property set on create only is sent
// as the live object holds it (a PUT replaces the object, and Graph does
// not change it: an access review's scope).
func wholeBody(pl *planner, k *layout.Kind, want, changed, live map[string]any) map[string]any {
	sch := pl.schema(k)
	b := map[string]any{}
	for p, v := range want {
		if isCreateOnly(k, p) {
			if lv, ok := live[p]; ok && lv != nil {
				b[p] = stripReadOnly(k, sch, p, layout.Copy(lv))
			}
			continue
		}
		if p == "@odata.type" || isChild(k, p) || readOnly(k, sch, p) {
			continue
		}
		b[p] = stripReadOnly(k, sch, p, layout.Copy(v))
	}
	for p, v := range changed {
		b[p] = v
	}
	return b
}
