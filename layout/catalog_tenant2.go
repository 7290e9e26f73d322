package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// tenantKinds2 are the tenant-wide kinds of issue 13 ("Tenant": company
// branding with its images), after every kind they name. Kept apart from
// catalog.go and catalog_tenant.go so other additions do not collide.
var tenantKinds2 = []*Kind{
	{
		// Company branding: the default branding (id "0") and one
		// localization per locale, all listed by
		// GET /organization/{id}/branding/localizations
		// (organizationalbranding-list-localizations: "including the default
		// branding"). The organization's id in the path is filled in by the
		// reader and by apply (OrganizationPlaceholder). Its images are
		// Graph streams, read one GET each and stored as files next to the
		// YAML (Kind.Images); the relative URLs and CDN list change with
		// every upload and are not written.
		Name: "branding", Title: "company branding (localizations and images)", Folder: "tenant/branding",
		ODataType: "#microsoft.graph.organizationalBrandingLocalization", APIVersion: "v1.0",
		ListPath: "/organization/" + OrganizationPlaceholder + "/branding/localizations",
		// customCSS (the sign-in page's style sheet, text/css) is a stream
		// too, kept as a file the same way (CustomCSS).
		Images: []string{"bannerLogo", "backgroundImage", "squareLogo", "squareLogoDark", "headerLogo", "favicon", CustomCSS},
		Sets:   map[string]string{"cdnList": ""},
		Volatile: []string{"cdnList", "backgroundImageRelativeUrl", "bannerLogoRelativeUrl", "squareLogoRelativeUrl",
			"squareLogoDarkRelativeUrl", "headerLogoRelativeUrl", "faviconRelativeUrl", "customCSSRelativeUrl"},
		// The images are written by PUT of their stream (importer/branding.go), never by PATCH.
		ReadOnly:        []string{"id", "bannerLogo", "backgroundImage", "squareLogo", "squareLogoDark", "headerLogo", "favicon", CustomCSS},
		ReadPermissions: []string{"OrganizationalBranding.Read.All"}, WritePermissions: []string{"OrganizationalBranding.ReadWrite.All"},
	},
	{
		// The certificate authorities trusted for certificate-based
		// authentication (public CA certificates, no key material). Graph
		// creates and deletes a configuration but never updates one
		// (resources/certificatebasedauthconfiguration): restore deletes the
		// tenant's and creates the snapshot's (importer/cba.go).
		Name: "certificate-based-auth", Title: "certificate-based authentication configuration", Folder: "tenant/certificate-based-auth",
		ODataType: "#microsoft.graph.certificateBasedAuthConfiguration", APIVersion: "v1.0",
		ListPath:        "/organization/" + OrganizationPlaceholder + "/certificateBasedAuthConfiguration",
		Sets:            map[string]string{"certificateAuthorities": "certificate"},
		ReadOnly:        []string{"id", "certificateAuthorities[].issuer", "certificateAuthorities[].issuerSki"},
		ReadPermissions: []string{"Organization.Read.All"}, WritePermissions: []string{"Organization.ReadWrite.All"},
	},
	{
		// Per-user (legacy) MFA state, beta only
		// (authentication-get-requirements): one file per user, named by
		// the user's id, holding perUserMfaState. Graph answers it one user
		// at a time, so a tenant of 100,000 users pays 100,000 requests (in
		// 5,000 $batch envelopes) per read: the kind is read only when
		// --kinds names it (a weekly job), never by a daily export.
		Name: "per-user-mfa", Title: "per-user MFA state (beta)", Folder: "users-mfa",
		ODataType: "#microsoft.graph.strongAuthenticationRequirements", APIVersion: "beta",
		ListPath: "/users", PerObject: "authentication/requirements", Shard: true,
		Select:   []string{"id"},
		ReadOnly: []string{"id"},
		OptIn: "one Graph request per user (Graph reads the state one user at a time): read it when --kinds names it, " +
			"e.g. a weekly `entrasnap export --kinds per-user-mfa`; a daily export carries the last read forward",
		ReadPermissions: []string{"Policy.Read.All", "User.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.AuthenticationMethod"},
	},
	{
		// Custom security attribute values of users (the user's
		// customSecurityAttributes, resources/customsecurityattributevalue):
		// one file per user that holds values, named by the user's id,
		// holding the id and the values grouped by attribute set as Graph
		// reads them (@odata.type annotations kept exactly). A user without
		// values has no file: a file absent at REV means "no values", so a
		// restore of the kind removes values set since (importer/csavalues.go).
		// Graph reads them only when $select names them, in the pages of
		// the users list (999 a page: about 100 requests for 100,000 users);
		// Graph has no $filter for "has any value" (a filter names one
		// attribute and needs advanced queries), so every user is listed.
		// A caller without CustomSecAttributeAssignment.Read.All reads null
		// for every user, not a 403: the reader checks the token first
		// (live/csavalues.go). Opt-in: personal data, and a permission that
		// Global Administrator does not hold by default.
		Name: UserSecurityAttributes, Title: "custom security attribute values of users", Folder: "users-security-attributes",
		// The file's type is entrasnap's (schemas/internal/gen/facts.go).
		ODataType: "#microsoft.graph.userSecurityAttributeValues", APIVersion: "v1.0",
		ListPath: "/users", Shard: true,
		Select:          []string{"id", "customSecurityAttributes"},
		Annotated:       []string{"customSecurityAttributes"},
		ReadOnly:        []string{"id"},
		Refs:            []Ref{{Path: "id", Kinds: []string{"users"}}},
		MoreRefs:        attributeValueRefs,
		OptIn:           "personal data (HR and security classifications of people), " + csaOptIn(UserSecurityAttributes),
		ReadPermissions: []string{"CustomSecAttributeAssignment.Read.All", "User.Read.All"}, WritePermissions: []string{"CustomSecAttributeAssignment.ReadWrite.All", "User.Read.All"},
		// A value of an attribute deactivated since REV is refused by Graph:
		// the plan reads the live definitions to see it (importer csavalues.go).
		AdvisoryReads: []string{"custom-security-attributes"},
	},
	{
		// Custom security attribute values of service principals: as the
		// users' kind above, keyed by the service principal's id, next to
		// the service principals' folder. Graph reads them with $select in
		// the pages of the service principals list, answers null to a
		// caller that may not read them, and writes them by PATCH
		// /servicePrincipals/{id} with CustomSecAttributeAssignment.ReadWrite.All
		// and Application.Read.All (learn:/graph/custom-security-attributes-examples,
		// "Prerequisites"; serviceprincipal-get, "To read the
		// customSecurityAttributes property"). Opt-in: a permission Global
		// Administrator does not hold by default.
		Name: ServicePrincipalSecurityAttributes, Title: "custom security attribute values of service principals", Folder: "service-principals-security-attributes",
		ODataType: "#microsoft.graph.servicePrincipalSecurityAttributeValues", APIVersion: "v1.0",
		ListPath: "/servicePrincipals", Shard: true,
		Select:           []string{"id", "customSecurityAttributes"},
		Annotated:        []string{"customSecurityAttributes"},
		ReadOnly:         []string{"id"},
		Refs:             []Ref{{Path: "id", Kinds: []string{"service-principals"}}},
		MoreRefs:         attributeValueRefs,
		OptIn:            "security classifications of apps, " + csaOptIn(ServicePrincipalSecurityAttributes),
		ReadPermissions:  []string{"CustomSecAttributeAssignment.Read.All", "Application.Read.All"},
		WritePermissions: []string{"CustomSecAttributeAssignment.ReadWrite.All", "Application.Read.All"},
		AdvisoryReads:    []string{"custom-security-attributes"},
	},
}

// AttributeValueOwner is the kind whose objects the values of a kind of
// custom security attribute values belong to (users, service-principals),
// "" for any other kind: one implementation serves both (live/csavalues.go,
// importer/csavalues.go).
func AttributeValueOwner(k *Kind) string {
	if k == nil || (k.Name != UserSecurityAttributes && k.Name != ServicePrincipalSecurityAttributes) {
		return ""
	}
	return k.Refs[0].Kinds[0]
}

// ServicePrincipalSecurityAttributes is the kind of service principals' custom security attribute values.
const ServicePrincipalSecurityAttributes = "service-principal-security-attributes"

// csaOptIn says why and how a kind of custom security attribute values is read.
func csaOptIn(kind string) string {
	return "read by a token holding CustomSecAttributeAssignment.Read.All (Graph answers no values, not an error, to a caller " +
		"without it; a signed-in user also needs the Attribute Assignment Reader role, which Global Administrator does not hold by " +
		"default): read it when --kinds names it, e.g. `entrasnap export --kinds " + kind + "`; a daily export carries the last read forward"
}

// UserSecurityAttributes is the kind of users' custom security attribute values.
const UserSecurityAttributes = "user-security-attributes"

// attributeValueRefs names the attribute definitions a user's values use:
// customSecurityAttributes.{set}.{attribute} names the definition
// {set}_{attribute} (resources/customsecurityattributedefinition: the id
// "is a combination of the attribute set name and the custom security
// attribute name separated by an underscore").
func attributeValueRefs(obj map[string]any, fn func(prop, id string, kinds []string)) {
	sets, _ := obj["customSecurityAttributes"].(map[string]any)
	for _, set := range sortedMapKeys(sets) {
		attrs, _ := sets[set].(map[string]any)
		for _, a := range sortedMapKeys(attrs) {
			if strings.Contains(a, "@") {
				continue
			}
			fn("customSecurityAttributes."+set+"."+a, set+"_"+a, []string{"custom-security-attributes"})
		}
	}
}

func sortedMapKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OrganizationPlaceholder stands for the organization's (the tenant's) id
// in a kind's ListPath: the reader fills it in with the tenant's id, and a
// plan keeps it for apply to fill in, as it does {{graph}}.
const OrganizationPlaceholder = "{{organization}}"

// Image is what an object's file holds of one image (a Graph stream
// property): the file next to the YAML with the bytes Graph returned, their
// SHA-256, media type and size.
type Image struct {
	File        string // relative to the kind's folder: "images/0/bannerLogo.png"
	SHA256      string
	ContentType string
	Size        int
}

// MaxImageSize is the largest image a snapshot keeps: far above what Graph
// accepts for any branding image (backgroundImage: under 300 KB,
// resources/organizationalbrandingproperties), so a larger answer is not an
// image Graph stores and is refused rather than written.
const MaxImageSize = 1 << 20

// imageTypes are the media types of images a snapshot keeps, with the file
// extension they are stored under.
var imageTypes = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
	"image/x-icon": ".ico", "image/vnd.microsoft.icon": ".ico",
}

// ImageExt is the file extension of an image of media type ct (parameters
// ignored); ok is false for a type that is not a kept image type.
func ImageExt(ct string) (ext string, ok bool) {
	ct, _, _ = strings.Cut(ct, ";")
	ext, ok = imageTypes[strings.ToLower(strings.TrimSpace(ct))]
	return ext, ok
}

// CustomCSS is company branding's style sheet stream (text/css, at most
// 25 KB: resources/organizationalbrandingproperties), kept as a file next
// to the YAML like the images, with its SHA-256 in the YAML.
const CustomCSS = "customCSS"

// streamExt is the file extension of stream prop of media type ct: text/css
// for CustomCSS, an image type for the others.
func streamExt(prop, ct string) (string, bool) {
	if prop != CustomCSS {
		return ImageExt(ct)
	}
	ct, _, _ = strings.Cut(ct, ";")
	if strings.ToLower(strings.TrimSpace(ct)) == "text/css" {
		return ".css", true
	}
	return "", false
}

// ImageFile is the file, relative to k's folder, holding image prop of the
// object with key, for media type ct.
func ImageFile(key, prop, ct string) (string, error) {
	ext, ok := streamExt(prop, ct)
	if !ok && prop == CustomCSS {
		return "", fmt.Errorf("%s of %q: media type %q is not text/css", prop, key, Safe(ct))
	}
	if !ok {
		return "", fmt.Errorf("%s of %q: media type %q is not an image type entrasnap keeps (PNG, JPEG, GIF, ICO)", prop, key, Safe(ct))
	}
	ek := escapeKey(key)
	if ek == "" || len(ek) > 100 || ek == "." || ek == ".." {
		return "", fmt.Errorf("%s: key %q cannot name an image folder", prop, Safe(key))
	}
	return "images/" + ek + "/" + prop + ext, nil
}

// NewImage describes data, image prop of the object with key, as its file
// holds it.
func NewImage(key, prop, ct string, data []byte) (Image, error) {
	f, err := ImageFile(key, prop, ct)
	if err != nil {
		return Image{}, err
	}
	sum := sha256.Sum256(data)
	ct, _, _ = strings.Cut(ct, ";")
	return Image{File: f, SHA256: hex.EncodeToString(sum[:]), ContentType: strings.ToLower(strings.TrimSpace(ct)), Size: len(data)}, nil
}

// Value is the image as its object's file holds it.
func (im Image) Value() map[string]any {
	return map[string]any{"file": im.File, "sha256": im.SHA256, "contentType": im.ContentType, "size": json.Number(strconv.Itoa(im.Size))}
}

// ImageOf reads image prop of obj (a file's object), if set; err says what
// is wrong with a value that is not one.
func ImageOf(obj map[string]any, prop string) (im Image, ok bool, err error) {
	return imageValue(obj[prop], prop, func(ct string) (string, bool) { return streamExt(prop, ct) }, MaxImageSize)
}

// imageValue reads v, the value of prop, as an Image whose media type ext
// accepts and whose size is at most max.
func imageValue(v any, prop string, ext func(ct string) (string, bool), max int) (im Image, ok bool, err error) {
	if v == nil {
		return Image{}, false, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return Image{}, false, fmt.Errorf("%s: want {file, sha256, contentType, size}", prop)
	}
	im.File, _ = m["file"].(string)
	im.SHA256, _ = m["sha256"].(string)
	im.ContentType, _ = m["contentType"].(string)
	switch n := m["size"].(type) {
	case int:
		im.Size = n
	case int64:
		im.Size = int(n)
	case float64:
		im.Size = int(n)
	case interface{ Int64() (int64, error) }:
		x, _ := n.Int64()
		im.Size = int(x)
	}
	if len(im.SHA256) != 64 || strings.Trim(strings.ToLower(im.SHA256), "0123456789abcdef") != "" {
		return im, false, fmt.Errorf("%s.sha256: want 64 hexadecimal digits", prop)
	}
	if _, ok := ext(im.ContentType); !ok {
		return im, false, fmt.Errorf("%s.contentType: %q is not a media type entrasnap keeps for %s", prop, Safe(im.ContentType), prop)
	}
	if im.File == "" || path.IsAbs(im.File) || path.Clean(im.File) != im.File || strings.HasPrefix(im.File, "../") || im.File == ".." ||
		!strings.HasPrefix(im.File, "images/") || strings.ContainsAny(im.File, "\\\x00") {
		return im, false, fmt.Errorf("%s.file: %q is not a file under images/ next to the object's file", prop, Safe(im.File))
	}
	if im.Size < 0 || im.Size > max {
		return im, false, fmt.Errorf("%s.size: %d is not between 0 and %d", prop, im.Size, max)
	}
	return im, true, nil
}

// ImagePath is the repository path of image file f (Image.File) of kind k.
func (k *Kind) ImagePath(f string) string { return k.Folder + "/" + f }

// IsImageFile reports whether repository path p is under the images folder
// of a kind with images (a file an object's YAML names, not an object file).
func IsImageFile(p string) (*Kind, bool) {
	for _, k := range kinds {
		if k.HasImages() && strings.HasPrefix(p, k.Folder+"/images/") {
			return k, true
		}
	}
	return nil, false
}

// SHA256Hex is the hexadecimal SHA-256 of data.
func SHA256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
