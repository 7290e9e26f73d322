package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// update PATCHes the writable properties of current that differ from the
// snapshot. dep is the restore it follows, if any.
func (pl *planner) update(s *objState, current *Object, dep string) {
	k := s.k
	if isCSA(k) { // csavalues.go: only the attributes that change
		pl.csaUpdate(s, current, dep)
		return
	}
	if isUFC(k) { // userflowconnections.go: $ref writes, no PATCH
		pl.ufcPlan(s, current, dep, "")
		return
	}
	want, warns := pl.effective(s, current)
	if isRolePolicy(k) { // pim.go: one PATCH per changed rule
		pl.updateRolePolicy(s, current, want, warns, dep)
		return
	}
	if k.Name == timeBoundKind || isGroupSchedule(k) || k.Name == "role-eligibility-schedules" { // pim.go: a changed end, by adminUpdate
		pl.updateWindow(s, current, want, dep)
		return
	}
	if k.Name == lcwWorkflows { // lcw.go: PATCH or a new version
		pl.updateWorkflow(s, current, dep)
		return
	}
	if noUpdate[k.Name] {
		if k.Name == cbaKind {
			pl.replaceCBA(s, current, want, dep) // cba.go
		}
		return
	}
	pl.mapRefs(k, want)
	sch := pl.schema(k)
	from := &Object{Path: s.d.Path, Kind: k, Key: s.key, Data: current.Data}
	to := &Object{Path: s.d.Path, Kind: k, Key: s.key, Data: want}
	res := diff.Compare(diff.Snapshot{from.Path: from}, diff.Snapshot{to.Path: to}, nil)
	byTop := map[string][]diff.PropChange{}
	for _, c := range res.Changes {
		for _, pc := range c.Props {
			top := topProp(pc.Path)
			byTop[top] = append(byTop[top], pc)
		}
	}
	b := map[string]any{}
	var changes []Change
	var onPrem, createOnlyDiff, notWritten []string
	isSynced := synced(current.Data) || synced(want)
	var viaDeps []string
	if dep != "" {
		viaDeps = []string{dep}
	}
	s.via = pl.actionWrites(s, want, byTop, viaDeps)
	for top, pcs := range byTop {
		if byTop[top] = idOnlyChanges(k, pcs); len(byTop[top]) == 0 {
			delete(byTop, top)
		}
	}
	for _, top := range sortedKeys(byTop) {
		if isChild(k, top) || top == "@odata.type" || top == k.KeyProp() {
			continue
		}
		if _, inDesired := want[top]; !inDesired {
			continue // the snapshot has no opinion (a property newer than it)
		}
		if isCreateOnly(k, top) {
			if k.FileItems != nil && top == k.FileItems.List {
				continue // termsofuse.go agreementFiles says what is added and what is not written, file by file
			}
			createOnlyDiff = append(createOnlyDiff, top)
			continue
		}
		if readOnly(k, sch, top) || onlyReadOnly(k, sch, byTop[top]) {
			continue
		}
		if notUpdatable(k, top) {
			notWritten = append(notWritten, top)
			continue
		}
		if w := guestRedeemed(k, want, top); w != "" { // guests.go
			warns = append(warns, w)
			continue
		}
		if isSynced && !slices.Contains(cloudMastered[k.Name], top) {
			onPrem = append(onPrem, top)
			continue
		}
		b[top] = stripReadOnly(k, sch, top, layout.Copy(want[top]))
		for _, pc := range byTop[top] {
			changes = append(changes, changeOf(pc))
		}
	}
	if len(onPrem) > 0 {
		warns = append(warns, fmt.Sprintf("synced from on-premises: %s differ from REV and must be fixed in the on-premises directory (sync would overwrite a cloud change)", strings.Join(onPrem, ", ")))
	}
	if len(notWritten) > 0 {
		warns = append(warns, fmt.Sprintf("%s differ from REV but Graph's update of a %s does not write them", strings.Join(notWritten, ", "), k.Title))
	}
	if len(createOnlyDiff) > 0 {
		warns = append(warns, fmt.Sprintf("%s differ from REV but can only be set when the object is created", strings.Join(createOnlyDiff, ", ")))
	}
	if len(b) > 0 && k.Name == "groups" && exchangeManaged(current.Data) {
		warns = append(warns, exchangeReadOnly(sortedKeys(b)))
		b = map[string]any{}
	}
	if len(b) == 0 {
		if len(warns) > 0 {
			pl.note(s, warns)
		}
		return
	}
	if t, ok := want["@odata.type"]; ok {
		b["@odata.type"] = t
	}
	sendIDOnly(k, b)
	pl.danglingRefs(s, b, &warns)
	deps := pl.depsOf(k, b)
	if dep != "" {
		deps = append(deps, dep)
	}
	if pre := pl.disableEntitlements(s, current, b, deps); pre != "" {
		deps = append(deps, pre)
	}
	method := "PATCH"
	if putWhole[k.Name] { // policies.go
		method, b = "PUT", wholeBody(pl, k, want, b, current.Data)
	}
	pl.add(s, Action{Op: OpUpdate, Request: Request{Method: method, Path: itemPath(k, s.key), Body: body(b)},
		Changes: changes, DependsOn: deps, Warnings: warns})
}

// note attaches warnings about an object that needs no write.
func (pl *planner) note(s *objState, warns []string) {
	for _, w := range warns {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s", s.k.Title, label(s.d), w))
	}
}

func changeOf(pc diff.PropChange) Change {
	return Change{Path: pc.Path, Action: pc.Action, Before: pc.Old, After: pc.New,
		Added: pc.Added, Removed: pc.Removed, RefKinds: pc.RefKinds}
}

func topProp(p string) string {
	i := strings.IndexAny(p, ".[")
	if i < 0 {
		return p
	}
	return p[:i]
}
