package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/layout"
)

// Reads of some objects of a kind by id (ReadOptions.Only): a restore of a
// thousand users in a tenant of a hundred thousand reads those thousand,
// not the tenant (issue 12 row f), each file exactly as a full read makes
// it.
//
// users: the kind's delta function with $filter=id eq '…' or id eq '…'
// and the full read's $select (the stored properties and manager), an
// initial round per slice of ids. Graph documents that filter as the only
// one user delta takes, "for tracking changes for specific resources, by
// their ID", the number of ids "limited by the maximum URL length"
// (learn:/graph/api/user-delta, Optional query parameters;
// graph-semantics.md §2.3 "$filter accepts only id eq … or id eq …";
// graphsim refuses more than 50). The round gives the manager as
// manager@delta, as the full read's round does (users.go), and leaves out
// an id that is not a user (deleted, never one, or not replicated yet:
// as a list that does not show it). Sponsors, which delta does not track,
// are read per user found (GET /users/{id}/sponsors, 20 per $batch), as a
// full read does for a user its list shows with 20 or more.

// groups and service principals: the same, an initial round of the kind's
// delta function per slice of ids, with the full read's $select. Graph
// documents the id filter for both ("$filter=id eq '…' or id eq '…'":
// learn:/graph/api/group-delta, "at most 50 ids" for groups,
// graph-semantics.md §2.3; learn:/graph/api/serviceprincipal-delta, "by
// id only", limited by the URL's length); graphsim refuses more than 50
// for users and groups and any other filter. A group's members and owners
// come as members@delta and owners@delta, a large group's in slices across
// pages, merged as the full read merges them (deltaRound); a service
// principal's children (owners, app role assignments, classifications),
// which delta does not track, are read per object found, 20 per $batch,
// as the full read does for an object its list shows with 20 or more.

// OnlyKinds are the kinds ReadOptions.Only can read by id.
var OnlyKinds = []string{"users", "groups", "service-principals"}

// onlyFilterIDs is the number of ids in one round's $filter: 20 GUIDs keep
// the URL (with the $select of every stored user property) near 2 KB.
const onlyFilterIDs = 20

// readOnly reads the objects of k whose ids are ids (any case; the
// non-GUIDs are left out: no directory object has one) into w.
func (r *reader) readOnly(ctx context.Context, k *layout.Kind, spec deltaSpec, ids []string, requests *atomic.Int64, w *writer) error {
	var want []string
	seen := map[string]bool{}
	for _, id := range ids {
		l := strings.ToLower(id)
		if !layout.IsGUID(l) || seen[l] {
			continue
		}
		seen[l] = true
		want = append(want, l)
	}
	slices.Sort(want)
	uk := untracked(k, spec)
	asked := func(o map[string]any) error {
		if id, _ := o[k.KeyProp()].(string); !seen[strings.ToLower(id)] {
			return fmt.Errorf("Graph returned %s, which the filter did not ask for", layout.Safe(id))
		}
		return nil
	}
	for chunk := range slices.Chunk(want, onlyFilterIDs) {
		parts := make([]string, len(chunk))
		for i, id := range chunk {
			parts[i] = "id eq '" + id + "'"
		}
		path := deltaPath(k, spec)
		if strings.Contains(path, "?") {
			path += "&"
		} else {
			path += "?" // no $select (service principals: every property)
		}
		path += filterParam(strings.Join(parts, " or "))
		var page []map[string]any
		if len(spec.rels) > 0 && !spec.inline {
			// Relationships in slices across pages (groups): merged.
			changes, _, release, err := r.deltaRound(ctx, path, spec, requests, nil)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return kindError(k, "delta round by id", err, r.named(k.ReadPermissions))
			}
			keep := func(ch *deltaChange) (map[string]any, bool, error) { return nil, !ch.removed, nil }
			err = build(k, spec, changes, keep, func(objs []map[string]any) error {
				for _, o := range objs {
					if err := asked(o); err != nil {
						return &KindError{Kind: k.Name, What: "delta round by id", Err: err}
					}
				}
				page = append(page, objs...)
				return nil
			})
			release()
			if err != nil {
				return deltaObjectError(k, err)
			}
		} else {
			var stop error
			_, err := r.c.Delta(ctx, path, func(items []json.RawMessage) error {
				requests.Add(1)
				got, err := roundItems(k, spec, items, "delta round by id", asked)
				page = append(page, got...)
				stop = err
				return err
			})
			if stop != nil {
				return deltaObjectError(k, stop)
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return kindError(k, "delta round by id", err, r.named(k.ReadPermissions))
			}
		}
		if uk != nil && len(page) > 0 {
			if err := r.children(ctx, uk, page, requests); err != nil {
				return err
			}
		}
		if err := w.add(page); err != nil {
			return err
		}
	}
	return nil
}
