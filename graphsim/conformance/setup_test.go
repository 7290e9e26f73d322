package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/graphsim/builtin"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

const (
	domain = "contoso.onmicrosoft.com"
	// Well-known template ids of built-in directory roles.
	globalReaderRoleID = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	userAdminRoleID    = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	helpdeskAdminID    = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	// Microsoft Graph's application id.
	graphAppID = "00000003-0000-0000-c000-000000000000"
	// The Group.Unified directory setting template.
	groupUnifiedTemplateID = "62375ab9-6b52-47ed-826b-58e47e0e304b"
)

// env is one graphsim server behind httptest with an SDK client bound to it.
type env struct {
	t       *testing.T
	s       *graphsim.Server
	ts      *httptest.Server
	adapter *msgraphsdk.GraphRequestAdapter
	client  *msgraphsdk.GraphServiceClient
	ctx     context.Context
}

// staticToken hands the SDK graphsim's token for any host (the test server
// runs on 127.0.0.1, which the SDK's default allow-list would refuse).
type staticToken struct{ token string }

func (p staticToken) GetAuthorizationToken(context.Context, *url.URL, map[string]any) (string, error) {
	return p.token, nil
}

func (p staticToken) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	v := authentication.NewAllowedHostsValidator(nil)
	return &v
}

// newEnv starts graphsim (empty profile, seed 1) with the tenant's initial
// domain, the built-in objects the tests reference (seeded here when the
// empty profile does not provide them yet), and an SDK client.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOpts(t, graphsim.Options{Seed: 1, Profile: "empty"})
}

// newEnvOpts is newEnv with these server options.
func newEnvOpts(t *testing.T, o graphsim.Options) *env {
	t.Helper()
	s, err := graphsim.New(o)
	if err != nil {
		t.Fatalf("graphsim.New: %v", err)
	}
	ten := s.Tenant()
	if _, ok := ten.Get("domain", domain); !ok {
		mustSeed(t, s, "domain", map[string]any{"id": domain, "isVerified": true, "isDefault": true, "isInitial": true})
	}
	seedBuiltins(t, s)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	auth := authentication.NewBaseBearerTokenAuthenticationProvider(staticToken{s.Token()})
	adapter, err := msgraphsdk.NewGraphRequestAdapter(auth)
	if err != nil {
		t.Fatalf("NewGraphRequestAdapter: %v", err)
	}
	adapter.SetBaseUrl(ts.URL + "/v1.0")
	return &env{t: t, s: s, ts: ts, adapter: adapter, client: msgraphsdk.NewGraphServiceClient(adapter), ctx: context.Background()}
}

// seedBuiltins adds the built-in objects of a fresh tenant (graphsim/builtin)
// for each kind the profile left empty: role definitions, the Microsoft
// Graph service principal, the policy singletons, authentication method
// configurations and strengths, group setting templates and organization.
func seedBuiltins(t *testing.T, s *graphsim.Server) {
	t.Helper()
	ten := s.Tenant()
	seedAll := func(kind string, objs ...map[string]any) {
		t.Helper()
		if ten.Count(kind) > 0 {
			return
		}
		for _, o := range objs {
			mustSeed(t, s, kind, o)
		}
	}
	var roles []map[string]any
	for _, r := range builtin.RoleDefinitions() {
		delete(r, "inheritsPermissionsFrom") // a navigation: only with $expand
		roles = append(roles, r)
	}
	seedAll("unifiedRoleDefinition", roles...)
	if ten.FindBy("servicePrincipal", "appId", graphAppID) == "" {
		mustSeed(t, s, "servicePrincipal", builtin.MicrosoftGraphServicePrincipal())
	}
	pol := builtin.PolicyDefaults(ten.ID(), ten.Name(), domain)
	amp := pol[builtin.KeyAuthenticationMethodsPolicy]
	delete(amp, "authenticationMethodConfigurations") // served from their own collection
	amp["lastModifiedDateTime"] = "2024-01-01T00:00:00Z"
	org := pol[builtin.KeyOrganization]
	org["createdDateTime"] = "2024-01-01T00:00:00Z"
	seedAll("authorizationPolicy", pol[builtin.KeyAuthorizationPolicy])
	seedAll("identitySecurityDefaultsEnforcementPolicy", pol[builtin.KeySecurityDefaults])
	seedAll("crossTenantAccessPolicy", pol[builtin.KeyCrossTenantAccessPolicy])
	seedAll("crossTenantAccessPolicyConfigurationDefault", pol[builtin.KeyCrossTenantAccessPolicyDefault])
	seedAll("authenticationMethodsPolicy", amp)
	seedAll("authenticationMethodConfiguration", builtin.AuthenticationMethodConfigurations()...)
	seedAll("authenticationStrengthPolicy", builtin.AuthenticationStrengthPolicies()...)
	seedAll("groupSettingTemplate", builtin.GroupSettingTemplates()...)
	seedAll("organization", org)
}

func mustSeed(t *testing.T, s *graphsim.Server, kind string, obj map[string]any) string {
	t.Helper()
	id, err := s.Tenant().Seed(kind, obj)
	if err != nil {
		t.Fatalf("seed %s: %v", kind, err)
	}
	return id
}

// seedUsers stores n users directly in the tenant and returns their ids.
func (e *env) seedUsers(n int, prefix string) []string {
	e.t.Helper()
	ids := make([]string, n)
	for i := range n {
		nick := fmt.Sprintf("%s%03d", prefix, i)
		ids[i] = mustSeed(e.t, e.s, "user", map[string]any{
			"displayName": fmt.Sprintf("%s %03d", prefix, i), "mailNickname": nick,
			"userPrincipalName": nick + "@" + domain, "accountEnabled": true, "userType": "Member",
			"businessPhones": []any{}, "createdDateTime": "2024-01-01T00:00:00Z",
		})
	}
	return ids
}

// createUser creates a user through the SDK.
func (e *env) createUser(nick string) models.Userable {
	e.t.Helper()
	u := models.NewUser()
	u.SetAccountEnabled(ptr(true))
	u.SetDisplayName(ptr("User " + nick))
	u.SetMailNickname(ptr(nick))
	u.SetUserPrincipalName(ptr(nick + "@" + domain))
	pp := models.NewPasswordProfile()
	pp.SetPassword(ptr("xWwvJ]6NMw+bWH-d"))
	pp.SetForceChangePasswordNextSignIn(ptr(true))
	u.SetPasswordProfile(pp)
	got, err := e.client.Users().Post(e.ctx, u, nil)
	if err != nil {
		e.t.Fatalf("create user %s: %s", nick, describe(err))
	}
	return got
}

// createGroup creates a security group through the SDK.
func (e *env) createGroup(nick string) models.Groupable {
	e.t.Helper()
	g := models.NewGroup()
	g.SetDisplayName(ptr("Group " + nick))
	g.SetMailNickname(ptr(nick))
	g.SetMailEnabled(ptr(false))
	g.SetSecurityEnabled(ptr(true))
	got, err := e.client.Groups().Post(e.ctx, g, nil)
	if err != nil {
		e.t.Fatalf("create group %s: %s", nick, describe(err))
	}
	return got
}

// refBody is a $ref request body pointing at a directory object.
func (e *env) refBody(id string) models.ReferenceCreateable {
	r := models.NewReferenceCreate()
	r.SetOdataId(ptr("https://graph.microsoft.com/v1.0/directoryObjects/" + id))
	return r
}

// requireODataError asserts err is Graph's error JSON parsed by the SDK with
// the given HTTP status and code, a message and an innerError request-id;
// it returns the message.
func requireODataError(t *testing.T, err error, status int, code string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("want ODataError %d %s, got no error", status, code)
	}
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("want *odataerrors.ODataError %d %s, got %T: %v", status, code, err, err)
	}
	main := oe.GetErrorEscaped()
	if main == nil {
		t.Fatalf("ODataError without error object (status %d)", oe.ResponseStatusCode)
	}
	gotCode, msg := deref(main.GetCode()), deref(main.GetMessage())
	if oe.ResponseStatusCode != status || gotCode != code {
		t.Fatalf("error = %d %s (%q), want %d %s", oe.ResponseStatusCode, gotCode, msg, status, code)
	}
	if msg == "" {
		t.Errorf("error %d %s has an empty message", status, code)
	}
	inner := main.GetInnerError()
	if inner == nil || deref(inner.GetRequestId()) == "" {
		t.Errorf("error %d %s: innerError request-id missing", status, code)
	}
	if inner != nil && inner.GetDate() == nil {
		t.Errorf("error %d %s: innerError date missing", status, code)
	}
	if rid := oe.ResponseHeaders.Get("request-id"); inner != nil && len(rid) > 0 && rid[0] != deref(inner.GetRequestId()) {
		t.Errorf("request-id header %q != innerError request-id %q", rid[0], deref(inner.GetRequestId()))
	}
	return msg
}

// must fails the test with the parsed Graph error when err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %s", what, describe(err))
	}
}

// describe renders an SDK error with Graph's code and message when it has them.
func describe(err error) string {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		return fmt.Sprintf("ODataError %d %s: %s", oe.ResponseStatusCode, deref(oe.GetErrorEscaped().GetCode()), deref(oe.GetErrorEscaped().GetMessage()))
	}
	var ae *abstractions.ApiError
	if errors.As(err, &ae) {
		return fmt.Sprintf("ApiError %d: %v", ae.ResponseStatusCode, ae)
	}
	return fmt.Sprintf("%T: %v", err, err)
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// equalFoldSet reports whether a and b hold the same strings, ignoring case and order.
func equalFoldSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[strings.ToLower(x)]++
	}
	for _, x := range b {
		seen[strings.ToLower(x)]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
