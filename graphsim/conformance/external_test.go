package conformance_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// API connectors through the typed SDK (resources/identityapiconnector,
// identityapiconnector-create, -update, -list): the demo connector and a
// created one parse as identityApiConnector with a basicAuthentication
// whose password reads "******" (never the secret); a PKCS 12 certificate
// written by PATCH reads back as clientCertificateAuthentication with its
// public certificate information; "******" written as a password is a 400
// the SDK parses as an ODataError; DELETE removes the connector.
func TestAPIConnectorsTyped(t *testing.T) {
	e := newEnvOpts(t, graphsim.Options{Seed: 1, Profile: "demo"})
	conns := e.client.Identity().ApiConnectors()
	list, err := conns.Get(e.ctx, nil)
	must(t, "list apiConnectors", err)
	if len(list.GetValue()) != 1 {
		t.Fatalf("demo connectors: %d", len(list.GetValue()))
	}
	demo := list.GetValue()[0]
	basic, ok := demo.GetAuthenticationConfiguration().(models.BasicAuthenticationable)
	if !ok || deref(basic.GetUsername()) != "entra-signup" || deref(basic.GetPassword()) != "******" || !strings.HasPrefix(deref(demo.GetTargetUrl()), "https://") {
		t.Fatalf("demo connector: %q %q auth %T", deref(demo.GetDisplayName()), deref(demo.GetTargetUrl()), demo.GetAuthenticationConfiguration())
	}

	body := models.NewIdentityApiConnector()
	body.SetDisplayName(ptr("Approvals \u202e\"quoted\"\n😀"))
	body.SetTargetUrl(ptr("https://a.example/api"))
	auth := models.NewBasicAuthentication()
	auth.SetUsername(ptr("u"))
	auth.SetPassword(ptr("******"))
	body.SetAuthenticationConfiguration(auth)
	_, err = conns.Post(e.ctx, body, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 400 {
		t.Fatalf("the read-back mask written as a password: %v, want a 400 ODataError", err)
	}
	auth.SetPassword(ptr("p4ssw0rd"))
	created, err := conns.Post(e.ctx, body, nil)
	must(t, "create apiConnector", err)
	id := deref(created.GetId())
	if b, ok := created.GetAuthenticationConfiguration().(models.BasicAuthenticationable); !ok || deref(b.GetPassword()) != "******" ||
		deref(created.GetDisplayName()) != deref(body.GetDisplayName()) {
		t.Errorf("created: %q auth %T", deref(created.GetDisplayName()), created.GetAuthenticationConfiguration())
	}

	patch := models.NewIdentityApiConnector()
	cert := models.NewPkcs12Certificate()
	cert.SetPkcs12Value(ptr("MIIKIAIBAzCCCdwGCSqGSIb3DQEHAaCCCc0EggnJMIIJxTCCBg4GCSqGSIb3DQEHAaCCBf8EggX7"))
	cert.SetPassword(ptr("c3rt"))
	patch.SetAuthenticationConfiguration(cert)
	_, err = conns.ByIdentityApiConnectorId(id).Patch(e.ctx, patch, nil)
	must(t, "patch apiConnector certificate", err)
	got, err := conns.ByIdentityApiConnectorId(id).Get(e.ctx, nil)
	must(t, "get apiConnector", err)
	cc, ok := got.GetAuthenticationConfiguration().(models.ClientCertificateAuthenticationable)
	if !ok || len(cc.GetCertificateList()) == 0 || deref(cc.GetCertificateList()[0].GetThumbprint()) == "" {
		t.Fatalf("after the certificate PATCH: auth %T", got.GetAuthenticationConfiguration())
	}
	for key, v := range cc.GetAdditionalData() {
		if s, _ := v.(*string); s != nil && (strings.Contains(*s, "MIIK") || strings.Contains(*s, "c3rt")) {
			t.Errorf("the certificate's secret is read back in %s", key)
		}
	}
	must(t, "delete apiConnector", conns.ByIdentityApiConnectorId(id).Delete(e.ctx, nil))
	if _, err := conns.ByIdentityApiConnectorId(id).Get(e.ctx, nil); !errors.As(err, &oe) || oe.ResponseStatusCode != 404 {
		t.Errorf("get after delete: %v, want 404", err)
	}
}

// The on-premises synchronization settings through the typed SDK
// (onpremisesdirectorysynchronization-get, -update): the tenant's one
// object parses as onPremisesDirectorySynchronization with its deletion
// prevention enum and feature Booleans; a typed PATCH of the features
// (the whole value, as the SDK sends it) reads back.
func TestOnPremisesSynchronizationTyped(t *testing.T) {
	e := newEnvOpts(t, graphsim.Options{Seed: 1, Profile: "demo"})
	coll := e.client.Directory().OnPremisesSynchronization()
	list, err := coll.Get(e.ctx, nil)
	must(t, "list onPremisesSynchronization", err)
	if len(list.GetValue()) != 1 || deref(list.GetValue()[0].GetId()) != e.s.TenantID() {
		t.Fatalf("the tenant's synchronization object: %d", len(list.GetValue()))
	}
	got := list.GetValue()[0]
	adp := got.GetConfiguration().GetAccidentalDeletionPrevention()
	if adp == nil || adp.GetSynchronizationPreventionType() == nil || *adp.GetSynchronizationPreventionType() != models.ENABLEDFORCOUNT_ONPREMISESDIRECTORYSYNCHRONIZATIONDELETIONPREVENTIONTYPE ||
		deref(adp.GetAlertThreshold()) != 500 || !deref(got.GetFeatures().GetPasswordSyncEnabled()) {
		t.Fatalf("demo settings not parsed: %+v", adp)
	}
	patch := models.NewOnPremisesDirectorySynchronization()
	f := models.NewOnPremisesDirectorySynchronizationFeature()
	f.SetPasswordSyncEnabled(ptr(false))
	f.SetGroupWriteBackEnabled(ptr(true))
	patch.SetFeatures(f)
	_, err = coll.ByOnPremisesDirectorySynchronizationId(e.s.TenantID()).Patch(e.ctx, patch, nil)
	must(t, "patch onPremisesSynchronization", err)
	after, err := coll.ByOnPremisesDirectorySynchronizationId(e.s.TenantID()).Get(e.ctx, nil)
	must(t, "get onPremisesSynchronization", err)
	if deref(after.GetFeatures().GetPasswordSyncEnabled()) || !deref(after.GetFeatures().GetGroupWriteBackEnabled()) {
		t.Errorf("after the PATCH: passwordSyncEnabled %v groupWriteBackEnabled %v", deref(after.GetFeatures().GetPasswordSyncEnabled()), deref(after.GetFeatures().GetGroupWriteBackEnabled()))
	}
}
