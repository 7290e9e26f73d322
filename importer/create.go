package importer

import (
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// restore plans the restore of an object in a recycle bin, then the PATCH
// to its state at REV and its relationships.
func (pl *planner) restore(s *objState) {
	k := s.k
	var deps []string
	if k.Name == "service-principals" && s.appID != "" {
		if a := pl.restoringAp[strings.ToLower(s.appID)]; a != nil {
			deps = append(deps, mainDep(a))
		}
	}
	// What the object names comes back first (named locations before the
	// policies naming them).
	named := layout.Copy(s.d.Data).(map[string]any)
	for _, ch := range k.Children {
		delete(named, ch.Name)
	}
	deps = append(deps, pl.depsOf(k, named)...)
	var warns []string
	if k.Name == "applications" {
		warns = append(warns, "restoring an application does not restore its service principal: select the service principal too if it was deleted")
	}
	s.main = pl.add(s, Action{Op: OpRestore, Request: Request{Method: "POST", Path: restorePath(k, s.bin.Key)}, DependsOn: deps, Warnings: warns,
		Changes: []Change{{Path: "(object)", Action: diff.Replaced, Before: "in the recycle bin since " + str(s.bin.Data["deletedDateTime"]), After: "restored with its id"}}})
	pl.update(s, s.bin, s.main)
	pl.children(s, nil, true)
}

// create plans a new object and its relationships.
func (pl *planner) create(s *objState) {
	k := s.k
	if isRolePolicy(k) && pl.settingsOfNewRole(s) { // pim.go
		return
	}
	if isCSA(k) { // csavalues.go: a PATCH of the user (service principal), once it is there
		pl.csaAssign(s)
		return
	}
	if isUFC(k) { // userflowconnections.go: written once the flow is there
		pl.ufcCreate(s)
		return
	}
	want, warns := pl.effective(s, nil)
	pl.danglingRefs(s, want, &warns)
	warns = append(warns, pl.unreadAgreements(k, want)...) // termsofuse.go
	warns = append(warns, pl.standingUnknown(s)...)        // roles.go
	pl.mapRefs(k, want)
	sch := pl.schema(k)
	b := map[string]any{}
	var changes []Change
	for _, p := range sortedKeys(want) {
		v := want[p]
		if isChild(k, p) || v == nil {
			continue
		}
		if p == k.KeyProp() && remapped(k) {
			continue
		}
		if p != "@odata.type" && readOnly(k, sch, p) && !isCreateOnly(k, p) {
			continue
		}
		b[p] = stripReadOnly(k, sch, p, layout.Copy(v))
		changes = append(changes, Change{Path: p, Action: diff.Added, After: v, RefKinds: refKindsOf(k, p)})
	}
	sendIDOnly(k, b)
	var deps []string
	docs := false
	switch k.Name {
	case termsOfUseKind: // termsofuse.go: with its files
		warns = append(warns, agreementCreate(k, want, b)...)
		docs = true
	case "users":
		if isGuest(want) { // guests.go: invited again, not created
			pl.createGuest(s, b, changes, warns)
			return
		}
		b["passwordProfile"] = map[string]any{"forceChangePasswordNextSignIn": true, "password": "{{generated-password}}"}
		warns = append(warns, "recreated without its password (passwords are never in a snapshot): apply sets a random one that nobody sees; reset it or issue a Temporary Access Pass, and re-register the user's MFA methods")
		pl.p.Credentials = append(pl.p.Credentials, Credential{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Type: "user password"})
	case "service-principals":
		if s.appID != "" {
			n, d := pl.ref([]string{"applications"}, s.appID)
			b["appId"] = n
			deps = append(deps, d...)
			for i := range changes {
				if changes[i].Path == "appId" {
					changes[i].After = n
				}
			}
		}
	case userFlows: // external.go: Graph puts B2X_1_ back
		b["id"] = userFlowName(str(b["id"]))
		if !pl.ufcPlanned(s.key) { // userflowconnections.go
			warns = append(warns, userFlowNotBackedUp)
		}
	case "role-eligibility-schedules":
		b = scheduleRequest(k, "adminAssign", want)
		if si, ok := want["scheduleInfo"]; ok && si != nil {
			b["scheduleInfo"] = si
		}
	case groupEligKind, groupAssignKind: // pimgroups.go: with its end; an expired one is not made
		pl.createGroupSchedule(s, want, changes, warns)
		return
	case lcwWorkflows: // lcw.go: with its tasks
		b = pl.createWorkflow(s, want, &changes, &warns)
	case timeBoundKind: // pim.go: with its end, never permanent; an expired one is not made
		var why string
		if b, why = pl.timeBoundRequest(k, want); why != "" {
			pl.note(s, []string{why})
			return
		}
	}
	if k.Name == "applications" {
		warns = append(warns, "recreated with a new application (client) id: every client configured with the old one must be updated")
	}
	deps = append(deps, pl.depsOf(k, b)...)
	oldURIs, newURIs := pl.splitAppIDURIs(s, b, changes)
	method, path := createRequest(k, s.key)
	s.main = pl.add(s, Action{Op: OpCreate, Request: Request{Method: method, Path: path, Body: body(b), Documents: docs},
		Changes: changes, DependsOn: deps, Warnings: warns, Placeholder: s.holder, AppIDPlaceholder: s.appHold})
	pl.setAppIDURIs(s, oldURIs, newURIs)
	pl.children(s, nil, false)
}
