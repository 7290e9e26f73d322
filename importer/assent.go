package importer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// A create whose answer was lost is looked for by kind and display name
// (indoubt.go), but a display name is not unique: another admin or
// process may have made an object of that name meanwhile. An object is
// taken as the one the create made only when what the create sent, and
// Graph keeps, is what the object holds (asSent): a lookalike is not
// adopted, and the result says which property told them apart.

// maxSentString is the longest string value compared: longer ones (a
// terms of use agreement's document, base64) are left out of the journal
// and of the comparison.
const maxSentString = 4096

// sentProps is what the JSON body of a create of kind k sends that a found
// object can be compared with: its properties, without the annotations
// (but @odata.type), the kind's secret and volatile properties (never
// returned, or changing on their own), null values and strings holding
// "{{" (a placeholder apply fills in, or a value escaped beside them:
// not knowable here). nil when body is not a JSON object.
func sentProps(k *layout.Kind, body []byte) map[string]any {
	var b map[string]any
	if len(body) == 0 || json.Unmarshal(body, &b) != nil {
		return nil
	}
	for p := range b {
		if skipSent(k, p) {
			delete(b, p)
		}
	}
	out, _ := keptValue(b).(map[string]any)
	return out
}

// skipSent reports whether top-level property p of a create of kind k is
// left out of the comparison.
func skipSent(k *layout.Kind, p string) bool {
	if strings.Contains(p, "@") && p != "@odata.type" {
		return true
	}
	for _, s := range append(append([]string(nil), k.Secret...), k.Volatile...) {
		if s == p || strings.HasPrefix(s, p+".") || strings.HasPrefix(s, p+"[]") {
			return true
		}
	}
	return false
}

// keptValue is v without what sentProps leaves out (nil when nothing is
// left).
func keptValue(v any) any {
	switch x := v.(type) {
	case string:
		if strings.Contains(x, "{{") || len(x) > maxSentString {
			return nil
		}
		return x
	case map[string]any:
		out := map[string]any{}
		for p, e := range x {
			if strings.Contains(p, "@") && p != "@odata.type" {
				continue
			}
			if e = keptValue(e); e != nil {
				out[p] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e = keptValue(e); e != nil {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}

// asSent says how found (a live object, as Graph answers it or as the
// reader decodes it) differs from sent (sentProps of the create): "" when
// every property sent that found holds has the value sent. What found
// does not hold (or holds as null) is not compared: Graph leaves out
// write-only properties and the read leaves out what it does not select.
// Graph may add to what was sent (defaults inside a complex value, items
// of its own in a list: a service principal's tags), so a map matches when
// its sent properties do and a list when each sent item is in it, in any
// order. Strings are compared byte for byte, except ids (GUIDs, which
// Graph answers in lower case whatever case was sent) and @odata.type
// values (a type name, matched whatever its case or "#"), and date-times
// (sameInstant). Graph's
// documentation says nothing of changing the case or Unicode form of a
// value it stores, and its uniqueness of userPrincipalName and
// mailNickname ignores case (graph-semantics.md §9: "Another object with
// the same value for property ..."; graphsim kinds.go Unique): a value
// differing from the one sent only in case cannot be a namesake made
// beside ours, so it is another object's. This is the strict reading: if
// Graph did fold a value, the create would stay failed and say why
// (a re-run sends it again, and Graph refuses a duplicate unique value),
// where the lenient one would adopt, link and record another admin's
// object as ours.
func asSent(sent, found map[string]any) string {
	for _, p := range sortedKeys(sent) {
		if why := differs(p, sent[p], found[p]); why != "" {
			return why
		}
	}
	return ""
}

// differs compares the value sent at path with the value found there.
func differs(path string, sent, found any) string {
	if found == nil {
		return ""
	}
	bad := func() string {
		return fmt.Sprintf("its %s is %s where the create sent %s", layout.Safe(path), shown(found), shown(sent))
	}
	switch s := sent.(type) {
	case string:
		f, ok := found.(string)
		switch {
		case !ok:
			return bad()
		case s == f:
		case (strings.HasSuffix(path, "@odata.type") || path == "@odata.type") && strings.EqualFold(strings.TrimPrefix(s, "#"), strings.TrimPrefix(f, "#")):
		case guidRe.MatchString(s) && strings.EqualFold(s, f):
		case sameInstant(s, f):
		default:
			return bad()
		}
	case bool:
		if f, ok := found.(bool); !ok || f != s {
			return bad()
		}
	case float64: // found as JSON (float64) or YAML (int) decodes numbers
		if fb, err := json.Marshal(found); err != nil || string(fb) != shownNumber(s) {
			return bad()
		}
	case map[string]any:
		f, ok := found.(map[string]any)
		if !ok {
			return bad()
		}
		for _, p := range sortedKeys(s) {
			if why := differs(path+"."+p, s[p], f[p]); why != "" {
				return why
			}
		}
	case []any:
		f, ok := found.([]any)
		if !ok {
			return bad()
		}
		for _, item := range s {
			in := false
			for _, g := range f {
				if differs(path+"[]", item, g) == "" {
					in = true
					break
				}
			}
			if !in {
				return fmt.Sprintf("its %s does not hold %s, which the create sent", layout.Safe(path), shown(item))
			}
		}
	}
	return ""
}

// sameInstant reports whether a and b are both date-times (RFC 3339) of
// the same instant: Graph answers a DateTimeOffset in its own form
// ("2026-01-01T00:00:00Z" sent, "2026-01-01T00:00:00.0000000Z" or
// "+00:00" read back).
func sameInstant(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	return errA == nil && errB == nil && ta.Equal(tb)
}

// shownNumber is n as JSON writes it.
func shownNumber(n float64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// shown is v for a message: JSON, escaped (layout.Safe), cut at 80 bytes.
func shown(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") + "…"
	}
	return layout.Safe(s)
}

// splitAsSent parts objs into those as sent and the others, each other
// with why it is not (asSent). sent nil (a journal written before the
// create's body was noted): every object is taken as sent.
func splitAsSent(sent map[string]any, objs []*Object) (fit []*Object, others []string) {
	for _, o := range objs {
		if why := asSent(sent, o.Data); sent != nil && why != "" {
			others = append(others, layout.Safe(o.Key)+" ("+why+")")
			continue
		}
		fit = append(fit, o)
	}
	sort.Strings(others)
	return fit, others
}
