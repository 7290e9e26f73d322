package graphsim

import (
	"strings"
	"testing"
)

// Graph's documented string length limits: a value at the limit is taken,
// one character more is refused with 400 naming the property and resource,
// in a POST and a PATCH; a character outside the BMP counts as two UTF-16
// code units; nothing is written by a refused request.
func TestStringLengthLimits(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	org := e.s.Tenant().ID()
	group := func(name, nick string) map[string]any {
		return map[string]any{"displayName": name, "mailEnabled": false, "mailNickname": nick, "securityEnabled": true}
	}
	n := len(e.s.Tenant().List("group"))
	r := e.do("POST", "/v1.0/groups", group(strings.Repeat("n", 257), "long-name"))
	r.must(t, 400)
	if r.errCode() != "Request_BadRequest" || r.errMsg() != "Invalid value specified for property 'displayName' of resource 'Group'." {
		t.Errorf("error %s %q", r.errCode(), r.errMsg())
	}
	e.do("POST", "/v1.0/groups", group("ok", strings.Repeat("k", 65))).must(t, 400)
	// 128 characters outside the BMP are 256 UTF-16 code units; 129 are too many.
	e.do("POST", "/v1.0/groups", group(strings.Repeat("\U0001F600", 129), "emoji")).must(t, 400)
	if got := len(e.s.Tenant().List("group")); got != n {
		t.Fatalf("a refused create wrote: %d groups, was %d", got, n)
	}
	id := str(e.do("POST", "/v1.0/groups", group(strings.Repeat("\U0001F600", 128), strings.Repeat("k", 64))).must(t, 201).body["id"])
	e.do("PATCH", "/v1.0/groups/"+id, map[string]any{"displayName": strings.Repeat("n", 256)}).must(t, 204)
	r = e.do("PATCH", "/v1.0/groups/"+id, map[string]any{"displayName": strings.Repeat("n", 257)})
	r.must(t, 400)
	if g, _ := e.s.Tenant().Get("group", id); g["displayName"] != strings.Repeat("n", 256) {
		t.Errorf("a refused PATCH wrote: %v", g["displayName"])
	}

	user := e.newUser("limits")
	for p, max := range map[string]int{"displayName": 256, "jobTitle": 128, "department": 64, "givenName": 64, "surname": 64, "postalCode": 40} {
		e.do("PATCH", "/v1.0/users/"+user, map[string]any{p: strings.Repeat("x", max)}).must(t, 204)
		if r := e.do("PATCH", "/v1.0/users/"+user, map[string]any{p: strings.Repeat("x", max+1)}); r.status != 400 ||
			r.errMsg() != "Invalid value specified for property '"+p+"' of resource 'User'." {
			t.Errorf("user %s of %d characters: %d %s", p, max+1, r.status, r.raw)
		}
	}

	e.do("POST", "/v1.0/applications", map[string]any{"displayName": strings.Repeat("a", 257)}).must(t, 400)
	e.do("POST", "/v1.0/applications", map[string]any{"displayName": "ok", "description": strings.Repeat("d", 1025)}).must(t, 400)

	loc := "/v1.0/organization/" + org + "/branding/localizations/fr-FR"
	e.do("PATCH", loc, map[string]any{"usernameHintText": strings.Repeat("h", 64)}).must(t, 204)
	if r := e.do("PATCH", loc, map[string]any{"usernameHintText": strings.Repeat("h", 65)}); r.status != 400 ||
		r.errMsg() != "Invalid value specified for property 'usernameHintText' of resource 'OrganizationalBrandingLocalization'." {
		t.Errorf("usernameHintText of 65 characters: %d %s", r.status, r.raw)
	}
	e.do("PATCH", loc, map[string]any{"signInPageText": strings.Repeat("s", 1025)}).must(t, 400)
	e.do("POST", "/v1.0/organization/"+org+"/branding/localizations", map[string]any{"id": "de-DE", "signInPageText": strings.Repeat("s", 1025)}).must(t, 400)
}
