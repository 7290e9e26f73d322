package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// The incidents, each made through Graph as an admin (or an attacker)
// would make it. Each picks its objects from the snapshot, lowest id first,
// so the same snapshot gives the same rehearsal.

func str(v any) string       { s, _ := v.(string); return s }
func list(v any) []any       { l, _ := v.([]any); return l }
func quoted(s string) string { return fmt.Sprintf("%q", layout.Safe(s)) }

const (
	caPolicies     = "/v1.0/identity/conditionalAccess/policies"
	namedLocations = "/v1.0/identity/conditionalAccess/namedLocations"
)

// caPolicyDeleted deletes a Conditional Access policy (an enabled one when
// there is one).
func caPolicyDeleted(ctx context.Context, r *run) (*damage, error) {
	all := r.of("conditional-access-policies")
	if len(all) == 0 {
		return nil, skip{"no Conditional Access policy in the snapshot"}
	}
	victim := all[0]
	for _, p := range all {
		if str(p["state"]) == "enabled" {
			victim = p
			break
		}
	}
	id := str(victim["id"])
	if _, err := r.client.Delete(ctx, caPolicies+"/"+url.PathEscape(id)); err != nil {
		return nil, err
	}
	return &damage{ids: []string{id}, objects: 1, what: "Conditional Access policy " + quoted(str(victim["displayName"])) + " deleted"}, nil
}

// groupMembershipWiped removes every member of an assigned (not dynamic,
// not synced) group: the first with members, preferring one of at most
// 500 members so a rehearsal stays short.
func groupMembershipWiped(ctx context.Context, r *run) (*damage, error) {
	var victim map[string]any
	for _, g := range r.of("groups") {
		types := fmt.Sprint(g["groupTypes"])
		if strings.Contains(types, "DynamicMembership") || g["onPremisesSyncEnabled"] == true || len(list(g["members"])) == 0 {
			continue
		}
		if victim == nil || len(list(victim["members"])) > 500 && len(list(g["members"])) <= 500 {
			victim = g
		}
	}
	if victim == nil {
		return nil, skip{"no assigned group with members in the snapshot"}
	}
	id := str(victim["id"])
	members, err := r.client.ListObjects(ctx, "/v1.0/groups/"+url.PathEscape(id)+"/members?$select=id")
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, fmt.Errorf("group %s has no members in the rehearsal tenant although the snapshot lists %d", id, len(list(victim["members"])))
	}
	for _, m := range members {
		if _, err := r.client.Delete(ctx, "/v1.0/groups/"+url.PathEscape(id)+"/members/"+url.PathEscape(str(m["id"]))+"/$ref"); err != nil {
			return nil, err
		}
	}
	return &damage{ids: []string{id}, objects: 1, what: fmt.Sprintf("group %s lost all %d members", quoted(str(victim["displayName"])), len(members))}, nil
}

// phishingURI is where a tampered app sends sign-ins.
const phishingURI = "https://login.contoso-support.example/callback"

// appRedirectURIsChanged points an application's redirect URIs (web, else
// single-page app) at a phishing site.
func appRedirectURIsChanged(ctx context.Context, r *run) (*damage, error) {
	for _, a := range r.of("applications") {
		for _, platform := range []string{"web", "spa"} {
			p, _ := a[platform].(map[string]any)
			if p == nil || len(list(p["redirectUris"])) == 0 {
				continue
			}
			id := str(a["id"])
			live, err := r.client.Get(ctx, "/v1.0/applications/"+url.PathEscape(id)+"?$select=id,"+platform)
			if err != nil {
				return nil, err
			}
			var cur map[string]any
			if err := json.Unmarshal(live, &cur); err != nil {
				return nil, fmt.Errorf("application %s: %w", id, err)
			}
			lp, _ := cur[platform].(map[string]any)
			if lp == nil {
				lp = map[string]any{}
			}
			lp["redirectUris"] = []string{phishingURI}
			if platform == "web" {
				delete(lp, "redirectUriSettings") // read-only companion of redirectUris
			}
			if _, err := r.client.Patch(ctx, "/v1.0/applications/"+url.PathEscape(id), map[string]any{platform: lp}); err != nil {
				return nil, err
			}
			return &damage{ids: []string{id}, objects: 1, what: fmt.Sprintf("application %s now redirects sign-ins (%s) to %s", quoted(str(a["displayName"])), platform, phishingURI)}, nil
		}
	}
	return nil, skip{"no application with redirect URIs in the snapshot"}
}

// spPermissionsChanged removes a client's application permissions (its
// app role assignments on one resource) and a delegated permission grant.
func spPermissionsChanged(ctx context.Context, r *run) (*damage, error) {
	d := &damage{}
	var what []string
	for _, sp := range r.of("service-principals") {
		assigned := list(sp["appRoleAssignedTo"])
		if len(assigned) == 0 {
			continue
		}
		// The assignments of the first principal (by id).
		var principals []string
		for _, a := range assigned {
			if m, ok := a.(map[string]any); ok && str(m["principalId"]) != "" {
				principals = append(principals, str(m["principalId"]))
			}
		}
		if len(principals) == 0 {
			continue
		}
		sort.Strings(principals)
		id := str(sp["id"])
		live, err := r.client.ListObjects(ctx, "/v1.0/servicePrincipals/"+url.PathEscape(id)+"/appRoleAssignedTo")
		if err != nil {
			return nil, err
		}
		n := 0
		for _, a := range live {
			if !strings.EqualFold(str(a["principalId"]), principals[0]) {
				continue
			}
			if _, err := r.client.Delete(ctx, "/v1.0/servicePrincipals/"+url.PathEscape(id)+"/appRoleAssignedTo/"+url.PathEscape(str(a["id"]))); err != nil {
				return nil, err
			}
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("service principal %s has no app role assignments in the rehearsal tenant although the snapshot lists %d", id, len(assigned))
		}
		d.ids = append(d.ids, id)
		what = append(what, fmt.Sprintf("%d app role %s on %s removed", n, layout.Plural(n, "assignment", "assignments"), quoted(str(sp["displayName"]))))
		break
	}
	for _, sp := range r.of("service-principals") {
		grants := list(sp["oauth2PermissionGrants"])
		if len(grants) == 0 {
			continue
		}
		g, _ := grants[0].(map[string]any)
		gid := str(g["id"])
		if gid == "" {
			continue
		}
		if _, err := r.client.Delete(ctx, "/v1.0/oauth2PermissionGrants/"+url.PathEscape(gid)); err != nil {
			return nil, err
		}
		id := str(sp["id"])
		if len(d.ids) == 0 || !strings.EqualFold(d.ids[0], id) {
			d.ids = append(d.ids, id)
		}
		what = append(what, fmt.Sprintf("delegated grant %s of %s revoked", quoted(str(g["scope"])), quoted(str(sp["displayName"]))))
		break
	}
	if len(d.ids) == 0 {
		return nil, skip{"no service principal permissions (app role assignments or delegated grants) in the snapshot"}
	}
	d.objects, d.what = len(d.ids), strings.Join(what, ", ")
	return d, nil
}

// namedLocationDeleted deletes a named location no Conditional Access
// policy uses (Graph refuses to delete the others).
func namedLocationDeleted(ctx context.Context, r *run) (*damage, error) {
	locs := r.of("named-locations")
	if len(locs) == 0 {
		return nil, skip{"no named location in the snapshot"}
	}
	policies, err := r.client.ListObjects(ctx, caPolicies)
	if err != nil {
		return nil, err
	}
	for _, l := range locs {
		id := str(l["id"])
		used := false
		for _, p := range policies {
			b, _ := json.Marshal(p["conditions"])
			used = used || strings.Contains(strings.ToLower(string(b)), strings.ToLower(id))
		}
		if used {
			continue
		}
		if _, err := r.client.Delete(ctx, namedLocations+"/"+url.PathEscape(id)); err != nil {
			return nil, err
		}
		return &damage{ids: []string{id}, objects: 1, what: "named location " + quoted(str(l["displayName"])) + " deleted"}, nil
	}
	return nil, skip{fmt.Sprintf("every named location in the snapshot (%d) is used by a Conditional Access policy, and Graph refuses to delete those", len(locs))}
}

// corruptUsers is how many users the bulk corruption changes.
const corruptUsers = 50

// corrupted is the value written over department and job title.
const corrupted = "CORRUPTED BY BULK UPDATE"

// userAttributesCorrupted overwrites the department and job title of up
// to 50 cloud users (synchronized users are written on premises).
func userAttributesCorrupted(ctx context.Context, r *run) (*damage, error) {
	d := &damage{}
	for _, u := range r.of("users") {
		if u["onPremisesSyncEnabled"] == true {
			continue
		}
		id := str(u["id"])
		if _, err := r.client.Patch(ctx, "/v1.0/users/"+url.PathEscape(id), map[string]any{"department": corrupted, "jobTitle": corrupted}); err != nil {
			return nil, fmt.Errorf("user %s: %w", id, err)
		}
		d.ids = append(d.ids, id)
		if len(d.ids) == corruptUsers {
			break
		}
	}
	if len(d.ids) == 0 {
		return nil, skip{"no cloud user in the snapshot"}
	}
	d.objects = len(d.ids)
	d.what = fmt.Sprintf("department and job title of %d %s overwritten", len(d.ids), layout.Plural(len(d.ids), "user", "users"))
	return d, nil
}
