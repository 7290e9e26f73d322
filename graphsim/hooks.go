package graphsim

import (
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func strconvItoa(n int) string { return strconv.Itoa(n) }

// Hooks add what Graph does for one kind beyond the generic rules: server-set
// fields and reference checks on create, extra rules on update and delete.
// They run with t.mu held for writing.
var (
	createHooks = map[string]func(s *Server, req *request, body map[string]any, parent *record) *apiError{}
	patchHooks  = map[string]func(s *Server, r *record, body map[string]any) *apiError{}
	deleteHooks = map[string]func(s *Server, r *record) *apiError{}
	// afterCreateHooks and afterDeleteHooks run once the object is stored
	// or removed (what Graph makes or drops with it: a role's PIM policy,
	// pim.go), in the same write.
	afterCreateHooks = map[string]func(s *Server, r *record){}
	afterDeleteHooks = map[string]func(s *Server, r *record){}
)

func init() {
	createHooks["user"] = createUser
	createHooks["group"] = createGroup
	createHooks["application"] = createApplication
	createHooks["servicePrincipal"] = createServicePrincipal
	createHooks["appRoleAssignment"] = createAppRoleAssignment
	createHooks["oAuth2PermissionGrant"] = createGrant
	createHooks["conditionalAccessPolicy"] = createCAPolicy
	createHooks["namedLocation"] = createNamedLocation
	createHooks["authenticationStrengthPolicy"] = createAuthStrength
	createHooks["administrativeUnit"] = stampCreated
	createHooks["scopedRoleMembership"] = createScopedRoleMember
	createHooks["unifiedRoleDefinition"] = createRoleDefinition
	createHooks["unifiedRoleAssignment"] = createRoleAssignment
	createHooks["directoryRole"] = createDirectoryRole
	createHooks["unifiedRoleAssignmentScheduleRequest"] = createAssignmentRequest
	deleteHooks["unifiedRoleAssignment"] = func(s *Server, r *record) *apiError {
		s.dropInstance(r.key())
		return nil
	}
	createHooks["unifiedRoleEligibilityScheduleRequest"] = createEligibilityRequest
	createHooks["crossTenantAccessPolicyConfigurationPartner"] = createPartner
	createHooks["groupSetting"] = createGroupSetting
	createHooks["domain"] = createDomain

	patchHooks["user"] = patchSynced
	patchHooks["group"] = patchGroup
	patchHooks["conditionalAccessPolicy"] = func(s *Server, r *record, body map[string]any) *apiError {
		if aerr := checkCAStrength(body); aerr != nil {
			return aerr
		}
		merged := deepCopy(r.o()).(map[string]any)
		for k, v := range body {
			merged[k] = v
		}
		return s.checkCARefs(merged)
	}
	patchHooks["crossTenantAccessPolicyConfigurationDefault"] = func(s *Server, r *record, body map[string]any) *apiError {
		// A customized default is no longer the service default.
		body["isServiceDefault"] = false
		return nil
	}
	patchHooks["authenticationStrengthPolicy"] = func(s *Server, r *record, body map[string]any) *apiError {
		if str(r.get("policyType")) == "builtIn" {
			return badRequest("Built-in authentication strength policies cannot be modified.")
		}
		return checkStrengthPatch(body)
	}
	patchHooks["unifiedRoleDefinition"] = func(s *Server, r *record, body map[string]any) *apiError {
		if b, _ := r.get("isBuiltIn").(bool); b {
			return badRequest("Built-in role definitions cannot be modified.")
		}
		return nil
	}
	deleteHooks["authenticationStrengthPolicy"] = func(s *Server, r *record) *apiError {
		if str(r.get("policyType")) == "builtIn" {
			return badRequest("Built-in authentication strength policies cannot be deleted.")
		}
		for _, p := range s.tenant.colls["conditionalAccessPolicy"].byKey {
			if strings.EqualFold(str(lookupPath(p.o(), "grantControls/authenticationStrength/id")), r.key()) {
				return badRequest("The authentication strength policy is referenced by Conditional Access policy '%s' and cannot be deleted.", str(p.get("id")))
			}
		}
		return nil
	}
	deleteHooks["unifiedRoleDefinition"] = func(s *Server, r *record) *apiError {
		if b, _ := r.get("isBuiltIn").(bool); b {
			return badRequest("Built-in role definitions cannot be deleted.")
		}
		// A custom role still assigned (directly, time-bound, or as a PIM
		// eligibility) is not deleted. unifiedroledefinition-delete says
		// nothing of its assignments; strict reading: refuse rather than
		// leave assignments naming a role that is gone.
		s.dropExpired()
		n := 0
		for _, k := range []string{"unifiedRoleAssignment", "unifiedRoleEligibilitySchedule"} {
			for _, a := range s.tenant.colls[k].byKey {
				if strings.EqualFold(str(a.get("roleDefinitionId")), r.key()) {
					n++
				}
			}
		}
		if n > 0 {
			return badRequest("The role definition '%s' cannot be deleted: it has %d role assignments or eligibilities. Remove them first.", r.key(), n)
		}
		return nil
	}
	deleteHooks["application"] = func(s *Server, r *record) *apiError {
		// Deleting an application deletes its service principal too (both
		// to the recycle bin); restoring the application does not restore it.
		t := s.tenant
		if sp := t.colls["servicePrincipal"].unique["appId"][strings.ToLower(str(r.get("appId")))]; sp != nil {
			s.remove(sp)
		}
		return nil
	}
	deleteHooks["namedLocation"] = func(s *Server, r *record) *apiError {
		for _, p := range s.tenant.colls["conditionalAccessPolicy"].byKey {
			for _, path := range []string{"conditions/locations/includeLocations", "conditions/locations/excludeLocations"} {
				if containsFold(strs(lookupPath(p.o(), path)), r.key()) {
					return badRequest("The named location is referenced by Conditional Access policy '%s' and cannot be deleted.", str(p.get("id")))
				}
			}
		}
		return nil
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, str(x))
	}
	return out
}

func stampCreated(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	body["createdDateTime"] = graphTime(s.tenant.now())
	return nil
}

// syncedOnlyCloud lists what may still be changed on an on-premises mastered object.
var syncedOnlyCloud = map[string]bool{"usageLocation": true, "accountEnabled": false}

func patchSynced(s *Server, r *record, body map[string]any) *apiError {
	if !synced(r.o()) {
		return nil
	}
	for p := range body {
		if !syncedOnlyCloud[p] {
			return badRequest("Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
		}
	}
	return nil
}

func createUser(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	if aerr := refuseGuestCreate(body); aerr != nil { // guests.go
		return aerr
	}
	t := s.tenant
	upn := str(body["userPrincipalName"])
	at := strings.LastIndexByte(upn, '@')
	if at <= 0 || t.colls["domain"].byKey[strings.ToLower(upn[at+1:])] == nil {
		return badRequest("Property userPrincipalName is invalid.")
	}
	pp, _ := body["passwordProfile"].(map[string]any)
	if pp == nil || str(pp["password"]) == "" {
		return badRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.")
	}
	delete(body, "passwordProfile") // write-only: never stored, never returned
	body["createdDateTime"] = graphTime(t.now())
	if _, ok := body["userType"]; !ok {
		body["userType"] = "Member"
	}
	body["creationType"] = nil
	body["proxyAddresses"] = []any{}
	body["assignedLicenses"], body["licenseAssignmentStates"] = []any{}, []any{} // licences.go
	body["securityIdentifier"] = "S-1-12-1-" + strconv.FormatUint(t.rng.Uint64()%4294967295, 10)
	if _, ok := body["businessPhones"]; !ok {
		body["businessPhones"] = []any{}
	}
	return nil
}

func createGroup(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	if aerr := groupCreatable(body); aerr != nil {
		return aerr
	}
	t := s.tenant
	nick := str(body["mailNickname"])
	if len(nick) > 64 || strings.ContainsAny(nick, "@()\\[]\";:<>, ") {
		return badRequest("Invalid value specified for property 'mailNickname' of resource 'Group'.")
	}
	if isDynamic(body) && str(body["membershipRule"]) == "" {
		return badRequest("A value is required for property 'membershipRule' of resource 'Group'.")
	}
	if b, _ := body["isAssignableToRole"].(bool); b {
		if sec, _ := body["securityEnabled"].(bool); !sec || isDynamic(body) {
			return badRequest("Role-assignable groups must be security enabled and cannot have dynamic membership.")
		}
	}
	if isUnified(body) {
		if me, _ := body["mailEnabled"].(bool); !me {
			return badRequest("Microsoft 365 groups must be mail enabled.")
		}
	}
	now := graphTime(t.now())
	body["createdDateTime"] = now
	body["renewedDateTime"] = now
	body["assignedLicenses"] = []any{} // licences.go
	body["securityIdentifier"] = "S-1-12-1-" + strconv.FormatUint(t.rng.Uint64()%4294967295, 10)
	if me, _ := body["mailEnabled"].(bool); me {
		body["mail"] = nick + "@" + t.domain
		body["proxyAddresses"] = []any{"SMTP:" + nick + "@" + t.domain}
	} else {
		body["mail"] = nil
		body["proxyAddresses"] = []any{}
	}
	if _, ok := body["groupTypes"]; !ok {
		body["groupTypes"] = []any{}
	}
	if isDynamic(body) {
		body["membershipRuleProcessingState"] = "On"
	}
	return nil
}

func createApplication(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	for _, uri := range strs(body["identifierUris"]) {
		for _, a := range t.colls["application"].byKey {
			if containsFold(strs(a.get("identifierUris")), uri) {
				return badRequest(msgConflict, "identifierUris")
			}
		}
	}
	body["appId"] = t.newID()
	body["createdDateTime"] = graphTime(t.now())
	body["publisherDomain"] = t.domain
	if _, ok := body["signInAudience"]; !ok {
		body["signInAudience"] = "AzureADMyOrg"
	}
	body["passwordCredentials"] = []any{}
	for _, p := range []string{"keyCredentials", "identifierUris", "tags"} {
		if _, ok := body[p]; !ok {
			body[p] = []any{}
		}
	}
	for _, kc := range asSlice(body["keyCredentials"]) {
		m, ok := kc.(map[string]any)
		if !ok {
			continue
		}
		if str(m["keyId"]) == "" {
			m["keyId"] = t.newID()
		}
		// The certificate is kept where the token endpoint looks for it;
		// the key itself is never returned, as in Graph.
		if der, err := base64.StdEncoding.DecodeString(str(m["key"])); err == nil && len(der) > 0 {
			cc := t.credsFor(str(body["appId"]))
			cc.Certs = append(cc.Certs, certCred{KeyID: str(m["keyId"]), DER: der})
		}
		m["key"] = nil
	}
	return nil
}

func createServicePrincipal(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	appID := str(body["appId"])
	app := t.colls["application"].unique["appId"][strings.ToLower(appID)]
	if app == nil {
		return badRequest("The appId '%s' of the service principal does not reference a valid application object.", appID)
	}
	if t.colls["servicePrincipal"].unique["appId"][strings.ToLower(appID)] != nil {
		return badRequest(msgConflict, "appId")
	}
	if _, ok := body["displayName"]; !ok {
		body["displayName"] = app.get("displayName")
	}
	body["appDisplayName"] = app.get("displayName")
	body["appOwnerOrganizationId"] = t.id
	body["servicePrincipalType"] = "Application"
	body["signInAudience"] = app.get("signInAudience")
	body["servicePrincipalNames"] = append([]any{appID}, asSlice(deepCopy(app.get("identifierUris")))...)
	body["appRoles"] = deepCopy(orEmpty(app.get("appRoles")))
	body["oauth2PermissionScopes"] = deepCopy(orEmpty(lookupPath(app.o(), "api/oauth2PermissionScopes")))
	body["passwordCredentials"] = []any{}
	if _, ok := body["accountEnabled"]; !ok {
		body["accountEnabled"] = true
	}
	if _, ok := body["tags"]; !ok {
		body["tags"] = []any{}
	}
	return nil
}

func orEmpty(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

// guidLE is the 16 bytes of a GUID in Microsoft's little-endian layout.
func guidLE(id string) []byte {
	h := strings.ReplaceAll(id, "-", "")
	if len(h) != 32 {
		return make([]byte, 16)
	}
	var b [16]byte
	for i := 0; i < 16; i++ {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		b[i] = byte(v)
	}
	binary.LittleEndian.PutUint32(b[0:4], binary.BigEndian.Uint32(b[0:4]))
	binary.LittleEndian.PutUint16(b[4:6], binary.BigEndian.Uint16(b[4:6]))
	binary.LittleEndian.PutUint16(b[6:8], binary.BigEndian.Uint16(b[6:8]))
	return b[:]
}

func b64id(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	return base64.RawURLEncoding.EncodeToString(all)
}

func createAppRoleAssignment(s *Server, req *request, body map[string]any, parent *record) *apiError {
	t := s.tenant
	if parent != nil {
		spec := contained[parent.kind.Name]
		if spec["appRoleAssignedTo"].field == "resourceId" && strings.HasSuffix(strings.ToLower(req.path), "/approleassignedto") {
			if r := str(body["resourceId"]); r != "" && !strings.EqualFold(r, parent.key()) {
				return badRequest("The resourceId in the body must match the service principal in the URL.")
			}
			body["resourceId"] = parent.key()
		} else {
			if p := str(body["principalId"]); p != "" && !strings.EqualFold(p, parent.key()) {
				return badRequest("The principalId in the body must match the object in the URL.")
			}
			body["principalId"] = parent.key()
		}
	}
	principal := t.dirObject(str(body["principalId"]))
	if principal == nil || !contains([]string{"user", "group", "servicePrincipal"}, principal.kind.Name) {
		return notFound(str(body["principalId"]))
	}
	resource := t.lookup(kindByName["servicePrincipal"], str(body["resourceId"]))
	if resource == nil {
		return notFound(str(body["resourceId"]))
	}
	roleID := str(body["appRoleId"])
	if roleID != "00000000-0000-0000-0000-000000000000" {
		found := false
		for _, ar := range asSlice(resource.get("appRoles")) {
			if m, ok := ar.(map[string]any); ok && strings.EqualFold(str(m["id"]), roleID) {
				found = true
			}
		}
		if !found {
			return badRequest("Permission being assigned was not found on application '%s'.", str(resource.get("appId")))
		}
	}
	for _, a := range t.colls["appRoleAssignment"].byKey {
		if strings.EqualFold(str(a.get("principalId")), principal.key()) && strings.EqualFold(str(a.get("resourceId")), resource.key()) && strings.EqualFold(str(a.get("appRoleId")), roleID) {
			return errf(http.StatusConflict, "Request_BadRequest", "Permission being assigned already exists on the object.")
		}
	}
	rnd := make([]byte, 16)
	for i := range rnd {
		rnd[i] = byte(t.rng.Uint32())
	}
	body["id"] = b64id(guidLE(principal.key()), rnd)
	body["createdDateTime"] = graphTime(t.now())
	body["deletedDateTime"] = nil
	body["principalDisplayName"] = principal.get("displayName")
	body["principalType"] = strings.ToUpper(principal.kind.Name[:1]) + principal.kind.Name[1:]
	body["resourceDisplayName"] = resource.get("displayName")
	return nil
}

func createGrant(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	sp := kindByName["servicePrincipal"]
	client := t.lookup(sp, str(body["clientId"]))
	if client == nil {
		return notFound(str(body["clientId"]))
	}
	resource := t.lookup(sp, str(body["resourceId"]))
	if resource == nil {
		return notFound(str(body["resourceId"]))
	}
	switch str(body["consentType"]) {
	case "AllPrincipals":
		if str(body["principalId"]) != "" {
			return badRequest("principalId must be null when consentType is AllPrincipals.")
		}
		body["principalId"] = nil
	case "Principal":
		if u := t.lookup(kindByName["user"], str(body["principalId"])); u == nil {
			return notFound(str(body["principalId"]))
		}
	default:
		return badRequest("Invalid value specified for property 'consentType' of resource 'OAuth2PermissionGrant'.")
	}
	if len(str(body["scope"])) > 3850 {
		return badRequest("The scope is too long.")
	}
	for _, g := range t.colls["oAuth2PermissionGrant"].byKey {
		if strings.EqualFold(str(g.get("clientId")), client.key()) && strings.EqualFold(str(g.get("resourceId")), resource.key()) &&
			str(g.get("consentType")) == str(body["consentType"]) && strings.EqualFold(str(g.get("principalId")), str(body["principalId"])) {
			return errf(http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.")
		}
	}
	id := b64id(guidLE(client.key()), guidLE(resource.key()))
	if p := str(body["principalId"]); p != "" {
		id += b64id(guidLE(p))
	}
	body["id"] = id
	return nil
}

var caSpecialUsers = []string{"All", "None", "GuestsOrExternalUsers"}

// checkCARefs validates that every group, user, role, named location and
// authentication strength a CA policy names exists (Graph answers 400).
func (s *Server) checkCARefs(p map[string]any) *apiError {
	t := s.tenant
	for _, side := range []string{"include", "exclude"} {
		for _, g := range strs(lookupPath(p, "conditions/users/"+side+"Groups")) {
			if r := t.lookup(kindByName["group"], g); r == nil {
				return errf(400, "BadRequest", "1037: The policy contains invalid groups in conditions.users.%sGroups: %s.", side, g)
			}
		}
		for _, u := range strs(lookupPath(p, "conditions/users/"+side+"Users")) {
			if containsFold(caSpecialUsers, u) {
				continue
			}
			if r := t.lookup(kindByName["user"], u); r == nil {
				return errf(400, "BadRequest", "1037: The policy contains invalid users in conditions.users.%sUsers: %s.", side, u)
			}
		}
		for _, role := range strs(lookupPath(p, "conditions/users/"+side+"Roles")) {
			if !s.roleExists(role) {
				return errf(400, "BadRequest", "1037: The policy contains invalid roles in conditions.users.%sRoles: %s.", side, role)
			}
		}
		for _, loc := range strs(lookupPath(p, "conditions/locations/"+side+"Locations")) {
			if loc == "All" || loc == "AllTrusted" || loc == "00000000-0000-0000-0000-000000000000" {
				continue
			}
			if r := t.lookup(kindByName["namedLocation"], loc); r == nil {
				return errf(400, "BadRequest", "1040: The policy contains invalid named locations in conditions.locations.%sLocations: %s.", side, loc)
			}
		}
	}
	if aerr := s.authContextsExist(p); aerr != nil { // authcontext.go
		return aerr
	}
	if aerr := s.termsOfUseExist(p); aerr != nil { // termsofuse.go
		return aerr
	}
	if id := str(lookupPath(p, "grantControls/authenticationStrength/id")); id != "" {
		if r := t.lookup(kindByName["authenticationStrengthPolicy"], id); r == nil {
			return errf(400, "BadRequest", "The authentication strength policy '%s' does not exist.", id)
		}
	}
	return nil
}

func (s *Server) roleExists(id string) bool {
	for _, r := range s.tenant.colls["unifiedRoleDefinition"].byKey {
		if strings.EqualFold(r.key(), id) || strings.EqualFold(str(r.get("templateId")), id) {
			return true
		}
	}
	return false
}

func createCAPolicy(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	if aerr := checkCAStrength(body); aerr != nil {
		return aerr
	}
	switch str(body["state"]) {
	case "enabled", "disabled", "enabledForReportingButNotEnforced":
	default:
		return errf(400, "BadRequest", "Invalid value specified for property 'state' of resource 'ConditionalAccessPolicy'.")
	}
	if lookupPath(body, "conditions/users") == nil && lookupPath(body, "conditions/clientApplications") == nil {
		return errf(400, "BadRequest", "A Conditional Access policy must include a users or workload identities condition.")
	}
	if lookupPath(body, "conditions/applications") == nil {
		return errf(400, "BadRequest", "A Conditional Access policy must include an applications condition.")
	}
	if body["grantControls"] == nil && body["sessionControls"] == nil {
		return errf(400, "BadRequest", "A Conditional Access policy must include grant or session controls.")
	}
	if aerr := s.checkCARefs(body); aerr != nil {
		return aerr
	}
	now := graphTime(s.tenant.now())
	body["createdDateTime"] = now
	body["modifiedDateTime"] = nil
	// Graph returns every control property, null when unset.
	for _, p := range []string{"grantControls", "sessionControls"} {
		if _, ok := body[p]; !ok {
			body[p] = nil
		}
	}
	return nil
}

func createNamedLocation(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	switch str(body["@odata.type"]) {
	case "#microsoft.graph.ipNamedLocation":
		if len(asSlice(body["ipRanges"])) == 0 {
			return errf(400, "BadRequest", "An IP named location must contain at least one IP range.")
		}
	case "#microsoft.graph.countryNamedLocation":
		if len(asSlice(body["countriesAndRegions"])) == 0 {
			return errf(400, "BadRequest", "A country named location must contain at least one country or region.")
		}
	default:
		return errf(400, "BadRequest", "The @odata.type of a named location must be #microsoft.graph.ipNamedLocation or #microsoft.graph.countryNamedLocation.")
	}
	body["createdDateTime"] = graphTime(s.tenant.now())
	body["modifiedDateTime"] = graphTime(s.tenant.now())
	return nil
}

func createAuthStrength(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	now := graphTime(s.tenant.now())
	body["createdDateTime"] = now
	body["modifiedDateTime"] = now
	body["policyType"] = "custom"
	body["requirementsSatisfied"] = "mfa"
	body["combinationConfigurations"] = []any{} // returned inline, empty until configured (strength.go)
	return nil
}

func createScopedRoleMember(s *Server, _ *request, body map[string]any, parent *record) *apiError {
	t := s.tenant
	if aerr := s.checkScopedRoleID(str(body["roleId"])); aerr != nil {
		return aerr
	}
	info, _ := body["roleMemberInfo"].(map[string]any)
	m := t.dirObject(str(info["id"]))
	if m == nil {
		return notFound(str(info["id"]))
	}
	info["displayName"] = m.get("displayName")
	body["administrativeUnitId"] = parent.key()
	for _, x := range t.colls["scopedRoleMembership"].byKey {
		if str(x.get("administrativeUnitId")) == parent.key() && strings.EqualFold(str(x.get("roleId")), str(body["roleId"])) &&
			strings.EqualFold(str(lookupPath(x.o(), "roleMemberInfo/id")), m.key()) {
			return errf(http.StatusConflict, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.")
		}
	}
	return nil
}

func createRoleDefinition(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	id := t.newID()
	body["id"] = id
	if str(body["templateId"]) == "" {
		body["templateId"] = id
	}
	body["isBuiltIn"] = false
	if _, ok := body["resourceScopes"]; !ok {
		body["resourceScopes"] = []any{"/"}
	}
	if _, ok := body["version"]; !ok {
		body["version"] = nil
	}
	body["inheritsPermissionsFrom"] = []any{}
	return nil
}

// findRole resolves a role definition id or template id.
func (s *Server) findRole(id string) *record { return s.tenant.findRole(id) }

// findRole finds a role definition by id or template id. Callers hold t.mu.
func (t *Tenant) findRole(id string) *record {
	for _, r := range t.colls["unifiedRoleDefinition"].byKey {
		if strings.EqualFold(r.key(), id) || strings.EqualFold(str(r.get("templateId")), id) {
			return r
		}
	}
	return nil
}

// rolePrincipal resolves a role assignment's or request's roleDefinitionId
// (findRole) and principalId; either naming nothing is a 404 naming it.
func (s *Server) rolePrincipal(body map[string]any) (role, principal *record, err *apiError) {
	if role = s.findRole(str(body["roleDefinitionId"])); role == nil {
		return nil, nil, notFound(str(body["roleDefinitionId"]))
	}
	if principal = s.tenant.dirObject(str(body["principalId"])); principal == nil {
		return nil, nil, notFound(str(body["principalId"]))
	}
	return role, principal, nil
}

func createRoleAssignment(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	role, p, err := s.rolePrincipal(body)
	if err != nil {
		return err
	}
	if p.kind.Name == "group" {
		if b, _ := p.get("isAssignableToRole").(bool); !b {
			return badRequest("The group '%s' is not role-assignable: only groups created with isAssignableToRole can hold directory roles.", p.key())
		}
	} else if p.kind.Name != "user" && p.kind.Name != "servicePrincipal" {
		return badRequest("Principal '%s' of type %s cannot be assigned a directory role.", p.key(), p.kind.Name)
	}
	scope := str(body["directoryScopeId"])
	if scope == "" && str(body["appScopeId"]) == "" {
		scope = "/"
		body["directoryScopeId"] = "/"
	}
	if strings.HasPrefix(scope, "/administrativeUnits/") {
		if t.lookup(kindByName["administrativeUnit"], strings.TrimPrefix(scope, "/administrativeUnits/")) == nil {
			return notFound(strings.TrimPrefix(scope, "/administrativeUnits/"))
		}
	}
	if aerr := s.checkAttributeSetScope(role, scope); aerr != nil { // user_csa.go
		return aerr
	}
	s.dropExpired()
	for _, a := range t.colls["unifiedRoleAssignment"].byKey {
		if strings.EqualFold(str(a.get("principalId")), p.key()) && strings.EqualFold(str(a.get("roleDefinitionId")), role.key()) &&
			str(a.get("directoryScopeId")) == scope {
			return errf(http.StatusConflict, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.")
		}
	}
	body["roleDefinitionId"] = role.key()
	id := b64id(guidLE(role.key()), guidLE(p.key()))
	if scope == "/" {
		id += "-1"
	} else {
		id += "-" + strconv.FormatUint(t.rng.Uint64()%1000000, 10)
	}
	body["id"] = id
	body["principalOrganizationId"] = t.id
	body["resourceScope"] = scope
	s.addInstance(body, "Assigned", t.now(), time.Time{})
	t.activateAssignedRole(role) // roles.go
	return nil
}

func createEligibilityRequest(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	role, p, err := s.rolePrincipal(body)
	if err != nil {
		return err
	}
	scope := str(body["directoryScopeId"])
	if scope == "" {
		scope = "/"
		body["directoryScopeId"] = scope
	}
	if strings.HasPrefix(scope, attributeSetScope) {
		// custom-security-attributes-manage: "eligible role assignments at
		// attribute set scope currently aren't supported".
		return badRequest("Eligible role assignments at attribute set scope are not supported: assign the role permanently at that scope (roleAssignments).")
	}
	now := graphTime(t.now())
	body["createdDateTime"] = now
	body["completedDateTime"] = now
	body["approvalId"] = nil
	body["createdBy"] = map[string]any{"application": nil, "device": nil, "user": nil}
	sched := kindByName["unifiedRoleEligibilitySchedule"]
	var existing *record
	for _, r := range t.colls[sched.Name].byKey {
		if strings.EqualFold(str(r.get("principalId")), p.key()) && strings.EqualFold(str(r.get("roleDefinitionId")), role.key()) &&
			str(r.get("directoryScopeId")) == scope && str(r.get("memberType")) == "Direct" {
			existing = r // rows inherited through a group are not the principal's own (roles.go)
		}
	}
	switch str(body["action"]) {
	case "adminAssign":
		if existing != nil {
			return badRequest("RoleAssignmentExists: The Role assignment already exists.")
		}
		info := body["scheduleInfo"]
		if info == nil {
			info = map[string]any{"startDateTime": now, "expiration": map[string]any{"type": "noExpiration", "endDateTime": nil, "duration": nil}}
			body["scheduleInfo"] = info
		}
		id := t.newID()
		t.insert(sched, map[string]any{
			"id": id, "principalId": p.key(), "roleDefinitionId": role.key(), "directoryScopeId": scope,
			"appScopeId": nil, "createdUsing": nil, "createdDateTime": now, "modifiedDateTime": nil,
			"status": "Provisioned", "memberType": "Direct", "scheduleInfo": deepCopy(info),
		})
		s.inheritEligibility(t.colls[sched.Name].byKey[id], p)
		body["targetScheduleId"] = id
		body["status"] = "Provisioned"
	case "adminRemove":
		if existing == nil {
			return badRequest("RoleAssignmentDoesNotExist: The Role assignment does not exist.")
		}
		body["targetScheduleId"] = existing.key()
		s.dropInherited(existing.key())
		s.remove(existing)
		body["status"] = "Revoked"
	case "adminUpdate":
		info, aerr := adminUpdateInfo(existing, body, t.now())
		if aerr != nil {
			return aerr
		}
		t.updateSchedule(existing, info)
		for _, r := range t.inheritedRows(existing.key()) { // roles.go
			t.updateSchedule(r, deepCopy(info).(map[string]any))
		}
		body["targetScheduleId"] = existing.key()
		body["status"] = "Provisioned"
	default:
		return badRequest("Invalid value specified for property 'action': graphsim supports adminAssign, adminUpdate and adminRemove.")
	}
	return nil
}

func createPartner(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	tid := str(body["tenantId"])
	if len(tid) != 36 || strings.Count(tid, "-") != 4 {
		return badRequest("Invalid value specified for property 'tenantId'.")
	}
	if s.tenant.colls["crossTenantAccessPolicyConfigurationPartner"].byKey[strings.ToLower(tid)] != nil {
		return errf(http.StatusConflict, "Request_BadRequest", "A configuration for partner tenant '%s' already exists.", tid)
	}
	body["isServiceProvider"] = nil
	body["isInMultiTenantOrganization"] = false
	return nil
}

func createGroupSetting(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	tmpl := t.lookup(kindByName["groupSettingTemplate"], str(body["templateId"]))
	if tmpl == nil {
		return notFound(str(body["templateId"]))
	}
	for _, g := range t.colls["groupSetting"].byKey {
		if strings.EqualFold(str(g.get("templateId")), tmpl.key()) {
			return badRequest("A conflicting object with one or more of the specified property values is present in the directory.")
		}
	}
	body["displayName"] = tmpl.get("displayName")
	return nil
}

func createDomain(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	name := strings.ToLower(str(body["id"]))
	if !strings.Contains(name, ".") {
		return badRequest("Invalid domain name '%s'.", name)
	}
	body["id"] = name
	body["isVerified"] = false
	body["isDefault"] = false
	body["isInitial"] = false
	body["isRoot"] = true
	body["isAdminManaged"] = true
	body["authenticationType"] = "Managed"
	body["supportedServices"] = []any{}
	return nil
}
