package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// PIM for Groups (layout/catalog_pimgroups.go). Graph lists the schedules
// only with $filter=groupId eq '...' or principalId eq '...'
// (privilegedaccessgroup-list-eligibilityschedules, -assignmentschedules),
// so the read lists the groups first (id and the properties that say
// whether PIM can govern the group), then the schedules of each group PIM
// can govern, 20 lists per $batch envelope; a list with a next page is
// read to its end. Activations (assignmentType activated) are left out of
// the assignments: they are the eligibility's, which is kept.

func init() {
	customReads["group-eligibility-schedules"] = (*reader).readGroupSchedules
	customReads["group-assignment-schedules"] = (*reader).readGroupSchedules
}

// pimGovernable says whether PIM for Groups can govern group g: security
// and Microsoft 365 groups, not dynamic ones nor groups synchronized from
// on-premises (learn:/entra/id-governance/privileged-identity-management/concept-pim-for-groups).
func pimGovernable(g map[string]any) bool {
	if b, _ := g["onPremisesSyncEnabled"].(bool); b {
		return false
	}
	unified := false
	types, _ := g["groupTypes"].([]any)
	for _, t := range types {
		s, _ := t.(string)
		if strings.EqualFold(s, "DynamicMembership") {
			return false
		}
		unified = unified || strings.EqualFold(s, "Unified")
	}
	sec, _ := g["securityEnabled"].(bool)
	return sec || unified
}

func (r *reader) readGroupSchedules(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	base := "/" + k.APIVersion
	var groups []string
	q := url.Values{"$select": {"id,groupTypes,securityEnabled,onPremisesSyncEnabled"}, "$top": {"999"}}
	err := r.c.List(ctx, base+"/groups?"+q.Encode(), func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			g, err := decodeObject(it)
			if err != nil {
				return err
			}
			id, _ := g["id"].(string)
			if id == "" {
				return fmt.Errorf("Graph returned a group without id")
			}
			if pimGovernable(g) {
				groups = append(groups, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, kindError(k, "list the groups for", err, r.named(k.ReadPermissions))
	}
	sort.Strings(groups)
	path := func(g string) string {
		return base + k.ListPath + "?" + url.Values{"$filter": {"groupId eq '" + g + "'"}}.Encode()
	}
	reqs := make([]graph.BatchRequest, 0, len(groups))
	for i, g := range groups {
		reqs = append(reqs, graph.BatchRequest{ID: fmt.Sprint(i + 1), Method: "GET", URL: path(g)})
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
		return nil, kindError(k, fmt.Sprintf("list the schedules of %d groups for", len(groups)), berr, r.named(k.ReadPermissions))
	}
	var objs []map[string]any
	keep := func(o map[string]any) {
		if t, _ := o["assignmentType"].(string); strings.EqualFold(t, "activated") {
			return // an activation: its eligibility is kept
		}
		objs = append(objs, o)
	}
	for i, resp := range resps {
		if err := resp.Err(); err != nil {
			return nil, kindError(k, "list the schedules of group "+layout.Safe(groups[i])+" for", err, r.named(k.ReadPermissions))
		}
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return nil, kindError(k, "list the schedules of group "+layout.Safe(groups[i])+" for", err, nil)
		}
		if page.NextLink != "" { // more than a page: read the whole list
			err := r.c.List(ctx, path(groups[i]), func(items []json.RawMessage) error {
				requests.Add(1)
				for _, it := range items {
					o, err := decodeObject(it)
					if err != nil {
						return err
					}
					keep(o)
				}
				return nil
			})
			if err != nil {
				return nil, kindError(k, "list the schedules of group "+layout.Safe(groups[i])+" for", err, r.named(k.ReadPermissions))
			}
			continue
		}
		for _, it := range page.Value {
			o, err := decodeObject(it)
			if err != nil {
				return nil, kindError(k, "list the schedules of group "+layout.Safe(groups[i])+" for", err, nil)
			}
			keep(o)
		}
	}
	return objs, nil
}
