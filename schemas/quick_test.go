package schemas

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// TestQuickAgreesWithValidator: the quick check (quick.go) never says an
// object is valid when the validator finds a problem, nor invalid when the
// validator finds none, on every kind's fixtures, decoded as YAML and as
// entrasnap reads files back, and hundreds of broken variants of each
// (variants, and every property, at the top and one level down, set to
// null, to a string no enum or pattern holds, to true, to an empty list);
// and it answers yes for every fixture as it is, so that Validate is quick
// for files as export writes them.
func TestQuickAgreesWithValidator(t *testing.T) {
	compared, quickYes := 0, 0
	fx := fixtures(t)
	for _, name := range slices.Sorted(maps.Keys(fx)) {
		kind := kindOf(name)
		s, err := For(kind)
		if err != nil {
			t.Fatal(err)
		}
		obj := fx[name]
		canonical, err := layout.Decode(layout.Encode(obj)) // json.Number, not float64
		if err != nil {
			t.Fatal(err)
		}
		var all []variant
		for _, o := range []map[string]any{obj, canonical} {
			all = append(all, variants(o)...)
			all = append(all, valueVariants(o)...)
		}
		for i, v := range all {
			n, err := normalize(v.obj)
			if err != nil {
				t.Fatal(err)
			}
			valid := s.sch.Validate(n) == nil
			q := s.quickCheck(v.obj)
			compared++
			switch {
			case q == yes && !valid:
				t.Errorf("%s, %s: the quick check says valid, the validator: %v", name, v.name, s.Validate(v.obj))
			case q == no && valid:
				t.Errorf("%s, %s: the quick check says invalid, the validator valid", name, v.name)
			case q == yes:
				quickYes++
			}
			if v.name == "as it is" && q != yes && valid {
				t.Errorf("%s (fixture %d): the quick check is %v, not yes, on a valid fixture as it is: Validate is slow for it", name, i, q)
			}
		}
	}
	t.Logf("%d objects compared, %d valid by the quick check", compared, quickYes)
}

// valueVariants are obj's copies with one property (at the top, or in an
// object or a list's first object one level down) set to null, a string
// no enum, pattern or format holds, true, or an empty list.
func valueVariants(obj map[string]any) []variant {
	var out []variant
	values := []any{nil, "zz not valid ~", true, []any{}, json.Number("7"), json.Number("2.5")}
	var walk func(prefix string, get func(map[string]any) map[string]any, m map[string]any, depth int)
	walk = func(prefix string, get func(map[string]any) map[string]any, m map[string]any, depth int) {
		for k, val := range m {
			for _, nv := range values {
				c := deepCopy(obj).(map[string]any)
				get(c)[k] = nv
				out = append(out, variant{prefix + k + " set", c})
			}
			if depth > 0 {
				continue
			}
			switch x := val.(type) {
			case map[string]any:
				walk(prefix+k+".", func(c map[string]any) map[string]any { return get(c)[k].(map[string]any) }, x, depth+1)
			case []any:
				if len(x) > 0 {
					if first, ok := x[0].(map[string]any); ok {
						walk(prefix+k+"[0].", func(c map[string]any) map[string]any { return get(c)[k].([]any)[0].(map[string]any) }, first, depth+1)
					}
				}
			}
		}
	}
	walk("", func(c map[string]any) map[string]any { return c }, obj, 0)
	return out
}
