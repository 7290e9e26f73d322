package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// Identity providers come back as far as Graph allows without their
// write-only client secret: a changed social provider is PATCHed and the
// plan lists the secret to re-enter for the restored client ID; one added
// since REV is deleted; built-in providers are never written; one gone is
// not created (Graph needs the secret) and the plan says what to re-enter.
// No secret or "****" placeholder is ever sent.
func TestRestoreIdentityProviders(t *testing.T) {
	whenShortOnly(t, "identity-providers")
	const coll = "/v1.0/identity/identityProviders"
	e := newEnv(t, graphsim.Options{}, nil)
	google := e.get(coll + "/Google-OAUTH")
	e.do("PATCH", coll+"/Google-OAUTH", map[string]any{"@odata.type": "#microsoft.graph.socialIdentityProvider", "displayName": hostileName, "clientId": "attacker-client"})
	e.do("POST", coll, map[string]any{"@odata.type": "#microsoft.graph.socialIdentityProvider", "displayName": "Facebook",
		"identityProviderType": "Facebook", "clientId": "fb", "clientSecret": "fb-secret"})
	e.recordIncident()

	sel := []string{"external-identities"}
	p := e.plan(e.first, sel, Options{})
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.Request.Method+" "+strings.TrimPrefix(a.Request.Path, coll+"/"))
		if strings.Contains(string(a.Request.Body), "clientSecret") || strings.Contains(string(a.Request.Body), "****") {
			t.Errorf("a request sends a client secret: %s", a.Request.Body)
		}
	}
	if strings.Join(got, ",") != "PATCH Google-OAUTH,DELETE Facebook-OAUTH" {
		t.Fatalf("plan %v\n%s", got, render(p))
	}
	if len(p.Credentials) != 1 || p.Credentials[0].Key != "Google-OAUTH" || p.Credentials[0].Type != "identity provider client secret" ||
		!strings.Contains(strings.Join(p.Actions[0].Warnings, " "), str(google["clientId"])) {
		t.Errorf("the plan does not say which secret to re-enter: %+v\n%s", p.Credentials, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if after := e.get(coll + "/Google-OAUTH"); after["clientId"] != google["clientId"] || after["displayName"] != google["displayName"] {
		t.Errorf("Google after the restore: %v, want %v", after, google)
	}
	e.mustBeEmpty(sel, Options{})

	// Gone: not created; the plan says what to re-enter.
	e.do("DELETE", coll+"/Google-OAUTH", nil)
	e.recordIncident()
	p = e.plan(e.first, sel, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "client ID in its file and a client secret from the provider") {
		t.Errorf("a gone provider:\n%s", render(p))
	}
}
