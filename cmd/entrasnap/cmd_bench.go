package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/entrasnap/entrasnap/internal/bench"
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
				UserAgent: "entrasnap-bench/" + version, Log: e.stderr, CLI: bench.InProcessCLI(func(args []string, stderr io.Writer) int {
					return run(args, strings.NewReader(""), io.Discard, stderr)
				})}
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
				return writeJSON(e.stdout, t)
			}
			return t.WriteText(e.stdout)
		},
	}
}
