package graphsim

import "testing"

// info.logoUrl and verifiedPublisher are returned but never written;
// organization takes only the properties of its update page.
func TestReadOnlyNestedAndOrganizationUpdateList(t *testing.T) {
	e := newCoreEnv(t, Options{})
	app := e.do("POST", "/v1.0/applications", map[string]any{"displayName": "logo"}).must(t, 201)
	info, _ := app.body["info"].(map[string]any)
	if _, ok := info["logoUrl"]; !ok || app.body["verifiedPublisher"] == nil {
		t.Fatalf("application as created: info %v, verifiedPublisher %v", app.body["info"], app.body["verifiedPublisher"])
	}
	id := str(app.body["id"])
	// Sending back info as read (logoUrl included, even null) is refused.
	r := e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"info": info}).must(t, 400)
	if r.errMsg() != "Property 'info.logoUrl' is read-only and cannot be set." {
		t.Errorf("message %q", r.errMsg())
	}
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"info": map[string]any{"marketingUrl": "https://contoso.com"}}).must(t, 204)
	e.do("POST", "/v1.0/applications", map[string]any{"displayName": "x", "info": map[string]any{"logoUrl": "https://cdn/x.png"}}).must(t, 400)
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"verifiedPublisher": map[string]any{"verifiedPublisherId": "123"}}).must(t, 400)
	sp := e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": app.body["appId"]}).must(t, 201)
	spID := str(sp.body["id"])
	e.do("PATCH", "/v1.0/servicePrincipals/"+spID, map[string]any{"verifiedPublisher": sp.body["verifiedPublisher"]}).must(t, 400)
	e.do("PATCH", "/v1.0/servicePrincipals/"+spID, map[string]any{"info": sp.body["info"]}).must(t, 400)
	e.do("PATCH", "/v1.0/servicePrincipals/"+spID, map[string]any{"notes": "ok"}).must(t, 204)

	org := asSlice(e.do("GET", "/v1.0/organization", nil).must(t, 200).body["value"])
	if len(org) == 0 {
		e.s.Tenant().Seed("organization", map[string]any{"id": e.s.Tenant().ID(), "displayName": "Contoso"})
		org = asSlice(e.do("GET", "/v1.0/organization", nil).must(t, 200).body["value"])
	}
	oid := str(org[0].(map[string]any)["id"])
	e.do("PATCH", "/v1.0/organization/"+oid, map[string]any{"technicalNotificationMails": []string{"it@contoso.com"}}).must(t, 204)
	for _, p := range []string{"businessPhones", "preferredLanguage", "defaultUsageLocation"} {
		e.do("PATCH", "/v1.0/organization/"+oid, map[string]any{p: nil}).must(t, 400)
	}
}
