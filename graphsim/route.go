package graphsim

import (
	"net/http"
	"sort"
	"strings"
)

// route is a parsed Graph path.
type route struct {
	kind     *Kind
	key      string // entity key ("" for a collection or singleton)
	altKey   string // property of an alternate key: applications(appId='...')
	sub      string // "", "delta", "$count"
	rel      string // link (members, owners) or contained collection name
	relKind  *Kind  // contained collection kind (appRoleAssignedTo → appRoleAssignment)
	relKey   string
	ref      bool   // the path ends in $ref
	nested   bool   // rel is a collection kept inside its parent (strength.go)
	action   string // a bound action on the entity: addPassword, ...
	special  string // "dirDeleted", "caDeleted", "directoryObjects", "getByIds", "restore"
	cast     string // OData type cast segment, e.g. "microsoft.graph.user"
	template string // the path with keys replaced by {id}, for stats
	org      string // the organization id of a path below /organization/{id} (branding.go, cba.go)
	caPath   bool   // reached below /identity/conditionalAccess (throttleScope)
}

// contained lists the entity collections reached through a parent object.
// field is the property of the child that names the parent.
var contained = map[string]map[string]struct{ kind, field string }{
	"servicePrincipal": {
		"appRoleAssignedTo":      {"appRoleAssignment", "resourceId"},
		"appRoleAssignments":     {"appRoleAssignment", "principalId"},
		"oauth2PermissionGrants": {"oAuth2PermissionGrant", "clientId"},
	},
	"user":               {"appRoleAssignments": {"appRoleAssignment", "principalId"}},
	"group":              {"appRoleAssignments": {"appRoleAssignment", "principalId"}},
	"administrativeUnit": {"scopedRoleMembers": {"scopedRoleMembership", "administrativeUnitId"}},
}

type pathEntry struct {
	segs []string
	kind *Kind
	// Computed once with the table, being functions of the path alone: the
	// route template's start, and whether the path is below
	// /identity/conditionalAccess (route.caPath).
	tmpl   string
	caPath bool
}

// pathTable holds every kind path split into segments, longest first, so
// "policies/crossTenantAccessPolicy/partners" wins over its parent singleton.
var pathTable = func() []pathEntry {
	var t []pathEntry
	for _, k := range kinds {
		for _, p := range k.Paths {
			segs := strings.Split(strings.ToLower(p), "/")
			t = append(t, pathEntry{segs: segs, kind: k, tmpl: "/" + k.Paths[0],
				caPath: len(segs) > 2 && segs[0] == "identity" && segs[1] == "conditionalaccess"})
		}
	}
	sort.SliceStable(t, func(i, j int) bool { return len(t[i].segs) > len(t[j].segs) })
	return t
}()

func (s *Server) route(req *request) (*route, *apiError) {
	segs := strings.Split(req.path, "/")
	lower := make([]string, len(segs))
	for i, sg := range segs {
		// Graph accepts the namespace alias in casts: graph.user = microsoft.graph.user
		// (the SDKs send the alias: /directory/deletedItems/graph.user).
		if len(sg) > 6 && strings.EqualFold(sg[:6], "graph.") && kindForType("microsoft."+sg) != nil {
			sg = "microsoft." + sg
			segs[i] = sg
		}
		lower[i] = strings.ToLower(sg)
	}
	// A path the request's version lacks is an unknown segment (versions.go).
	if seg := versionLacks(req.version, segs); seg != "" {
		return nil, notFoundSegment(seg)
	}
	// Special roots first.
	switch {
	case len(lower) >= 2 && lower[0] == "directory" && lower[1] == "deleteditems":
		return routeDirDeleted(segs[2:])
	case len(lower) >= 3 && lower[0] == "identity" && lower[1] == "conditionalaccess" && lower[2] == "deleteditems":
		return routeCADeleted(segs[3:]) // beta only (versions.go, cabin.go)
	case len(lower) >= 2 && len(lower) <= 3 && lower[0] == "auditlogs" && lower[1] == "directoryaudits": // audit.go
		rt := &route{special: "directoryAudits", template: "/auditLogs/directoryAudits"}
		if len(segs) == 3 {
			rt.key, rt.template = segs[2], rt.template+"/{id}"
		}
		return rt, nil
	case len(lower) == 3 && lower[0] == "identitygovernance" && lower[1] == "entitlementmanagement" && lower[2] == "resourcerequests": // emresources.go
		return &route{special: "emResourceRequests", template: "/identityGovernance/entitlementManagement/resourceRequests"}, nil
	case len(lower) == 1 && lower[0] == "invitations": // guests.go
		return &route{special: "invitations", template: "/invitations"}, nil
	case len(lower) >= 3 && lower[0] == "organization" && lower[2] == "branding": // branding.go
		return s.routeBranding(segs)
	case len(lower) >= 3 && lower[0] == "organization" && lower[2] == "certificatebasedauthconfiguration": // cba.go
		return s.routeCBA(segs)
	case lower[0] == "directoryobjects":
		if len(segs) == 2 && lower[1] == "getbyids" {
			return &route{special: "getByIds", template: "/directoryObjects/getByIds"}, nil
		}
		if len(segs) == 2 {
			return &route{special: "directoryObjects", key: segs[1], template: "/directoryObjects/{id}"}, nil
		}
	}
	// Alternate key syntax on the first segment: applications(appId='…').
	altProp, altVal := "", ""
	if i := strings.IndexByte(segs[0], '('); i > 0 && strings.HasSuffix(segs[0], ")") {
		inner := segs[0][i+1 : len(segs[0])-1]
		if eq := strings.IndexByte(inner, '='); eq > 0 {
			altProp, altVal = inner[:eq], strings.Trim(inner[eq+1:], "'")
		}
		rest := append([]string{segs[0][:i], altVal}, segs[1:]...)
		segs = rest
		lower = append([]string{strings.ToLower(segs[0]), strings.ToLower(altVal)}, lower[1:]...)
	}
	for _, pe := range pathTable {
		if len(lower) < len(pe.segs) || !equalSegs(lower[:len(pe.segs)], pe.segs) {
			continue
		}
		rt := &route{kind: pe.kind, caPath: pe.caPath}
		rest := segs[len(pe.segs):]
		tmpl := pe.tmpl
		if altProp != "" {
			rt.altKey = altProp
			if !strings.EqualFold(altProp, "appId") && !strings.EqualFold(altProp, "uniqueName") {
				return nil, badRequest("Invalid key property '%s'.", altProp)
			}
		}
		if pe.kind.Singleton {
			if len(rest) > 0 {
				return nil, notFoundSegment(rest[0])
			}
			rt.template = tmpl
			return rt, nil
		}
		if len(rest) == 0 {
			rt.template = tmpl
			return rt, nil
		}
		switch strings.ToLower(rest[0]) {
		case "delta", "delta()": // the SDKs call the function with parentheses
			if len(rest) == 1 && pe.kind.Delta {
				rt.sub, rt.template = "delta", tmpl+"/delta"
				return rt, nil
			}
		case "$count":
			if len(rest) == 1 {
				rt.sub, rt.template = "$count", tmpl+"/$count"
				return rt, nil
			}
		}
		if strings.HasPrefix(rest[0], "microsoft.graph.") && len(rest) == 1 {
			rt.cast, rt.template = rest[0], tmpl+"/"+rest[0]
			return rt, nil
		}
		rt.key = rest[0]
		tmpl += "/{id}"
		rest = rest[1:]
		if len(rest) == 0 {
			rt.template = tmpl
			return rt, nil
		}
		rel := rest[0]
		if a, ok := actionName(pe.kind, rel); ok && len(rest) == 1 {
			rt.action, rt.template = a, tmpl+"/"+a
			return rt, nil
		}
		if r, ok := routeAppliesTo(pe.kind, rt, rest, tmpl); ok { // assign.go
			return r, nil
		}
		if r, ok := routeManager(pe.kind, rt, rest, tmpl); ok { // manager.go
			return r, nil
		}
		if r, ok := routeMemberOf(pe.kind, rt, rest, tmpl); ok { // memberof.go
			return r, nil
		}
		if r, ok := routeUserFlow(pe.kind, rt, rest, tmpl); ok { // external.go
			return r, nil
		}
		if r, ok := routeIdentitySync(pe.kind, rt, rest, tmpl); ok { // external.go
			return r, nil
		}
		if r, ok := routeMFA(pe.kind, rt, rest, tmpl); ok { // mfa.go
			return r, nil
		}
		if r, ok := routeEM(pe.kind, rt, rest, tmpl); ok { // emresources.go
			return r, nil
		}
		if k, ok := linkName(pe.kind, rel); ok {
			rt.rel = k
			tmpl += "/" + k
			rest = rest[1:]
			if len(rest) > 0 && strings.HasPrefix(rest[0], "microsoft.graph.") {
				rt.cast = rest[0]
				rest = rest[1:]
			}
			switch {
			case len(rest) == 0:
			case len(rest) == 1 && rest[0] == "$ref":
				rt.ref = true
				tmpl += "/$ref"
			case len(rest) == 1 && rest[0] == "$count":
				rt.sub = "$count"
				tmpl += "/$count"
			case len(rest) == 1:
				rt.relKey = rest[0]
				tmpl += "/{id}"
			case len(rest) == 2 && rest[1] == "$ref":
				rt.relKey, rt.ref = rest[0], true
				tmpl += "/{id}/$ref"
			default:
				return nil, notFoundSegment(rest[len(rest)-1])
			}
			rt.template = tmpl
			return rt, nil
		}
		// A collection held by the object: the collection or one item.
		collection := func(name string) (*route, *apiError) {
			rt.rel = name
			tmpl += "/" + name
			switch rest = rest[1:]; len(rest) {
			case 0:
			case 1:
				rt.relKey = rest[0]
				tmpl += "/{id}"
			default:
				return nil, notFoundSegment(rest[len(rest)-1])
			}
			rt.template = tmpl
			return rt, nil
		}
		if c, ok := containedName(pe.kind, rel); ok {
			rt.relKind = kindByName[contained[pe.kind.Name][c].kind]
			return collection(c)
		}
		if n, ok := nestedServed(pe.kind, pe.segs, rel); ok {
			rt.nested = true
			return collection(n)
		}
		return nil, notFoundSegment(rel)
	}
	return nil, notFoundSegment(segs[0])
}

func equalSegs(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func linkName(k *Kind, seg string) (string, bool) {
	for name := range k.Links {
		if strings.EqualFold(name, seg) {
			return name, true
		}
	}
	return "", false
}

// actions are the bound actions graphsim serves, per kind: POST
// /{collection}/{id}/{action}. Handlers run with t.mu held for writing.
var actions = map[string]map[string]func(s *Server, req *request, r *record) (*response, *apiError){}

func actionName(k *Kind, seg string) (string, bool) {
	for name := range actions[k.Name] {
		if strings.EqualFold(name, seg) {
			return name, true
		}
	}
	return "", false
}

func containedName(k *Kind, seg string) (string, bool) {
	for name := range contained[k.Name] {
		if strings.EqualFold(name, seg) {
			return name, true
		}
	}
	return "", false
}

// notFoundSegment is Graph's answer to a path it does not know.
func notFoundSegment(seg string) *apiError {
	return errf(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '%s'.", seg)
}

func routeDirDeleted(rest []string) (*route, *apiError) {
	rt := &route{special: "dirDeleted"}
	switch {
	case len(rest) == 0:
		return nil, badRequest("The request URI must contain a type cast segment, for example /directory/deletedItems/microsoft.graph.user.")
	case len(rest) == 1 && strings.HasPrefix(rest[0], "microsoft.graph."):
		rt.cast = rest[0]
		rt.kind = kindForType(rest[0])
		if rt.kind == nil || rt.kind.SoftDelete != "directory" {
			return nil, badRequest("Type '%s' is not supported for deleted items.", rest[0])
		}
		rt.template = "/directory/deletedItems/" + rest[0]
	case len(rest) == 1:
		rt.key, rt.template = rest[0], "/directory/deletedItems/{id}"
	case len(rest) == 2 && strings.EqualFold(rest[1], "restore"):
		rt.key, rt.sub, rt.template = rest[0], "restore", "/directory/deletedItems/{id}/restore"
	case len(rest) == 2 && strings.HasPrefix(rest[1], "microsoft.graph."):
		rt.key, rt.cast, rt.template = rest[0], rest[1], "/directory/deletedItems/{id}/"+rest[1]
	default:
		return nil, notFoundSegment(rest[len(rest)-1])
	}
	return rt, nil
}

func routeCADeleted(rest []string) (*route, *apiError) {
	if len(rest) == 0 {
		return nil, notFoundSegment("deletedItems")
	}
	rt := &route{special: "caDeleted"}
	switch strings.ToLower(rest[0]) {
	case "policies":
		rt.kind = kindByName["conditionalAccessPolicy"]
	case "namedlocations":
		rt.kind = kindByName["namedLocation"]
	default:
		return nil, notFoundSegment(rest[0])
	}
	rt.template = "/identity/conditionalAccess/deletedItems/" + rest[0]
	switch {
	case len(rest) == 1:
	case len(rest) == 2:
		rt.key = rest[1]
		rt.template += "/{id}"
	case len(rest) == 3 && strings.EqualFold(rest[2], "restore"):
		rt.key, rt.sub = rest[1], "restore"
		rt.template += "/{id}/restore"
	default:
		return nil, notFoundSegment(rest[len(rest)-1])
	}
	return rt, nil
}
