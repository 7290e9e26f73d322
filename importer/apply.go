package importer

import (
	"cmp"
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/internal/textcut"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	Client *graph.Client
	// Repo holds the snapshot the plan was made from: apply reads it again
	// to check that the plan is not stale and to verify.
	Repo *snapshot.Repo
	// Token is the bearer token the client sends, when known: a JWT's
	// roles (or scp) claim is checked against the permissions the plan
	// needs. Opaque tokens (graphsim's own) and "" skip the check.
	Token string
	// ClientID is the application (client) id entrasnap signed in as, from
	// its own configuration (--client-id, AZURE_CLIENT_ID): an app-only
	// apply's record names the app by it. Access tokens are opaque to a
	// client (Microsoft: a client must not read them; tokens for Microsoft
	// APIs may be encrypted or not JWTs at all), so the app is never taken
	// from the token's appid claim. "" when not configured (a prepared
	// --access-token): the record then says the app is not known.
	ClientID string
	// Parallel bounds the writes in flight (default 4).
	Parallel int
	// ConsistencyTimeout bounds the retries of reads and writes that fail
	// with not-found after a create or restore (backoff.go): 0 is
	// DefaultConsistencyTimeout (2 minutes); negative: no retry.
	ConsistencyTimeout time.Duration
	// Sleep waits between such retries (default: a timer that ends with ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress, when set, is called after each action (from several
	// goroutines, one call at a time).
	Progress func(ActionResult)
	// Record, when set, records the post-restore snapshot: the caller
	// exports kinds (those the plan wrote) to Repo with message and the
	// extra files (the id map). Nil records nothing.
	Record func(ctx context.Context, kinds []*layout.Kind, message string, files map[string][]byte) (*SnapshotInfo, error)
	// IDCommit, when set, commits this restore's new ids to the id map
	// alone (RecordJournal) when the post-restore snapshot is not recorded
	// (Record failed, or the restore was interrupted), so that the next
	// plan and the repository see them at once. Nil leaves them in the
	// journal for the next restore or apply (the CLI records them then).
	IDCommit *IDCommit
	// Rehearsal: the tenant is a rehearsal's (LoadOptions.Rehearsal): the
	// reads that check and verify the plan leave out the repository's id
	// map and journal, as the plan's did. Set it with Record nil (a
	// rehearsal records nothing and writes no journal).
	Rehearsal bool
	// IDs are the id map entries the plan was made with besides the
	// repository's (LoadOptions.IDs: a rehearsal's earlier creates), read
	// again by the same checks; the caller keeps this run's (Result.IDs).
	// Nil for a rehearsal: Apply keeps them itself, for the plan's
	// rehearsal instance (Plan.Rehearsal): it reads those earlier
	// rehearsals against that tenant kept (ReadRehearsalIDs), appends each
	// create Graph answers to the instance's journal at once
	// (RehearsalJournalFile), so a rehearsal killed mid-apply keeps the ids
	// of what it created, and keeps this run's new ids with the earlier
	// ones for the next rehearsal (SaveRehearsalIDs), even when it fails
	// or is interrupted part-way.
	IDs *IDMap
	// instance is the rehearsal instance whose ids Apply keeps (IDs nil).
	instance string
	// Snapshots is LoadOptions.Snapshots for apply's reads of the plan's
	// commit (a rehearsal's, made with the plan's).
	Snapshots *SnapshotCache
}

// SnapshotInfo is the post-restore snapshot as Record made it.
type SnapshotInfo struct {
	// Changed: a commit was made; otherwise Commit is the unchanged head,
	// tagged Tag.
	Changed     bool
	Commit, Tag string
	// Detail is the recorder's full account, shown as the JSON of
	// Result.Snapshot.
	Detail any
}

// MarshalJSON is Detail's JSON, or Changed, Commit and Tag without one.
func (s SnapshotInfo) MarshalJSON() ([]byte, error) {
	if s.Detail != nil {
		return json.Marshal(s.Detail)
	}
	return json.Marshal(struct {
		Changed bool   `json:"changed"`
		Commit  string `json:"commit,omitempty"`
		Tag     string `json:"tag,omitempty"`
	}{s.Changed, s.Commit, s.Tag})
}

// Status of an action after Apply.
type Status string

const (
	StatusDone    Status = "done"
	StatusAlready Status = "already" // the tenant was already so (an ensure add, a removal of what is gone)
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped" // an action it depends on failed
)

// ActionResult is what happened to one action.
type ActionResult struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Key          string `json:"key"`
	Name         string `json:"name"`
	Op           Op     `json:"op"`
	Relationship string `json:"relationship,omitempty"`
	Target       string `json:"target,omitempty"`
	Status       Status `json:"status"`
	// Error is the Graph error (or why the action was skipped).
	Error       string `json:"error,omitempty"`
	GraphStatus int    `json:"graphStatus,omitempty"`
	GraphCode   string `json:"graphCode,omitempty"`
	RequestID   string `json:"requestId,omitempty"`
	// NewID and NewAppID: what a create got from Graph.
	NewID    string `json:"newId,omitempty"`
	NewAppID string `json:"newAppId,omitempty"`
	Attempts int    `json:"attempts"`
}

// Difference is something verification found still unlike the snapshot.
type Difference struct {
	Kind    string   `json:"kind"`
	Key     string   `json:"key"`
	Name    string   `json:"name"`
	What    string   `json:"what"`
	Target  string   `json:"target,omitempty"`
	Changes []Change `json:"changes,omitempty"`
}

// Result is what Apply did.
type Result struct {
	Actions []ActionResult `json:"actions"`
	// Verified: the tenant was read back and matches the snapshot for
	// everything selected; otherwise Differences say what does not.
	Verified    bool         `json:"verified"`
	Differences []Difference `json:"differences,omitempty"`
	VerifyError string       `json:"verifyError,omitempty"`
	// IDs are the objects recreated under new ids.
	IDs *IDMap `json:"-"`
	// Snapshot is the post-restore snapshot (nil when not recorded).
	Snapshot    *SnapshotInfo `json:"snapshot,omitempty"`
	SnapshotErr string        `json:"snapshotError,omitempty"`
	// IDsCommit is the commit that recorded the new ids in the id map
	// alone, when the snapshot was not recorded (ApplyOptions.IDCommit).
	IDsCommit string `json:"idsCommit,omitempty"`
	// AttemptTag is the tag recording an apply that began writing but
	// changed nothing (recordAttempt): there is no snapshot to record it.
	AttemptTag string `json:"attemptTag,omitempty"`
	// idMapBad: record found the id map at HEAD unreadable (idMapUnreadable).
	idMapBad bool
}

// Count returns the number of actions per status.
func (r *Result) Count() map[Status]int {
	m := map[Status]int{}
	for _, a := range r.Actions {
		m[a.Status]++
	}
	return m
}

// Wrote reports whether any action changed the tenant.
func (r *Result) Wrote() bool { return r.Count()[StatusDone] > 0 }

// Complete reports whether every action succeeded and verification passed.
func (r *Result) Complete() bool {
	c := r.Count()
	return c[StatusFailed] == 0 && c[StatusSkipped] == 0 && r.Verified
}

// Check refuses a plan that must not be applied: its dependencies do not
// form an order, the token lacks permissions, the tenant is another one, or
// the live objects changed since planning (StaleError). It writes nothing.
func Check(ctx context.Context, p *Plan, o ApplyOptions) error {
	digest, err := planDigest(p)
	if err != nil {
		return err
	}
	_, err = checkPlan(ctx, p, o, digest)
	return err
}

// checkPlan is Check, returning the tenant as read for it (settleInDoubt
// compares the tenant after the run with it). digest is planDigest(p),
// taken before anything reads the plan.
func checkPlan(ctx context.Context, p *Plan, o ApplyOptions, digest string) (*Input, error) {
	if err := checkOrder(p); err != nil {
		return nil, err
	}
	if err := CheckPermissions(p, o.Token); err != nil {
		return nil, err
	}
	if err := checkSensitiveAdmins(ctx, p, o); err != nil {
		return nil, err
	}
	// Planned again at the plan's time (Created), so that what depends on
	// the clock (a time-bound assignment whose end has passed is not made)
	// is decided as it was when the plan was reviewed; what changed in the
	// tenant since is still found (staleObjects).
	// What the plan could not read is not read here either (unread.go).
	if err := unreadClaims(p); err != nil {
		return nil, err
	}
	lo := LoadOptions{Client: o.Client, Repo: o.Repo, Rev: p.Rev, Commit: p.Commit, Selectors: p.Selectors,
		Selection: &p.Selection, Options: p.Options, Files: p.Files, Now: p.Created, Rehearsal: o.Rehearsal, IDs: o.IDs,
		Snapshots: o.Snapshots, ConsistencyTimeout: o.ConsistencyTimeout, Sleep: o.Sleep, Unread: p.Unread}
	in, err := Load(ctx, lo)
	if err != nil {
		return nil, err
	}
	// A plan from files: the files reviewed must be those merged.
	if err := checkHeadFiles(ctx, o.Repo, p, in.Files, in.IDMap); err != nil {
		return nil, err
	}
	if err := in.CheckTenant(); err != nil {
		return nil, err
	}
	if err := checkPlanRehearsal(p, in); err != nil { // rehearsal.go
		return nil, err
	}
	asNotActivated(p, in) // roles.go: a role the plan activates, activated since
	if !strings.EqualFold(p.TenantID, in.TenantID) {
		return nil, &WrongTenantError{Plan: p.TenantID, Tenant: in.TenantID}
	}
	fresh, err := Compute(in)
	if err != nil {
		return nil, err
	}
	if len(fresh.OutOfScope) > 0 { // scope.go: before the first write
		return nil, &ScopeError{User: fresh.SignedIn, Notes: fresh.OutOfScope}
	}
	if changed := staleObjects(p, fresh); len(changed) > 0 {
		return nil, &StaleError{Changed: changed}
	}
	// The plan applies exactly the requests restore makes now: an edited
	// plan file is refused.
	if differ := boundDiffs(p, fresh); len(differ) > 0 {
		return nil, &TamperedError{Differ: differ}
	}
	// Read as the plan was, the plan holds; read whole, its requests must
	// be the same (unread.go).
	if len(p.Unread) > 0 {
		if err := checkUnreadSeen(ctx, p, fresh, lo); err != nil {
			return nil, err
		}
	}
	// The objects are as planned, but an earlier apply of this plan may
	// have written what the tenant does not show (applied.go): refused.
	// Checked last, so that a plan whose objects visibly changed is
	// refused naming them (StaleError).
	if err := checkApplied(ctx, p, o, digest); err != nil {
		return nil, err
	}
	return in, CheckPermissions(fresh, o.Token)
}

// staleObjects compares the live fingerprints of two plans.
func staleObjects(p, fresh *Plan) []string {
	var out []string
	describe := func(key, was, now string) string {
		kind, id, _ := strings.Cut(key, "/")
		name := diff.KindTitle(kind) + " " + id
		if n, ok := p.Names[strings.ToLower(id)]; ok {
			name = fmt.Sprintf("%s %q (%s)", diff.KindTitle(kind), n, id)
		} else if n, ok := fresh.Names[strings.ToLower(id)]; ok {
			name = fmt.Sprintf("%s %q (%s)", diff.KindTitle(kind), n, id)
		}
		switch {
		case was == "":
			return name + " appeared"
		case now == "" || now == fpAbsent:
			return name + " is gone"
		case was == fpAbsent:
			return name + " exists now"
		case strings.HasPrefix(now, "deleted:") && !strings.HasPrefix(was, "deleted:"):
			return name + " was deleted"
		case strings.HasPrefix(was, "deleted:") && !strings.HasPrefix(now, "deleted:"):
			return name + " left the recycle bin"
		}
		return name + " changed"
	}
	for _, key := range sortedKeys(p.Live) {
		if now := fresh.Live[key]; now != p.Live[key] {
			out = append(out, describe(key, p.Live[key], now))
		}
	}
	for _, key := range sortedKeys(fresh.Live) {
		if _, ok := p.Live[key]; !ok {
			out = append(out, describe(key, "", fresh.Live[key]))
		}
	}
	return out
}

// checkOrder refuses unknown dependencies and cycles.
func checkOrder(p *Plan) error {
	ids := map[string]int{}
	for i, a := range p.Actions {
		ids[a.ID] = i
	}
	state := make([]int, len(p.Actions)) // 0 new, 1 visiting, 2 done
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return fmt.Errorf("the plan's actions depend on each other in a cycle (action %s)", p.Actions[i].ID)
		case 2:
			return nil
		}
		state[i] = 1
		for _, d := range p.Actions[i].DependsOn {
			j, ok := ids[d]
			if !ok {
				return fmt.Errorf("action %s depends on action %s, which the plan does not have", p.Actions[i].ID, d)
			}
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = 2
		return nil
	}
	for i := range p.Actions {
		if err := visit(i); err != nil {
			return err
		}
	}
	return nil
}

// TokenPermissions returns the permissions a JWT access token carries
// (its roles claim, or the scopes of a delegated token); ok is false for a
// token that is not a JWT or carries neither.
func TokenPermissions(token string) (perms []string, ok bool) {
	token = strings.TrimSpace(strings.TrimPrefix(token, "Bearer "))
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims struct {
		Roles []string `json:"roles"`
		Scp   string   `json:"scp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return nil, false
	}
	perms = append(perms, claims.Roles...)
	perms = append(perms, strings.Fields(claims.Scp)...)
	if len(perms) == 0 {
		// A JWT without roles or scp: an app token with no permission at all.
		var raw map[string]any
		if json.Unmarshal(payload, &raw) != nil || raw["appid"] == nil && raw["azp"] == nil {
			return nil, false
		}
	}
	return perms, true
}

// CheckPermissions compares the permissions the plan's actions need with
// those the token carries, when it is a JWT.
func CheckPermissions(p *Plan, token string) error {
	have, ok := TokenPermissions(token)
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, h := range have {
		set[strings.ToLower(h)] = true
	}
	var missing []string
	seen := map[string]bool{}
	for _, a := range p.Actions {
		for _, need := range a.Permissions {
			alts := strings.Split(need, "|")
			okAny := false
			for _, alt := range alts {
				okAny = okAny || set[strings.ToLower(alt)]
			}
			if okAny || seen[alts[0]] {
				continue
			}
			seen[alts[0]] = true
			missing = append(missing, alts[0])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return &PermissionError{Missing: missing, Have: have}
}

// Apply checks the plan (Check), runs its actions in dependency order,
// verifies the result and records the post-restore snapshot. An error is
// returned, with nothing written, when the plan is refused; once writing
// began, failures are in the Result (per action, and verification).
func Apply(ctx context.Context, p *Plan, o ApplyOptions) (*Result, error) {
	if o.Client == nil || o.Repo == nil {
		return nil, errors.New("importer: ApplyOptions.Client and Repo are required")
	}
	if o.Rehearsal && (o.Record != nil || o.IDCommit != nil) {
		return nil, errors.New("importer: a rehearsal (ApplyOptions.Rehearsal) records nothing: Record and IDCommit must be nil")
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	digest, err := planDigest(p)
	if err != nil {
		return nil, err
	}
	if o.Rehearsal && o.IDs == nil && p.Rehearsal != "" {
		if o.IDs, err = ReadRehearsalIDs(o.Repo, p.Rehearsal); err != nil {
			return nil, err
		}
		o.instance = p.Rehearsal // each create journaled (journal.go), the ids kept (recordIDs)
	}
	if o.Record != nil {
		// The whole apply holds the repository lock (applylock.go).
		var unlock func()
		if ctx, unlock, err = lockApply(ctx, o.Repo); err != nil {
			return nil, err
		}
		defer unlock()
	}
	before, err := checkPlan(ctx, p, o, digest)
	if err != nil {
		return nil, err
	}
	r := newRunner(p, o)
	r.digest = digest
	res := &Result{IDs: r.created}
	res.Actions = r.run(ctx)
	interrupted := func() (*Result, error) {
		recordIDs(ctx, o, res)
		recordInterrupted(ctx, o, res) // applyjournal.go
		return res, ctx.Err()
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	r.settleInDoubt(ctx, before) // indoubt.go
	if ctx.Err() != nil {
		return interrupted()
	}
	verify(ctx, p, o, res)
	if ctx.Err() != nil {
		return interrupted()
	}
	switch {
	case o.Record != nil && res.Wrote():
		record(ctx, p, o, res, r.stillInDoubt(), r.digest) // journal.go
	case o.Record != nil && !p.applied.IsZero():
		recordAttempt(ctx, p, o, res, r.digest)
	}
	if res.Snapshot == nil {
		recordIDs(ctx, o, res)
	}
	endApplyJournal(o, res) // applyjournal.go
	return res, nil
}

// recordIDs commits the new ids of a restore whose snapshot was not
// recorded to the id map alone (RecordJournal, journalmerge.go), even
// after an interrupt (a local commit, bounded by a minute); a rehearsal's
// are kept for the next rehearsal when its earlier ones were read
// (ApplyOptions.IDs), or the repository is told why not (Repo.Notify).
func recordIDs(ctx context.Context, o ApplyOptions, res *Result) {
	if o.instance != "" {
		if err := SaveRehearsalIDs(o.Repo, o.instance, res.IDs); err != nil {
			o.Repo.Notify(fmt.Sprintf("warning: %v; a next rehearsal against this graphsim creates those objects again", err))
		}
		return
	}
	if o.IDCommit == nil || o.Record == nil || res.IDs.Len() == 0 || res.idMapBad {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	rec, err := RecordJournal(ctx, o.Repo, *o.IDCommit)
	switch {
	case err != nil && res.SnapshotErr == "":
		res.SnapshotErr = err.Error()
	case err != nil:
		res.SnapshotErr += "; " + err.Error()
	case rec != nil:
		res.IDsCommit = rec.Commit
	}
}

// applyRecord is the record of an apply (layout.ParseApplyRecord reads it
// back): title, then the plan's source, tenant and digest, who wrote
// (applyBy), the actions per status, those not done one per line (at most
// maxNotDone), verification and the new ids. The post-restore snapshot's
// commit message, or the message of the tag recording an apply that wrote
// nothing (recordAttempt). Names and errors from Graph are escaped.
func applyRecord(p *Plan, by string, res *Result, digest, title string) string {
	c := res.Count()
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s\n\n", title)
	fmt.Fprintf(&msg, "Restored from %s (%s), plan of %s, tenant %s.\n", p.Rev, p.Commit, p.Created.UTC().Format(time.RFC3339), p.TenantID)
	if digest != "" {
		// A clone without this repository's AppliedFile still refuses
		// the plan (checkApplied).
		fmt.Fprintf(&msg, "%s\n", planLine(digest))
	}
	fmt.Fprintf(&msg, "%s%s\n", layout.ApplyByLine, by)
	fmt.Fprintf(&msg, layout.ApplyActionsLine+"\n", c[StatusDone], c[StatusAlready], c[StatusFailed], c[StatusSkipped])
	if c[StatusFailed]+c[StatusSkipped] > 0 {
		msg.WriteString(layout.ApplyFailedLine + "\n")
		n := 0
		for _, a := range res.Actions {
			if a.Status != StatusFailed && a.Status != StatusSkipped {
				continue
			}
			if n++; n > maxNotDone {
				fmt.Fprintf(&msg, "  ... and %d more (the apply's --json output lists every action)\n", c[StatusFailed]+c[StatusSkipped]-maxNotDone)
				break
			}
			line := fmt.Sprintf("%s %s %s %q (%s)", a.Status, a.Op, a.Kind, a.Name, a.Key)
			if a.Target != "" {
				line += " → " + a.Target
			}
			fmt.Fprintf(&msg, "  - %s: %s\n", layout.Safe(line), layout.Safe(textcut.Cut(a.Error, 300)))
		}
	}
	switch {
	case res.Verified:
		msg.WriteString("Verification: the tenant matches the snapshot for everything restored.\n")
	case res.VerifyError != "":
		fmt.Fprintf(&msg, "Verification failed: %s\n", res.VerifyError)
	default:
		fmt.Fprintf(&msg, "Verification: %d differences remain.\n", len(res.Differences))
	}
	if n := res.IDs.Len(); n > 0 {
		fmt.Fprintf(&msg, "Recreated under new ids: %d (see %s).\n", n, IDMapPath)
	}
	return msg.String()
}

// maxNotDone bounds the actions an apply record lists one by one.
const maxNotDone = 1000

// applyBy says who the apply wrote as: the signed-in user of a delegated
// sign-in, else the application entrasnap is configured to sign in as
// (clientID: --client-id, AZURE_CLIENT_ID), never a claim of the access
// token, which a client must treat as opaque (ApplyOptions.ClientID;
// docs/design.md, "Who applied").
func applyBy(p *Plan, clientID string) string {
	switch {
	case p.SignedIn != "":
		return layout.Safe(p.SignedIn) + " (delegated sign-in)"
	case clientID != "":
		return "application " + layout.Safe(clientID) + " (app-only)"
	}
	return NotKnownBy
}

// NotKnownBy is an apply record's "By:" when no client id was configured
// (a prepared access token): who wrote is then in the tenant's audit log.
const NotKnownBy = "not known (no client id configured: --client-id or AZURE_CLIENT_ID names the app; the tenant's audit log names it)"

// recordAttempt records an apply that began writing but changed nothing
// (every write failed, was refused or found in place): no snapshot is
// made, so its record (applyRecord) is the message of an annotated tag on
// the branch head (layout.ApplyTagPrefix), tagged and signed as IDCommit
// says; Result.AttemptTag names it, SnapshotErr says why it could not be
// made.
func recordAttempt(ctx context.Context, p *Plan, o ApplyOptions, res *Result, digest string) {
	id := applyTagID(p.ID, digest)
	var ident IDCommit
	if o.IDCommit != nil {
		ident = *o.IDCommit
	}
	title := fmt.Sprintf("apply of the restore of %s from %s (%s): nothing was written", layout.Safe(strings.Join(p.Selectors, ", ")), layout.Safe(p.Rev), shortHash(p.Commit))
	if p.Files != nil {
		title = fmt.Sprintf("apply of the change from files %s (%s): nothing was written", layout.Safe(p.Rev), shortHash(p.Commit))
	}
	tag, err := o.Repo.TagHead(ctx, snapshot.Snapshot{Tag: layout.ApplyTagName(p.applied, id), TagMessage: applyRecord(p, applyBy(p, o.ClientID), res, digest, title),
		Committer: cmp.Or(ident.Committer, ident.Author), Signer: ident.Signer})
	if err != nil {
		res.SnapshotErr = fmt.Sprintf("the apply changed nothing, and its record could not be tagged (%v): this repository's %s still refuses the plan, a clone does not", err, AppliedFile)
		return
	}
	res.AttemptTag = tag.Tag
}

// applyTagID is the plan's part of its apply tag's name: the plan's id
// when it is 32 hexadecimal digits, else the digest's first 32.
func applyTagID(planID, digest string) string {
	if rehearsalInstanceRe.MatchString(planID) {
		return planID
	}
	return strings.TrimPrefix(digest, "sha256:")[:32]
}

// idMapUnreadable says why record left the id map at HEAD alone: the
// error, this run's recreated objects one per line (old → new id, also in
// the journal, which keeps them until a snapshot records them), and how to
// repair.
func idMapUnreadable(cause error, repo *snapshot.Repo, res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "the id map %s at HEAD cannot be read (%v), and writing a new one over it would lose the old → new ids of earlier restores: the post-restore snapshot was not recorded", IDMapPath, cause)
	if n := res.IDs.Len(); n > 0 {
		fmt.Fprintf(&b, "; this restore's new ids are kept in %s (in the git directory) until a snapshot records them:", JournalFile)
		for _, old := range sortedKeys(res.IDs.IDs) {
			en := res.IDs.IDs[old]
			fmt.Fprintf(&b, "\n  %s %s → %s", en.Kind, layout.Safe(old), layout.Safe(en.New))
		}
		for _, old := range sortedKeys(res.IDs.AppIDs) {
			fmt.Fprintf(&b, "\n  application appId %s → %s", layout.Safe(old), layout.Safe(res.IDs.AppIDs[old]))
		}
	}
	fmt.Fprintf(&b, "\nto repair: in %s, take %s back from the last commit where it was good (git log -p -- %s), commit it, and run the same restore again: it finds the objects recreated now by the ids above, plans nothing more for them, and the next restore that writes records them in the id map", layout.Safe(repo.Path()), IDMapPath, IDMapPath)
	return b.String()
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ---- running actions ----

type runner struct {
	p       *Plan
	o       ApplyOptions
	mu      sync.Mutex
	values  map[string]string // placeholder → value
	results []ActionResult
	index   map[string]int
	report  sync.Mutex
	// created are this run's new ids; journal the creates sent, with an
	// earlier, interrupted run's (JournalFile).
	created *IDMap
	journal []journalEntry
	restore string
	// unlicensed are the kinds a write was refused for want of a licence
	// (kind → licence, licence.go): no further write of them is sent.
	unlicensed map[string]string
	// inDoubt are the actions (indexes) of the creates whose answer was
	// lost: Graph may have made the object (settleInDoubt).
	inDoubt []int
	// digest is the plan's (planDigest), noted as applied before the
	// first write (markApplied, applied.go).
	digest      string
	appliedOnce sync.Once
	appliedErr  error
	// journaling: the apply journal (applyjournal.go) is started; its
	// lines are appended under report.
	journaling    atomic.Bool
	journalWarned bool
}

func newRunner(p *Plan, o ApplyOptions) *runner {
	r := &runner{p: p, o: o, values: map[string]string{"{{graph}}": strings.TrimRight(o.Client.BaseURL(), "/"),
		layout.OrganizationPlaceholder: p.TenantID}, // branding.go
		results: make([]ActionResult, len(p.Actions)), index: map[string]int{}}
	r.restore = fmt.Sprintf("%s (%s)", p.Rev, shortHash(p.Commit))
	r.created = NewIDMap()
	if o.Record != nil {
		// A restore that records nothing (a rehearsal against a throwaway
		// tenant) keeps its journal in memory: its ids must never reach
		// the repository's id map.
		r.journal, _ = readJournal(o.Repo)
	}
	for i, a := range p.Actions {
		r.index[a.ID] = i
		r.results[i] = ActionResult{ID: a.ID, Kind: a.Kind, Key: a.Key, Name: a.Name, Op: a.Op, Relationship: a.Relationship, Target: a.Target}
	}
	return r
}

// run executes the plan's actions, each once every action it depends on
// has ended, with at most Parallel in flight: Parallel workers take the
// ready actions in plan order, so a restore of 100,000 objects holds
// Parallel goroutines, not one per action. An action whose dependency did
// not end done (or already so) is skipped; once ctx ends, nothing more
// starts and what has not started ends "interrupted".
func (r *runner) run(ctx context.Context) []ActionResult {
	n := len(r.p.Actions)
	waiting := make([]int, n)      // dependencies not yet ended
	dependents := make([][]int, n) // actions waiting for this one
	ready := &minHeap{}
	for i, a := range r.p.Actions {
		for _, d := range a.DependsOn {
			j, ok := r.index[d]
			if !ok { // ValidatePlan refuses such a plan; never wait for it
				continue
			}
			waiting[i]++
			dependents[j] = append(dependents[j], i)
		}
		if waiting[i] == 0 {
			*ready = append(*ready, i)
		}
	}
	heap.Init(ready)
	var mu sync.Mutex
	wake := sync.NewCond(&mu)
	stop := context.AfterFunc(ctx, func() { mu.Lock(); wake.Broadcast(); mu.Unlock() })
	defer stop()
	running := 0
	var wg sync.WaitGroup
	for w := 0; w < r.o.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			for {
				for ready.Len() == 0 && running > 0 && ctx.Err() == nil {
					wake.Wait()
				}
				if ready.Len() == 0 || ctx.Err() != nil {
					wake.Broadcast() // nothing more will start: let the others see it
					return
				}
				i := heap.Pop(ready).(int)
				running++
				mu.Unlock()
				r.one(ctx, i)
				mu.Lock()
				running--
				for _, k := range dependents[i] {
					if waiting[k]--; waiting[k] == 0 {
						heap.Push(ready, k)
					}
				}
				wake.Broadcast()
			}
		}()
	}
	wg.Wait()
	for i := range r.results {
		if res := &r.results[i]; res.Status == "" {
			res.Status, res.Error = StatusSkipped, "interrupted"
			if ctx.Err() == nil {
				res.Error = "not attempted: it waits on an action that never ended"
				r.progress(*res)
			} else {
				r.report.Lock()
				r.noteEnded(*res) // never started: the record says so
				r.report.Unlock()
			}
		}
	}
	return r.results
}

// one runs action i, whose dependencies have all ended.
func (r *runner) one(ctx context.Context, i int) {
	a := &r.p.Actions[i]
	res := &r.results[i]
	for _, d := range a.DependsOn {
		j := r.index[d]
		if st := r.results[j].Status; st != StatusDone && st != StatusAlready {
			res.Status, res.Error = StatusSkipped, fmt.Sprintf("not attempted: action %s (%s) %s", d, r.p.Actions[j].Name, st)
			r.progress(*res)
			return
		}
	}
	if ctx.Err() != nil {
		return // ends "interrupted" (run)
	}
	if !r.licenceSkip(a, res) {
		r.exec(ctx, a, res)
	}
	r.progress(*res)
}

func (r *runner) progress(ar ActionResult) {
	r.report.Lock()
	defer r.report.Unlock()
	r.noteEnded(ar) // applyjournal.go
	if r.o.Progress != nil {
		r.o.Progress(ar)
	}
}

// fill replaces the placeholders of s, looking each "{{...}}" of up to 256
// bytes up (not trying every known placeholder on every request: a restore
// of many objects would be quadratic).
func (r *runner) fill(s string) (string, error) {
	var b strings.Builder
	r.mu.Lock()
	done, end := 0, -1 // s[:done] is written; s[end:] starts with the "}}" closing s[i:]
	for i := 0; ; i++ {
		k := strings.Index(s[i:], "{{")
		if k < 0 {
			break
		}
		if i += k; end < i {
			e := strings.Index(s[i:], "}}")
			if e < 0 {
				break
			}
			end = i + e
		}
		if v, ok := r.values[s[i:min(end+2, i+256)]]; ok && end+2-i <= 256 {
			b.WriteString(s[done:i] + v)
			done, i = end+2, end+1
		}
	}
	r.mu.Unlock()
	b.WriteString(s[done:])
	s = b.String()
	if strings.Contains(s, "{{generated-password}}") {
		pw, err := password()
		if err != nil {
			return "", err
		}
		s = strings.ReplaceAll(s, "{{generated-password}}", pw)
	}
	if i := strings.Index(s, "{{new"); i >= 0 {
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			end = len(s) - i - 2
		}
		return "", fmt.Errorf("the new id %s is not known: the action that creates it did not run", s[i:i+end+2])
	}
	return s, nil
}

// password is a random password that meets Entra's complexity rules; it is
// sent once and never written anywhere.
func password() (string, error) {
	const sets = "ABCDEFGHJKLMNPQRSTUVWXYZ|abcdefghijkmnopqrstuvwxyz|23456789|!#%*+-=?@^_"
	groups := strings.Split(sets, "|")
	var b strings.Builder
	for i := 0; i < 24; i++ {
		g := groups[i%len(groups)]
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(g))))
		if err != nil {
			return "", err
		}
		b.WriteByte(g[n.Int64()])
	}
	return b.String(), nil
}

// notYet reports whether err may be replication lag: a not-found, or a
// reference Graph cannot resolve yet.
func notYet(err error) bool {
	ge := graph.AsError(err)
	if ge == nil {
		return false
	}
	if ge.Status == http.StatusNotFound || ge.Code == "Request_ResourceNotFound" {
		return true
	}
	msg := strings.ToLower(ge.Message)
	// "One or more added object references do not exist for the following
	// modified properties: 'members'." (a reference not yet replicated);
	// "The source resource object or one of the objects being referenced
	// don't exist." (group-post-members: a group not yet replicated).
	return ge.Status == http.StatusBadRequest && (strings.Contains(msg, "does not exist") || strings.Contains(msg, "do not exist") ||
		strings.Contains(msg, "don't exist") || strings.Contains(msg, "invalid groups") ||
		strings.Contains(msg, "invalid users") || strings.Contains(msg, "invalid named locations") ||
		strings.Contains(msg, "does not reference a valid application") || strings.Contains(msg, "not present"))
}

// already reports whether err says the write's effect is in place.
func already(a *Action, err error) bool {
	ge := graph.AsError(err)
	if ge == nil {
		return false
	}
	msg := strings.ToLower(ge.Message)
	switch a.Op {
	case OpAddLink, OpAddChild:
		return a.Ensure && (ge.Status == http.StatusConflict || strings.Contains(msg, "already exist"))
	case OpRemoveLink, OpRemoveChild, OpDelete:
		return ge.Status == http.StatusNotFound || strings.Contains(msg, "does not exist")
	}
	return false
}

// resendable: the actions whose POST is safe to send again when its answer
// was lost (a dropped connection) or was a server error: Graph either did
// nothing or did what a second request would find done.
func resendable(a *Action) bool {
	return a.Op == OpAddLink || a.Op == OpRestore || (a.Op == OpCreate && conflictOnRepeat(a.Kind)) || setsState(a)
}

// setStateActions are the bound actions (POST {item}/{action}) whose body is
// the state to reach, not a step from the current one: sent twice, the
// second finds it reached. assignLicense adds licences (an added SKU held
// already has its disabled plans replaced: user-assignlicense) and removes
// others: a repeat of one that went through is refused only for a removed
// licence no longer assigned (sentEarlier). updateAllowedCombinations
// replaces the strength's combinations (authenticationstrengthpolicy-
// updateallowedcombinations). Not among them: createNewVersion (lcw.go: each
// call makes a workflow version), a PIM adminUpdate schedule request
// (pim.go: each call is a new request), appRoleAssignedTo (a create).
var setStateActions = map[string]bool{"assignLicense": true, "updateAllowedCombinations": true}

// setsState reports whether a is an update by a set-state bound action.
func setsState(a *Action) bool {
	if a.Op != OpUpdate || a.Request.Method != http.MethodPost {
		return false
	}
	i := strings.LastIndexByte(a.Request.Path, '/')
	return i >= 0 && setStateActions[a.Request.Path[i+1:]]
}

// licenceGone: Graph's refusal to remove a licence the object does not
// hold ("License {skuId} is not assigned to this user and cannot be
// removed.", as graphsim answers; "User does not have a corresponding
// license." is the wording seen from Graph in the wild: the pages document
// no error). Either says a removal already happened.
func licenceGone(ge *graph.Error) bool {
	msg := strings.ToLower(ge.Message)
	return ge.Status == http.StatusBadRequest && (strings.Contains(msg, "is not assigned") || strings.Contains(msg, "does not have a corresponding license"))
}

// conflictOnRepeat: Graph refuses a create of kind when the same object
// exists (layout.Kind.ConflictOnRepeat): a create of one whose answer was
// lost is sent again instead of found by name (settleInDoubt), and Graph
// makes it or says an earlier attempt did.
func conflictOnRepeat(kind string) bool {
	k, ok := layout.Lookup(kind)
	return ok && k.ConflictOnRepeat
}

// lostAnswer: the request may or may not have been carried out: no answer
// (dropped connection) or a 5xx that outlasted the client's retries.
func lostAnswer(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	ge := graph.AsError(err)
	return ge == nil || ge.Status >= 500
}

// sentEarlier: the answer to a resent request says an earlier attempt did
// the work: the link exists, the object is no longer in the recycle bin.
func sentEarlier(a *Action, err error) bool {
	ge := graph.AsError(err)
	if ge == nil {
		return false
	}
	msg := strings.ToLower(ge.Message)
	switch a.Op {
	case OpAddLink:
		return ge.Status == http.StatusConflict || strings.Contains(msg, "already exist")
	case OpRestore:
		return ge.Status == http.StatusNotFound
	case OpCreate:
		return conflictOnRepeat(a.Kind) && (ge.Status == http.StatusConflict || strings.Contains(msg, "conflicting object") || strings.Contains(msg, "roleassignmentexists"))
	case OpUpdate:
		// An assignLicense that removed a licence: the earlier attempt
		// did all of it (Graph applies the adds and removes together).
		return setsState(a) && strings.HasSuffix(a.Request.Path, "/assignLicense") && licenceGone(ge)
	}
	return false
}

func (r *runner) exec(ctx context.Context, a *Action, res *ActionResult) {
	fail := func(err error) {
		res.Status, res.Error = StatusFailed, err.Error()+caBinRefused(a, err)+r.licenceRefused(a, err)+uniqueTaken(a, err)
		if ge := graph.AsError(err); ge != nil {
			res.GraphStatus, res.GraphCode, res.RequestID = ge.Status, ge.Code, ge.RequestID
		}
	}
	path, err := r.fill(a.Request.Path)
	if err != nil {
		fail(err)
		return
	}
	var payload any
	if len(a.Request.Body) > 0 {
		b, err := r.fill(string(a.Request.Body))
		if err != nil {
			fail(err)
			return
		}
		payload = json.RawMessage(b)
		if a.Request.Documents { // termsofuse.go
			if payload, err = r.inlineDocuments(ctx, a, json.RawMessage(b)); err != nil {
				fail(err)
				return
			}
		}
	}
	// Only a request naming an object this plan just created or restored
	// may be answered "not there yet" by Graph's replication lag.
	retry := r.namesFresh(a, path, payload)
	if a.Request.Method != http.MethodGet {
		// The plan is noted as applied before its first write is sent
		// (applied.go): it is never applied twice.
		if err := r.markApplied(); err != nil {
			fail(fmt.Errorf("not sent: %w", err))
			return
		}
	}
	if a.Op == OpCreate {
		// Noted before it is sent: if the run dies before Graph's answer
		// arrives, the next plan looks for what Graph may have made.
		r.mu.Lock()
		err := r.noteSent(a)
		r.mu.Unlock()
		if err != nil {
			fail(fmt.Errorf("not sent: the create could not be noted for a re-run: %w", err))
			return
		}
	}
	// Graph's replication (backoff.go); the requests' own time counts too.
	lag := newBackoff(500*time.Millisecond, r.o.ConsistencyTimeout, r.o.Sleep, time.Now)
	lost := 0 // attempts whose answer was lost or a server error (resend)
	for {
		res.Attempts++
		var resp *graph.Response
		if a.Request.Stream != nil {
			resp, err = r.sendStream(ctx, a.Request.Method, path, a.Request.Stream) // branding.go
		} else {
			resp, err = r.o.Client.Do(ctx, a.Request.Method, path, payload)
		}
		if err == nil && a.Capture != nil { // pim.go: a lookup
			err = r.capture(a, path, resp)
		}
		if err == nil {
			res.Status = StatusDone
			if a.Op == OpCreate && resp != nil {
				created := createdBy(resp.Body)
				res.NewID, res.NewAppID = created.ID, created.AppID
				r.mu.Lock()
				if a.Placeholder != "" && created.ID != "" {
					r.values[a.Placeholder] = created.ID
				}
				if a.AppIDPlaceholder != "" && created.AppID != "" {
					r.values[a.AppIDPlaceholder] = created.AppID
				}
				if err := r.noteCreated(a, created.ID, created.AppID); err != nil {
					res.Error = fmt.Sprintf("created as %s, but the new id could not be noted for a re-run (%v): if this restore is interrupted before it records its snapshot, a re-run creates the object again", created.ID, err)
				}
				r.mu.Unlock()
			}
			return
		}
		if already(a, err) {
			res.Status = StatusAlready
			return
		}
		if id := r.activatedMeanwhile(ctx, a, path, err); id != "" { // roles.go
			res.Status, res.NewID = StatusAlready, id
			r.mu.Lock()
			r.values[a.Placeholder] = id
			if err := r.noteCreated(a, id, ""); err != nil {
				res.Error = fmt.Sprintf("the role was active already as %s, but its id could not be noted for a re-run (%v)", id, err)
			}
			r.mu.Unlock()
			return
		}
		if lost > 0 && sentEarlier(a, err) {
			// An earlier attempt whose answer was lost did the work.
			res.Status = StatusDone
			return
		}
		if ctx.Err() != nil {
			res.Status, res.Error = StatusSkipped, "interrupted"
			return
		}
		if resendable(a) && lostAnswer(err) && lost < 4 {
			// The graph client does not repeat a POST; adding a link,
			// restoring from the recycle bin and a set-state action are
			// safe to repeat: a repeat of one that went through answers
			// "already exists" / 404 / the state is already so.
			lost++
			if serr := r.o.Sleep(ctx, time.Duration(lost)*time.Second); serr != nil {
				fail(err)
				return
			}
			continue
		}
		if retry && notYet(err) && lag.More() {
			if serr := lag.Wait(ctx); serr != nil {
				fail(err)
				return
			}
			continue
		}
		fail(err)
		if a.Op == OpCreate && lostAnswer(err) {
			r.mu.Lock()
			r.inDoubt = append(r.inDoubt, r.index[a.ID])
			r.mu.Unlock()
		}
		return
	}
}

// takenRe reads Graph's refusal of a value another object holds
// (graph-semantics.md §9: "Another object with the same value for property
// userPrincipalName already exists.").
var takenRe = regexp.MustCompile(`(?i)another object with the same value for property ([A-Za-z]+) already exists`)

// uniqueTaken says what to do when a create or a restore from the recycle
// bin is refused because a live object holds one of its unique values: a
// user deleted, purged and made again under the same userPrincipalName
// since the snapshot (or between plan and apply) holds it now.
func uniqueTaken(a *Action, err error) string {
	ge := graph.AsError(err)
	if ge == nil || (a.Op != OpCreate && a.Op != OpRestore) {
		return ""
	}
	m := takenRe.FindStringSubmatch(ge.Message)
	if m == nil {
		return ""
	}
	prop := m[1]
	var want string
	if a.Op == OpCreate {
		var b map[string]any
		if json.Unmarshal(a.Request.Body, &b) == nil {
			if v, ok := b[prop].(string); ok {
				want = ` "` + layout.Safe(v) + `"`
			}
		}
	}
	return fmt.Sprintf("; another live object already holds its %s%s (an object deleted and made again since the snapshot?): "+
		"give that object another %s or delete it, or change the value in the file, and plan again", prop, want, prop)
}

// createdIDs is what a create's answer names: the new object's id and, for
// an application, its appId.
type createdIDs struct{ ID, AppID string }

// createdBy reads a create's answer. The object made is not always the one
// answered: an invitation names the user it made (invitedUser, guests.go),
// a PIM schedule request the schedule (targetScheduleId, roles.go).
func createdBy(answer []byte) createdIDs {
	var a struct {
		ID          string `json:"id"`
		AppID       string `json:"appId"`
		InvitedUser struct {
			ID string `json:"id"`
		} `json:"invitedUser"`
		TargetScheduleID string `json:"targetScheduleId"`
	}
	_ = json.Unmarshal(answer, &a)
	c := createdIDs{ID: a.ID, AppID: a.AppID}
	switch {
	case a.InvitedUser.ID != "":
		c.ID = a.InvitedUser.ID
	case a.TargetScheduleID != "":
		c.ID = a.TargetScheduleID
	}
	return c
}

// ---- verify and record ----

// verify reads the tenant again and plans again: what is still to do is a
// difference. Right after creates and restores, Graph may not show them
// yet, so differences are read again for a bounded time.
func verify(ctx context.Context, p *Plan, o ApplyOptions, res *Result) {
	// Objects created or restored now may not show yet; differences on
	// others (or on objects with a failed action) will not go away by waiting.
	fresh, failed, freshKinds := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ar := range res.Actions {
		obj := ar.Kind + "/" + strings.ToLower(ar.Key)
		switch {
		case ar.Status == StatusDone && (ar.Op == OpCreate || ar.Op == OpRestore):
			fresh[obj], freshKinds[ar.Kind] = true, true
		case ar.Status == StatusFailed || ar.Status == StatusSkipped:
			failed[obj] = true
		}
	}
	lag := newBackoff(500*time.Millisecond, o.ConsistencyTimeout, o.Sleep, nil) // backoff.go
	for {
		ids := res.IDs
		if o.IDs != nil {
			ids = NewIDMap()
			ids.Merge(o.IDs)
			ids.Merge(res.IDs)
		}
		in, err := Load(ctx, LoadOptions{Client: o.Client, Repo: o.Repo, Rev: p.Rev, Commit: p.Commit, Selectors: p.Selectors,
			Selection: &p.Selection, Options: p.Options, IDs: ids, Files: p.Files, Rehearsal: o.Rehearsal,
			Snapshots: o.Snapshots, ConsistencyTimeout: -1}) // this loop waits for the fresh objects
		var again *Plan
		if err == nil {
			again, err = Compute(in)
		}
		lagging := false
		if err != nil {
			res.VerifyError, res.Verified = err.Error(), false
			// A kind of an object created or restored now may fail its
			// read with "not found" alone (its sponsors read by id from a
			// replica that has not seen it yet): read again, bounded as
			// differences on such objects are.
			var inc *IncompleteReadError
			lagging = errors.As(err, &inc) && inc.lagOnly() && inc.anyOf(freshKinds)
		} else {
			res.VerifyError = ""
			res.Differences = nil
			for _, a := range again.Actions {
				sign, word := opWord(&a)
				res.Differences = append(res.Differences, Difference{Kind: a.Kind, Key: a.Key, Name: a.Name, What: sign + " " + word + " still to do",
					Target: a.Target, Changes: a.Changes})
			}
			res.Verified = len(res.Differences) == 0
			for _, d := range res.Differences {
				obj := d.Kind + "/" + strings.ToLower(d.Key)
				lagging = lagging || fresh[obj] && !failed[obj]
			}
		}
		if res.Verified || !lagging || !lag.More() || lag.Wait(ctx) != nil {
			return
		}
	}
}

// record has the post-restore state of the kinds the plan wrote recorded
// (o.Record) as a snapshot commit naming the restore, with the id map.
//
// The id map at HEAD holds every earlier restore's old → new ids: when it
// cannot be read (a bad edit or merge, a file that is not an id map),
// record refuses to write a new one over it, which would lose them. The
// snapshot is then not recorded, the journal keeps this run's new ids (the
// next plan finds the recreated objects by them, Load), and SnapshotErr
// lists them per object and says how to repair (idMapUnreadable).
func record(ctx context.Context, p *Plan, o ApplyOptions, res *Result, inDoubt []journalEntry, digest string) {
	ids, _, err := readIDMap(ctx, o.Repo)
	if err != nil {
		var bad *BadIDMapError
		if errors.As(err, &bad) {
			err = bad.Err // idMapUnreadable says what to do in this case
		}
		res.SnapshotErr, res.idMapBad = idMapUnreadable(err, o.Repo, res), true
		return
	}
	journal, err := readJournal(o.Repo)
	if err != nil {
		res.SnapshotErr = fmt.Sprintf("%v; the post-restore snapshot was not recorded, so that no new id is lost: fix or remove the file, then run an export", err)
		return
	}
	ids.Merge(journalIDs(journal))
	ids.Merge(res.IDs)
	files := newFilesRecorded(p, res, ids) // fromfiles.go
	if ids.Len() > 0 {
		files[IDMapPath] = ids.Encode()
	}
	if len(files) == 0 {
		files = nil
	}
	var title string
	if p.Files != nil {
		title = fmt.Sprintf("change from files: %s (%s)\n\nFiles: %s.", layout.Safe(p.Rev), shortHash(p.Commit), filesLine(p.Selectors))
	} else {
		title = fmt.Sprintf("restore of %s from %s (%s)", strings.Join(p.Selectors, ", "), p.Rev, shortHash(p.Commit))
	}
	msg := applyRecord(p, applyBy(p, o.ClientID), res, digest, title)
	// Nothing of this apply reads the plan's commit again: its decoded
	// objects (SnapshotCache) are not held while the snapshot is taken.
	o.Snapshots.forgetRepo(o.Repo)
	res.Snapshot, err = o.Record(ctx, p.RecordKinds(), msg, files)
	if err != nil {
		res.SnapshotErr = err.Error()
		return
	}
	// The id map is committed: the answered creates' ids are no longer
	// needed; a create still in doubt stays for the next run to settle.
	if err := keepJournal(o.Repo, inDoubt); err != nil {
		res.SnapshotErr = fmt.Sprintf("the snapshot is recorded, but %s could not be updated: %v", JournalFile, err)
	}
	if err := removeCreatedWorktreeFiles(o.Repo, p, res); err != nil { // fromfiles.go
		res.SnapshotErr = err.Error()
	}
}
