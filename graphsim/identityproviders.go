package graphsim

import (
	"net/http"
	"strings"
)

// Identity providers of a Microsoft Entra (workforce) tenant
// (graphsim/doc.go, "Identity providers"):
//
//   - GET /identity/identityProviders lists identityProviderBase objects:
//     socialIdentityProvider (Google, Facebook federation for B2B guests)
//     and builtInIdentityProvider (Microsoft's: email one-time passcode,
//     self-service sign-up, Microsoft accounts)
//     (identitycontainer-list-identityproviders).
//   - POST creates a socialIdentityProvider with displayName,
//     identityProviderType, clientId and clientSecret
//     (identitycontainer-post-identityproviders); graphsim requires all four
//     (strict) and names it {identityProviderType}-OAUTH, one per type (a
//     second → 409, strict). A built-in provider is not created, PATCHed
//     or deleted (400, strict: Graph's answer is undocumented).
//   - PATCH writes displayName, clientId and clientSecret
//     (identityproviderbase-update); identityProviderType is refused (strict).
//   - DELETE removes a social provider (identityproviderbase-delete).
//   - clientSecret is write-only: "A read operation returns ****"
//     (resources/socialidentityprovider).
//   - Permissions: IdentityProvider.Read.All to read,
//     IdentityProvider.ReadWrite.All to write.

const (
	idpKind       = "identityProviderBase"
	socialIdpType = "#microsoft.graph.socialIdentityProvider"
	builtInIdp    = "#microsoft.graph.builtInIdentityProvider"
	maskedSecret  = "****"
)

var identityProviderKind = &Kind{
	Name: idpKind, ODataType: "#microsoft.graph.identityProviderBase",
	Paths: []string{"identity/identityProviders"}, Throttle: "directory", ReadCost: 1,
	ReadOnly:   []string{"id"},
	Required:   []string{"displayName"},
	Filterable: []string{"id", "displayName"},
}

// socialTypes are the identityProviderType values of a social provider in
// a Microsoft Entra tenant (resources/socialidentityprovider).
var socialTypes = []string{"Google", "Facebook"}

func isBuiltInIdp(r *record) bool { return str(r.get("@odata.type")) == builtInIdp }

func maskClientSecret(r *record, out map[string]any) {
	if _, ok := out["clientSecret"]; ok && str(r.get("@odata.type")) == socialIdpType {
		out["clientSecret"] = maskedSecret
	}
}

func init() {
	createHooks[idpKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if str(body["@odata.type"]) != socialIdpType {
			return badRequest("Only a #microsoft.graph.socialIdentityProvider can be created in this tenant.")
		}
		for _, p := range []string{"identityProviderType", "clientId", "clientSecret"} {
			if v, ok := body[p].(string); !ok || v == "" {
				return badRequest("A value is required for property '%s' of resource 'socialIdentityProvider'.", p)
			}
		}
		typ := str(body["identityProviderType"])
		if !contains(socialTypes, typ) {
			return badRequest("Invalid value '%s' for property 'identityProviderType': %s.", typ, strings.Join(socialTypes, " or "))
		}
		if str(body["clientSecret"]) == maskedSecret {
			return badRequest("Invalid value for property 'clientSecret'.")
		}
		body["id"] = typ + "-OAUTH"
		if s.tenant.colls[idpKind].byKey[strings.ToLower(str(body["id"]))] != nil {
			return errf(http.StatusConflict, "Request_BadRequest", "An identity provider of type '%s' already exists.", typ)
		}
		return nil
	}
	patchHooks[idpKind] = func(_ *Server, r *record, body map[string]any) *apiError {
		if isBuiltInIdp(r) {
			return badRequest("Built-in identity providers cannot be modified.")
		}
		for p := range body {
			switch p {
			case "displayName", "clientId", "clientSecret", "@odata.type":
			default:
				return badRequest(msgReadOnly, p)
			}
		}
		if t := str(body["@odata.type"]); t != "" && t != socialIdpType {
			return badRequest("Invalid @odata.type '%s' for this object.", t)
		}
		if v, ok := body["clientSecret"]; ok && (str(v) == "" || str(v) == maskedSecret) {
			return badRequest("Invalid value for property 'clientSecret'.")
		}
		return nil
	}
	deleteHooks[idpKind] = func(_ *Server, r *record) *apiError {
		if isBuiltInIdp(r) {
			return badRequest("Built-in identity providers cannot be deleted.")
		}
		return nil
	}
}

// demoIdentityProviders: Microsoft's built-in providers every tenant lists,
// and Google federation for guests with Gmail addresses (ids given: none
// drawn from the tenant's sequence).
func (g *generator) demoIdentityProviders() {
	for _, b := range []struct{ id, name, typ string }{
		{"AADSignup-OAUTH", "Microsoft Entra ID Sign up", "AADSignup"},
		{"EmailOTP-OAUTH", "Email One Time Passcode", "EmailOTP"},
		{"MSASignup-OAUTH", "Microsoft Account", "MicrosoftAccount"},
	} {
		g.seed(idpKind, map[string]any{"@odata.type": builtInIdp, "id": b.id, "displayName": b.name, "identityProviderType": b.typ})
	}
	g.post(idpKind, map[string]any{"@odata.type": socialIdpType, "displayName": "Google", "identityProviderType": "Google",
		"clientId": "1234567890-demo.apps.googleusercontent.com", "clientSecret": "demo-google-client-secret-never-exported"}, nil)
}
