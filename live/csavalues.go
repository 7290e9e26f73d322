package live

import (
	"context"
	"encoding/json"
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
func (r *reader) csaReadable(ctx context.Context, k *layout.Kind) error {
	roles, ok, err := r.c.TokenRoles(ctx)
	if err != nil {
		return kindError(k, "token", err, nil)
	}
	scp, err := r.c.TokenScopes(ctx)
	if err != nil {
		return kindError(k, "token", err, nil)
	}
	if !ok && scp == "" {
		return nil // not a JWT (a test server's token): nothing to tell from it
	}
	if !ok {
		return csaDelegatedReadable(k, strings.Fields(scp), r.c.BearerToken(ctx))
	}
	if holdsAny(roles, csaReadRoles) {
		return nil
	}
	return &KindError{Kind: k.Name, What: "property customSecurityAttributes", Status: 403, Permissions: []string{csaReadRoles[0]},
		Err: fmt.Errorf("Graph answers customSecurityAttributes as null without %s, which the token does not carry", csaReadRoles[0])}
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
		return refuse("the delegated token lists no directory roles (no wids claim), so it cannot show the Attribute Assignment Reader " +
			"or Administrator role a signed-in user needs besides the scope: set the app registration's groupMembershipClaims to DirectoryRole " +
			"(or All), or export this kind with an application token granted " + csaReadRoles[0])
	}
	for _, w := range wids {
		if _, reads := csaReaderRoles[strings.ToLower(w)]; reads {
			return nil
		}
	}
	return refuse("the signed-in user holds neither Attribute Assignment Reader nor Attribute Assignment Administrator over the whole " +
		"directory (the token's wids claim; Global Administrator does not read the values by default): assign one of them, sign in again " +
		"and export again")
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
	if err := r.csaReadable(ctx, k); err != nil {
		return nil, err
	}
	var objs []map[string]any
	err := r.listPages(ctx, k, requests, func(page []map[string]any) error {
		for _, o := range page {
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
	return objs, err
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
