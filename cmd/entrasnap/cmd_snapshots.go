package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

func snapshotsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "snapshots",
		Usage: "list the snapshots in a repository, newest first",
		Description: `Each export tags its commit snapshot/<UTC time>. This lists the tags with
their commit, time, description, object count and completeness (kinds that
could not be read are carried forward from the previous snapshot and listed).

EXAMPLES:
   entrasnap snapshots --repo ./tenant-backup
   entrasnap snapshots --repo ./tenant-backup --json | jq '.[0].tag'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
			&cli.IntFlag{Name: "limit", Value: 0, Usage: "show at most this many (0: all)"},
		},
		Action: func(c *cli.Context) error {
			return runSnapshots(c.Context, e, c.String("repo"), c.Bool("json"), c.Int("limit"))
		},
	}
}

type snapshotInfo struct {
	Tag         string    `json:"tag"`
	Commit      string    `json:"commit"`
	Time        time.Time `json:"time"`
	Description string    `json:"description"`
	Objects     int       `json:"objects"`
	Complete    bool      `json:"complete"`
	Incomplete  []string  `json:"incompleteKinds,omitempty"`
	// NotLicensed are the kinds the tenant was not licensed for (their
	// files are carried; the snapshot is complete without them).
	NotLicensed []string `json:"notLicensedKinds,omitempty"`
}

func runSnapshots(ctx context.Context, e *env, repoPath string, asJSON bool, limit int) error {
	r, err := openRepo(repoPath)
	if err != nil {
		return err
	}
	tags, err := r.Tags(ctx, "snapshot/")
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return fmt.Errorf("%s has no snapshots (no snapshot/* tags); run `entrasnap export --repo %s`", repoPath, repoPath)
	}
	var out []snapshotInfo
	for i, tg := range tags {
		if limit > 0 && i >= limit {
			break
		}
		si := snapshotInfo{Tag: tg.Name, Commit: tg.Commit.String(), Time: tg.Time.UTC(), Description: firstLine(tg.Message), Complete: true}
		if data, err := r.ReadFile(ctx, tg.Commit.String(), layout.ManifestPath); err == nil {
			if m, err := layout.DecodeManifest(data); err == nil {
				for name, k := range m.Kinds {
					si.Objects += k.Objects
					switch {
					case k.NotLicensed != "":
						si.NotLicensed = append(si.NotLicensed, name)
					case !k.Complete:
						si.Complete = false
						si.Incomplete = append(si.Incomplete, name)
					}
				}
				sort.Strings(si.Incomplete)
				sort.Strings(si.NotLicensed)
			}
		}
		out = append(out, si)
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tCOMMIT\tTIME (UTC)\tOBJECTS\tCOMPLETE\tDESCRIPTION")
	for _, si := range out {
		complete := "yes"
		if !si.Complete {
			complete = "no: " + strings.Join(si.Incomplete, ",")
		}
		if len(si.NotLicensed) > 0 {
			complete += " (not licensed: " + strings.Join(si.NotLicensed, ",") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", layout.Safe(si.Tag), si.Commit[:12], si.Time.Format("2006-01-02 15:04:05"), si.Objects, layout.Safe(complete), layout.Safe(si.Description))
	}
	return tw.Flush()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
