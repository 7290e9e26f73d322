package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/bench"
	"github.com/entrasnap/entrasnap/internal/rehearse"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

func graphsimCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "graphsim",
		Usage:       "serve an emulated Entra tenant over Microsoft Graph on loopback",
		Description: helpText("graphsim"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "address to listen on (port 0 picks a free port)"},
			&cli.StringFlag{Name: "profile", Value: "demo", Usage: "tenant to generate: empty, demo or large (large: 100,000 users, 20,000 groups of 50 members, 2,000 apps, 50 Conditional Access policies unless --users, --groups, --members-per-group, --apps or --ca-policies say otherwise; it is built before the JSON line is printed)"},
			&cli.IntFlag{Name: "users", Usage: "number of users (0: the profile's default)"},
			&cli.IntFlag{Name: "groups", Usage: "number of groups (0: the profile's default)"},
			&cli.IntFlag{Name: "members-per-group", Usage: "average members per group (0: the profile's default)"},
			&cli.IntFlag{Name: "apps", Usage: "number of app registrations (0: the profile's default)"},
			&cli.IntFlag{Name: "ca-policies", Usage: "number of Conditional Access policies (0: the profile's default)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed for ids and generated data (same seed, same tenant)"},
			&cli.StringFlag{Name: "tenant-name", Value: "Contoso", Usage: "organization name; the initial domain is <name>.onmicrosoft.com"},
			&cli.DurationFlag{Name: "latency", Usage: "added to every request, e.g. 50ms"},
			&cli.StringFlag{Name: "throttle", Value: "off", Usage: "off, or realistic (Graph's resource-unit buckets and the Conditional Access 1 request/s limit)"},
			&cli.Float64Flag{Name: "fault-rate", Usage: "share of requests (0..1) answered 500/503/504 or dropped"},
			&cli.DurationFlag{Name: "eventual-consistency", Usage: "hide just-created objects from reads for this long, and answer references to them 400, as Graph's replication does"},
			&cli.BoolFlag{Name: "opaque-tokens", Usage: "issue opaque access tokens (not JWTs) from the token endpoint: a client learns what its token may do only from Graph (export then reads the app's grants with --client-id)"},
			&cli.BoolFlag{Name: "ca-recycle-bin-app-only", Usage: "let app-only tokens use the Conditional Access recycle bin (beta), which Graph documents as not supporting application permissions: models a future Graph"},
			&cli.StringFlag{Name: "licence", Value: "p2", Usage: "the tenant's Microsoft Entra ID licence: free, p1 or p2. Without p2, PIM answers 400 AadPremiumLicenseRequired; without p1, Conditional Access writes answer 403, as Graph does"},
			&cli.StringFlag{Name: "terms-of-use-file-data", Value: "bytes", Usage: "how terms of use agreement files are read (GET .../agreements/{id}?$expand=files): bytes (each file's PDF as base64) or null (\"fileData\": null, as Graph's documented examples answer): rehearse an export that gets no PDF and a restore that cannot recreate an agreement without one"},
			&cli.DurationFlag{Name: "audit-lag", Value: graphsim.DefaultAuditLag, Usage: "how long a directory audit record takes to appear in /auditLogs/directoryAudits (0: at once)"},
			&cli.StringFlag{Name: "load", Usage: "start from a tenant saved with --save instead of a profile"},
			&cli.StringFlag{Name: "save", Usage: "write the tenant to this file on exit"},
			&cli.StringFlag{Name: "from-repo", Usage: "rehearsal: load the tenant as a snapshot of this repository holds it (instead of a profile)"},
			&cli.StringFlag{Name: "at", Value: "HEAD", Usage: "with --from-repo: the revision, snapshot tag or date to load"},
			&cli.StringFlag{Name: "approve-as", Usage: "delegated sign-in: approve every device code sign-in (restore --auth device-code) as this user of the tenant (userPrincipalName or id), and sign the browser sign-in (--auth browser) in as this user; without it, approve each device code with POST /_graphsim/devicelogin (a browser sign-in is refused: access_denied)"},
			&cli.StringFlag{Name: "tls-cert", Usage: "serve https with a new self-signed certificate written to this PEM file (trust it with SSL_CERT_FILE=FILE); sign-in libraries (--auth device-code) need https"},
		},
		Action: func(c *cli.Context) error {
			o := graphsim.Options{
				TenantName: c.String("tenant-name"), Profile: c.String("profile"), Seed: c.Uint64("seed"),
				Latency: c.Duration("latency"), Throttle: c.String("throttle"), FaultRate: c.Float64("fault-rate"),
				Sizes: graphsim.Sizes{Users: c.Int("users"), Groups: c.Int("groups"), MembersPerGroup: c.Int("members-per-group"),
					Apps: c.Int("apps"), CAPolicies: c.Int("ca-policies")},
				EventualConsistency: c.Duration("eventual-consistency"), CARecycleBinAppOnly: c.Bool("ca-recycle-bin-app-only"), OpaqueTokens: c.Bool("opaque-tokens"),
				AuditLag: cmp.Or(c.Duration("audit-lag"), -1), // graphsim's zero is its default lag; the flag's 0 is none
			}
			var err error
			if o.Licence, err = graphsim.ParseLicence(c.String("licence")); err != nil {
				return usageErrorf("--%v", err)
			}
			switch v := c.String("terms-of-use-file-data"); v {
			case "bytes":
			case "null":
				o.TermsOfUseFileDataNull = true
			default:
				return usageErrorf("--terms-of-use-file-data %q: want bytes or null", layout.Safe(v))
			}
			if c.String("from-repo") != "" && (c.String("load") != "" || c.IsSet("profile")) {
				return usageErrorf("--from-repo loads a snapshot; it does not go with --load or --profile")
			}
			if err := o.Check(); err != nil {
				return usageErrorf("--%v", err)
			}
			return runGraphsim(c, e, o)
		},
	}
}

// runGraphsim serves the tenant o describes, or the one --load or
// --from-repo gives, until the context ends, then saves it for --save.
func runGraphsim(c *cli.Context, e *env, o graphsim.Options) error {
	ctx, fromRepo, atRev, saveFile := c.Context, c.String("from-repo"), c.String("at"), c.String("save")
	if load := c.String("load"); load != "" {
		f, err := os.Open(load)
		if err != nil {
			return fmt.Errorf("--load: %w", err)
		}
		defer f.Close()
		o.State = f
	}
	var sim *graphsim.Server
	var err error
	if fromRepo != "" {
		r, err := openRepo(fromRepo)
		if err != nil {
			return err
		}
		var n int
		sim, n, err = rehearse.Load(ctx, r, atRev, o, func(s string) { fmt.Fprintf(e.stderr, "graphsim: %s\n", s) })
		r.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "graphsim: loaded %d objects from %s at %s (tenant %s)\n", n, fromRepo, atRev, sim.TenantID())
		fmt.Fprintf(e.stderr, "graphsim: rehearse with `entrasnap restore --rehearsal --repo %s ...` (or `restore --rehearsal --out plan.json` and `apply --rehearsal plan.json`) and this URL and token; every answer carries %s: %s, and restore and apply refuse this tenant without --rehearsal (they would record its new ids in the repository as the real tenant's)\n",
			layout.ShellWord(fromRepo), graphsim.RehearsalHeader, sim.RehearsalInstance())
	} else if sim, err = graphsim.New(o); err != nil {
		return err
	}
	if u := c.String("approve-as"); u != "" {
		if err := sim.ApproveDeviceCodesAs(u); err != nil {
			return usageErrorf("--approve-as: %v", err)
		}
	}
	ln, err := sim.ListenTLS(c.String("listen"), c.String("tls-cert")) // http without --tls-cert
	if err != nil {
		return usageErrorf("--listen %s: %v", c.String("listen"), err)
	}
	if err := ln.ServeUntil(ctx, sim, e.stdout); err != nil {
		return err
	}
	if saveFile != "" {
		if err := sim.Tenant().SaveFile(saveFile); err != nil {
			return fmt.Errorf("--save %s: %w", saveFile, err)
		}
		fmt.Fprintf(e.stderr, "graphsim: tenant saved to %s\n", saveFile)
	}
	return nil
}

func benchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "bench",
		Usage:       "measure a large-tenant export, daily run, git write, diff/log/check and restore against their targets",
		Description: helpText("bench"),
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "users", Usage: "users in the tenant (0: the large profile's 100,000)"},
			&cli.IntFlag{Name: "groups", Usage: "groups (0: 20,000)"},
			&cli.IntFlag{Name: "apps", Usage: "app registrations (0: 2,000)"},
			&cli.IntFlag{Name: "changes", Value: 100, Usage: "scripted changes before the daily run"},
			&cli.IntFlag{Name: "restore", Value: 1000, Usage: "users deleted and restored (at most a third of the users)"},
			&cli.IntFlag{Name: "days", Value: 365, Usage: "daily snapshots the log of one object walks"},
			&cli.StringFlag{Name: "clock", Value: "virtual", Usage: "virtual: throttled runs wait on graphsim's clock (simulated time); real: they sleep"},
			&cli.StringFlag{Name: "runs", Value: "abcdef", Usage: "the runs to measure, by letter (c and d run a too; e runs a and c)"},
			&cli.BoolFlag{Name: "in-process", Usage: "run the full export in this process (peak RSS is then not measured)"},
			&cli.BoolFlag{Name: "json", Usage: "the table as one JSON object"},
			&cli.StringFlag{Name: "keep", Usage: "work in this new or empty folder and leave its repositories there (to profile a command on them)"},
			&cli.BoolFlag{Name: "child", Hidden: true, Usage: "run one export as asked on stdin (the bench's own child process)"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("child") {
				return bench.Child(c.Context, e.stdin, e.stdout, e.stderr)
			}
			if cl := c.String("clock"); cl != "virtual" && cl != "real" {
				return usageErrorf("--clock %q: use virtual or real", cl)
			}
			if _, err := bench.ParseRuns(c.String("runs")); err != nil {
				return usageErrorf("--runs: %v", err)
			}
			o := bench.Options{Users: c.Int("users"), Groups: c.Int("groups"), Apps: c.Int("apps"),
				Changes: c.Int("changes"), RestoreObjects: c.Int("restore"), Days: c.Int("days"), Clock: c.String("clock"), Runs: c.String("runs"), Keep: c.String("keep"),
				UserAgent: "entrasnap-bench/" + version, Log: e.stderr, CLI: bench.InProcessCLI(func(args []string, stderr io.Writer) int {
					return run(args, strings.NewReader(""), io.Discard, stderr)
				})}
			if !c.Bool("in-process") {
				self, err := os.Executable()
				if err != nil {
					return fmt.Errorf("bench: finding this program to run the exports and commands in child processes (or use --in-process): %w", err)
				}
				o.Exec = bench.ReExec(self, []string{"bench", "--child"}, nil, e.stderr)
				o.CLI = bench.ExecCLI(self)
			}
			t, err := bench.Run(c.Context, o)
			if err != nil {
				return err
			}
			return t.Render(e.stdout, e.outputOf(c).format)
		},
	}
}
