package importer

import (
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// Delegated-only kinds (layout.Kind.DelegatedOnly: feature rollout
// policies). Graph refuses them to an app-only token whatever it holds
// (layout/catalog_rollout.go), so a restore with one reads none of them
// (live.Read skips the kind) and writes none of them: each selected object
// of the kind is listed in the plan, object by object, as needing a
// delegated sign-in, and apply sends no request for it. Signed in as an
// administrator (--auth device-code, browser, azure-cli) they are
// planned and restored as any kind.

// delegatedOnlyBy is what Managed.By says of such an object.
const delegatedOnlyBy = "a signed-in administrator (delegated-only kind)"

// delegatedSkipped records, by kind, the kinds live.Read skipped because
// the token is app-only.
func delegatedSkipped(in *Input, lv *live.Live) {
	for _, k := range lv.Kinds {
		if k.Skipped == "" {
			continue
		}
		if in.DelegatedOnly == nil {
			in.DelegatedOnly = map[string]string{}
		}
		in.DelegatedOnly[k.Kind] = k.Skipped
	}
}

// delegatedOnly lists desired object o of a kind the app-only token cannot
// read or write instead of planning it.
func (pl *planner) delegatedOnly(o *Object, why string) {
	pl.managed(o, delegatedOnlyBy, "not restored with an app-only token: "+why)
}

// delegatedOnlyNote is the plan's warning for a selected delegated-only
// kind that holds no object at REV, so the plan still says it was not
// compared.
func (pl *planner) delegatedOnlyNote() {
	for _, name := range pl.in.Selection.Kinds {
		why := pl.in.DelegatedOnly[name]
		if why == "" {
			continue
		}
		held := false
		for _, o := range pl.in.Desired {
			held = held || o.Kind.Name == name
		}
		if !held {
			k, _ := layout.Lookup(name)
			pl.p.Warnings = append(pl.p.Warnings, k.Title+": not read or compared with an app-only token; "+why)
		}
	}
}
