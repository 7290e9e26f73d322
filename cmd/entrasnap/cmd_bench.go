package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

func benchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure what an export costs on graphsim tenants: Graph requests, resource units, time",
		Description: `bench builds graphsim tenants in-process, exports each twice into a temporary
repository (a first snapshot, then a run with no change), and prints one row
per run: objects, files, Graph requests, throttling resource units, retries,
429s and seconds. These are the figures entrasnap reports per export and
drives down; use them to compare changes. For the fine-grained Go benchmarks:
go test -run XXX -bench . ./exporter ./snapshot ./cmd/entrasnap

EXAMPLES:
   entrasnap bench
   entrasnap bench --profiles demo,large --users 20000 --groups 2000
   entrasnap bench --throttle realistic --fault-rate 0.05 --json`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "profiles", Value: cli.NewStringSlice("demo"), Usage: "graphsim profiles to export: empty, demo, large"},
			&cli.IntFlag{Name: "users", Usage: "users in the large profile (0: its default, 100,000)"},
			&cli.IntFlag{Name: "groups", Usage: "groups in the large profile (0: its default, 20,000)"},
			&cli.IntFlag{Name: "apps", Usage: "app registrations in the large profile (0: its default, 2,000)"},
			&cli.StringFlag{Name: "throttle", Value: "off", Usage: "off or realistic"},
			&cli.Float64Flag{Name: "fault-rate", Usage: "share of requests answered 500/503/504 or dropped"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per run"},
		},
		Action: func(c *cli.Context) error {
			sizes := graphsim.Sizes{Users: c.Int("users"), Groups: c.Int("groups"), Apps: c.Int("apps")}
			return runBench(c.Context, e, c.StringSlice("profiles"), sizes, c.String("throttle"), c.Float64("fault-rate"), c.Bool("json"))
		},
	}
}

type benchRow struct {
	Profile       string  `json:"profile"`
	Run           string  `json:"run"`
	Objects       int     `json:"objects"`
	Files         int     `json:"files"`
	Requests      int64   `json:"requests"`
	ResourceUnits int64   `json:"resourceUnits"`
	Retries       int64   `json:"retries"`
	Throttled     int64   `json:"throttled"`
	Seconds       float64 `json:"seconds"`
	Committed     bool    `json:"committed"`
}

func runBench(ctx context.Context, e *env, profiles []string, sizes graphsim.Sizes, throttle string, faultRate float64, asJSON bool) error {
	var rows []benchRow
	for _, profile := range profiles {
		for _, p := range strings.Split(profile, ",") {
			r, err := benchProfile(ctx, e, strings.TrimSpace(p), sizes, throttle, faultRate)
			if err != nil {
				return fmt.Errorf("bench %s: %w", p, err)
			}
			rows = append(rows, r...)
		}
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PROFILE\tRUN\tOBJECTS\tREQUESTS\tRESOURCE UNITS\tRETRIES\t429s\tSECONDS\tCOMMITTED\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%v\t\n", r.Profile, r.Run, r.Objects, r.Requests, r.ResourceUnits, r.Retries, r.Throttled, r.Seconds, r.Committed)
	}
	return tw.Flush()
}

func benchProfile(ctx context.Context, e *env, profile string, sizes graphsim.Sizes, throttle string, faultRate float64) ([]benchRow, error) {
	opts := graphsim.Options{Profile: profile, Seed: 1, Throttle: throttle, FaultRate: faultRate}
	if profile == "large" {
		opts.Sizes = sizes
	}
	start := time.Now()
	sim, err := graphsim.New(opts)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "bench: %s tenant built in %.1fs (%d users, %d groups, %d apps)\n", profile, time.Since(start).Seconds(),
		sim.Tenant().Count("user"), sim.Tenant().Count("group"), sim.Tenant().Count("application"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "entrasnap-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	repo, err := snapshot.Init(dir, true)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	var rows []benchRow
	for _, run := range []string{"first", "no change"} {
		client, err := connection{graphURL: "http://" + ln.Addr().String(), accessToken: sim.Token(), cloud: "global"}.client("entrasnap-bench/" + version)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		res, err := exporter.Run(ctx, exporter.Options{Client: client, Repo: repo, Message: "bench " + run,
			Author: snapshot.Signature{Name: "entrasnap bench", Email: "bench@entrasnap.invalid"}})
		if err != nil {
			return nil, err
		}
		objects := 0
		for _, k := range res.Kinds {
			objects += k.Objects
		}
		rows = append(rows, benchRow{Profile: profile, Run: run, Objects: objects, Files: res.Files, Requests: res.Requests,
			ResourceUnits: res.ResourceUnits, Retries: res.Retries, Throttled: res.Throttled,
			Seconds: time.Since(t0).Seconds(), Committed: res.Changed})
	}
	return rows, nil
}
