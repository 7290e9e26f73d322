package live

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/layout"
)

// Delegated-only kinds (layout.Kind.DelegatedOnly: feature rollout
// policies, layout/catalog_rollout.go). Graph answers an app-only token
// 403 for them whatever application permissions it holds, so with such a
// token the kind is not read at all: no request, files kept (the exporter
// carries them, as for a kind the tenant is not licensed for), the kind
// marked skipped in the manifest and in the progress. A delegated token
// (--auth device-code, browser, azure-cli) reads it. A token whose type
// cannot be told (not a JWT) reads it too: Graph's answer decides.

// SkippedAppOnlyReason is the stable text recorded for a delegated-only
// kind an app-only export skipped.
const SkippedAppOnlyReason = "skipped: the access token is app-only and Graph serves this kind to delegated callers only; files kept from the earlier snapshot"

// tokenIsAppOnly reports whether the client's token is an app-only one
// (a JWT with a roles claim or an appid and no scp), once per read.
func (r *reader) tokenIsAppOnly(ctx context.Context) bool {
	r.appOnlyOnce.Do(func() {
		_, ok, err := r.c.TokenRoles(ctx)
		r.appOnly = err == nil && ok
	})
	return r.appOnly
}

// skipDelegatedOnly returns the reads of unit u when u is a delegated-only
// kind and the token is app-only: each kind skipped, nothing sent; nil
// when u is to be read.
func (r *reader) skipDelegatedOnly(ctx context.Context, u *unit) []*kindRead {
	if u.primary.DelegatedOnly == "" || !r.tokenIsAppOnly(ctx) {
		return nil
	}
	out := make([]*kindRead, 0, len(u.emit))
	for _, k := range u.emit {
		out = append(out, &kindRead{kind: k, err: &KindError{Kind: k.Name, What: "list", Delegated: k.DelegatedOnly,
			Err: fmt.Errorf("not read with an app-only token")}})
	}
	return out
}

// rolloutExpandMax is the most related objects Graph's $expand returns per
// item on a directory relationship (known issue 13635; graphsim/expand.go).
const rolloutExpandMax = 20

func init() {
	customReads["feature-rollout-policies"] = (*reader).readRolloutPolicies
}

// readRolloutPolicies lists the feature rollout policies with
// $expand=appliesTo (v1.0 documents no GET of appliesTo on its own) and
// keeps each group as a reference {@odata.type, id}. A policy whose
// expanded list is as long as Graph's $expand limit may hold more groups
// than Graph returned: the kind is then incomplete rather than written
// short.
func (r *reader) readRolloutPolicies(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	ek := *k
	ek.Expand = []string{"appliesTo"}
	objs, err := r.list(ctx, &ek, requests)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		items, ok := o["appliesTo"].([]any)
		if !ok && o["appliesTo"] != nil {
			return nil, &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("policy %q: appliesTo is not a list", layout.Safe(fmt.Sprint(o["id"])))}
		}
		if len(items) >= rolloutExpandMax {
			return nil, &KindError{Kind: k.Name, What: "appliesTo",
				Err: fmt.Errorf("policy %q applies to %d groups, the most Graph's $expand returns: it may apply to more, which Graph does not list; not recorded short",
					layout.Safe(fmt.Sprint(o["id"])), len(items))}
		}
		refs := make([]any, 0, len(items))
		for _, it := range items {
			m, _ := it.(map[string]any)
			id, _ := m["id"].(string)
			if id == "" {
				return nil, &KindError{Kind: k.Name, What: "appliesTo", Err: fmt.Errorf("policy %q: an appliesTo item has no id", layout.Safe(fmt.Sprint(o["id"])))}
			}
			ref := map[string]any{"id": id}
			if t, _ := m["@odata.type"].(string); t != "" {
				ref["@odata.type"] = t
			}
			refs = append(refs, ref)
		}
		o["appliesTo"] = refs
		delete(o, "appliesTo@odata.context")
	}
	return objs, nil
}
