package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/entrasnap/entrasnap/internal/bench"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

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
			&cli.BoolFlag{Name: "in-process", Usage: "run the full export in this process (peak RSS is then not measured)"},
			&cli.BoolFlag{Name: "json", Usage: "the table as one JSON object"},
			&cli.BoolFlag{Name: "child", Hidden: true, Usage: "run one export as asked on stdin (the bench's own child process)"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("child") {
				return bench.Child(c.Context, e.stdin, e.stdout)
			}
			if cl := c.String("clock"); cl != "virtual" && cl != "real" {
				return usageErrorf("--clock %q: use virtual or real", cl)
			}
			o := bench.Options{Users: c.Int("users"), Groups: c.Int("groups"), Apps: c.Int("apps"),
				Changes: c.Int("changes"), RestoreObjects: c.Int("restore"), Days: c.Int("days"), Clock: c.String("clock"),
				UserAgent: "entrasnap-bench/" + version, Log: e.stderr, CLI: benchCLI}
			if !c.Bool("in-process") {
				self, err := os.Executable()
				if err != nil {
					return fmt.Errorf("bench: finding this program to run the exports and commands in child processes (or use --in-process): %w", err)
				}
				o.Exec = bench.ReExec(self, []string{"bench", "--child"}, nil)
				o.CLI = bench.ExecCLI(self)
			}
			t, err := bench.Run(c.Context, o)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(t)
			}
			return renderBench(e.stdout, t)
		},
	}
}

// benchCLI runs an entrasnap command in this process for the bench
// (--in-process), discarding its output.
func benchCLI(_ context.Context, env map[string]string, args ...string) error {
	for k, v := range env {
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		defer func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		}()
	}
	var errb bytes.Buffer
	if code := run(append([]string{"entrasnap"}, args...), strings.NewReader(""), io.Discard, &errb); code != exitOK {
		return fmt.Errorf("entrasnap %s: exit %d: %s", args[0], code, strings.TrimSpace(errb.String()))
	}
	return nil
}

func renderBench(w io.Writer, t *bench.Table) error {
	m := t.Machine
	fmt.Fprintf(w, "Tenant: %d users, %d groups, %d apps (%d objects). Machine: %d CPUs, %s, %s, %s, Go %s.\n",
		t.Users, t.Groups, t.Apps, t.Objects, m.CPUs, layout.Safe(m.CPU), m.Memory, m.OS, m.Go)
	fmt.Fprintf(w, "Floor: %d resource units in %d requests. Clock: %s. Peak RSS: %s. Processes: %s.\n\n",
		t.Floor.Units, t.Floor.Requests, t.Clock, t.RSS, t.Processes)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tRUN\tMEASURE\tRESULT\tTARGET\tMET")
	for _, r := range t.Rows {
		result := "-"
		if r.Error == "" {
			result = fmt.Sprintf("%.2f %s", r.Value, r.Unit)
		}
		met := "yes"
		if !r.Met {
			met = "no: " + r.Distance()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t≤ %g %s\t%s\n", r.ID, r.Run, r.Measure, result, r.Target, r.Unit, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range t.Rows {
		line := r.Detail
		if r.Error != "" {
			line = "failed: " + r.Error + "; " + line
		}
		fmt.Fprintf(w, "%s: %s\n", r.ID, layout.Safe(line))
	}
	return nil
}
