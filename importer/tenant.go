package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// ---- the snapshot's manifest ----

// ManifestError: the manifest at REV is missing, unreadable or of a format
// this entrasnap does not know, so restore cannot tell which tenant and
// which kinds the snapshot holds.
type ManifestError struct {
	Rev, Commit string
	Err         error
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("%s at %s (%s): %v; restore needs it to know which tenant and which kinds the snapshot holds, nothing was written",
		layout.ManifestPath, e.Rev, shortHash(e.Commit), e.Err)
}

func (e *ManifestError) Unwrap() error { return e.Err }

// readManifest reads and checks the manifest at commit.
func readManifest(ctx context.Context, repo *snapshot.Repo, rev, commit string) (*layout.Manifest, error) {
	data, err := repo.ReadFile(ctx, commit, layout.ManifestPath)
	if err != nil {
		if errors.Is(err, snapshot.ErrNotFound) {
			return nil, &ManifestError{Rev: rev, Commit: commit, Err: errors.New("no such file: this commit is not a snapshot entrasnap wrote")}
		}
		return nil, err
	}
	m, err := layout.DecodeManifest(data)
	if err != nil {
		return nil, &ManifestError{Rev: rev, Commit: commit, Err: err}
	}
	if m.Format < 1 || m.Format > layout.FormatVersion {
		return nil, &ManifestError{Rev: rev, Commit: commit, Err: fmt.Errorf("unknown format %d (this entrasnap reads format %d): upgrade entrasnap", m.Format, layout.FormatVersion)}
	}
	return m, nil
}

// incompleteKinds lists, by kind name, why the snapshot does not hold a
// kind as it was at REV: marked incomplete (its files were carried from an
// earlier snapshot) or not in the manifest at all (never exported).
func incompleteKinds(m *layout.Manifest) map[string]string {
	out := map[string]string{}
	for _, k := range layout.Kinds() {
		mk, ok := m.Kinds[k.Name]
		if !ok {
			out[k.Name] = "the snapshot does not include this kind"
			continue
		}
		switch st, licence := mk.State(); st {
		case layout.StateNotLicensed:
			out[k.Name] = "the tenant was not licensed for it when the snapshot was taken (needs " + licence + ") and its files, if any, were carried from an earlier snapshot"
		case layout.StateSkipped, layout.StateIncomplete:
			// A skipped kind's manifest reason says why it was skipped.
			why := "it could not be read completely when the snapshot was taken and its files were carried from an earlier snapshot"
			if r := strings.TrimSpace(mk.Reason); r != "" {
				why += " (" + r + ")"
			}
			out[k.Name] = why
		case layout.StatePartial:
			out[k.Name] = "it was read in part when the snapshot was taken and the rest was kept from an earlier snapshot (" + strings.TrimSpace(licence) + ")"
		}
	}
	return out
}

// snapshotTenant is the tenant the snapshot was taken from: the manifest's,
// else the id of the organization object at REV; "" when unknown.
func snapshotTenant(m *layout.Manifest, snap diff.Snapshot) string {
	if id := strings.TrimSpace(m.TenantID); id != "" {
		return id
	}
	for _, o := range snap {
		if o.Kind.Name == "organization" && guidRe.MatchString(o.Key) {
			return o.Key
		}
	}
	return ""
}

// ---- the live tenant ----

// liveTenant is the tenant Graph answers for: read from /organization by
// the live read, else the tid claim of the token the client sends.
func liveTenant(ctx context.Context, c *graph.Client, fromOrg string) (string, error) {
	if fromOrg != "" {
		return fromOrg, nil
	}
	tid, err := c.TokenTenantID(ctx)
	if err != nil {
		return "", err
	}
	if !guidRe.MatchString(tid) {
		return "", nil
	}
	return tid, nil
}

// CrossTenantError: the snapshot was taken from another tenant than the
// one Graph answers for.
type CrossTenantError struct{ Rev, Snapshot, Tenant string }

func (e *CrossTenantError) Error() string {
	return fmt.Sprintf("the snapshot at %s was taken from tenant %s, but Graph answers for tenant %s: cross-tenant restore is not supported; nothing was written (connect to tenant %s to restore this snapshot)",
		bare(e.Rev), bare(e.Snapshot), bare(e.Tenant), bare(e.Snapshot))
}

// UnknownTenantError: a write where the tenant cannot be told.
type UnknownTenantError struct{ What string }

func (e *UnknownTenantError) Error() string {
	return e.What + "; nothing was written"
}

// CheckTenant refuses to write with this input unless both the snapshot's
// tenant and the live tenant are known (and, as Load checked, the same).
func (in *Input) CheckTenant() error {
	switch {
	case in.TenantID == "":
		return &UnknownTenantError{What: "cannot tell which tenant Graph answers for: /organization cannot be read and the access token carries no tenant id (tid); grant Organization.Read.All (or use a token issued for the tenant) and try again"}
	case in.SnapshotTenantID == "":
		return &UnknownTenantError{What: fmt.Sprintf("the snapshot at %s does not record which tenant it was taken from (%s has no tenantId and there is no organization object), so restore cannot check it is this tenant (%s)",
			in.Rev, layout.ManifestPath, in.TenantID)}
	case !strings.EqualFold(in.TenantID, in.SnapshotTenantID):
		return &CrossTenantError{Rev: in.Rev, Snapshot: in.SnapshotTenantID, Tenant: in.TenantID}
	}
	return nil
}

// ---- a saved plan binds its requests ----

// TamperedError: a saved plan's actions are not those restore plans now
// from the same snapshot, selection and options against the same tenant.
// The objects the plan changes are checked first (StaleError); what is
// left is an edited plan file or a change in what the plan reads beside
// them (a role activated meanwhile), which the message names both.
type TamperedError struct {
	// Differ names the actions that differ and how.
	Differ []string
}

func (e *TamperedError) Error() string {
	return fmt.Sprintf("the plan's actions are not the ones restore makes from its snapshot, selection and options (%s): the plan file was edited or is corrupt, or something the plan reads beside the objects it changes (a directory role activated, an object a reference names) changed in the tenant since the plan was made; nothing was written: make a new plan with `entrasnap restore` and review it",
		strings.Join(e.Differ, "; "))
}

// boundDiffs compares what each action of a saved plan would send (and how
// it is shown) with the plan computed again; it returns one line per
// action that differs, added or missing.
func boundDiffs(saved, fresh *Plan) []string {
	byID := map[string]*Action{}
	for i := range fresh.Actions {
		byID[fresh.Actions[i].ID] = &fresh.Actions[i]
	}
	seen := map[string]bool{}
	var out []string
	label := func(a *Action) string {
		return fmt.Sprintf("action %s (%s %s %q)", bare(a.ID), bare(string(a.Op)), bare(a.Kind), a.Name)
	}
	for i := range saved.Actions {
		a := &saved.Actions[i]
		if seen[a.ID] {
			out = append(out, fmt.Sprintf("%s appears twice", label(a)))
			continue
		}
		seen[a.ID] = true
		f := byID[a.ID]
		if f == nil {
			out = append(out, fmt.Sprintf("%s sends %s, which restore does not plan", label(a), request(a.Request)))
			continue
		}
		if what := actionDiff(a, f); what != "" {
			out = append(out, fmt.Sprintf("%s %s", label(a), what))
		}
	}
	for i := range fresh.Actions {
		f := &fresh.Actions[i]
		if !seen[f.ID] {
			out = append(out, fmt.Sprintf("%s (%s) is missing from the plan", label(f), request(f.Request)))
		}
	}
	// What the plan tells its reviewer besides the actions.
	for _, part := range []struct {
		name        string
		saved, want any
	}{
		{"plan warnings", saved.Warnings, fresh.Warnings},
		{"removals kept", saved.Kept, fresh.Kept},
		{"credentials to re-issue", saved.Credentials, fresh.Credentials},
		{"references left to old ids", saved.References, fresh.References},
	} {
		if !sameValue(part.saved, part.want) {
			out = append(out, "the "+part.name+" differ")
		}
	}
	return out
}

func request(r Request) string {
	return bare(r.Method) + " " + bare(r.Path)
}

// bare is s when it is plain (printable, no spaces or quotes), else s quoted
// with its controls escaped: strings from a plan file are data.
func bare(s string) string {
	q := strconv.Quote(s)
	if s != "" && q[1:len(q)-1] == s && !strings.ContainsAny(s, " '`") {
		return s
	}
	return q
}

// actionDiff says how a saved action differs from the fresh one, or "".
func actionDiff(a, f *Action) string {
	if a.Request.Method != f.Request.Method || a.Request.Path != f.Request.Path || !sameJSON(a.Request.Body, f.Request.Body) {
		what := fmt.Sprintf("sends %s", request(a.Request))
		if !sameJSON(a.Request.Body, f.Request.Body) {
			what += " with another body"
		}
		return what + fmt.Sprintf(" where restore plans %s", request(f.Request))
	}
	var fields []string
	check := func(name string, same bool) {
		if !same {
			fields = append(fields, name)
		}
	}
	check("op", a.Op == f.Op)
	check("kind", a.Kind == f.Kind)
	check("key", a.Key == f.Key && a.LiveKey == f.LiveKey)
	check("name", a.Name == f.Name)
	check("relationship", a.Relationship == f.Relationship && a.Target == f.Target)
	check("dependsOn", slices.Equal(a.DependsOn, f.DependsOn))
	check("removal", a.Removal == f.Removal)
	check("ensure", a.Ensure == f.Ensure)
	check("placeholder", a.Placeholder == f.Placeholder && a.AppIDPlaceholder == f.AppIDPlaceholder)
	// What a reviewer read: the property changes and warnings shown.
	check("changes", sameValue(a.Changes, f.Changes))
	check("warnings", slices.Equal(a.Warnings, f.Warnings))
	if len(fields) == 0 {
		return ""
	}
	return "differs in " + strings.Join(fields, ", ")
}

// sameJSON compares two bodies byte for byte once insignificant whitespace
// is dropped (a saved plan is indented).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(bytes.TrimSpace(a)) == 0 && len(bytes.TrimSpace(b)) == 0
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// sameValue compares two values as JSON: a saved plan's values were decoded
// from its file, a fresh plan's are as computed.
func sameValue(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// IncompleteReadError: Load could not read some kinds of the live tenant
// completely, so nothing is planned. Parts says why, kind by kind; Kinds
// holds each kind's result (its Err the full error).
type IncompleteReadError struct {
	Parts []string
	Kinds []live.KindResult
	// Waited is how long Load waited for objects a restore created to
	// replicate, reading again (LoadOptions.ConsistencyTimeout).
	Waited time.Duration
	// NotRestored, when the failures are not-found answers alone: the
	// object they name is not one a restore created within Window of the
	// plan (freshLag), so the plan did not wait for it.
	NotRestored bool
	Window      time.Duration
}

func (e *IncompleteReadError) Error() string {
	msg := "cannot plan without reading the live tenant completely, nothing was written: " + strings.Join(e.Parts, "; ")
	switch {
	case e.lagOnly() && e.NotRestored:
		msg += fmt.Sprintf(" (Graph listed these objects but answered \"not found\" for a part of them, which no restore created in the %s before this plan: deleted since they were listed, or created or restored moments ago by someone else; not waited for: run again in a minute)", e.Window)
	case e.lagOnly():
		msg += " (Graph listed these objects but answered \"not found\" for a part of them: objects created or restored moments ago that Graph has not replicated everywhere yet; "
		if e.Waited > 0 {
			msg += fmt.Sprintf("the objects a restore created were read again for %s; ", e.Waited)
		}
		msg += "run again in a minute)"
	}
	return msg
}

// lagOnly reports whether every kind failed only because Graph answered
// "not found": reads of objects created or restored moments ago
// that a replica has not seen yet (graph-semantics.md §2.3).
func (e *IncompleteReadError) lagOnly() bool {
	for _, k := range e.Kinds {
		if k.Err == nil || !graph.IsNotFound(k.Err) {
			return false
		}
	}
	return len(e.Kinds) > 0
}

// anyOf reports whether one of the kinds that failed is in kinds (names).
func (e *IncompleteReadError) anyOf(kinds map[string]bool) bool {
	for _, k := range e.Kinds {
		if kinds[k.Kind] {
			return true
		}
	}
	return false
}
