package importer

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
	// Rehearsal is the rehearsal tenant instance Graph's answers name
	// (RehearsalMark, rehearsal.go); "" for a real tenant.
	Rehearsal string
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
	// Desired are the selected objects at REV; Others the rest of REV,
	// which may be shared with other Loads (SnapshotCache): never changed.
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
	// RoleEndsUnknown says why REV's role assignments may hold a
	// time-bound assignment (or a PIM activation) without its end, or ""
	// (roles.go, roleEndsUnknown): the snapshot was taken without the PIM
	// kinds, and Graph's role assignments carry no end.
	RoleEndsUnknown string
	// DelegatedOnly names, by kind, why the app-only token could not read
	// it (rollout.go): its objects are listed, not planned.
	DelegatedOnly map[string]string
	// Unread names, by kind, why a kind read only to plan another one
	// right (layout.Kind.AdvisoryReads) could not be read; it is then not in
	// Live, and the plan says what it could not tell.
	Unread map[string]string
	// ReadWith are the permissions of the token Load read with (its roles,
	// or a delegated token's scopes); nil when the token is not a JWT.
	ReadWith []string
	// Files: the plan is made from object files (fromfiles.go); Removed
	// are the objects of deleted files to delete (Options.AllowDeletes).
	Files   *Files
	Removed []*Object
	// SignedIn is the person a delegated token speaks for, with their
	// directory roles (scope.go); nil for an app-only token.
	SignedIn *SignedInUser
	// readByID are the kinds Load read by id, not whole (byid.go), with
	// the lower-case ids asked: Live holds those of them that exist.
	readByID map[string]map[string]bool
	// named are, by kind read by id, the objects that held the name of a
	// selected object the plan creates (namedBefore); unnamed the kinds
	// where some such name could not be asked.
	named   map[string]map[string]*Object
	unnamed map[string]bool
}

// objState is one desired object being planned.
type objState struct {
	d       *Object // desired, references translated through the id map
	orig    string  // the key at REV
	k       *layout.Kind
	key     string // translated key (the tenant's key when it exists)
	live    *Object
	bin     *Object
	mode    mode
	main    string   // id of the create or restore action
	holder  string   // placeholder of the new id
	appHold string   // placeholder of the new appId
	appID   string   // translated appId (applications, service principals)
	via     []string // ids of the actions writing viaAction properties
}

// mode is what becomes of a desired object.
type mode uint8

const (
	modeLive   mode = iota + 1 // in the tenant: updated
	modeBin                    // in a recycle bin: restored, then updated
	modeCreate                 // gone for good: created
	modeSkip                   // gone and cannot be created (the plan says why)
)

type planner struct {
	in          *Input
	p           *Plan
	states      []*objState
	creating    map[string]*objState // lower translated key → state (create)
	creatingApp map[string]*objState // lower appId → application being created
	holders     map[string]*objState // placeholder (new id or appId) → state (create)
	restoring   map[string]*objState // lower key → state (bin)
	restoringAp map[string]*objState // lower appId → application being restored
	keyedNew    map[string]*objState // kind/lower key → state (create keeping its key: upsertCreate)
	planned     map[string]bool      // lower keys of objects in the plan
	// uncreatable: lower keys of the gone objects of the plan that Graph
	// cannot create (cannotCreate), with why: a write naming one is
	// refused by Graph (danglingRefs says so).
	uncreatable map[string]string
	names       map[string]string
	schemas     map[string]*schemas.Schema
	byAction    map[string]int              // action id → index in p.Actions
	objActions  map[string][]string         // kind/lower live key → action ids on it
	held        map[string][]heldAssignment // lower principal id → app role assignments at REV it holds (apps.go)
	activating  map[string]string           // lower role template id → action activating it (roles.go)
	rev         map[string]*Object          // directory roles and eligibilities at REV (roles.go)
	csaStatus   map[string]string           // lower definition id → status at REV (csavalues.go)
	emp         *emPlan                     // catalog resources and role scopes (emresources.go)
}

// Compute turns an Input into a Plan. It does no I/O; the plan's ID is
// random.
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
			Format: FormatVersion, ID: newPlanID(), Tool: in.Tool, TenantID: in.TenantID, Rehearsal: in.Rehearsal, Repo: in.Repo, Rev: in.Rev, Commit: in.Commit,
			Selectors: in.Selectors, Selection: in.Selection, Options: in.Options, Created: in.Now.UTC().Truncate(time.Second),
			Actions: []Action{}, Live: map[string]string{}, Files: in.Files,
		},
		creating: map[string]*objState{}, creatingApp: map[string]*objState{}, holders: map[string]*objState{},
		restoring: map[string]*objState{}, restoringAp: map[string]*objState{},
		planned: map[string]bool{}, names: map[string]string{}, schemas: map[string]*schemas.Schema{},
		byAction: map[string]int{}, objActions: map[string][]string{},
	}
	if in.Files != nil {
		pl.p.Format = FormatFiles
	}
	pl.p.Warnings = append(pl.p.Warnings, in.Skipped...)
	pl.p.Warnings = append(pl.p.Warnings, in.Recovered...)
	if err := pl.classify(); err != nil {
		return nil, err
	}
	pl.selectedNotLicensed()
	pl.unreadNotes()        // pimgroups.go, roles.go
	if len(in.Unread) > 0 { // unread.go: apply plans again from what this plan saw
		pl.p.Unread, pl.p.ReadWith = maps.Clone(in.Unread), slices.Clone(in.ReadWith)
	}
	pl.delegatedOnlyNote() // rollout.go
	for _, s := range pl.states {
		switch s.mode {
		case modeLive:
			pl.update(s, s.live, "")
			pl.children(s, s.live, false)
		case modeBin:
			pl.restore(s)
		case modeCreate:
			pl.create(s)
		}
		pl.credentials(s)
		pl.providerSecret(s)  // identityproviders.go
		pl.connectorSecret(s) // external.go: an API connector's secret to re-enter
		pl.images(s)          // branding.go
		pl.agreementFiles(s)  // termsofuse.go
		pl.clientAssignments(s)
	}
	pl.binWarnings()
	pl.deletes()
	pl.emOrder()            // emresources.go
	pl.governanceWarnings() // governance.go
	pl.snapshotWarnings()
	pl.references()
	pl.assignmentOrder() // assign.go
	pl.activationOrder() // roles.go
	pl.finish()
	// A value of the files holding "{{" is sent as it is (placeholder.go).
	escapeBodies(pl.p)
	pl.p.OutOfScope = outOfScope(in.SignedIn, pl.p, roleAssignableGroups(in)) // scope.go
	if in.SignedIn != nil {
		pl.p.SignedIn, pl.p.RolesFrom = in.SignedIn.Name, in.SignedIn.RolesFrom
	}
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
	if a.LiveKey == "" && s.mode != modeCreate && !strings.EqualFold(s.key, a.Key) {
		a.LiveKey = s.key
	}
	if a.Name == "" {
		a.Name = displayName(s.d)
	}
	a.File = s.d.Path
	if len(a.Permissions) == 0 {
		a.Permissions = actionPermissions(s, &a)
	}
	// Its own list: callers pass one slice to many actions (an object's
	// children share parentDeps), and later steps append to and renumber
	// an action's list (order.go).
	a.DependsOn = slices.Clone(uniq(a.DependsOn))
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
