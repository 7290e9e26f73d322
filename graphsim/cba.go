package graphsim

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Certificate-based authentication configuration (graphsim/doc.go,
// "Certificate-based authentication configuration"):
//
//   - GET /organization/{id}/certificateBasedAuthConfiguration lists the
//     tenant's configuration, each a list of certificate authorities
//     (certificatebasedauthconfiguration-list); GET .../{id} one.
//   - POST creates one with certificateAuthorities (required, each with
//     certificate and isRootAuthority: Nullable="false" in the CSDL);
//     DELETE removes it (certificatebasedauthconfiguration-post,
//     certificatebasedauthconfiguration-delete). There is no update
//     (resources/certificatebasedauthconfiguration lists List, Create,
//     Get, Delete): PATCH → 405.
//   - issuer and issuerSki are read-only, Graph's reading of the
//     certificate; a certificate that is not a DER X.509 certificate → 400
//     (strict: undocumented). A tenant holds at most one configuration
//     (strict: a second POST → 400).
//   - Permissions: Organization.Read.All reads, Organization.ReadWrite.All
//     writes (permissions.json).

const cbaKindName = "certificateBasedAuthConfiguration"

var cbaKind = &Kind{
	Name: cbaKindName, ODataType: "#microsoft.graph.certificateBasedAuthConfiguration",
	// Routed by routeCBA (the organization's id is checked on dispatch).
	Paths: []string{"organization/{id}/certificateBasedAuthConfiguration"}, Throttle: "directory", ReadCost: 1, NoUpdate: true,
	ReadOnly: []string{"id"},
	Required: []string{"certificateAuthorities"},
}

// routeCBA routes /organization/{id}/certificateBasedAuthConfiguration[/{id}].
func (s *Server) routeCBA(segs []string) (*route, *apiError) {
	rt := &route{kind: cbaKind, template: "/organization/{id}/certificateBasedAuthConfiguration", org: segs[1]}
	switch len(segs) {
	case 3:
		return rt, nil
	case 4:
		rt.key, rt.template = segs[3], rt.template+"/{id}"
		return rt, nil
	}
	return nil, notFoundSegment(segs[4])
}

func init() {
	createHooks[cbaKindName] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		for _, r := range s.tenant.colls[cbaKindName].live() {
			if !r.gone {
				return badRequest("The tenant already has a certificate-based authentication configuration (%s): delete it first.", r.key())
			}
		}
		cas := asSlice(body["certificateAuthorities"])
		if len(cas) == 0 {
			return badRequest("A value is required for property 'certificateAuthorities' of resource 'certificateBasedAuthConfiguration'.")
		}
		for i, v := range cas {
			ca, ok := v.(map[string]any)
			if !ok {
				return badRequest("certificateAuthorities[%d] is not an object.", i)
			}
			for _, p := range []string{"issuer", "issuerSki"} {
				if _, ok := ca[p]; ok {
					return badRequest(msgReadOnly, "certificateAuthorities/"+p)
				}
			}
			if _, ok := ca["isRootAuthority"].(bool); !ok {
				return badRequest("A value is required for property 'isRootAuthority' of resource 'certificateAuthority'.")
			}
			der, err := base64.StdEncoding.DecodeString(str(ca["certificate"]))
			if err != nil || len(der) == 0 {
				return badRequest("A value is required for property 'certificate' of resource 'certificateAuthority'.")
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return badRequest("certificateAuthorities[%d].certificate is not a valid X.509 certificate.", i)
			}
			ca["issuer"] = cert.Subject.String()
			ca["issuerSki"] = strings.ToUpper(hex.EncodeToString(cert.SubjectKeyId))
		}
		return nil
	}
}

// Demo certificate authorities: self-signed P-256 CA certificates (public
// material only), a root and an issuing CA.
const (
	demoRootCA    = "MIIBwjCCAWegAwIBAgIUBSjKpGEnLZiv14p1/tCy5wFD+ZgwCgYIKoZIzj0EAwIwNjEdMBsGA1UEAwwUQ29udG9zbyBEZW1vIFJvb3QgQ0ExFTATBgNVBAoMDENvbnRvc28gRGVtbzAeFw0yNjEyMDYwODA5MDJaFw00NjEyMDEwODA5MDJaMDYxHTAbBgNVBAMMFENvbnRvc28gRGVtbyBSb290IENBMRUwEwYDVQQKDAxDb250b3NvIERlbW8wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAStMtqw6+NU/9/QWqsY9ryg3+4pSDJWz/hjZl6oOLT5Ge3hy7SO5C47Z4M/NLKPvdpmkgL1Hrb14/O+LGgpHWyro1MwUTAfBgNVHSMEGDAWgBQXMiU195olhAd8FYq1A06jRC5J2jAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBQXMiU195olhAd8FYq1A06jRC5J2jAKBggqhkjOPQQDAgNJADBGAiEA0mDZPI2R92vFXI/+BLy7zKVCz9VftsKPtwyPrpa6qBYCIQDYjHb+EvrUmpK0Nvm9ZYkmKQOgdpaW71HDO6SLk4ydJQ=="
	demoIssuingCA = "MIIBxzCCAW2gAwIBAgIUdcWgbGjihP3GkER193aT92XBKg0wCgYIKoZIzj0EAwIwOTEgMB4GA1UEAwwXQ29udG9zbyBEZW1vIElzc3VpbmcgQ0ExFTATBgNVBAoMDENvbnRvc28gRGVtbzAeFw0yNjEyMDYwODA5MDJaFw00NjEyMDEwODA5MDJaMDkxIDAeBgNVBAMMF0NvbnRvc28gRGVtbyBJc3N1aW5nIENBMRUwEwYDVQQKDAxDb250b3NvIERlbW8wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQp/t9oglpuuE5TaiT1QyHtjVtJ7GQ06fLN4DvNdwlk1/NP4zq+l+JEtbQia06T2kpMlBcR2fX8TYWguk6qGuNio1MwUTAfBgNVHSMEGDAWgBRdJb5YEROcSCQmLumRd5wtEYQMmDAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBRdJb5YEROcSCQmLumRd5wtEYQMmDAKBggqhkjOPQQDAgNIADBFAiAQhQNTEvkiP4K01G6+Z5g87eAH1bqiZtN+6FM9eoADoQIhAO95hN1g0ORYZVemYjGITnj20Mih4kdCp5JotkTD7G1i"
)

// demoCBA: the tenant trusts a root and an issuing CA for certificate-based
// authentication (a given id: none drawn from the tenant's sequence).
func (g *generator) demoCBA() {
	g.post(cbaKindName, map[string]any{"id": "5f3c1c0e-8f3a-4d52-9a47-1c2b3d4e5f60", "certificateAuthorities": []any{
		map[string]any{"certificate": demoRootCA, "isRootAuthority": true,
			"certificateRevocationListUrl": "http://pki.contoso.example/root.crl"},
		map[string]any{"certificate": demoIssuingCA, "isRootAuthority": false,
			"certificateRevocationListUrl": "http://pki.contoso.example/issuing.crl", "deltaCertificateRevocationListUrl": "http://pki.contoso.example/issuing-delta.crl"},
	}}, nil)
}
