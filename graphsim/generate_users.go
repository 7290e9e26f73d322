package graphsim

// The demo tenant's managers and sponsors (manager.go): every cloud
// employee reports to the head of their department, and each department
// head to the chief executive (the head of Executive). Users synced from
// on-premises and guests have no manager (a synced user's manager comes
// from Active Directory). Each guest is sponsored by the head of a
// department (Sales, Marketing, ... in turn) and every third one also by
// the IT helpdesk group. No random draw and no new id: the objects
// generated before keep theirs.
func (g *generator) demoManagers(people []*person, gr demoGroupRefs) {
	heads := map[int]string{}
	for _, p := range people {
		if p.head && p.id != "" {
			heads[p.dept] = p.id
		}
	}
	ceo := heads[0]
	for _, p := range people {
		if p.id == "" || p.guest || p.synced || p.dept < 0 {
			continue
		}
		m := heads[p.dept]
		if p.head {
			m = ceo
		}
		if m == "" || m == p.id {
			continue
		}
		g.link("user", p.id, managerRel, m, true)
	}
	guest := 0
	for _, p := range people {
		if p.id == "" || !p.guest {
			continue
		}
		if h := heads[1+guest%(len(departments)-1)]; h != "" {
			g.link("user", p.id, "sponsors", h, false)
		}
		if guest%3 == 0 && gr.helpdesk != "" {
			g.link("user", p.id, "sponsors", gr.helpdesk, false)
		}
		guest++
	}
}

// Subscriptions of the demo tenant: real SKU and service plan ids
// (learn:/entra/identity/users/licensing-service-plan-reference).
const (
	skuE3     = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK, Office 365 E3
	skuEMSE5  = "b05e124f-c7cc-45a0-a6aa-8cf78c946968" // EMSPREMIUM, Enterprise Mobility + Security E5
	skuPBIPro = "f8a1db68-be16-40ed-86d5-cb42ce701560" // POWER_BI_PRO
	planTeams = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1
)

// demoLicences: Office 365 E3 through the All Company group (guests and
// anyone without a usage location get it in error), EMS E5 directly to
// the IT department, Power BI Pro directly to Finance's first members, and
// one person with E3 directly too, Teams disabled. No random draw and no
// new directory id.
func (g *generator) demoLicences(people []*person, gr demoGroupRefs) {
	if g.err != nil {
		return
	}
	employees := 0
	for _, p := range people {
		if !p.guest {
			employees++
		}
	}
	plan := func(id, name string) map[string]any {
		return map[string]any{"servicePlanId": id, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User"}
	}
	for _, s := range []struct {
		sku, part string
		units     int
		plans     []any
	}{
		{skuE3, "ENTERPRISEPACK", employees + 5, []any{plan("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE"),
			plan("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE"), plan(planTeams, "TEAMS1")}},
		{skuEMSE5, "EMSPREMIUM", 25, []any{plan("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2"),
			plan("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A")}},
		{skuPBIPro, "POWER_BI_PRO", 5, []any{plan("70d33638-9c74-4d01-bfd3-562de28bd4ba", "BI_AZURE_P2")}},
	} {
		if _, err := g.t.Seed(skuKindName, map[string]any{"id": g.t.id + "_" + s.sku, "skuId": s.sku, "skuPartNumber": s.part,
			"appliesTo": "User", "capabilityStatus": "Enabled", "consumedUnits": 0,
			"prepaidUnits": map[string]any{"enabled": s.units, "suspended": 0, "warning": 0, "lockedOut": 0}, "servicePlans": s.plans}); err != nil {
			g.err = err
			return
		}
	}
	lic := func(sku string, disabled ...any) []map[string]any {
		if disabled == nil {
			disabled = []any{}
		}
		return []map[string]any{{"skuId": sku, "disabledPlans": disabled}}
	}
	seed := func(kind, id string, l []map[string]any) {
		if g.err == nil && id != "" {
			g.err = g.t.SeedLicences(kind, id, l)
		}
	}
	seed("group", gr.allCompany, lic(skuE3))
	finance, ems, e3 := 0, 0, false
	for _, p := range people {
		if p.guest || p.dept < 0 || p.id == "" {
			continue
		}
		switch departments[p.dept].Name {
		case "IT":
			if ems < 20 {
				seed("user", p.id, lic(skuEMSE5))
				ems++
			}
		case "Finance":
			if finance < 3 {
				seed("user", p.id, lic(skuPBIPro))
				finance++
			}
		case "Sales":
			if !e3 && !p.head {
				seed("user", p.id, lic(skuE3, planTeams))
				e3 = true
			}
		}
	}
}
