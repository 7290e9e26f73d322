package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/demo"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

func demoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "demo",
		Usage:       "a guided tour on an emulated tenant: back up, break things, see the diff, restore",
		Description: helpText("demo"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "entrasnap-demo", Usage: "where to create the demo repository (must not exist, or be empty)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the demo tenant"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("demo takes no arguments; use --dir to choose the folder")
			}
			return runDemo(c.Context, e, c.String("dir"), c.Uint64("seed"))
		},
	}
}

func runDemo(ctx context.Context, e *env, dir string, seed uint64) error {
	start := time.Now()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return usageErrorf("--dir %s already exists and is not empty; remove it or choose another folder with --dir", abs)
	}
	say := func(format string, args ...any) { fmt.Fprintf(e.stdout, format+"\n", args...) }

	// 1. The tenant.
	sim, err := graphsim.New(graphsim.Options{Profile: "demo", Seed: seed, TenantName: "Contoso"})
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

	client, err := e.client(connection{graphURL: url, accessToken: sim.Token(), cloud: "global"}, "entrasnap-demo/"+version)
	if err != nil {
		return err
	}
	repo, err := snapshot.OpenOrInit(abs)
	if err != nil {
		return err
	}
	defer repo.Close()
	allowShrink := false
	export := func(msg string) (*exporter.Result, error) {
		res, err := exporter.Run(ctx, exporter.Options{Client: client, Repo: repo, Message: msg, AllowShrink: allowShrink, Now: e.now,
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
	total := 0
	for _, k := range first.Kinds {
		total += k.Objects
	}
	say("2. Exported %d objects of %d kinds to %s and tagged %s (%d Graph requests).",
		total, len(first.Kinds), abs, first.Tag, first.Requests)

	// 3. Incidents, made through Microsoft Graph as an admin (or attacker) would.
	say("3. Simulating incidents:")
	inc, err := demo.Break(ctx, client)
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
	if err := runDiff(ctx, e, abs, first.Tag, second.Tag, "text", nil, false); err != nil {
		return err
	}

	// 5. Restore exactly those objects to the baseline: plan, apply, verify.
	say("\n5. Restoring the %d broken objects to %s: the plan, then apply and verify.\n", len(inc.IDs), first.Tag)
	if err := runRestore(ctx, e, restoreOptions{
		repo: abs, at: first.Tag, selectors: inc.IDs, yes: true, caState: "report-only",
		conn: connection{graphURL: url, accessToken: sim.Token(), cloud: "global"},
	}); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	say("\n6. Graph's Conditional Access recycle bin is a beta API that refuses application permissions, so")
	say("   the deleted policy and named location were recreated under new ids, as the plan said; the id")
	say("   map (.entrasnap/idmap.yaml) links each old id to its new one for later restores.")
	say("   The recreated Conditional Access policy is in report-only mode, so a restore can never lock")
	say("   anyone out; switch it on when you have checked it (or restore with --ca-state as-is).")
	say("   What differs now from the baseline (recreated objects: removed, then added under a new id):\n")
	if err := runDiff(ctx, e, abs, first.Tag, "HEAD", "text", nil, false); err != nil {
		return err
	}

	say("\nDone in %.1fs. The repository is %s. Try:", time.Since(start).Seconds(), abs)
	for _, l := range []string{
		"git -C " + abs + " log --oneline --decorate",
		"git -C " + abs + " show --stat HEAD",
		"entrasnap snapshots --repo " + abs,
		"entrasnap diff --repo " + abs + " --format markdown " + first.Tag + " " + second.Tag,
		"entrasnap restore --repo " + abs + " --at " + first.Tag + " --out plan.json conditional-access   # plan only",
		"entrasnap log --repo " + abs + " \"applications/" + inc.App + "\"",
		"entrasnap show --repo " + abs + " --at " + first.Tag + " \"conditional-access-policies/" + inc.Policy + "\"",
		"entrasnap graphsim --profile demo   # a tenant to point entrasnap at: --graph-url/--access-token",
	} {
		say("   %s", l)
	}
	return nil
}
