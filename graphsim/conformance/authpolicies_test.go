package conformance_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"
)

func TestAuthenticationStrengthPolicies(t *testing.T) {
	e := newEnv(t)
	strengths := e.client.Policies().AuthenticationStrengthPolicies()

	before, err := strengths.Get(e.ctx, nil)
	must(t, "list authentication strengths", err)
	builtIns := 0
	for _, p := range before.GetValue() {
		if p.GetPolicyType() != nil && *p.GetPolicyType() == models.BUILTIN_AUTHENTICATIONSTRENGTHPOLICYTYPE {
			builtIns++
		}
	}
	if builtIns != 3 {
		t.Errorf("a fresh tenant lists %d built-in authentication strengths, want 3", builtIns)
	}

	body := models.NewAuthenticationStrengthPolicy()
	body.SetDisplayName(ptr("Phishing-resistant for admins"))
	body.SetDescription(ptr("FIDO2 or Windows Hello"))
	body.SetAllowedCombinations([]models.AuthenticationMethodModes{
		models.FIDO2_AUTHENTICATIONMETHODMODES,
		models.WINDOWSHELLOFORBUSINESS_AUTHENTICATIONMETHODMODES,
		models.PASSWORD_AUTHENTICATIONMETHODMODES | models.MICROSOFTAUTHENTICATORPUSH_AUTHENTICATIONMETHODMODES,
	})
	created, err := strengths.Post(e.ctx, body, nil)
	must(t, "create authentication strength", err)
	id := deref(created.GetId())
	if id == "" || created.GetCreatedDateTime() == nil || created.GetModifiedDateTime() == nil {
		t.Fatalf("created strength id %q createdDateTime %v modifiedDateTime %v", id, created.GetCreatedDateTime(), created.GetModifiedDateTime())
	}
	if *created.GetPolicyType() != models.CUSTOM_AUTHENTICATIONSTRENGTHPOLICYTYPE {
		t.Errorf("policyType = %s, want custom", created.GetPolicyType().String())
	}
	var combos []string
	for _, c := range created.GetAllowedCombinations() {
		combos = append(combos, c.String())
	}
	if !slices.Equal(combos, []string{"fido2", "windowsHelloForBusiness", "password,microsoftAuthenticatorPush"}) {
		t.Errorf("allowedCombinations = %v", combos)
	}

	after, err := strengths.Get(e.ctx, &policies.AuthenticationStrengthPoliciesRequestBuilderGetRequestConfiguration{
		QueryParameters: &policies.AuthenticationStrengthPoliciesRequestBuilderGetQueryParameters{Filter: ptr("policyType eq 'custom'")},
	})
	must(t, "list custom strengths", err)
	if ids := idsOf(after.GetValue()); !slices.Equal(ids, []string{id}) {
		t.Errorf("custom strengths = %v, want [%s]", ids, id)
	}

	// A CA policy may require the strength; the strength cannot go while it does.
	gid := deref(e.createGroup("admins").GetId())
	pol := caPolicy("Admins need phishing-resistant MFA", []string{gid}, nil)
	gc := models.NewConditionalAccessGrantControls()
	gc.SetOperator(ptr("OR"))
	as := models.NewAuthenticationStrengthPolicy()
	as.SetId(&id)
	gc.SetAuthenticationStrength(as)
	pol.SetGrantControls(gc)
	caPol, err := e.client.Identity().ConditionalAccess().Policies().Post(e.ctx, pol, nil)
	must(t, "create CA policy with authentication strength", err)
	if got := caPol.GetGrantControls().GetAuthenticationStrength(); got == nil || deref(got.GetId()) != id {
		t.Errorf("CA grantControls.authenticationStrength did not round-trip")
	}
	err = strengths.ByAuthenticationStrengthPolicyId(id).Delete(e.ctx, nil)
	requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	err = strengths.ByAuthenticationStrengthPolicyId("00000000-0000-0000-0000-000000000002").Delete(e.ctx, nil)
	requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")

	patch := models.NewAuthenticationStrengthPolicy()
	patch.SetDescription(ptr("FIDO2, Windows Hello or Authenticator"))
	_, err = strengths.ByAuthenticationStrengthPolicyId(id).Patch(e.ctx, patch, nil)
	must(t, "patch authentication strength", err)
	got, err := strengths.ByAuthenticationStrengthPolicyId(id).Get(e.ctx, nil)
	must(t, "get authentication strength", err)
	if deref(got.GetDescription()) != "FIDO2, Windows Hello or Authenticator" || len(got.GetAllowedCombinations()) != 3 {
		t.Errorf("after patch description %q, %d combinations", deref(got.GetDescription()), len(got.GetAllowedCombinations()))
	}
}

func TestAuthenticationMethodsPolicy(t *testing.T) {
	e := newEnv(t)
	amp := e.client.Policies().AuthenticationMethodsPolicy()
	pol, err := amp.Get(e.ctx, nil)
	must(t, "get authenticationMethodsPolicy", err)
	if deref(pol.GetId()) != "authenticationMethodsPolicy" || deref(pol.GetPolicyVersion()) == "" {
		t.Errorf("policy id %q policyVersion %q", deref(pol.GetId()), deref(pol.GetPolicyVersion()))
	}
	if pol.GetRegistrationEnforcement() == nil || pol.GetRegistrationEnforcement().GetAuthenticationMethodsRegistrationCampaign() == nil {
		t.Errorf("registrationEnforcement.authenticationMethodsRegistrationCampaign not parsed")
	}

	configs, err := amp.AuthenticationMethodConfigurations().Get(e.ctx, nil)
	must(t, "list authenticationMethodConfigurations", err)
	types := map[string]string{}
	for _, c := range configs.GetValue() {
		types[deref(c.GetId())] = deref(c.GetOdataType())
	}
	for id, typ := range map[string]string{
		"Fido2":                  "#microsoft.graph.fido2AuthenticationMethodConfiguration",
		"MicrosoftAuthenticator": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
		"TemporaryAccessPass":    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
	} {
		if types[id] != typ {
			t.Errorf("configuration %s has @odata.type %q, want %q", id, types[id], typ)
		}
	}

	fido, err := amp.AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("Fido2").Get(e.ctx, nil)
	must(t, "get Fido2 configuration", err)
	f, ok := fido.(models.Fido2AuthenticationMethodConfigurationable)
	if !ok {
		t.Fatalf("Fido2 configuration parsed as %T, want Fido2AuthenticationMethodConfigurationable", fido)
	}
	if f.GetKeyRestrictions() == nil {
		t.Errorf("Fido2 keyRestrictions not parsed")
	}

	// PATCH one configuration, as Graph's docs do: the derived type's
	// @odata.type and the properties to change.
	patch := models.NewFido2AuthenticationMethodConfiguration()
	patch.SetOdataType(ptr("#microsoft.graph.fido2AuthenticationMethodConfiguration"))
	patch.SetState(ptr(models.DISABLED_AUTHENTICATIONMETHODSTATE))
	patch.SetIsAttestationEnforced(ptr(false))
	_, err = amp.AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("Fido2").Patch(e.ctx, patch, nil)
	must(t, "patch Fido2 configuration", err)
	fido, err = amp.AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("Fido2").Get(e.ctx, nil)
	must(t, "get Fido2 configuration", err)
	f = fido.(models.Fido2AuthenticationMethodConfigurationable)
	if *f.GetState() != models.DISABLED_AUTHENTICATIONMETHODSTATE || deref(f.GetIsAttestationEnforced()) {
		t.Errorf("after patch state %s isAttestationEnforced %v", f.GetState().String(), deref(f.GetIsAttestationEnforced()))
	}
	if f.GetKeyRestrictions() == nil || !deref(f.GetIsSelfServiceRegistrationAllowed()) {
		t.Errorf("patch dropped properties it did not name")
	}

	// Without @odata.type the SDK's typed body still targets the object's own type.
	sms := models.NewSmsAuthenticationMethodConfiguration()
	sms.SetState(ptr(models.ENABLED_AUTHENTICATIONMETHODSTATE))
	_, err = amp.AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("Sms").Patch(e.ctx, sms, nil)
	must(t, "patch Sms configuration", err)

	_, err = amp.AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("Carrier pigeon").Get(e.ctx, nil)
	requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	err = amp.AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("Fido2").Delete(e.ctx, nil)
	requireODataError(t, err, http.StatusMethodNotAllowed, "Request_BadRequest")

	pp := models.NewAuthenticationMethodsPolicy()
	pp.SetReconfirmationInDays(ptr(int32(90)))
	_, err = amp.Patch(e.ctx, pp, nil)
	must(t, "patch authenticationMethodsPolicy", err)
	pol, err = amp.Get(e.ctx, nil)
	must(t, "get authenticationMethodsPolicy", err)
	if deref(pol.GetReconfirmationInDays()) != 90 {
		t.Errorf("reconfirmationInDays = %d, want 90", deref(pol.GetReconfirmationInDays()))
	}
	// Graph returns the configurations inline with the policy, current and typed.
	inline := map[string]models.AuthenticationMethodConfigurationable{}
	for _, c := range pol.GetAuthenticationMethodConfigurations() {
		inline[deref(c.GetId())] = c
	}
	if len(inline) != len(configs.GetValue()) {
		t.Errorf("policy lists %d configurations inline, the collection %d", len(inline), len(configs.GetValue()))
	}
	if f, ok := inline["Fido2"].(models.Fido2AuthenticationMethodConfigurationable); !ok {
		t.Errorf("inline Fido2 parsed as %T", inline["Fido2"])
	} else if *f.GetState() != models.DISABLED_AUTHENTICATIONMETHODSTATE {
		t.Errorf("inline Fido2 state %s: the policy does not show the PATCHed configuration", f.GetState().String())
	}
}
