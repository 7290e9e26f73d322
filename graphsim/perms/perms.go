// Package perms says which Microsoft Graph application permissions grant a
// call, so graphsim can answer 403 Authorization_RequestDenied when a token
// lacks them.
//
// The table (table_gen.go) is generated from Graph's permission map,
// permissions.json (microsoftgraph/microsoft-graph-devx-content), with the
// corrections listed in internal/gen/permgen/overrides.go and the rules in
// internal/gen/permgen (every listed application permission counts, whatever
// its least= flag; a *.Read.* permission never grants a POST/PATCH/PUT/DELETE
// except for the read-only actions such as getByIds; a read granted by
// X.Read.Y is also granted by X.ReadWrite.Y).
//
// The generated file is committed: CI has only this repository, not
// ../shared, so tests never read permissions.json (one test does when it is
// present, to check that table_gen.go is up to date).
//
// The table keeps "any one of" semantics. What Graph needs in addition (a
// second permission, as permissions.json's AlsoRequires= says for CA writes;
// a permission that depends on the object or the properties of the call;
// the per-type permissions of the directory recycle bin, DeletedItem) is
// checked by graphsim itself (graphsim/authz.go) once the table granted the
// call.
package perms

//go:generate go run ./internal/gen -in ../../../shared/graph-metadata/permissions.json -out table_gen.go
//go:generate go run ./internal/gen -in ../../../shared/graph-metadata/permissions.json -scheme DelegatedWork -out delegated_gen.go
//go:generate go run ./internal/gen -in ../../../shared/graph-metadata/permissions.json -least -out least_gen.go

import (
	"net/url"
	"sort"
	"strings"
	"sync"
)

// tableRow is one row of the generated table: permSets[set] grants method on
// the normalized path.
type tableRow struct {
	method string
	path   string
	set    int
}

type node struct {
	next    map[string]*node
	methods map[string]int // method → index into permSets
}

// The tries are built on first use, not at package initialisation: every
// entrasnap process links graphsim, and building them costs about 1.5 MB
// of allocations that commands which never start graphsim should not pay.
var (
	root          = sync.OnceValue(func() *node { return buildTrie(tableRows[:]) })
	delegatedRoot = sync.OnceValue(func() *node { return buildTrie(delegatedTableRows[:]) })
	allPerm       = sync.OnceValue(buildAll)
)

func buildTrie(rows []tableRow) *node {
	r := &node{}
	for _, row := range rows {
		n := r
		for _, seg := range strings.Split(strings.TrimPrefix(row.path, "/"), "/") {
			if n.next == nil {
				n.next = map[string]*node{}
			}
			c := n.next[seg]
			if c == nil {
				c = &node{}
				n.next[seg] = c
			}
			n = c
		}
		if n.methods == nil {
			n.methods = map[string]int{}
		}
		n.methods[row.method] = row.set
	}
	return r
}

func buildAll() []string {
	seen := map[string]bool{}
	var all []string
	for _, s := range permSets {
		for _, p := range s {
			if !seen[p] {
				seen[p] = true
				all = append(all, p)
			}
		}
	}
	sort.Strings(all)
	return all
}

// IsWrite reports whether an HTTP method changes state (POST, PATCH, PUT,
// DELETE). Read-only actions sent with POST (getByIds, checkMemberGroups, …)
// still count as writes here; the table itself knows they only read.
func IsWrite(method string) bool {
	switch strings.ToUpper(method) {
	case "POST", "PATCH", "PUT", "DELETE":
		return true
	}
	return false
}

// AllApplicationPermissions returns every application permission named in the
// table, sorted. graphsim's own token is granted all of them.
func AllApplicationPermissions() []string {
	return append([]string(nil), allPerm()...)
}

// Required returns the application permissions any one of which grants
// method on path, sorted. path is relative to the version root, e.g.
// "/groups/3f2a…/members/$ref" or "identity/conditionalAccess/policies/abc";
// a query string, a leading "/v1.0" or "/beta", and letter case are ignored.
//
// Matching goes segment by segment, trying the literal segment before "{id}",
// so "/groups/delta" finds the delta row and "/groups/<guid>" the "{id}" row.
// OData key syntax, "applications(appId='…')", counts as "applications/{id}";
// a function call "name(…)" matches the table's "name()"; a type cast
// segment "microsoft.graph.x" matches literally (the deleted-items lists) or
// else is skipped; a trailing $ref, $count or $value is skipped.
//
// known is false when the table has no row for the call; graphsim should then
// treat the path as outside its permission model.
func Required(method, path string) (anyOf []string, known bool) {
	set, _, ok := resolve(method, path)
	if !ok {
		return nil, false
	}
	return append([]string(nil), permSets[set]...), true
}

// RequiredDelegated is Required for a delegated token: the delegated
// permissions (scopes) of a work or school account, any one of which grants
// method on path, from permissions.json's DelegatedWork scheme
// (delegated_gen.go). A scope only bounds what the app may do on the user's
// behalf; graphsim checks the signed-in user's own directory roles
// separately (graphsim/delegated.go).
func RequiredDelegated(method, path string) (anyOf []string, known bool) {
	set, _, ok := match(delegatedRoot(), splitPath(path), strings.ToUpper(method))
	if !ok {
		return nil, false
	}
	return append([]string(nil), delegatedPermSets[set]...), true
}

// resolve returns the permSets index and the table path that a call matches.
func resolve(method, path string) (set int, tmpl string, ok bool) {
	return match(root(), splitPath(path), strings.ToUpper(method))
}

func splitPath(path string) []string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if strings.Contains(path, "%") {
		if u, err := url.PathUnescape(path); err == nil {
			path = u
		}
	}
	path = strings.ToLower(path)
	var segs []string
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) > 0 && (segs[0] == "v1.0" || segs[0] == "beta") {
		segs = segs[1:]
	}
	return segs
}

// match finds the row for segs below n, backtracking over the candidate
// readings of each segment in order of preference. It returns the index into
// permSets and the table path that matched, relative to n.
func match(n *node, segs []string, method string) (set int, tmpl string, ok bool) {
	if len(segs) == 0 {
		set, ok := n.methods[method]
		return set, "", ok
	}
	s, rest := segs[0], segs[1:]
	// via walks the table tokens one request segment stands for.
	via := func(tokens ...string) (int, string, bool) {
		c := n
		for _, t := range tokens {
			if c = c.next[t]; c == nil {
				return 0, "", false
			}
		}
		set, tail, ok := match(c, rest, method)
		return set, "/" + strings.Join(tokens, "/") + tail, ok
	}
	switch {
	case strings.HasPrefix(s, "$"):
		if set, t, ok := via(s); ok {
			return set, t, true
		}
		if len(rest) == 0 && (s == "$ref" || s == "$count" || s == "$value") {
			return match(n, rest, method)
		}
		return 0, "", false
	case strings.HasPrefix(s, "microsoft.graph."):
		if set, t, ok := via(s); ok {
			return set, t, true
		}
		return match(n, rest, method) // a type cast does not change the permission
	}
	if i := strings.IndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		name, args := s[:i], s[i+1:len(s)-1]
		if set, t, ok := via(name + "()"); ok {
			return set, t, true
		}
		if strings.TrimSpace(args) == "" {
			if set, t, ok := via(name); ok {
				return set, t, true
			}
		}
		return via(name, "{id}") // key syntax: applications(appId='…')
	}
	if set, t, ok := via(s); ok {
		return set, t, true
	}
	if set, t, ok := via(s + "()"); ok {
		return set, t, true
	}
	return via("{id}")
}

// deletedItem are the application permissions of the directory recycle bin
// per type of the deleted object: directory-deleteditems-get (read) and
// directory-deleteditems-restore / directory-deleteditems-delete (write),
// the pages' per-resource permission tables. Directory.ReadWrite.All is
// not listed there for a restore and is not accepted (strict reading).
var deletedItem = map[string][2][]string{
	"user": {
		{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		{"User.DeleteRestore.All", "User.ReadWrite.All"}},
	"group": {
		{"Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		{"Group.ReadWrite.All"}},
	"application": {
		{"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"},
		{"Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"}},
	"servicePrincipal": {
		{"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"},
		{"Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"}},
	"administrativeUnit": {
		{"AdministrativeUnit.Read.All", "AdministrativeUnit.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		{"AdministrativeUnit.ReadWrite.All"}},
}

// DeletedItem returns the application permissions, any one of which grants
// reading (write false) or restoring and purging (write true) a deleted
// directory object of the type ("user", "group", "application",
// "servicePrincipal", "administrativeUnit"); ok is false for another type.
func DeletedItem(typ string, write bool) (anyOf []string, ok bool) {
	p, ok := deletedItem[typ]
	if !ok {
		return nil, false
	}
	i := 0
	if write {
		i = 1
	}
	return append([]string(nil), p[i]...), true
}
