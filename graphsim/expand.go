package graphsim

import (
	"net/url"
	"sort"
	"strings"
)

// $expand of a directory object's relationship on a list (GET
// /applications?$expand=owners). Graph's known issue 13635
// (developer.microsoft.com/graph/known-issues/?search=13635, "Some
// limitations apply to query parameters"): $expand on relationships of
// directory objects returns at most 20 related objects, with no
// @odata.nextLink for the rest, one level only, and no query options nested
// inside it. The page size with $expand is at most 100 (the same issue's
// earlier text: "returns a maximum of 100 objects"; strict). The $ref
// relationships of Kind.Links and the contained collections (a service
// principal's appRoleAssignedTo: a relationship of a directory object too)
// are served, and so are the collections held below an application or
// service principal (its federatedIdentityCredentials, extensionProperties,
// delegatedPermissionClassifications: hooks_appheld.go); nested options, several
// relationships, or a relationship the kind does not have answer 400
// (strict). Other $expand values on other kinds keep their own handling
// (a Conditional Access policy's authentication strength is always
// expanded, strength.go).

// expandMax is the most related objects a list's $expand returns per item.
const expandMax = 20

// expandPageMax is the largest page of a list with $expand.
const expandPageMax = 100

// listExpand reads $expand for ls's kind: the relationship to expand, or ""
// when there is none to serve; top is lowered to expandPageMax.
func listExpand(q url.Values, ls listSpec, top *int) (string, *apiError) {
	e := strings.TrimSpace(q.Get("$expand"))
	if ls.kind != nil && len(navs[ls.kind.Name]) > 0 && e != "" { // governance.go: a navigation property
		if n, ok := navName(ls.kind, e); ok {
			return n, nil
		}
		return "", badRequest("Could not find a property named '%s' on type '%s'.", e, strings.TrimPrefix(ls.kind.ODataType, "#"))
	}
	if ls.kind != nil && ls.kind.Name == agreementKindName && e != "" { // termsofuse.go: documented on one agreement's GET only
		return "", badRequest("Expanding '%s' of an agreement list is not supported: read an agreement's files with GET agreements/{id}?$expand=files.", e)
	}
	if ls.kind != nil && ls.kind.Name == lcwWorkflowKind && e != "" { // lcw.go: Graph expands createdBy and lastModifiedBy only (not modelled)
		return "", badRequest("Expanding '%s' of a workflow list is not supported: read a workflow's tasks at workflows/{id}/tasks.", e)
	}
	if e == "" || ls.kind == nil || ls.refs || (len(ls.kind.Links) == 0 && len(contained[ls.kind.Name]) == 0 && len(held[ls.kind.Name]) == 0) {
		return "", nil
	}
	if strings.ContainsAny(e, "(),/") {
		return "", errf(400, "Request_UnsupportedQuery",
			"Only one level of $expand without nested query options is supported on directory objects: '%s'.", e)
	}
	rel, ok := linkName(ls.kind, e)
	if !ok {
		for name := range contained[ls.kind.Name] {
			if strings.EqualFold(name, e) {
				rel, ok = name, true
			}
		}
	}
	if !ok {
		rel, ok = heldName(ls.kind, e) // hooks_appheld.go
	}
	if !ok {
		return "", badRequest("Could not find a property named '%s' on type '%s'.", e, strings.TrimPrefix(ls.kind.ODataType, "#"))
	}
	if q.Get("$top") != "" && *top > expandPageMax {
		return "", badRequest("Invalid page size specified: '%d'. Must be between 1 and %d inclusive with $expand.", *top, expandPageMax)
	}
	if *top > expandPageMax {
		*top = expandPageMax
	}
	return rel, nil
}

// expandLinks is r's first expandMax related objects of rel, each with
// @odata.type. Callers hold t.mu.
func (s *Server) expandLinks(r *record, rel string) any {
	if _, ok := navName(r.kind, rel); ok { // governance.go: one object or null
		if tr := s.navTarget(r, rel); tr != nil {
			return s.view(tr, nil, false)
		}
		return nil
	}
	return s.expandList(r, rel)
}

func (s *Server) expandList(r *record, rel string) []any {
	out := []any{}
	if _, ok := held[r.kind.Name][rel]; ok {
		// A held collection (hooks_appheld.go): its items in creation order.
		for _, c := range heldList(r, rel) {
			if len(out) == expandMax {
				break
			}
			out = append(out, deepCopy(c))
		}
		return out
	}
	if spec, ok := contained[r.kind.Name][rel]; ok {
		// A contained collection (appRoleAssignedTo): its items naming r,
		// in creation order, as the collection's own list shows them.
		var recs []*record
		for _, c := range s.tenant.colls[spec.kind].byKey {
			if !c.gone && strings.EqualFold(str(c.get(spec.field)), r.key()) {
				recs = append(recs, c)
			}
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
		for _, c := range recs[:min(len(recs), expandMax)] {
			out = append(out, s.view(c, nil, false))
		}
		return out
	}
	for _, id := range r.links.list(rel).all() {
		if len(out) == expandMax {
			break
		}
		m := s.tenant.dirIndex[strings.ToLower(id)]
		if m == nil {
			continue
		}
		out = append(out, s.view(m, nil, true))
	}
	return out
}
