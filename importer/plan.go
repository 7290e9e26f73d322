package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// FormatVersion is the plan format this package writes and reads. A plan
// of a newer format is refused.
const FormatVersion = 1

// FormatFiles is the format of a plan made from files (Plan.Files): an
// entrasnap that does not know it refuses the plan rather than apply it
// as a restore.
const FormatFiles = 2

// Op is what an action does.
type Op string

const (
	OpCreate      Op = "create"
	OpRestore     Op = "restore-from-deleted"
	OpUpdate      Op = "update"
	OpDelete      Op = "delete"
	OpAddLink     Op = "add-link"
	OpRemoveLink  Op = "remove-link"
	OpAddChild    Op = "add-child"
	OpRemoveChild Op = "remove-child"
)

// ops in the order summaries list them.
var ops = []Op{OpRestore, OpCreate, OpUpdate, OpAddLink, OpAddChild, OpRemoveLink, OpRemoveChild, OpDelete}

// CAState is what a restore does with a Conditional Access policy that
// would be created or re-enabled.
type CAState string

// CA states.
const (
	CAStateReportOnly CAState = "report-only"
	CAStateAsIs       CAState = "as-is"
	caReportOnly              = "enabledForReportingButNotEnforced"
)

// Selection is what a restore covers: whole kinds (their live objects that
// are not at REV are removed) and single object files.
type Selection struct {
	Kinds []string `json:"kinds,omitempty"`
	Paths []string `json:"paths,omitempty"`
}

// Options change what a plan does.
type Options struct {
	// NoRemove keeps what was not there at REV: extra members, owners,
	// assignments and grants, and live objects of a selected kind.
	NoRemove bool `json:"noRemove,omitempty"`
	// CAState is "report-only" (default): a Conditional Access policy that
	// would be created or re-enabled is written in report-only state; or
	// "as-is": written as at REV.
	CAState CAState `json:"caState"`
	// BreakGlass are the ids or user principal names of accounts and groups
	// never removed from Conditional Access exclusions.
	BreakGlass []string `json:"breakGlass,omitempty"`
	// AllowDeletes: in a plan from files, a deleted object file plans the
	// object's delete (otherwise the plan lists it as ignored).
	AllowDeletes bool `json:"allowDeletes,omitempty"`
}

// Request is one Graph call, path relative to the Graph root with the
// version. Strings of the form {{new:<old id>}}, {{newAppId:<old appId>}}
// and {{graph}} are filled in by apply; {{generated-password}} becomes a
// random password that is never written anywhere.
type Request struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body,omitempty"`
	// Stream, when set, is an image the request sends instead of a JSON
	// body (branding.go): apply reads it from the snapshot.
	Stream *Stream `json:"stream,omitempty"`
	// Documents: the body's files (layout.Kind.FileItems) name snapshot
	// files by path and SHA-256, which apply sends as base64
	// (termsofuse.go).
	Documents bool `json:"documents,omitempty"`
}

// Change is one property change of an action, for review: before is the
// live value, after the value sent.
type Change struct {
	Path     string      `json:"path"`
	Action   diff.Action `json:"action"` // added, removed, changed (a set), replaced
	Before   any         `json:"before,omitempty"`
	After    any         `json:"after,omitempty"`
	Added    []any       `json:"added,omitempty"`
	Removed  []any       `json:"removed,omitempty"`
	RefKinds []string    `json:"refKinds,omitempty"`
}

// Action is one write.
type Action struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Key is the object's key at REV; LiveKey its key in the tenant when
	// they differ (an id map entry, a role assignment found by its natural
	// key); empty for an object still to be created.
	Key     string `json:"key"`
	LiveKey string `json:"liveKey,omitempty"`
	Name    string `json:"name"`
	File    string `json:"file,omitempty"`
	Op      Op     `json:"op"`
	// Relationship and Target name the link or child an action adds,
	// removes or updates ("members", the member's id).
	Relationship string   `json:"relationship,omitempty"`
	Target       string   `json:"target,omitempty"`
	Request      Request  `json:"request"`
	Changes      []Change `json:"changes,omitempty"`
	DependsOn    []string `json:"dependsOn,omitempty"`
	// Removal: the action takes away what was not there at REV.
	Removal bool `json:"removal,omitempty"`
	// Ensure: the action adds what may be there already (a relationship of
	// an object restored from a recycle bin); "already exists" counts as done.
	Ensure bool `json:"ensure,omitempty"`
	// Placeholder is the string a create's new id replaces in later
	// actions; AppIDPlaceholder the same for an application's appId.
	Placeholder      string   `json:"placeholder,omitempty"`
	AppIDPlaceholder string   `json:"appIdPlaceholder,omitempty"`
	Warnings         []string `json:"warnings,omitempty"`
	// Permissions are the application permissions the action needs (any
	// one of each entry's alternatives, "A|B").
	Permissions []string `json:"permissions,omitempty"`
	// Capture, on a GET that lists, fills a placeholder of later actions
	// with a property of the first object listed (the PIM policy Graph
	// made with a role this restore creates: pim.go).
	Capture *Capture `json:"capture,omitempty"`
}

// Capture names what a lookup keeps: Field of the first listed object
// replaces Into in later actions. An empty list is "not there yet".
type Capture struct {
	Field string `json:"field"`
	Into  string `json:"into"`
}

// Kept is a removal left out by Options.NoRemove.
type Kept struct {
	Kind         string `json:"kind"`
	Key          string `json:"key"`
	Name         string `json:"name"`
	Relationship string `json:"relationship,omitempty"`
	Target       string `json:"target,omitempty"`
}

// Credential must be re-issued: secrets are never in a snapshot.
type Credential struct {
	Kind        string `json:"kind"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	Type        string `json:"type"` // password, certificate, user password
	KeyID       string `json:"keyId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Expires     string `json:"expires,omitempty"`
}

// Reference is a reference to a recreated object from an object that the
// plan does not restore: it keeps the old id until that object is restored too.
type Reference struct {
	Kind     string `json:"kind"`
	Key      string `json:"key"`
	Name     string `json:"name"`
	File     string `json:"file"`
	Property string `json:"property"`
	OldID    string `json:"oldId"`
}

// Plan is a restore plan.
type Plan struct {
	Format int `json:"format"`
	// ID is random (Compute): two plans are two, however alike; a plan is
	// applied once (applied.go).
	ID       string `json:"id,omitempty"`
	Tool     string `json:"tool,omitempty"`
	TenantID string `json:"tenantId"`
	// Rehearsal is the rehearsal tenant instance the plan was made against
	// (graphsim --from-repo: rehearsal.go); "" for a real tenant. Apply
	// refuses the plan against any other tenant, and `entrasnap apply`
	// without --rehearsal (or a real plan with it).
	Rehearsal string    `json:"rehearsal,omitempty"`
	Repo      string    `json:"repo"`
	Rev       string    `json:"rev"`
	Commit    string    `json:"commit"`
	Selectors []string  `json:"selectors"`
	Selection Selection `json:"selection"`
	Options   Options   `json:"options"`
	Created   time.Time `json:"created"`
	Actions   []Action  `json:"actions"`
	Kept      []Kept    `json:"kept,omitempty"`
	// Credentials to re-issue, References left pointing at old ids, and
	// plan-wide Warnings.
	Credentials []Credential `json:"credentials,omitempty"`
	References  []Reference  `json:"references,omitempty"`
	Warnings    []string     `json:"warnings,omitempty"`
	// Managed are selected objects Graph does not let the tenant write
	// (managed identities, Microsoft's service principals): never written.
	Managed []Managed `json:"managed,omitempty"`
	// NotLicensed are kinds of the selection the tenant is not licensed
	// for (licence.go): nothing of them is written.
	NotLicensed []NotLicensed `json:"notLicensed,omitempty"`
	// BuiltIn counts built-in objects in the selection, never written.
	BuiltIn int `json:"builtInSkipped,omitempty"`
	// Live fingerprints: "kind/key" → "sha256:…" (the object as read),
	// "deleted:sha256:…" (in a recycle bin) or "absent".
	Live map[string]string `json:"liveFingerprints"`
	// Names of the ids the plan mentions, for rendering.
	Names map[string]string `json:"names,omitempty"`
	// Files: the plan's desired state is object files (fromfiles.go), not
	// a recorded snapshot; such a plan has format FormatFiles.
	Files *Files `json:"files,omitempty"`
	// SignedIn is the person restoring with a delegated sign-in, and
	// OutOfScope the actions their directory roles do not cover
	// (scope.go): apply refuses the plan while there are any.
	SignedIn   string      `json:"signedIn,omitempty"`
	OutOfScope []ScopeNote `json:"outOfScope,omitempty"`
	// RolesFrom says what the plan was checked against: the role
	// assignments Graph lists (RolesFromGraph), the sign-in token's wids
	// claim (RolesFromToken), the user's own memberships
	// (RolesFromMemberships), or nothing ("": the roles could not be read).
	RolesFrom string `json:"rolesFrom,omitempty"`
	// Unread are the kinds read only to plan another kind right that the
	// plan could not read (Input.Unread; its warnings say so), with why,
	// and ReadWith the permissions of the token it read with: apply plans
	// again without reading those kinds either, and refuses the plan when
	// reading them changes its requests, or when ReadWith holds a
	// permission that reads one (unread.go).
	Unread   map[string]string `json:"unread,omitempty"`
	ReadWith []string          `json:"readWith,omitempty"`
	// applied is when this process began writing the plan (markApplied).
	applied time.Time
}

// Empty reports whether the plan has nothing to do.
func (p *Plan) Empty() bool { return len(p.Actions) == 0 }

// Settled reports whether the plan has nothing to do and nothing to say:
// no warnings, nothing left to Exchange, Microsoft or a membership rule,
// no removal kept, so the tenant matches the snapshot for the selection.
func (p *Plan) Settled() bool {
	return p.Empty() && len(p.Warnings) == 0 && len(p.Managed) == 0 && len(p.NotLicensed) == 0 && len(p.Kept) == 0 && len(p.Credentials) == 0
}

// NothingToDo is what restore says of a plan with nothing to do (Empty):
// whether the tenant matches (Settled) or what still differs is in the
// plan's notes.
func (p *Plan) NothingToDo() string {
	switch {
	case p.Settled() && p.Files != nil:
		return "Nothing to do."
	case p.Settled():
		return "Nothing to do: the tenant matches the snapshot for what was selected."
	}
	return "Nothing to write; read the plan's notes above for what still differs."
}

// SavedNote is what restore --out says once the plan is saved to file:
// that it has nothing to do, or how to apply exactly it (a rehearsal's
// with apply --rehearsal).
func (p *Plan) SavedNote(file string) string {
	if p.Empty() {
		return "Nothing to do; the plan is saved to " + layout.Safe(file) + "."
	}
	apply := "entrasnap apply "
	if p.Rehearsal != "" {
		apply += "--rehearsal "
	}
	return "Plan saved to " + layout.Safe(file) + ". Review it, then apply exactly that plan with: " + apply + layout.ShellWord(file)
}

// Counts returns the number of actions per operation.
func (p *Plan) Counts() map[Op]int {
	m := map[Op]int{}
	for _, a := range p.Actions {
		m[a.Op]++
	}
	return m
}

// Summary is one line: "1 to restore, 2 to update, 4 links to add" or
// "nothing to do".
func (p *Plan) Summary() string {
	if p.Empty() {
		return "nothing to do"
	}
	c := p.Counts()
	words := map[Op]string{
		OpRestore: "to restore from deleted items", OpCreate: "to create", OpUpdate: "to update",
		OpAddLink: "links to add", OpAddChild: "assignments or grants to add",
		OpRemoveLink: "links to remove", OpRemoveChild: "assignments or grants to remove", OpDelete: "to delete",
	}
	var parts []string
	for _, op := range ops {
		if c[op] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[op], words[op]))
		}
	}
	return strings.Join(parts, ", ")
}

// RecordKinds lists the kinds the post-restore snapshot reads again, in
// catalog order: the kinds the plan writes, and those of the objects not
// restored that name a recreated object by its old id (References). Graph
// has dropped a relationship to a purged object since the snapshot; read
// again, such a file shows the tenant as it is, instead of an earlier
// snapshot's link to an object that is gone.
func (p *Plan) RecordKinds() []*layout.Kind {
	seen := map[string]bool{}
	for _, a := range p.Actions {
		seen[a.Kind] = true
	}
	for _, r := range p.References {
		seen[r.Kind] = true
	}
	var out []*layout.Kind
	for _, k := range layout.Kinds() {
		if seen[k.Name] {
			out = append(out, k)
		}
	}
	return out
}

// Action returns the action with id, or nil. Compute numbers actions 1..n
// in order, so that place is tried first (one lookup per action's result).
func (p *Plan) Action(id string) *Action {
	if i, err := strconv.Atoi(id); err == nil && i > 0 && i <= len(p.Actions) && p.Actions[i-1].ID == id {
		return &p.Actions[i-1]
	}
	for i := range p.Actions {
		if p.Actions[i].ID == id {
			return &p.Actions[i]
		}
	}
	return nil
}

// Encode writes the plan as indented JSON.
func (p *Plan) Encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Save writes the plan to file as Decode reads it back (apply), readable
// by its owner only: it lists the tenant's objects and their settings.
func (p *Plan) Save(file string) error {
	data, err := p.Encode()
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o600)
}

// ErrNotAPlan is returned by Decode for data that is not a plan.
var ErrNotAPlan = errors.New("not an entrasnap restore plan")

// Decode reads a plan written by Encode, refusing newer formats.
func Decode(data []byte) (*Plan, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var p Plan
	if err := d.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotAPlan, err)
	}
	switch {
	case p.Format == 0 || p.Live == nil:
		return nil, fmt.Errorf("%w: no format or live fingerprints", ErrNotAPlan)
	case p.Format > FormatFiles:
		return nil, fmt.Errorf("plan format %d is newer than this entrasnap understands (%d): upgrade entrasnap", p.Format, FormatFiles)
	case p.Rehearsal != "" && !rehearsalInstanceRe.MatchString(p.Rehearsal):
		return nil, fmt.Errorf("%w: its rehearsal instance is not 32 hexadecimal digits", ErrNotAPlan)
	case (p.Format == FormatFiles) != (p.Files != nil):
		return nil, fmt.Errorf("%w: format %d with%s a files source", ErrNotAPlan, p.Format, map[bool]string{true: "", false: "out"}[p.Files != nil])
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		if a.ID == "" || a.Request.Method == "" || a.Request.Path == "" {
			return nil, fmt.Errorf("%w: action %d has no id, method or path", ErrNotAPlan, i+1)
		}
	}
	return &p, nil
}

// PlanFileError is ReadPlan's error for a plan file the user gave wrong:
// it cannot be read (missing, too large), is not a plan, or is a
// rehearsal's plan given without --rehearsal (or a real one with it). The
// CLI exits 64 for it; its message names the file.
type PlanFileError struct{ Err error }

func (e *PlanFileError) Error() string { return e.Err.Error() }
func (e *PlanFileError) Unwrap() error { return e.Err }

// ReadPlan reads the plan saved in file (`restore --out FILE`, read back by
// `apply FILE`): bounded in size as every file entrasnap reads
// (check.ReadCapped), decoded by Decode, and refused when rehearsal (the
// user's --rehearsal) does not match the plan's (CheckRehearsalFlag; Apply
// checks the tenant again). A file given wrong is a *PlanFileError; a plan
// of a newer format is a plain error saying to upgrade. Both name file.
func ReadPlan(file string, rehearsal bool) (*Plan, error) {
	data, err := check.ReadCapped(file)
	if err != nil {
		return nil, &PlanFileError{err}
	}
	p, err := Decode(data)
	if errors.Is(err, ErrNotAPlan) {
		return nil, &PlanFileError{fmt.Errorf("%s: %w", layout.Safe(file), err)}
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", layout.Safe(file), err)
	}
	if err := p.CheckRehearsalFlag(file, rehearsal); err != nil {
		return nil, &PlanFileError{err}
	}
	return p, nil
}

// fingerprint is the hash of an object's canonical form.
func fingerprint(data map[string]any) string {
	h := sha256.Sum256(layout.Encode(data))
	return "sha256:" + hex.EncodeToString(h[:])
}

const fpAbsent = "absent"

// StaleError: the tenant changed since the plan was made.
type StaleError struct {
	// Changed names the objects whose live state differs ("kind name (id)").
	Changed []string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the tenant changed since the plan was made (%s); nothing was written: make a new plan with `entrasnap restore`",
		strings.Join(e.Changed, "; "))
}

// WrongTenantError: the plan was made for another tenant.
type WrongTenantError struct{ Plan, Tenant string }

func (e *WrongTenantError) Error() string {
	if e.Plan == "" {
		return fmt.Sprintf("the plan does not name the tenant it was made for (Graph answers for tenant %s); nothing was written: make a new plan with `entrasnap restore`", bare(e.Tenant))
	}
	return fmt.Sprintf("the plan was made for tenant %s, but Graph answers for tenant %s; nothing was written", bare(e.Plan), bare(e.Tenant))
}

// PermissionError: the token lacks permissions the plan needs.
type PermissionError struct {
	Missing []string
	Have    []string
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("the access token lacks the application permission(s) %s that this plan needs; nothing was written: grant them to the app entrasnap signs in as (admin consent), get a new token and apply again",
		strings.Join(e.Missing, ", "))
}

// sortedKeys is m's keys in order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
