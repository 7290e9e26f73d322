package builtin

import (
	"crypto/sha1"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// Well-known identifiers that are the same in every tenant.
const (
	// MicrosoftTenantID is the tenant that owns Microsoft's first-party
	// applications (appOwnerOrganizationId of their service principals).
	MicrosoftTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

	MicrosoftGraphAppID              = "00000003-0000-0000-c000-000000000000"
	ExchangeOnlineAppID              = "00000002-0000-0ff1-ce00-000000000000"
	SharePointOnlineAppID            = "00000003-0000-0ff1-ce00-000000000000"
	WindowsAzureActiveDirectoryAppID = "00000002-0000-0000-c000-000000000000"

	GlobalAdministratorRoleID  = "62e90394-69f5-4237-9190-012177145e10"
	DirectoryReadersRoleID     = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	UserRoleID                 = "a0b1b346-4d3e-4e8b-98f8-753987be4970"
	GuestUserRoleID            = "10dae51f-b6af-4016-8d66-8c2a99b929b3"
	RestrictedGuestUserRoleID  = "2af84b1e-32c8-42b7-82bc-daa82404023b"
	SecurityDefaultsPolicyID   = "00000000-0000-0000-0000-000000000005"
	GroupUnifiedSettingsTmplID = "62375ab9-6b52-47ed-826b-58e47e0e304b"
)

// Keys of the map returned by PolicyDefaults.
const (
	KeyAuthorizationPolicy            = "authorizationPolicy"
	KeySecurityDefaults               = "identitySecurityDefaultsEnforcementPolicy"
	KeyCrossTenantAccessPolicy        = "crossTenantAccessPolicy"
	KeyCrossTenantAccessPolicyDefault = "crossTenantAccessPolicyDefault"
	KeyAuthenticationMethodsPolicy    = "authenticationMethodsPolicy"
	KeyOrganization                   = "organization"
	KeyDomain                         = "domain"
)

//go:embed data/*.json
var dataFS embed.FS

// AppRoleSource records where the id of one Microsoft Graph app role came from.
type AppRoleSource struct {
	Value string `json:"value"` // permission name, e.g. "User.Read.All"
	ID    string `json:"id"`
	// IDSources names the sources that agree on ID: "devx-descriptions",
	// "devx-provisioning", "merill", or "synthetic" (a UUIDv5 of the name, see SyntheticID).
	IDSources []string `json:"idSources"`
	// Aliases are other spellings of Value, differing only in case, that the
	// permission map lists as separate entries; Graph has one role for them.
	Aliases []string `json:"aliases"`
}

// Synthetic reports whether the id is a derived stand-in, not a published value.
func (s AppRoleSource) Synthetic() bool {
	return len(s.IDSources) == 1 && s.IDSources[0] == "synthetic"
}

type store struct {
	roles        []any
	graphSP      map[string]any
	otherSPs     []any
	policies     map[string]any
	permNames    []string
	roleSources  []AppRoleSource
	appRoleByKey map[string]string // lower-cased permission (and alias) → app role id
}

var (
	loadOnce sync.Once
	loaded   *store
	loadErr  error
)

func data() *store {
	loadOnce.Do(func() { loaded, loadErr = load() })
	if loadErr != nil {
		// The data is embedded and checked by the package tests; failing here
		// means the build itself is broken.
		panic("graphsim/builtin: " + loadErr.Error())
	}
	return loaded
}

func load() (*store, error) {
	s := &store{}
	files := []struct {
		name string
		dst  any
	}{
		{"data/roleDefinitions.json", &s.roles},
		{"data/graphServicePrincipal.json", &s.graphSP},
		{"data/otherFirstPartyServicePrincipals.json", &s.otherSPs},
		{"data/policies.json", &s.policies},
		{"data/graphAppPermissionNames.json", &s.permNames},
		{"data/graphAppRoleSources.json", &s.roleSources},
	}
	for _, f := range files {
		b, err := dataFS.ReadFile(f.name)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, f.dst); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	addDocumentedAppRoles(s)
	s.appRoleByKey = make(map[string]string, len(s.roleSources)+4)
	for _, r := range s.roleSources {
		s.appRoleByKey[strings.ToLower(r.Value)] = r.ID
		for _, a := range r.Aliases {
			s.appRoleByKey[strings.ToLower(a)] = r.ID
		}
	}
	return s, nil
}

// RoleDefinitions returns the built-in directory role definitions
// (GET /roleManagement/directory/roleDefinitions) as Graph v1.0 returns them,
// sorted by displayName. Each has id == templateId. inheritsPermissionsFrom is
// a navigation property: it is included as [{"id": ...}] and should only be
// sent when the request expands it. The result is a fresh copy.
func RoleDefinitions() []map[string]any {
	return copyObjects(data().roles)
}

// RoleDefinition returns the built-in role definition with the given id
// (== templateId), case-insensitively.
func RoleDefinition(id string) (map[string]any, bool) {
	for _, r := range data().roles {
		m := r.(map[string]any)
		if strings.EqualFold(m["id"].(string), id) {
			return deepCopy(m).(map[string]any), true
		}
	}
	return nil, false
}

// MicrosoftGraphServicePrincipal returns the Microsoft Graph first-party
// service principal without "id" (object ids are tenant-specific; the
// emulator assigns one). appRoles holds one role per Graph application
// permission; oauth2PermissionScopes a handful of common delegated scopes.
func MicrosoftGraphServicePrincipal() map[string]any {
	return deepCopy(data().graphSP).(map[string]any)
}

// FirstPartyServicePrincipals returns Microsoft Graph followed by Office 365
// Exchange Online, Office 365 SharePoint Online and Windows Azure Active
// Directory, all without "id".
func FirstPartyServicePrincipals() []map[string]any {
	out := []map[string]any{MicrosoftGraphServicePrincipal()}
	return append(out, copyObjects(data().otherSPs)...)
}

// AppRoleID returns the id of the Microsoft Graph app role (application
// permission) with the given value, e.g. "User.Read.All". Matching ignores
// case, as Entra does for permission values.
func AppRoleID(permission string) (string, bool) {
	id, ok := data().appRoleByKey[strings.ToLower(permission)]
	return id, ok
}

// AppRoleSources lists every Microsoft Graph app role with the provenance of
// its id, sorted by value.
func AppRoleSources() []AppRoleSource {
	src := data().roleSources
	out := make([]AppRoleSource, len(src))
	for i, r := range src {
		r.IDSources = append([]string(nil), r.IDSources...)
		r.Aliases = append([]string(nil), r.Aliases...)
		out[i] = r
	}
	return out
}

// GraphApplicationPermissions is the list of permission names this package
// was built from: every permission in shared/graph-metadata/permissions.json
// whose schemes include "Application", in that file's order (it may contain
// spellings that differ only in case).
func GraphApplicationPermissions() []string {
	return append([]string(nil), data().permNames...)
}

// SyntheticID derives the deterministic stand-in id this package uses where
// no public value was found: the RFC 4122 version 5 (SHA-1) UUID, in the URL
// namespace, of "urn:entrasnap:graphsim:builtin:<kind>:<name>". Kind is
// "graphAppRole" for Graph app roles.
func SyntheticID(kind, name string) string {
	// RFC 4122 URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte("urn:entrasnap:graphsim:builtin:" + kind + ":" + name))
	u := h.Sum(nil)[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// PolicyDefaults returns the tenant-wide singletons of a new tenant as Graph
// v1.0 returns them, keyed by the Key* constants:
//
//   - authorizationPolicy: GET /policies/authorizationPolicy
//   - identitySecurityDefaultsEnforcementPolicy: GET /policies/identitySecurityDefaultsEnforcementPolicy
//   - crossTenantAccessPolicy: GET /policies/crossTenantAccessPolicy (no id; its
//     default configuration is a separate entry)
//   - crossTenantAccessPolicyDefault: GET /policies/crossTenantAccessPolicy/default
//   - authenticationMethodsPolicy: GET /policies/authenticationMethodsPolicy, with
//     authenticationMethodConfigurations inline as Graph returns them
//   - organization: GET /organization/{tenantID}
//   - domain: GET /domains/{initialDomain}
//
// Timestamps a real tenant fills at creation (organization createdDateTime,
// authenticationMethodsPolicy lastModifiedDateTime) are null; the emulator
// sets them from its clock.
func PolicyDefaults(tenantID, tenantName, initialDomain string) map[string]map[string]any {
	p := data().policies
	out := map[string]map[string]any{}
	for _, k := range []string{KeyAuthorizationPolicy, KeySecurityDefaults, KeyCrossTenantAccessPolicy,
		KeyCrossTenantAccessPolicyDefault, KeyAuthenticationMethodsPolicy} {
		out[k] = deepCopy(p[k]).(map[string]any)
	}
	out[KeyOrganization] = Organization(tenantID, tenantName, initialDomain)
	out[KeyDomain] = InitialDomain(initialDomain)
	return out
}

// AuthenticationMethodConfigurations returns the default method
// configurations (GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations),
// each with its @odata.type and id (Fido2, MicrosoftAuthenticator, Sms,
// TemporaryAccessPass, SoftwareOath, Voice, Email, X509Certificate).
func AuthenticationMethodConfigurations() []map[string]any {
	amp := data().policies[KeyAuthenticationMethodsPolicy].(map[string]any)
	return copyObjects(amp["authenticationMethodConfigurations"].([]any))
}

// AuthenticationStrengthPolicies returns the three built-in authentication
// strengths (GET /policies/authenticationStrengthPolicies).
func AuthenticationStrengthPolicies() []map[string]any {
	return copyObjects(data().policies["authenticationStrengthPolicies"].([]any))
}

// GroupSettingTemplates returns the group setting templates every tenant has
// (GET /groupSettingTemplates).
func GroupSettingTemplates() []map[string]any {
	return copyObjects(data().policies["groupSettingTemplates"].([]any))
}

// Organization returns the organization object of a new tenant whose only
// domain is initialDomain (for example "contoso.onmicrosoft.com").
func Organization(tenantID, tenantName, initialDomain string) map[string]any {
	return map[string]any{
		"id":                                   tenantID,
		"deletedDateTime":                      nil,
		"assignedPlans":                        []any{},
		"businessPhones":                       []any{},
		"city":                                 nil,
		"country":                              nil,
		"countryLetterCode":                    "US",
		"createdDateTime":                      nil,
		"defaultUsageLocation":                 nil,
		"displayName":                          tenantName,
		"marketingNotificationEmails":          []any{},
		"onPremisesLastSyncDateTime":           nil,
		"onPremisesSyncEnabled":                nil,
		"partnerTenantType":                    nil,
		"postalCode":                           nil,
		"preferredLanguage":                    "en",
		"privacyProfile":                       nil,
		"provisionedPlans":                     []any{},
		"securityComplianceNotificationMails":  []any{},
		"securityComplianceNotificationPhones": []any{},
		"state":                                nil,
		"street":                               nil,
		"technicalNotificationMails":           []any{},
		"tenantType":                           "AAD",
		"verifiedDomains": []any{map[string]any{
			"capabilities": "Email, OfficeCommunicationsOnline",
			"isDefault":    true,
			"isInitial":    true,
			"name":         strings.ToLower(initialDomain),
			"type":         "Managed",
		}},
	}
}

// InitialDomain returns the domain object of a tenant's initial
// <name>.onmicrosoft.com domain; its id is the domain name.
func InitialDomain(initialDomain string) map[string]any {
	return map[string]any{
		"id":                               strings.ToLower(initialDomain),
		"authenticationType":               "Managed",
		"availabilityStatus":               nil,
		"isAdminManaged":                   true,
		"isDefault":                        true,
		"isInitial":                        true,
		"isRoot":                           true,
		"isVerified":                       true,
		"passwordNotificationWindowInDays": nil,
		"passwordValidityPeriodInDays":     nil,
		"state":                            nil,
		"supportedServices":                []any{"Email", "OfficeCommunicationsOnline"},
	}
}

func copyObjects(in []any) []map[string]any {
	out := make([]map[string]any, len(in))
	for i, v := range in {
		out[i] = deepCopy(v).(map[string]any)
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

// documentedAppRoles are Microsoft Graph application permissions that
// Graph's documentation names but permissions.json@6cbd6bbd does not (it
// holds only empty "LifeCycleInfo.*" entries): the resource page of user
// (employeeLeaveDateTime) and tutorial-lifecycle-workflows-set-employeeleavedatetime
// name User-LifeCycleInfo.Read.All and User-LifeCycleInfo.ReadWrite.All.
// Their ids are synthetic (SyntheticID).
var documentedAppRoles = []struct{ value, description string }{
	{"User-LifeCycleInfo.Read.All", "Allows the app to read the lifecycle information like employeeLeaveDateTime of users in your organization, without a signed-in user."},
	{"User-LifeCycleInfo.ReadWrite.All", "Allows the app to read and write the lifecycle information like employeeLeaveDateTime of users in your organization, without a signed-in user."},
	// PIM role settings (graphsim/pim.go): permissions.json@6cbd6bbd lists
	// them for delegated callers only; policyroot-list-rolemanagementpolicies
	// and unifiedrolemanagementpolicyrule-update name them for applications.
	{"RoleManagementPolicy.Read.Directory", "Allows the app to read policies for privileged role-based access control (RBAC) assignments of your company's directory, without a signed-in user."},
	{"RoleManagementPolicy.ReadWrite.Directory", "Allows the app to read, update, and delete policies for privileged role-based access control (RBAC) assignments of your company's directory, without a signed-in user."},
}

func addDocumentedAppRoles(s *store) {
	roles, _ := s.graphSP["appRoles"].([]any)
	for _, r := range documentedAppRoles {
		id := SyntheticID("graphAppRole", r.value)
		roles = append(roles, map[string]any{"allowedMemberTypes": []any{"Application"}, "description": r.description,
			"displayName": r.value, "id": id, "isEnabled": true, "origin": "Application", "value": r.value})
		s.roleSources = append(s.roleSources, AppRoleSource{Value: r.value, ID: id, IDSources: []string{"synthetic"}, Aliases: []string{}})
		s.permNames = append(s.permNames, r.value)
	}
	s.graphSP["appRoles"] = roles
}
