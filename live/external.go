package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// filterParam is the query parameter $filter=f (a kind's list read,
// layout.Kind.Filter; Named's name filter), f escaped as a query value:
// url.PathEscape, used here before, leaves '&' and '+' as they are, so a
// value holding them ended the parameter or became a space. A space is
// %20, not '+' (OData URL conventions write it so; Graph reads both).
func filterParam(f string) string {
	if f == "" {
		return ""
	}
	return "$filter=" + strings.ReplaceAll(url.QueryEscape(f), "+", "%20")
}

// childrenExtra reads what a kind's objects hold beyond their child
// collections: a cross-tenant partner's user synchronization policy.
func (r *reader) childrenExtra(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) error {
	if k.Name == "cross-tenant-access-partners" && len(objs) > 0 {
		return r.identitySync(ctx, k, objs, requests)
	}
	if k.Name == layout.UserFlowConnections && len(objs) > 0 {
		return r.userFlowConnectors(ctx, k, objs, requests)
	}
	return nil
}

// userFlowConnectors reads the API connector of each step of each user
// flow: GET {flow}/apiConnectorConfiguration?$expand={steps}
// (b2xidentityuserflow-get-apiconnectorconfiguration; the flow itself
// reads it as {}), 20 a $batch envelope. A step without a connector is
// kept as null, so a restore clears one set since. Any failed read fails
// the kind: a missing answer is never taken as "no connector".
func (r *reader) userFlowConnectors(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) error {
	expand := "$expand=" + strings.Join(layout.UserFlowSteps, ",")
	reqs := make([]graph.BatchRequest, len(objs))
	for i, o := range objs {
		key, _ := o[k.KeyProp()].(string)
		reqs[i] = graph.BatchRequest{ID: fmt.Sprintf("%d", i+1), Method: "GET",
			URL: "/" + k.APIVersion + k.ListPath + "/" + url.PathEscape(key) + "/apiConnectorConfiguration?" + expand}
	}
	requests.Add(int64((len(reqs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize))
	resps, berr := r.c.Batch(ctx, reqs)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if resps == nil && berr != nil {
		return kindError(k, "apiConnectorConfiguration", berr, r.named(k.ReadPermissions))
	}
	for i, resp := range resps {
		if err := resp.Err(); err != nil {
			return kindError(k, "apiConnectorConfiguration", err, r.named(k.ReadPermissions))
		}
		conf, err := decodeObject(resp.Body)
		if err != nil {
			return &KindError{Kind: k.Name, What: "apiConnectorConfiguration", Err: fmt.Errorf("decoding the answer: %w", err)}
		}
		out := map[string]any{}
		for _, step := range layout.UserFlowSteps {
			out[step] = nil
			if c, ok := conf[step].(map[string]any); ok && c["id"] != nil {
				out[step] = map[string]any{"id": c["id"]}
			}
		}
		objs[i]["apiConnectorConfiguration"] = out
	}
	return nil
}

// identitySync reads each cross-tenant partner's user synchronization
// policy, GET {partner}/identitySynchronization
// (crosstenantidentitysyncpolicypartner-get): Graph answers 404 for a
// partner without one, kept as null; the file keeps displayName and
// userSyncInbound (tenantId is the partner's).
func (r *reader) identitySync(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) error {
	reqs := make([]graph.BatchRequest, len(objs))
	for i, o := range objs {
		key, _ := o[k.KeyProp()].(string)
		reqs[i] = graph.BatchRequest{ID: fmt.Sprintf("%d", i+1), Method: "GET",
			URL: "/" + k.APIVersion + k.ListPath + "/" + url.PathEscape(key) + "/identitySynchronization"}
	}
	requests.Add(int64((len(reqs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize))
	resps, berr := r.c.Batch(ctx, reqs)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if resps == nil && berr != nil {
		return kindError(k, "identitySynchronization", berr, r.named(k.ReadPermissions))
	}
	for i, resp := range resps {
		if resp.Status == 404 {
			objs[i]["identitySynchronization"] = nil
			continue
		}
		if err := resp.Err(); err != nil {
			return kindError(k, "identitySynchronization", err, r.named(k.ReadPermissions))
		}
		var pol map[string]any
		if err := json.Unmarshal(resp.Body, &pol); err != nil {
			return &KindError{Kind: k.Name, What: "identitySynchronization", Err: fmt.Errorf("decoding the answer: %w", err)}
		}
		out := map[string]any{}
		for _, p := range []string{"displayName", "userSyncInbound"} {
			if v, ok := pol[p]; ok {
				out[p] = v
			}
		}
		objs[i]["identitySynchronization"] = out
	}
	return nil
}
