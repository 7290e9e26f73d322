package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/urfave/cli/v2"
)

type exportOptions struct {
	repo        string
	message     string
	kinds       []string
	branch      string
	allowShrink bool
	json        bool
	push        string // remote to push the branch and tag to
	prBody      string // file for the markdown pull-request body
	// requireComplete fails an incomplete read instead of committing it.
	requireComplete   bool
	full              bool          // --full: no delta resume
	fullEvery         time.Duration // --full-every; 0: the state's or the default
	author, committer snapshot.Signature
	conn              connection
}

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "read the tenant and commit every object as YAML to a git repository, as a tagged snapshot",
		UsageText: "entrasnap export --repo DIR [--message TEXT] [--kinds K,...] [--branch B] [--push REMOTE] [--pr-body FILE] [--allow-shrink] [--full] [--full-every 7d] [--json] [connection flags]",
		Description: `export reads every object kind (see ` + "`entrasnap kinds`" + `) from Microsoft Graph and
writes one normalized YAML file per object into the git repository DIR
(created if missing; bare or with a working tree), then commits the tree as
one snapshot with an annotated tag snapshot/<UTC time>. The same tenant state
always gives the same files: when nothing changed, no commit is made and the
current commit is tagged, so a daily run stays visible.

A kind that cannot be read completely (a missing permission, errors that
outlast the retries) is never recorded as deleted: its files are carried
forward from the previous snapshot, the snapshot says which kinds and why,
and the exit code is 3. A kind the tenant is not licensed for (PIM without
Microsoft Entra ID P2: Graph answers AadPremiumLicenseRequired) is marked
"not licensed" instead: its earlier files are kept and the exit code stays 0.
A kind that lost more than 20% of its objects, or
all of them, stops the export with nothing committed unless --allow-shrink
is given.

Incremental runs: users, groups, applications, service principals and
administrative units are read through Graph's delta queries.
The deltaLinks are kept in .entrasnap/state.yaml, committed with the
snapshot (so a run in a fresh CI clone resumes; the file holds only Graph's
opaque tokens). The next run asks Graph for the changes since and applies
them to the previous snapshot's files, instead of reading them again; the
files are the same as a full read's. Graph's delta does not track app and
service principal owners, app role assignments, grants or unit members:
those are read in full every run. A kind is read in full when
--full is given, when its last full read is --full-every old (default 7d),
when its state is missing or was incomplete, or when Graph no longer knows
the token (410, said in progress). The other kinds are read in full every
run. Delete the state file to start over.

--branch B commits to branch B; a branch that does not exist yet starts at
HEAD's commit, so its snapshot is reviewed against HEAD's (a pull request from
B into the default branch). If nothing changed, the new branch is not kept.
B must be a valid git branch name (no spaces, "..", ~^:?*[\, leading "-" or
trailing ".lock"); a bad one is refused before anything is read.

--pr-body FILE writes what this snapshot changed (previous snapshot → new, as
` + "`entrasnap diff --format markdown`" + `) to FILE, to use as a pull request
description or CI job summary; FILE is empty when nothing was committed. The
first snapshot (nothing to compare with) gets a summary of what it holds.
Bodies longer than 60,000 characters are cut, with a note.

--push REMOTE pushes, after the commit, the branch (when a commit was made)
and the new snapshot tag to REMOTE: a configured remote (origin) or a URL.
Pushes are fast-forward only. Credentials come from the environment:
GIT_TOKEN (or GITHUB_TOKEN) over HTTPS, sent as user GIT_USERNAME (default
x-access-token); for SSH, the key file GIT_SSH_KEY_FILE (passphrase in
GIT_SSH_KEY_PASSPHRASE) or the agent at SSH_AUTH_SOCK. Tokens are never
printed: a remote URL with credentials (https://user:TOKEN@host/...) is
shown as https://***@host/..., and token-like query parameters as xxxxx.

With a working tree, the index always ends at the committed snapshot. Files
are replaced only when their content is committed; your local edits are kept
and listed (git status shows them as your changes, never as staged
reversals). A run interrupted at any point (Ctrl-C exits 130, SIGTERM 143, or
a crash) is continued by the next one: a lock whose process is gone from
this host is taken over (said on stderr), stale git lock files and temporary
packs are removed, and the index and working tree are brought to the
commit; ` + "`entrasnap check --repair`" + ` does the same on request.

Large tenants: entrasnap paces its requests to Graph's throttling budget
(resource units per 10 s for the app and tenant, learned from Graph's
answers; 3,000 writes per 2 min 30 s; Conditional Access one request per
second) instead of letting Graph refuse them, and waits out a 429 for as
long as --timeout (default 6h) allows, never giving up earlier. Waits show
on stderr as "throttled by Graph, resuming in 8 s" (--json: "throttled" and
"retry" events).

Progress goes to stderr, one line per kind; with --json, JSON lines
(kind_started, kind_done, summary) go to stdout instead. The commit author
and committer come from GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL and
GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL (default: entrasnap).

EXIT CODES:
   0   snapshot complete (committed, or unchanged and tagged)
   1   error: nothing was committed (or the message says what was)
   3   snapshot committed, but some kinds are incomplete and were carried forward
   64  bad flags or arguments (an invalid --branch)
   130 interrupted by Ctrl-C (143: SIGTERM); nothing was committed unless it says so

EXAMPLES:
   # try it against graphsim, the emulated tenant: in one terminal
   entrasnap graphsim --profile demo
   # in another, with the url and token graphsim printed
   entrasnap export --repo ./backup --graph-url URL --access-token TOKEN

   # a real tenant, credentials from the environment (secret, certificate,
   # workload identity federation, managed identity or az login)
   entrasnap export --repo ./tenant-backup --tenant-id contoso.onmicrosoft.com --client-id APP_ID

   entrasnap export --repo ./tenant-backup --message "Before the CA change of 2026-03-23"
   entrasnap export --repo ./tenant-backup --kinds conditional-access,groups --json

   # in CI: commit to a review branch, push it, and describe it for a pull request
   entrasnap export --repo . --branch entrasnap/snapshot-2026-03-23 --pr-body pr.md --push origin
   test -s pr.md && gh pr create --head entrasnap/snapshot-2026-03-23 --title "Tenant changes" --body-file pr.md`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "git repository to write the snapshot to (created if missing)"},
			&cli.StringFlag{Name: "message", Usage: "describe the snapshot; its first line goes into the commit title"},
			&cli.StringSliceFlag{Name: "kinds", Usage: "kinds to read, by name or folder prefix (default: all); the others are carried forward unchanged"},
			&cli.StringFlag{Name: "branch", Usage: "branch to commit to (default: the branch HEAD names, or main); a new branch starts at HEAD"},
			&cli.StringFlag{Name: "push", Usage: "after the commit, push the branch and the snapshot tag to this remote (name or URL); credentials from the environment"},
			&cli.StringFlag{Name: "pr-body", Usage: "write the changes (previous → new snapshot) as markdown to this file; empty when nothing changed"},
			&cli.BoolFlag{Name: "allow-shrink", Usage: "commit even when a kind lost more than 20% of its objects (or all of them)"},
			&cli.BoolFlag{Name: "require-complete", Usage: "fail, committing nothing, when any kind cannot be read completely (default: carry it forward and exit 3)"},
			&cli.StringFlag{Name: "author", Usage: "commit author as \"Name <email>\" (default: GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, or entrasnap)"},
			&cli.StringFlag{Name: "committer", Usage: "committer as \"Name <email>\" (default: GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL, or the author)"},
			&cli.BoolFlag{Name: "full", Usage: "read every kind in full instead of resuming from the delta state in .entrasnap/state.yaml"},
			&cli.StringFlag{Name: "full-every", Usage: "read the delta kinds in full when the last full read is this old: 7d, 36h (default 7d; recorded in the state)"},
			&cli.BoolFlag{Name: "json", Usage: "progress and summary as JSON lines on stdout"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("export takes no arguments (got %q); give the repository with --repo", c.Args().First())
			}
			o := exportOptions{
				repo: c.String("repo"), message: c.String("message"), kinds: c.StringSlice("kinds"),
				branch: c.String("branch"), allowShrink: c.Bool("allow-shrink"), json: c.Bool("json"),
				push: c.String("push"), prBody: c.String("pr-body"), requireComplete: c.Bool("require-complete"),
				conn: connectionFrom(c), full: c.Bool("full"),
			}
			var err error
			if v := c.String("full-every"); v != "" {
				if o.fullEvery, err = exporter.ParseEvery(v); err != nil {
					return usageErrorf("--full-every %v", err)
				}
			}
			if o.author, err = parseSignature("--author", c.String("author"), "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"); err != nil {
				return err
			}
			if o.committer, err = parseSignature("--committer", c.String("committer"), "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"); err != nil {
				return err
			}
			if strings.TrimSpace(o.repo) == "" {
				return usageErrorf("--repo is required: the folder of the git repository to write (created if missing)")
			}
			if c.IsSet("branch") {
				// Checked before anything is read from Graph.
				if err := snapshot.ValidBranchName(o.branch); err != nil {
					return usageErrorf("--branch: %v; git branch names may not hold spaces, \"..\", ~^:?*[\\, start with - or end with .lock", err)
				}
			}
			return runExport(c.Context, e, o)
		},
	}
}

func runExport(ctx context.Context, e *env, o exportOptions) error {
	if o.prBody != "" {
		// Emptied first: a failed run never leaves an earlier run's body behind.
		if err := os.WriteFile(o.prBody, nil, 0o644); err != nil {
			return fmt.Errorf("--pr-body: %w", err)
		}
	}
	kinds, err := layout.Select(o.kinds)
	if err != nil {
		return usageErrorf("--kinds: %v", err)
	}
	var progress interface {
		exporter.Progress
		Retry(graph.Event)
	}
	term := &exporter.TermProgress{W: e.stderr, Out: e.stdout}
	progress = term
	if o.json {
		progress = &exporter.JSONProgress{W: e.stdout}
	}
	o.conn.onEvent = progress.Retry
	client, err := e.client(o.conn, "entrasnap/"+version)
	if err != nil {
		return err
	}
	repo, err := snapshot.OpenOrInit(o.repo)
	if err != nil {
		return fmt.Errorf("--repo %s: %w", o.repo, err)
	}
	defer repo.Close()
	term.Repo = repo.Path()
	// A stale lock taken over, leftovers of an interrupted run removed.
	repo.SetNotify(func(msg string) { fmt.Fprintf(e.stderr, "entrasnap: %s\n", msg) })
	var started plumbing.Hash // the commit a branch created here starts at
	if o.branch != "" {
		if head, err := repo.Resolve(ctx, "HEAD"); err == nil {
			created, err := repo.StartBranch(ctx, o.branch, head.String())
			if err != nil {
				return fmt.Errorf("--branch %s: %w", o.branch, err)
			}
			if created {
				started = head
			}
		}
	}

	res, err := exporter.Run(ctx, exporter.Options{
		Client: client, Repo: repo, Kinds: kinds, Branch: o.branch, Message: o.message,
		AllowShrink: o.allowShrink, RequireComplete: o.requireComplete, Progress: progress,
		Author: o.author, Committer: o.committer, Full: o.full, FullEvery: o.fullEvery, Now: e.now,
	})
	if !started.IsZero() && (res == nil || !res.Changed) {
		// Nothing was committed on the branch made for it: do not keep it.
		if derr := repo.DeleteBranch(o.branch, started); derr != nil && err == nil {
			fmt.Fprintf(e.stderr, "entrasnap: the branch %s was created but not used, and could not be removed: %v\n", o.branch, derr)
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("export interrupted; nothing was committed")
		}
		return err
	}
	if o.prBody != "" && res.Changed {
		if err := writePRBody(ctx, repo, res, o.prBody); err != nil {
			return fmt.Errorf("snapshot %s committed, but --pr-body %s: %w", history.ShortRev(res.Commit), o.prBody, err)
		}
	}
	if o.push != "" {
		refs, shown, err := res.Push(ctx, repo, o.push)
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			fmt.Fprintf(e.stderr, "Pushed %s to %s.\n", strings.Join(refs, " and "), shown)
		}
	}
	if inc := res.Incomplete(); len(inc) > 0 {
		names := make([]string, len(inc))
		for i, k := range inc {
			names[i] = k.Kind
		}
		return &codedError{code: exitPartial, err: fmt.Errorf(
			"snapshot %s is incomplete: %s could not be read and were carried forward unchanged (see above); fix the cause and export again",
			history.ShortRev(res.Commit), strings.Join(names, ", "))}
	}
	return nil
}

// prBodyMax bounds --pr-body (GitHub refuses pull request bodies over 65,536
// characters).
const prBodyMax = 60000

// writePRBody writes the markdown of what the snapshot res.Commit changed
// against its parent to file; for the first snapshot, a summary of it.
func writePRBody(ctx context.Context, repo *snapshot.Repo, res *exporter.Result, file string) error {
	name := res.Tag
	if name == "" {
		name = history.ShortRev(res.Commit)
	}
	var b strings.Builder
	if ok, err := history.ChangesMarkdown(ctx, &b, repo, res.Commit, name); err != nil {
		return err
	} else if !ok {
		res.FirstMarkdown(&b, name)
	}
	res.NotesMarkdown(&b)
	return os.WriteFile(file, []byte(history.CapMarkdown(b.String(), prBodyMax)), 0o644)
}

// parseSignature reads "Name <email>" from a flag, or the git variables.
func parseSignature(flag, value, nameVar, emailVar string) (snapshot.Signature, error) {
	if value == "" {
		return signatureFromEnv(nameVar, emailVar), nil
	}
	open, closing := strings.LastIndexByte(value, '<'), strings.LastIndexByte(value, '>')
	if open <= 0 || closing != len(value)-1 || closing < open+2 {
		return snapshot.Signature{}, usageErrorf("%s %q: want \"Name <email>\"", flag, value)
	}
	return snapshot.Signature{Name: strings.TrimSpace(value[:open]), Email: value[open+1 : closing]}, nil
}

func signatureFromEnv(nameVar, emailVar string) snapshot.Signature {
	return snapshot.Signature{Name: os.Getenv(nameVar), Email: os.Getenv(emailVar)}
}
