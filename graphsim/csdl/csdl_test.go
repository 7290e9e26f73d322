package csdl

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestLookupNameForms(t *testing.T) {
	for _, n := range []string{"user", "microsoft.graph.user", "#microsoft.graph.user"} {
		u, ok := Lookup(n)
		if !ok {
			t.Fatalf("Lookup(%q) failed", n)
		}
		if u.Name != "user" || u.QualifiedName() != "microsoft.graph.user" || u.ODataType() != "#microsoft.graph.user" {
			t.Errorf("Lookup(%q) = %q/%q/%q", n, u.Name, u.QualifiedName(), u.ODataType())
		}
		if u.Kind != KindEntity || u.BaseType != "directoryObject" {
			t.Errorf("user kind/base = %q/%q", u.Kind, u.BaseType)
		}
	}
	if _, ok := Lookup("noSuchType"); ok {
		t.Error("Lookup(noSuchType) succeeded")
	}
	if _, ok := Lookup("User"); ok {
		t.Error("Lookup is case-sensitive, as CSDL names are")
	}
}

func TestRootsPresent(t *testing.T) {
	want := []string{
		"user", "group", "application", "servicePrincipal", "appRoleAssignment", "oAuth2PermissionGrant",
		"conditionalAccessPolicy", "namedLocation", "ipNamedLocation", "countryNamedLocation",
		"authenticationStrengthPolicy", "authenticationMethodsPolicy", "authenticationMethodConfiguration",
		"fido2AuthenticationMethodConfiguration", "microsoftAuthenticatorAuthenticationMethodConfiguration",
		"smsAuthenticationMethodConfiguration", "temporaryAccessPassAuthenticationMethodConfiguration",
		"softwareOathAuthenticationMethodConfiguration", "voiceAuthenticationMethodConfiguration",
		"emailAuthenticationMethodConfiguration", "x509CertificateAuthenticationMethodConfiguration",
		"administrativeUnit", "scopedRoleMembership", "unifiedRoleDefinition", "unifiedRoleAssignment",
		"unifiedRoleEligibilitySchedule", "unifiedRoleEligibilityScheduleRequest", "authorizationPolicy",
		"identitySecurityDefaultsEnforcementPolicy", "crossTenantAccessPolicy",
		"crossTenantAccessPolicyConfigurationDefault", "crossTenantAccessPolicyConfigurationPartner",
		"tokenLifetimePolicy", "claimsMappingPolicy", "groupSetting", "groupSettingTemplate",
		"organization", "domain", "directoryObject",
	}
	for _, n := range want {
		if _, ok := Lookup(n); !ok {
			t.Errorf("root %s missing from the table", n)
		}
		if !slices.Contains(Roots(), n) {
			t.Errorf("root %s missing from Roots()", n)
		}
	}
	if m := MissingRoots(); len(m) != 0 {
		t.Errorf("MissingRoots() = %v", m)
	}
	if !strings.HasPrefix(Source(), "v1.0-Prod.csdl sha256:") {
		t.Errorf("Source() = %q", Source())
	}
	// Every base type in the table resolves, so chains are complete.
	for _, n := range Types() {
		ty, _ := Lookup(n)
		if ty.BaseType != "" && ty.Base() == nil {
			t.Errorf("%s: base %s not in the table", n, ty.BaseType)
		}
		if ty.Kind == KindEnum && len(ty.Members) == 0 {
			t.Errorf("enum %s has no members", n)
		}
	}
}

func TestAuthenticationMethodConfigurationDerived(t *testing.T) {
	base, _ := Lookup("authenticationMethodConfiguration")
	if !base.Abstract {
		t.Error("authenticationMethodConfiguration should be abstract")
	}
	d := base.DerivedTypes()
	for _, n := range []string{"fido2AuthenticationMethodConfiguration", "x509CertificateAuthenticationMethodConfiguration", "voiceAuthenticationMethodConfiguration"} {
		if !slices.Contains(d, n) {
			t.Errorf("DerivedTypes() lacks %s: %v", n, d)
		}
	}
}

func TestUserProperties(t *testing.T) {
	u, _ := Lookup("user")
	p, ok := u.Property("userPrincipalName")
	if !ok || p.Type != "Edm.String" || p.Collection {
		t.Fatalf("userPrincipalName = %+v, %v", p, ok)
	}
	p, ok = u.Property("deletedDateTime") // from directoryObject
	if !ok || p.Type != "Edm.DateTimeOffset" {
		t.Fatalf("deletedDateTime = %+v, %v", p, ok)
	}
	p, ok = u.Property("id") // from entity
	if !ok || p.Nullable {
		t.Fatalf("id = %+v, %v", p, ok)
	}
	if _, ok := u.Property("UserPrincipalName"); ok {
		t.Error("Property should be case-sensitive")
	}
	p, _ = u.Property("businessPhones")
	if !p.Collection || p.ElemType() != "Edm.String" || p.Type != "Collection(Edm.String)" {
		t.Errorf("businessPhones = %+v", p)
	}
	p, _ = u.Property("passwordProfile")
	if p.Type != "microsoft.graph.passwordProfile" {
		t.Errorf("passwordProfile type = %q", p.Type)
	}
	props := u.Properties()
	if !slices.IsSortedFunc(props, func(a, b Property) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Properties() not sorted")
	}
	names := map[string]bool{}
	for _, p := range props {
		names[p.Name] = true
	}
	for _, n := range []string{"id", "deletedDateTime", "accountEnabled", "displayName", "identities"} {
		if !names[n] {
			t.Errorf("Properties() lacks %s", n)
		}
	}
	n, ok := u.Navigation("manager")
	if !ok || n.Type != "microsoft.graph.directoryObject" || n.Collection {
		t.Errorf("manager nav = %+v, %v", n, ok)
	}
	if !u.IsDerivedFrom("directoryObject") || !u.IsDerivedFrom("#microsoft.graph.entity") || u.IsDerivedFrom("user") {
		t.Error("IsDerivedFrom wrong for user")
	}
	g, _ := Lookup("group")
	n, ok = g.Navigation("members")
	if !ok || !n.Collection || n.ElemType() != "microsoft.graph.directoryObject" {
		t.Errorf("group.members = %+v, %v", n, ok)
	}
}

func TestNamedLocations(t *testing.T) {
	ip, ok := Lookup("ipNamedLocation")
	if !ok || !ip.IsDerivedFrom("namedLocation") {
		t.Fatal("ipNamedLocation should derive from namedLocation")
	}
	p, ok := ip.Property("ipRanges")
	if !ok || p.Type != "Collection(microsoft.graph.ipRange)" {
		t.Fatalf("ipRanges = %+v, %v", p, ok)
	}
	if _, ok := ip.Property("displayName"); !ok {
		t.Error("ipNamedLocation should inherit displayName")
	}
	r, _ := Lookup(p.ElemType())
	if !r.Abstract || !slices.Contains(r.DerivedTypes(), "iPv4CidrRange") {
		t.Errorf("ipRange = %+v derived %v", r, r.DerivedTypes())
	}
	nl, _ := Lookup("namedLocation")
	if d := nl.DerivedTypes(); !slices.Contains(d, "ipNamedLocation") || !slices.Contains(d, "countryNamedLocation") {
		t.Errorf("namedLocation derived = %v", d)
	}
	c, _ := Lookup("countryNamedLocation")
	p, _ = c.Property("countryLookupMethod")
	e, ok := Lookup(p.Type)
	if !ok || e.Kind != KindEnum || !slices.Contains(e.Members, "clientIpAddress") {
		t.Errorf("countryLookupMethod enum = %+v", e)
	}
}

func TestConditionalAccessConditions(t *testing.T) {
	ca, _ := Lookup("conditionalAccessPolicy")
	p, ok := ca.Property("conditions")
	if !ok {
		t.Fatal("no conditions")
	}
	cs, ok := Lookup(p.Type)
	if !ok || cs.Kind != KindComplex || cs.Name != "conditionalAccessConditionSet" {
		t.Fatalf("conditions type = %q", p.Type)
	}
	up, ok := cs.Property("users")
	if !ok {
		t.Fatal("conditionSet has no users")
	}
	users, ok := Lookup(up.Type)
	if !ok {
		t.Fatalf("users type %q not in table", up.Type)
	}
	ig, ok := users.Property("includeGroups")
	if !ok || ig.Type != "Collection(Edm.String)" || !ig.Collection {
		t.Fatalf("includeGroups = %+v, %v", ig, ok)
	}
	gp, _ := users.Property("includeGuestsOrExternalUsers")
	g, _ := Lookup(gp.Type)
	tp, _ := g.Property("guestOrExternalUserTypes")
	e, _ := Lookup(tp.Type)
	if e.Kind != KindEnum || !e.IsFlags {
		t.Errorf("guestOrExternalUserTypes enum = %+v", e)
	}
	if !e.HasMember("internalGuest,b2bCollaborationGuest") || e.HasMember("internalGuest,bogus") {
		t.Error("HasMember wrong for flags enum")
	}
}

// decode parses JSON the way graphsim's handlers do.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON: %v", err)
	}
	return m
}

// Example 1 of learn.microsoft.com/graph/api/conditionalaccessroot-post-policies
// (microsoft-graph-docs-contrib api-reference/v1.0/api/conditionalaccessroot-post-policies.md @02b4cba0).
const caExample1 = `{
    "displayName": "Access to EXO requires MFA",
    "state": "enabled",
    "conditions": {
        "clientAppTypes": [
            "mobileAppsAndDesktopClients",
            "browser"
        ],
        "applications": {
            "includeApplications": [
                "00000002-0000-0ff1-ce00-000000000000"
            ]
        },
        "users": {
            "includeGroups": ["ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"]
        },
        "locations": {
            "includeLocations": [
                "All"
            ],
            "excludeLocations": [
                "AllTrusted"
            ]
        }
    },
    "grantControls": {
        "operator": "OR",
        "builtInControls": [
            "mfa"
        ]
    }
}`

// Example 3 of the same page ("Use all conditions and controls").
const caExample3 = `{
    "displayName": "Demo app for documentation",
    "state": "disabled",
    "conditions": {
        "signInRiskLevels": ["high", "medium"],
        "clientAppTypes": ["mobileAppsAndDesktopClients", "exchangeActiveSync", "other"],
        "applications": {
            "includeApplications": ["All"],
            "excludeApplications": [
                "499b84ac-1321-427f-aa17-267ca6975798",
                "00000007-0000-0000-c000-000000000000"
            ],
            "includeUserActions": []
        },
        "users": {
            "includeUsers": ["a702a13d-a437-4a07-8a7e-8c052de62dfd"],
            "excludeUsers": ["124c5b6a-ffa5-483a-9b88-04c3fce5574a", "GuestsOrExternalUsers"],
            "includeGroups": [],
            "excludeGroups": [],
            "includeRoles": ["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"],
            "excludeRoles": ["b0f54661-2d74-4c50-afa3-1ec803f12efe"]
        },
        "platforms": {
            "includePlatforms": ["all"],
            "excludePlatforms": ["iOS", "windowsPhone"]
        },
        "locations": {
            "includeLocations": ["AllTrusted"],
            "excludeLocations": ["00000000-0000-0000-0000-000000000000", "d2136c9c-b049-47ae-b9cf-316e04ef7198"]
        }
    },
    "grantControls": {
        "operator": "OR",
        "builtInControls": ["mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication"],
        "customAuthenticationFactors": [],
        "termsOfUse": ["ce580154-086a-40fd-91df-8a60abac81a0", "7f29d675-caff-43e1-8a53-1b8516ed2075"]
    },
    "sessionControls": {
        "applicationEnforcedRestrictions": null,
        "persistentBrowser": null,
        "cloudAppSecurity": {
            "cloudAppSecurityType": "blockDownloads",
            "isEnabled": true
        },
        "signInFrequency": {
            "value": 4,
            "type": "hours",
            "isEnabled": true
        }
    }
}`

const applicationBody = `{
    "displayName": "Contoso HR portal",
    "signInAudience": "AzureADMyOrg",
    "identifierUris": ["api://contoso-hr"],
    "tags": ["HR", "WindowsAzureActiveDirectoryIntegratedApp"],
    "web": {
        "homePageUrl": "https://hr.contoso.com",
        "logoutUrl": "https://hr.contoso.com/logout",
        "redirectUris": ["https://hr.contoso.com/signin-oidc", "https://localhost:5001/signin-oidc"],
        "implicitGrantSettings": {"enableIdTokenIssuance": true, "enableAccessTokenIssuance": false}
    },
    "spa": {"redirectUris": []},
    "publicClient": {"redirectUris": []},
    "requiredResourceAccess": [
        {
            "resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [
                {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"},
                {"id": "df021288-bdef-4463-88db-98f22de89214", "type": "Role"}
            ]
        }
    ],
    "api": {
        "requestedAccessTokenVersion": 2,
        "knownClientApplications": [],
        "oauth2PermissionScopes": [{
            "id": "5d2d1a57-6cd5-4a6e-9d3c-0bf8b3a9c0f1",
            "adminConsentDisplayName": "Read HR data",
            "adminConsentDescription": "Allows the app to read HR data.",
            "isEnabled": true,
            "type": "User",
            "value": "HR.Read"
        }]
    },
    "appRoles": [{
        "allowedMemberTypes": ["User"],
        "description": "HR administrators",
        "displayName": "HR Admin",
        "id": "7c1d9a3e-3f0b-4c8e-9a51-2b0e4e7c6d21",
        "isEnabled": true,
        "value": "HR.Admin"
    }],
    "optionalClaims": {"idToken": [{"name": "email", "essential": false, "additionalProperties": []}]},
    "keyCredentials": [{
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": "TUlJQ3lqQ0NBYktnQXdJQkFnSVFLeWs=",
        "displayName": "CN=hr-portal",
        "startDateTime": "2024-01-01T00:00:00Z",
        "endDateTime": "2026-01-01T00:00:00.000Z"
    }],
    "info": {"marketingUrl": null, "privacyStatementUrl": "https://contoso.com/privacy"}
}`

func TestValidateAccepts(t *testing.T) {
	cases := []struct{ typ, body string }{
		{"conditionalAccessPolicy", caExample1},
		{"conditionalAccessPolicy", caExample3},
		{"application", applicationBody},
		{"#microsoft.graph.group", `{"displayName":"Sales","mailEnabled":false,"mailNickname":"sales","securityEnabled":true,
			"groupTypes":[],"members@odata.bind":["https://graph.microsoft.com/v1.0/directoryObjects/4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"],
			"owners@odata.bind":["https://graph.microsoft.com/v1.0/users/26be1845-4119-4801-a799-aea79d09f1a2"]}`},
		{"user", `{"@odata.type":"#microsoft.graph.user","accountEnabled":true,"displayName":"Adele Vance","mailNickname":"AdeleV",
			"userPrincipalName":"AdeleV@contoso.com","passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"xWwvJ]6NMw+bWH-d"},
			"businessPhones":["+1 425 555 0109"],"usageLocation":"US","jobTitle":null,
			"identities":[{"signInType":"userPrincipalName","issuer":"contoso.com","issuerAssignedId":"AdeleV@contoso.com"}],
			"employeeHireDate":"2024-05-01T00:00:00Z",
			"extension_b7d8e648520f41d3b9c0fdeb91768a0a_jobGroup":"JobGroupN",
			"contoso_courses":{"id":"c1"}}`},
		{"namedLocation", `{"@odata.type":"#microsoft.graph.ipNamedLocation","displayName":"Untrusted IP named location","isTrusted":false,
			"ipRanges":[{"@odata.type":"#microsoft.graph.iPv4CidrRange","cidrAddress":"12.34.221.11/22"},
			{"@odata.type":"#microsoft.graph.iPv6CidrRange","cidrAddress":"2001:0:9d38:90d6:0:0:0:0/63"}]}`},
		{"countryNamedLocation", `{"@odata.type":"#microsoft.graph.countryNamedLocation","displayName":"Named location with unknown countries and regions",
			"countriesAndRegions":["US","GB"],"includeUnknownCountriesAndRegions":true,"countryLookupMethod":"clientIpAddress"}`},
		{"conditionalAccessPolicy", `{"conditions":{"users":{"includeGuestsOrExternalUsers":{
			"guestOrExternalUserTypes":"internalGuest,b2bCollaborationGuest",
			"externalTenants":{"@odata.type":"#microsoft.graph.conditionalAccessEnumeratedExternalTenants","membershipKind":"enumerated","members":["x"]}}}}}`},
		{"administrativeUnit", `{"displayName":"Seattle District","visibility":"HiddenMembership","membershipType":"Dynamic","extension_0123_x":1}`},
		{"groupSetting", `{"templateId":"62375ab9-6b52-47ed-826b-58e47e0e304b","values":[{"name":"AllowToAddGuests","value":"false"}],"whatever":1}`},
		{"appRoleAssignment", `{"principalId":"33ad69f9-da99-4bed-acd0-3f24235cb296","resourceId":"9028d19c-26a9-4809-8e3f-20ff73e2d75e","appRoleId":"ef7437e6-4f94-4a0a-a110-a439eb2aa8f7"}`},
		{"authenticationStrengthPolicy", `{"displayName":"Contoso","allowedCombinations":["password,sms","fido2"]}`},
		{"scopedRoleMembership", `{"roleId":"fe930be7-5e62-47db-91af-98c3a49a38b1","roleMemberInfo":{"id":"1a9db2a2-1b52-4ce3-9f6f-e5d8c6b1ea36","anything":"open"}}`},
		{"user", `{"deviceEnrollmentLimit":5,"manager":null}`},
	}
	for i, c := range cases {
		if err := ValidatePayload(c.typ, decode(t, c.body)); err != nil {
			t.Errorf("case %d (%s): unexpected error: %v", i, c.typ, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct{ typ, body, msg, path string }{
		{"user", `{"foo":1}`, "Property 'foo' does not exist as a declared property or extension property.", "foo"},
		{"user", `{"accountEnabled":"yes"}`, "Invalid value specified for property 'accountEnabled' of resource 'User'.", "accountEnabled"},
		{"user", `{"displayName":42}`, "Invalid value specified for property 'displayName' of resource 'User'.", "displayName"},
		{"user", `{"businessPhones":"+1 425"}`, "Invalid value specified for property 'businessPhones' of resource 'User'.", "businessPhones"},
		{"user", `{"businessPhones":null}`, "Invalid value specified for property 'businessPhones' of resource 'User'.", "businessPhones"},
		{"user", `{"businessPhones":[null]}`, "Invalid value specified for property 'businessPhones' of resource 'User'.", "businessPhones[0]"},
		{"user", `{"displayName":{"a":1}}`, "Invalid value specified for property 'displayName' of resource 'User'.", "displayName"},
		{"user", `{"deviceEnrollmentLimit":1.5}`, "Invalid value specified for property 'deviceEnrollmentLimit' of resource 'User'.", "deviceEnrollmentLimit"},
		{"user", `{"passwordProfile":"secret"}`, "Invalid value specified for property 'passwordProfile' of resource 'User'.", "passwordProfile"},
		{"user", `{"passwordProfile":{"pasword":"x"}}`, "Property 'pasword' does not exist as a declared property or extension property.", "passwordProfile.pasword"},
		{"user", `{"id":null}`, "Invalid value specified for property 'id' of resource 'User'.", "id"},
		{"user", `{"employeeHireDate":"yesterday"}`, "Invalid value specified for property 'employeeHireDate' of resource 'User'.", "employeeHireDate"},
		{"user", `{"manager":[]}`, "Invalid value specified for property 'manager' of resource 'User'.", "manager"},
		{"appRoleAssignment", `{"appRoleId":"not-a-guid"}`, "Invalid value specified for property 'appRoleId' of resource 'AppRoleAssignment'.", "appRoleId"},
		{"appRoleAssignment", `{"x_y":1}`, "Property 'x_y' does not exist as a declared property or extension property.", "x_y"},
		{"conditionalAccessPolicy", `{"conditions":{"users":{"includeGroups":[],"includeGroup":["x"]}}}`,
			"Property 'includeGroup' does not exist as a declared property or extension property.", "conditions.users.includeGroup"},
		{"conditionalAccessPolicy", `{"state":"on"}`, "Invalid value specified for property 'state' of resource 'ConditionalAccessPolicy'.", "state"},
		{"conditionalAccessPolicy", `{"conditions":{"users":{"includeGroups":"g1"}}}`,
			"Invalid value specified for property 'includeGroups' of resource 'ConditionalAccessUsers'.", "conditions.users.includeGroups"},
		{"conditionalAccessPolicy", `{"conditions":{"users":{"includeGuestsOrExternalUsers":{"guestOrExternalUserTypes":"internalGuest,alien"}}}}`,
			"Invalid value specified for property 'guestOrExternalUserTypes' of resource 'ConditionalAccessGuestsOrExternalUsers'.",
			"conditions.users.includeGuestsOrExternalUsers.guestOrExternalUserTypes"},
		{"conditionalAccessPolicy", `{"state":"enabled,disabled"}`, "Invalid value specified for property 'state' of resource 'ConditionalAccessPolicy'.", "state"},
		{"namedLocation", `{"@odata.type":"#microsoft.graph.countryNamedLocation","ipRanges":[]}`,
			"Property 'ipRanges' does not exist as a declared property or extension property.", "ipRanges"},
		{"namedLocation", `{"@odata.type":"#microsoft.graph.ipNamedLocation","ipRanges":[{"cidrAddress":"1.2.3.4/32"}]}`,
			"Property 'cidrAddress' does not exist as a declared property or extension property.", "ipRanges[0].cidrAddress"},
		{"namedLocation", `{"@odata.type":"#microsoft.graph.user"}`,
			"A resource with type 'microsoft.graph.user' was found, but it is not assignable to the expected type 'microsoft.graph.namedLocation'. The type specified in the resource must be equal to either the expected type or a derived type.",
			"@odata.type"},
		{"namedLocation", `{"@odata.type":"#microsoft.graph.nope"}`,
			"A type named 'microsoft.graph.nope' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.",
			"@odata.type"},
	}
	for i, c := range cases {
		err := ValidatePayload(c.typ, decode(t, c.body))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("case %d (%s %s): want ValidationError, got %v", i, c.typ, c.body, err)
			continue
		}
		if err.Error() != c.msg || ve.Path != c.path {
			t.Errorf("case %d (%s %s):\n got %q at %q\nwant %q at %q", i, c.typ, c.body, err.Error(), ve.Path, c.msg, c.path)
		}
	}
	if err := ValidatePayload("noSuchType", map[string]any{}); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestValidateGoValues(t *testing.T) {
	// Bodies built in Go rather than decoded from JSON.
	body := map[string]any{
		"deviceEnrollmentLimit": 3,
		"businessPhones":        []string{"+1 425 555 0109"},
		"otherMails":            []any{},
		"accountEnabled":        false,
	}
	if err := ValidatePayload("user", body); err != nil {
		t.Fatal(err)
	}
	if err := ValidatePayload("user", map[string]any{"deviceEnrollmentLimit": json.Number("7")}); err != nil {
		t.Fatal(err)
	}
	if err := ValidatePayload("user", map[string]any{"deviceEnrollmentLimit": int64(1) << 40}); err == nil {
		t.Fatal("Int32 overflow accepted")
	}
}
