package layout

import (
	"bytes"
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
// ok is false, and nothing is left out, unless some item is left out,
// both files are canonical (what decodeCanonical reads; a is checked by
// isCanonical without building its values, b by decoding what is left of
// it, whose removed items are a's text, checked in a) and, in each list
// cut, the items' keys increase strictly on both sides (commonItems), so
// every item left out is the only one with its key on its side. Then
// diff.Compare gives the same changes for the two maps as for the whole
// files: an item both sides hold with the same text and a key of its own
// is equal to its match and changes nothing, and the items left out take
// no part in matching the others. The maps are not the whole objects:
// call it only to compare them. The caller decodes the files as they are
// when ok is false, so a file that cannot be read gives the same error as
// it would alone.
func DecodePair(k *Kind, a, b []byte) (ma, mb map[string]any, ok bool) {
	if k == nil || len(k.Sets) == 0 || len(a) == 0 || len(b) == 0 {
		return nil, nil, false
	}
	var cutA, cutB []span
	for prop, elemKey := range k.Sets {
		if elemKey == "" || strings.ContainsAny(prop, "[].") || yamlKey(prop) != prop || yamlKey(elemKey) != elemKey {
			continue // sets of scalars, nested sets: not worth it, decoded whole
		}
		la, okA := findSetList(a, prop, elemKey)
		lb, okB := findSetList(b, prop, elemKey)
		if okA && okB {
			cutA, cutB = commonItems(la, lb, cutA, cutB)
		}
	}
	if len(cutA) == 0 || !isCanonical(a) {
		return nil, nil, false
	}
	ma, okA := decodeCanonical(cutSpans(a, cutA))
	mb, okB := decodeCanonical(cutSpans(b, cutB))
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

// setList is one top-level block list of a file, read an item at a time
// (next): "prop:" on its own line, then items on lines starting "  -",
// each with the lines under it (starting with at least three spaces).
type setList struct {
	d       []byte
	elemKey string
	head    int // the index of the line break after "prop:"
	i       int // the start of the next item
	// The current item: its text d[at.start:at.end] and the value of its
	// elemKey property (a plain string: "    elemKey: \"…\"" or
	// "  - elemKey: \"…\"", printable ASCII without escapes).
	at  span
	key []byte
}

// findSetList finds the top-level key prop in d with a block list for its
// value (ok is false for another shape, or no such key).
func findSetList(d []byte, prop, elemKey string) (l setList, ok bool) {
	head := prop + ":\n"
	at := -1
	if bytes.HasPrefix(d, []byte(head)) {
		at = 0
	} else if i := bytes.Index(d, []byte("\n"+head)); i >= 0 {
		at = i + 1
	}
	if at < 0 || !bytes.HasPrefix(d[at+len(head):], []byte("  -")) {
		return l, false
	}
	return setList{d: d, elemKey: elemKey, head: at + len(head) - 1, i: at + len(head)}, true
}

// next moves to the next item: more is false at the list's end, ok false
// when the list has another shape or an item has no key as above.
func (l *setList) next() (more, ok bool) {
	d, i := l.d, l.i
	if i >= len(d) || d[i] != ' ' {
		return false, true
	}
	if !bytes.HasPrefix(d[i:], []byte("  -")) || i+3 >= len(d) || d[i+3] != ' ' && d[i+3] != '\n' {
		return false, false
	}
	end := lineEnd(d, i)
	for end < len(d) && bytes.HasPrefix(d[end:], []byte("   ")) {
		end = lineEnd(d, end)
	}
	key, found := itemKey(d[i:end], l.elemKey)
	if !found {
		return false, false
	}
	l.at, l.key, l.i = span{i, end, false}, key, end
	return true, true
}

// lineEnd is the index after the line break of the line at i (len(d) when
// there is none).
func lineEnd(d []byte, i int) int {
	if j := bytes.IndexByte(d[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(d)
}

// itemKey is the plain string value of elemKey in an item's text: on its
// dash line or on a line indented by four spaces (the item's own keys in
// a canonical file).
func itemKey(text []byte, elemKey string) ([]byte, bool) {
	for i := 0; i < len(text); i = lineEnd(text, i) {
		line := text[i:lineEnd(text, i)]
		var rest []byte
		switch {
		case i == 0 && bytes.HasPrefix(line, []byte("  - ")):
			rest = line[4:]
		case bytes.HasPrefix(line, []byte("    ")) && !bytes.HasPrefix(line, []byte("     ")):
			rest = line[4:]
		default:
			continue
		}
		if len(rest) < len(elemKey)+3 || string(rest[:len(elemKey)]) != elemKey || string(rest[len(elemKey):len(elemKey)+3]) != `: "` {
			continue
		}
		v, ok := bytes.CutSuffix(rest[len(elemKey)+3:], []byte("\"\n"))
		if !ok {
			return nil, false
		}
		for _, c := range v {
			if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				return nil, false
			}
		}
		return v, true
	}
	return nil, false
}

// commonItems adds to cutA and cutB the items of a and b to leave out:
// those whose text is the same on both sides. It takes lists whose keys
// increase strictly on each side (Encode sorts sets by key, so a file as
// entrasnap writes it has them in order, ids in lower case), which makes
// each key one item's and lets one pass match them; a list otherwise is
// left whole.
func commonItems(a, b setList, cutA, cutB []span) ([]span, []span) {
	nA, nB := len(cutA), len(cutB)
	cut := [2]int{} // items cut from a and b
	var prevA, prevB []byte
	advance := func(l *setList, prev *[]byte) (more, ok bool) {
		more, ok = l.next()
		if more && *prev != nil && bytes.Compare(*prev, l.key) >= 0 {
			return false, false
		}
		*prev = l.key
		return more, ok
	}
	moreA, okA := advance(&a, &prevA)
	moreB, okB := advance(&b, &prevB)
	items := [2]int{}
	for okA && okB && (moreA || moreB) {
		c := -1
		switch {
		case !moreA:
			c = 1
		case moreB:
			c = bytes.Compare(a.key, b.key)
		}
		if c == 0 && bytes.Equal(a.d[a.at.start:a.at.end], b.d[b.at.start:b.at.end]) {
			cutA, cutB = appendSpan(cutA, a.at), appendSpan(cutB, b.at)
			cut[0]++
			cut[1]++
		}
		if c <= 0 {
			items[0]++
			moreA, okA = advance(&a, &prevA)
		}
		if c >= 0 {
			items[1]++
			moreB, okB = advance(&b, &prevB)
		}
	}
	if !okA || !okB {
		return cutA[:nA], cutB[:nB]
	}
	if cut[0] == items[0] {
		cutA = append(cutA, span{a.head, a.head, true})
	}
	if cut[1] == items[1] {
		cutB = append(cutB, span{b.head, b.head, true})
	}
	return cutA, cutB
}

// appendSpan adds sp to cuts, joined to the last span when it follows it
// (most members of a large group are cut, one after the other).
func appendSpan(cuts []span, sp span) []span {
	if n := len(cuts); n > 0 && !cuts[n-1].empty && cuts[n-1].end == sp.start {
		cuts[n-1].end = sp.end
		return cuts
	}
	return append(cuts, sp)
}

// cutSpans is d without the spans (which do not overlap), with " []"
// written where an empty span says a list lost every item.
func cutSpans(d []byte, cuts []span) []byte {
	sortSpans(cuts)
	size := len(d)
	for _, c := range cuts {
		size += 3 - (c.end - c.start)
	}
	out := make([]byte, 0, size)
	at := 0
	for _, c := range cuts {
		out = append(out, d[at:c.start]...)
		if c.empty {
			out = append(out, " []"...)
		}
		at = c.end
	}
	return append(out, d[at:]...)
}

func sortSpans(cuts []span) {
	// By start; a list's " []" mark is at its head's line break, before
	// its items, and no other span starts there.
	slices.SortFunc(cuts, func(x, y span) int { return cmp.Compare(x.start, y.start) })
}
