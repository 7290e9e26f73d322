package graphsim

// The demo tenant's managers (manager.go): every cloud employee reports to
// the head of their department, and each department head to the chief
// executive (the head of Executive). Users synced from on-premises and
// guests have none (a synced user's manager comes from Active Directory).
// No random draw and no new id: the objects generated before keep theirs.
func (g *generator) demoManagers(people []*person) {
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
}
