package importer

import (
	"bytes"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// Export-only kinds (layout.Kind.ExportOnly): Graph does not let the
// restore app write them, or only with a permission far broader than the
// kind. Their objects are never written. An object whose live state differs
// from REV, is missing, or is live but not at REV is listed in the plan
// with the kind's reason (what to set by hand), as objects Microsoft or
// Azure manage are, so a restore never looks done when it is not; one the
// tenant holds exactly as at REV needs nothing and is not listed.

// exportOnlyBy is what Managed.By says of an export-only kind's object.
const exportOnlyBy = "an administrator (export-only kind)"

// exportOnly plans desired object o of an export-only kind.
func (pl *planner) exportOnly(o *Object) {
	live := pl.in.Live[o.Kind.Name][strings.ToLower(o.Key)]
	switch {
	case live == nil:
		pl.managed(o, exportOnlyBy, "not in the tenant; "+o.Kind.ExportOnly)
	case !bytes.Equal(layout.Encode(live.Data), layout.Encode(o.Data)):
		pl.managed(o, exportOnlyBy, "the tenant's differs from REV; "+o.Kind.ExportOnly)
	}
}

// exportOnlyLive lists the live objects of export-only kind k that are
// not at REV: never deleted.
func (pl *planner) exportOnlyLive(k *layout.Kind, live map[string]*Object) {
	atREV := map[string]bool{}
	for _, o := range pl.in.Desired {
		if o.Kind.Name == k.Name {
			atREV[strings.ToLower(o.Key)] = true
		}
	}
	for _, key := range sortedKeys(live) {
		if !atREV[key] {
			pl.managed(live[key], exportOnlyBy, "not at REV, never deleted; "+k.ExportOnly)
		}
	}
}
