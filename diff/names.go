package diff

import (
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// Names resolves object ids to display names across the snapshots being
// compared (the newer one wins), for annotating references.
type Names struct {
	byID map[string]nameEntry
}

type nameEntry struct {
	name, kind string
}

// NewNames indexes every object of the snapshots by id, and by its aliases
// (an id wins over an alias, and aliases follow layout.AliasKinds' order).
func NewNames(snaps ...Snapshot) *Names {
	n := &Names{byID: map[string]nameEntry{}}
	for _, s := range snaps {
		for _, o := range s {
			n.byID[strings.ToLower(o.Key)] = nameEntry{name: displayName(o), kind: o.Kind.Name}
		}
	}
	for _, kind := range layout.AliasKinds() {
		for i := len(snaps) - 1; i >= 0; i-- { // the newer snapshot first
			for _, o := range snaps[i] {
				if o.Kind != kind {
					continue
				}
				for _, a := range kind.AliasesOf(o.Key, o.Data) {
					if _, ok := n.byID[strings.ToLower(a)]; !ok {
						n.byID[strings.ToLower(a)] = nameEntry{name: displayName(o), kind: o.Kind.Name}
					}
				}
			}
		}
	}
	return n
}

// Name returns the display name of the object with this id, and whether it
// was found.
func (n *Names) Name(id string) (string, bool) {
	if n == nil {
		return "", false
	}
	e, ok := n.byID[strings.ToLower(id)]
	return e.name, ok
}

// Annotate renders an id with its name: "Finance Admins (3f2a0b1c…)", or
// "unknown (3f2a0b1c…)" when the id is not in the snapshots. Values that are
// not ids (All, None, ...) are returned as they are.
func Annotate(n Resolver, id string) string {
	if len(id) < 20 {
		// Short keys the snapshots hold (an authentication context's
		// c1..c25) are named too; other short values stay as they are.
		if name, ok := resolve(n, id); ok && name != "" && !strings.EqualFold(name, id) {
			return layout.Safe(name) + " (" + layout.Safe(id) + ")"
		}
		return layout.Safe(id)
	}
	short := id
	if len(short) > 8 {
		short = short[:8] + "…"
	}
	if name, ok := resolve(n, id); ok {
		return layout.Safe(name) + " (" + layout.Safe(short) + ")"
	}
	return "unknown (" + layout.Safe(short) + ")"
}

func resolve(n Resolver, id string) (string, bool) {
	if n == nil {
		return "", false
	}
	return n.Name(id)
}
