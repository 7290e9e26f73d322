package importer

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// Restore of a catalog's resources and an access package's resource role
// scopes (layout/catalog_governance.go), in Graph's order: the catalog,
// its resources, then the packages' role scopes.
//
//   - A resource (matched by originSystem and originId) missing from the
//     catalog is added by POST resourceRequests {requestType: adminAdd,
//     resource: {originId, originSystem}, catalog: {id}}
//     (entitlementmanagement-post-resourcerequests); one the catalog holds
//     but REV does not is removed by an adminRemove naming the live
//     resource's id, after every removal of a role scope of it (Graph
//     refuses to remove a resource a package still uses).
//   - A role scope (matched by role originSystem and originId and scope
//     originId) missing from a package is added by POST
//     accessPackages/{id}/resourceRoleScopes (accesspackage-post-
//     resourcerolescopes), whose role names the catalog resource by its
//     id: a lookup (GET catalogs/{id}/resources?$filter=originId eq '…')
//     after the resource's add captures it. One REV does not hold is
//     removed by DELETE .../resourceRoleScopes/{id}.
//   - originIds naming a group or service principal are references: a
//     recreated group's or application's new id is sent (a group role's
//     Member_/Owner_ prefix kept), and a live resource or role scope
//     naming the old, deleted object is stale: removed, and the new one
//     added. An application role's originId is its app role's id, which
//     a recreated application keeps (its appRoles are in its file).

const (
	emResources  = "resources"
	emRoleScopes = "resourceRoleScopes"
	emRequests   = "/v1.0/identityGovernance/entitlementManagement/resourceRequests"
)

// isEMChild reports whether ch is a catalog's resources or a package's
// role scopes.
func isEMChild(kind string, ch layout.Child) bool {
	return kind == apCatalogs && ch.Name == emResources || kind == apPackages && ch.Name == emRoleScopes
}

// emKinds are the kinds an originId of originSystem names.
func emKinds(system string) []string {
	switch system {
	case "AadGroup":
		return []string{"groups"}
	case "AadApplication":
		return []string{"service-principals"}
	}
	return nil
}

// emPlan is what the catalog and package children planned, for the order
// between them.
type emPlan struct {
	adds     map[string]string   // catalog|system|origin (lower) → the resource's add
	removals map[string][]string // system|origin (lower) → resource removals
	pending  []pendingRS
	rsGone   map[string][]string // system|origin (lower) → role scope removals
}

func (pl *planner) em() *emPlan {
	if pl.emp == nil {
		pl.emp = &emPlan{adds: map[string]string{}, removals: map[string][]string{}, rsGone: map[string][]string{}}
	}
	return pl.emp
}

func emKey(parts ...string) string { return strings.ToLower(strings.Join(parts, "|")) }

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

// emChildren plans child ch of s: current the live object (nil when s is
// created), want the file's list.
func (pl *planner) emChildren(s *objState, ch layout.Child, parent string, current *Object, want any, parentDeps []string, ensure bool) {
	if ch.Name == emResources {
		pl.catalogResources(s, ch, parent, current, want, parentDeps, ensure)
		return
	}
	pl.roleScopes(s, ch, parent, current, want, parentDeps, ensure)
}

// emRef is the reference to the object id of system names, the actions
// it waits for, and whether this plan creates that object (a live item
// naming id then names the deleted object).
func (pl *planner) emRef(system, id string) (ref string, deps []string, fresh bool) {
	kinds := emKinds(system)
	if kinds == nil {
		return id, nil, false
	}
	ref, deps = pl.ref(kinds, id)
	return ref, deps, isHolder(ref)
}

func (pl *planner) catalogResources(s *objState, ch layout.Child, parent string, current *Object, want any, parentDeps []string, ensure bool) {
	k := s.k
	key := func(m map[string]any) string { return emKey(str(m["originSystem"]), str(m["originId"])) }
	have := map[string]map[string]any{}
	if current != nil {
		for _, it := range asSlice(current.Data[ch.Name]) {
			if m := mapOf(it); m != nil {
				have[key(m)] = m
			}
		}
	}
	wanted := map[string]bool{}
	stale := map[string]bool{}
	for _, it := range asSlice(want) {
		m := mapOf(it)
		if m == nil {
			continue
		}
		system, origin := str(m["originSystem"]), str(m["originId"])
		ref, deps, fresh := pl.emRef(system, origin)
		wanted[key(m)] = true
		if _, ok := have[key(m)]; ok && !fresh {
			continue
		}
		if fresh && have[key(m)] != nil {
			stale[key(m)] = true
		}
		if emKinds(system) != nil && !fresh && pl.targetMissing(s, ch, m, origin) {
			continue
		}
		res := map[string]any{"originId": ref, "originSystem": system}
		if dn := str(m["displayName"]); dn != "" {
			res["displayName"] = dn
		}
		id := pl.add(s, Action{Op: OpAddChild, Relationship: ch.Name, Target: origin, Ensure: ensure,
			DependsOn: append(append([]string(nil), parentDeps...), deps...),
			Request:   Request{Method: "POST", Path: emRequests, Body: body(map[string]any{"requestType": "adminAdd", "resource": res, "catalog": map[string]any{"id": parent}})},
			Changes:   []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}, RefKinds: emKinds(system)}}})
		pl.em().adds[emKey(s.orig, system, origin)] = id
		pl.em().adds[emKey(s.key, system, origin)] = id
	}
	for _, ck := range sortedKeys(have) {
		if wanted[ck] && !stale[ck] {
			continue
		}
		m := have[ck]
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: str(m["originId"])})
			continue
		}
		id := pl.add(s, Action{Op: OpRemoveChild, Relationship: ch.Name, Target: str(m["originId"]), Removal: true, DependsOn: parentDeps,
			Request: Request{Method: "POST", Path: emRequests, Body: body(map[string]any{"requestType": "adminRemove",
				"resource": map[string]any{"id": m["id"]}, "catalog": map[string]any{"id": parent}})},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{m}, RefKinds: emKinds(str(m["originSystem"]))}}})
		ek := emKey(str(m["originSystem"]), str(m["originId"]))
		pl.em().removals[ek] = append(pl.em().removals[ek], id)
	}
}

// pendingRS is a role scope to add, planned once every object is (emOrder):
// then it is known whether this plan adds its resource to the catalog.
type pendingRS struct {
	s                       *objState
	ch                      layout.Child
	parent, catalog, catRef string
	catDeps, deps           []string
	system, origin, ref     string
	fresh, ensure           bool
	m                       map[string]any
	parentDeps              []string
	body                    map[string]any
}

// rsKey identifies a role scope by what it grants.
func rsKey(m map[string]any) string {
	role, scope := mapOf(m["role"]), mapOf(m["scope"])
	return emKey(str(role["originSystem"]), str(role["originId"]), str(scope["originId"]))
}

func (pl *planner) roleScopes(s *objState, ch layout.Child, parent string, current *Object, want any, parentDeps []string, ensure bool) {
	k := s.k
	have := map[string]map[string]any{}
	if current != nil {
		for _, it := range asSlice(current.Data[ch.Name]) {
			if m := mapOf(it); m != nil {
				have[rsKey(m)] = m
			}
		}
	}
	catalog := str(mapOf(s.d.Data["catalog"])["id"])
	catRef, catDeps := pl.ref([]string{apCatalogs}, catalog)
	wanted, stale := map[string]bool{}, map[string]bool{}
	for _, it := range asSlice(want) {
		m := mapOf(it)
		if m == nil {
			continue
		}
		role, scope := mapOf(m["role"]), mapOf(m["scope"])
		system, origin := str(scope["originSystem"]), str(scope["originId"])
		ref, deps, fresh := pl.emRef(system, origin)
		ck := rsKey(m)
		wanted[ck] = true
		if _, ok := have[ck]; ok && !fresh {
			continue
		}
		if fresh && have[ck] != nil {
			stale[ck] = true
		}
		if emKinds(system) != nil && !fresh && pl.targetMissing(s, ch, m, origin) {
			continue
		}
		if catalog == "" {
			pl.note(s, []string{fmt.Sprintf("resource role %s was not added: the file names no catalog", layout.Safe(str(role["displayName"])))})
			continue
		}
		roleOrigin := str(role["originId"])
		if system == "AadGroup" {
			for _, p := range []string{"Member_", "Owner_"} {
				if len(roleOrigin) > len(p) && strings.EqualFold(roleOrigin[:len(p)], p) {
					roleOrigin = p + ref
				}
			}
		}
		sc := map[string]any{"originId": ref, "originSystem": system}
		if v, ok := scope["isRootScope"]; ok {
			sc["isRootScope"] = v
		}
		pl.em().pending = append(pl.em().pending, pendingRS{s: s, ch: ch, parent: parent, catalog: catalog, catRef: catRef, catDeps: catDeps,
			system: system, origin: origin, ref: ref, deps: deps, fresh: fresh, m: m, parentDeps: parentDeps, ensure: ensure,
			body: map[string]any{
				"role":  map[string]any{"originId": roleOrigin, "originSystem": str(role["originSystem"]), "resource": map[string]any{"id": ""}},
				"scope": sc,
			}})
	}
	for _, ck := range sortedKeys(have) {
		if wanted[ck] && !stale[ck] {
			continue
		}
		m := have[ck]
		scope := mapOf(m["scope"])
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: str(m["id"])})
			continue
		}
		id := pl.add(s, Action{Op: OpRemoveChild, Relationship: ch.Name, Target: str(m["id"]), Removal: true, DependsOn: parentDeps,
			Request: Request{Method: "DELETE", Path: childColl(k, ch, parent) + "/" + url.PathEscape(str(m["id"]))},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{m}, RefKinds: emKinds(str(scope["originSystem"]))}}})
		ek := emKey(str(scope["originSystem"]), str(scope["originId"]))
		pl.em().rsGone[ek] = append(pl.em().rsGone[ek], id)
	}
}

// emOrder makes each lookup of a catalog resource wait for the add of
// that resource (objects are planned in selection order, so a package may
// be planned before its catalog), and each resource removal wait for the
// removals of role scopes of the same resource and for the deletes of
// access packages (Graph refuses to remove a resource a package still
// grants).
func (pl *planner) emOrder() {
	if pl.emp == nil {
		return
	}
	pl.pendingRoleScopes()
	var pkgDeletes []string
	for _, a := range pl.p.Actions {
		if a.Kind == apPackages && a.Op == OpDelete {
			pkgDeletes = append(pkgDeletes, a.ID)
		}
	}
	for ek, ids := range pl.emp.removals {
		for _, id := range ids {
			if a := pl.action(id); a != nil {
				a.DependsOn = uniq(append(append(a.DependsOn, pl.emp.rsGone[ek]...), pkgDeletes...))
			}
		}
	}
}

// emPermissions are what a resource add needs besides the kind's
// permissions with an application token (entitlementmanagement-post-
// resourcerequests): a group Group.ReadWrite.All, an application
// Application.ReadWrite.All, a site Sites.FullControl.All.
func emPermissions(a *Action) []string {
	if a.Relationship != emResources || a.Op != OpAddChild {
		return nil
	}
	for _, c := range a.Changes {
		for _, x := range c.Added {
			switch str(mapOf(x)["originSystem"]) {
			case "AadGroup":
				return []string{"Group.ReadWrite.All"}
			case "AadApplication":
				return []string{"Application.ReadWrite.All"}
			case "SharePointOnline":
				return []string{"Sites.FullControl.All"}
			}
		}
	}
	return nil
}

// pendingRoleScopes plans the role scopes to add: per package and
// resource, a lookup of the catalog resource's id (after the resource's
// add, when this plan adds it), then a POST per role scope naming it. A
// resource the catalog does not hold (it names an object this plan
// creates, or the live catalog lacks it) and that no planned write of the
// catalog adds is added for the package, with a warning: the catalog is
// not in the selection, and Graph adds a role only of a resource of the
// package's catalog.
func (pl *planner) pendingRoleScopes() {
	lookups := map[string]string{} // package|system|origin → lookup action
	for _, r := range pl.emp.pending {
		s, k := r.s, r.s.k
		rk := emKey(r.catalog, r.system, r.origin)
		lk := emKey(s.orig, r.system, r.origin)
		lookup, ok := lookups[lk]
		if !ok {
			ldeps := append(append(append([]string(nil), r.catDeps...), r.deps...), r.parentDeps...)
			add := pl.emp.adds[rk]
			if add == "" && (r.fresh || pl.catalogLacks(r.catalog, r.system, r.ref)) {
				res := map[string]any{"originId": r.ref, "originSystem": r.system}
				add = pl.add(s, Action{Op: OpAddChild, Relationship: emResources, Target: r.origin, Ensure: true,
					DependsOn: uniq(append(append([]string(nil), r.catDeps...), r.deps...)),
					Request:   Request{Method: "POST", Path: emRequests, Body: body(map[string]any{"requestType": "adminAdd", "resource": res, "catalog": map[string]any{"id": r.catRef}})},
					Changes:   []Change{{Path: emResources, Action: diff.Changed, Added: []any{map[string]any{"originId": r.origin, "originSystem": r.system}}, RefKinds: emKinds(r.system)}},
					Warnings: []string{"the package's catalog holds no resource for " + pl.refName(r.origin) + ", whose role the package grants: " +
						"it is added to the catalog (select the catalog too to restore all of its resources)"}})
				pl.emp.adds[rk] = add
			}
			if add != "" {
				ldeps = append(ldeps, add)
			}
			holder := "{{emres:" + s.orig + ":" + fmt.Sprint(len(lookups)+1) + "}}"
			// The origin as an OData string in the query: a site's URL may
			// hold quotes (doubled), spaces and any text (escaped); a
			// placeholder of an id this plan creates is left for apply to
			// fill (a GUID then).
			filter := url.QueryEscape("originId eq ") + url.QueryEscape(live.ODataString(r.ref))
			if isHolder(r.ref) {
				filter = url.QueryEscape("originId eq '") + r.ref + url.QueryEscape("'")
			}
			lookup = pl.add(s, Action{Op: OpUpdate, Relationship: r.ch.Name, Target: r.origin, DependsOn: uniq(ldeps),
				Request: Request{Method: "GET", Path: "/v1.0/identityGovernance/entitlementManagement/catalogs/" + r.catRef +
					"/resources?$filter=" + filter},
				Capture:  &Capture{Field: "id", Into: holder},
				Warnings: []string{"looks up the catalog resource's id, which the resource role names"}})
			lookups[lk] = lookup
		}
		holder := pl.action(lookup).Capture.Into
		b := layout.Copy(r.body).(map[string]any)
		b["role"].(map[string]any)["resource"] = map[string]any{"id": holder}
		role := mapOf(r.m["role"])
		pl.add(s, Action{Op: OpAddChild, Relationship: r.ch.Name, Target: str(role["displayName"]) + " of " + r.origin, Ensure: r.ensure,
			DependsOn: uniq(append(append([]string{lookup}, r.parentDeps...), r.deps...)),
			Request:   Request{Method: "POST", Path: childColl(k, r.ch, r.parent), Body: body(b)},
			Changes:   []Change{{Path: r.ch.Name, Action: diff.Changed, Added: []any{r.m}, RefKinds: emKinds(r.system)}}})
	}
}

// catalogLacks reports whether the live catalog (when read) holds no
// resource of system with originId ref.
func (pl *planner) catalogLacks(catalog, system, ref string) bool {
	c := pl.in.Live[apCatalogs][strings.ToLower(catalog)]
	if c == nil {
		return false // not read: taken to hold it (Graph says otherwise at apply)
	}
	for _, x := range asSlice(c.Data[emResources]) {
		m := mapOf(x)
		if strings.EqualFold(str(m["originSystem"]), system) && strings.EqualFold(str(m["originId"]), ref) {
			return false
		}
	}
	return true
}
