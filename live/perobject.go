package live

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// readPerObject reads the entity each listed object has below it
// (Kind.PerObject: a user's authentication/requirements), 20 GETs per
// $batch envelope, and returns them keyed by the listed object's id. Any
// failed read fails the kind (its previous files are carried forward): a
// missing answer is never taken as a state.
func (r *reader) readPerObject(ctx context.Context, k *layout.Kind, listed []map[string]any, requests *atomic.Int64) ([]map[string]any, error) {
	base, err := r.kindPath(ctx, k, requests) // branding.go
	if err != nil {
		return nil, err
	}
	reqs := make([]graph.BatchRequest, 0, len(listed))
	ids := make([]string, 0, len(listed))
	for _, o := range listed {
		id, _ := o[k.KeyProp()].(string)
		if id == "" {
			return nil, &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("Graph returned an object without %s", k.KeyProp())}
		}
		ids = append(ids, id)
		reqs = append(reqs, graph.BatchRequest{ID: fmt.Sprint(len(reqs) + 1), Method: "GET", URL: base + "/" + url.PathEscape(id) + "/" + k.PerObject})
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	requests.Add(int64((len(reqs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize))
	resps, berr := r.c.Batch(ctx, reqs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if resps == nil && berr != nil {
		return nil, kindError(k, k.PerObject+" of "+fmt.Sprint(len(ids))+" objects", berr, r.named(k.ReadPermissions))
	}
	out := make([]map[string]any, 0, len(ids))
	failed := 0
	var first error
	for i, resp := range resps {
		if err := resp.Err(); err != nil {
			if failed++; first == nil {
				first = err
			}
			continue
		}
		obj, err := decodeObject(resp.Body)
		if err != nil {
			if failed++; first == nil {
				first = err
			}
			continue
		}
		for p := range obj {
			if strings.HasPrefix(p, "@odata.") && p != "@odata.type" {
				delete(obj, p)
			}
		}
		obj[k.KeyProp()] = ids[i] // the key is the listed object's
		out = append(out, obj)
	}
	if failed > 0 {
		return nil, kindError(k, fmt.Sprintf("%s of %d of %d objects", k.PerObject, failed, len(ids)), first, r.named(k.ReadPermissions))
	}
	return out, nil
}
