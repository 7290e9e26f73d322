package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	Now  func() time.Time // snapshot times; nil: the real clock
	// Client makes a Graph client for graphsim at url with token that
	// waits with sleep between retries and for Graph's pacing.
	Client func(url, token string, sleep Sleep) (*graph.Client, error)
	// Diff prints what changed from one revision of Dir to another.
	Diff func(ctx context.Context, from, to string) error
	// Restore plans, applies and verifies the restore of ids at rev from
	// Dir to graphsim at url, without asking.
	Restore func(ctx context.Context, rev string, ids []string, url, token string, sleep Sleep) error
}

// Sleep waits d (or until ctx ends). The tour's tenant runs in this
// process, so its clients' waits move the tenant's clock instead of
// sleeping (as bench --clock virtual does).
type Sleep = func(ctx context.Context, d time.Duration) error

// Run is the guided tour: graphsim's demo tenant in-process, a first
// snapshot, the incidents (Break), the mass-deletion guard, a second
// snapshot and its diff, the restore, and what to try next.
func (t Tour) Run(ctx context.Context) error {
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
	export := func(msg string) (*exporter.Result, error) {
		res, err := exporter.Run(ctx, exporter.Options{Client: client, Repo: repo, Message: msg, AllowShrink: allowShrink, Now: t.Now,
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

	// 3. Incidents, made through Microsoft Graph as an admin (or attacker) would.
	say("3. Simulating incidents:")
	inc, err := Break(ctx, client)
	if err != nil {
		return fmt.Errorf("simulating incidents: %w", err)
	}
	for _, in := range inc.Lines {
		say("   - %s", in)
	}

	// 4. Second snapshot: the mass-deletion guard stops it first.
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
	say("   exported again with --allow-shrink and tagged %s. What changed, object by object:\n", second.Tag)
	if err := t.Diff(ctx, first.Tag, second.Tag); err != nil {
		return err
	}

	// 5. Restore exactly those objects to the baseline: plan, apply, verify.
	say("\n5. Restoring the %d broken objects to %s: the plan, then apply and verify.\n", len(inc.IDs), first.Tag)
	if err := t.Restore(ctx, first.Tag, inc.IDs, url, sim.Token(), sleep); err != nil {
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

	dir := t.Dir
	say("\nDone in %.1fs. The repository is %s. Try:", time.Since(start).Seconds(), dir)
	for _, l := range []string{
		"git -C " + dir + " log --oneline --decorate",
		"git -C " + dir + " show --stat HEAD",
		"entrasnap snapshots --repo " + dir,
		"entrasnap diff --repo " + dir + " --format markdown " + first.Tag + " " + second.Tag,
		"entrasnap restore --repo " + dir + " --at " + first.Tag + " --out plan.json conditional-access   # plan only",
		"entrasnap log --repo " + dir + " \"applications/" + inc.App + "\"",
		"entrasnap show --repo " + dir + " --at " + first.Tag + " \"conditional-access-policies/" + inc.Policy + "\"",
		"entrasnap graphsim --profile demo   # a tenant to point entrasnap at: --graph-url/--access-token",
	} {
		say("   %s", l)
	}
	return nil
}
