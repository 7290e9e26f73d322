package graphsim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Company branding (graphsim/doc.go, "Company branding"):
//
//   - GET /organization/{id}/branding/localizations lists every
//     organizationalBrandingLocalization "including the default branding"
//     (organizationalbranding-list-localizations), whose id is "0";
//     /organization/{id}/branding is the default one
//     (organizationalbranding-get: 404 when none exists). An id in the path
//     that is not the organization's → 404.
//   - POST .../localizations creates a localization with the caller's id, a
//     locale name ("fr-FR"), "and at the same time, the default branding if
//     it doesn't exist" (organizationalbranding-post-localizations); graphsim
//     requires the id (strict) and refuses "0" (the default is not posted).
//   - PATCH writes the string and complex properties
//     (organizationalbrandinglocalization-update); the images are Stream
//     properties written only by PUT of the stream: "You can't update Stream
//     types with other data types in the same request"
//     (organizationalbranding-update) → a PATCH or POST naming one is 400.
//     The *RelativeUrl properties and cdnList are read-only; an answer
//     lists every stream's relative URL, null when the stream is not set
//     (organizationalbranding-list-localizations example: brandingURLs).
//   - DELETE removes a localization (organizationalbrandinglocalization-delete);
//     the default ("0") is deleted only through DELETE /branding once no
//     other localization is left, which graphsim does not emulate: 400
//     (strict).
//   - GET .../localizations/{id}/{image} returns the image's bytes with its
//     media type; 404 when the image is not set (strict: undocumented).
//     PUT writes it: PNG or JPEG (a favicon also ICO), backgroundImage under
//     300 KB, the others at most 10 KB (resources/organizationalbrandingproperties;
//     the smallest documented limit, strict); bytes that are not of the type
//     named by Content-Type → 400 (strict). Each PUT gives the image a new
//     relative URL (resources/organizationalbrandingproperties: "relative URL
//     ... combined with a CDN base URL from the cdnList").
//   - Permissions: OrganizationalBranding.Read.All reads,
//     OrganizationalBranding.ReadWrite.All writes (permissions.json).

const brandingKindName = "organizationalBrandingLocalization"

// brandingStreams are the image (Stream) properties of a branding, by their
// lower-case name.
var brandingStreams = map[string]string{
	"bannerlogo": "bannerLogo", "backgroundimage": "backgroundImage", "squarelogo": "squareLogo",
	"squarelogodark": "squareLogoDark", "headerlogo": "headerLogo", "favicon": "favicon", "customcss": "customCSS",
}

var brandingKind = &Kind{
	Name: brandingKindName, ODataType: "#microsoft.graph.organizationalBrandingLocalization",
	// Routed by routeBranding (the organization's id is checked on
	// dispatch, orgMatches).
	Paths: []string{"organization/{id}/branding/localizations"}, Throttle: "directory", ReadCost: 1,
	ReadOnly: []string{"cdnList", "backgroundImageRelativeUrl", "bannerLogoRelativeUrl", "squareLogoRelativeUrl",
		"squareLogoDarkRelativeUrl", "headerLogoRelativeUrl", "faviconRelativeUrl", "customCSSRelativeUrl"},
	WriteOnly: []string{"bannerLogo", "backgroundImage", "squareLogo", "squareLogoDark", "headerLogo", "favicon", "customCSS"},
	Required:  []string{"id"},
}

// routeBranding routes /organization/{id}/branding[/localizations[/{id}[/{image}]]].
func (s *Server) routeBranding(segs []string) (*route, *apiError) {
	rt := &route{kind: brandingKind, template: "/organization/{id}/branding", org: segs[1]}
	rest := segs[3:]
	if len(rest) == 0 {
		rt.key, rt.special = "0", "brandingDefault"
		return rt, nil
	}
	if !strings.EqualFold(rest[0], "localizations") {
		return nil, notFoundSegment(rest[0])
	}
	rt.template += "/localizations"
	switch len(rest) {
	case 1:
		return rt, nil
	case 2:
		rt.key, rt.template = rest[1], rt.template+"/{id}"
		return rt, nil
	case 3:
		name, ok := brandingStreams[strings.ToLower(rest[2])]
		if !ok {
			return nil, notFoundSegment(rest[2])
		}
		rt.key, rt.rel, rt.special, rt.template = rest[1], name, "brandingStream", rt.template+"/{id}/"+name
		return rt, nil
	}
	return nil, notFoundSegment(rest[3])
}

// orgMatches answers 404 for a path below /organization/{id} whose id is
// not the organization's.
func (s *Server) orgMatches(rt *route) *apiError {
	s.tenant.mu.RLock()
	defer s.tenant.mu.RUnlock()
	if org := s.singleton(kindByName["organization"]); org == nil || !strings.EqualFold(org.key(), rt.org) {
		return notFound(rt.org)
	}
	return nil
}

// branding serves the default branding and the image streams.
func (s *Server) branding(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	if rt.special == "brandingDefault" {
		switch req.method {
		case http.MethodGet:
			t.mu.RLock()
			defer t.mu.RUnlock()
			r := t.lookup(brandingKind, "0")
			if r == nil {
				return nil, notFound("branding")
			}
			return jsonResp(200, s.entityBody(req, r, "organization('"+rt.key+"')/branding/$entity", false)), nil
		case http.MethodPatch:
			// organizationalbranding-update: "Accept-Language ... Required".
			if req.header.Get("Accept-Language") == "" {
				return nil, badRequest("The Accept-Language header is required to update the default branding.")
			}
			t.mu.Lock()
			defer t.mu.Unlock()
			r := t.lookup(brandingKind, "0")
			if r == nil {
				return nil, notFound("branding")
			}
			return s.patch(req, r)
		}
		return nil, methodNotAllowed()
	}
	switch req.method {
	case http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		r := t.lookup(brandingKind, rt.key)
		if r == nil {
			return nil, notFound(rt.key)
		}
		st, _ := r.get(rt.rel).(map[string]any)
		data, err := base64.StdEncoding.DecodeString(str(st["data"]))
		if st == nil || err != nil || len(data) == 0 {
			return nil, notFound(rt.rel)
		}
		h := http.Header{}
		h.Set("Content-Type", str(st["contentType"]))
		return &response{status: 200, header: h, body: data}, nil
	case http.MethodPut:
		t.mu.Lock()
		defer t.mu.Unlock()
		r := t.lookup(brandingKind, rt.key)
		if r == nil {
			return nil, notFound(rt.key)
		}
		if aerr := checkBrandingImage(rt.rel, req.header.Get("Content-Type"), req.body); aerr != nil {
			return nil, aerr
		}
		ct, _, _ := strings.Cut(req.header.Get("Content-Type"), ";")
		t.storeStream(r, rt.rel, strings.ToLower(strings.TrimSpace(ct)), req.body)
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// checkBrandingImage checks an image PUT: its media type, size and bytes.
func checkBrandingImage(prop, contentType string, body []byte) *apiError {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	allowed := []string{"image/png", "image/jpeg"}
	limit := 10 << 10
	switch prop {
	case "backgroundImage":
		limit = 300 << 10
	case "favicon":
		allowed = append(allowed, "image/x-icon", "image/vnd.microsoft.icon")
	case "customCSS":
		allowed, limit = []string{"text/css"}, 25<<10
	}
	if !contains(allowed, ct) {
		return badRequest("Content type '%s' is not supported for %s: use %s.", ct, prop, strings.Join(allowed, " or "))
	}
	if len(body) == 0 {
		return badRequest("The %s stream is empty.", prop)
	}
	if len(body) > limit {
		return badRequest("The %s image is %d bytes; the limit is %d.", prop, len(body), limit)
	}
	sniffed := http.DetectContentType(body)
	if ct == "image/vnd.microsoft.icon" {
		ct = "image/x-icon"
	}
	if ct != "text/css" && sniffed != ct {
		return badRequest("The %s stream is not a valid %s image.", prop, ct)
	}
	// customCSS: a .css file (resources/organizationalbrandingproperties,
	// "The allowed format is .css format only"): UTF-8 text without NUL
	// bytes (strict: Graph does not say how it checks the format).
	if ct == "text/css" && (!utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0) {
		return badRequest("The %s stream is not a valid .css file.", prop)
	}
	return nil
}

// brandingURLs puts in a localization's answer the relative URL of every
// stream, null when the stream is not set, and cdnList: Graph's answers
// list them so (organizationalbranding-list-localizations,
// organizationalbrandinglocalization-get: "backgroundImageRelativeUrl":
// null beside a set "bannerLogoRelativeUrl").
func brandingURLs(out map[string]any) {
	for _, prop := range brandingStreams {
		if _, ok := out[prop+"RelativeUrl"]; !ok {
			out[prop+"RelativeUrl"] = nil
		}
	}
	if _, ok := out["cdnList"]; !ok {
		out["cdnList"] = []any{}
	}
}

func init() {
	createHooks[brandingKindName] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if aerr := noStreamProps(body); aerr != nil {
			return aerr
		}
		id := str(body["id"])
		if id == "0" || !localeName(id) {
			return badRequest("Invalid value '%s' for property 'id': a locale name such as fr-FR.", id)
		}
		// organizationalbranding-post-localizations: the default branding
		// is created with the first localization if it does not exist.
		if s.tenant.lookup(brandingKind, "0") == nil && s.tenant.colls[brandingKindName].byKey["0"] == nil {
			s.tenant.insert(brandingKind, map[string]any{"id": "0"})
		}
		return nil
	}
	patchHooks[brandingKindName] = func(_ *Server, _ *record, body map[string]any) *apiError {
		if _, ok := body["id"]; ok {
			return badRequest(msgReadOnly, "id")
		}
		return noStreamProps(body)
	}
	deleteHooks[brandingKindName] = func(_ *Server, r *record) *apiError {
		if r.key() == "0" {
			return badRequest("The default branding cannot be deleted through its localization.")
		}
		return nil
	}
}

func noStreamProps(body map[string]any) *apiError {
	for p := range body {
		if _, ok := brandingStreams[strings.ToLower(p)]; ok {
			return badRequest("You can't update Stream types with other data types in the same request: write '%s' with PUT.", p)
		}
	}
	return nil
}

// localeName reports whether s looks like a culture name: "fr", "fr-FR",
// "zh-Hant-TW" (letters and digits in 1..8-character parts).
func localeName(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts[0]) < 2 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 8 {
			return false
		}
		for _, c := range p {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// demoImage is a small image of one colour, PNG or JPEG, deterministic.
func demoImage(w, h int, c color.RGBA, asJPEG bool) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if asJPEG {
		_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 60})
	} else {
		_ = png.Encode(&b, img)
	}
	return b.Bytes()
}

// demoCustomCSS is the demo's sign-in page style sheet (the customCSS
// template's class names: learn:/entra/fundamentals/reference-company-branding-css-template).
const demoCustomCSS = `/* Contoso sign-in page */
.ext-background-image { background-color: #E6ECF2; }
.ext-sign-in-box { border-radius: 4px; }
.ext-title { color: #005A9E; font-family: "Segoe UI", sans-serif; }
.ext-footer-item::after { content: "\2014"; }
`

// demoBranding: the default branding with a banner logo, a square logo and a style sheet,
// and a French localization with its own sign-in text and background.
func (g *generator) demoBranding() {
	stream := func(ct string, data []byte) map[string]any {
		return map[string]any{"contentType": ct, "data": base64.StdEncoding.EncodeToString(data)}
	}
	orgID := g.t.id
	g.seed(brandingKindName, map[string]any{
		"id": "0", "backgroundColor": "#FFFFFF", "signInPageText": "Contoso staff only. Need help? Call the service desk.",
		"usernameHintText": "name@contoso.com", "customPrivacyAndCookiesUrl": "https://contoso.example/privacy",
		"loginPageTextVisibilitySettings": map[string]any{"hideForgotMyPassword": false, "hideResetItNow": true},
		"bannerLogo":                      stream("image/png", demoImage(245, 36, color.RGBA{0, 90, 158, 255}, false)),
		"squareLogo":                      stream("image/png", demoImage(120, 120, color.RGBA{0, 90, 158, 255}, false)),
		"bannerLogoRelativeUrl":           orgID + "/0/bannerlogo?ts=1", "squareLogoRelativeUrl": orgID + "/0/squarelogo?ts=1",
		"customCSS":            stream("text/css", []byte(demoCustomCSS)),
		"customCSSRelativeUrl": orgID + "/0/customcss?ts=1",
		"cdnList":              []any{"aadcdn.msftauthimages.net", "aadcdn.msauthimages.net"},
	})
	g.seed(brandingKindName, map[string]any{
		"id": "fr-FR", "signInPageText": "Réservé au personnel de Contoso.", "usernameHintText": "nom@contoso.com",
		"backgroundImage":            stream("image/jpeg", demoImage(192, 108, color.RGBA{230, 236, 242, 255}, true)),
		"backgroundImageRelativeUrl": orgID + "/fr-fr/backgroundimage?ts=1",
		"cdnList":                    []any{"aadcdn.msftauthimages.net", "aadcdn.msauthimages.net"},
	})
}

// SeedStream sets stream prop (an image) of the object kind/key to data
// without Graph's checks, as a PUT of the stream would store it; for
// loading a tenant (the rehearsal loader).
func (t *Tenant) SeedStream(kind, key, prop, contentType string, data []byte) error {
	k := kindByName[kind]
	if k == nil || !k.isWriteOnly(prop) {
		return fmt.Errorf("graphsim: %s has no stream %q", kind, prop)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.colls[k.Name].byKey[strings.ToLower(key)]
	if r == nil {
		return fmt.Errorf("graphsim: %s %s does not exist", kind, key)
	}
	t.storeStream(r, prop, contentType, data)
	return nil
}

// storeStream keeps image stream prop of r as Graph does after its PUT:
// the bytes, and the read-only *RelativeUrl and cdnList that say where the
// image is served (an export reads only the streams whose URL is set).
// Callers hold t.mu.
func (t *Tenant) storeStream(r *record, prop, contentType string, data []byte) {
	r.o()[prop] = map[string]any{"contentType": contentType, "data": base64.StdEncoding.EncodeToString(data)}
	r.o()[prop+"RelativeUrl"] = fmt.Sprintf("%s/%s/%s?ts=%d", t.id, strings.ToLower(r.key()), strings.ToLower(prop), t.now().UnixMilli())
	r.o()["cdnList"] = []any{"aadcdn.msftauthimages.net", "aadcdn.msauthimages.net"}
}
