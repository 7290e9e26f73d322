package importer

import (
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
)

// stripReadOnly removes the read-only parts of a value sent whole.
func stripReadOnly(k *layout.Kind, sch *schemas.Schema, path string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for key, e := range x {
			p := path + "." + key
			if key != "@odata.type" && readOnly(k, sch, p) {
				delete(x, key)
				continue
			}
			x[key] = stripReadOnly(k, sch, p, e)
		}
	case []any:
		for i, e := range x {
			x[i] = stripReadOnly(k, sch, path+"[]", e)
		}
	}
	return v
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func containsFold(list []any, s string) bool {
	for _, e := range list {
		if strings.EqualFold(str(e), s) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func sortAny(a []any) {
	sort.SliceStable(a, func(i, j int) bool { return strings.ToLower(str(a[i])) < strings.ToLower(str(a[j])) })
}

func uniq(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
