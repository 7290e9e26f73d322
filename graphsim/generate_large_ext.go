package graphsim

import (
	"fmt"
	"strconv"
	"strings"
)

// largeExternal gives the large profile the kinds the demo has and the
// large profile lacked (docs/coverage.md, gap 1): organizational contacts
// (some of them members of security groups), cross-tenant access partners
// (some with a cross-tenant user synchronization policy), identity
// providers and API connectors called by the user flows. Counts, scaled by
// the tenant's users:
//
//   - contacts: one per 50 users (2,000 at 100,000 users: three pages of
//     999, so the export pages them). No public figure of contacts per user
//     was found; mail contacts come from Exchange (suppliers, partners,
//     alumni forwarding addresses) and an Exchange-heavy tenant holds
//     thousands, which 2% of users gives at the default size. One contact
//     in four is a member of a security group (group-post-members: security
//     groups hold contacts), as the demo's "Corporate Functions" holds one.
//   - cross-tenant partners: 2 + one per 5,000 users, at most 40 (22 at
//     100,000 users), fewer than the connected organizations of
//     entitlement management (generate_large13.go: 5 + one per 2,000):
//     a partner configuration is made for the organizations whose MFA or
//     devices are trusted or that use B2B direct connect, a subset of those
//     that request access. Graph documents no limit on partners. One in four
//     is a subsidiary whose users are synchronized in
//     (identitySynchronization, as the demo's one).
//   - identity providers: the three built-in providers and both social
//     types a workforce tenant can federate with (Google and Facebook:
//     resources/socialidentityprovider), one per type as Graph allows: the
//     count does not scale.
//   - API connectors: one per user flow (largeCoverage makes three), called
//     after attribute collection, and one more the partner flow calls after
//     federation (resources/userflowapiconnectorconfiguration: two steps,
//     one connector each).
//
// Like largeCoverage it runs after every drawn id, derives its ids from
// names and draws nothing from the random source, so every earlier object
// keeps its id.
func (g *generator) largeExternal(users, security []string) {
	if len(users) < 10 || g.err != nil {
		return
	}
	id := func(name string) string { return derivedID(g.t.name + "/large-ext/" + name) }

	// Organizational contacts.
	companies := []struct{ name, domain string }{
		{"Fabrikam", "fabrikam.com"}, {"Litware", "litwareinc.com"}, {"Northwind Traders", "northwindtraders.com"},
		{"Tailspin Toys", "tailspintoys.com"}, {"Adventure Works", "adventure-works.com"}, {"Wide World Importers", "wideworldimporters.com"},
		{"Woodgrove Bank", "woodgrovebank.com"}, {"Proseware", "proseware.com"}, {"Fourth Coffee", "fourthcoffee.com"}, {"Alpine Ski House", "alpineskihouse.com"},
	}
	nContacts := len(users) / 50
	for i := range nContacts {
		given, surname := givenNames[(7*i+3)%len(givenNames)], surnames[(13*i+5)%len(surnames)]
		c := companies[i%len(companies)]
		local := strings.ToLower(given + "." + surname + strconv.Itoa(i+1))
		cid := g.seed("orgContact", map[string]any{
			"id":             id("contact/" + strconv.Itoa(i)),
			"displayName":    fmt.Sprintf("%s %s (%s)", given, surname, c.name),
			"givenName":      given,
			"surname":        surname,
			"companyName":    c.name,
			"mail":           local + "@" + c.domain,
			"mailNickname":   "contact-" + local,
			"proxyAddresses": strList("SMTP:" + local + "@" + c.domain),
			"addresses":      []any{},
			"phones":         []any{},
		})
		if cid == "" {
			return
		}
		if i%4 == 0 && len(security) > 0 {
			g.link("group", security[(31*i+11)%len(security)], "members", cid, false)
		}
	}

	// Cross-tenant access partners.
	allUsers := map[string]any{"accessType": "allowed", "targets": []any{map[string]any{"target": "AllUsers", "targetType": "user"}}}
	allApps := map[string]any{"accessType": "allowed", "targets": []any{map[string]any{"target": "AllApplications", "targetType": "application"}}}
	nPartners := min(2+len(users)/5000, 40)
	for i := range nPartners {
		body := map[string]any{
			"tenantId": id("partner/" + strconv.Itoa(i)),
			"inboundTrust": map[string]any{"isMfaAccepted": true, "isCompliantDeviceAccepted": i%2 == 0,
				"isHybridAzureADJoinedDeviceAccepted": i%3 == 0},
			"automaticUserConsentSettings": map[string]any{"inboundAllowed": i%4 == 0, "outboundAllowed": false},
		}
		if i%3 == 1 {
			body["b2bDirectConnectOutbound"] = map[string]any{"usersAndGroups": allUsers, "applications": allApps}
			body["b2bDirectConnectInbound"] = map[string]any{"usersAndGroups": allUsers, "applications": allApps}
		} else {
			body["b2bCollaborationInbound"] = map[string]any{"usersAndGroups": allUsers, "applications": allApps}
		}
		p := g.post(partnerKind, body, nil)
		if p == "" {
			return
		}
		if i%4 == 0 {
			if r := g.record(partnerKind, p); r != nil {
				r.o()[heldPrefix+identitySync] = map[string]any{"tenantId": p, "displayName": fmt.Sprintf("%s subsidiary %d", g.t.name, i/4+1),
					"userSyncInbound": map[string]any{"isSyncAllowed": true}}
			}
		}
	}

	// Identity providers: the built-in ones, Google (demoIdentityProviders)
	// and Facebook.
	g.demoIdentityProviders()
	g.post(idpKind, map[string]any{"@odata.type": socialIdpType, "displayName": "Facebook", "identityProviderType": "Facebook",
		"clientId": "100000000000001", "clientSecret": "large-facebook-client-secret-never-exported"}, nil)

	// API connectors, and the user flows that call them.
	connector := func(name, path string) string {
		auth, aerr := apiAuthConfig(map[string]any{"@odata.type": basicAuthType, "username": "entra-" + strings.ToLower(path),
			"password": "large-connector-password-never-exported"})
		if aerr != nil {
			g.fail("api connector %s: %s", name, aerr.Message)
			return ""
		}
		return g.seed(apiConnKind, map[string]any{"id": id("api-connector/" + path), "displayName": name,
			"targetUrl": "https://approvals." + g.t.domain + "/api/" + path, "authenticationConfiguration": auth})
	}
	for _, f := range []string{"PartnerSignUp", "SupplierSignUp", "EventGuests"} {
		flow := g.record(userFlowKind, userFlowPrefix+f)
		if flow == nil || g.err != nil {
			continue
		}
		steps := map[string]any{"postAttributeCollection": connector(f+" approval", strings.ToLower(f)+"-approval")}
		provs := []any{"AADSignup-OAUTH", "EmailOTP-OAUTH"}
		if f == "PartnerSignUp" {
			steps["postFederationSignup"] = connector(f+" federation check", strings.ToLower(f)+"-federation")
			provs = append(provs, "Google-OAUTH", "Facebook-OAUTH")
		}
		flow.o()[heldPrefix+ufConnectorsRel] = steps
		flow.o()[heldPrefix+ufIdpRel] = provs
	}
}
