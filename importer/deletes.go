package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// deletes plans removing live objects of wholly selected kinds that were
// not there at REV.
func (pl *planner) deletes() {
	matched := map[string]bool{}
	for _, s := range pl.states {
		if s.live != nil {
			matched[s.k.Name+"/"+strings.ToLower(s.live.Key)] = true
		}
	}
	// Kinds in reverse catalog order: what references others goes first.
	kinds := layout.Kinds()
	var dels [][2]string // lower key of the deleted object, id of its delete
	for i := len(kinds) - 1; i >= 0; i-- {
		k := kinds[i]
		if !slices.Contains(pl.in.Selection.Kinds, k.Name) || k.Singleton {
			continue
		}
		live := pl.in.Live[k.Name]
		if pl.undeletable(k, live, matched) || noDelete[k.Name] { // customsec.go
			continue
		}
		if k.ExportOnly != "" {
			pl.exportOnlyLive(k, live) // exportonly.go
			continue
		}
		why, incomplete := pl.in.Incomplete[k.Name]
		spared := 0
		for _, key := range sortedKeys(live) {
			o := live[key]
			if matched[k.Name+"/"+key] {
				continue
			}
			pl.p.Live[k.Name+"/"+o.Key] = fingerprint(o.Data)
			if k.BuiltIn != nil && k.BuiltIn(o.Data) {
				continue
			}
			if pl.brandingDefaultKept(k, o) { // branding.go
				continue
			}
			if by, why := managedBy(k, o.Data); by != "" {
				pl.managed(o, by, why+"; not at REV, never deleted")
				continue
			}
			if why := pl.roleStillAssigned(k, o, matched); why != "" { // roles.go
				pl.p.Warnings = append(pl.p.Warnings, why)
				continue
			}
			if k.Name == "groups" && exchangeManaged(o.Data) {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("group %s was not in the snapshot at %s and is not deleted: a mail-enabled security group or distribution list is managed by Exchange; delete it there", label(o), pl.in.Rev))
				continue
			}
			if incomplete {
				// Missing from a kind the snapshot does not hold as at REV
				// says nothing about whether it existed then.
				spared++
				continue
			}
			if pl.in.Options.NoRemove {
				pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: o.Key, Name: displayName(o)})
				continue
			}
			if isCSA(k) { // csavalues.go: no file at REV is no values then
				pl.csaRemoveAll(k, o)
				continue
			}
			dels = append(dels, [2]string{strings.ToLower(o.Key), pl.deleteLive(k, o, "not in the snapshot at REV")})
		}
		if spared > 0 {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: %d live objects not in the snapshot at %s are not deleted: the snapshot holds this kind incomplete (%s)",
				k.Title, spared, pl.in.Rev, why))
		}
	}
	dels = append(dels, pl.fileDeletes()...) // fromfiles.go
	// A delete waits for every write to an object whose live state names
	// the deleted object (the CA policy dropping a named location, a group
	// dropping a member), and for the deletes of such objects.
	if len(dels) == 0 {
		return
	}
	referrers := map[string][]string{} // lower id → "kind/lower key" of live objects naming it
	for kind, objs := range pl.in.Live {
		for _, o := range objs {
			for id := range refsOf(o.Kind, o.Data) {
				referrers[id] = append(referrers[id], kind+"/"+strings.ToLower(o.Key))
			}
		}
	}
	for _, d := range dels {
		a := pl.action(d[1])
		for _, obj := range referrers[d[0]] {
			for _, id := range pl.objActions[obj] {
				if id != d[1] {
					a.DependsOn = append(a.DependsOn, id)
				}
			}
		}
		a.DependsOn = uniq(a.DependsOn)
	}
}

// deleteLive plans the delete of a live object, why saying why.
func (pl *planner) deleteLive(k *layout.Kind, o *Object, why string) string {
	s := &objState{d: o, k: k, key: o.Key, orig: o.Key, live: o, mode: modeLive}
	a := Action{Op: OpDelete, Removal: true, Request: Request{Method: "DELETE", Path: itemPath(k, o.Key)},
		Changes: []Change{{Path: "(object)", Action: diff.Removed, Before: why}}}
	if _, ok := scheduled[k.Name]; ok {
		a.Request = Request{Method: "POST", Path: createPath(k), Body: body(scheduleRequest(k, "adminRemove", o.Data))}
	}
	if k.SoftDelete != "" {
		a.Warnings = append(a.Warnings, "goes to the recycle bin, where it can be restored for 30 days")
	}
	return pl.add(s, a)
}
