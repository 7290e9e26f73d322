package importer

import (
	"encoding/json"
	"strings"
)

// Restore of identity providers (layout/catalog_tenant.go). A social
// provider's client secret is write-only in Graph and never in a snapshot:
//
//   - a provider gone from the tenant is not created (Graph requires the
//     secret: identitycontainer-post-identityproviders); the plan says to
//     add it again with the client ID in its file and a secret from the
//     provider;
//   - a PATCH that changes the client ID leaves the tenant's secret, which
//     belongs to the old client: the plan lists the secret to re-enter
//     (Credentials) and warns on the action;
//   - Microsoft's built-in providers are never written.

const idProviders = "identity-providers"

func init() {
	createOnly[idProviders] = []string{"identityProviderType"}
	noCreate[idProviders] = "Graph creates an identity provider only with its client secret, which no snapshot holds: add it again in the " +
		"Entra admin center (External Identities > All identity providers) with the client ID in its file and a client secret from the provider"
}

// providerSecret lists the client secret to re-enter when restore changes
// provider s's client ID.
func (pl *planner) providerSecret(s *objState) {
	if s.k.Name != idProviders || s.mode != modeLive {
		return
	}
	for _, id := range pl.objActions[s.k.Name+"/"+strings.ToLower(s.key)] {
		a := pl.action(id)
		if a == nil || a.Op != OpUpdate || a.Relationship != "" {
			continue
		}
		var b map[string]any
		if json.Unmarshal(a.Request.Body, &b) != nil {
			continue
		}
		if _, ok := b["clientId"]; !ok {
			continue
		}
		a.Warnings = append(a.Warnings, "the tenant's client secret belongs to the client ID being replaced: enter the secret of client ID "+str(b["clientId"])+" (never stored in a snapshot) in the Entra admin center after the restore")
		pl.p.Credentials = append(pl.p.Credentials, Credential{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Type: "identity provider client secret"})
	}
}
