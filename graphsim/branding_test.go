package graphsim

import (
	"image/color"
	"strings"
	"testing"
	"time"
)

// Company branding: localizations listed with the default ("0"), created
// with the caller's locale id (the default with the first), PATCHed without
// streams; images read and written as streams with their media type, size
// limits and a new relative URL on each PUT; the path's organization id
// must be the tenant's.
func TestBranding(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	org := e.s.Tenant().ID()
	base := "/v1.0/organization/" + org + "/branding"
	list := e.do("GET", base+"/localizations", nil).must(t, 200)
	ids := map[string]map[string]any{}
	for _, v := range list.body["value"].([]any) {
		m := v.(map[string]any)
		ids[str(m["id"])] = m
		for p := range m {
			if _, stream := brandingStreams[strings.ToLower(p)]; stream {
				t.Errorf("%s: stream %s returned in JSON", m["id"], p)
			}
		}
	}
	if ids["0"] == nil || ids["fr-FR"] == nil {
		t.Fatalf("demo localizations: %v", list.raw)
	}
	if d := e.do("GET", base, nil).must(t, 200); d.body["signInPageText"] != ids["0"]["signInPageText"] {
		t.Errorf("default branding %v", d.body)
	}
	e.do("GET", "/v1.0/organization/00000000-0000-4000-8000-000000000000/branding/localizations", nil).must(t, 404)

	logo := e.do("GET", base+"/localizations/0/bannerLogo", nil).must(t, 200)
	if logo.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(logo.raw, "\x89PNG") {
		t.Errorf("bannerLogo: %s %q", logo.header.Get("Content-Type"), logo.raw[:min(8, len(logo.raw))])
	}
	e.do("GET", base+"/localizations/0/favicon", nil).must(t, 404)
	e.do("GET", base+"/localizations/0/nothing", nil).must(t, 400)

	// Create: the caller's locale id; "0" and non-locales refused.
	e.do("POST", base+"/localizations", map[string]any{"id": "de-DE", "signInPageText": "Nur für Personal"}).must(t, 201)
	e.do("POST", base+"/localizations", map[string]any{"id": "0"}).must(t, 400)
	e.do("POST", base+"/localizations", map[string]any{"id": "../x"}).must(t, 400)
	e.do("POST", base+"/localizations", map[string]any{"signInPageText": "x"}).must(t, 400)
	e.do("POST", base+"/localizations", map[string]any{"id": "it-IT", "bannerLogo": "AAAA"}).must(t, 400)
	// PATCH: not streams, not read-only URLs.
	e.do("PATCH", base+"/localizations/de-DE", map[string]any{"usernameHintText": "name@contoso.de"}).must(t, 204)
	e.do("PATCH", base+"/localizations/de-DE", map[string]any{"squareLogo": "AAAA"}).must(t, 400)
	e.do("PATCH", base+"/localizations/de-DE", map[string]any{"bannerLogoRelativeUrl": "x"}).must(t, 400)
	// The default's PATCH needs Accept-Language (organizationalbranding-update).
	e.do("PATCH", base, map[string]any{"signInPageText": "x"}).must(t, 400)
	e.do("PATCH", base, map[string]any{"signInPageText": "x"}, "Accept-Language", "0").must(t, 204)

	// Streams: type, bytes and size checked; a PUT changes the relative URL.
	png := demoImage(20, 20, color.RGBA{1, 2, 3, 255}, false)
	before := e.do("GET", base+"/localizations/0", nil).must(t, 200).body["bannerLogoRelativeUrl"]
	e.s.Clock().Advance(time.Second)
	e.do("PUT", base+"/localizations/0/bannerLogo", string(png), "Content-Type", "image/png").must(t, 204)
	if got := e.do("GET", base+"/localizations/0/bannerLogo", nil).must(t, 200); got.raw != string(png) {
		t.Error("bannerLogo read back differs from what was PUT")
	}
	if after := e.do("GET", base+"/localizations/0", nil).must(t, 200).body["bannerLogoRelativeUrl"]; after == before || after == nil {
		t.Errorf("relative URL %v after a PUT, was %v", after, before)
	}
	e.do("PUT", base+"/localizations/0/bannerLogo", string(png), "Content-Type", "image/gif").must(t, 400)
	e.do("PUT", base+"/localizations/0/bannerLogo", "<html>not an image</html>", "Content-Type", "image/png").must(t, 400)
	e.do("PUT", base+"/localizations/0/bannerLogo", "", "Content-Type", "image/png").must(t, 400)
	big := demoImage(400, 400, color.RGBA{0, 0, 0, 255}, true)
	for len(big) <= 10<<10 {
		big = append(big, big...)
	}
	e.do("PUT", base+"/localizations/0/squareLogo", string(big), "Content-Type", "image/jpeg").must(t, 400)
	e.do("PUT", base+"/localizations/nope/squareLogo", string(png), "Content-Type", "image/png").must(t, 404)

	// Delete: a localization, never the default through it.
	e.do("DELETE", base+"/localizations/de-DE", nil).must(t, 204)
	e.do("DELETE", base+"/localizations/0", nil).must(t, 400)
}

// An empty tenant has no branding; the first localization creates the default.
func TestBrandingFirstLocalizationCreatesDefault(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "empty"})
	base := "/v1.0/organization/" + e.s.Tenant().ID() + "/branding"
	e.do("GET", base, nil).must(t, 404)
	e.do("POST", base+"/localizations", map[string]any{"id": "fr-FR"}).must(t, 201)
	e.do("GET", base, nil).must(t, 200)
}

// Reading takes OrganizationalBranding.Read.All, writing OrganizationalBranding.ReadWrite.All.
func TestBrandingPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	base := "/v1.0/organization/" + e.s.Tenant().ID() + "/branding/localizations"
	e.want(e.token("a", "User.Read.All"), "GET", base, nil, 403)
	e.want(e.token("b", "OrganizationalBranding.Read.All"), "GET", base, nil, 200)
	e.want(e.token("c", "OrganizationalBranding.Read.All"), "POST", base, map[string]any{"id": "fr-FR"}, 403)
	e.want(e.token("d", "OrganizationalBranding.ReadWrite.All"), "POST", base, map[string]any{"id": "fr-FR"}, 201)
}

// A localization's answer lists every stream's relative URL, null when the
// stream is not set (as Graph's list and get examples do), and the stream
// of a null URL is not set.
func TestBrandingListsStreamURLsNullWhenUnset(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	base := "/v1.0/organization/" + e.s.Tenant().ID() + "/branding/localizations"
	for _, v := range e.do("GET", base, nil).must(t, 200).body["value"].([]any) {
		m := v.(map[string]any)
		for _, prop := range brandingStreams {
			u, ok := m[prop+"RelativeUrl"]
			if !ok {
				t.Errorf("%s: %sRelativeUrl not in the answer", m["id"], prop)
				continue
			}
			code := e.do("GET", base+"/"+str(m["id"])+"/"+prop, nil).status
			if (u == nil) != (code == 404) {
				t.Errorf("%s: %sRelativeUrl %v, stream GET %d", m["id"], prop, u, code)
			}
		}
	}
	fr := e.do("GET", base+"/fr-FR", nil).must(t, 200).body
	if v, ok := fr["bannerLogoRelativeUrl"]; !ok || v != nil || fr["backgroundImageRelativeUrl"] == nil {
		t.Errorf("fr-FR: %v", fr)
	}
}
