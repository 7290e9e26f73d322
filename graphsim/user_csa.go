package graphsim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
)

// Custom security attribute values of users and service principals
// (graphsim/doc.go, "Custom security attribute values"): their
// customSecurityAttributes property (resources/user,
// resources/serviceprincipal; resources/customsecurityattributevalue, an
// open complex type; the examples are
// learn:/graph/custom-security-attributes-examples: "supported for users
// and service principals only"). Everything below holds for both; where
// the user's second permission is User.Read.All, a service principal's is
// Application.Read.All (the examples' Prerequisites), and a service
// principal's values are not in its default representation either
// (serviceprincipal-get: "To read the customSecurityAttributes property",
// strict: returned only when $select names it, as for users).
//
//   - Read: returned only when $select names it (not in the default
//     property set), grouped by attribute set: each set an object with
//     "@odata.type": "#microsoft.graph.customSecurityAttributeValue", an
//     Integer attribute annotated "<name>@odata.type": "#Int32", a
//     collection "#Collection(String)" or "#Collection(Int32)", a String or
//     Boolean attribute not annotated. A user without values reads null.
//   - Read permission: CustomSecAttributeAssignment.Read.All (or
//     .ReadWrite.All). A caller without it reads null for every user,
//     not a 403 ("If there are no custom security attributes assigned to the
//     user or if the calling principal does not have access", the examples
//     page): graphsim does the same. A delegated caller also needs the
//     Attribute Assignment Reader or Attribute Assignment Administrator role
//     at the tenant's scope; Global Administrator does not read them ("By
//     default, Global Administrator and other administrator roles don't have
//     permissions to read, define, or assign custom security attributes",
//     Entra's custom-security-attributes pages). A role scoped to an
//     attribute set (directoryScopeId /attributeSets/{id}) reads that set's
//     values only: the others are left out of the answer (csaRoleSets).
//   - Write: PATCH /users/{id} with customSecurityAttributes needs
//     CustomSecAttributeAssignment.ReadWrite.All (403 without); a delegated
//     caller the Attribute Assignment Administrator role at the tenant's
//     scope or scoped to every set the body names (Global Administrator
//     is refused). The body names only the attributes it
//     changes; each set object carries "@odata.type":
//     "#Microsoft.DirectoryServices.CustomSecurityAttributeValue" (as every
//     example writes it; strict: required). Integer and collection values
//     carry their annotation (strict: required, and exactly the type the
//     definition has); String and Boolean values none. A single value is
//     removed by null, a collection by [] (the examples; strict: null for a
//     collection → 400). Unknown set or attribute, wrong type, a value not
//     among the active predefined values of a usePreDefinedValuesOnly
//     attribute, or a new value for a Deprecated (deactivated) attribute →
//     400 Request_BadRequest; removing a deactivated attribute's value is
//     allowed (the pages say a deactivated attribute cannot be assigned,
//     nothing about existing assignments). At most 50 values per object
//     (Microsoft's limits as quoted by tenants' documentation; the
//     attribute limits page: strict reading counts every collection
//     element). Values may be set on users synced from on-premises (the
//     overview page). A POST /users with customSecurityAttributes → 400
//     (strict: only Update user is documented).

const (
	csaProp      = "customSecurityAttributes"
	csaReadType  = "#microsoft.graph.customSecurityAttributeValue"
	csaWriteType = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
	csaMaxValues = 50
)

var (
	csaRead       = []string{"CustomSecAttributeAssignment.Read.All", "CustomSecAttributeAssignment.ReadWrite.All"}
	csaWrite      = []string{"CustomSecAttributeAssignment.ReadWrite.All"}
	csaReaderRole = map[string]bool{"Attribute Assignment Reader": true, "Attribute Assignment Administrator": true}
	csaWriterRole = map[string]bool{"Attribute Assignment Administrator": true}
	// csaKinds are the kinds that hold values, with the collection their
	// PATCH is addressed to and the second permission a PATCH of values
	// only needs (to read the object).
	csaKinds = map[string]struct {
		path  string
		perms []string
	}{
		"user":             {"users", userReadPerms},
		"servicePrincipal": {"servicePrincipals", appReadPerms},
	}
)

// appReadPerms read a service principal (the examples page's pair for applications).
var appReadPerms = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}

// holdsCSA reports whether rt is an object of a kind holding values.
func holdsCSA(rt *route) bool {
	if rt == nil || rt.kind == nil {
		return false
	}
	_, ok := csaKinds[rt.kind.Name]
	return ok
}

// attributeSetScope prefixes a directoryScopeId naming an attribute set.
const attributeSetScope = "/attributeSets/"

// attributeSetRoles are the roles that may be assigned at an attribute
// set's scope (custom-security-attributes-manage, "Step 5": the four
// custom security attribute roles, tenant or attribute set scope).
var attributeSetRoles = map[string]bool{"Attribute Assignment Administrator": true, "Attribute Assignment Reader": true,
	"Attribute Definition Administrator": true, "Attribute Definition Reader": true}

// checkAttributeSetScope refuses a role assignment at "/attributeSets/{id}"
// whose set does not exist (404, as for an administrative unit) or whose
// role is not one of attributeSetRoles (400; strict: the pages name only
// these four for that scope). Callers hold t.mu.
func (s *Server) checkAttributeSetScope(role *record, scope string) *apiError {
	set, ok := strings.CutPrefix(scope, attributeSetScope)
	if !ok {
		return nil
	}
	if set == "" || s.tenant.lookup(kindByName[attributeSetKind], set) == nil {
		return notFound(set)
	}
	if name := str(role.get("displayName")); !attributeSetRoles[name] {
		return badRequest("The role '%s' cannot be assigned at attribute set scope: only the custom security attribute roles can.", name)
	}
	return nil
}

// csaDefinitionReadDenied is the role check of a delegated read of
// attribute sets and definitions (attributeset-get and the definitions'
// pages: "The signed-in user must also be assigned at least one of the
// following directory roles", the four attributeSetRoles). A role scoped
// to attribute sets reads those sets' definitions only ("Cannot read other
// attribute sets"): one item outside → 403, a list keeps the sets in scope
// (filterCSADefinitions). Callers hold t.mu.
func (s *Server) csaDefinitionReadDenied(req *request, rt *route) *apiError {
	all, sets := s.csaRoleSets(req.principal.userID, attributeSetRoles)
	if all {
		return nil
	}
	if len(sets) == 0 {
		return denied()
	}
	if rt.key == "" {
		return nil
	}
	set := rt.key
	if rt.kind.Name == csaDefKind {
		r := s.find(rt)
		if r == nil {
			return nil // 404 follows
		}
		set = str(r.get("attributeSet"))
	}
	if !sets[strings.ToLower(set)] {
		return denied()
	}
	return nil
}

// csaDefinitionCount refuses $count on attribute sets and definitions: a
// list (GET /directory/attributeSets?$count=true) and the /$count segment.
// The list pages name the query parameters they support ($select, $top
// and $orderby for sets, learn:/graph/api/directory-list-attributesets;
// $select, $top, $expand and $filter (eq) for definitions,
// learn:/graph/api/directory-list-customsecurityattributedefinitions), not
// $count, and a count over every set would tell a reader whose role is
// scoped to some sets how many it cannot see: strict, 400. (A caller that
// wants the number counts the items the list gives it, which are the sets
// its roles read: filterCSADefinitions.)
func csaDefinitionCount(req *request, rt *route) *apiError {
	if rt == nil || rt.kind == nil || (rt.kind.Name != attributeSetKind && rt.kind.Name != csaDefKind) || rt.key != "" {
		return nil
	}
	if rt.sub == "$count" || req.query.Has("$count") {
		return errf(http.StatusBadRequest, "Request_UnsupportedQuery", "$count is not supported on %s.", rt.kind.Paths[0])
	}
	return nil
}

// filterCSADefinitions leaves out of a delegated list of attribute sets or
// definitions those of the sets the caller's roles are not scoped to.
func (s *Server) filterCSADefinitions(req *request, rt *route, resp *response) {
	p := req.principal
	if p == nil || p.all || p.userID == "" || rt.kind == nil || rt.key != "" || rt.rel != "" || req.method != http.MethodGet ||
		resp == nil || resp.status != http.StatusOK || (rt.kind.Name != attributeSetKind && rt.kind.Name != csaDefKind) {
		return
	}
	body, ok := resp.body.(map[string]any)
	if !ok {
		return
	}
	items, ok := body["value"].([]any)
	if !ok {
		return
	}
	s.tenant.mu.RLock()
	all, sets := s.csaRoleSets(p.userID, attributeSetRoles)
	s.tenant.mu.RUnlock()
	if all {
		return
	}
	kept := []any{}
	for _, it := range items {
		o, _ := it.(map[string]any)
		set := str(o["id"])
		if rt.kind.Name == csaDefKind {
			set = str(o["attributeSet"])
			if set == "" { // not selected: the id is {attributeSet}_{name}
				set, _, _ = strings.Cut(str(o["id"]), "_")
			}
		}
		if sets[strings.ToLower(set)] {
			kept = append(kept, it)
		}
	}
	body["value"] = kept
}

// csaRoleSets says where the signed-in user of a delegated token holds one
// of roles: all is true for an assignment at the tenant's scope ("/"),
// sets holds the lower-case ids of the attribute sets the others are
// scoped to ("/attributeSets/{id}": learn:/entra/fundamentals/
// custom-security-attributes-manage, "you can assign roles at tenant scope
// or at attribute set scope"; an attribute-set-scoped Attribute Assignment
// Reader or Administrator reads, and the Administrator assigns, the values
// of that set only: "Cannot read attribute assignments that use attributes
// in other attribute sets"; assignments add up). Callers hold t.mu.
func (s *Server) csaRoleSets(userID string, roles map[string]bool) (all bool, sets map[string]bool) {
	sets = map[string]bool{}
	for _, g := range s.userGrants(userID) {
		if !roles[g.role] {
			continue
		}
		if g.scope == "/" {
			all = true
		}
		if set, ok := strings.CutPrefix(g.scope, attributeSetScope); ok && set != "" {
			sets[strings.ToLower(set)] = true
		}
	}
	return all, sets
}

// csaReadableSets says which attribute sets' values the caller reads: all,
// or the lower-case ids in sets (none: the property reads null).
func (s *Server) csaReadableSets(p *principal) (all bool, sets map[string]bool) {
	if p == nil || p.all {
		return true, nil
	}
	if !p.has(csaRead) {
		return false, nil
	}
	if p.userID == "" {
		return true, nil
	}
	s.tenant.mu.RLock()
	defer s.tenant.mu.RUnlock()
	return s.csaRoleSets(p.userID, csaReaderRole)
}

// csaWriteDenied checks the permission of a PATCH of a user's values: a
// delegated caller needs Attribute Assignment Administrator at the
// tenant's scope, or scoped to every attribute set the body names.
// Callers hold t.mu.
func (s *Server) csaWriteDenied(req *request) *apiError {
	p := req.principal
	if p == nil || p.all {
		return nil
	}
	if !p.has(csaWrite) {
		return denied()
	}
	if p.userID == "" {
		return nil
	}
	all, sets := s.csaRoleSets(p.userID, csaWriterRole)
	if all {
		return nil
	}
	if len(sets) == 0 {
		return denied()
	}
	var b map[string]any
	_ = json.Unmarshal(req.body, &b)
	named, _ := b[csaProp].(map[string]any)
	for set := range named {
		if !sets[strings.ToLower(set)] {
			return denied()
		}
	}
	return nil
}

// csaBody reports whether a user or service principal PATCH names
// customSecurityAttributes, and whether that is all it names.
func csaBody(req *request, rt *route) (has, only bool) {
	if !holdsCSA(rt) || rt.key == "" || rt.rel != "" || rt.special != "" || req.method != http.MethodPatch {
		return false, false
	}
	var b map[string]any
	_ = json.Unmarshal(req.body, &b)
	_, has = b[csaProp]
	return has, has && len(b) == 1
}

// nullCSA sets customSecurityAttributes to null in a user or service
// principal answer the caller may not read, as Graph does, and leaves out
// the attribute sets a caller whose role is scoped to other sets may not
// read (null when none is left).
func (s *Server) nullCSA(req *request, rt *route, resp *response) {
	if !holdsCSA(rt) || rt.rel != "" || req.method != http.MethodGet || resp == nil || resp.status != http.StatusOK {
		return
	}
	all, sets := s.csaReadableSets(req.principal)
	if all {
		return
	}
	body, ok := resp.body.(map[string]any)
	if !ok {
		return
	}
	blank := func(o map[string]any) {
		v, ok := o[csaProp]
		if !ok {
			return
		}
		held, _ := v.(map[string]any)
		kept := map[string]any{}
		for set, x := range held {
			if sets[strings.ToLower(set)] {
				kept[set] = x
			}
		}
		if len(kept) == 0 {
			o[csaProp] = nil
			return
		}
		o[csaProp] = kept
	}
	if items, ok := body["value"].([]any); ok {
		for _, it := range items {
			if o, ok := it.(map[string]any); ok {
				blank(o)
			}
		}
		return
	}
	blank(body)
}

// csaDefinition finds the definition of set/name (case-insensitive, as
// Graph's ids are). Callers hold t.mu.
func (s *Server) csaDefinition(set, name string) *record {
	return s.tenant.lookup(kindByName[csaDefKind], set+"_"+name)
}

// csaValueType is the annotation a definition's values carry ("" for none).
func csaValueType(def map[string]any) string {
	typ := str(def["type"])
	if def["isCollection"] == true {
		if typ == "Integer" {
			return "#Collection(Int32)"
		}
		return "#Collection(String)"
	}
	if typ == "Integer" {
		return "#Int32"
	}
	return ""
}

// csaInt reads an Int32 value.
func csaInt(v any) (int64, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return 0, false
		}
		f = float64(n)
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		return 0, false
	}
	if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int64(f), true
}

// csaScalar checks one value (a single value or a collection's element)
// against the definition and returns it as stored.
func (s *Server) csaScalar(def *record, set, name string, v any) (any, *apiError) {
	d := def.o()
	var out any
	switch str(d["type"]) {
	case "String":
		x, ok := v.(string)
		if !ok {
			return nil, badRequest("Invalid value for custom security attribute '%s' in attribute set '%s': a String is expected.", name, set)
		}
		out = x
	case "Integer":
		n, ok := csaInt(v)
		if !ok {
			return nil, badRequest("Invalid value for custom security attribute '%s' in attribute set '%s': an Int32 is expected.", name, set)
		}
		out = n
	case "Boolean":
		x, ok := v.(bool)
		if !ok {
			return nil, badRequest("Invalid value for custom security attribute '%s' in attribute set '%s': a Boolean is expected.", name, set)
		}
		out = x
	}
	if d["usePreDefinedValuesOnly"] == true {
		key := jsonScalar(out)
		_, av := findContainedExact(heldList(def, allowedValuesRel), key)
		if av == nil || av["isActive"] != true {
			return nil, badRequest("The value '%s' is not an active predefined value of custom security attribute '%s' in attribute set '%s'.", key, name, set)
		}
	}
	return out, nil
}

func jsonScalar(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// applyCSA validates a PATCH's customSecurityAttributes against the
// definitions and merges it into the user's values: it returns the value
// to store (nil: none left). Callers hold t.mu.
func (s *Server) applyCSA(u *record, patch any) (any, *apiError) {
	sets, ok := patch.(map[string]any)
	if !ok {
		return nil, badRequest("Invalid value for property 'customSecurityAttributes': an object of attribute sets is expected.")
	}
	cur, _ := deepCopy(u.get(csaProp)).(map[string]any)
	if cur == nil {
		cur = map[string]any{}
	}
	for _, set := range sortedKeys(sets) {
		if strings.Contains(set, "@") {
			return nil, badRequest("Invalid property '%s' in customSecurityAttributes.", set)
		}
		setRec := s.tenant.lookup(kindByName[attributeSetKind], set)
		if setRec == nil {
			return nil, badRequest("Attribute set '%s' does not exist.", set)
		}
		setID := setRec.key() // as defined
		body, ok := sets[set].(map[string]any)
		if !ok {
			return nil, badRequest("Invalid value for attribute set '%s': an object is expected.", set)
		}
		if !strings.EqualFold(str(body["@odata.type"]), csaWriteType) {
			return nil, badRequest("The value of attribute set '%s' must have @odata.type '%s'.", set, csaWriteType)
		}
		var stored map[string]any
		for k, v := range cur {
			if strings.EqualFold(k, setID) {
				stored, _ = v.(map[string]any)
				delete(cur, k)
			}
		}
		if stored == nil {
			stored = map[string]any{"@odata.type": csaReadType}
		}
		for a, ann := range body {
			if name, ok := strings.CutSuffix(a, "@odata.type"); ok && name != "" {
				if _, has := body[name]; !has {
					return nil, badRequest("The annotation '%s' names no value.", a)
				}
				if _, isStr := ann.(string); !isStr {
					return nil, badRequest("Invalid annotation '%s'.", a)
				}
			}
		}
		for _, name := range sortedKeys(body) {
			if name == "@odata.type" || strings.HasSuffix(name, "@odata.type") {
				continue
			}
			def := s.csaDefinition(setID, name)
			if def == nil {
				return nil, badRequest("Custom security attribute '%s' does not exist in attribute set '%s'.", name, setID)
			}
			attr := str(def.get("name"))
			want := csaValueType(def.o())
			ann, annotated := body[name+"@odata.type"]
			v := body[name]
			// Remove what the attribute holds under any spelling of its name.
			for k := range stored {
				base := strings.TrimSuffix(k, "@odata.type")
				if base != "" && strings.EqualFold(base, attr) {
					delete(stored, k)
				}
			}
			isColl := def.get("isCollection") == true
			if v == nil {
				if isColl {
					return nil, badRequest("A collection custom security attribute ('%s' in attribute set '%s') is removed with an empty collection [], not null.", attr, setID)
				}
				if annotated {
					return nil, badRequest("Invalid annotation '%s@odata.type' on a removed value.", name)
				}
				continue
			}
			if arr, ok := v.([]any); ok && isColl && len(arr) == 0 {
				if annotated && str(ann) != want {
					return nil, badRequest("Invalid annotation '%v' for custom security attribute '%s': '%s' is expected.", ann, attr, want)
				}
				continue
			}
			if str(def.get("status")) != "Available" {
				return nil, badRequest("Custom security attribute '%s' in attribute set '%s' is deactivated and cannot be assigned.", attr, setID)
			}
			if str(ann) != want || (want == "") == annotated {
				if want == "" {
					return nil, badRequest("Invalid annotation '%v' for custom security attribute '%s': a %s value takes none.", ann, attr, str(def.get("type")))
				}
				return nil, badRequest("Invalid or missing annotation for custom security attribute '%s': '%s' is expected.", attr, want)
			}
			if isColl {
				arr, ok := v.([]any)
				if !ok {
					return nil, badRequest("Invalid value for custom security attribute '%s' in attribute set '%s': a collection is expected.", attr, setID)
				}
				out := make([]any, 0, len(arr))
				for _, e := range arr {
					x, aerr := s.csaScalar(def, setID, attr, e)
					if aerr != nil {
						return nil, aerr
					}
					out = append(out, x)
				}
				stored[attr] = out
			} else {
				if _, isArr := v.([]any); isArr {
					return nil, badRequest("Invalid value for custom security attribute '%s' in attribute set '%s': a single value is expected.", attr, setID)
				}
				x, aerr := s.csaScalar(def, setID, attr, v)
				if aerr != nil {
					return nil, aerr
				}
				stored[attr] = x
			}
			if want != "" {
				stored[attr+"@odata.type"] = want
			}
		}
		if len(stored) > 1 {
			cur[setID] = stored
		}
	}
	if n := csaCount(cur); n > csaMaxValues {
		return nil, badRequest("An object holds at most %d custom security attribute values; this update would give it %d.", csaMaxValues, n)
	}
	if len(cur) == 0 {
		return nil, nil
	}
	return cur, nil
}

// csaCount counts the values an object holds (each collection element).
func csaCount(sets map[string]any) int {
	n := 0
	for _, v := range sets {
		m, _ := v.(map[string]any)
		for k, x := range m {
			if strings.Contains(k, "@") {
				continue
			}
			if arr, ok := x.([]any); ok {
				n += len(arr)
			} else {
				n++
			}
		}
	}
	return n
}

// patchCSA is the user PATCH hook's part for customSecurityAttributes:
// body's value becomes the merged one.
func patchCSA(s *Server, r *record, body map[string]any) *apiError {
	v, ok := body[csaProp]
	if !ok {
		return nil
	}
	merged, aerr := s.applyCSA(r, v)
	if aerr != nil {
		return aerr
	}
	if merged == nil {
		delete(r.o(), csaProp)
		delete(body, csaProp)
		return nil
	}
	body[csaProp] = merged
	return nil
}

func init() {
	syncedOnlyCloud[csaProp] = true
	for kind, what := range map[string]string{"user": "Update user once the user exists", "servicePrincipal": "Update servicePrincipal once it exists"} {
		prevPatch, prevCreate := patchHooks[kind], createHooks[kind]
		if prevCreate == nil {
			panic("graphsim: user_csa.go's init runs before hooks.go's")
		}
		patchHooks[kind] = func(s *Server, r *record, body map[string]any) *apiError {
			if prevPatch != nil {
				if aerr := prevPatch(s, r, body); aerr != nil {
					return aerr
				}
			}
			return patchCSA(s, r, body)
		}
		createHooks[kind] = func(s *Server, req *request, body map[string]any, parent *record) *apiError {
			if _, ok := body[csaProp]; ok {
				return badRequest("Property 'customSecurityAttributes' is set with %s.", what)
			}
			return prevCreate(s, req, body, parent)
		}
	}
}

// demoCSAValues assigns values of the demo's definitions (customsec.go) to
// some members, among them hostile strings (quotes, a newline, an RTL mark,
// emoji, a path, a long value) in the free-text HR CostCenter; none drawn
// from the tenant's sequence. every: one member in that many gets values.
func (g *generator) demoCSAValues(every int) {
	if every <= 0 {
		every = 5
	}
	hostile := []string{`CC "quoted" 'x'`, "CC\nline two", "\u202eCC-RTL", "CC 🚀", "../../CC", strings.Repeat("CC-long-", 30)}
	clear := []string{"Public", "Internal", "Confidential"}
	n, h := 0, 0
	var members []*record
	for _, r := range g.t.colls["user"].order {
		if !r.gone && str(r.get("userType")) != "Guest" {
			members = append(members, r)
		}
	}
	sort.SliceStable(members, func(i, j int) bool { return members[i].key() < members[j].key() })
	for _, r := range members {
		n++
		if n%every != 0 {
			continue
		}
		sets := map[string]any{}
		cc := "CC-" + fmt.Sprint(n)
		if n%(every*2) == 0 && h < len(hostile) {
			cc = hostile[h]
			h++
		}
		hr := map[string]any{"@odata.type": csaReadType, "CostCenter": cc}
		switch (n / every) % 4 {
		case 1:
			hr["Grade"], hr["Grade@odata.type"] = int64(3+n%5), "#Int32"
		case 2:
			hr["Projects"], hr["Projects@odata.type"] = []any{"Baker", "Cascade " + fmt.Sprint(n)}, "#Collection(String)"
		case 3:
			hr["BadgeIds"], hr["BadgeIds@odata.type"] = []any{int64(1000 + n), int64(2000 + n)}, "#Collection(Int32)"
			hr["Contractor"] = n%2 == 0
		}
		sets["HR"] = hr
		if n%(every*3) != 0 {
			sets["DataProtection"] = map[string]any{"@odata.type": csaReadType, "Clearance": clear[(n/every)%len(clear)]}
		}
		r.o()[csaProp] = sets
	}
	g.demoSPCSAValues(max(2, every/2), hostile)
}

// demoSPCSAValues assigns values to one service principal in every (by
// id) of those the tenant may change: a data classification, a cost
// center (hostile strings but for one in six) and, for one in three,
// projects (a collection).
func (g *generator) demoSPCSAValues(every int, hostile []string) {
	clear := []string{"Internal", "Confidential", "Public"}
	sps := append([]*record(nil), g.t.colls["servicePrincipal"].order...)
	sort.SliceStable(sps, func(i, j int) bool { return sps[i].key() < sps[j].key() })
	n, j := 0, 0
	for _, r := range sps {
		if r.gone || lockedSP(r.o()) { // hooks_apps.go: not the tenant's to change
			continue
		}
		n++
		if n%every != 0 {
			continue
		}
		cc := "APP-" + fmt.Sprint(n)
		if j%len(hostile) != 0 {
			cc = hostile[len(hostile)-j%len(hostile)]
		}
		hr := map[string]any{"@odata.type": csaReadType, "CostCenter": cc}
		if j%3 == 0 {
			hr["Projects"], hr["Projects@odata.type"] = []any{"Apps " + fmt.Sprint(n), "Baker"}, "#Collection(String)"
		}
		r.o()[csaProp] = map[string]any{"HR": hr,
			"DataProtection": map[string]any{"@odata.type": csaReadType, "Clearance": clear[j%len(clear)]}}
		j++
	}
}

// CustomSecurityAttributes returns a copy of the custom security attribute
// values of user or service principal id as Graph reads them (nil: none or
// no such object), for tests.
func (t *Tenant) CustomSecurityAttributes(id string) map[string]any {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.colls["user"].byKey[strings.ToLower(id)]
	if r == nil {
		r = t.colls["servicePrincipal"].byKey[strings.ToLower(id)]
	}
	if r == nil {
		return nil
	}
	m, _ := deepCopy(r.get(csaProp)).(map[string]any)
	return m
}

// userReadPerms read a user (the second of the examples page's pair).
var userReadPerms = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}

// csaOnlyPatch returns, for a PATCH /users/{id} or
// /servicePrincipals/{id} whose body names customSecurityAttributes only,
// the permissions that read the object (one of them is needed besides
// CustomSecAttributeAssignment.ReadWrite.All); nil for any other request.
func csaOnlyPatch(req *request) []string {
	if req.method != http.MethodPatch {
		return nil
	}
	segs := strings.Split(strings.Trim(req.path, "/"), "/")
	if len(segs) != 2 {
		return nil
	}
	var read []string
	for _, k := range csaKinds {
		if strings.EqualFold(segs[0], k.path) {
			read = k.perms
		}
	}
	var b map[string]any
	if read == nil || json.Unmarshal(req.body, &b) != nil {
		return nil
	}
	if _, has := b[csaProp]; !has || len(b) != 1 {
		return nil
	}
	return read
}

// authorizeCSAPatch is the permission check of a PATCH that assigns custom
// security attribute values only: CustomSecAttributeAssignment.ReadWrite.All
// and User.Read.All for a user, Application.Read.All for a service principal
// (learn:/graph/custom-security-attributes-examples, "Prerequisites";
// the update tables' broader write permissions do not replace the first).
// read is csaOnlyPatch's answer. The role check follows in authorizeObject.
func (s *Server) authorizeCSAPatch(req *request, read []string) *apiError {
	p := req.principal
	if !p.has(csaWrite) || !p.has(read) {
		return denied()
	}
	return nil
}
