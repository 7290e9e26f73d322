package conformance_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

func TestPolicySingletons(t *testing.T) {
	e := newEnv(t)
	pol := e.client.Policies()

	t.Run("authorizationPolicy", func(t *testing.T) {
		got, err := pol.AuthorizationPolicy().Get(e.ctx, nil)
		must(t, "get authorizationPolicy", err)
		if deref(got.GetId()) != "authorizationPolicy" || got.GetAllowInvitesFrom() == nil ||
			*got.GetAllowInvitesFrom() != models.EVERYONE_ALLOWINVITESFROM || got.GetGuestUserRoleId() == nil {
			t.Errorf("authorizationPolicy id %q allowInvitesFrom %v guestUserRoleId %v", deref(got.GetId()), got.GetAllowInvitesFrom(), got.GetGuestUserRoleId())
		}
		if d := got.GetDefaultUserRolePermissions(); d == nil || !deref(d.GetAllowedToCreateApps()) {
			t.Fatalf("defaultUserRolePermissions not parsed")
		}
		patch := models.NewAuthorizationPolicy()
		patch.SetAllowInvitesFrom(ptr(models.ADMINSANDGUESTINVITERS_ALLOWINVITESFROM))
		perms := models.NewDefaultUserRolePermissions()
		perms.SetAllowedToCreateApps(ptr(false))
		perms.SetAllowedToCreateSecurityGroups(ptr(false))
		perms.SetAllowedToReadOtherUsers(ptr(true))
		perms.SetAllowedToCreateTenants(ptr(false))
		perms.SetAllowedToReadBitlockerKeysForOwnedDevice(ptr(true))
		perms.SetPermissionGrantPoliciesAssigned([]string{})
		patch.SetDefaultUserRolePermissions(perms)
		_, err = pol.AuthorizationPolicy().Patch(e.ctx, patch, nil)
		must(t, "patch authorizationPolicy", err)
		got, err = pol.AuthorizationPolicy().Get(e.ctx, nil)
		must(t, "get authorizationPolicy", err)
		if *got.GetAllowInvitesFrom() != models.ADMINSANDGUESTINVITERS_ALLOWINVITESFROM || deref(got.GetDefaultUserRolePermissions().GetAllowedToCreateApps()) {
			t.Errorf("after patch allowInvitesFrom %s allowedToCreateApps %v", got.GetAllowInvitesFrom().String(),
				deref(got.GetDefaultUserRolePermissions().GetAllowedToCreateApps()))
		}
		if deref(got.GetDisplayName()) != "Authorization Policy" {
			t.Errorf("patch changed displayName to %q", deref(got.GetDisplayName()))
		}
	})

	t.Run("identitySecurityDefaultsEnforcementPolicy", func(t *testing.T) {
		got, err := pol.IdentitySecurityDefaultsEnforcementPolicy().Get(e.ctx, nil)
		must(t, "get security defaults", err)
		if !deref(got.GetIsEnabled()) || deref(got.GetDisplayName()) != "Security Defaults" {
			t.Errorf("security defaults isEnabled %v displayName %q", deref(got.GetIsEnabled()), deref(got.GetDisplayName()))
		}
		patch := models.NewIdentitySecurityDefaultsEnforcementPolicy()
		patch.SetIsEnabled(ptr(false))
		_, err = pol.IdentitySecurityDefaultsEnforcementPolicy().Patch(e.ctx, patch, nil)
		must(t, "patch security defaults", err)
		got, err = pol.IdentitySecurityDefaultsEnforcementPolicy().Get(e.ctx, nil)
		must(t, "get security defaults", err)
		if deref(got.GetIsEnabled()) {
			t.Errorf("security defaults still enabled after patch")
		}
	})

	t.Run("crossTenantAccessPolicy", func(t *testing.T) {
		root, err := pol.CrossTenantAccessPolicy().Get(e.ctx, nil)
		must(t, "get crossTenantAccessPolicy", err)
		if deref(root.GetDisplayName()) != "CrossTenantAccessPolicy" {
			t.Errorf("crossTenantAccessPolicy displayName %q", deref(root.GetDisplayName()))
		}
		def, err := pol.CrossTenantAccessPolicy().DefaultEscaped().Get(e.ctx, nil)
		must(t, "get crossTenantAccessPolicy/default", err)
		if !deref(def.GetIsServiceDefault()) || def.GetInboundTrust() == nil || def.GetB2bCollaborationOutbound() == nil ||
			def.GetB2bCollaborationOutbound().GetUsersAndGroups() == nil {
			t.Fatalf("default configuration not parsed: isServiceDefault %v", deref(def.GetIsServiceDefault()))
		}
		if at := def.GetB2bCollaborationOutbound().GetUsersAndGroups().GetAccessType(); at == nil || *at != models.ALLOWED_CROSSTENANTACCESSPOLICYTARGETCONFIGURATIONACCESSTYPE {
			t.Errorf("b2bCollaborationOutbound.usersAndGroups.accessType not parsed as allowed")
		}
		patch := models.NewCrossTenantAccessPolicyConfigurationDefault()
		trust := models.NewCrossTenantAccessPolicyInboundTrust()
		trust.SetIsMfaAccepted(ptr(true))
		trust.SetIsCompliantDeviceAccepted(ptr(false))
		trust.SetIsHybridAzureADJoinedDeviceAccepted(ptr(false))
		patch.SetInboundTrust(trust)
		_, err = pol.CrossTenantAccessPolicy().DefaultEscaped().Patch(e.ctx, patch, nil)
		must(t, "patch default", err)
		def, err = pol.CrossTenantAccessPolicy().DefaultEscaped().Get(e.ctx, nil)
		must(t, "get default", err)
		if !deref(def.GetInboundTrust().GetIsMfaAccepted()) {
			t.Errorf("inboundTrust.isMfaAccepted not updated")
		}
		if deref(def.GetIsServiceDefault()) {
			t.Errorf("isServiceDefault still true after the default was customized")
		}
	})

	t.Run("crossTenantAccessPolicy partners", func(t *testing.T) {
		partners := pol.CrossTenantAccessPolicy().Partners()
		tid := "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
		p := models.NewCrossTenantAccessPolicyConfigurationPartner()
		p.SetTenantId(&tid)
		trust := models.NewCrossTenantAccessPolicyInboundTrust()
		trust.SetIsMfaAccepted(ptr(true))
		p.SetInboundTrust(trust)
		got, err := partners.Post(e.ctx, p, nil)
		must(t, "create partner", err)
		if deref(got.GetTenantId()) != tid || got.GetInboundTrust() == nil || !deref(got.GetInboundTrust().GetIsMfaAccepted()) {
			t.Errorf("created partner tenantId %q inboundTrust %v", deref(got.GetTenantId()), got.GetInboundTrust())
		}
		_, err = partners.Post(e.ctx, p, nil)
		requireODataError(t, err, http.StatusConflict, "Request_BadRequest")
		one, err := partners.ByCrossTenantAccessPolicyConfigurationPartnerTenantId(tid).Get(e.ctx, nil)
		must(t, "get partner", err)
		if deref(one.GetTenantId()) != tid {
			t.Errorf("get partner tenantId %q", deref(one.GetTenantId()))
		}
		list, err := partners.Get(e.ctx, nil)
		must(t, "list partners", err)
		if len(list.GetValue()) != 1 {
			t.Errorf("partners = %d, want 1", len(list.GetValue()))
		}
		must(t, "delete partner", partners.ByCrossTenantAccessPolicyConfigurationPartnerTenantId(tid).Delete(e.ctx, nil))
		_, err = partners.ByCrossTenantAccessPolicyConfigurationPartnerTenantId(tid).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
		bad := models.NewCrossTenantAccessPolicyConfigurationPartner()
		bad.SetTenantId(ptr("not-a-tenant"))
		_, err = partners.Post(e.ctx, bad, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})

	t.Run("tokenLifetimePolicies", func(t *testing.T) {
		p := models.NewTokenLifetimePolicy()
		p.SetDisplayName(ptr("Contoso 8h access tokens"))
		p.SetDefinition([]string{`{"TokenLifetimePolicy":{"Version":1,"AccessTokenLifetime":"8:00:00"}}`})
		p.SetIsOrganizationDefault(ptr(false))
		got, err := pol.TokenLifetimePolicies().Post(e.ctx, p, nil)
		must(t, "create tokenLifetimePolicy", err)
		id := deref(got.GetId())
		if len(id) != 36 || len(got.GetDefinition()) != 1 || deref(got.GetIsOrganizationDefault()) {
			t.Errorf("token lifetime policy id %q definition %v", id, got.GetDefinition())
		}
		list, err := pol.TokenLifetimePolicies().Get(e.ctx, nil)
		must(t, "list tokenLifetimePolicies", err)
		if ids := idsOf(list.GetValue()); !slices.Equal(ids, []string{id}) {
			t.Errorf("token lifetime policies = %v", ids)
		}
		must(t, "delete tokenLifetimePolicy", pol.TokenLifetimePolicies().ByTokenLifetimePolicyId(id).Delete(e.ctx, nil))
		list, err = pol.TokenLifetimePolicies().Get(e.ctx, nil)
		must(t, "list tokenLifetimePolicies", err)
		if len(list.GetValue()) != 0 {
			t.Errorf("token lifetime policies after delete = %d", len(list.GetValue()))
		}
		_, err = pol.TokenLifetimePolicies().Post(e.ctx, models.NewTokenLifetimePolicy(), nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})

	t.Run("claimsMappingPolicies", func(t *testing.T) {
		p := models.NewClaimsMappingPolicy()
		p.SetDisplayName(ptr("Include employeeId"))
		p.SetDefinition([]string{`{"ClaimsMappingPolicy":{"Version":1,"IncludeBasicClaimSet":"true","ClaimsSchema":[{"Source":"user","ID":"employeeid","JwtClaimType":"employeeid"}]}}`})
		got, err := pol.ClaimsMappingPolicies().Post(e.ctx, p, nil)
		must(t, "create claimsMappingPolicy", err)
		id := deref(got.GetId())
		list, err := pol.ClaimsMappingPolicies().Get(e.ctx, nil)
		must(t, "list claimsMappingPolicies", err)
		if ids := idsOf(list.GetValue()); !slices.Equal(ids, []string{id}) || deref(list.GetValue()[0].GetDisplayName()) != "Include employeeId" {
			t.Errorf("claims mapping policies = %v", ids)
		}
		must(t, "delete claimsMappingPolicy", pol.ClaimsMappingPolicies().ByClaimsMappingPolicyId(id).Delete(e.ctx, nil))
		_, err = pol.ClaimsMappingPolicies().ByClaimsMappingPolicyId(id).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})
}

func TestGroupSettingsOrganizationDomains(t *testing.T) {
	e := newEnv(t)

	t.Run("groupSettings from a template", func(t *testing.T) {
		tmpl, err := e.client.GroupSettingTemplates().ByGroupSettingTemplateId(groupUnifiedTemplateID).Get(e.ctx, nil)
		must(t, "get Group.Unified template", err)
		if deref(tmpl.GetDisplayName()) != "Group.Unified" || len(tmpl.GetValues()) == 0 {
			t.Fatalf("template displayName %q with %d values", deref(tmpl.GetDisplayName()), len(tmpl.GetValues()))
		}
		var names []string
		for _, v := range tmpl.GetValues() {
			names = append(names, deref(v.GetName()))
		}
		if !slices.Contains(names, "EnableGroupCreation") {
			t.Fatalf("Group.Unified template values %v lack EnableGroupCreation", names)
		}
		gs := models.NewGroupSetting()
		gs.SetTemplateId(ptr(groupUnifiedTemplateID))
		v := models.NewSettingValue()
		v.SetName(ptr("EnableGroupCreation"))
		v.SetValue(ptr("false"))
		gs.SetValues([]models.SettingValueable{v})
		got, err := e.client.GroupSettings().Post(e.ctx, gs, nil)
		must(t, "create group setting", err)
		id := deref(got.GetId())
		if id == "" || deref(got.GetDisplayName()) != "Group.Unified" || deref(got.GetTemplateId()) != groupUnifiedTemplateID {
			t.Errorf("group setting id %q displayName %q templateId %q", id, deref(got.GetDisplayName()), deref(got.GetTemplateId()))
		}
		_, err = e.client.GroupSettings().Post(e.ctx, gs, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		missing := models.NewGroupSetting()
		missing.SetTemplateId(ptr("00000000-0000-4000-8000-00000000beef"))
		missing.SetValues([]models.SettingValueable{v})
		_, err = e.client.GroupSettings().Post(e.ctx, missing, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

		v.SetValue(ptr("true"))
		patch := models.NewGroupSetting()
		patch.SetValues([]models.SettingValueable{v})
		_, err = e.client.GroupSettings().ByGroupSettingId(id).Patch(e.ctx, patch, nil)
		must(t, "patch group setting", err)
		list, err := e.client.GroupSettings().Get(e.ctx, nil)
		must(t, "list group settings", err)
		if len(list.GetValue()) != 1 || len(list.GetValue()[0].GetValues()) != 1 || deref(list.GetValue()[0].GetValues()[0].GetValue()) != "true" {
			t.Errorf("group settings after patch did not show EnableGroupCreation=true")
		}
		must(t, "delete group setting", e.client.GroupSettings().ByGroupSettingId(id).Delete(e.ctx, nil))
	})

	t.Run("organization", func(t *testing.T) {
		list, err := e.client.Organization().Get(e.ctx, nil)
		must(t, "list organization", err)
		if len(list.GetValue()) != 1 {
			t.Fatalf("organization lists %d objects, want 1", len(list.GetValue()))
		}
		org := list.GetValue()[0]
		orgID := deref(org.GetId())
		if orgID != e.s.TenantID() || deref(org.GetDisplayName()) != "Contoso" {
			t.Errorf("organization id %q displayName %q, want %s Contoso", orgID, deref(org.GetDisplayName()), e.s.TenantID())
		}
		if vd := org.GetVerifiedDomains(); len(vd) != 1 || deref(vd[0].GetName()) != domain || !deref(vd[0].GetIsInitial()) {
			t.Errorf("verifiedDomains did not parse the initial domain")
		}
		patch := models.NewOrganization()
		patch.SetTechnicalNotificationMails([]string{"it@contoso.com"})
		patch.SetMarketingNotificationEmails([]string{"marketing@contoso.com"})
		_, err = e.client.Organization().ByOrganizationId(orgID).Patch(e.ctx, patch, nil)
		must(t, "patch organization", err)
		got, err := e.client.Organization().ByOrganizationId(orgID).Get(e.ctx, nil)
		must(t, "get organization", err)
		if !slices.Equal(got.GetTechnicalNotificationMails(), []string{"it@contoso.com"}) || !slices.Equal(got.GetMarketingNotificationEmails(), []string{"marketing@contoso.com"}) {
			t.Errorf("after patch technicalNotificationMails %v marketingNotificationEmails %v", got.GetTechnicalNotificationMails(), got.GetMarketingNotificationEmails())
		}
		ro := models.NewOrganization()
		ro.SetDisplayName(ptr("Fabrikam"))
		_, err = e.client.Organization().ByOrganizationId(orgID).Patch(e.ctx, ro, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})

	t.Run("domains", func(t *testing.T) {
		d := models.NewDomain()
		d.SetId(ptr("Fabrikam.com"))
		got, err := e.client.Domains().Post(e.ctx, d, nil)
		must(t, "create domain", err)
		if deref(got.GetId()) != "fabrikam.com" || deref(got.GetIsVerified()) || deref(got.GetIsDefault()) ||
			!deref(got.GetIsRoot()) || deref(got.GetAuthenticationType()) != "Managed" {
			t.Errorf("created domain id %q isVerified %v isDefault %v isRoot %v authenticationType %q", deref(got.GetId()),
				deref(got.GetIsVerified()), deref(got.GetIsDefault()), deref(got.GetIsRoot()), deref(got.GetAuthenticationType()))
		}
		list, err := e.client.Domains().Get(e.ctx, nil)
		must(t, "list domains", err)
		if ids := idsOf(list.GetValue()); !slices.Equal(ids, []string{domain, "fabrikam.com"}) {
			t.Errorf("domains = %v", ids)
		}
		one, err := e.client.Domains().ByDomainId(domain).Get(e.ctx, nil)
		must(t, "get initial domain", err)
		if !deref(one.GetIsInitial()) || !deref(one.GetIsDefault()) || !deref(one.GetIsVerified()) {
			t.Errorf("initial domain isInitial %v isDefault %v isVerified %v", deref(one.GetIsInitial()), deref(one.GetIsDefault()), deref(one.GetIsVerified()))
		}
		bad := models.NewDomain()
		bad.SetId(ptr("localhost"))
		_, err = e.client.Domains().Post(e.ctx, bad, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		// A user can live in the new domain only after graphsim knows it.
		u := models.NewUser()
		u.SetAccountEnabled(ptr(true))
		u.SetDisplayName(ptr("Fabrikam user"))
		u.SetMailNickname(ptr("fab"))
		u.SetUserPrincipalName(ptr("fab@nowhere.example"))
		pp := models.NewPasswordProfile()
		pp.SetPassword(ptr("xWwvJ]6NMw+bWH-d"))
		u.SetPasswordProfile(pp)
		_, err = e.client.Users().Post(e.ctx, u, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})
}
