package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Tour is what `entrasnap demo` needs besides this package: the folder,
// where to print, and the commands it shows (diff and restore run exactly as
// the CLI runs them).
type Tour struct {
	Dir  string // the new repository (absolute)
	Seed uint64 // of the demo tenant
	Out  io.Writer
	Now  func() time.Time // snapshot times; nil: the tenant's clock
	// Clock, when set, is called with the tour's clock (Now, or the
	// tenant's) before the first snapshot: the commands the tour runs take
	// their times from it, so snapshot times and the tenant's audit log
	// agree.
	Clock func(now func() time.Time)
	// Client makes a Graph client for graphsim at url with token that
	// waits with sleep between retries and for Graph's pacing.
	Client func(url, token string, sleep Sleep) (*graph.Client, error)
	// Diff prints what changed from one revision of Dir to another.
	Diff func(ctx context.Context, from, to string) error
	// Restore plans, applies and verifies the restore of ids at rev from
	// Dir to graphsim at url, without asking, signed in with token as the
	// app clientID (the client id entrasnap is configured with, which the
	// apply record names: never read from the token).
	Restore func(ctx context.Context, rev string, ids []string, url, token, clientID string, sleep Sleep) error
	// PlanFiles plans what the object files of Dir changed between the
	// revisions of rng (FROM..TO) and saves the plan to out, as a pull
	// request's check does; Apply applies a saved plan, as the apply job
	// after merge does. Nil: the tour has no "change by pull request" step.
	PlanFiles func(ctx context.Context, rng, out, url, token string, sleep Sleep) error
	Apply     func(ctx context.Context, plan, url, token, clientID string, sleep Sleep) error
	// Rehearse rehearses the classic incidents on the newest snapshot of
	// Dir and records the outcome (entrasnap rehearse). Nil: no rehearsal
	// step.
	Rehearse func(ctx context.Context) error
}

// Sleep waits d (or until ctx ends). The tour's tenant runs in this
// process, so its clients' waits move the tenant's clock instead of
// sleeping (as bench --clock virtual does).
type Sleep = func(ctx context.Context, d time.Duration) error

// DirError is a tour refused because its folder (Tour.Dir) already holds
// something: the tour makes a new repository and never writes into files
// it did not make.
type DirError struct{ Dir string }

func (e *DirError) Error() string {
	return e.Dir + " already exists and is not empty; remove it or choose another folder with --dir"
}

// Run is the guided tour: graphsim's demo tenant in-process, a first
// snapshot, the incidents (Break), the mass-deletion guard, a second
// snapshot and its diff, the restore, and what to try next. A Dir that
// exists and is not empty is a *DirError, before anything starts.
func (t Tour) Run(ctx context.Context) error {
	if entries, err := os.ReadDir(t.Dir); err == nil && len(entries) > 0 {
		return &DirError{Dir: t.Dir}
	}
	start := time.Now()
	say := func(format string, args ...any) { fmt.Fprintf(t.Out, format+"\n", args...) }

	// 1. The tenant.
	sim, err := graphsim.New(graphsim.Options{Profile: "demo", Seed: t.Seed, TenantName: "Contoso"})
	if err != nil {
		return err
	}
	ln, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	url := ln.URL
	say("1. Started graphsim with the demo tenant \"Contoso\" (%d users, %d groups, %d Conditional Access policies) at %s",
		sim.Tenant().Count("user"), sim.Tenant().Count("group"), sim.Tenant().Count("conditionalAccessPolicy"), url)

	sleep := func(ctx context.Context, d time.Duration) error {
		sim.Clock().Advance(d)
		return ctx.Err()
	}
	client, err := t.Client(url, sim.Token(), sleep)
	if err != nil {
		return err
	}
	repo, err := snapshot.OpenOrInit(t.Dir)
	if err != nil {
		return err
	}
	defer repo.Close()
	allowShrink := false
	now := t.Now
	if now == nil {
		// The tenant's clock: the waits for Graph's pacing move it, and its
		// audit records carry its times.
		now = sim.Clock().Now
	}
	if t.Clock != nil {
		t.Clock(now)
	}
	backup, err := newBackupApp(ctx, sim, client, url) // backupapp.go
	if err != nil {
		return err
	}
	portal, err := registerPortal(ctx, sim, client) // signin.go
	if err != nil {
		return err
	}
	restorer, err := newRestoreApp(ctx, sim, client, url)
	if err != nil {
		return err
	}
	export := func(msg string) (*exporter.Result, error) {
		tok, err := backup.token(ctx)
		if err != nil {
			return nil, err
		}
		backupClient, err := t.Client(url, tok, sleep)
		if err != nil {
			return nil, err
		}
		res, err := exporter.Run(ctx, exporter.Options{Client: backupClient, Repo: repo, Message: msg, AllowShrink: allowShrink, Now: now,
			Author: snapshot.Signature{Name: "entrasnap demo", Email: "demo@entrasnap.invalid"}})
		if err != nil {
			return nil, err
		}
		if inc := res.Incomplete(); len(inc) > 0 {
			return nil, fmt.Errorf("the demo export was incomplete (%d kinds); this is a bug, please report it", len(inc))
		}
		return res, nil
	}

	// 2. First snapshot.
	first, err := export("demo: baseline before the incidents")
	if err != nil {
		return err
	}
	say("2. Exported %d objects of %d kinds to %s and tagged %s (%d Graph requests).",
		first.Objects(), len(first.Kinds), t.Dir, first.Tag, first.Requests)
	// The tour's exports are the daily job's: the backup app, app-only. A
	// delegated-only kind is skipped, and the tour says how an operator
	// reads it, rather than signing one in itself: graphsim would approve
	// the sign-in on its own (nothing of what an operator does), and an
	// administrator's session would join the backup app as a reader in the
	// evidence report, which shows the app's read-only least privilege.
	for _, k := range first.Kinds {
		if k.Skipped != "" {
			say("   Skipped %s: Graph serves them only to a signed-in administrator, not to the backup app. An", k.Title)
			say("   operator reads them, e.g. monthly or before a change: entrasnap export --kinds %s --auth device-code", k.Kind)
		}
	}

	// 3. Incidents, made through Microsoft Graph by a signed-in
	// administrator (signin.go), as an admin (or an attacker with their
	// session) would.
	adminToken, upn, err := signInAdmin(ctx, sim, portal, url)
	if err != nil {
		return fmt.Errorf("signing the demo administrator in: %w", err)
	}
	adminClient, err := t.Client(url, adminToken, sleep)
	if err != nil {
		return err
	}
	say("3. Simulating incidents, signed in as %s on the %s app (a delegated sign-in):", upn, portalApp)
	inc, err := Break(ctx, adminClient)
	if err != nil {
		return fmt.Errorf("simulating incidents: %w", err)
	}
	for _, in := range inc.Lines {
		say("   - %s", in)
	}

	// 4. Second snapshot: the mass-deletion guard stops it first. Graph's
	// audit log shows a change minutes after it: the tenant's clock moves
	// on, so the export can say who made each change.
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	_, err = export("demo: after the incidents")
	var shrink *exporter.ShrinkError
	if !errors.As(err, &shrink) {
		if err == nil {
			return errors.New("the mass-deletion guard let a 25% drop of named locations through; this is a bug, please report it")
		}
		return err
	}
	say("4. Exported again. entrasnap refused to commit: %v", err)
	say("   That is the mass-deletion guard: a kind that loses more than 20%% of its objects is not")
	say("   recorded until someone confirms. The deletions are the incidents, so the demo confirms:")
	allowShrink = true
	second, err := export("demo: after the incidents")
	if err != nil {
		return err
	}
	say("   exported again with --allow-shrink and tagged %s. What changed, object by object, and who", second.Tag)
	say("   changed it (from Graph's audit log, kept in %s: Graph forgets after 7 to 30 days):\n", second.ChangesFile)
	if err := t.Diff(ctx, first.Tag, second.Tag); err != nil {
		return err
	}

	// 5. Restore exactly those objects to the baseline: plan, apply, verify.
	say("\n5. Restoring the %d broken objects to %s: the plan, then apply and verify.\n", len(inc.IDs), first.Tag)
	restoreToken, err := restorer.token(ctx)
	if err != nil {
		return err
	}
	if err := t.Restore(ctx, first.Tag, inc.IDs, url, restoreToken, restorer.appID, sleep); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	say("\n6. Graph's Conditional Access recycle bin is a beta API that refuses application permissions, so")
	say("   the deleted policy and named location were recreated under new ids, as the plan said; the id")
	say("   map (.entrasnap/idmap.yaml) links each old id to its new one for later restores.")
	say("   The recreated Conditional Access policy is in report-only mode, so a restore can never lock")
	say("   anyone out; switch it on when you have checked it (or restore with --ca-state as-is).")
	say("   What differs now from the baseline (recreated objects: removed, then added under a new id):\n")
	if err := t.Diff(ctx, first.Tag, "HEAD"); err != nil {
		return err
	}

	// 7. A change by pull request: a policy file edited in a branch,
	// planned, merged, applied, recorded.
	if t.PlanFiles != nil && t.Apply != nil {
		if restoreToken, err = restorer.token(ctx); err != nil {
			return err
		}
		if err := t.changeByPullRequest(ctx, repo, url, restoreToken, restorer.appID, sleep, say); err != nil {
			return fmt.Errorf("change by pull request: %w", err)
		}
	}

	// 8. A rehearsal: the classic incidents again, on a copy of the tenant
	// loaded from the newest snapshot, each restored and verified; the
	// outcome is recorded for auditors.
	if t.Rehearse != nil {
		say("\n8. A rehearsal (entrasnap rehearse): the newest snapshot is loaded into a second, private graphsim;")
		say("   the classic incidents are made there and each is restored and verified, with Graph's throttling,")
		say("   so the times are honest. The outcome is committed as .entrasnap/rehearsals/<time>.yaml:\n")
		if err := t.Rehearse(ctx); err != nil {
			return fmt.Errorf("rehearsal: %w", err)
		}
	}

	dir := t.Dir
	say("\nDone in %.1fs. The repository is %s. Try:", time.Since(start).Seconds(), dir)
	for _, l := range []string{
		"git -C " + dir + " log --oneline --decorate",
		"git -C " + dir + " show --stat HEAD",
		"entrasnap snapshots --repo " + dir,
		"entrasnap diff --repo " + dir + " --format markdown " + first.Tag + " " + second.Tag,
		"entrasnap restore --repo " + dir + " --at " + first.Tag + " --out plan.json conditional-access   # plan only",
		"entrasnap log --repo " + dir + " \"applications/" + inc.App + "\"",
		"entrasnap rehearse --repo " + dir + " --throttle off --no-record   # the rehearsal again, fast, unrecorded",
		"entrasnap show --repo " + dir + " --at " + first.Tag + " \"conditional-access-policies/" + inc.Policy + "\"",
		"entrasnap graphsim --profile demo   # a tenant to point entrasnap at: --graph-url/--access-token",
	} {
		say("   %s", l)
	}
	return nil
}

// changeBranch is the branch of the tour's pull request.
const changeBranch = "change/ca-report-only"

var displayNameRe = regexp.MustCompile(`(?m)^displayName: "([^"\\]*)"$`)

// changeByPullRequest edits an enabled Conditional Access policy's file in
// a branch (report-only while its sign-ins are checked), plans it as a pull
// request's check would, merges the branch, applies exactly the reviewed
// plan and shows the recorded change.
func (t Tour) changeByPullRequest(ctx context.Context, repo *snapshot.Repo, url, token, clientID string, sleep Sleep, say func(string, ...any)) error {
	const folder = "conditional-access/policies"
	files, err := repo.ReadAll(ctx, "HEAD", folder)
	if err != nil {
		return err
	}
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var file string
	var edited []byte
	for _, p := range paths {
		if bytes.Contains(files[p], []byte("\nstate: \"enabled\"\n")) {
			file = p
			edited = bytes.Replace(files[p], []byte("\nstate: \"enabled\"\n"), []byte("\nstate: \"enabledForReportingButNotEnforced\"\n"), 1)
			break
		}
	}
	if file == "" {
		return errors.New("the demo tenant has no enabled Conditional Access policy; this is a bug, please report it")
	}
	name := file
	if m := displayNameRe.FindSubmatch(files[file]); m != nil {
		name = string(m[1])
	}
	before, err := repo.Resolve(ctx, "HEAD")
	if err != nil {
		return err
	}
	// The edit, committed as a person would: everything else as it is.
	commit := func(branch, msg string) error {
		all, err := repo.ReadAll(ctx, "HEAD", "")
		if err != nil {
			return err
		}
		var carry []string
		for p := range all {
			if p != file {
				carry = append(carry, p)
			}
		}
		sort.Strings(carry)
		_, err = repo.WriteSnapshot(ctx, snapshot.Snapshot{Branch: branch, Files: map[string][]byte{file: edited}, Carry: carry, Message: msg,
			Author: snapshot.Signature{Name: "Alex (identity team)", Email: "alex@contoso.invalid"}})
		return err
	}
	msg := fmt.Sprintf("%s: report-only while its sign-ins are checked", name)
	if _, err := repo.StartBranch(ctx, changeBranch, "HEAD"); err != nil {
		return err
	}
	if err := commit(changeBranch, msg); err != nil {
		return err
	}
	say("\n7. A change by pull request. On the branch %s, %s is edited", changeBranch, file)
	say("   (state: \"enabled\" → \"enabledForReportingButNotEnforced\") and committed. The pull request's")
	say("   check plans exactly what the changed files change (entrasnap restore --changed main..%s --out plan.json):\n", changeBranch)
	tmp, err := os.MkdirTemp("", "entrasnap-demo-plan-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	plan := filepath.Join(tmp, "plan.json")
	if err := t.PlanFiles(ctx, "main.."+changeBranch, plan, url, token, sleep); err != nil {
		return err
	}
	// Merged (as a squash merge would: the same files on main).
	if err := commit("main", msg+" (#1)"); err != nil {
		return err
	}
	say("\n   The pull request is reviewed and merged; the apply job applies exactly that plan")
	say("   (entrasnap apply plan.json), refusing it if the tenant or the files changed meanwhile:\n")
	if err := t.Apply(ctx, plan, url, token, clientID, sleep); err != nil {
		return err
	}
	say("\n   The merged change is in the tenant and in the repository; what it changed since before the merge:\n")
	if err := t.Diff(ctx, before.String(), "HEAD"); err != nil {
		return err
	}
	return nil
}
