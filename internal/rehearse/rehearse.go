// Package rehearse loads a snapshot into graphsim for the rehearsal mode
// (entrasnap graphsim --from-repo R --at REV): the one place where the
// product's repository format and the emulator meet. graphsim learns
// nothing of snapshots: this package maps each file's kind to graphsim's by
// Graph type name and seeds the tenant through graphsim's Go API.
package rehearse

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Load builds a graphsim tenant (profile none, opts otherwise) holding
// exactly the objects of revision at of r, so a restore runbook can be
// practised offline against the tenant as it was, and returns it with the
// number of objects loaded. The tenant keeps the snapshot's tenant id, so
// plans made against it name the same tenant. Children (members, owners,
// app role assignments, grants, scoped role members, federated identity
// credentials, extension properties, permission classifications) go back
// to what they are in Graph, and so do the kinds that are state of another
// kind's object (layout.OwnerKind: per-user MFA, custom security attribute
// values, a user flow's identity providers and API connectors), applied to
// their owner users, service principals and user flows.
//
// A file of such a kind whose owner the snapshot does not hold (a per-user
// MFA state carried forward for a user deleted since it was read, the
// connections of a user flow deleted since) cannot exist in Graph: with a note function, Load skips it, does not count it
// and calls note with one line naming such files and what to do; without
// one, it is an error naming them.
func Load(ctx context.Context, r *snapshot.Repo, at string, opts graphsim.Options, note ...func(string)) (*graphsim.Server, int, error) {
	h, err := r.Resolve(ctx, at)
	if err != nil {
		return nil, 0, err
	}
	files, err := r.ReadAll(ctx, h.String(), "")
	if err != nil {
		return nil, 0, err
	}
	data, ok := files[layout.ManifestPath]
	if !ok {
		return nil, 0, fmt.Errorf("%s at %s has no %s: not an entrasnap snapshot", r.Path(), at, layout.ManifestPath)
	}
	man, err := layout.DecodeManifest(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%s at %s: %w", layout.ManifestPath, at, err)
	}
	type item struct {
		kind *layout.Kind
		obj  map[string]any
	}
	var items []item
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		k, _, err := layout.Locate(p)
		if err != nil {
			continue
		}
		obj, err := layout.Decode(files[p])
		if err != nil {
			return nil, 0, fmt.Errorf("%s at %s: %w (run entrasnap check)", p, at, err)
		}
		items = append(items, item{k, obj})
		if k.Name == "organization" && opts.TenantName == "" {
			opts.TenantName, _ = obj["displayName"].(string)
		}
		if k.Name == "domains" && obj["isInitial"] == true {
			opts.Domain, _ = obj["id"].(string)
		}
	}
	loaded := len(items)
	opts.Profile, opts.TenantID, opts.State = "none", man.TenantID, nil
	opts.Rehearsal = true // its answers say so: restore and apply refuse to record them as the real tenant's
	sim, err := graphsim.New(opts)
	if err != nil {
		return nil, 0, err
	}
	tn := sim.Tenant()
	for _, it := range items {
		if it.kind.Name == "user-flows" {
			// Microsoft's built-in attributes, which a flow's assignments
			// may name and no snapshot holds (every tenant has them).
			if err := tn.SeedBuiltInUserFlowAttributes(); err != nil {
				return nil, 0, fmt.Errorf("loading the built-in user flow attributes: %w", err)
			}
			break
		}
	}
	simKind := func(k *layout.Kind) string { return strings.TrimPrefix(k.ODataType, "#microsoft.graph.") }
	type link struct{ kind, id, rel, target string }
	var links []link
	type child struct {
		kind string
		obj  map[string]any
	}
	var children []child
	type heldItem struct {
		kind, id, rel string
		obj           map[string]any
	}
	var helds []heldItem
	var rolePolicies []map[string]any
	// Kinds that are state of another kind's object, not objects of their
	// own in Graph (layout.OwnerKind: per-user MFA below a user, custom
	// security attribute values on a user or service principal, a user
	// flow's identity providers and API connectors, which go inside the
	// flow's object as graphsim's Tenant.Seed takes them,
	// graphsim/external.go): each file goes to its owner object, keyed by
	// the owner's id.
	owned := map[string][]item{} // owner kind + "/" + lower-case id
	ownedKey := func(kind, id string) string { return kind + "/" + strings.ToLower(id) }
	for _, it := range items {
		if o := layout.OwnerKind(it.kind); o != "" {
			id, _ := it.obj[it.kind.KeyProp()].(string)
			owned[ownedKey(o, id)] = append(owned[ownedKey(o, id)], it)
		}
	}
	var perObject []item // below their owners, once these are loaded
	for _, it := range items {
		id, _ := it.obj[it.kind.KeyProp()].(string)
		if layout.OwnerKind(it.kind) != "" {
			continue // in its owner's object, below
		}
		for _, o := range owned[ownedKey(it.kind.Name, id)] {
			if o.kind.PerObject != "" {
				perObject = append(perObject, o)
				continue
			}
			// Properties of the owner object itself, as Graph reads them
			// with $select and graphsim stores them (graphsim/user_csa.go),
			// or navigations graphsim takes inside it (a user flow's); the
			// file's own @odata.type is its kind's, not the owner's.
			for p, v := range o.obj {
				if p != o.kind.KeyProp() && p != "@odata.type" {
					it.obj[p] = v
				}
			}
		}
		delete(owned, ownedKey(it.kind.Name, id))
		if it.kind.Name == "role-management-policies" {
			// One per role, made with the role: given its snapshot's rules
			// once the roles are loaded (graphsim/pim.go).
			rolePolicies = append(rolePolicies, it.obj)
			continue
		}
		for _, ch := range it.kind.Children {
			if ch.SeededWithParent {
				continue // graphsim takes it inside the parent as the file holds it (Tenant.Seed; layout.Child.SeededWithParent)
			}
			v, ok := it.obj[ch.Name]
			delete(it.obj, ch.Name)
			if !ok {
				continue
			}
			for _, e := range asList(v) {
				m, _ := e.(map[string]any)
				if m == nil {
					continue
				}
				if ch.Refs && ch.AssignedOnTarget {
					// A policy's assignments live on the application's or
					// service principal's side (tokenLifetimePolicies, ...).
					target, _ := m["id"].(string)
					typ, _ := m["@odata.type"].(string)
					nav := strings.TrimSuffix(simKind(it.kind), "y") + "ies"
					links = append(links, link{strings.TrimPrefix(typ, "#microsoft.graph."), target, nav, id})
					continue
				}
				if ch.Refs {
					// (A feature rollout policy's appliesTo is its own
					// link to groups, as members are: graphsim/rollout.go.)
					target, _ := m["id"].(string)
					links = append(links, link{simKind(it.kind), id, ch.Name, target})
					// Devices and contacts are members the snapshot keeps by
					// id only: the rehearsal tenant gets them as bare objects.
					if typ, _ := m["@odata.type"].(string); (typ == "#microsoft.graph.device" || typ == "#microsoft.graph.orgContact") && target != "" {
						kind := strings.TrimPrefix(typ, "#microsoft.graph.")
						if _, ok := tn.Get(kind, target); !ok {
							if _, err := tn.Seed(kind, map[string]any{"id": target}); err != nil {
								return nil, 0, fmt.Errorf("loading %s %s of %s: %w", kind, target, id, err)
							}
						}
					}
					continue
				}
				switch ch.Name {
				case "appRoleAssignedTo":
					m["resourceId"] = id
					m["resourceDisplayName"] = it.obj["displayName"]
					children = append(children, child{"appRoleAssignment", m})
				case "oauth2PermissionGrants":
					m["clientId"] = id
					children = append(children, child{"oAuth2PermissionGrant", m})
				case "scopedRoleMembers":
					m["administrativeUnitId"] = id
					children = append(children, child{"scopedRoleMembership", m})
				case "federatedIdentityCredentials", "extensionProperties", "delegatedPermissionClassifications", "allowedValues":
					// Kept below their parent (graphsim/hooks_appheld.go, customsec.go).
					helds = append(helds, heldItem{simKind(it.kind), id, ch.Name, m})
				}
			}
		}
		// Images (company branding) are files next to the object's:
		// loaded as the streams Graph serves.
		var streams []layout.Image
		for _, prop := range it.kind.Images {
			if im, ok, _ := layout.ImageOf(it.obj, prop); ok {
				streams = append(streams, im)
			}
			delete(it.obj, prop)
		}
		// Documents (terms of use agreements' files) are files next to
		// the object's too: loaded as the held files Graph returns, with
		// their bytes as base64 and an id derived from the object's.
		if fi := it.kind.FileItems; fi != nil {
			list, _ := it.obj[fi.List].([]any)
			for _, x := range list {
				m, _ := x.(map[string]any)
				f := layout.Copy(m).(map[string]any)
				if it.kind.ItemNotReturned(m) {
					// Graph returned it without its bytes: the rehearsal
					// tenant answers "fileData": null for it, as that tenant did.
					f[fi.Data] = nil
				} else {
					im, ok, _ := it.kind.ItemImageOf(m)
					if !ok {
						continue
					}
					data, found := files[it.kind.ImagePath(im.File)]
					if !found || layout.SHA256Hex(data) != im.SHA256 {
						return nil, 0, fmt.Errorf("loading %s %s: the file %s is missing or not the one its file names (run entrasnap check)", it.kind.Name, id, layout.Safe(im.File))
					}
					f[fi.Data] = map[string]any{"data": base64.StdEncoding.EncodeToString(data)}
				}
				sum := layout.SHA256Hex([]byte(id + "/" + fmt.Sprint(m[fi.Key])))
				f["id"] = sum[:8] + "-" + sum[8:12] + "-4" + sum[13:16] + "-8" + sum[17:20] + "-" + sum[20:32]
				helds = append(helds, heldItem{simKind(it.kind), id, fi.List, f})
			}
			delete(it.obj, fi.List)
		}
		if _, err := tn.Seed(simKind(it.kind), it.obj); err != nil {
			return nil, 0, fmt.Errorf("loading %s %s: %w", it.kind.Name, id, err)
		}
		for _, im := range streams {
			data, ok := files[it.kind.ImagePath(im.File)]
			if !ok || layout.SHA256Hex(data) != im.SHA256 {
				return nil, 0, fmt.Errorf("loading %s %s: the image file %s is missing or not the one its file names (run entrasnap check)", it.kind.Name, id, layout.Safe(im.File))
			}
			prop, _, _ := strings.Cut(im.File[strings.LastIndexByte(im.File, '/')+1:], ".")
			if err := tn.SeedStream(simKind(it.kind), id, prop, im.ContentType, data); err != nil {
				return nil, 0, fmt.Errorf("loading %s %s: %w", it.kind.Name, id, err)
			}
		}
	}
	if len(owned) > 0 {
		var missing []string
		for _, its := range owned {
			for _, it := range its {
				id, _ := it.obj[it.kind.KeyProp()].(string)
				missing = append(missing, fmt.Sprintf("%s %s (of %s)", it.kind.Name, layout.Safe(id), layout.OwnerKind(it.kind)))
			}
		}
		sort.Strings(missing)
		skipped := len(missing)
		more := ""
		if len(missing) > 5 {
			more = fmt.Sprintf(" and %d more", len(missing)-5)
			missing = missing[:5]
		}
		what := fmt.Sprintf("%s at %s: %s%s belong to objects the snapshot does not hold (state of an object, not objects of their own in Graph)",
			r.Path(), at, strings.Join(missing, ", "), more)
		if len(note) == 0 {
			return nil, 0, fmt.Errorf("%s: export the owners' kinds too (entrasnap export --kinds NAMES) or run entrasnap check", what)
		}
		for _, fn := range note {
			fn(fmt.Sprintf("%s: skipped %d file(s); export the owners' kinds and these kinds again to bring them in line", what, skipped))
		}
		loaded -= skipped
	}
	for _, it := range perObject {
		id, _ := it.obj[it.kind.KeyProp()].(string)
		owner, _ := layout.Lookup(layout.OwnerKind(it.kind))
		if err := tn.SeedPerObject(simKind(owner), id, it.kind.PerObject, it.obj); err != nil {
			return nil, 0, fmt.Errorf("loading %s %s: %w (run entrasnap check)", it.kind.Name, layout.Safe(id), err)
		}
	}
	for _, c := range children {
		if _, err := tn.Seed(c.kind, c.obj); err != nil {
			return nil, 0, fmt.Errorf("loading %s: %w", c.kind, err)
		}
	}
	for _, h := range helds {
		if err := tn.SeedHeld(h.kind, h.id, h.rel, h.obj); err != nil {
			return nil, 0, fmt.Errorf("loading %s of %s: %w", h.rel, h.id, err)
		}
	}
	for _, l := range links {
		if err := tn.SeedLink(l.kind, l.id, l.rel, l.target); err != nil {
			return nil, 0, fmt.Errorf("loading %s of %s: %w", l.rel, l.id, err)
		}
	}
	// Every id the repository mentions at this revision (object files,
	// the id map of objects recreated under new ids, change records) was
	// an id of the tenant: graphsim must not give one to an object
	// created during the rehearsal (an old id recreated under itself
	// would make the id map go round in a circle).
	for _, p := range paths {
		tn.ReserveIDs(guidPattern.FindAllString(string(files[p]), -1)...)
	}
	for _, p := range rolePolicies {
		role, _ := p["roleDefinitionId"].(string)
		id, _ := p["id"].(string)
		if err := sim.SeedRolePolicy(role, id, asList(p["rules"])); err != nil {
			return nil, 0, fmt.Errorf("loading the PIM settings of role %s: %w", role, err)
		}
	}
	return sim, loaded, nil
}

var guidPattern = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

func asList(v any) []any { l, _ := v.([]any); return l }
