package graphsim

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// Custom security attributes: attribute sets and the attribute definitions
// in them (graphsim/doc.go, "Custom security attributes").
//
//   - attributeSet (resources/attributeset, directory-post-attributesets,
//     attributeset-update): the id is the caller's, "up to 32 characters
//     long and include Unicode characters. Cannot contain spaces or special
//     characters. Cannot be changed later"; description up to 128
//     characters; maxAttributesPerSet. No DELETE is documented (405).
//   - customSecurityAttributeDefinition (resources/customsecurityattribute
//     definition, directory-post-customsecurityattributedefinitions,
//     customsecurityattributedefinition-update): attributeSet, isCollection,
//     isSearchable, name, status, type and usePreDefinedValuesOnly are
//     required on create (strict: the page lists them as required); the id
//     is Graph's, {attributeSet}_{name}; attributeSet, isCollection,
//     isSearchable, name and type "cannot be changed later" (PATCH → 400);
//     PATCH writes description, status and usePreDefinedValuesOnly. status is
//     Available or Deprecated ("deactivated"); type is String, Integer or
//     Boolean, and a Boolean attribute is neither a collection nor limited
//     to predefined values. No DELETE is documented: a definition is
//     deactivated (status Deprecated), never deleted (405).
//   - allowedValues of a definition (resources/allowedvalue,
//     customsecurityattributedefinition-post-allowedvalues,
//     allowedvalue-update): the id is the value itself, the caller's (up to
//     64 characters, case sensitive, cannot be changed later); isActive is
//     the one property a PATCH writes; no DELETE (405): a value is
//     deactivated. A definition holds at most 100 of them (resources/
//     customsecurityattributedefinition). They are not returned with the
//     definition and not written with it: a POST or PATCH of the definition
//     naming allowedValues is refused (the PATCH form needs OData-Version
//     4.01 and @delta, not modelled: strict); a Boolean attribute has none.
//   - Permissions: CustomSecAttributeDefinition.Read.All to read,
//     CustomSecAttributeDefinition.ReadWrite.All to write (permissions.json);
//     a delegated caller also needs one of the four attribute roles to read
//     and Attribute Definition Administrator to write, at the tenant's
//     scope or an attribute set's; Global Administrator's role grants
//     neither (delegated.go, user_csa.go csaDefinitionReadDenied).

const (
	attributeSetKind = "attributeSet"
	csaDefKind       = "customSecurityAttributeDefinition"
	allowedValuesRel = "allowedValues"
)

var attributeSetKindDef = &Kind{
	Name: attributeSetKind, ODataType: "#microsoft.graph.attributeSet",
	Paths: []string{"directory/attributeSets"}, Throttle: "directory", ReadCost: 1,
	NoDelete: true, CreateOnly: []string{"id"}, Required: []string{"id"},
	Filterable: []string{"id"},
}

var csaDefKindDef = &Kind{
	Name: csaDefKind, ODataType: "#microsoft.graph.customSecurityAttributeDefinition",
	Paths: []string{"directory/customSecurityAttributeDefinitions"}, Throttle: "directory", ReadCost: 1,
	NoDelete: true, ReadOnly: []string{"id"},
	CreateOnly: []string{"attributeSet", "isCollection", "isSearchable", "name", "type"},
	Required:   []string{"attributeSet", "isCollection", "isSearchable", "name", "status", "type", "usePreDefinedValuesOnly"},
	Filterable: []string{"id", "attributeSet", "name", "status"},
}

// attrSetID: letters and digits, 1 to 32 (no spaces or special characters).
var attrSetID = lazyRE(`^[\p{L}\p{N}]{1,32}$`)

func checkAttributeSet(body map[string]any) *apiError {
	if id, ok := body["id"]; ok && !attrSetID.MatchString(str(id)) {
		return badRequest("Invalid id '%v' for an attribute set: up to 32 letters or digits, no spaces or special characters.", id)
	}
	if d, ok := body["description"].(string); ok && utf8.RuneCountInString(d) > 128 {
		return badRequest("The description of an attribute set is at most 128 characters.")
	}
	if m, ok := body["maxAttributesPerSet"]; ok && m != nil {
		if n, ok := asInt(m); !ok || n < 1 || n > 500 {
			return badRequest("Invalid value '%v' for property 'maxAttributesPerSet': 1 to 500.", m)
		}
	}
	return nil
}

// checkDefinition validates a definition whole (after a PATCH is merged).
func checkDefinition(s *Server, d map[string]any) *apiError {
	if _, ok := d[allowedValuesRel]; ok {
		return badRequest("Property 'allowedValues' cannot be written with its definition; use /directory/customSecurityAttributeDefinitions/{id}/allowedValues.")
	}
	if !attrSetID.MatchString(str(d["name"])) {
		return badRequest("Invalid name '%v' for a custom security attribute: up to 32 letters or digits, no spaces or special characters.", d["name"])
	}
	if s.tenant.lookup(kindByName[attributeSetKind], str(d["attributeSet"])) == nil {
		return badRequest("Attribute set '%s' does not exist.", str(d["attributeSet"]))
	}
	switch str(d["status"]) {
	case "Available", "Deprecated":
	default:
		return badRequest("Invalid value '%v' for property 'status': Available or Deprecated.", d["status"])
	}
	switch str(d["type"]) {
	case "String", "Integer":
	case "Boolean":
		if d["isCollection"] == true || d["usePreDefinedValuesOnly"] == true {
			return badRequest("A Boolean custom security attribute cannot be a collection or use predefined values only.")
		}
	default:
		return badRequest("Invalid value '%v' for property 'type': String, Integer or Boolean.", d["type"])
	}
	if desc, ok := d["description"].(string); ok && utf8.RuneCountInString(desc) > 128 {
		return badRequest("The description of a custom security attribute is at most 128 characters.")
	}
	return nil
}

func checkAllowedValue(p *record, list []any, old, v map[string]any) *apiError {
	if str(p.get("type")) == "Boolean" {
		return badRequest("A Boolean custom security attribute has no predefined values.")
	}
	id, _ := v["id"].(string)
	if old == nil {
		if id == "" || utf8.RuneCountInString(id) > 64 {
			return badRequest("A predefined value's id is required: up to 64 characters.")
		}
		if i, _ := findContainedExact(list, id); i >= 0 {
			return errf(http.StatusConflict, "Request_BadRequest", "The predefined value '%s' already exists.", id)
		}
	}
	if _, ok := v["isActive"].(bool); !ok {
		return badRequest("A value is required for property 'isActive' of resource 'allowedValue'.")
	}
	return nil
}

// findContainedExact is findContained with a case-sensitive id (an allowed
// value's id is "case sensitive").
func findContainedExact(list []any, id string) (int, map[string]any) {
	for i, c := range list {
		if m, ok := c.(map[string]any); ok && str(m["id"]) == id {
			return i, m
		}
	}
	return -1, nil
}

func init() {
	held[csaDefKind] = map[string]heldSpec{
		allowedValuesRel: {typ: "#microsoft.graph.allowedValue", props: []string{"isActive"},
			update: true, callerID: true, noDelete: true, max: 100, check: checkAllowedValue},
	}
	createHooks[attributeSetKind] = func(_ *Server, _ *request, body map[string]any, _ *record) *apiError {
		return checkAttributeSet(body)
	}
	patchHooks[attributeSetKind] = func(_ *Server, _ *record, body map[string]any) *apiError {
		return checkAttributeSet(body)
	}
	createHooks[csaDefKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if aerr := checkDefinition(s, body); aerr != nil {
			return aerr
		}
		body["id"] = str(body["attributeSet"]) + "_" + str(body["name"])
		if s.tenant.colls[csaDefKind].byKey[strings.ToLower(str(body["id"]))] != nil {
			return errf(http.StatusConflict, "Request_BadRequest", "Custom security attribute '%s' already exists in attribute set '%s'.", str(body["name"]), str(body["attributeSet"]))
		}
		return nil
	}
	patchHooks[csaDefKind] = func(s *Server, r *record, body map[string]any) *apiError {
		merged := deepCopy(r.o()).(map[string]any)
		for k, v := range body {
			merged[k] = v
		}
		for k := range merged {
			if isHeldProp(k) {
				delete(merged, k)
			}
		}
		return checkDefinition(s, merged)
	}
}

// demoCustomSecurity defines what an HR and a data-protection team use:
// an attribute set per team, a string attribute with predefined values
// (one retired), a searchable free-text one, and a retired (deactivated)
// attribute. Ids are the caller's and Graph's derivations, none drawn from
// the tenant's sequence.
func (g *generator) demoCustomSecurity() {
	g.post(attributeSetKind, map[string]any{"id": "HR", "description": "Attributes the HR team manages", "maxAttributesPerSet": 25}, nil)
	g.post(attributeSetKind, map[string]any{"id": "DataProtection", "description": "Data classification of apps and people"}, nil)
	g.post(csaDefKind, map[string]any{"attributeSet": "DataProtection", "name": "Clearance", "description": "Highest data classification the holder may access",
		"type": "String", "status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": true}, nil)
	for _, v := range []struct {
		id     string
		active bool
	}{{"Public", true}, {"Internal", true}, {"Confidential", true}, {"Secret", false}} {
		g.heldItem(csaDefKind, "DataProtection_Clearance", allowedValuesRel, map[string]any{"id": v.id, "isActive": v.active})
	}
	g.post(csaDefKind, map[string]any{"attributeSet": "HR", "name": "CostCenter", "description": "Cost center code",
		"type": "String", "status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false}, nil)
	g.post(csaDefKind, map[string]any{"attributeSet": "HR", "name": "LegacyBadge", "description": "Badge number before 2024 (retired)",
		"type": "Integer", "status": "Deprecated", "isCollection": false, "isSearchable": false, "usePreDefinedValuesOnly": false}, nil)
	// Values of users (user_csa.go): a grade (Integer), projects (a
	// collection of strings), badge ids (a collection of integers) and a
	// contractor flag (Boolean).
	g.post(csaDefKind, map[string]any{"attributeSet": "HR", "name": "Grade", "description": "Pay grade",
		"type": "Integer", "status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false}, nil)
	g.post(csaDefKind, map[string]any{"attributeSet": "HR", "name": "Projects", "description": "Projects the person works on",
		"type": "String", "status": "Available", "isCollection": true, "isSearchable": true, "usePreDefinedValuesOnly": false}, nil)
	g.post(csaDefKind, map[string]any{"attributeSet": "HR", "name": "BadgeIds", "description": "Building badges",
		"type": "Integer", "status": "Available", "isCollection": true, "isSearchable": false, "usePreDefinedValuesOnly": false}, nil)
	g.post(csaDefKind, map[string]any{"attributeSet": "HR", "name": "Contractor", "description": "Works for a contractor",
		"type": "Boolean", "status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false}, nil)
}
