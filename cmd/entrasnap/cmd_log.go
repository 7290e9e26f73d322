package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

func logCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "one object's history across snapshots, following renames",
		ArgsUsage: "OBJECT",
		Description: `OBJECT is ` + objectHelp + `

It is looked up in the snapshot given by --at (default: the latest). The object is followed by its id, so a rename (a new file
name) stays one history. Each snapshot where it changed is listed with a
summary of the change; only the object's folder is compared, so a year of
daily snapshots reads quickly.

EXAMPLES:
   entrasnap log --repo ./tenant-backup "conditional-access-policies/Require MFA"
   entrasnap log --repo ./tenant-backup 3f2a0b1c-... --json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.StringFlag{Name: "at", Value: "HEAD", Usage: "start from this revision"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		},
		Action: func(c *cli.Context) error {
			args, err := e.interspersed(c)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usageErrorf("log takes one OBJECT (an id or appId, a path, or kind/displayName); put an id that begins with \"-\" after --")
			}
			return runLog(c.Context, e, c.String("repo"), c.String("at"), args[0], c.Bool("json"))
		},
	}
}

type logEntry struct {
	Commit  string   `json:"commit"`
	Time    string   `json:"time"`
	Tags    []string `json:"tags,omitempty"`
	Action  string   `json:"action"`
	Path    string   `json:"path"`
	Summary []string `json:"summary,omitempty"`
}

func runLog(ctx context.Context, e *env, repoPath, at, object string, asJSON bool) error {
	r, h, ix, p, err := locateObject(ctx, repoPath, at, object)
	if err != nil {
		return err
	}
	k, key, _ := layout.Locate(p)
	// The folder that holds the object whatever its name: the shard folder
	// for sharded kinds, the kind's folder otherwise.
	dir := p[:strings.LastIndexByte(p, '/')]
	if k.Singleton {
		dir = p
	}
	var entries []logEntry
	var skipped []skippedFile
	defer func() { warnSkipped(e.stderr, skipped) }()
	err = r.History(ctx, h.String(), []string{dir}, func(ci snapshot.CommitInfo, changes []snapshot.Change) error {
		var mine []snapshot.Change
		for _, c := range changes {
			if kk, kkey, err := layout.Locate(c.Path); err == nil && kk == k && (k.Singleton || strings.EqualFold(kkey, key)) {
				mine = append(mine, c)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		parent := ""
		if !ci.Parent.IsZero() {
			parent = ci.Parent.String()
		}
		before, after := map[string][]byte{}, map[string][]byte{}
		entry := logEntry{Commit: ci.Hash.String(), Time: ci.Time.UTC().Format("2006-01-02 15:04:05"), Tags: ci.Tags}
		for _, c := range mine {
			if c.Action != snapshot.Added && parent != "" {
				if data, err := r.ReadFile(ctx, parent, c.Path); err == nil {
					before[c.Path] = data
				}
			}
			if c.Action != snapshot.Deleted {
				if data, err := r.ReadFile(ctx, ci.Hash.String(), c.Path); err == nil {
					after[c.Path] = data
				}
				entry.Path = c.Path
			} else if entry.Path == "" {
				entry.Path = c.Path
			}
		}
		a, skipA := diff.LoadFiles(before)
		b, skipB := diff.LoadFiles(after)
		a.Drop(skipB)
		b.Drop(skipA)
		for _, s := range skipA {
			skipped = append(skipped, skippedFile{Rev: shortRev(parent), Skipped: s})
		}
		for _, s := range skipB {
			skipped = append(skipped, skippedFile{Rev: shortRev(ci.Hash.String()), Skipped: s})
			entry.Summary = append(entry.Summary, "(the file could not be read here: not compared)")
		}
		res := diff.Compare(a, b, ix)
		for _, ch := range res.Changes {
			entry.Action = string(ch.Action)
			if ch.OldPath != "" && ch.Path != "" {
				entry.Summary = append(entry.Summary, fmt.Sprintf("renamed: %s → %s", layout.Safe(ch.OldPath), layout.Safe(ch.Path)))
			}
			for _, pc := range ch.Props {
				entry.Summary = append(entry.Summary, res.PropLines(pc)...)
			}
		}
		if entry.Action == "" {
			entry.Action = string(diff.Changed)
		}
		entries = append(entries, entry)
		return nil
	})
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	fmt.Fprintf(e.stdout, "History of %s (%s)\n", layout.Safe(p), layout.Safe(key))
	for _, en := range entries {
		tags := ""
		if len(en.Tags) > 0 {
			tags = " " + layout.Safe(strings.Join(en.Tags, ", "))
		}
		fmt.Fprintf(e.stdout, "\n%s %s%s  %s\n", en.Commit[:12], en.Time, tags, en.Action)
		for _, s := range en.Summary {
			fmt.Fprintf(e.stdout, "    %s\n", s)
		}
	}
	if len(entries) == 0 {
		fmt.Fprintln(e.stdout, "no changes found")
	}
	return nil
}
