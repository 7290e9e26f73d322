package layout

import (
	"fmt"
	"slices"
	"strings"
)

// Uses calls fn for every id r names in obj, as Walk finds them (special
// values and values without r.Prefix skipped), with the property path of
// the value in obj ("members[3].id", "conditions.users.includeGroups[0]")
// and, for a reference object ({id, @odata.type}), its @odata.type.
func (r Ref) Uses(obj any, fn func(prop, id, odataType string)) {
	uses(obj, strings.Split(r.Path, "."), "", r.holds, func(prop, v, typ string) {
		vals := []string{v}
		if r.Sep != "" && strings.Contains(v, r.Sep) {
			vals = nil
			for _, part := range strings.Split(v, r.Sep) {
				if part = strings.TrimSpace(part); part != "" {
					vals = append(vals, part)
				}
			}
		}
		for _, v := range vals {
			id, ok := r.ID(v)
			if !ok || id == "" || slices.ContainsFunc(r.Special, func(s string) bool { return strings.EqualFold(s, id) }) {
				continue
			}
			fn(prop, id, typ)
		}
	})
}

func uses(v any, segs []string, path string, holds func(map[string]any) bool, fn func(prop, value, typ string)) {
	m, ok := v.(map[string]any)
	if !ok || len(segs) == 0 {
		return
	}
	seg := segs[0]
	if name, ok := strings.CutSuffix(seg, "[]"); ok {
		for i, e := range asArray(m[name]) {
			uses(e, segs[1:], fmt.Sprintf("%s[%d]", joinProp(path, name), i), holds, fn)
		}
		return
	}
	p := joinProp(path, seg)
	if len(segs) > 1 {
		uses(m[seg], segs[1:], p, holds, fn)
		return
	}
	if !holds(m) {
		return
	}
	typ := ""
	if seg == "id" {
		typ, _ = m["@odata.type"].(string)
	}
	switch x := m[seg].(type) {
	case string:
		fn(p, x, typ)
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok {
				fn(fmt.Sprintf("%s[%d]", p, i), s, "")
			}
		}
	}
}

func joinProp(base, name string) string {
	if base == "" {
		return name
	}
	return base + "." + name
}
