package importer

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// The apply journal: the audit trail of an apply that does not reach its
// end. An apply that records (ApplyOptions.Record set, not a rehearsal)
// writes ApplyJournalFile in the git directory, outside every commit, when
// it sends its first write: one line naming the plan (its id and digest,
// source, tenant, who writes, when, and its actions), then one line per
// action as it ends (its status and error). When the apply ends with its
// record (the post-restore snapshot, or the tag of an apply that changed
// nothing) the journal is removed. An apply interrupted (its context
// ended: Ctrl-C) turns its journal into the record at once; one killed
// leaves it, and the next restore, apply or export on the repository
// turns it into the record (RecordInterruptedApply): an annotated apply
// tag (layout.ApplyTagName, as recordAttempt's) whose message says the
// apply was interrupted and lists, object by object, what was done, what
// failed and what it never knew the end of. The journal's lines are
// appended without a sync per action (a kill keeps them; a machine that
// stops may lose the last ones, which the record then calls not known).

// ApplyJournalFile is the apply journal in the git directory.
const ApplyJournalFile = "entrasnap-apply-journal.jsonl"

// maxApplyJournal bounds the journal read back (a plan of 100,000
// actions writes some 30 MB).
const maxApplyJournal = 256 << 20

// applyJournalHead is the journal's first line.
type applyJournalHead struct {
	Version   int                  `json:"version"`
	Plan      string               `json:"plan"` // the plan's digest
	ID        string               `json:"id"`   // the plan's id
	Rev       string               `json:"rev"`
	Commit    string               `json:"commit"`
	Created   time.Time            `json:"created"`
	TenantID  string               `json:"tenantId"`
	Selectors []string             `json:"selectors"`
	Files     bool                 `json:"files,omitempty"`
	By        string               `json:"by"`
	At        time.Time            `json:"at"` // the first write
	Actions   []applyJournalAction `json:"actions"`
}

type applyJournalAction struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Name   string `json:"name"`
	Op     Op     `json:"op"`
	Target string `json:"target,omitempty"`
}

// applyJournalEnd is one line per action ended: its index in the plan.
type applyJournalEnd struct {
	I      int    `json:"i"`
	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
}

// startApplyJournal writes the journal's first line (r.appliedOnce held,
// before the first write); an error stops the write, as markApplied's.
func (r *runner) startApplyJournal() error {
	if r.o.Record == nil {
		return nil
	}
	h := applyJournalHead{Version: 1, Plan: r.digest, ID: r.p.ID, Rev: r.p.Rev, Commit: r.p.Commit, Created: r.p.Created,
		TenantID: r.p.TenantID, Selectors: r.p.Selectors, Files: r.p.Files != nil, By: applyBy(r.p, r.o.ClientID), At: r.p.applied,
		Actions: make([]applyJournalAction, len(r.p.Actions))}
	for i, a := range r.p.Actions {
		h.Actions[i] = applyJournalAction{ID: a.ID, Kind: a.Kind, Key: a.Key, Name: a.Name, Op: a.Op, Target: a.Target}
	}
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := r.o.Repo.WriteState(ApplyJournalFile, append(data, '\n')); err != nil {
		return fmt.Errorf("the apply could not be journaled for its record (%s): %w", ApplyJournalFile, err)
	}
	r.journaling.Store(true)
	return nil
}

// noteEnded appends an ended action to the journal (r.report held). A
// line that cannot be written leaves that action "not known" in the record
// of an apply that does not reach its end.
func (r *runner) noteEnded(ar ActionResult) {
	if !r.journaling.Load() {
		return
	}
	i, ok := r.index[ar.ID]
	if !ok {
		return
	}
	data, err := json.Marshal(applyJournalEnd{I: i, Status: ar.Status, Error: textcutError(ar.Error)})
	if err == nil {
		err = r.o.Repo.AppendStateNoSync(ApplyJournalFile, append(data, '\n'))
	}
	if err != nil && !r.journalWarned {
		r.journalWarned = true
		r.o.Repo.Notify(fmt.Sprintf("warning: %v; if this apply does not reach its end, its record lists the actions since as not known", err))
	}
}

func textcutError(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// endApplyJournal removes the journal of an apply that reached its end with
// its record (or wrote nothing); one whose record failed keeps it, for the
// next run to record.
func endApplyJournal(o ApplyOptions, res *Result) {
	if o.Record == nil {
		return
	}
	if res.Snapshot != nil || res.AttemptTag != "" || !res.Wrote() && res.SnapshotErr == "" {
		if err := o.Repo.RemoveState(ApplyJournalFile); err != nil {
			o.Repo.Notify(fmt.Sprintf("warning: the apply journal (%s in the git directory) could not be removed (%v): the next restore records this apply a second time, as interrupted; remove the file", ApplyJournalFile, err))
		}
	}
}

// recordInterrupted records, at once, an apply whose context ended
// (RecordInterruptedApply under a context that still runs, bounded).
func recordInterrupted(ctx context.Context, o ApplyOptions, res *Result) {
	if o.Record == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var ident IDCommit
	if o.IDCommit != nil {
		ident = *o.IDCommit
	}
	tag, err := recordApplyJournal(ctx, o.Repo, ident)
	switch {
	case err != nil && res.SnapshotErr == "":
		res.SnapshotErr = err.Error()
	case err != nil:
		res.SnapshotErr += "; " + err.Error()
	case tag != "":
		res.AttemptTag = tag
	}
}

// RecordInterruptedApply turns the journal an apply left when it was
// killed (or its record failed) into its record: an annotated apply tag on
// the branch head, marked interrupted, listing object by object what was
// done, what failed and what it never knew the end of, then removes the
// journal. It returns the tag ("" when there is no journal). It takes the
// repository lock, which a running apply holds: a live apply's journal is
// left alone (nil error, ""). Callers: the CLI before restore, apply and
// export, and Apply itself when interrupted.
func RecordInterruptedApply(ctx context.Context, repo *snapshot.Repo, o IDCommit) (string, error) {
	if _, err := repo.ReadState(ApplyJournalFile); errors.Is(err, snapshot.ErrNotFound) {
		return "", nil
	}
	held, unlock, err := repo.HoldLock(ctx)
	if err != nil {
		var le *snapshot.LockError
		if errors.As(err, &le) && !le.Stale {
			return "", nil // an apply is running: the journal is its own
		}
		return "", err
	}
	defer unlock()
	return recordApplyJournal(held, repo, o)
}

func recordApplyJournal(ctx context.Context, repo *snapshot.Repo, o IDCommit) (string, error) {
	data, err := repo.ReadState(ApplyJournalFile)
	if errors.Is(err, snapshot.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("the journal of an interrupted apply (%s in the git directory): %w", ApplyJournalFile, err)
	}
	p, res, digest, by, err := parseApplyJournal(data)
	if err != nil {
		return "", fmt.Errorf("the journal of an interrupted apply (%s in the git directory) cannot be read: %w; the apply it journaled has no record: `git log` and the tenant's audit log say what it did; remove the file", ApplyJournalFile, err)
	}
	c := res.Count()
	what := fmt.Sprintf("the restore of %s from %s (%s)", layout.Safe(strings.Join(p.Selectors, ", ")), layout.Safe(p.Rev), shortHash(p.Commit))
	if p.Files != nil {
		what = fmt.Sprintf("the change from files %s (%s)", layout.Safe(p.Rev), shortHash(p.Commit))
	}
	title := fmt.Sprintf("apply of %s: interrupted, %d of %d actions done", what, c[StatusDone]+c[StatusAlready], len(res.Actions))
	msg := applyRecord(p, by, res, digest, title)
	msg += "Interrupted: the apply stopped before its end (killed, cancelled or its record failed); the actions not known may have been sent.\n"
	tag, err := repo.TagHead(ctx, snapshot.Snapshot{Tag: layout.ApplyTagName(p.applied, applyTagID(p.ID, digest)), TagMessage: msg,
		Committer: cmp.Or(o.Committer, o.Author), Signer: o.Signer})
	if err != nil {
		return "", fmt.Errorf("the interrupted apply's record could not be tagged (%v); its journal (%s in the git directory) is kept for the next run", err, ApplyJournalFile)
	}
	if err := repo.RemoveState(ApplyJournalFile); err != nil {
		return tag.Tag, fmt.Errorf("the interrupted apply is recorded by tag %s, but its journal (%s) could not be removed: %w; remove it, or the next run records the apply again", tag.Tag, ApplyJournalFile, err)
	}
	return tag.Tag, nil
}

// parseApplyJournal reads a journal back: the plan it names (what the
// record says of it), the result per action (the last line of each; an
// action without one is skipped, "not known"), the digest and who wrote.
// A last line cut short (the process killed mid-write) is ignored.
func parseApplyJournal(data []byte) (*Plan, *Result, string, string, error) {
	if len(data) > maxApplyJournal {
		return nil, nil, "", "", fmt.Errorf("%d bytes, more than a journal holds (%d)", len(data), maxApplyJournal)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxApplyJournal)
	if !sc.Scan() {
		return nil, nil, "", "", errors.New("it is empty")
	}
	var h applyJournalHead
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return nil, nil, "", "", fmt.Errorf("its first line: %w", err)
	}
	if h.Version != 1 || !strings.HasPrefix(h.Plan, "sha256:") || len(h.Plan) != len("sha256:")+64 {
		return nil, nil, "", "", fmt.Errorf("its first line is not an apply journal of version 1 with a plan digest")
	}
	p := &Plan{ID: h.ID, Rev: h.Rev, Commit: h.Commit, Created: h.Created, TenantID: h.TenantID, Selectors: h.Selectors, applied: h.At}
	if h.Files {
		p.Files = &Files{}
	}
	res := &Result{IDs: NewIDMap(), Actions: make([]ActionResult, len(h.Actions)),
		VerifyError: "not run: the apply was interrupted"}
	for i, a := range h.Actions {
		res.Actions[i] = ActionResult{ID: a.ID, Kind: a.Kind, Key: a.Key, Name: a.Name, Op: a.Op, Target: a.Target,
			Status: StatusSkipped, Error: "not known: the apply stopped before this action's end was noted (it may have been sent)"}
	}
	for sc.Scan() {
		var e applyJournalEnd
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.I < 0 || e.I >= len(res.Actions) {
			continue // cut short by the kill, or not ours
		}
		switch e.Status {
		case StatusDone, StatusAlready, StatusFailed, StatusSkipped:
			res.Actions[e.I].Status, res.Actions[e.I].Error = e.Status, e.Error
		}
	}
	return p, res, h.Plan, layout.Safe(h.By), nil
}

// applyJournalIssue is check's warning about an apply journal in repo (""
// when there is none): which apply did not reach its end, and that the
// next restore, apply or export records it. check takes no lock, so the
// apply may also be running now.
func applyJournalIssue(repo *snapshot.Repo, repoPath string) string {
	data, err := repo.ReadState(ApplyJournalFile)
	if errors.Is(err, snapshot.ErrNotFound) {
		return ""
	}
	if err != nil {
		return err.Error()
	}
	p, res, digest, by, err := parseApplyJournal(data)
	if err != nil {
		return fmt.Sprintf("the journal of an apply cannot be read: %v; the apply it journaled has no record: `git log` and the tenant's audit log say what it did; remove the file", err)
	}
	ended := 0
	for _, a := range res.Actions {
		if !strings.HasPrefix(a.Error, "not known:") {
			ended++
		}
	}
	return fmt.Sprintf("an apply of a plan from %s (%s, first write %s, by %s) did not reach its end (it was killed, its record failed, or it is running now): %d of its %d actions ended; the next `entrasnap restore`, `apply` or `export --repo %s` records it as tag %s, marked interrupted",
		layout.Safe(p.Rev), layout.Safe(digest), p.applied.UTC().Format(time.RFC3339), by, ended, len(res.Actions), layout.ShellWord(repoPath),
		layout.ApplyTagName(p.applied, applyTagID(p.ID, digest)))
}
