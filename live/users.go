package live

import (
	"fmt"

	"github.com/entrasnap/entrasnap/layout"
)

// Users' manager (issue 13). Graph documents it as a single-valued
// relationship of a user (learn:/graph/api/resources/user) tracked by users
// delta with $select=manager (learn:/graph/delta-query-overview:
// manager@delta, a replaced or removed manager with @removed). So every
// full read of users is an initial round with $select=manager (a list of
// users cannot give it, and GET /users/{id}/manager per user costs one
// request per user): the round's pages are Graph's size, not 999, which
// costs more pages than a list did (README "Large tenants"); later rounds
// report a new or removed manager like a changed property. The file holds
// the manager as a list of at most one reference ({id, @odata.type}), the
// shape of members and owners, so check, diff and restore resolve it as a
// reference.

// inlineRels turns o's single-valued relationships of an initial round
// (rel@delta, one entry) into the stored list (at most one reference).
func inlineRels(k *layout.Kind, spec deltaSpec, o map[string]any) error {
	if !spec.inline {
		return nil
	}
	for _, rel := range spec.rels {
		var child layout.Child
		for _, c := range k.Children {
			if c.Name == rel {
				child = c
			}
		}
		v, present := o[rel+"@delta"]
		delete(o, rel+"@delta")
		var items []map[string]any
		if present && v != nil {
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s@delta is not an array", rel)
			}
			for _, x := range list {
				m, ok := x.(map[string]any)
				if !ok {
					return fmt.Errorf("%s@delta holds a value that is not an object", rel)
				}
				if id, _ := m["id"].(string); id == "" {
					return fmt.Errorf("%s@delta holds an entry without id", rel)
				}
				if _, gone := m["@removed"]; gone {
					continue
				}
				items = append(items, m)
			}
		}
		o[rel] = childList(child, items)
	}
	return nil
}
