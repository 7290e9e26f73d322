package perms

import (
	"strings"
	"sync"
)

// leastRow is one row of least_gen.go: indexes into leastPermSets.
type leastRow struct {
	method, path string
	least, also  int
}

// leastIndex maps "METHOD /path" of leastTableRows to the row's index.
var leastIndex = sync.OnceValue(func() map[string]int {
	m := make(map[string]int, len(leastTableRows))
	for i, r := range leastTableRows {
		m[r.method+" "+r.path] = i
	}
	return m
})

// Least returns what Graph's permission map (permissions.json, least=
// flags, least_gen.go) documents as the least privileged application
// permissions for method on path: any one of least, plus, when the map
// says so (AlsoRequires=), the permissions of also. The path is matched
// as Required matches it (Template), then looked up among the rows that
// have least flags; known is false when the map flags none for the call.
//
// It is not what graphsim grants (Required is): the least= flags have
// quirks (graph-semantics.md §0) and Graph accepts every permission the
// map lists. Tests use it to check that the permissions entrasnap asks
// administrators to grant are no broader than its calls need.
func Least(method, path string) (least, also []string, known bool) {
	tmpl, ok := Template(method, path)
	if !ok {
		return nil, nil, false
	}
	i, ok := leastIndex()[strings.ToUpper(method)+" "+tmpl]
	if !ok {
		return nil, nil, false
	}
	r := leastTableRows[i]
	return append([]string(nil), leastPermSets[r.least]...), append([]string(nil), leastPermSets[r.also]...), true
}

// Template returns the normalized path of the permission table row that
// method on path matches ("/groups/{id}/members" for
// "/v1.0/groups/3f2a…/members/$ref?$select=id"); ok is false when the
// table has no row for the call.
func Template(method, path string) (tmpl string, ok bool) {
	_, tmpl, ok = resolve(method, path)
	return tmpl, ok
}
