package builtin

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestEmbeddedJSONParses(t *testing.T) {
	total := 0
	err := fs.WalkDir(dataFS, "data", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := dataFS.ReadFile(path)
		if err != nil {
			return err
		}
		total += len(b)
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > 1_500_000 {
		t.Errorf("embedded data is %d bytes; keep it under ~1.5 MB", total)
	}
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
}

func TestRoleDefinitions(t *testing.T) {
	roles := RoleDefinitions()
	if len(roles) < 30 {
		t.Fatalf("got %d role definitions, want at least 30", len(roles))
	}
	seen := map[string]bool{}
	names := map[string]string{}
	for _, r := range roles {
		id, _ := r["id"].(string)
		name, _ := r["displayName"].(string)
		if !guidRE.MatchString(id) {
			t.Errorf("%q: id %q is not a lower-case GUID", name, id)
		}
		if r["templateId"] != id {
			t.Errorf("%q: templateId %v != id %q", name, r["templateId"], id)
		}
		if seen[id] {
			t.Errorf("duplicate role id %s", id)
		}
		seen[id] = true
		names[name] = id
		if r["isBuiltIn"] != true || r["isEnabled"] != true || r["version"] != "1" {
			t.Errorf("%q: isBuiltIn/isEnabled/version = %v/%v/%v", name, r["isBuiltIn"], r["isEnabled"], r["version"])
		}
		if rs, _ := r["resourceScopes"].([]any); len(rs) != 1 || rs[0] != "/" {
			t.Errorf("%q: resourceScopes %v", name, r["resourceScopes"])
		}
		perms, _ := r["rolePermissions"].([]any)
		for _, p := range perms {
			pm := p.(map[string]any)
			if _, ok := pm["condition"]; !ok {
				t.Errorf("%q: rolePermission without condition key", name)
			}
			// A few preview roles really have an empty action list; the key is always there.
			if _, ok := pm["allowedResourceActions"].([]any); !ok {
				t.Errorf("%q: rolePermission without allowedResourceActions array", name)
			}
		}
		for _, k := range []string{"description", "inheritsPermissionsFrom"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%q: missing %s", name, k)
			}
		}
	}
	want := map[string]string{
		"Global Administrator":                    GlobalAdministratorRoleID,
		"Privileged Role Administrator":           "e8611ab8-c189-46e8-94e1-60213ab1f814",
		"User Administrator":                      "fe930be7-5e62-47db-91af-98c3a49a38b1",
		"Groups Administrator":                    "fdd7a751-b60b-444a-984c-02652fe8fa1c",
		"Application Administrator":               "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
		"Cloud Application Administrator":         "158c047a-c907-4556-b7ef-446551a6b5f7",
		"Conditional Access Administrator":        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
		"Security Administrator":                  "194ae4cb-b126-40b2-bd5b-6091b380977d",
		"Security Reader":                         "5d6b6bb7-de71-4623-b4af-96380a352509",
		"Global Reader":                           "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
		"Helpdesk Administrator":                  "729827e3-9c14-49f7-bb1b-9608f156bbb8",
		"Authentication Administrator":            "c4e39bd9-1100-46d3-8c65-fb160da0071f",
		"Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
		"Exchange Administrator":                  "29232cdf-9323-42fd-ade2-1d097af3e4de",
		"SharePoint Administrator":                "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
		"Teams Administrator":                     "69091246-20e8-4a56-aa4d-066075b2a7a8",
		"Intune Administrator":                    "3a2c62db-5318-420d-8d74-23affee5d9d5",
		"Billing Administrator":                   "b0f54661-2d74-4c50-afa3-1ec803f12efe",
		"Reports Reader":                          "4a5d8f65-41da-4de4-8968-e035b65339cf",
		"Directory Readers":                       DirectoryReadersRoleID,
		"Directory Writers":                       "9360feb5-f418-4baa-8175-e2a00bac4301",
		"License Administrator":                   "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
		"Password Administrator":                  "966707d0-3269-4727-9be2-8c3a10f19b9d",
		"Authentication Policy Administrator":     "0526716b-113d-4c15-b2c8-68e3c22b9f80",
		"Hybrid Identity Administrator":           "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
		"Compliance Administrator":                "17315797-102d-40b4-93e0-432062caca18",
		"Application Developer":                   "cf1c38e5-3621-4004-a7cb-879624dced7c",
		"Guest Inviter":                           "95e79109-95c0-4d8e-aee3-d01accf2d47b",
		"User":                                    UserRoleID,
		"Guest User":                              GuestUserRoleID,
		"Restricted Guest User":                   RestrictedGuestUserRoleID,
	}
	for name, id := range want {
		if got, ok := names[name]; !ok || got != id {
			t.Errorf("role %q: id %q (present %v), want %q", name, got, ok, id)
		}
	}
	for _, name := range []string{"Global Administrator", "User Administrator", "Directory Readers", "User"} {
		r, _ := RoleDefinition(names[name])
		acts := r["rolePermissions"].([]any)[0].(map[string]any)["allowedResourceActions"].([]any)
		if len(acts) == 0 || !strings.HasPrefix(acts[0].(string), "microsoft.") {
			t.Errorf("%q: actions %v", name, acts)
		}
	}
	ga, ok := RoleDefinition(strings.ToUpper(GlobalAdministratorRoleID))
	if !ok || ga["displayName"] != "Global Administrator" {
		t.Errorf("RoleDefinition(Global Administrator) = %v, %v", ga["displayName"], ok)
	}
}

func TestGraphServicePrincipal(t *testing.T) {
	sp := MicrosoftGraphServicePrincipal()
	for k, want := range map[string]any{
		"appId":                  MicrosoftGraphAppID,
		"appOwnerOrganizationId": MicrosoftTenantID,
		"servicePrincipalType":   "Application",
		"displayName":            "Microsoft Graph",
		"appDisplayName":         "Microsoft Graph",
		"accountEnabled":         true,
	} {
		if sp[k] != want {
			t.Errorf("%s = %v, want %v", k, sp[k], want)
		}
	}
	if _, ok := sp["id"]; ok {
		t.Error("Graph service principal must not carry a tenant-specific id")
	}

	roles := sp["appRoles"].([]any)
	byValue := map[string]map[string]any{}
	ids := map[string]string{}
	for _, r := range roles {
		m := r.(map[string]any)
		v := m["value"].(string)
		id := m["id"].(string)
		if !guidRE.MatchString(id) {
			t.Errorf("app role %s: id %q is not a lower-case GUID", v, id)
		}
		if prev, dup := ids[id]; dup {
			t.Errorf("app role id %s used by %s and %s", id, prev, v)
		}
		ids[id] = v
		lv := strings.ToLower(v)
		if _, dup := byValue[lv]; dup {
			t.Errorf("duplicate app role value %s", v)
		}
		byValue[lv] = m
		if mt := m["allowedMemberTypes"].([]any); len(mt) != 1 || mt[0] != "Application" {
			t.Errorf("app role %s: allowedMemberTypes %v", v, mt)
		}
		if m["isEnabled"] != true || m["origin"] != "Application" || m["displayName"] == "" || m["description"] == nil {
			t.Errorf("app role %s: %v", v, m)
		}
	}

	// Every application permission of the embedded permission list has a role,
	// with the id AppRoleID reports.
	names := GraphApplicationPermissions()
	if len(names) < 500 {
		t.Fatalf("only %d application permissions embedded", len(names))
	}
	for _, n := range names {
		r, ok := byValue[strings.ToLower(n)]
		if !ok {
			t.Errorf("no app role for application permission %s", n)
			continue
		}
		if id, ok := AppRoleID(n); !ok || id != r["id"] {
			t.Errorf("AppRoleID(%s) = %q, %v; role has %v", n, id, ok, r["id"])
		}
	}

	// Provenance list matches the roles, and synthetic ids are derived as documented.
	src := AppRoleSources()
	if len(src) != len(roles) {
		t.Errorf("%d provenance entries for %d app roles", len(src), len(roles))
	}
	synthetic := 0
	for _, s := range src {
		if r, ok := byValue[strings.ToLower(s.Value)]; !ok || r["id"] != s.ID {
			t.Errorf("provenance %s/%s does not match the service principal", s.Value, s.ID)
		}
		if s.Synthetic() {
			synthetic++
			if s.ID != SyntheticID("graphAppRole", s.Value) {
				t.Errorf("synthetic id of %s is %s, want %s", s.Value, s.ID, SyntheticID("graphAppRole", s.Value))
			}
		}
	}
	if synthetic > len(src)/10 {
		t.Errorf("%d of %d app role ids are synthetic", synthetic, len(src))
	}

	scopes := sp["oauth2PermissionScopes"].([]any)
	scopeIDs := map[string]string{}
	for _, s := range scopes {
		m := s.(map[string]any)
		scopeIDs[m["value"].(string)] = m["id"].(string)
		if m["type"] != "User" && m["type"] != "Admin" {
			t.Errorf("scope %v: type %v", m["value"], m["type"])
		}
		if _, clash := ids[m["id"].(string)]; clash {
			t.Errorf("scope %v shares id with an app role", m["value"])
		}
	}
	if scopeIDs["User.Read"] != "e1fe6dd8-ba31-4d61-89e7-88639da4683d" {
		t.Errorf("User.Read scope id = %q", scopeIDs["User.Read"])
	}
}

func TestAppRoleID(t *testing.T) {
	for perm, want := range map[string]string{
		"User.Read.All":                      "df021288-bdef-4463-88db-98f22de89214",
		"user.read.all":                      "df021288-bdef-4463-88db-98f22de89214",
		"Group.Read.All":                     "5b567255-7703-4780-807c-7be8301ae99b",
		"Directory.Read.All":                 "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
		"Application.ReadWrite.All":          "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
		"RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
		"Policy.Read.All":                    "246dd0d5-5bd0-4def-940b-0421030a5b68",
	} {
		if got, ok := AppRoleID(perm); !ok || got != want {
			t.Errorf("AppRoleID(%q) = %q, %v; want %q", perm, got, ok, want)
		}
	}
	if _, ok := AppRoleID("User.Read"); ok {
		t.Error("User.Read is delegated-only; it must not have an app role")
	}
}

func TestSyntheticID(t *testing.T) {
	// Known answer computed independently: Python's
	// uuid.uuid5(uuid.NAMESPACE_URL, "urn:entrasnap:graphsim:builtin:graphAppRole:X").
	if got, want := SyntheticID("graphAppRole", "X"), "e294072e-de28-54ee-8131-eaa0608e5d9a"; got != want {
		t.Errorf("SyntheticID = %q, want %q", got, want)
	}
	if SyntheticID("graphAppRole", "A") == SyntheticID("graphAppRole", "B") {
		t.Error("SyntheticID is not name-dependent")
	}
}

func TestFirstPartyServicePrincipals(t *testing.T) {
	sps := FirstPartyServicePrincipals()
	want := []string{MicrosoftGraphAppID, ExchangeOnlineAppID, SharePointOnlineAppID, WindowsAzureActiveDirectoryAppID}
	if len(sps) != len(want) {
		t.Fatalf("got %d service principals, want %d", len(sps), len(want))
	}
	for i, sp := range sps {
		if sp["appId"] != want[i] {
			t.Errorf("sp %d appId = %v, want %s", i, sp["appId"], want[i])
		}
		if sp["appOwnerOrganizationId"] != MicrosoftTenantID || sp["servicePrincipalType"] != "Application" {
			t.Errorf("sp %v: owner/type %v/%v", sp["appId"], sp["appOwnerOrganizationId"], sp["servicePrincipalType"])
		}
		if _, ok := sp["id"]; ok {
			t.Errorf("sp %v carries an id", sp["appId"])
		}
		spns := sp["servicePrincipalNames"].([]any)
		found := false
		for _, n := range spns {
			found = found || n == sp["appId"]
		}
		if !found {
			t.Errorf("sp %v: appId missing from servicePrincipalNames", sp["appId"])
		}
	}
}

func TestPolicyDefaults(t *testing.T) {
	const tid = "11111111-2222-3333-4444-555555555555"
	p := PolicyDefaults(tid, "Contoso", "Contoso.onmicrosoft.com")
	for _, k := range []string{KeyAuthorizationPolicy, KeySecurityDefaults, KeyCrossTenantAccessPolicy,
		KeyCrossTenantAccessPolicyDefault, KeyAuthenticationMethodsPolicy, KeyOrganization, KeyDomain} {
		if p[k] == nil {
			t.Errorf("missing %s", k)
		}
	}
	if p[KeyAuthorizationPolicy]["id"] != "authorizationPolicy" ||
		p[KeyAuthorizationPolicy]["guestUserRoleId"] != GuestUserRoleID {
		t.Errorf("authorizationPolicy = %v", p[KeyAuthorizationPolicy])
	}
	if sd := p[KeySecurityDefaults]; sd["id"] != SecurityDefaultsPolicyID || sd["isEnabled"] != true {
		t.Errorf("security defaults = %v", sd)
	}
	if p[KeyCrossTenantAccessPolicyDefault]["isServiceDefault"] != true {
		t.Error("cross-tenant default is not the service default")
	}
	amp := p[KeyAuthenticationMethodsPolicy]
	if amp["id"] != "authenticationMethodsPolicy" {
		t.Errorf("authenticationMethodsPolicy id = %v", amp["id"])
	}
	wantTypes := map[string]string{
		"Fido2":                  "#microsoft.graph.fido2AuthenticationMethodConfiguration",
		"MicrosoftAuthenticator": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
		"Sms":                    "#microsoft.graph.smsAuthenticationMethodConfiguration",
		"TemporaryAccessPass":    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
		"SoftwareOath":           "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
		"Voice":                  "#microsoft.graph.voiceAuthenticationMethodConfiguration",
		"Email":                  "#microsoft.graph.emailAuthenticationMethodConfiguration",
		"X509Certificate":        "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
	}
	cfgs := AuthenticationMethodConfigurations()
	if len(cfgs) != len(wantTypes) || len(amp["authenticationMethodConfigurations"].([]any)) != len(wantTypes) {
		t.Errorf("%d method configurations, want %d", len(cfgs), len(wantTypes))
	}
	for _, c := range cfgs {
		id := c["id"].(string)
		if wantTypes[id] != c["@odata.type"] {
			t.Errorf("%s: @odata.type %v", id, c["@odata.type"])
		}
		if s := c["state"]; s != "enabled" && s != "disabled" {
			t.Errorf("%s: state %v", id, s)
		}
	}
	org := p[KeyOrganization]
	if org["id"] != tid || org["displayName"] != "Contoso" {
		t.Errorf("organization = %v", org)
	}
	vd := org["verifiedDomains"].([]any)[0].(map[string]any)
	if vd["name"] != "contoso.onmicrosoft.com" || vd["isInitial"] != true || vd["isDefault"] != true {
		t.Errorf("verifiedDomains = %v", vd)
	}
	d := p[KeyDomain]
	if d["id"] != "contoso.onmicrosoft.com" || d["isInitial"] != true || d["isDefault"] != true ||
		d["isVerified"] != true || d["authenticationType"] != "Managed" {
		t.Errorf("domain = %v", d)
	}

	// Copies are independent.
	p[KeyAuthorizationPolicy]["allowInvitesFrom"] = "none"
	if PolicyDefaults(tid, "Contoso", "contoso.onmicrosoft.com")[KeyAuthorizationPolicy]["allowInvitesFrom"] != "everyone" {
		t.Error("PolicyDefaults returned shared state")
	}
}

func TestAuthenticationStrengthPolicies(t *testing.T) {
	got := map[string]string{}
	for _, s := range AuthenticationStrengthPolicies() {
		got[s["id"].(string)] = s["displayName"].(string)
		if s["policyType"] != "builtIn" || s["requirementsSatisfied"] != "mfa" {
			t.Errorf("%v: policyType/requirementsSatisfied %v/%v", s["id"], s["policyType"], s["requirementsSatisfied"])
		}
		if len(s["allowedCombinations"].([]any)) == 0 {
			t.Errorf("%v: no allowedCombinations", s["id"])
		}
	}
	want := map[string]string{
		"00000000-0000-0000-0000-000000000002": "Multifactor authentication",
		"00000000-0000-0000-0000-000000000003": "Passwordless MFA",
		"00000000-0000-0000-0000-000000000004": "Phishing resistant MFA",
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	for id, name := range want {
		if got[id] != name {
			t.Errorf("strength %s = %q, want %q", id, got[id], name)
		}
	}
}

func TestGroupSettingTemplates(t *testing.T) {
	seen := map[string]bool{}
	var unified map[string]any
	for _, tmpl := range GroupSettingTemplates() {
		id := tmpl["id"].(string)
		if !guidRE.MatchString(id) || seen[id] {
			t.Errorf("bad or duplicate template id %q", id)
		}
		seen[id] = true
		if id == GroupUnifiedSettingsTmplID {
			unified = tmpl
		}
		for _, v := range tmpl["values"].([]any) {
			m := v.(map[string]any)
			for _, k := range []string{"name", "type", "defaultValue", "description"} {
				if _, ok := m[k].(string); !ok {
					t.Errorf("template %s value %v: %s is not a string", id, m["name"], k)
				}
			}
		}
	}
	if unified == nil || unified["displayName"] != "Group.Unified" {
		t.Fatalf("Group.Unified template missing: %v", unified)
	}
	names := map[string]bool{}
	for _, v := range unified["values"].([]any) {
		names[v.(map[string]any)["name"].(string)] = true
	}
	for _, n := range []string{"EnableGroupCreation", "GroupCreationAllowedGroupId", "AllowToAddGuests", "AllowGuestsToAccessGroups", "UsageGuidelinesUrl"} {
		if !names[n] {
			t.Errorf("Group.Unified lacks %s", n)
		}
	}
}

// Ids must be unique within each collection the emulator serves.
func TestIDsUniqueAcrossBuiltins(t *testing.T) {
	seen := map[string]string{}
	add := func(where string, objs []map[string]any) {
		for _, o := range objs {
			id, ok := o["id"].(string)
			if !ok {
				continue
			}
			key := strings.ToLower(id)
			if prev, dup := seen[key]; dup {
				t.Errorf("id %s in %s and %s", id, prev, where)
			}
			seen[key] = where
		}
	}
	add("roleDefinitions", RoleDefinitions())
	add("authenticationStrengthPolicies", AuthenticationStrengthPolicies())
	add("groupSettingTemplates", GroupSettingTemplates())
	add("authenticationMethodConfigurations", AuthenticationMethodConfigurations())
	var singles []map[string]any
	for _, v := range PolicyDefaults("11111111-2222-3333-4444-555555555555", "T", "t.onmicrosoft.com") {
		singles = append(singles, v)
	}
	add("policy singletons", singles)
}

func TestAccessorsReturnCopies(t *testing.T) {
	r := RoleDefinitions()
	r[0]["displayName"] = "changed"
	r[0]["rolePermissions"].([]any)[0].(map[string]any)["condition"] = "changed"
	again := RoleDefinitions()
	if again[0]["displayName"] == "changed" || again[0]["rolePermissions"].([]any)[0].(map[string]any)["condition"] == "changed" {
		t.Error("RoleDefinitions returned shared state")
	}
	sp := MicrosoftGraphServicePrincipal()
	sp["appRoles"] = nil
	if MicrosoftGraphServicePrincipal()["appRoles"] == nil {
		t.Error("MicrosoftGraphServicePrincipal returned shared state")
	}
}
