package importer

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of the collections held below an application or service
// principal (layout/catalog_apps.go). Each is written item by item in its
// own collection, removals first: Graph allows at most 20 federated
// identity credentials per app, and issuer+subject (credentials), the name
// (extension properties) and the permission (classifications) are unique
// per parent, so an item that replaces another must wait for its removal.
//
//   - federatedIdentityCredentials: matched by name (immutable in Graph); a
//     changed one is PATCHed (federatedidentitycredential-update) with its
//     issuer, subject, audiences and description; a missing one is created
//     (application-post-federatedidentitycredentials), also on a recreated
//     application.
//   - extensionProperties: Graph has create and delete only
//     (application-post-extensionproperty, extensionproperty-delete). They
//     are matched by the name the application chose (the part after
//     extension_{appId without dashes}_), so a recreated application's
//     property is found under its new name. A changed definition is removed
//     and created again, with a warning: the values users and other objects
//     hold in it are lost. A property created on an application whose appId
//     is not the snapshot's gets a new name, and the plan says so. Ones
//     synced from on-premises are not Graph's to write (extensionproperty-
//     delete) and are only reported.
//   - delegatedPermissionClassifications: create and delete only
//     (serviceprincipal-post-delegatedpermissionclassifications, -delete-);
//     matched by permissionId; a changed classification is removed and
//     created again.

const (
	ficChild = "federatedIdentityCredentials"
	extChild = "extensionProperties"
	dpcChild = "delegatedPermissionClassifications"
)

// isAppHeld reports whether ch is one of these collections.
func isAppHeld(kind string, ch layout.Child) bool {
	switch kind + "/" + ch.Name {
	case "applications/" + ficChild, "applications/" + extChild, "service-principals/" + dpcChild:
		return true
	}
	return false
}

// extensionName splits extension_{32 hex}_{name}.
var extensionName = regexp.MustCompile(`^(?i:extension_([0-9a-f]{32})_)(.+)$`)

// extensionShort is the part of an extension property's name its
// application chose, and the appId (without dashes) the name embeds.
func extensionShort(name string) (short, appID string) {
	if m := extensionName.FindStringSubmatch(name); m != nil {
		return m[2], strings.ToLower(m[1])
	}
	return name, ""
}

// appHeldKey is the key an item of such a collection is matched by.
func appHeldKey(kind string, ch layout.Child, item map[string]any) (string, bool) {
	if !isAppHeld(kind, ch) {
		return "", false
	}
	switch ch.Name {
	case extChild:
		short, _ := extensionShort(str(item["name"]))
		return strings.ToLower(short), true
	case dpcChild:
		return strings.ToLower(str(item["permissionId"])), true
	}
	return strings.ToLower(str(item["name"])), true
}

// heldBody is what a create of item sends: the properties its create takes.
func heldBody(ch layout.Child, item map[string]any) map[string]any {
	var props []string
	switch ch.Name {
	case ficChild:
		props = []string{"name", "issuer", "subject", "audiences", "description"}
	case extChild:
		props = []string{"dataType", "targetObjects", "isMultiValued"}
	case dpcChild:
		props = []string{"permissionId", "classification"}
	}
	b := map[string]any{}
	for _, p := range props {
		if v, ok := item[p]; ok {
			b[p] = layout.Copy(v)
		}
	}
	if ch.Name == extChild {
		b["name"], _ = extensionShort(str(item["name"]))
	}
	return b
}

// heldSame reports whether live item have needs no write to become want.
func heldSame(ch layout.Child, have, want map[string]any) bool {
	x, y := heldBody(ch, have), heldBody(ch, want)
	delete(x, "name")
	delete(y, "name")
	for _, m := range []map[string]any{x, y} {
		for p, v := range m {
			if l := asSlice(v); l != nil {
				c := append([]any(nil), l...)
				sortAny(c)
				m[p] = c
			}
		}
		if ch.Name == extChild && m["isMultiValued"] == nil {
			m["isMultiValued"] = false
		}
	}
	return reflect.DeepEqual(x, y)
}

// appHeldChildren plans one such collection of s: have are the live items,
// want the snapshot's, by appHeldKey.
func (pl *planner) appHeldChildren(s *objState, ch layout.Child, parent string, have, want map[string]map[string]any, wantKeys []string, parentDeps []string, ensure bool) {
	k := s.k
	coll := childColl(k, ch, parent)
	what := func(m map[string]any) string {
		if ch.Name == dpcChild {
			return str(m["permissionName"])
		}
		return str(m["name"])
	}
	// target is the item's id, named in the plan's names (escaped when
	// rendered) by what it is.
	describe := func(m map[string]any) string {
		var n string
		switch ch.Name {
		case ficChild:
			n = "federated identity credential " + what(m)
		case extChild:
			short, _ := extensionShort(what(m))
			n = "extension property " + short
		default:
			n = "classification " + str(m["classification"]) + " of " + what(m)
		}
		return n
	}
	target := func(m map[string]any) string {
		id, n := str(m["id"]), describe(m)
		if id == "" {
			return layout.Safe(n)
		}
		pl.names[strings.ToLower(id)] = n
		return id
	}
	synced := func(m map[string]any) bool { return ch.Name == extChild && m["isSyncedFromOnPremises"] == true }
	remove := func(old map[string]any, warn []string) string {
		return pl.add(s, Action{Op: OpRemoveChild, Relationship: ch.Name, Target: target(old), Removal: true, DependsOn: parentDeps,
			Request:  Request{Method: "DELETE", Path: coll + "/" + str(old["id"])},
			Changes:  []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}}},
			Warnings: warn})
	}
	var removals []string
	for _, ck := range sortedKeys(have) {
		old := have[ck]
		if _, ok := want[ck]; ok {
			continue
		}
		switch {
		case synced(old):
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: extension property %s is synced from on-premises and is not removed (Graph does not delete synced extension properties)", k.Title, label(s.d), what(old)))
		case pl.in.Options.NoRemove:
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: target(old)})
		default:
			var warn []string
			if ch.Name == extChild {
				warn = []string{"removing " + describe(old) + " also removes the values users and other objects hold in it"}
			}
			removals = append(removals, remove(old, warn))
		}
	}
	wantApp := strings.ToLower(strings.ReplaceAll(s.appID, "-", ""))
	for _, ck := range wantKeys {
		m, old := want[ck], have[ck]
		if synced(m) || (old != nil && synced(old)) {
			if old == nil || !heldSame(ch, old, m) {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: extension property %s is synced from on-premises: it is written by the sync, not restored", k.Title, label(s.d), what(m)))
			}
			continue
		}
		deps := append(append([]string(nil), parentDeps...), removals...)
		if old != nil && heldSame(ch, old, m) {
			continue
		}
		if old != nil && ch.Name == ficChild {
			b := heldBody(ch, m)
			delete(b, "name") // immutable
			if _, ok := b["description"]; !ok {
				b["description"] = nil
			}
			pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: target(m), DependsOn: deps,
				Request: Request{Method: "PATCH", Path: coll + "/" + str(old["id"]), Body: body(b)},
				Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}, Added: []any{m}}}})
			continue
		}
		var warn []string
		if old != nil {
			// No update in Graph: removed, then created again.
			w := []string{describe(old) + " cannot be changed in Graph: it is removed and created again"}
			if ch.Name == extChild {
				w[0] += "; the values users and other objects hold in it are lost"
			}
			deps = append(deps, remove(old, w))
			warn = w
		}
		if ch.Name == extChild {
			short, nameApp := extensionShort(str(m["name"]))
			switch {
			case s.mode == modeCreate || s.appHold != "":
				warn = append(warn, fmt.Sprintf("extension property %s is created on a new application with a new appId, so its name changes to extension_{new appId without dashes}_%s: values stored under the old name are not restored, and whatever names it (claims mapping, provisioning, apps) must be updated", what(m), short))
			case nameApp != "" && nameApp != wantApp:
				warn = append(warn, fmt.Sprintf("extension property %s is created as extension_%s_%s (the application's appId is not the snapshot's): values stored under the old name are not restored", what(m), wantApp, short))
			}
		}
		pl.add(s, Action{Op: OpAddChild, Relationship: ch.Name, Target: target(m), DependsOn: uniq(deps), Ensure: ensure,
			Request:  Request{Method: "POST", Path: coll, Body: body(heldBody(ch, m))},
			Changes:  []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}}},
			Warnings: warn})
	}
}
