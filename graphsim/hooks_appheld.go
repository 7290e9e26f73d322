package graphsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Collections Graph keeps below one application or service principal and
// serves only there (graphsim/doc.go, "Apps and service principals: held
// collections"):
//
//   - federatedIdentityCredentials of an application (resources/
//     federatedidentitycredential, application-post-federatedidentitycredentials,
//     federatedidentitycredential-update, -delete): name, issuer, subject,
//     audiences, description; "Maximum of 20 objects can be added to an
//     application"; name at most 120 characters, "URL friendly", immutable;
//     issuer+subject unique within the app; audiences a single value; issuer,
//     subject, audiences and description at most 600 characters.
//   - extensionProperties of an application (resources/extensionproperty,
//     application-post-extensionproperty, extensionproperty-delete): created
//     and deleted, no update documented (PATCH → 405, strict); the name
//     Graph stores is extension_{appId without dashes}_{name sent}.
//   - delegatedPermissionClassifications of a service principal (resources/
//     delegatedpermissionclassification, serviceprincipal-post-
//     delegatedpermissionclassifications, -delete-delegatedpermissionclassifications):
//     created and deleted (no update documented: PATCH → 405, strict);
//     permissionId names one of the service principal's oauth2PermissionScopes.
//
// None of them is a property of the parent: a GET of the parent does not
// return them, a POST or PATCH of the parent that names them is refused
// (deep insert is not documented for them: strict), and the parent's delta
// does not show their changes (navigation properties are not tracked). They
// are kept inside the parent's stored object (so soft delete, restore and
// save/load carry them) under heldPrefix+name, which no view returns. A
// list's $expand serves them like a relationship (expand.go).

// heldPrefix marks where a held collection is stored in its parent's object.
const heldPrefix = "\x00held:"

type heldSpec struct {
	typ    string // the items' @odata.type
	props  []string
	update bool // PATCH of an item is documented
	// check validates an item (whole, after a PATCH is merged) against its
	// parent and siblings (old is the item a PATCH changes, nil on create).
	check func(p *record, list []any, old, item map[string]any) *apiError
	// fill sets what Graph adds to a created item.
	fill func(p *record, item map[string]any)
	max  int // most items per parent (0: no limit modelled)
	// callerID: the create names the item's id (an allowed value's id is
	// the value itself, customsec.go); otherwise Graph gives one.
	callerID bool
	// noDelete: Graph documents no DELETE of an item (405).
	noDelete bool
	// stamp: Graph sets the item's createdDateTime (an agreement's file).
	stamp bool
	// created200: the create answers 200 OK with the item and no Location
	// header, as its page documents (agreement-post-files: "returns a 200
	// OK response code and an agreementFileLocalization object"), not 201.
	created200 bool
}

var held = map[string]map[string]heldSpec{
	"application": {
		"federatedIdentityCredentials": {typ: "#microsoft.graph.federatedIdentityCredential",
			props: []string{"name", "issuer", "subject", "audiences", "description"}, update: true, max: 20,
			check: checkFederatedCredential},
		"extensionProperties": {typ: "#microsoft.graph.extensionProperty",
			props: []string{"name", "dataType", "targetObjects", "isMultiValued"}, max: 100,
			check: checkExtensionProperty, fill: fillExtensionProperty},
	},
	"servicePrincipal": {
		"delegatedPermissionClassifications": {typ: "#microsoft.graph.delegatedPermissionClassification",
			props: []string{"permissionId", "permissionName", "classification"},
			check: checkPermissionClassification},
	},
}

// heldName reports whether rel below an object of kind k is a held collection.
func heldName(k *Kind, rel string) (string, bool) {
	for name := range held[k.Name] {
		if strings.EqualFold(name, rel) {
			return name, true
		}
	}
	return "", false
}

// isHeldProp reports whether a stored property is a held collection (never returned).
func isHeldProp(p string) bool { return strings.HasPrefix(p, heldPrefix) }

// stripHeld removes the held collections from a copy of a stored object
// (Tenant.Get and List return properties only).
func stripHeld(m map[string]any) map[string]any {
	for k := range m {
		if isHeldProp(k) {
			delete(m, k)
		}
	}
	return m
}

// heldList is r's items of the held collection rel. Callers hold t.mu.
func heldList(r *record, rel string) []any { return asSlice(r.get(heldPrefix + rel)) }

func init() {
	refuse := func(kind string) func(body map[string]any) *apiError {
		return func(body map[string]any) *apiError {
			for p := range body {
				if _, ok := heldName(&Kind{Name: kind}, p); ok || isHeldProp(p) {
					return badRequest("Property '%s' cannot be written with its parent; use its own collection.", strings.TrimPrefix(p, heldPrefix))
				}
			}
			return nil
		}
	}
	for _, kind := range []string{"application", "servicePrincipal"} {
		check := refuse(kind)
		chainCreate(kind, func(_ *Server, _ *request, body map[string]any, _ *record) *apiError { return check(body) })
		chainPatch(kind, func(_ *Server, _ *record, body map[string]any) *apiError { return check(body) })
	}
}

// heldOp serves /applications/{id}/federatedIdentityCredentials[/{id}],
// /applications/{id}/extensionProperties[/{id}] and
// /servicePrincipals/{id}/delegatedPermissionClassifications[/{id}].
func (s *Server) heldOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	defer t.lockFor(req.method)()
	spec := held[rt.kind.Name][rt.rel]
	p := s.find(rt)
	if p == nil {
		return nil, notFound(rt.key)
	}
	store := heldPrefix + rt.rel
	list := asSlice(p.get(store))
	ctx := rt.kind.Paths0() + "('" + p.key() + "')/" + rt.rel
	findContained := findContained
	if spec.callerID {
		findContained = findContainedExact // a caller's id is case sensitive (an allowed value's)
	}
	switch {
	case req.method == http.MethodGet && rt.relKey != "" && spec.callerID:
		_, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		return s.containedGet(req, ctx, []any{m}, str(m["id"]))
	case req.method == http.MethodGet:
		return s.containedGet(req, ctx, list, rt.relKey)
	case req.method == http.MethodPost && rt.relKey == "":
		body, aerr := decodeHeld(req.body, spec)
		if aerr != nil {
			return nil, aerr
		}
		if _, ok := body["id"]; ok && !spec.callerID {
			return nil, badRequest(msgReadOnly, "id")
		}
		if spec.max > 0 && len(list) >= spec.max {
			return nil, badRequest("No more than %d %s can be added to one %s.", spec.max, rt.rel, rt.kind.Name)
		}
		if aerr := spec.check(p, list, nil, body); aerr != nil {
			return nil, aerr
		}
		if !spec.callerID {
			body["id"] = t.newID()
		}
		if spec.fill != nil {
			spec.fill(p, body)
		}
		if spec.stamp {
			body["createdDateTime"] = graphTime(t.now())
		}
		p.o()[store] = append(list, body)
		t.noteIDs(body) // ids.go
		t.logChange(heldChange(rt, p, "link", str(body["id"])))
		out := deepCopy(body).(map[string]any)
		out["@odata.context"] = s.metadata(req, ctx+"/$entity")
		if spec.created200 {
			return jsonResp(http.StatusOK, out), nil
		}
		resp := jsonResp(http.StatusCreated, out)
		resp.header.Set("Location", req.root+"/"+req.version+"/"+req.path+"/"+str(body["id"]))
		return resp, nil
	case req.method == http.MethodPatch && rt.relKey != "" && spec.update:
		i, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		body, aerr := decodeHeld(req.body, spec)
		if aerr != nil {
			return nil, aerr
		}
		if _, ok := body["id"]; ok {
			return nil, badRequest(msgReadOnly, "id")
		}
		if n, ok := body["name"]; ok && str(n) != str(m["name"]) {
			// "The string is immutable after it's created."
			return nil, badRequest("Property 'name' cannot be changed after the %s is created.", strings.TrimPrefix(spec.typ, "#microsoft.graph."))
		}
		merged := deepCopy(m).(map[string]any)
		for k, v := range body {
			merged[k] = v
		}
		if aerr := spec.check(p, list, m, merged); aerr != nil {
			return nil, aerr
		}
		list[i] = merged
		t.noteIDs(merged) // ids.go
		t.logChange(heldChange(rt, p, "link", str(merged["id"])))
		return noContent(), nil
	case req.method == http.MethodDelete && rt.relKey != "" && !spec.noDelete:
		i, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		p.o()[store] = append(append([]any{}, list[:i]...), list[i+1:]...)
		t.logChange(heldChange(rt, p, "unlink", str(m["id"])))
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// heldChange is the change log entry of a write to a held collection: a
// link or unlink of the parent's relationship rel (the item's id as its
// target), which the directory audit log records as an update of the
// parent naming the collection (audit.go: "Update application",
// "Update service principal"; the directoryaudit resource is "the history
// of every task performed in your tenant", and these are tasks on the
// parent) and which no delta round reports (the parent's delta tracks no
// navigation property: deltaEntries reports a link only of a relationship
// the round selects, and Graph refuses these in $select).
func heldChange(rt *route, p *record, op, item string) change {
	return change{Kind: rt.kind.Name, ID: p.key(), Op: op, Rel: rt.rel, Target: strings.ToLower(item)}
}

// decodeHeld decodes an item body: the spec's properties (and id, refused
// by the caller) only.
func decodeHeld(b []byte, spec heldSpec) (map[string]any, *apiError) {
	body, aerr := decodeBody(b)
	if aerr != nil {
		return nil, aerr
	}
	if typ := str(body["@odata.type"]); typ != "" && !strings.EqualFold(typ, spec.typ) {
		return nil, badRequest("Invalid @odata.type '%s' for this object.", typ)
	}
	delete(body, "@odata.type")
	for k := range body {
		if k != "id" && !contains(spec.props, k) {
			return nil, badRequest("Property '%s' does not exist as a declared property or extension property.", k)
		}
	}
	return body, nil
}

// ficName is a federated identity credential's name: "URL friendly", at
// most 120 characters (resources/federatedidentitycredential); the workload
// identity federation page (learn:/entra/workload-id/workload-identity-
// federation-create-trust) spells it out: 3 to 120 characters,
// alphanumeric, dash or underscore, the first alphanumeric.
var ficName = lazyRE(`^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$`)

func checkFederatedCredential(_ *record, list []any, old, c map[string]any) *apiError {
	for _, p := range []string{"name", "issuer", "subject"} {
		if v, ok := c[p].(string); !ok || v == "" {
			return badRequest("A value is required for property '%s' of resource 'federatedIdentityCredential'.", p)
		}
	}
	name := str(c["name"])
	if !ficName.MatchString(name) {
		return badRequest("The name of a federated identity credential must be 3 to 120 characters: letters, digits, '-' or '_', starting with a letter or digit.")
	}
	aud, ok := c["audiences"].([]any)
	if !ok || len(aud) != 1 || str(aud[0]) == "" {
		// "This field can only accept a single value"
		return badRequest("Property 'audiences' of a federated identity credential takes exactly one value.")
	}
	for _, p := range []string{"issuer", "subject", "description"} {
		if v, ok := c[p]; ok && v != nil {
			sv, isStr := v.(string)
			if !isStr {
				return badRequest("Invalid value for property '%s'.", p)
			}
			if utf8.RuneCountInString(sv) > 600 {
				return badRequest("Property '%s' of a federated identity credential is limited to 600 characters.", p)
			}
		}
	}
	if utf8.RuneCountInString(str(aud[0])) > 600 {
		return badRequest("Property 'audiences' of a federated identity credential is limited to 600 characters.")
	}
	// The issuer is "the URL of the external identity provider": an
	// absolute https URL (strict reading).
	if u, err := url.Parse(str(c["issuer"])); err != nil || u.Scheme != "https" || u.Host == "" {
		return badRequest("The issuer of a federated identity credential must be an https URL.")
	}
	for _, x := range list {
		m, _ := x.(map[string]any)
		if m == nil || (old != nil && str(m["id"]) == str(old["id"])) {
			continue
		}
		if old == nil && strings.EqualFold(str(m["name"]), name) {
			return errf(http.StatusConflict, "Request_BadRequest", "A federated identity credential named '%s' already exists on this application.", name)
		}
		if str(m["issuer"]) == str(c["issuer"]) && str(m["subject"]) == str(c["subject"]) {
			// "The combination of the values of issuer and subject must be unique within the app."
			return errf(http.StatusConflict, "Request_BadRequest", "A federated identity credential with this issuer and subject already exists on this application.")
		}
	}
	return nil
}

var (
	extensionDataTypes = []string{"Binary", "Boolean", "DateTime", "Integer", "LargeInteger", "String"}
	extensionTargets   = []string{"User", "Group", "AdministrativeUnit", "Application", "Device", "Organization"}
	// extensionShortName: the part of the name an application chooses
	// (strict reading: Graph documents no rule; letters, digits and '_').
	extensionShortName = lazyRE(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)
)

func checkExtensionProperty(p *record, list []any, _, c map[string]any) *apiError {
	name := str(c["name"])
	if !extensionShortName.MatchString(name) {
		return badRequest("Invalid extension property name '%s'.", name)
	}
	if !containsFold(extensionDataTypes, str(c["dataType"])) {
		return badRequest("Invalid value for property 'dataType': '%s'.", str(c["dataType"]))
	}
	targets, ok := c["targetObjects"].([]any)
	if !ok || len(targets) == 0 {
		return badRequest("A value is required for property 'targetObjects' of resource 'extensionProperty'.")
	}
	for _, x := range targets {
		if !containsFold(extensionTargets, str(x)) {
			return badRequest("Invalid value for property 'targetObjects': '%s'.", str(x))
		}
	}
	if v, ok := c["isMultiValued"]; ok && v != nil {
		if _, isBool := v.(bool); !isBool {
			return badRequest("Invalid value for property 'isMultiValued'.")
		}
	}
	full := extensionFullName(p, name)
	for _, x := range list {
		if m, _ := x.(map[string]any); m != nil && strings.EqualFold(str(m["name"]), full) {
			return errf(http.StatusConflict, "Request_BadRequest", msgConflict, "name")
		}
	}
	return nil
}

// extensionFullName is the name Graph gives an extension property of the
// application p: extension_{appId without dashes}_{name}.
func extensionFullName(p *record, name string) string {
	return "extension_" + strings.ReplaceAll(str(p.get("appId")), "-", "") + "_" + name
}

func fillExtensionProperty(p *record, c map[string]any) {
	c["name"] = extensionFullName(p, str(c["name"]))
	c["appDisplayName"] = p.get("displayName")
	c["isSyncedFromOnPremises"] = false
	c["deletedDateTime"] = nil
	if _, ok := c["isMultiValued"]; !ok {
		c["isMultiValued"] = false
	}
}

var permissionClassifications = []string{"low", "medium", "high"}

func checkPermissionClassification(p *record, list []any, _, c map[string]any) *apiError {
	if !contains(permissionClassifications, str(c["classification"])) {
		return badRequest("Invalid value for property 'classification': '%s'.", str(c["classification"]))
	}
	pid := str(c["permissionId"])
	if pid == "" {
		return badRequest("A value is required for property 'permissionId' of resource 'delegatedPermissionClassification'.")
	}
	var scope map[string]any
	for _, x := range asSlice(p.get("oauth2PermissionScopes")) {
		if m, _ := x.(map[string]any); m != nil && strings.EqualFold(str(m["id"]), pid) {
			scope = m
		}
	}
	if scope == nil {
		// permissionId is "the unique identifier (id) for the delegated
		// permission listed in the oauth2PermissionScopes collection of the
		// servicePrincipal" (Graph's answer for another id: undocumented).
		return badRequest("Permission '%s' is not a delegated permission of this service principal.", pid)
	}
	if n, ok := c["permissionName"]; ok && n != nil && str(n) != str(scope["value"]) {
		return badRequest("permissionName '%s' is not the value of delegated permission '%s'.", str(n), pid)
	}
	c["permissionName"] = scope["value"]
	for _, x := range list {
		if m, _ := x.(map[string]any); m != nil && strings.EqualFold(str(m["permissionId"]), pid) {
			return errf(http.StatusConflict, "Request_BadRequest", "Delegated permission '%s' is already classified.", pid)
		}
	}
	return nil
}

// SeedHeld adds item, as given (its id included), to the held collection
// rel of kind/id without Graph's validation (loading a snapshot: rehearse).
// What Graph derives from the parent (an extension property's
// appDisplayName) is set from it.
func (t *Tenant) SeedHeld(kind, id, rel string, item map[string]any) error {
	if _, ok := held[kind][rel]; !ok {
		return fmt.Errorf("graphsim: %s has no collection %q", kind, rel)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.colls[kind].byKey[strings.ToLower(id)]
	if r == nil {
		return fmt.Errorf("graphsim: no %s %s", kind, id)
	}
	item = deepCopy(item).(map[string]any)
	if rel == "extensionProperties" {
		item["appDisplayName"] = r.get("displayName")
		if _, ok := item["deletedDateTime"]; !ok {
			item["deletedDateTime"] = nil
		}
	}
	r.o()[heldPrefix+rel] = append(heldList(r, rel), item)
	t.noteIDs(item) // ids.go
	return nil
}
