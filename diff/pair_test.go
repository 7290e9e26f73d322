package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// pairMemberIDs are the ids random members take: few, so that members
// collide, repeat and move between versions; with hostile ones (quotes,
// escapes, controls, bidi, a number, an empty string, a long one).
var pairMemberIDs = []any{
	"a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002", "a0000000-0000-4000-8000-000000000003",
	"a0000000-0000-4000-8000-000000000004", "a0000000-0000-4000-8000-000000000005", "a0000000-0000-4000-8000-000000000006",
	"a0000000-0000-4000-8000-000000000007", "a0000000-0000-4000-8000-000000000008", "A0000000-0000-4000-8000-000000000008",
	`quo"te`, `back\slash`, "new\nline", "\x1b[31mred", "\u202eevil", "é", "", "5", json.Number("5"), nil, true,
	strings.Repeat("x", 1500), "#microsoft.graph.user", "id: \"x\"",
}

var pairTypes = []any{"#microsoft.graph.user", "#microsoft.graph.group", "#microsoft.graph.servicePrincipal", "#microsoft.graph.user\u0000"}

// randomMember is a member as a group file holds it, or now and then
// another shape (no id, extra properties, a scalar, a list, a map whose
// id is not first on its line).
func randomMember(r *rand.Rand) any {
	id := pairMemberIDs[r.IntN(9)] // most ids are ids
	if r.IntN(8) == 0 {
		id = pairMemberIDs[r.IntN(len(pairMemberIDs))]
	}
	m := map[string]any{"@odata.type": pairTypes[r.IntN(len(pairTypes))], "id": id}
	switch r.IntN(60) {
	case 0:
		delete(m, "id")
	case 1:
		m["zz"] = map[string]any{"id": "nested", "list": []any{"x", map[string]any{"id": "y"}}}
	case 2:
		return pairMemberIDs[r.IntN(len(pairMemberIDs))]
	case 3:
		return []any{"a0000000-0000-4000-8000-000000000001"}
	case 4:
		delete(m, "@odata.type")
	case 5:
		m["aa"] = "before the id"
	}
	return m
}

func randomMembers(r *rand.Rand, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = randomMember(r)
	}
	return out
}

// mutateMembers changes a list the ways a day changes a group: members
// added, removed, moved, changed in place, the list emptied or replaced by
// something that is no list.
func mutateMembers(r *rand.Rand, l []any) any {
	l = append([]any(nil), l...)
	for range r.IntN(4) {
		switch r.IntN(8) {
		case 0, 1:
			l = append(l, randomMember(r))
		case 2, 3:
			if len(l) > 0 {
				i := r.IntN(len(l))
				l = append(l[:i], l[i+1:]...)
			}
		case 4:
			r.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
		case 5:
			if len(l) > 0 {
				l[r.IntN(len(l))] = randomMember(r)
			}
		case 6:
			if len(l) > 0 {
				l = append(l, l[r.IntN(len(l))]) // a duplicate
			}
		case 7:
			switch r.IntN(6) {
			case 0:
				return []any{}
			case 1:
				return nil
			case 2:
				return "not a list"
			case 3:
				return map[string]any{"id": "a map"}
			}
		}
	}
	return l
}

// randomGroupPair is two versions of one group (or named location) file.
func randomGroupPair(r *rand.Rand, size int) (path string, a, b []byte) {
	if r.IntN(5) == 0 {
		k, _ := layout.Lookup("named-locations")
		ranges := func() []any {
			var l []any
			for range r.IntN(6) {
				l = append(l, map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": fmt.Sprintf("10.0.%d.0/24", r.IntN(5))})
			}
			return l
		}
		objA := map[string]any{"id": "b0000000-0000-4000-8000-000000000001", "displayName": "Office", "ipRanges": ranges(), "isTrusted": true}
		objB := map[string]any{"id": "b0000000-0000-4000-8000-000000000001", "displayName": "Office", "ipRanges": ranges(), "isTrusted": r.IntN(2) == 0}
		p, err := layout.Path(k, objA)
		if err != nil {
			panic(err)
		}
		return p, encodeMostlySorted(r, k, objA), encodeMostlySorted(r, k, objB)
	}
	k, _ := layout.Lookup("groups")
	members := randomMembers(r, size)
	owners := randomMembers(r, r.IntN(4))
	objA := map[string]any{"id": "c0000000-0000-4000-8000-000000000001", "displayName": "Finance\u202e Admins", "securityEnabled": true,
		"members": members, "owners": owners, "groupTypes": []any{"Unified"},
		"assignedLicenses": []any{map[string]any{"skuId": "sku-1", "disabledPlans": []any{"p1", "p2"}}}}
	objB := map[string]any{}
	for key, v := range objA {
		objB[key] = v
	}
	objB["members"] = mutateMembers(r, members)
	if r.IntN(3) == 0 {
		objB["owners"] = mutateMembers(r, owners)
	}
	if r.IntN(4) == 0 {
		objB["displayName"] = "Finance"
	}
	if r.IntN(6) == 0 {
		objB["assignedLicenses"] = []any{map[string]any{"skuId": "sku-1", "disabledPlans": []any{"p2"}}}
	}
	if r.IntN(8) == 0 {
		delete(objB, "members")
	}
	p, err := layout.Path(k, objA)
	if err != nil {
		panic(err)
	}
	return p, encodeMostlySorted(r, k, objA), encodeMostlySorted(r, k, objB)
}

// encodeMostlySorted is obj's file, most times with its sets sorted as an
// export writes them (layout.Clean), which DecodePair needs to cut them.
func encodeMostlySorted(r *rand.Rand, k *layout.Kind, obj map[string]any) []byte {
	if r.IntN(5) != 0 {
		obj = layout.Clean(k, obj)
	}
	return layout.Encode(obj)
}

// breakFile edits a file the ways a person, another tool or a broken disk
// might: lines swapped, removed, repeated, re-indented, commented, cut,
// an invalid byte, a duplicate key; often not at all.
func breakFile(r *rand.Rand, data []byte) []byte {
	if r.IntN(3) != 0 {
		return data
	}
	lines := strings.SplitAfter(string(data), "\n")
	i := r.IntN(len(lines))
	switch r.IntN(9) {
	case 0:
		if i+1 < len(lines) {
			lines[i], lines[i+1] = lines[i+1], lines[i]
		}
	case 1:
		lines = append(lines[:i], lines[i+1:]...)
	case 2:
		lines = append(lines[:i+1], lines[i:]...)
	case 3:
		lines[i] = " " + lines[i]
	case 4:
		lines[i] = lines[i] + "# a comment\n"
	case 5:
		return data[:r.IntN(len(data))]
	case 6:
		lines[i] = strings.Replace(lines[i], "a", "\xff", 1)
	case 7:
		lines[i] = strings.Replace(lines[i], "\"", "'", 2)
	case 8:
		lines[i] = strings.Replace(lines[i], "  - ", "  -   ", 1)
	}
	return []byte(strings.Join(lines, ""))
}

// breakBoth makes the same edit to a member both versions hold, so that
// only the text the pair has in common is not canonical (or not YAML).
func breakBoth(r *rand.Rand, a, b []byte) ([]byte, []byte) {
	id := fmt.Sprintf(`id: "a0000000-0000-4000-8000-00000000000%d"`+"\n", 1+r.IntN(8))
	edits := []string{
		strings.Replace(id, ": ", ":  ", 1),                      // YAML reads it the same
		strings.ReplaceAll(id, `"`, "'"),                         // so does this
		id + "    # a comment\n",                                 // and this
		id + "   x: 1\n",                                         // broken
		strings.Replace(id, "a0", "\xff", 1),                     // not UTF-8
		id + "    id: \"again\"\n",                               // a duplicate key
		strings.Replace(id, "id", "\"id\"", 1),                   // quoted otherwise
		strings.Replace(id, "\n", "\n    aa: \"unsorted\"\n", 1), // keys out of order
	}
	e := edits[r.IntN(len(edits))]
	return bytes.ReplaceAll(a, []byte(id), []byte(e)), bytes.ReplaceAll(b, []byte(id), []byte(e))
}

// renderAll is every rendering of a comparison, names from names.
func renderAll(t testing.TB, r *Result) string {
	var b bytes.Buffer
	if err := r.Text(&b, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Markdown(&b, RenderOptions{Title: "a → b"}); err != nil {
		t.Fatal(err)
	}
	if err := r.JSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkPairAsWhole: LoadPair then Compare gives what decoding each file
// whole (LoadFiles) then Compare gives, rendered byte for byte, with the
// same files skipped for the same reasons.
func checkPairAsWhole(t testing.TB, before, after map[string][]byte) {
	t.Helper()
	wa, skipA := LoadFiles(before)
	wb, skipB := LoadFiles(after)
	pa, pb, pskipA, pskipB := LoadPair(before, after)
	if !reflect.DeepEqual(skipA, pskipA) || !reflect.DeepEqual(skipB, pskipB) {
		t.Fatalf("skipped: whole %v / %v, pair %v / %v", skipA, skipB, pskipA, pskipB)
	}
	names := NewNames(wa, wb)
	want := renderAll(t, Compare(wa, wb, names))
	got := renderAll(t, Compare(pa, pb, names))
	if got != want {
		var files strings.Builder
		for p, d := range before {
			fmt.Fprintf(&files, "before %s:\n%s\nafter:\n%s\n", p, d, after[p])
		}
		t.Fatalf("the pair's comparison differs from the whole files':\n--- whole\n%s\n--- pair\n%s\n%s", want, got, files.String())
	}
}

// TestLoadPairComparesAsWholeFiles: on thousands of random pairs of group
// and named-location files (members added, removed, moved, repeated,
// changed in place, hostile ids, odd shapes, broken files), comparing what
// LoadPair decodes gives the same output, byte for byte, as comparing the
// whole files, and the same errors.
func TestLoadPairComparesAsWholeFiles(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 1000
	}
	r := rand.New(rand.NewPCG(12, 1))
	cut := 0
	for i := range n {
		size := r.IntN(12)
		if i%50 == 0 {
			size = 2000 + r.IntN(2000)
		}
		p, a, b := randomGroupPair(r, size)
		a, b = breakFile(r, a), breakFile(r, b)
		if r.IntN(4) == 0 {
			a, b = breakBoth(r, a, b)
		}
		k, _, _ := layout.Locate(p)
		if _, _, ok := layout.DecodePair(k, a, b); ok {
			cut++
		}
		checkPairAsWhole(t, map[string][]byte{p: a}, map[string][]byte{p: b})
	}
	// Most pairs are canonical files with members in common: the fast
	// path was taken, not only declined.
	if cut < n/3 {
		t.Errorf("DecodePair left items out of %d of %d pairs, want at least a third", cut, n)
	}
	t.Logf("%d of %d pairs decoded in part", cut, n)
}

// TestLoadPairDecodesOnlyTheMembersThatDiffer: a group of 20,000 members
// of which one left and two joined decodes as those three members (the
// diff of a large tenant decoded every member of every changed group, two
// thirds of its work; issue 12, row e1), and the comparison says exactly
// that.
func TestLoadPairDecodesOnlyTheMembersThatDiffer(t *testing.T) {
	k, _ := layout.Lookup("groups")
	var members []any
	for i := range 20000 {
		members = append(members, map[string]any{"@odata.type": "#microsoft.graph.user", "id": fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)})
	}
	objA := map[string]any{"id": "c0000000-0000-4000-8000-000000000001", "displayName": "All staff", "members": members}
	objB := map[string]any{"id": "c0000000-0000-4000-8000-000000000001", "displayName": "All staff",
		"members": append(append([]any{}, members[1:]...), map[string]any{"@odata.type": "#microsoft.graph.user", "id": "new-1"},
			map[string]any{"@odata.type": "#microsoft.graph.group", "id": "new-2"})}
	p, err := layout.Path(k, objA)
	if err != nil {
		t.Fatal(err)
	}
	before, after := map[string][]byte{p: layout.Encode(objA)}, map[string][]byte{p: layout.Encode(objB)}
	a, b, skipA, skipB := LoadPair(before, after)
	if len(skipA)+len(skipB) > 0 {
		t.Fatal(skipA, skipB)
	}
	if got := len(a[p].Data["members"].([]any)); got != 1 {
		t.Errorf("before: %d members decoded, want the 1 that left", got)
	}
	if got := len(b[p].Data["members"].([]any)); got != 2 {
		t.Errorf("after: %d members decoded, want the 2 that joined", got)
	}
	res := Compare(a, b, nil)
	var text bytes.Buffer
	if err := res.Text(&text, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"members: + new-1", "members: + new-2", "members: - unknown (00000000…)", "0 added, 0 removed, 1 changed"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the diff lacks %q:\n%s", want, text.String())
		}
	}
	checkPairAsWhole(t, before, after)
}

// FuzzLoadPair: for any two versions of a group file, LoadPair's
// comparison is the whole files' comparison.
func FuzzLoadPair(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 7))
	for added := 0; added < 20; {
		_, a, b := randomGroupPair(r, r.IntN(6))
		if len(a)+len(b) < 2048 { // the fuzzer slows to a crawl on large seeds
			f.Add(a, b)
			added++
		}
	}
	k, _ := layout.Lookup("groups")
	p, err := layout.Path(k, map[string]any{"id": "c0000000-0000-4000-8000-000000000001", "displayName": "Finance\u202e Admins"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if len(a) > 1<<14 || len(b) > 1<<14 {
			t.Skip()
		}
		checkPairAsWhole(t, map[string][]byte{p: a}, map[string][]byte{p: b})
	})
}
