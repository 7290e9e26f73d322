package importer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// classify decides for each desired object whether it exists, waits in a
// recycle bin, or must be created.
func (pl *planner) classify() error {
	desired := append([]*Object(nil), pl.in.Desired...)
	order := map[string]int{}
	for i, k := range layout.Kinds() {
		order[k.Name] = i
	}
	sort.SliceStable(desired, func(i, j int) bool {
		a, b := desired[i], desired[j]
		if a.Kind.Name != b.Kind.Name {
			return order[a.Kind.Name] < order[b.Kind.Name]
		}
		if na, nb := strings.ToLower(displayName(a)), strings.ToLower(displayName(b)); na != nb {
			return na < nb
		}
		return a.Key < b.Key
	})
	for _, o := range append(append([]*Object(nil), pl.in.Others...), desired...) {
		pl.nameOf(o)
	}
	natural := map[string]map[string]*Object{}
	for kind, objs := range pl.in.Live {
		natural[kind] = map[string]*Object{}
		for _, o := range objs {
			natural[kind][naturalKey(o.Kind, o.Data, o.Key)] = o
		}
	}
	// Live and deleted objects claim names in a fixed order, so an id two
	// objects answer to (an appId of an application and of its service
	// principal) gets the same name in every run.
	for _, o := range byPrecedence(pl.in.Live, pl.in.Deleted) {
		pl.nameOf(o)
	}
	for _, o := range desired {
		k := o.Kind
		if lic := pl.in.NotLicensed[k.Name]; lic != "" {
			pl.notLicensed(o, lic) // licence.go
			continue
		}
		if why := pl.in.DelegatedOnly[k.Name]; why != "" {
			pl.delegatedOnly(o, why) // rollout.go
			continue
		}
		if k.ExportOnly != "" { // exportonly.go
			pl.exportOnly(o)
			continue
		}
		if by, why := managedBy(k, o.Data); by != "" {
			pl.managed(o, by, why)
			continue
		}
		if k.BuiltIn != nil && k.BuiltIn(o.Data) {
			pl.p.BuiltIn++
			continue
		}
		if _, read := pl.in.Live[k.Name]; !read {
			return fmt.Errorf("importer: the live %s were not read", k.Title)
		}
		s := &objState{d: pl.translate(o), k: k, orig: o.Key}
		s.key = s.d.Key
		s.appID = str(s.d.Data["appId"])
		pl.planned[strings.ToLower(s.key)] = true
		pl.planned[strings.ToLower(o.Key)] = true
		if live := natural[k.Name][naturalKey(k, s.d.Data, s.key)]; live != nil {
			s.mode, s.live = modeLive, live
			s.key = live.Key
		} else if bin := pl.in.Deleted[strings.ToLower(s.key)]; bin != nil && bin.Kind.Name == k.Name {
			s.mode, s.bin = modeBin, bin
			pl.restoring[strings.ToLower(s.key)] = s
			if k.Name == "applications" && s.appID != "" {
				pl.restoringAp[strings.ToLower(s.appID)] = s
			}
		} else {
			s.mode = modeCreate
			why := cannotCreate(k, s.d.Data)
			newRole := isRolePolicy(k) && pl.creating[strings.ToLower(s.key)] != nil
			if newRole {
				why = "" // pim.go: the settings of a role this plan creates go to the policy Graph makes with it
			}
			if why != "" {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s is not in the tenant and cannot be restored: %s", k.Title, label(o), why))
				s.mode = modeSkip
				if pl.uncreatable == nil {
					pl.uncreatable = map[string]string{}
				}
				pl.uncreatable[strings.ToLower(o.Key)] = k.Title + " " + label(o)
			} else if why := pl.pimActivation(o); why != "" { // roles.go
				pl.managed(o, "PIM", why)
				s.mode = modeSkip
			} else if synced(s.d.Data) {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s was synced from on-premises and is gone: recreate it in the on-premises directory and let sync bring it back", k.Title, label(o)))
				s.mode = modeSkip
			} else if upsertCreate[k.Name] {
				if pl.keyedNew == nil {
					pl.keyedNew = map[string]*objState{}
				}
				pl.keyedNew[k.Name+"/"+strings.ToLower(s.key)] = s
			} else if remapped(k) && !newRole {
				s.holder = "{{new:" + s.key + "}}"
				pl.creating[strings.ToLower(s.key)] = s
				pl.holders[s.holder] = s
				pl.names[strings.ToLower(s.holder)] = "new " + displayName(s.d)
				if k.Name == "applications" && s.appID != "" {
					s.appHold = "{{newAppId:" + s.appID + "}}"
					pl.creatingApp[strings.ToLower(s.appID)] = s
					pl.holders[s.appHold] = s
					pl.names[strings.ToLower(s.appHold)] = "new " + displayName(s.d)
				}
			}
		}
		pl.fingerprint(s)
		pl.states = append(pl.states, s)
	}
	return nil
}

func (pl *planner) fingerprint(s *objState) {
	switch s.mode {
	case modeLive:
		pl.p.Live[s.k.Name+"/"+s.live.Key] = fingerprint(s.live.Data)
	case modeBin:
		pl.p.Live[s.k.Name+"/"+s.bin.Key] = "deleted:" + fingerprint(s.bin.Data)
	case modeCreate:
		pl.p.Live[s.k.Name+"/"+s.key] = fpAbsent
	}
}

// nameOf records o's name for its key and for the other ids the catalog
// says name it (layout.Kind.Aliases: an application's appId, a role
// definition's templateId); the first object to claim an id keeps it.
func (pl *planner) nameOf(o *Object) {
	n := displayName(o)
	if n == o.Key {
		return
	}
	for _, id := range append(o.Kind.AliasesOf(o.Key, o.Data), o.Key) {
		if _, ok := pl.names[strings.ToLower(id)]; !ok {
			pl.names[strings.ToLower(id)] = n
		}
	}
}

// byPrecedence returns the objects of live (by kind, then key) and then of
// deleted in the order in which they claim names: kinds in catalog order,
// the kinds whose aliases yield to others' (layout.Kind.AliasFallback)
// last, and by key within a kind.
func byPrecedence(live map[string]map[string]*Object, deleted map[string]*Object) []*Object {
	rank := map[string]int{}
	for i, k := range layout.Kinds() {
		rank[k.Name] = i
		if k.AliasFallback {
			rank[k.Name] += 1 << 20
		}
	}
	sorted := func(objs []*Object) []*Object {
		sort.Slice(objs, func(i, j int) bool {
			a, b := objs[i], objs[j]
			if a.Kind.Name != b.Kind.Name {
				return rank[a.Kind.Name] < rank[b.Kind.Name]
			}
			return a.Key < b.Key
		})
		return objs
	}
	var l, d []*Object
	for _, objs := range live {
		for _, o := range objs {
			l = append(l, o)
		}
	}
	for _, o := range deleted {
		d = append(d, o)
	}
	return append(sorted(l), sorted(d)...)
}

// displayName is the name people know o by (diff.DisplayName), else its key.
func displayName(o *Object) string {
	if n, ok := diff.DisplayName(o.Data); ok {
		return n
	}
	return o.Key
}

func label(o *Object) string {
	n := displayName(o)
	if n == o.Key {
		return o.Key
	}
	return fmt.Sprintf("%q (%s)", n, o.Key)
}
