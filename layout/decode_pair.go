package layout

import (
	"cmp"
	"slices"
	"strings"
)

// DecodePair decodes two versions, a and b, of one object file of kind k
// for a comparison of the two (diff.Compare), leaving out of both the
// items of a set (k.Sets: a top-level list whose items are matched by a
// key property, a group's members and owners) that both hold with the same
// text. A group of thousands of members of which one changed decodes as
// that one member (issue 12, row e1: decoding the changed groups of a
// 100,000-user tenant, 7 MB a side, was a third of a diff's CPU).
//
// ok is false, and nothing is left out, unless both files are canonical
// (what decodeCanonical reads; a is checked by isCanonical without building
// its values, b by decoding what is left of it, whose removed items are
// a's text, checked in a) and every item left out has a key no other item
// of its side has. Then diff.Compare gives the same changes for the two
// maps as for the whole files: an item both sides hold with the same text
// and a key of its own is equal to its match and changes nothing, and the
// items left out take no part in matching the others. The maps are not
// the whole objects: call it only to compare them. The caller decodes the
// files as they are when ok is false, so a file that cannot be read gives
// the same error as it would alone.
func DecodePair(k *Kind, a, b []byte) (ma, mb map[string]any, ok bool) {
	if k == nil || len(k.Sets) == 0 || len(a) == 0 || len(b) == 0 {
		return nil, nil, false
	}
	sa, sb := string(a), string(b) // one copy each: items are slices of these
	var cutA, cutB []span
	for prop, elemKey := range k.Sets {
		if elemKey == "" || strings.ContainsAny(prop, "[].") || yamlKey(prop) != prop || yamlKey(elemKey) != elemKey {
			continue // sets of scalars, nested sets: not worth it, decoded whole
		}
		ia, okA := setItems(sa, prop, elemKey)
		ib, okB := setItems(sb, prop, elemKey)
		if !okA || !okB || len(ia.items) == 0 || len(ib.items) == 0 {
			continue
		}
		ca, cb := commonItems(ia, ib)
		cutA, cutB = append(cutA, ca...), append(cutB, cb...)
	}
	if len(cutA) == 0 || !isCanonical(a) {
		return nil, nil, false
	}
	ma, okA := decodeCanonical(cutSpans(sa, cutA))
	mb, okB := decodeCanonical(cutSpans(sb, cutB))
	if !okA || !okB {
		return nil, nil, false
	}
	return ma, mb, true
}

// span is a part of a file: [start, end) bytes; empty says an item list
// that loses every item is written "prop: []".
type span struct {
	start, end int
	empty      bool
}

// setList is the items of one top-level block list in a file.
type setList struct {
	head  span     // the "prop:" text before the line end
	items []item   // in file order
	whole span     // the items' lines
	dup   []string // keys more than one item has
}

type item struct {
	text, key string
	at        span
}

// setItems finds the top-level key prop in s and, when its value is a block
// list ("prop:" on its own line, items on lines starting "  -"), its items:
// each item's text (its "  -" line and the lines under it, starting with
// at least three spaces) and the value of its elemKey property as a plain
// string ("    elemKey: \"…\"" or "  - elemKey: \"…\"", printable ASCII
// without escapes). ok is false when the list has another shape or an item
// has no such key: such a list is not cut.
func setItems(s, prop, elemKey string) (l setList, ok bool) {
	head := prop + ":\n"
	at := -1
	switch {
	case strings.HasPrefix(s, head):
		at = 0
	default:
		if i := strings.Index(s, "\n"+head); i >= 0 {
			at = i + 1
		}
	}
	if at < 0 {
		return l, false
	}
	l.head = span{at + len(prop), at + len(head) - 1, false}
	i := at + len(head)
	l.whole.start = i
	seen := map[string]bool{}
	for i < len(s) && s[i] == ' ' {
		if !strings.HasPrefix(s[i:], "  -") || i+3 >= len(s) || s[i+3] != ' ' && s[i+3] != '\n' {
			return l, false
		}
		end := lineEnd(s, i)
		for end < len(s) && strings.HasPrefix(s[end:], "   ") {
			end = lineEnd(s, end)
		}
		key, found := itemKey(s[i:end], elemKey)
		if !found {
			return l, false
		}
		if seen[key] {
			l.dup = append(l.dup, key)
		}
		seen[key] = true
		l.items = append(l.items, item{text: s[i:end], key: key, at: span{i, end, false}})
		i = end
	}
	l.whole.end = i
	return l, true
}

// lineEnd is the index after the line break of the line at i (len(s) when
// there is none).
func lineEnd(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// itemKey is the plain string value of elemKey in an item's text: on its
// dash line or on a line indented by four spaces (the item's own keys in
// a canonical file).
func itemKey(text, elemKey string) (string, bool) {
	for i := 0; i < len(text); i = lineEnd(text, i) {
		line := text[i:lineEnd(text, i)]
		var rest string
		switch {
		case i == 0 && strings.HasPrefix(line, "  - "):
			rest = line[4:]
		case strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     "):
			rest = line[4:]
		default:
			continue
		}
		v, ok := strings.CutPrefix(rest, elemKey+`: "`)
		if !ok {
			continue
		}
		v, ok = strings.CutSuffix(v, "\"\n")
		if !ok {
			return "", false
		}
		for j := 0; j < len(v); j++ {
			if c := v[j]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				return "", false
			}
		}
		return v, true
	}
	return "", false
}

// commonItems are the items of a and b to leave out: those whose key one
// item alone has on each side, and whose text is the same on both.
func commonItems(a, b setList) (cutA, cutB []span) {
	dup := map[string]bool{}
	for _, k := range append(a.dup, b.dup...) {
		dup[k] = true
	}
	byKey := make(map[string]item, len(a.items))
	for _, it := range a.items {
		byKey[it.key] = it
	}
	for _, it := range b.items {
		old, ok := byKey[it.key]
		if !ok || dup[it.key] || old.text != it.text {
			continue
		}
		cutA, cutB = append(cutA, old.at), append(cutB, it.at)
	}
	if len(cutA) == len(a.items) {
		cutA = append(cutA, span{a.head.end, a.head.end, true})
	}
	if len(cutB) == len(b.items) {
		cutB = append(cutB, span{b.head.end, b.head.end, true})
	}
	return cutA, cutB
}

// cutSpans is s without the spans (which do not overlap), with " []"
// written where an empty span says a list lost every item.
func cutSpans(s string, cuts []span) []byte {
	sortSpans(cuts)
	out := make([]byte, 0, len(s))
	at := 0
	for _, c := range cuts {
		out = append(out, s[at:c.start]...)
		if c.empty {
			out = append(out, " []"...)
		}
		at = c.end
	}
	return append(out, s[at:]...)
}

func sortSpans(cuts []span) {
	// By start; a list's " []" mark is at its head's line break, before
	// its items, and no other span starts there.
	slices.SortFunc(cuts, func(x, y span) int { return cmp.Compare(x.start, y.start) })
}
