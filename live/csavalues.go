package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/layout"
)

// Users' custom security attribute values (layout kind
// user-security-attributes): the users list with
// $select=id,customSecurityAttributes (999 a page), keeping the users that
// hold values. Graph answers null instead of a 403 when the caller may not
// read them (learn:/graph/custom-security-attributes-examples: "if the
// calling principal does not have access"), which a snapshot would record
// as "no values" and a restore act on by removing them all: the read is
// refused unless the token shows it may read them.

func init() {
	customReads[layout.UserSecurityAttributes] = (*reader).readUserSecurityAttributes
}

// csaReadRoles are the application permissions that read the values.
var csaReadRoles = []string{"CustomSecAttributeAssignment.Read.All", "CustomSecAttributeAssignment.ReadWrite.All"}

// csaReadable fails unless the token is an application token that holds a
// permission reading the values. A delegated token's directory roles are
// not in it (Attribute Assignment Reader is needed besides the scope, and
// Global Administrator does not have it): such a token cannot be told
// apart from one that reads null for every user, so it is refused too. A
// token that is not a JWT says nothing and is let through (the read then
// trusts Graph's answer).
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
		return &KindError{Kind: k.Name, What: "token", Status: 403, Permissions: []string{csaReadRoles[0]},
			Err: fmt.Errorf("Graph answers customSecurityAttributes as null, not with an error, to a caller that may not read them, " +
				"and this token does not show that it may (a delegated token also needs the Attribute Assignment Reader role, " +
				"which Global Administrator does not hold): export this kind with an application token granted CustomSecAttributeAssignment.Read.All")}
	}
	for _, h := range roles {
		for _, g := range csaReadRoles {
			if strings.EqualFold(g, h) {
				return nil
			}
		}
	}
	return &KindError{Kind: k.Name, What: "property customSecurityAttributes", Status: 403, Permissions: []string{csaReadRoles[0]},
		Err: fmt.Errorf("Graph answers customSecurityAttributes as null without %s, which the token does not carry", csaReadRoles[0])}
}

func (r *reader) readUserSecurityAttributes(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	if err := r.csaReadable(ctx, k); err != nil {
		return nil, err
	}
	var objs []map[string]any
	err := r.listPages(ctx, k, requests, func(page []map[string]any) error {
		for _, o := range page {
			v, ok := o["customSecurityAttributes"]
			if !ok {
				return &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("Graph returned a user without customSecurityAttributes")}
			}
			sets, err := userValues(v)
			if err != nil {
				return &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("user %s: %w", layout.Safe(fmt.Sprint(o["id"])), err)}
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

// userValues checks a user's customSecurityAttributes and returns its
// non-empty sets, with collections sorted (Graph keeps no order a restore
// could give back: the file is the same whatever order Graph answers in).
func userValues(v any) (map[string]any, error) {
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
