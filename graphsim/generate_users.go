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
