package graphsim

import (
	"fmt"
	"strings"
	"time"
)

// guest stores the user an invitation to email makes (guests.go), with
// extra properties set over it (names, company, the invitation's dates and
// state). It returns the user's id, "" after an error.
func (g *generator) guest(email, displayName string, extra map[string]any) string {
	if g.err != nil {
		return ""
	}
	obj := g.t.guestUser(email, displayName, "Guest")
	redeemed, _ := extra["redeemed"].(bool)
	for k, v := range extra {
		if k != "redeemed" {
			obj[k] = v
		}
	}
	if redeemed {
		// Redeeming with a work account of another Entra tenant adds its
		// federated identity (resources/objectidentity: issuer ExternalAzureAD).
		obj["identities"] = append(asSlice(obj["identities"]), map[string]any{
			"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": nil})
	}
	if g.t.colls["user"].unique["userPrincipalName"][strings.ToLower(str(obj["userPrincipalName"]))] != nil {
		g.fail("guest %q: another user has user principal name %q", email, obj["userPrincipalName"])
		return ""
	}
	return g.seed("user", obj)
}

// demoDevices adds a few registered devices and organizational contacts
// and makes them members: devices of a security group and of an
// administrative unit, a contact of a security group (group-post-members,
// administrativeunit-post-members). The groups and the unit are found by
// name; a small demo without them gets the devices and contacts alone.
func (g *generator) demoDevices() {
	if g.err != nil {
		return
	}
	var devices, contacts []string
	for i, d := range []struct{ name, os, version, model string }{
		{"ENG-LT-0101", "Windows", "10.0.22631.4460", "Surface Laptop 5"},
		{"ENG-LT-0102", "Windows", "10.0.26100.2314", "Surface Laptop 6"},
		{"ENG-MAC-0007", "MacMDM", "14.6.1", "MacBook Pro"},
	} {
		registered := g.past(30, 3*365)
		devices = append(devices, g.seed("device", map[string]any{
			"accountEnabled":                true,
			"deviceId":                      g.guid(),
			"displayName":                   d.name,
			"operatingSystem":               d.os,
			"operatingSystemVersion":        d.version,
			"model":                         d.model,
			"manufacturer":                  map[bool]string{true: "Microsoft Corporation", false: "Apple"}[d.os == "Windows"],
			"trustType":                     map[bool]string{true: "AzureAd", false: "Workplace"}[d.os == "Windows"],
			"profileType":                   "RegisteredDevice",
			"deviceOwnership":               "Company",
			"isCompliant":                   i != 2,
			"isManaged":                     true,
			"registrationDateTime":          graphTime(registered),
			"approximateLastSignInDateTime": graphTime(g.now.Add(-time.Duration(1+i) * time.Hour)),
			"alternativeSecurityIds":        []any{},
			"physicalIds":                   []any{},
			"systemLabels":                  []any{},
		}))
	}
	for i, c := range []struct{ given, surname, org, domain string }{
		{"Dana", "Whitfield", "Fabrikam", "fabrikam.com"},
		{"Ravi", "Menon", "Litware", "litwareinc.com"},
	} {
		nk := strings.ToLower(c.given + "." + c.surname)
		contacts = append(contacts, g.seed("orgContact", map[string]any{
			"displayName":    fmt.Sprintf("%s %s (%s)", c.given, c.surname, c.org),
			"givenName":      c.given,
			"surname":        c.surname,
			"companyName":    c.org,
			"mail":           nk + "@" + c.domain,
			"mailNickname":   fmt.Sprintf("contact-%s-%d", nk, i+1),
			"proxyAddresses": strList("SMTP:" + nk + "@" + c.domain),
			"addresses":      []any{},
			"phones":         []any{},
		}))
	}
	if id := g.t.FindBy("group", "displayName", "Engineering - All"); id != "" {
		for _, d := range devices[:2] {
			g.link("group", id, "members", d, false)
		}
	}
	if id := g.t.FindBy("group", "displayName", "Corporate Functions"); id != "" {
		g.link("group", id, "members", contacts[0], false)
	}
	if id := g.t.FindBy("administrativeUnit", "displayName", "Redmond Office"); id != "" {
		g.link("administrativeUnit", id, "members", devices[2], false)
	}
}
