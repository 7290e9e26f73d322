package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Custom security attribute values of users and of service principals
// (layout kinds user-security-attributes and
// service-principal-security-attributes, one implementation): the users
// (service principals) list with $select=id,customSecurityAttributes (999 a
// page), keeping the objects that hold values. Graph answers null instead of a 403 when the caller may not
// read them (learn:/graph/custom-security-attributes-examples: "if the
// calling principal does not have access"), which a snapshot would record
// as "no values" and a restore act on by removing them all: the read is
// refused unless the token shows it may read them.

func init() {
	customReads[layout.UserSecurityAttributes] = (*reader).readSecurityAttributes
	customReads[layout.ServicePrincipalSecurityAttributes] = (*reader).readSecurityAttributes
}

// csaReadRoles are the permissions that read the values (application
// roles, or delegated scopes).
var csaReadRoles = []string{"CustomSecAttributeAssignment.Read.All", "CustomSecAttributeAssignment.ReadWrite.All"}

// csaReaderRoles are the directory roles (template ids, as the wids claim
// names them) a signed-in user needs besides the scope to read the values
// (learn:/graph/custom-security-attributes-examples, "Prerequisites"; Global
// Administrator has no access by default,
// learn:/entra/fundamentals/custom-security-attributes-troubleshoot).
var csaReaderRoles = map[string]string{
	"ffd52fa5-98dc-465c-991d-fc073eb59f8f": "Attribute Assignment Reader",
	"58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d": "Attribute Assignment Administrator",
}

// csaReadable fails unless the token shows that it reads the values: an
// application token holding a permission that reads them, or a delegated
// token whose scp holds one and whose wids claim (the signed-in user's
// tenant-wide built-in roles, learn:/entra/identity-platform/
// access-token-claims-reference) names Attribute Assignment Reader or
// Administrator. Graph answers null to any other caller, which cannot be
// told apart from "no values". A token that is not a JWT says nothing and
// is let through (the read then trusts Graph's answer).
//
// A signed-in user who holds one of the two roles scoped to attribute
// sets only (directoryScopeId /attributeSets/{id}: no wids entry, which
// lists tenant-wide roles) reads those sets' values, and Graph leaves the
// other sets out of its answer ("Cannot read attribute assignments that
// use attributes in other attribute sets",
// learn:/entra/fundamentals/custom-security-attributes-manage): sets are
// then those attribute sets (lower-case ids, from the user's role
// assignments), nil when every set is read.
func (r *reader) csaReadable(ctx context.Context, k *layout.Kind) (sets map[string]string, err error) {
	roles, ok, err := r.c.TokenRoles(ctx)
	if err != nil {
		return nil, kindError(k, "token", err, nil)
	}
	scp, err := r.c.TokenScopes(ctx)
	if err != nil {
		return nil, kindError(k, "token", err, nil)
	}
	if !ok && scp == "" {
		return nil, nil // not a JWT (a test server's token): nothing to tell from it
	}
	if !ok {
		token := r.c.BearerToken(ctx)
		err := csaDelegatedReadable(k, strings.Fields(scp), token)
		if err == nil || !errors.Is(err, errNoTenantWideRole) {
			return nil, err
		}
		sets, all, why := r.csaScopedSets(ctx, token, csaReaderRoles)
		if all {
			return nil, nil // a tenant-wide assignment the token's claims did not show
		}
		if len(sets) == 0 {
			if ke, ok := err.(*KindError); ok && why != "" {
				ke.Err = fmt.Errorf("%w%s", ke.Err, why)
			}
			return nil, err
		}
		return sets, nil
	}
	if holdsAny(roles, csaReadRoles) {
		return nil, nil
	}
	return nil, &KindError{Kind: k.Name, What: "property customSecurityAttributes", Status: 403, Permissions: []string{csaReadRoles[0]},
		Err: fmt.Errorf("Graph answers customSecurityAttributes as null without %s, which the token does not carry", csaReadRoles[0])}
}

// errNoTenantWideRole marks csaDelegatedReadable's refusal of a user whose
// token shows neither attribute assignment role over the whole directory
// (its wids claim names neither, or there is no wids claim).
var errNoTenantWideRole = errors.New("no attribute assignment role at the tenant's scope")

// csaScopedSets lists the attribute sets the signed-in user of token holds
// one of roles (template ids, as csaReaderRoles) at (directoryScopeId
// /attributeSets/{id}), from the role assignments Graph lists
// (rbacapplication-list-roleassignments, which needs a role that reads
// them: Directory Readers, Global Reader, ...). Lower-case id → id. An
// assignment to a role-assignable group counts for its members: Graph
// lists it with the group as principalId, and the group's members hold
// the role ("you can assign a Microsoft Entra role to a group ... the
// members of the group get the role", learn:/entra/identity/
// role-based-access-control/groups-concept); the groups holding the user
// are read from GET /me/transitiveMemberOf/microsoft.graph.group
// (user-list-transitivememberof: "through either direct or transitive
// membership"; delegated User.Read for one's own), and only when an
// assignment of one of roles names a principal other than the user. When
// they cannot be read, such assignments are not counted (their sets are
// kept, not read) and why says so. why says, when there are no sets, what
// was found. all: the user holds one of the roles at the tenant's scope
// after all (a token without a wids claim, or a role held through a
// group, which wids leaves out).
func (r *reader) csaScopedSets(ctx context.Context, token string, roles map[string]string) (sets map[string]string, all bool, why string) {
	oid := graph.TokenClaim(token, "oid")
	if oid == "" {
		return nil, false, ""
	}
	as, err := r.c.ListObjects(ctx, "/v1.0/roleManagement/directory/roleAssignments?$select=principalId,roleDefinitionId,directoryScopeId")
	if err != nil {
		return nil, false, "; nor could its role assignments be listed to find one scoped to attribute sets (" + layout.Safe(err.Error()) +
			"): a role scoped to attribute sets reads those sets only, and the export keeps the other sets as the previous snapshot holds them"
	}
	var groups map[string]bool // the groups holding the user, once read
	holds := func(principal string) bool {
		if strings.EqualFold(principal, oid) {
			return true
		}
		if groups == nil {
			groups = map[string]bool{}
			gs, err := r.c.ListObjects(ctx, "/v1.0/me/transitiveMemberOf/microsoft.graph.group?$select=id")
			if err != nil {
				why = "; the groups holding the signed-in user could not be read (GET /me/transitiveMemberOf: " + layout.Safe(err.Error()) +
					"), so a role held through a role-assignable group is not counted"
			}
			for _, g := range gs {
				if id, _ := g["id"].(string); id != "" {
					groups[strings.ToLower(id)] = true
				}
			}
		}
		return groups[strings.ToLower(principal)]
	}
	sets = map[string]string{}
	for _, a := range as {
		principal, _ := a["principalId"].(string)
		def, _ := a["roleDefinitionId"].(string)
		scope, _ := a["directoryScopeId"].(string)
		if _, reads := roles[strings.ToLower(def)]; !reads || principal == "" || !holds(principal) {
			continue
		}
		if scope == "/" {
			return nil, true, ""
		}
		if set, ok := strings.CutPrefix(scope, "/attributeSets/"); ok && set != "" {
			sets[strings.ToLower(set)] = set
		}
	}
	if len(sets) > 0 {
		why = ""
	}
	return sets, false, why
}

// csaDelegatedReadable checks a delegated token's scopes and directory roles.
func csaDelegatedReadable(k *layout.Kind, scopes []string, token string) error {
	refuse := func(why string) error {
		// No Permissions: KindError words them as application permissions.
		return &KindError{Kind: k.Name, What: "token", Status: 403,
			Err: fmt.Errorf("Graph answers customSecurityAttributes as null, not with an error, to a caller that may not read them: %s", why)}
	}
	if !holdsAny(scopes, csaReadRoles) {
		return refuse("the delegated token does not carry the scope " + csaReadRoles[0] + ": consent to it for the app and sign in again")
	}
	wids, ok := graph.TokenClaimStrings(token, "wids")
	if !ok {
		err := refuse("the delegated token lists no directory roles (no wids claim), so it cannot show the Attribute Assignment Reader " +
			"or Administrator role a signed-in user needs besides the scope: set the app registration's groupMembershipClaims to DirectoryRole " +
			"(or All), or export this kind with an application token granted " + csaReadRoles[0])
		err.(*KindError).Err = fmt.Errorf("%w (%w)", err.(*KindError).Err, errNoTenantWideRole)
		return err
	}
	for _, w := range wids {
		if _, reads := csaReaderRoles[strings.ToLower(w)]; reads {
			return nil
		}
	}
	err := refuse("the signed-in user holds neither Attribute Assignment Reader nor Attribute Assignment Administrator over the whole " +
		"directory (the token's wids claim; Global Administrator does not read the values by default): assign one of them, sign in again " +
		"and export again")
	err.(*KindError).Err = fmt.Errorf("%w (%w)", err.(*KindError).Err, errNoTenantWideRole)
	return err
}

// holdsAny reports whether have names one of want (case-insensitive).
func holdsAny(have, want []string) bool {
	for _, h := range have {
		for _, g := range want {
			if strings.EqualFold(g, h) {
				return true
			}
		}
	}
	return false
}

func (r *reader) readSecurityAttributes(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	readable, err := r.csaReadable(ctx, k)
	if err != nil {
		return nil, err
	}
	if readable != nil && r.previous == nil {
		return nil, r.refuseInPart(k, "property customSecurityAttributes", fmt.Sprintf("the signed-in user reads the values of attribute sets %s only (a role scoped to them), and Graph leaves the other sets' values out of its answer",
			setList(readable)), "removed", "Attribute Assignment Reader", csaReadRoles[0])
	}
	var objs []map[string]any
	var owners []string // every owner listed, for a read in part (keepUnreadSets)
	err = r.listPages(ctx, k, requests, func(page []map[string]any) error {
		for _, o := range page {
			if readable != nil {
				id, _ := o["id"].(string)
				owners = append(owners, id)
			}
			v, ok := o["customSecurityAttributes"]
			if !ok {
				return &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("Graph returned an object of %s without customSecurityAttributes", layout.AttributeValueOwner(k))}
			}
			sets, err := attributeValues(v)
			if err != nil {
				return &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("%s %s: %w", layout.AttributeValueOwner(k), layout.Safe(fmt.Sprint(o["id"])), err)}
			}
			if len(sets) == 0 {
				continue // no values: no file
			}
			objs = append(objs, map[string]any{"id": o["id"], "customSecurityAttributes": sets})
		}
		return nil
	})
	if err != nil || readable == nil {
		return objs, err
	}
	return r.keepUnreadSets(k, objs, owners, readable)
}

// keepUnreadSets completes a read of the values of some attribute sets
// only (sets, from csaScopedSets): each owner listed keeps the values of
// the other sets as its file in the previous snapshot holds them, so that
// a set the caller may not read never shows as removed; an owner not
// listed (deleted since) has no file. The kind's warning names the sets
// read and those kept.
func (r *reader) keepUnreadSets(k *layout.Kind, objs []map[string]any, owners []string, sets map[string]string) ([]map[string]any, error) {
	byID := map[string]map[string]any{}
	for _, o := range objs {
		id, _ := o["id"].(string)
		byID[id] = o
	}
	kept := map[string]bool{}
	var out []map[string]any
	for _, id := range owners {
		o := byID[id]
		p, err := layout.Path(k, map[string]any{"id": id})
		if err != nil {
			return nil, &KindError{Kind: k.Name, What: "list", Err: err}
		}
		data, err := r.previous(p)
		if err != nil {
			return nil, &KindError{Kind: k.Name, What: "previous snapshot", Err: fmt.Errorf("reading %s to keep the values of the attribute sets not read: %w", p, err)}
		}
		if data != nil {
			prev, err := layout.Decode(data)
			if err != nil {
				return nil, &KindError{Kind: k.Name, What: "previous snapshot", Err: fmt.Errorf("%s: %w", p, err)}
			}
			old, _ := prev["customSecurityAttributes"].(map[string]any)
			for set, v := range old {
				if _, read := sets[strings.ToLower(set)]; read {
					continue // read now: as Graph answered
				}
				if o == nil {
					o = map[string]any{"id": id, "customSecurityAttributes": map[string]any{}}
				}
				o["customSecurityAttributes"].(map[string]any)[set] = v
				kept[set] = true
			}
		}
		if o != nil {
			out = append(out, o)
		}
	}
	w := fmt.Sprintf(PartialPrefix+"the signed-in user reads the values of attribute sets %s only (a role scoped to them); ", setList(sets))
	if len(kept) == 0 {
		w += "the previous snapshot holds no values of other sets: any other set's values are not in this snapshot"
	} else {
		names := map[string]string{}
		for s := range kept {
			names[strings.ToLower(s)] = s
		}
		w += "the values of " + setList(names) + " were not read and are kept as the previous snapshot holds them"
	}
	r.partial.Store(k.Name, w+"; export with Attribute Assignment Reader over the whole directory to read every set")
	return out, nil
}

// setList names attribute sets (lower-case id → id) in order, escaped.
func setList(sets map[string]string) string {
	names := make([]string, 0, len(sets))
	for _, s := range sets {
		names = append(names, layout.Safe(s))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// attributeValues checks an object's customSecurityAttributes and returns its
// non-empty sets, with collections sorted (Graph keeps no order a restore
// could give back: the file is the same whatever order Graph answers in).
func attributeValues(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	sets, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("customSecurityAttributes is not an object")
	}
	out := map[string]any{}
	for set, sv := range sets {
		attrs, ok := sv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("attribute set %s is not an object", layout.Safe(set))
		}
		n := 0
		for a, x := range attrs {
			if strings.Contains(a, "@") {
				continue
			}
			if arr, ok := x.([]any); ok {
				sortValues(arr)
			}
			n++
		}
		if n > 0 {
			out[set] = attrs
		}
	}
	return out, nil
}

// sortValues orders a collection's values: numbers by value, strings by bytes.
func sortValues(arr []any) {
	sort.SliceStable(arr, func(i, j int) bool {
		a, aNum := arr[i].(json.Number)
		b, bNum := arr[j].(json.Number)
		if aNum && bNum {
			x, errA := a.Float64()
			y, errB := b.Float64()
			if errA == nil && errB == nil && x != y {
				return x < y
			}
		}
		return fmt.Sprint(arr[i]) < fmt.Sprint(arr[j])
	})
}

// csaDefinitionKinds are the kinds of attribute sets and definitions.
var csaDefinitionKinds = map[string]bool{"attribute-sets": true, "custom-security-attributes": true}

// attributeRoleRefusal words a 403 on attribute sets or definitions for a
// delegated token that holds the scope: Graph also wants the signed-in user
// to hold an attribute role (attributeset-get: "must also be assigned at
// least one of the following directory roles", Attribute Definition Reader
// or Administrator, Attribute Assignment Reader or Administrator), which
// Global Administrator does not (custom-security-attributes-manage), so
// granting the application permission is not what is missing.
func (r *reader) attributeRoleRefusal(ctx context.Context, k *layout.Kind, ke *KindError) {
	if ke == nil || ke.Status != 403 || !csaDefinitionKinds[k.Name] {
		return
	}
	if _, app, _ := r.c.TokenRoles(ctx); app {
		return
	}
	scp, err := r.c.TokenScopes(ctx)
	if err != nil || !holdsAny(strings.Fields(scp), []string{"CustomSecAttributeDefinition.Read.All", "CustomSecAttributeDefinition.ReadWrite.All"}) {
		return
	}
	ke.Permissions = nil
	ke.Err = fmt.Errorf("%w: the delegated token holds the scope, so the signed-in user lacks a role Graph requires besides it: "+
		"Attribute Definition Reader or Administrator, or Attribute Assignment Reader or Administrator, over the whole directory "+
		"(Global Administrator holds none of them by default; one scoped to an attribute set reads that set only)", ke.Err)
}
