package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// TestDraft2019CompilesAlike: every generated schema is compiled as draft
// 2019-09 (compiledAs2019 applies to it), and for each kind's realistic
// object and a few hundred broken variants of it (each property removed,
// given a value of another type, an unknown property added, at the top
// and one level down), the schema compiled as it is written (2020-12)
// answers exactly as the one compiled: same verdict, same problems, same
// detailed output of the validator.
func TestDraft2019CompilesAlike(t *testing.T) {
	byKind := map[string][]map[string]any{}
	for name, obj := range fixtures(t) {
		byKind[kindOf(name)] = append(byKind[kindOf(name)], obj)
	}
	compared := 0
	for _, kind := range Kinds() {
		raw, err := generated.ReadFile(path.Join(dir, kind+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(compiledAs2019(raw), raw) {
			t.Errorf("%s: compiled as written (2020-12), not as 2019-09: its $schema line changed or it uses a keyword of 2020-12 only", kind)
			continue
		}
		fast, err := For(kind)
		if err != nil {
			t.Fatal(err)
		}
		sch2020, err := compile(kind, "https://github.com/entrasnap/entrasnap/schemas/generated/"+kind+suffix, raw)
		if err != nil {
			t.Fatal(err)
		}
		slow := &Schema{kind: kind, raw: raw, doc: fast.doc, sch: sch2020}
		for _, obj := range byKind[kind] {
			for _, v := range variants(obj) {
				compared++
				a, b := fast.Validate(v.obj), slow.Validate(v.obj)
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Errorf("%s, %s: as 2019-09: %v\nas 2020-12: %v", kind, v.name, a, b)
					continue
				}
				if n, _ := normalize(v.obj); true {
					da, db := detailed(fast.sch.Validate(n)), detailed(sch2020.Validate(n))
					if !reflect.DeepEqual(da, db) {
						t.Errorf("%s, %s: the validator's output differs:\nas 2019-09: %+v\nas 2020-12: %+v", kind, v.name, da, db)
					}
				}
			}
		}
	}
	if compared < 1000 {
		t.Errorf("compared %d objects: the fixtures or their variants are missing", compared)
	}
	t.Logf("%d objects compared", compared)

	// A schema using a keyword of 2020-12 only is compiled as written.
	for _, kw := range []string{`"$dynamicRef"`, `"$dynamicAnchor"`, `"prefixItems"`} {
		src := []byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {"a": {` + kw + `: []}}}`)
		if !bytes.Equal(compiledAs2019(src), src) {
			t.Errorf("a schema with %s is compiled as 2019-09", kw)
		}
	}
}

// detailed is the validator's detailed output of err, each level's
// errors in order of their text and the names in a message ("additionalProperties
// 'a', 'b' not allowed") in order: the validator lists the properties of an
// object in the order it walks the map, which differs from run to run.
func detailed(err error) any {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var sorted func(d jsonschema.Detailed) jsonschema.Detailed
	sorted = func(d jsonschema.Detailed) jsonschema.Detailed {
		if names, ok := strings.CutSuffix(d.Error, " not allowed"); ok {
			names, _ = strings.CutPrefix(names, "additionalProperties ")
			parts := strings.Split(names, ", ")
			sort.Strings(parts)
			d.Error = "additionalProperties " + strings.Join(parts, ", ") + " not allowed"
		}
		for i := range d.Errors {
			d.Errors[i] = sorted(d.Errors[i])
		}
		sort.Slice(d.Errors, func(i, j int) bool { return fmt.Sprint(d.Errors[i]) < fmt.Sprint(d.Errors[j]) })
		return d
	}
	return sorted(ve.DetailedOutput())
}

type variant struct {
	name string
	obj  map[string]any
}

// variants are obj and copies of it each broken in one place: every
// property (and every property of an object or of the first object of a
// list under it) removed, set to a number, set to an object, and an
// unknown property and a directory extension property added beside them.
func variants(obj map[string]any) []variant {
	out := []variant{{"as it is", obj}}
	edit := func(name string, f func(m map[string]any)) {
		c := deepCopy(obj).(map[string]any)
		f(c)
		out = append(out, variant{name, c})
	}
	var breakIn func(prefix string, get func(map[string]any) map[string]any, m map[string]any, depth int)
	breakIn = func(prefix string, get func(map[string]any) map[string]any, m map[string]any, depth int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		edit(prefix+"favoriteColor added", func(c map[string]any) { get(c)["favoriteColor"] = "blue" })
		edit(prefix+"extension property added", func(c map[string]any) {
			get(c)["extension_0123456789abcdef0123456789abcdef_costCenter"] = "x"
		})
		for _, k := range keys {
			edit(prefix+k+" removed", func(c map[string]any) { delete(get(c), k) })
			edit(prefix+k+" a number", func(c map[string]any) { get(c)[k] = 1.5 })
			edit(prefix+k+" an object", func(c map[string]any) { get(c)[k] = map[string]any{"zz": true} })
			if depth > 0 {
				continue
			}
			switch v := m[k].(type) {
			case map[string]any:
				breakIn(prefix+k+".", func(c map[string]any) map[string]any { return get(c)[k].(map[string]any) }, v, depth+1)
			case []any:
				if len(v) == 0 {
					continue
				}
				if first, ok := v[0].(map[string]any); ok {
					breakIn(prefix+k+"[0].", func(c map[string]any) map[string]any { return get(c)[k].([]any)[0].(map[string]any) }, first, depth+1)
				} else {
					edit(prefix+k+"[0] an object", func(c map[string]any) { get(c)[k].([]any)[0] = map[string]any{"zz": true} })
				}
			}
		}
	}
	breakIn("", func(c map[string]any) map[string]any { return c }, obj, 0)
	return out
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, x := range v {
			c[k] = deepCopy(x)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, x := range v {
			c[i] = deepCopy(x)
		}
		return c
	}
	return v
}
