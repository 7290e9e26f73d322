package importer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
)

// Object is one decoded object: a file at REV, or a live object in the
// same canonical form.
type Object = diff.Object

// RefState says what became of an object referenced from the selection.
type RefState string

const (
	RefLive    RefState = "live"
	RefDeleted RefState = "deleted" // in a recycle bin
	RefGone    RefState = "gone"    // deleted for good
)

// Input is everything Compute needs; Load builds it from a repository and
// Graph, tests from plain values.
type Input struct {
	// TenantID is the live tenant (from /organization, else the token's
	// tid claim); SnapshotTenantID the one the snapshot was taken from
	// (its manifest). "" when unknown: a write is then refused (CheckTenant).
	TenantID         string
	SnapshotTenantID string
	// Incomplete names, by kind, why the snapshot does not hold that kind
	// as it was at REV (carried forward, or not exported): live objects of
	// such a kind that are missing from the snapshot are never deleted.
	Incomplete map[string]string
	Repo       string
	Rev        string
	Commit     string
	Selectors  []string
	Selection  Selection
	Options    Options
	// Desired are the selected objects at REV; Others the rest of REV.
	Desired []*Object
	Others  []*Object
	// Live holds, per kind read, the live objects by lower-case key. A kind
	// of a desired object must be present (possibly empty).
	Live map[string]map[string]*Object
	// Deleted are objects in a recycle bin by lower-case key.
	Deleted map[string]*Object
	// BinUnread names, by kind, why its recycle bin could not be read (the
	// Conditional Access bin: beta, no application permissions); deleted
	// objects of such a kind are recreated, and the plan says why.
	BinUnread map[string]string
	// Refs is what became of ids referenced from the selection that are not
	// in Live (lower-case id → state); an id not in Refs is taken to exist.
	Refs map[string]RefState
	// IDMap connects ids of objects an earlier restore recreated.
	IDMap *IDMap
	// BreakGlass are the lower-case ids of break-glass accounts and groups.
	BreakGlass map[string]bool
	Now        time.Time
	Tool       string
	// Skipped are warnings for files of REV that could not be read and
	// were not selected.
	Skipped []string
	// Recovered says which in-doubt creates of an interrupted restore were
	// found in the tenant (or could not be told apart).
	Recovered []string
	// NotLicensed names, by kind, the licence the live tenant lacks for it
	// (Graph refused its read for that): its objects are not planned.
	NotLicensed map[string]string
}

// objState is one desired object being planned.
type objState struct {
	d       *Object // desired, references translated through the id map
	orig    string  // the key at REV
	k       *layout.Kind
	key     string // translated key (the tenant's key when it exists)
	live    *Object
	bin     *Object
	mode    string   // live, bin, create, skip
	main    string   // id of the create or restore action
	holder  string   // placeholder of the new id
	appHold string   // placeholder of the new appId
	appID   string   // translated appId (applications, service principals)
	via     []string // ids of the actions writing viaAction properties
}

type planner struct {
	in          *Input
	p           *Plan
	states      []*objState
	creating    map[string]*objState // lower translated key → state (create)
	creatingApp map[string]*objState // lower appId → application being created
	restoring   map[string]*objState // lower key → state (bin)
	restoringAp map[string]*objState // lower appId → application being restored
	planned     map[string]bool      // lower keys of objects in the plan
	names       map[string]string
	schemas     map[string]*schemas.Schema
	byAction    map[string]int              // action id → index in p.Actions
	objActions  map[string][]string         // kind/lower live key → action ids on it
	held        map[string][]heldAssignment // lower principal id → app role assignments at REV it holds (apps.go)
	activating  map[string]string           // lower role template id → action activating it (roles.go)
}

// Compute turns an Input into a Plan. It does no I/O.
func Compute(in *Input) (*Plan, error) {
	if in.IDMap == nil {
		in.IDMap = NewIDMap()
	}
	if in.Options.CAState == "" {
		in.Options.CAState = CAStateReportOnly
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	pl := &planner{
		in: in,
		p: &Plan{
			Format: FormatVersion, Tool: in.Tool, TenantID: in.TenantID, Repo: in.Repo, Rev: in.Rev, Commit: in.Commit,
			Selectors: in.Selectors, Selection: in.Selection, Options: in.Options, Created: in.Now.UTC().Truncate(time.Second),
			Actions: []Action{}, Live: map[string]string{},
		},
		creating: map[string]*objState{}, creatingApp: map[string]*objState{},
		restoring: map[string]*objState{}, restoringAp: map[string]*objState{},
		planned: map[string]bool{}, names: map[string]string{}, schemas: map[string]*schemas.Schema{},
		byAction: map[string]int{}, objActions: map[string][]string{},
	}
	pl.p.Warnings = append(pl.p.Warnings, in.Skipped...)
	pl.p.Warnings = append(pl.p.Warnings, in.Recovered...)
	if err := pl.classify(); err != nil {
		return nil, err
	}
	pl.selectedNotLicensed()
	for _, s := range pl.states {
		switch s.mode {
		case "live":
			pl.update(s, s.live, "")
			pl.children(s, s.live, false)
		case "bin":
			pl.restore(s)
		case "create":
			pl.create(s)
		}
		pl.credentials(s)
		pl.clientAssignments(s)
	}
	pl.binWarnings()
	pl.deletes()
	pl.snapshotWarnings()
	pl.references()
	pl.finish()
	return pl.p, nil
}

func (pl *planner) schema(k *layout.Kind) *schemas.Schema {
	if s, ok := pl.schemas[k.Name]; ok {
		return s
	}
	s, err := schemas.For(k.Name)
	if err != nil {
		s = nil
	}
	pl.schemas[k.Name] = s
	return s
}

// tr maps an id referenced at REV to the id it has now (id map), for
// references to objects of kinds.
func (pl *planner) tr(kinds []string, id string) string {
	if n, ok := pl.in.IDMap.Resolve(id); ok {
		return n
	}
	for _, k := range kinds {
		if k == "applications" {
			if n, ok := pl.in.IDMap.ResolveAppID(id); ok {
				return n
			}
		}
		if k == "directory-roles" {
			if n, ok := pl.liveDirectoryRole(id); ok { // roles.go
				return n
			}
		}
	}
	return id
}

// translate returns a copy of obj with its key and references mapped
// through the id map.
func (pl *planner) translate(o *Object) *Object {
	data := layout.Copy(o.Data).(map[string]any)
	k := o.Kind
	for _, r := range k.Refs {
		walkRef(data, r, func(id string) string { return pl.tr(r.Kinds, id) })
	}
	key := o.Key
	if !k.Singleton {
		key = pl.tr(nil, o.Key)
		if _, ok := data[k.KeyProp()]; ok {
			data[k.KeyProp()] = key
		}
	}
	if k.Name == "applications" || k.Name == "service-principals" {
		if a := str(data["appId"]); a != "" {
			if n, ok := pl.in.IDMap.ResolveAppID(a); ok {
				data["appId"] = n
				rewriteAppID(data, a, n)
			}
		}
	}
	return &Object{Path: o.Path, Kind: k, Key: key, Data: data}
}

// classify decides for each desired object whether it exists, waits in a
// recycle bin, or must be created.
func (pl *planner) classify() error {
	desired := append([]*Object(nil), pl.in.Desired...)
	order := map[string]int{}
	for i, k := range layout.Kinds() {
		order[k.Name] = i
	}
	sort.SliceStable(desired, func(i, j int) bool {
		a, b := desired[i], desired[j]
		if a.Kind.Name != b.Kind.Name {
			return order[a.Kind.Name] < order[b.Kind.Name]
		}
		if na, nb := strings.ToLower(displayName(a)), strings.ToLower(displayName(b)); na != nb {
			return na < nb
		}
		return a.Key < b.Key
	})
	natural := map[string]map[string]*Object{}
	for kind, objs := range pl.in.Live {
		k, _ := layout.Lookup(kind)
		m := map[string]*Object{}
		for _, o := range objs {
			if k != nil {
				m[naturalKey(k, o.Data, o.Key)] = o
			}
		}
		natural[kind] = m
	}
	for _, o := range pl.in.Others {
		pl.nameOf(o)
	}
	for _, o := range desired {
		pl.nameOf(o)
	}
	for _, objs := range pl.in.Live {
		for _, o := range objs {
			pl.nameOf(o)
		}
	}
	for _, o := range pl.in.Deleted {
		pl.nameOf(o)
	}
	for _, o := range desired {
		k := o.Kind
		if lic := pl.in.NotLicensed[k.Name]; lic != "" {
			pl.notLicensed(o, lic) // licence.go
			continue
		}
		if by, why := managedBy(k, o.Data); by != "" {
			pl.managed(o, by, why)
			continue
		}
		if k.BuiltIn != nil && k.BuiltIn(o.Data) {
			pl.p.BuiltIn++
			continue
		}
		if _, read := pl.in.Live[k.Name]; !read {
			return fmt.Errorf("importer: the live %s were not read", k.Title)
		}
		s := &objState{d: pl.translate(o), k: k, orig: o.Key}
		s.key = s.d.Key
		s.appID = str(s.d.Data["appId"])
		pl.planned[strings.ToLower(s.key)] = true
		pl.planned[strings.ToLower(o.Key)] = true
		if live := natural[k.Name][naturalKey(k, s.d.Data, s.key)]; live != nil {
			s.mode, s.live = "live", live
			s.key = live.Key
		} else if bin := pl.in.Deleted[strings.ToLower(s.key)]; bin != nil && bin.Kind.Name == k.Name {
			s.mode, s.bin = "bin", bin
			pl.restoring[strings.ToLower(s.key)] = s
			if k.Name == "applications" && s.appID != "" {
				pl.restoringAp[strings.ToLower(s.appID)] = s
			}
		} else {
			s.mode = "create"
			if why, ok := noCreate[k.Name]; ok || k.Singleton {
				if k.Singleton {
					why = "a singleton cannot be created"
				}
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s is not in the tenant and cannot be restored: %s", k.Title, label(o), why))
				s.mode = "skip"
			} else if why := cannotCreate(k, s.d.Data); why != "" {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s is not in the tenant and cannot be restored: %s", k.Title, label(o), why))
				s.mode = "skip"
			} else if why := pl.pimActivation(o); why != "" { // roles.go
				pl.managed(o, "PIM", why)
				s.mode = "skip"
			} else if synced(s.d.Data) {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s was synced from on-premises and is gone: recreate it in the on-premises directory and let sync bring it back", k.Title, label(o)))
				s.mode = "skip"
			} else if remapped(k) {
				s.holder = "{{new:" + s.key + "}}"
				pl.creating[strings.ToLower(s.key)] = s
				pl.names[strings.ToLower(s.holder)] = "new " + displayName(s.d)
				if k.Name == "applications" && s.appID != "" {
					s.appHold = "{{newAppId:" + s.appID + "}}"
					pl.creatingApp[strings.ToLower(s.appID)] = s
					pl.names[strings.ToLower(s.appHold)] = "new " + displayName(s.d)
				}
			}
		}
		pl.fingerprint(s)
		pl.states = append(pl.states, s)
	}
	return nil
}

func (pl *planner) fingerprint(s *objState) {
	switch s.mode {
	case "live":
		pl.p.Live[s.k.Name+"/"+s.live.Key] = fingerprint(s.live.Data)
	case "bin":
		pl.p.Live[s.k.Name+"/"+s.bin.Key] = "deleted:" + fingerprint(s.bin.Data)
	case "create":
		pl.p.Live[s.k.Name+"/"+s.key] = fpAbsent
	}
}

func (pl *planner) nameOf(o *Object) {
	n := displayName(o)
	if n == o.Key {
		return
	}
	if _, ok := pl.names[strings.ToLower(o.Key)]; !ok {
		pl.names[strings.ToLower(o.Key)] = n
	}
	if o.Kind.Name == "applications" {
		if a := str(o.Data["appId"]); a != "" {
			pl.names[strings.ToLower(a)] = n
		}
	}
	if t := str(o.Data["templateId"]); t != "" {
		if _, ok := pl.names[strings.ToLower(t)]; !ok {
			pl.names[strings.ToLower(t)] = n
		}
	}
}

func displayName(o *Object) string {
	for _, p := range []string{"displayName", "userPrincipalName", "name"} {
		if s, ok := o.Data[p].(string); ok && s != "" {
			return s
		}
	}
	return o.Key
}

func label(o *Object) string {
	n := displayName(o)
	if n == o.Key {
		return o.Key
	}
	return fmt.Sprintf("%q (%s)", n, o.Key)
}

// action returns the action with id; the pointer is valid until the next add.
func (pl *planner) action(id string) *Action {
	i, ok := pl.byAction[id]
	if !ok {
		return nil
	}
	return &pl.p.Actions[i]
}

// add appends an action, giving it the next id, and returns the id.
func (pl *planner) add(s *objState, a Action) string {
	a.ID = fmt.Sprintf("%d", len(pl.p.Actions)+1)
	a.Kind = s.k.Name
	if a.Key == "" {
		a.Key = s.orig
	}
	if a.LiveKey == "" && s.mode != "create" && !strings.EqualFold(s.key, a.Key) {
		a.LiveKey = s.key
	}
	if a.Name == "" {
		a.Name = displayName(s.d)
	}
	a.File = s.d.Path
	if len(a.Permissions) == 0 {
		a.Permissions = actionPermissions(s, &a)
	}
	a.DependsOn = uniq(a.DependsOn)
	pl.p.Actions = append(pl.p.Actions, a)
	pl.byAction[a.ID] = len(pl.p.Actions) - 1
	ok := s.k.Name + "/" + strings.ToLower(s.key)
	pl.objActions[ok] = append(pl.objActions[ok], a.ID)
	return a.ID
}

func body(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("importer: encoding a request body: " + err.Error())
	}
	return b
}

// ref maps a referenced id for a request: a placeholder when the object
// is being created, with the actions the request must wait for.
func (pl *planner) ref(kinds []string, id string) (string, []string) {
	isApp := false
	for _, k := range kinds {
		if k == "applications" {
			isApp = true
		}
	}
	if isApp {
		if s := pl.creatingApp[strings.ToLower(id)]; s != nil {
			return s.appHold, []string{mainDep(s)}
		}
		if s := pl.restoringAp[strings.ToLower(id)]; s != nil {
			return id, []string{mainDep(s)}
		}
	}
	if s := pl.creating[strings.ToLower(id)]; s != nil {
		return s.holder, []string{mainDep(s)}
	}
	if s := pl.restoring[strings.ToLower(id)]; s != nil {
		return id, []string{mainDep(s)}
	}
	return id, nil
}

// mainDep names the create or restore of s, which may not be planned yet:
// finish turns the name into the action's id.
func mainDep(s *objState) string {
	if s.main != "" {
		return s.main
	}
	return "@" + s.k.Name + "/" + strings.ToLower(s.key)
}

// mapRefs replaces, in data of kind k (top-level properties as in the
// file), the ids of objects being created by their placeholders.
func (pl *planner) mapRefs(k *layout.Kind, data map[string]any) {
	for _, r := range k.Refs {
		walkRef(data, r, func(id string) string {
			n, _ := pl.ref(r.Kinds, id)
			return n
		})
	}
}

// depsOf returns the actions a request body of kind k must wait for: the
// creates of the placeholders it holds and the restores of the objects it names.
func (pl *planner) depsOf(k *layout.Kind, b map[string]any) []string {
	var deps []string
	for _, r := range k.Refs {
		walkRef(layout.Copy(b), r, func(id string) string {
			if strings.HasPrefix(id, "{{new") {
				for _, s := range pl.creating {
					if s.holder == id || s.appHold == id {
						deps = append(deps, mainDep(s))
					}
				}
				return id
			}
			_, d := pl.ref(r.Kinds, id)
			deps = append(deps, d...)
			return id
		})
	}
	return deps
}

// refState says whether a referenced id exists, for ids outside the plan.
func (pl *planner) refState(id string) RefState {
	if pl.planned[strings.ToLower(id)] {
		return RefLive
	}
	if st, ok := pl.in.Refs[strings.ToLower(id)]; ok {
		return st
	}
	return RefLive
}

func (pl *planner) refName(id string) string {
	if n, ok := pl.names[strings.ToLower(id)]; ok {
		return fmt.Sprintf("%q (%s)", n, id)
	}
	return id
}

// effective is the desired data as it will be written: Conditional Access
// safety and break-glass exclusions applied. current is the live (or
// recycle bin) object, nil for a create.
func (pl *planner) effective(s *objState, current *Object) (map[string]any, []string) {
	data := layout.Copy(s.d.Data).(map[string]any)
	var warns []string
	if s.k.Name != "conditional-access-policies" {
		return data, warns
	}
	if pl.in.Options.CAState != CAStateAsIs && str(data["state"]) == "enabled" {
		wasOn := current != nil && s.mode == "live" && str(current.Data["state"]) == "enabled"
		if !wasOn {
			data["state"] = caReportOnly
			switch {
			case s.mode == "bin":
				warns = append(warns, "restored in report-only state (it was enabled at REV): Graph restores it as it was deleted, and the next request sets report-only; review its sign-in logs, then enable it or restore again with --ca-state as-is")
			case current != nil && str(current.Data["state"]) == caReportOnly:
				warns = append(warns, "kept in report-only state (it was enabled at REV): enable it after review, or restore again with --ca-state as-is")
			default:
				warns = append(warns, "written in report-only state (it was enabled at REV), so a restore cannot lock anyone out: review its sign-in logs, then enable it or restore again with --ca-state as-is")
			}
		}
	}
	if current != nil && len(pl.in.BreakGlass) > 0 {
		for _, p := range []string{"excludeUsers", "excludeGroups"} {
			cur := asSlice(dig(current.Data, "conditions", "users", p))
			users, _ := dig(data, "conditions", "users").(map[string]any)
			if users == nil {
				continue
			}
			want := asSlice(users[p])
			for _, v := range cur {
				id := str(v)
				if !pl.in.BreakGlass[strings.ToLower(id)] || containsFold(want, id) {
					continue
				}
				want = append(want, id)
				warns = append(warns, fmt.Sprintf("break-glass %s kept in conditions.users.%s (it was not excluded at REV; break-glass accounts are never removed from exclusions)", pl.refName(id), p))
			}
			sortAny(want)
			users[p] = want
		}
	}
	return data, warns
}

// update PATCHes the writable properties of current that differ from the
// snapshot. dep is the restore it follows, if any.
func (pl *planner) update(s *objState, current *Object, dep string) {
	k := s.k
	want, warns := pl.effective(s, current)
	if noUpdate[k.Name] {
		if k.Name == "role-eligibility-schedules" {
			pl.replaceEligibility(s, current, want, dep)
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
		if _, child := isChild(k, top); child || top == "@odata.type" || top == k.KeyProp() {
			continue
		}
		if _, inDesired := want[top]; !inDesired {
			continue // the snapshot has no opinion (a property newer than it)
		}
		if isCreateOnly(k, top) {
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
		if isSynced && !contains(cloudMastered[k.Name], top) {
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
	pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(k, s.key), Body: body(b)},
		Changes: changes, DependsOn: deps, Warnings: warns})
}

// replaceEligibility brings an eligibility's expiration back to the
// snapshot's. Graph does not PATCH schedules: the plan removes the live one
// (adminRemove) and assigns it again (adminAssign) with the snapshot's
// expiration, starting now (a start in the past is not Graph's to take).
func (pl *planner) replaceEligibility(s *objState, current *Object, want map[string]any, dep string) {
	expiration := func(d map[string]any) any {
		si, _ := d["scheduleInfo"].(map[string]any)
		return si["expiration"]
	}
	if want["scheduleInfo"] == nil || reflect.DeepEqual(expiration(want), expiration(current.Data)) {
		return
	}
	k := s.k
	ids := map[string]any{"principalId": current.Data["principalId"], "roleDefinitionId": current.Data["roleDefinitionId"],
		"directoryScopeId": current.Data["directoryScopeId"]}
	remove := map[string]any{"action": "adminRemove", "justification": "entrasnap restore"}
	assign := map[string]any{"action": "adminAssign", "justification": "entrasnap restore",
		"scheduleInfo": map[string]any{"expiration": layout.Copy(expiration(want))}}
	for f, v := range ids {
		remove[f], assign[f] = v, v
	}
	var deps []string
	if dep != "" {
		deps = append(deps, dep)
	}
	rm := pl.add(s, Action{Op: OpDelete, Request: Request{Method: "POST", Path: createPath(k), Body: body(remove)}, DependsOn: deps,
		Changes:  []Change{{Path: "scheduleInfo.expiration", Action: string(diff.Replaced), Before: expiration(current.Data), After: expiration(want)}},
		Warnings: []string{"Graph does not update eligibility schedules: the eligibility is removed and assigned again with the snapshot's expiration, starting now"}})
	pl.add(s, Action{Op: OpCreate, Request: Request{Method: "POST", Path: createPath(k), Body: body(assign)}, DependsOn: []string{rm}})
}

// note attaches warnings about an object that needs no write.
func (pl *planner) note(s *objState, warns []string) {
	for _, w := range warns {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s", s.k.Title, label(s.d), w))
	}
}

func changeOf(pc diff.PropChange) Change {
	return Change{Path: pc.Path, Action: string(pc.Action), Before: pc.Old, After: pc.New,
		Added: pc.Added, Removed: pc.Removed, RefKinds: pc.RefKinds}
}

func topProp(p string) string {
	i := strings.IndexAny(p, ".[")
	if i < 0 {
		return p
	}
	return p[:i]
}

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
		Changes: []Change{{Path: "(object)", Action: "replaced", Before: "in the recycle bin since " + str(s.bin.Data["deletedDateTime"]), After: "restored with its id"}}})
	pl.update(s, s.bin, s.main)
	pl.children(s, nil, true)
}

// create plans a new object and its relationships.
func (pl *planner) create(s *objState) {
	k := s.k
	want, warns := pl.effective(s, nil)
	pl.danglingRefs(s, want, &warns)
	pl.mapRefs(k, want)
	sch := pl.schema(k)
	b := map[string]any{}
	var changes []Change
	for _, p := range sortedKeys(want) {
		v := want[p]
		if _, child := isChild(k, p); child || v == nil {
			continue
		}
		if p == k.KeyProp() && remapped(k) {
			continue
		}
		if p != "@odata.type" && readOnly(k, sch, p) && !isCreateOnly(k, p) {
			continue
		}
		b[p] = stripReadOnly(k, sch, p, layout.Copy(v))
		changes = append(changes, Change{Path: p, Action: string(diff.Added), After: v, RefKinds: refKindsOf(k, p)})
	}
	sendIDOnly(k, b)
	var deps []string
	switch k.Name {
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
	case "role-eligibility-schedules":
		b = map[string]any{"action": "adminAssign", "justification": "entrasnap restore",
			"principalId": want["principalId"], "roleDefinitionId": want["roleDefinitionId"], "directoryScopeId": want["directoryScopeId"]}
		if si, ok := want["scheduleInfo"]; ok && si != nil {
			b["scheduleInfo"] = si
		}
	}
	if k.Name == "applications" {
		warns = append(warns, "recreated with a new application (client) id: every client configured with the old one must be updated")
	}
	deps = append(deps, pl.depsOf(k, b)...)
	oldURIs, newURIs := pl.splitAppIDURIs(s, b, changes)
	s.main = pl.add(s, Action{Op: OpCreate, Request: Request{Method: "POST", Path: createPath(k), Body: body(b)},
		Changes: changes, DependsOn: deps, Warnings: warns, Placeholder: s.holder, AppIDPlaceholder: s.appHold})
	pl.setAppIDURIs(s, oldURIs, newURIs)
	pl.children(s, nil, false)
}

// danglingRefs warns about references to objects that are gone and not
// being restored.
func (pl *planner) danglingRefs(s *objState, data map[string]any, warns *[]string) {
	for _, r := range s.k.Refs {
		if _, child := isChild(s.k, topProp(r.Path)); child {
			continue
		}
		walkRef(layout.Copy(data), r, func(id string) string {
			switch pl.refState(id) {
			case RefDeleted:
				*warns = append(*warns, fmt.Sprintf("%s names %s, which is in the recycle bin: add it to the selection, or Graph may refuse this write", r.Path, pl.refName(id)))
			case RefGone:
				*warns = append(*warns, fmt.Sprintf("%s names %s, which no longer exists: restore it too, or Graph may refuse this write", r.Path, pl.refName(id)))
			}
			return id
		})
	}
}

func refKindsOf(k *layout.Kind, p string) []string {
	for _, r := range k.Refs {
		if r.Path == p || strings.HasPrefix(r.Path, p+".") || strings.HasPrefix(r.Path, p+"[]") {
			return r.Kinds
		}
	}
	return nil
}

// children plans the relationships stored in the object's file: current is
// the live object (nil when the object is restored or created); ensure
// marks adds that may find the relationship there already.
func (pl *planner) children(s *objState, current *Object, ensure bool) {
	k := s.k
	parent := s.key
	var parentDeps []string
	if s.mode == "create" {
		parent = s.holder
		if parent == "" {
			parent = s.key
		}
	}
	if s.main != "" {
		parentDeps = []string{s.main}
	}
	for _, ch := range k.Children {
		want, ok := s.d.Data[ch.Name]
		if !ok {
			continue // the file has no opinion
		}
		if ch.Refs && k.Name == "groups" && (synced(s.d.Data) || (current != nil && synced(current.Data))) {
			if ch.Name == "members" {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("group %s is synced from on-premises: its members and owners are managed there and were not compared", label(s.d)))
			}
			continue
		}
		if pl.membershipManaged(s, current, ch) {
			continue
		}
		have := map[string]map[string]any{}
		if current != nil {
			for _, it := range asSlice(current.Data[ch.Name]) {
				if m, ok := it.(map[string]any); ok {
					have[childKey(k.Name, ch, m)] = m
				}
			}
		}
		wantBy := map[string]map[string]any{}
		var wantKeys []string
		for _, it := range asSlice(want) {
			if m, ok := it.(map[string]any); ok {
				ck := childKey(k.Name, ch, m)
				wantBy[ck] = m
				wantKeys = append(wantKeys, ck)
			}
		}
		sort.Strings(wantKeys)
		var adds []string
		for _, ck := range wantKeys {
			m := wantBy[ck]
			if k.Name == "authentication-strengths" && ch.Name == "combinationConfigurations" {
				if id := pl.combinationChild(s, ch, parent, have[ck], m, parentDeps); id != "" {
					adds = append(adds, id)
				}
				continue
			}
			if old, ok := have[ck]; ok {
				if k.Name == "service-principals" && ch.Name == "oauth2PermissionGrants" && normScope(str(old["scope"])) != normScope(str(m["scope"])) {
					pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: str(old["id"]),
						Request:   Request{Method: "PATCH", Path: "/v1.0/oauth2PermissionGrants/" + str(old["id"]), Body: body(map[string]any{"scope": m["scope"]})},
						Changes:   []Change{{Path: "oauth2PermissionGrants[resourceId=" + str(m["resourceId"]) + "].scope", Action: string(diff.Replaced), Before: old["scope"], After: m["scope"]}},
						DependsOn: parentDeps})
				}
				continue
			}
			if id := pl.addChild(s, ch, parent, m, parentDeps, ensure); id != "" {
				adds = append(adds, id)
			}
		}
		keep := keptOwner(k, ch, have, wantBy, adds)
		for _, ck := range sortedKeys(have) {
			if _, ok := wantBy[ck]; ok {
				continue
			}
			m := have[ck]
			if ck == keep && !pl.in.Options.NoRemove {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: owner %s was not removed: Graph keeps the last owner of a group; add the owner it should have, then remove this one", k.Title, label(s.d), pl.refName(childTarget(ch, m))))
				continue
			}
			target := str(m["id"])
			if k.Name == "authentication-strengths" && ch.Name == "combinationConfigurations" && !pl.in.Options.NoRemove {
				pl.combinationChild(s, ch, parent, m, nil, parentDeps)
				continue
			}
			if pl.in.Options.NoRemove {
				pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: childTarget(ch, m)})
				continue
			}
			a := Action{Relationship: ch.Name, Target: childTarget(ch, m), Removal: true, DependsOn: parentDeps}
			if ch.Name == "owners" {
				a.DependsOn = append(a.DependsOn, adds...) // never leave an object without owners on the way
			}
			switch {
			case ch.Refs:
				a.Op = OpRemoveLink
				a.Request = Request{Method: "DELETE", Path: itemPath(k, parent) + "/" + ch.Path + "/" + target + "/$ref"}
			case k.Name == "service-principals" && ch.Name == "oauth2PermissionGrants":
				a.Op = OpRemoveChild
				a.Request = Request{Method: "DELETE", Path: "/v1.0/oauth2PermissionGrants/" + target}
			default:
				a.Op = OpRemoveChild
				a.Request = Request{Method: "DELETE", Path: itemPath(k, parent) + "/" + ch.Path + "/" + target}
			}
			a.Changes = []Change{{Path: ch.Name, Action: string(diff.Changed), Removed: []any{m}, RefKinds: childRefKinds(k, ch)}}
			pl.add(s, a)
		}
	}
}

func childTarget(ch layout.Child, m map[string]any) string {
	switch ch.Name {
	case "appRoleAssignedTo":
		return str(m["principalId"])
	case "oauth2PermissionGrants":
		return str(m["resourceId"])
	case "scopedRoleMembers":
		info, _ := m["roleMemberInfo"].(map[string]any)
		return str(info["id"])
	}
	return str(m["id"])
}

func childRefKinds(k *layout.Kind, ch layout.Child) []string {
	for _, r := range k.Refs {
		if strings.HasPrefix(r.Path, ch.Name+"[]") {
			return r.Kinds
		}
	}
	return nil
}

func normScope(s string) string {
	f := strings.Fields(s)
	sort.Strings(f)
	return strings.Join(f, " ")
}

// addChild plans adding one relationship, unless its target is gone.
func (pl *planner) addChild(s *objState, ch layout.Child, parent string, m map[string]any, parentDeps []string, ensure bool) string {
	k := s.k
	target := childTarget(ch, m)
	kinds := childRefKinds(k, ch)
	switch pl.refState(target) {
	case RefDeleted:
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s is in the recycle bin and was not added back: add it to the selection to restore it", k.Title, label(s.d), ch.Name, pl.refName(target)))
		return ""
	case RefGone:
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s no longer exists and was not added back", k.Title, label(s.d), ch.Name, pl.memberLabel(m, target)))
		return ""
	}
	ref, deps := pl.ref(kinds, target)
	deps = append(deps, parentDeps...)
	a := Action{Relationship: ch.Name, Target: target, Ensure: ensure, DependsOn: deps,
		Changes: []Change{{Path: ch.Name, Action: string(diff.Changed), Added: []any{m}, RefKinds: kinds}}}
	switch {
	case ch.Refs:
		a.Op = OpAddLink
		a.Request = Request{Method: "POST", Path: itemPath(k, parent) + "/" + ch.Path + "/$ref",
			Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/directoryObjects/" + ref})}
	case k.Name == "service-principals" && ch.Name == "appRoleAssignedTo":
		a.Op = OpAddChild
		a.Request = Request{Method: "POST", Path: itemPath(k, parent) + "/appRoleAssignedTo",
			Body: body(map[string]any{"principalId": ref, "resourceId": parent, "appRoleId": m["appRoleId"]})}
	case k.Name == "service-principals" && ch.Name == "oauth2PermissionGrants":
		a.Op = OpAddChild
		res, rdeps := pl.ref([]string{"service-principals"}, str(m["resourceId"]))
		a.DependsOn = append(a.DependsOn, rdeps...)
		var principal any
		if p := str(m["principalId"]); p != "" {
			pr, pdeps := pl.ref([]string{"users"}, p)
			principal = pr
			a.DependsOn = append(a.DependsOn, pdeps...)
		}
		a.Request = Request{Method: "POST", Path: "/v1.0/oauth2PermissionGrants",
			Body: body(map[string]any{"clientId": parent, "consentType": m["consentType"], "principalId": principal, "resourceId": res, "scope": m["scope"]})}
	case k.Name == "administrative-units" && ch.Name == "scopedRoleMembers":
		a.Op = OpAddChild
		role, rdeps := pl.directoryRole(str(m["roleId"])) // roles.go: activated first if it must be
		a.DependsOn = append(a.DependsOn, rdeps...)
		a.Request = Request{Method: "POST", Path: itemPath(k, parent) + "/scopedRoleMembers",
			Body: body(map[string]any{"roleId": role, "roleMemberInfo": map[string]any{"id": ref}})}
	default:
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: restoring %s is not supported", k.Title, label(s.d), ch.Name))
		return ""
	}
	a.DependsOn = uniq(a.DependsOn)
	return pl.add(s, a)
}

// credentials lists the secrets and certificates that must be re-issued.
func (pl *planner) credentials(s *objState) {
	if s.k.Name != "applications" && s.k.Name != "service-principals" {
		return
	}
	var current *Object
	switch s.mode {
	case "live":
		current = s.live
	case "bin":
		current = s.bin
	case "create":
	default:
		return
	}
	have := map[string]bool{}
	if current != nil {
		for _, p := range []string{"passwordCredentials", "keyCredentials"} {
			for _, c := range asSlice(current.Data[p]) {
				if m, ok := c.(map[string]any); ok {
					have[strings.ToLower(str(m["keyId"]))] = true
				}
			}
		}
	}
	for _, p := range []string{"passwordCredentials", "keyCredentials"} {
		typ := "client secret"
		if p == "keyCredentials" {
			typ = "certificate"
		}
		for _, c := range asSlice(s.d.Data[p]) {
			m, ok := c.(map[string]any)
			if !ok || have[strings.ToLower(str(m["keyId"]))] {
				continue
			}
			pl.p.Credentials = append(pl.p.Credentials, Credential{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Type: typ,
				KeyID: str(m["keyId"]), DisplayName: str(m["displayName"]), Expires: str(m["endDateTime"])})
		}
	}
}

// snapshotWarnings says when the selected objects of a kind are not as at
// REV (the kind was carried forward) and when the live tenant is unknown.
func (pl *planner) snapshotWarnings() {
	counts := map[string]int{}
	for _, s := range pl.states {
		if _, ok := pl.in.Incomplete[s.k.Name]; ok {
			counts[s.k.Name]++
		}
	}
	for _, k := range layout.Kinds() {
		if n := counts[k.Name]; n > 0 {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: the selected objects (%d) may be older than %s: the snapshot holds this kind incomplete (%s)",
				k.Title, n, pl.in.Rev, pl.in.Incomplete[k.Name]))
		}
	}
	if pl.in.TenantID == "" {
		pl.p.Warnings = append(pl.p.Warnings, "the tenant Graph answers for is unknown (/organization cannot be read and the token has no tid claim): this plan cannot be applied")
	}
}

// deletes plans removing live objects of wholly selected kinds that were
// not there at REV.
func (pl *planner) deletes() {
	matched := map[string]bool{}
	for _, s := range pl.states {
		if s.live != nil {
			matched[s.k.Name+"/"+strings.ToLower(s.live.Key)] = true
		}
	}
	// Kinds in reverse catalog order: what references others goes first.
	kinds := layout.Kinds()
	selected := map[string]bool{}
	for _, n := range pl.in.Selection.Kinds {
		selected[n] = true
	}
	type del struct {
		k  *layout.Kind
		o  *Object
		id string
	}
	var dels []del
	for i := len(kinds) - 1; i >= 0; i-- {
		k := kinds[i]
		if !selected[k.Name] || noDelete[k.Name] || k.Singleton {
			continue
		}
		live := pl.in.Live[k.Name]
		why, incomplete := pl.in.Incomplete[k.Name]
		spared := 0
		for _, key := range sortedKeys(live) {
			o := live[key]
			if matched[k.Name+"/"+key] {
				continue
			}
			pl.p.Live[k.Name+"/"+o.Key] = fingerprint(o.Data)
			if k.BuiltIn != nil && k.BuiltIn(o.Data) {
				continue
			}
			if by, why := managedBy(k, o.Data); by != "" {
				pl.managed(o, by, why+"; not at REV, never deleted")
				continue
			}
			if k.Name == "groups" && exchangeManaged(o.Data) {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("group %s was not in the snapshot at %s and is not deleted: a mail-enabled security group or distribution list is managed by Exchange; delete it there", label(o), pl.in.Rev))
				continue
			}
			if incomplete {
				// Missing from a kind the snapshot does not hold as at REV
				// says nothing about whether it existed then.
				spared++
				continue
			}
			if pl.in.Options.NoRemove {
				pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: o.Key, Name: displayName(o)})
				continue
			}
			s := &objState{d: o, k: k, key: o.Key, orig: o.Key, live: o, mode: "live"}
			a := Action{Op: OpDelete, Removal: true, Request: Request{Method: "DELETE", Path: itemPath(k, o.Key)},
				Changes: []Change{{Path: "(object)", Action: string(diff.Removed), Before: "not in the snapshot at REV"}}}
			if k.Name == "role-eligibility-schedules" {
				a.Request = Request{Method: "POST", Path: createPath(k), Body: body(map[string]any{"action": "adminRemove",
					"principalId": o.Data["principalId"], "roleDefinitionId": o.Data["roleDefinitionId"], "directoryScopeId": o.Data["directoryScopeId"],
					"justification": "entrasnap restore"})}
			}
			if k.SoftDelete != "" {
				a.Warnings = append(a.Warnings, "goes to the recycle bin, where it can be restored for 30 days")
			}
			dels = append(dels, del{k, o, pl.add(s, a)})
		}
		if spared > 0 {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: %d live objects not in the snapshot at %s are not deleted: the snapshot holds this kind incomplete (%s)",
				k.Title, spared, pl.in.Rev, why))
		}
	}
	// A delete waits for every write to an object whose live state names
	// the deleted object (the CA policy dropping a named location, a group
	// dropping a member), and for the deletes of such objects.
	if len(dels) == 0 {
		return
	}
	referrers := map[string][]string{} // lower id → "kind/lower key" of live objects naming it
	for kind, objs := range pl.in.Live {
		k, _ := layout.Lookup(kind)
		if k == nil {
			continue
		}
		for _, o := range objs {
			for id := range refsOf(k, o.Data) {
				referrers[id] = append(referrers[id], kind+"/"+strings.ToLower(o.Key))
			}
		}
	}
	for _, d := range dels {
		a := pl.action(d.id)
		for _, obj := range referrers[strings.ToLower(d.o.Key)] {
			for _, id := range pl.objActions[obj] {
				if id != d.id {
					a.DependsOn = append(a.DependsOn, id)
				}
			}
		}
		a.DependsOn = uniq(a.DependsOn)
	}
}

// refsOf returns the lower-case ids an object's references name.
func refsOf(k *layout.Kind, data map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, r := range k.Refs {
		walkRef(layout.Copy(data), r, func(id string) string {
			out[strings.ToLower(id)] = true
			return id
		})
	}
	return out
}

// references reports references to recreated objects from objects at REV
// that the plan does not restore.
func (pl *planner) references() {
	if len(pl.creating) == 0 {
		return
	}
	old := map[string]*objState{}
	for _, s := range pl.creating {
		old[strings.ToLower(s.key)] = s
	}
	for _, s := range pl.states {
		if s.mode == "create" && s.holder != "" {
			old[strings.ToLower(s.d.Key)] = s
		}
	}
	referrers := map[*objState][]string{}
	for _, o := range pl.in.Others {
		k := o.Kind
		for _, r := range k.Refs {
			walkRef(layout.Copy(o.Data), r, func(id string) string {
				if s := old[strings.ToLower(pl.tr(r.Kinds, id))]; s != nil {
					pl.p.References = append(pl.p.References, Reference{Kind: k.Name, Key: o.Key, Name: displayName(o), File: o.Path, Property: r.Path, OldID: id})
					referrers[s] = append(referrers[s], k.Name)
				}
				return id
			})
		}
	}
	for s, kinds := range referrers {
		if a := pl.action(s.main); a != nil {
			a.Warnings = append(a.Warnings, fmt.Sprintf("%d objects not being restored name its old id (listed below) and keep pointing at nothing until restored too: add them to the selection (e.g. %s)",
				len(kinds), strings.Join(uniq(kinds), ", ")))
		}
	}
}

// finish resolves the dependencies on creates and restores planned later,
// orders the actions so each comes after what it depends on (keeping the
// catalog order otherwise), numbers them, and collects the names the plan
// mentions.
func (pl *planner) finish() {
	mains := map[string]string{}
	for _, s := range pl.states {
		if s.main != "" {
			mains["@"+s.k.Name+"/"+strings.ToLower(s.key)] = s.main
		}
	}
	for i := range pl.p.Actions {
		a := &pl.p.Actions[i]
		for j, d := range a.DependsOn {
			if strings.HasPrefix(d, "@") {
				a.DependsOn[j] = mains[d]
			}
		}
		a.DependsOn = uniq(a.DependsOn)
	}
	pl.order()
	pl.names2()
}

// order puts the actions in dependency order and renumbers them: kinds
// ordered so that what others wait for comes first (the catalog order
// otherwise), each kind's actions together, removals last; then a stable
// topological pass guarantees every action follows what it depends on.
func (pl *planner) order() {
	kindOf := map[string]string{}
	for _, a := range pl.p.Actions {
		kindOf[a.ID] = a.Kind
	}
	rank := map[string]int{}
	for i, k := range layout.Kinds() {
		rank[k.Name] = i
	}
	after := map[string]map[string]bool{} // kind → kinds it waits for
	for _, a := range pl.p.Actions {
		if a.Removal {
			continue
		}
		for _, d := range a.DependsOn {
			if k := kindOf[d]; k != "" && k != a.Kind {
				if after[a.Kind] == nil {
					after[a.Kind] = map[string]bool{}
				}
				after[a.Kind][k] = true
			}
		}
	}
	var kinds []string
	for _, k := range layout.Kinds() {
		kinds = append(kinds, k.Name)
	}
	done := map[string]bool{}
	var korder []string
	for len(korder) < len(kinds) {
		picked := false
		for _, k := range kinds {
			if done[k] {
				continue
			}
			ready := true
			for w := range after[k] {
				if !done[w] {
					ready = false
				}
			}
			if ready {
				done[k], picked = true, true
				korder = append(korder, k)
				break
			}
		}
		if !picked { // kinds waiting on each other: catalog order for the rest
			for _, k := range kinds {
				if !done[k] {
					done[k] = true
					korder = append(korder, k)
				}
			}
		}
	}
	for i, k := range korder {
		rank[k] = i
	}
	var main, removals []Action
	for _, a := range pl.p.Actions {
		if a.Removal {
			removals = append(removals, a)
		} else {
			main = append(main, a)
		}
	}
	sort.SliceStable(main, func(i, j int) bool { return rank[main[i].Kind] < rank[main[j].Kind] })
	acts := append(main, removals...)
	index := map[string]int{}
	for i, a := range acts {
		index[a.ID] = i
	}
	placed := make([]bool, len(acts))
	var out []Action
	for len(out) < len(acts) {
		progress := false
		for i, a := range acts {
			if placed[i] {
				continue
			}
			ready := true
			for _, d := range a.DependsOn {
				if j, ok := index[d]; ok && !placed[j] {
					ready = false
					break
				}
			}
			if ready {
				placed[i] = true
				out = append(out, a)
				progress = true
				break // restart from the top: earlier actions first
			}
		}
		if !progress { // a cycle: keep the rest as they are; apply refuses it
			for i, a := range acts {
				if !placed[i] {
					out = append(out, a)
					placed[i] = true
				}
			}
		}
	}
	renum := map[string]string{}
	for i := range out {
		renum[out[i].ID] = fmt.Sprintf("%d", i+1)
	}
	for i := range out {
		out[i].ID = renum[out[i].ID]
		for j, d := range out[i].DependsOn {
			if n, ok := renum[d]; ok {
				out[i].DependsOn[j] = n
			}
		}
		sort.Slice(out[i].DependsOn, func(a, b int) bool { return atoi(out[i].DependsOn[a]) < atoi(out[i].DependsOn[b]) })
	}
	pl.p.Actions = out
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// names2 collects the names the plan mentions.
func (pl *planner) names2() {
	names := map[string]string{}
	var visit func(v any)
	visit = func(v any) {
		switch x := v.(type) {
		case string:
			if n, ok := pl.names[strings.ToLower(x)]; ok {
				names[strings.ToLower(x)] = n
			}
		case []any:
			for _, e := range x {
				visit(e)
			}
		case map[string]any:
			for _, e := range x {
				visit(e)
			}
		}
	}
	for _, a := range pl.p.Actions {
		visit(a.Key)
		visit(a.LiveKey)
		visit(a.Target)
		for _, c := range a.Changes {
			visit(c.Before)
			visit(c.After)
			visit(c.Added)
			visit(c.Removed)
		}
	}
	for _, k := range pl.p.Kept {
		visit(k.Target)
	}
	for _, r := range pl.p.References {
		visit(r.OldID)
	}
	pl.p.Names = names
}

// ---- values ----

// walkRef calls fn on every id a reference r names and stores what it
// returns; values that name nothing (no r.Prefix) are left alone.
func walkRef(v any, r layout.Ref, fn func(string) string) {
	walkRefs(v, strings.Split(r.Path, "."), func(s string) string {
		id, ok := r.ID(s)
		if !ok {
			return s
		}
		return r.Value(fn(id))
	})
}

// walkRefs calls fn on every id at a reference path ("members[].id",
// "conditions.users.includeGroups") and stores what it returns.
func walkRefs(v any, segs []string, fn func(string) string) {
	m, ok := v.(map[string]any)
	if !ok || len(segs) == 0 {
		return
	}
	name, arr := strings.CutSuffix(segs[0], "[]")
	if len(segs) == 1 {
		switch x := m[name].(type) {
		case string:
			if x != "" {
				m[name] = fn(x)
			}
		case []any:
			for i, e := range x {
				if s, ok := e.(string); ok && s != "" {
					x[i] = fn(s)
				}
			}
		}
		return
	}
	if arr {
		for _, e := range asSlice(m[name]) {
			walkRefs(e, segs[1:], fn)
		}
		return
	}
	walkRefs(m[name], segs[1:], fn)
}

// stripReadOnly removes the read-only parts of a value sent whole.
func stripReadOnly(k *layout.Kind, sch *schemas.Schema, path string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for key, e := range x {
			p := path + "." + key
			if key != "@odata.type" && readOnly(k, sch, p) {
				delete(x, key)
				continue
			}
			x[key] = stripReadOnly(k, sch, p, e)
		}
	case []any:
		for i, e := range x {
			x[i] = stripReadOnly(k, sch, path+"[]", e)
		}
	}
	return v
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func containsFold(list []any, s string) bool {
	for _, e := range list {
		if strings.EqualFold(str(e), s) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func sortAny(a []any) {
	sort.SliceStable(a, func(i, j int) bool { return strings.ToLower(str(a[i])) < strings.ToLower(str(a[j])) })
}

func uniq(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
