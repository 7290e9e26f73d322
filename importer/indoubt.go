package importer

import (
	"fmt"
	"sort"
	"strings"
)

// A create whose answer never arrived (the run was killed after Graph
// carried it out, before the new id could be noted) is "in doubt": Graph
// may hold the object. Apply journals each create before sending it
// (JournalFile); the next Load looks for the object Graph may have made
// and, when exactly one live object fits, plans against it instead of
// creating it again.

// recoverInDoubt maps each in-doubt create of the objects being restored to
// the live object Graph made for it: the one of that kind with the same
// display name that the snapshot does not know and no id map entry names
// (creation times are not compared: the tenant's clock is not ours).
// Several candidates are not guessed between: the plan says so.
func recoverInDoubt(in *Input, journal []journalEntry, known map[string]bool) {
	if len(journal) == 0 {
		return
	}
	desired := map[string]*Object{}
	for _, d := range in.Desired {
		desired[strings.ToLower(d.Key)] = d
	}
	mapped := map[string]bool{}
	for _, e := range in.IDMap.IDs {
		mapped[strings.ToLower(e.New)] = true
	}
	for _, it := range journal {
		d := desired[strings.ToLower(it.Old)]
		if d == nil || d.Kind.Name != it.Kind {
			continue
		}
		if _, ok := in.IDMap.Resolve(it.Old); ok {
			continue // its answer arrived and was noted
		}
		if in.Live[it.Kind][strings.ToLower(it.Old)] != nil {
			continue
		}
		var fits []*Object
		for key, o := range in.Live[it.Kind] {
			if known[key] || mapped[key] || displayName(o) != it.Name {
				continue
			}
			fits = append(fits, o)
		}
		sort.Slice(fits, func(i, j int) bool { return fits[i].Key < fits[j].Key })
		switch len(fits) {
		case 0:
		case 1:
			o := fits[0]
			in.IDMap.Add(it.Kind, it.Old, o.Key, "an interrupted restore")
			if oldApp, ok := d.Data["appId"].(string); ok {
				if newApp, ok := o.Data["appId"].(string); ok && newApp != "" {
					in.IDMap.AddAppID(oldApp, newApp)
				}
			}
			mapped[strings.ToLower(o.Key)] = true
			in.Recovered = append(in.Recovered, fmt.Sprintf("%s %s: an interrupted restore created it without noting its id; found as %s (same name, not in the snapshot), so it is not created again",
				d.Kind.Title, label(d), o.Key))
		default:
			ids := make([]string, len(fits))
			for i, o := range fits {
				ids[i] = o.Key
			}
			in.Recovered = append(in.Recovered, fmt.Sprintf("%s %s: an interrupted restore may have created it already, and %d objects fit (%s): it is created again; delete the extra ones",
				d.Kind.Title, label(d), len(fits), strings.Join(ids, ", ")))
		}
	}
}
