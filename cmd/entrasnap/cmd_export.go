package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

type exportOptions struct {
	repo        string
	message     string
	kinds       []string
	branch      string
	allowShrink bool
	json        bool
	conn        connection
}

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "read the tenant and commit every object as YAML to a git repository, as a tagged snapshot",
		UsageText: "entrasnap export --repo DIR [--message TEXT] [--kinds K,...] [--branch B] [--allow-shrink] [--json] [connection flags]",
		Description: `export reads every object kind (see ` + "`entrasnap kinds`" + `) from Microsoft Graph and
writes one normalized YAML file per object into the git repository DIR
(created if missing; bare or with a working tree), then commits the tree as
one snapshot with an annotated tag snapshot/<UTC time>. The same tenant state
always gives the same files: when nothing changed, no commit is made and the
current commit is tagged, so a daily run stays visible.

A kind that cannot be read completely (a missing permission, errors that
outlast the retries) is never recorded as deleted: its files are carried
forward from the previous snapshot, the snapshot says which kinds and why,
and the exit code is 3. A kind that lost more than half of its objects (and
more than 10), or all of them, stops the export with nothing committed
unless --allow-shrink is given.

Progress goes to stderr, one line per kind; with --json, JSON lines
(kind_started, kind_done, summary) go to stdout instead. The commit author
and committer come from GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL and
GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL (default: entrasnap).

EXIT CODES:
   0   snapshot complete (committed, or unchanged and tagged)
   1   error: nothing was committed (or the message says what was)
   3   snapshot committed, but some kinds are incomplete and were carried forward

EXAMPLES:
   # try it against graphsim, the emulated tenant: in one terminal
   entrasnap graphsim --profile demo
   # in another, with the url and token graphsim printed
   entrasnap export --repo ./backup --graph-url URL --access-token TOKEN

   # a real tenant, credentials from the environment (secret, certificate,
   # workload identity federation, managed identity or az login)
   entrasnap export --repo ./tenant-backup --tenant-id contoso.onmicrosoft.com --client-id APP_ID

   entrasnap export --repo ./tenant-backup --message "Before the CA change of 2026-03-23"
   entrasnap export --repo ./tenant-backup --kinds conditional-access,groups --json`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "git repository to write the snapshot to (created if missing)"},
			&cli.StringFlag{Name: "message", Usage: "describe the snapshot; its first line goes into the commit title"},
			&cli.StringSliceFlag{Name: "kinds", Usage: "kinds to read, by name or folder prefix (default: all); the others are carried forward unchanged"},
			&cli.StringFlag{Name: "branch", Usage: "branch to commit to (default: the branch HEAD names, or main)"},
			&cli.BoolFlag{Name: "allow-shrink", Usage: "commit even when a kind lost more than half of its objects"},
			&cli.BoolFlag{Name: "json", Usage: "progress and summary as JSON lines on stdout"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("export takes no arguments (got %q); give the repository with --repo", c.Args().First())
			}
			o := exportOptions{
				repo: c.String("repo"), message: c.String("message"), kinds: c.StringSlice("kinds"),
				branch: c.String("branch"), allowShrink: c.Bool("allow-shrink"), json: c.Bool("json"),
				conn: connectionFrom(c),
			}
			if strings.TrimSpace(o.repo) == "" {
				return usageErrorf("--repo is required: the folder of the git repository to write (created if missing)")
			}
			return runExport(c.Context, e, o)
		},
	}
}

func runExport(ctx context.Context, e *env, o exportOptions) error {
	kinds, err := layout.Select(o.kinds)
	if err != nil {
		return usageErrorf("--kinds: %v", err)
	}
	client, err := o.conn.client("entrasnap/" + version)
	if err != nil {
		return err
	}
	repo, err := snapshot.OpenOrInit(o.repo)
	if err != nil {
		return fmt.Errorf("--repo %s: %w", o.repo, err)
	}
	defer repo.Close()

	var progress exporter.Progress
	if o.json {
		progress = &exportJSONProgress{w: e.stdout}
	} else {
		progress = &exportTermProgress{w: e.stderr, out: e.stdout, repo: repo.Path()}
	}
	res, err := exporter.Run(ctx, exporter.Options{
		Client: client, Repo: repo, Kinds: kinds, Branch: o.branch, Message: o.message,
		AllowShrink: o.allowShrink, Progress: progress,
		Author:    signatureFromEnv("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"),
		Committer: signatureFromEnv("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"),
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("export interrupted; nothing was committed")
		}
		return err
	}
	if inc := res.Incomplete(); len(inc) > 0 {
		names := make([]string, len(inc))
		for i, k := range inc {
			names[i] = k.Kind
		}
		return &codedError{code: exitPartial, err: fmt.Errorf(
			"snapshot %s is incomplete: %s could not be read and were carried forward unchanged (see above); fix the cause and export again",
			exportShortHash(res.Commit), strings.Join(names, ", "))}
	}
	return nil
}

func signatureFromEnv(nameVar, emailVar string) snapshot.Signature {
	return snapshot.Signature{Name: os.Getenv(nameVar), Email: os.Getenv(emailVar)}
}

func exportShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// exportTermProgress prints a line per kind on stderr and the summary on stdout.
type exportTermProgress struct {
	mu   sync.Mutex
	w    io.Writer // progress
	out  io.Writer // summary
	repo string
}

func (p *exportTermProgress) KindStarted(string) {}

func (p *exportTermProgress) KindDone(kind string, objects, requests int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		fmt.Fprintf(p.w, "  %-38s INCOMPLETE: %s\n", kind, exportIncompleteText(kind, err))
		return
	}
	fmt.Fprintf(p.w, "  %-38s %6d objects  %4d requests\n", kind, objects, requests)
}

func (p *exportTermProgress) Done(res *exporter.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(res.Warnings); n > 0 {
		const show = 20
		fmt.Fprintf(p.w, "%d warnings:\n", n)
		for i, w := range res.Warnings {
			if i == show {
				fmt.Fprintf(p.w, "  ... and %d more\n", n-show)
				break
			}
			fmt.Fprintf(p.w, "  %s\n", w)
		}
	}
	switch {
	case res.Commit == "":
		fmt.Fprintln(p.out, "Nothing was committed.")
	case res.Changed:
		fmt.Fprintf(p.out, "Snapshot %s committed to %s (branch %s)", exportShortHash(res.Commit), p.repo, res.Branch)
		if res.Tag != "" {
			fmt.Fprintf(p.out, ", tagged %s", res.Tag)
		}
		fmt.Fprintln(p.out, ".")
	default:
		fmt.Fprintf(p.out, "No change since snapshot %s in %s", exportShortHash(res.Commit), p.repo)
		if res.Tag != "" {
			fmt.Fprintf(p.out, "; tagged it %s", res.Tag)
		}
		fmt.Fprintln(p.out, ".")
	}
	fmt.Fprint(p.out, exporter.Summary(res, nil))
	fmt.Fprintln(p.out, exporter.TrafficLine(res))
	if res.WorktreeSkipped != "" {
		fmt.Fprintf(p.w, "The working tree was not updated: %s\n", res.WorktreeSkipped)
	}
}

// exportIncompleteText says in one line why a kind is incomplete and what to do.
func exportIncompleteText(kind string, err error) string {
	var ke *exporter.KindError
	if errors.As(err, &ke) && ke.Status == 403 && len(ke.Permissions) > 0 {
		return fmt.Sprintf("%s; grant the application permission %s to the app entrasnap signs in as",
			ke.Reason(), strings.Join(ke.Permissions, " and "))
	}
	return strings.TrimPrefix(err.Error(), kind+": ")
}

// exportJSONProgress writes JSON lines on stdout.
type exportJSONProgress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *exportJSONProgress) emit(v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, _ := json.Marshal(v)
	fmt.Fprintln(p.w, string(b))
}

func (p *exportJSONProgress) KindStarted(kind string) {
	p.emit(map[string]any{"event": "kind_started", "kind": kind})
}

func (p *exportJSONProgress) KindDone(kind string, objects, requests int, err error) {
	ev := map[string]any{"event": "kind_done", "kind": kind, "objects": objects, "requests": requests, "complete": err == nil}
	if err != nil {
		ev["error"] = err.Error()
		var ke *exporter.KindError
		if errors.As(err, &ke) && len(ke.Permissions) > 0 {
			ev["permissions"] = ke.Permissions
		}
	}
	p.emit(ev)
}

func (p *exportJSONProgress) Done(res *exporter.Result) {
	p.emit(struct {
		Event string `json:"event"`
		*exporter.Result
		Complete bool `json:"complete"`
	}{"summary", res, res.Complete()})
}
