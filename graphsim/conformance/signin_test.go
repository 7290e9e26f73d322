package conformance_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	azauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// TestSignInWithAzureIdentity drives the whole production path: azidentity's
// client-secret credential against graphsim's token endpoint, kiota's Azure
// authentication provider, and the typed SDK over TLS. The token carries only
// the permissions granted, and Graph's 403 parses as an ODataError.
func TestSignInWithAzureIdentity(t *testing.T) {
	s, err := graphsim.New(graphsim.Options{Seed: 1})
	if err != nil {
		t.Fatalf("graphsim.New: %v", err)
	}
	if _, ok := s.Tenant().Get("domain", domain); !ok {
		mustSeed(t, s, "domain", map[string]any{"id": domain, "isVerified": true, "isDefault": true, "isInitial": true})
	}
	seedBuiltins(t, s)
	ts := httptest.NewTLSServer(s)
	t.Cleanup(ts.Close)
	ctx := t.Context()

	// A client application with a secret and User.Read.All, set up through
	// the SDK with graphsim's own token.
	admin := sdkClient(t, ts, staticTokenProvider(s.Token()))
	app := models.NewApplication()
	app.SetDisplayName(ptr("entrasnap reader"))
	created, err := admin.Applications().Post(ctx, app, nil)
	must(t, "create application", err)
	appID := deref(created.GetAppId())
	sp := models.NewServicePrincipal()
	sp.SetAppId(&appID)
	_, err = admin.ServicePrincipals().Post(ctx, sp, nil)
	must(t, "create service principal", err)
	secret, err := s.Tenant().AddClientSecret(appID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tenant().GrantAppRoles(appID, "User.Read.All"); err != nil {
		t.Fatal(err)
	}

	azOpts := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: ts.URL + "/"}, Transport: ts.Client()}
	cred, err := azidentity.NewClientSecretCredential(s.TenantID(), appID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: azOpts, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred,
		[]string{"https://graph.microsoft.com/.default"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	client := sdkClient(t, ts, auth)

	page, err := client.Users().Get(ctx, nil)
	must(t, "list users with an azidentity token", err)
	if len(page.GetValue()) != s.Tenant().Count("user") {
		t.Errorf("listed %d users, the tenant has %d", len(page.GetValue()), s.Tenant().Count("user"))
	}
	nu := models.NewUser()
	nu.SetAccountEnabled(ptr(true))
	nu.SetDisplayName(ptr("Not allowed"))
	nu.SetMailNickname(ptr("not.allowed"))
	nu.SetUserPrincipalName(ptr("not.allowed@" + domain))
	pp := models.NewPasswordProfile()
	pp.SetPassword(ptr("xWwvJ]6NMw+bWH-d"))
	nu.SetPasswordProfile(pp)
	_, err = client.Users().Post(ctx, nu, nil)
	msg := requireODataError(t, err, http.StatusForbidden, "Authorization_RequestDenied")
	if msg != "Insufficient privileges to complete the operation." {
		t.Errorf("403 message = %q", msg)
	}

	// A wrong secret fails at the token endpoint, before any Graph call.
	bad, err := azidentity.NewClientSecretCredential(s.TenantID(), appID, "not-the-secret",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: azOpts, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	badAuth, err := azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(bad,
		[]string{"https://graph.microsoft.com/.default"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sdkClient(t, ts, badAuth).Users().Get(ctx, nil)
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) {
		t.Errorf("wrong secret: got %s, want an azidentity.AuthenticationFailedError", describe(err))
	}
}

// staticTokenProvider authenticates with a fixed bearer token.
func staticTokenProvider(tok string) authentication.AuthenticationProvider {
	return authentication.NewBaseBearerTokenAuthenticationProvider(staticToken{tok})
}

// sdkClient is a Graph SDK client over ts's TLS transport with the SDK's
// default middleware.
func sdkClient(t *testing.T, ts *httptest.Server, auth authentication.AuthenticationProvider) *msgraphsdk.GraphServiceClient {
	t.Helper()
	opts := msgraphsdk.GetDefaultClientOptions()
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(ts.Client().Transport, msgraphgocore.GetDefaultMiddlewaresWithOptions(&opts)...)}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	adapter.SetBaseUrl(ts.URL + "/v1.0")
	return msgraphsdk.NewGraphServiceClient(adapter)
}
