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
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
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
	author, committer snapshot.Signature
	conn              connection
}

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "read the tenant and commit every object as YAML to a git repository, as a tagged snapshot",
		UsageText: "entrasnap export --repo DIR [--message TEXT] [--kinds K,...] [--branch B] [--push REMOTE] [--pr-body FILE] [--allow-shrink] [--json] [connection flags]",
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
				conn: connectionFrom(c),
			}
			var err error
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
	var jsonProgress *exportJSONProgress
	if o.json {
		jp := &exportJSONProgress{w: e.stdout}
		jsonProgress = jp
		o.conn.onEvent = func(ev graph.Event) {
			switch {
			case ev.Paced > 0:
				jp.emit(map[string]any{"event": "throttled", "budget": ev.Budget, "waitSeconds": ev.Paced.Seconds()})
			case ev.RetryIn > 0:
				jp.emit(map[string]any{"event": "retry", "method": ev.Method, "endpoint": ev.Endpoint, "status": ev.Status,
					"attempt": ev.Attempt + 1, "waitSeconds": ev.RetryIn.Seconds()})
			}
		}
	} else {
		o.conn.onEvent = func(ev graph.Event) {
			switch {
			case ev.Paced > 0:
				fmt.Fprintf(e.stderr, "  throttled by Graph, resuming in %s (pacing to Graph's budget of %s)\n", waitText(ev.Paced), ev.Budget)
			case ev.RetryIn > 0 && ev.Status == 429:
				fmt.Fprintf(e.stderr, "  throttled by Graph, resuming in %s (%s %s answered 429)\n", waitText(ev.RetryIn), ev.Method, ev.Endpoint)
			case ev.RetryIn > 0:
				fmt.Fprintf(e.stderr, "  waiting %.1fs before retry %d of %s %s (%s)\n", ev.RetryIn.Seconds(), ev.Attempt+1, ev.Method, ev.Endpoint, retryReason(ev))
			}
		}
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

	var progress exporter.Progress
	if o.json {
		progress = jsonProgress
	} else {
		progress = &exportTermProgress{w: e.stderr, out: e.stdout, repo: repo.Path()}
	}
	res, err := exporter.Run(ctx, exporter.Options{
		Client: client, Repo: repo, Kinds: kinds, Branch: o.branch, Message: o.message,
		AllowShrink: o.allowShrink, RequireComplete: o.requireComplete, Progress: progress,
		Author: o.author, Committer: o.committer,
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
			return fmt.Errorf("snapshot %s committed, but --pr-body %s: %w", exportShortHash(res.Commit), o.prBody, err)
		}
	}
	if o.push != "" {
		if err := pushSnapshot(ctx, e, repo, res, o.push); err != nil {
			return err
		}
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

// prBodyMax bounds --pr-body (GitHub refuses pull request bodies over 65,536
// characters).
const prBodyMax = 60000

// writePRBody writes the markdown of what the snapshot res.Commit changed
// against its parent to file; for the first snapshot, a summary of it.
func writePRBody(ctx context.Context, repo *snapshot.Repo, res *exporter.Result, file string) error {
	log, err := repo.Log(ctx, res.Commit, 2)
	if err != nil {
		return err
	}
	name := func(ci snapshot.CommitInfo) string {
		for _, t := range ci.Tags {
			if strings.HasPrefix(t, "snapshot/") {
				return t
			}
		}
		return ci.Hash.String()[:12]
	}
	var b strings.Builder
	newName := res.Tag
	if newName == "" {
		newName = exportShortHash(res.Commit)
	}
	isSnapshot := false
	if len(log) > 1 {
		_, err := repo.ReadFile(ctx, log[1].Hash.String(), layout.ManifestPath)
		isSnapshot = err == nil
	}
	if !isSnapshot {
		kinds := 0
		for _, k := range res.Kinds {
			if k.Objects > 0 {
				kinds++
			}
		}
		fmt.Fprintf(&b, "### entrasnap: first snapshot %s\n\n**%d objects in %d kinds**; there is no earlier snapshot to compare with.\n\n",
			newName, res.Objects(), kinds)
		b.WriteString("| kind | objects |\n|---|---:|\n")
		for _, k := range res.Kinds {
			title := k.Title
			if title != "" {
				title = strings.ToUpper(title[:1]) + title[1:]
			}
			fmt.Fprintf(&b, "| %s | %d |\n", title, k.Objects)
		}
	} else {
		from, to := log[1].Hash.String(), res.Commit
		a, bb, skipped, err := loadChanged(ctx, repo, from, to)
		if err != nil {
			return err
		}

		d := diff.Compare(a, bb, history.Chain{history.Open(ctx, repo, to), history.Open(ctx, repo, from)})
		if err := d.Markdown(&b, diff.RenderOptions{Title: name(log[1]) + " → " + newName}); err != nil {
			return err
		}
		for _, s := range skipped {
			fmt.Fprintf(&b, "\n> **Not compared:** %s at %s could not be read (run `entrasnap check`).\n", diff.MarkdownCode(s.Path), s.Rev)
		}
	}
	if inc := res.Incomplete(); len(inc) > 0 {
		names := make([]string, len(inc))
		for i, k := range inc {
			names[i] = k.Title + " (" + k.Reason + ")"
		}
		fmt.Fprintf(&b, "\n> **Incomplete snapshot:** these kinds could not be read and were carried forward unchanged: %s.\n",
			strings.ReplaceAll(strings.Join(names, ", "), "`", "'"))
	}
	if nl := res.NotLicensed(); len(nl) > 0 {
		names := make([]string, len(nl))
		for i, k := range nl {
			names[i] = k.Title + " (needs " + k.NotLicensed + ")"
		}
		fmt.Fprintf(&b, "\n> **Not licensed in this tenant:** %s; earlier files, if any, were kept.\n", strings.Join(names, ", "))
	}
	return os.WriteFile(file, []byte(capBody(b.String(), prBodyMax)), 0o644)
}

// capBody cuts s at a line end so that it fits max bytes with a note.
func capBody(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const note = "\n… cut here: %d more lines. Run `entrasnap diff` on the repository for the whole list.\n"
	cut := strings.LastIndexByte(s[:max-len(note)-10], '\n')
	if cut < 0 {
		cut = max - len(note) - 10
	}
	rest := strings.Count(s[cut:], "\n")
	return s[:cut+1] + fmt.Sprintf(note, rest)
}

// pushSnapshot pushes the branch (when a commit was made) and the new tag.
func pushSnapshot(ctx context.Context, e *env, repo *snapshot.Repo, res *exporter.Result, remote string) error {
	var refs []string
	if res.Changed {
		refs = append(refs, "refs/heads/"+res.Branch)
	}
	if res.Tag != "" {
		refs = append(refs, "refs/tags/"+res.Tag)
	}
	if len(refs) == 0 {
		return nil
	}
	u, err := repo.RemoteURL(remote)
	if err != nil {
		return fmt.Errorf("snapshot %s committed, but --push: %s", exportShortHash(res.Commit), snapshot.Scrub(err.Error()))
	}
	auth, err := snapshot.AuthFromEnv(u)
	if err != nil {
		return fmt.Errorf("snapshot %s committed, but --push: %s", exportShortHash(res.Commit), snapshot.Scrub(err.Error()))
	}
	// A remote given as a URL may hold credentials (https://user:token@...):
	// it is only ever shown redacted, and go-git's errors are scrubbed.
	shown := snapshot.RedactURL(remote)
	if err := repo.Push(ctx, remote, refs, auth); err != nil {
		again := shown
		if shown != remote {
			again = "REMOTE" // the real URL holds credentials: not printed
		}
		return fmt.Errorf("snapshot %s committed to %s, but %s; push again with `git -C %s push %s %s`",
			exportShortHash(res.Commit), repo.Path(), snapshot.Scrub(err.Error()), repo.Path(), again, strings.Join(refs, " "))
	}
	fmt.Fprintf(e.stderr, "Pushed %s to %s.\n", strings.Join(refs, " and "), shown)
	return nil
}

// waitText renders a wait in whole seconds ("8 s"), or in minutes and
// seconds from a minute on ("2 min 5 s").
func waitText(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 60 {
		return fmt.Sprintf("%d s", secs)
	}
	if secs%60 == 0 {
		return fmt.Sprintf("%d min", secs/60)
	}
	return fmt.Sprintf("%d min %d s", secs/60, secs%60)
}

// retryReason names why a request is retried.
func retryReason(ev graph.Event) string {
	switch {
	case ev.Status == 429:
		return "throttled by Graph"
	case ev.Status >= 500:
		return fmt.Sprintf("Graph answered %d", ev.Status)
	case ev.Status == 0:
		return "connection failed"
	}
	return fmt.Sprintf("status %d", ev.Status)
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
	var ke *live.KindError
	if errors.As(err, &ke) && ke.Licence != "" {
		fmt.Fprintf(p.w, "  %-38s NOT LICENSED in this tenant (needs %s): not read, earlier files kept\n", kind, ke.Licence)
		return
	}
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
		fmt.Fprintf(p.w, "%d warnings:\n", n)
		listSome(p.w, res.Warnings, 20)
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
	if n := len(res.WorktreeKept); n > 0 {
		fmt.Fprintf(p.w, "The index has the snapshot; %d file(s) in the working tree keep your local content (git status lists them as your changes):\n", n)
		listSome(p.w, res.WorktreeKept, 10)
	}
}

// exportIncompleteText says in one line why a kind is incomplete and what to do.
func exportIncompleteText(kind string, err error) string {
	var ke *live.KindError
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
	if ke := (*live.KindError)(nil); errors.As(err, &ke) && ke.Licence != "" {
		ev["notLicensed"] = ke.Licence
	}
	if err != nil {
		ev["error"] = err.Error()
		var ke *live.KindError
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

// listSome writes the first show items, one a line, then how many more.
func listSome[T any](w io.Writer, items []T, show int) {
	for i, it := range items {
		if i == show {
			fmt.Fprintf(w, "  ... and %d more\n", len(items)-show)
			return
		}
		fmt.Fprintf(w, "  %v\n", it)
	}
}
