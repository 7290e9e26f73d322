package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/internal/textcut"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// A rehearsal restores into a tenant that `entrasnap graphsim --from-repo`
// (or `entrasnap rehearse`) loaded from a snapshot: the real tenant's id,
// objects and names, in an emulator. Its new ids name objects of that
// emulator, never of the real tenant, so nothing of it may reach the
// repository's id map, journal or history; and the repository's id map
// and journal, which name the real tenant's objects, must not steer it.
//
// Such a tenant marks every answer with RehearsalHeader, whose value is
// the emulator's instance (one per process: graphsim/doc.go, "Rehearsal
// tenants"). Real Graph never sends it. Load reads the mark before
// anything else, once per graph client (clientMark), and refuses a rehearsal's tenant to a restore that is not
// one (it would read the real id map and record the rehearsal's ids as the
// real tenant's) and a real tenant to a rehearsal (it would write to the
// real tenant and record none of it). A plan records the instance it was
// made for (Plan.Rehearsal): apply refuses it against any other.
//
// A rehearsal's own new ids are kept beside the repository, never in it:
// in the git directory's state file RehearsalIDsFile(instance) (outside
// every commit; the instance keys it, so a second rehearsal against the
// same graphsim process finds the objects the first one created, and a
// new graphsim process, which has none of them, starts afresh). Each new
// id is appended to RehearsalJournalFile(instance) (synced) the moment
// Graph answers its create, so a rehearsal killed mid-apply loses none;
// SaveRehearsalIDs folds the journal into the id map file at the end.
// The files of instances not used for RehearsalKeep are removed when a
// rehearsal starts (pruneRehearsals): their graphsim processes, and the
// objects those ids name, are long gone.

// RehearsalHeader is the response header a rehearsal's tenant sends on
// every answer (graphsim --from-repo; graphsim.RehearsalHeader).
const RehearsalHeader = "X-Graphsim-Rehearsal"

// rehearsalInstanceRe is what an instance may be: it names a file.
var rehearsalInstanceRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// RehearsalMark returns the rehearsal instance Graph's answers name
// (RehearsalHeader), "" for a real tenant. It sends one GET of the
// organization's id; a Graph error (403 without Organization.Read.All)
// still carries the mark. A value that is not an instance id is an error.
func RehearsalMark(ctx context.Context, c *graph.Client) (string, error) {
	resp, err := c.Do(ctx, "GET", "/v1.0/organization?$select=id", nil)
	if resp == nil {
		if err == nil {
			err = errors.New("no answer")
		}
		return "", fmt.Errorf("asking Graph whether the tenant is a rehearsal's: %w; nothing was written", err)
	}
	vals := resp.Header.Values(RehearsalHeader)
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1 || !rehearsalInstanceRe.MatchString(vals[0]):
		return "", fmt.Errorf("Graph's answer carries %s %s, which is not a rehearsal instance (32 hexadecimal digits): cannot tell whether this is a rehearsal's tenant; nothing was written",
			RehearsalHeader, quoteMark(vals))
	}
	return vals[0], nil
}

// clientMarks holds the mark each client was answered with (clientMark),
// keyed weakly: a client no longer used takes its entry with it.
var clientMarks sync.Map // weak.Pointer[graph.Client] → string

// clientMark is RehearsalMark sent once per client: a client talks to one
// Graph root for its life and the mark is that of the process answering
// there (one instance per graphsim process), so a restore's later Loads
// (apply's, verify's, the plan after) send no GET for it again. An error
// is not kept: the next Load asks again.
func clientMark(ctx context.Context, c *graph.Client) (string, error) {
	k := weak.Make(c)
	if m, ok := clientMarks.Load(k); ok {
		return m.(string), nil
	}
	m, err := RehearsalMark(ctx, c)
	if err != nil {
		return "", err
	}
	if _, held := clientMarks.LoadOrStore(k, m); !held {
		runtime.AddCleanup(c, func(k weak.Pointer[graph.Client]) { clientMarks.Delete(k) }, k)
	}
	return m, nil
}

// quoteMark shows header values from the network for a person: quoted,
// escaped (layout.Safe) and at most 80 characters each.
func quoteMark(vals []string) string {
	var out []string
	for _, v := range vals {
		out = append(out, layout.Safe(fmt.Sprintf("%q", textcut.Cut(v, 80))))
	}
	return strings.Join(out, ", ")
}

// RehearsalError: a restore or apply and its tenant disagree about being a
// rehearsal, or a plan was made for another rehearsal's tenant.
type RehearsalError struct {
	// Tenant is the instance Graph's answers name ("": a real tenant);
	// Plan the one the plan was made for (PlanMismatch).
	Tenant, Plan string
	// Rehearsal: the run was asked to be one (--rehearsal).
	Rehearsal bool
	// PlanMismatch: the plan's instance is not the tenant's.
	PlanMismatch bool
}

func (e *RehearsalError) Error() string {
	switch {
	case e.PlanMismatch && e.Plan == "":
		return "the plan was made against a real tenant, but Graph answers as a rehearsal's tenant (graphsim --from-repo, instance " + e.Tenant + "); nothing was written: make a rehearsal's plan with `entrasnap restore --rehearsal ... --out plan.json`"
	case e.PlanMismatch && e.Tenant == "":
		return "the plan was made for a rehearsal's tenant (graphsim instance " + e.Plan + "), but Graph answers as a real tenant; nothing was written: a rehearsal's plan is never applied to a real tenant, make a new plan with `entrasnap restore ... --out plan.json`"
	case e.PlanMismatch:
		return "the plan was made for another rehearsal's tenant (graphsim instance " + e.Plan + "; Graph answers as instance " + e.Tenant + ", another graphsim process); nothing was written: make a new plan against this one"
	case e.Rehearsal:
		return "--rehearsal, but Graph does not answer as a rehearsal's tenant (entrasnap graphsim --from-repo marks its answers with " + RehearsalHeader + "; real Graph never does); nothing was written: a rehearsal against a real tenant would write to it and record none of it; leave out --rehearsal to restore this tenant, or point --graph-url at graphsim --from-repo"
	}
	return "Graph answers as a rehearsal's tenant (graphsim --from-repo, instance " + e.Tenant + "), and this is not a rehearsal: it would read the repository's id map and record the rehearsal's new ids and post-restore snapshot in the repository as the real tenant's; nothing was written: add --rehearsal"
}

// checkRehearsal refuses a run whose tenant's mark (RehearsalMark)
// disagrees with rehearsal (LoadOptions.Rehearsal).
func checkRehearsal(mark string, rehearsal bool) error {
	if (mark != "") != rehearsal {
		return &RehearsalError{Tenant: mark, Rehearsal: rehearsal}
	}
	return nil
}

// checkPlanRehearsal refuses a plan made for another tenant than the one
// Graph answers as: a rehearsal's plan against a real tenant or another
// rehearsal's, a real plan against a rehearsal's.
func checkPlanRehearsal(p *Plan, in *Input) error {
	if p.Rehearsal != in.Rehearsal {
		return &RehearsalError{Tenant: in.Rehearsal, Plan: p.Rehearsal, PlanMismatch: true, Rehearsal: in.Rehearsal != ""}
	}
	return nil
}

// CheckRehearsalFlag refuses to apply a rehearsal's plan (Plan.Rehearsal)
// unless as a rehearsal (`apply --rehearsal`), and a real plan as one;
// file is the plan's file, for the message. Apply checks the tenant again.
func (p *Plan) CheckRehearsalFlag(file string, rehearsal bool) error {
	switch {
	case p.Rehearsal != "" && !rehearsal:
		return fmt.Errorf("%s was made for a rehearsal's tenant (graphsim --from-repo, instance %s): apply it with --rehearsal, which records nothing in the repository (without it, apply would record the rehearsal's new ids and snapshot there as the real tenant's)", layout.Safe(file), p.Rehearsal)
	case p.Rehearsal == "" && rehearsal:
		return fmt.Errorf("%s was made against a real tenant, not a rehearsal's: apply it without --rehearsal (a rehearsal would write to that tenant and record none of it), or make a rehearsal's plan with `entrasnap restore --rehearsal ... --out FILE`", layout.Safe(file))
	}
	return nil
}

// RehearsalKeep is how long the new ids of a rehearsal tenant instance
// are kept after its files were last written: a graphsim --from-repo
// process lives for a rehearsal, not for weeks.
const RehearsalKeep = 30 * 24 * time.Hour

// rehearsalPrefix starts the name of every rehearsal state file.
const rehearsalPrefix = "entrasnap-rehearsal-"

// pruneRehearsals removes the state files of the rehearsal instances other
// than keep whose newest file is older than RehearsalKeep. It is best
// effort: a file it cannot remove is left for the next rehearsal.
func pruneRehearsals(repo *snapshot.Repo, keep string, now time.Time) {
	files, err := repo.StateFiles(rehearsalPrefix)
	if err != nil {
		return
	}
	newest := map[string]time.Time{}
	for _, f := range files {
		inst, _, _ := strings.Cut(strings.TrimPrefix(f.Name, rehearsalPrefix), ".")
		if rehearsalInstanceRe.MatchString(inst) && f.ModTime.After(newest[inst]) {
			newest[inst] = f.ModTime
		}
	}
	for inst, t := range newest {
		if inst != keep && now.Sub(t) > RehearsalKeep {
			_ = repo.RemoveState(RehearsalIDsFile(inst))
			_ = repo.RemoveState(RehearsalJournalFile(inst))
		}
	}
}

// RehearsalIDsFile is the state file (in the git directory, outside every
// commit) holding the new ids of the rehearsals against the rehearsal
// tenant instance (RehearsalMark): an id map (IDMap.Encode).
func RehearsalIDsFile(instance string) string {
	return rehearsalPrefix + instance + ".idmap.yaml"
}

// RehearsalJournalFile is the state file a rehearsal against instance
// appends each new id to as Graph answers its create: one JSON line per
// create (a journalEntry, as the real restore's JournalFile holds them).
func RehearsalJournalFile(instance string) string {
	return rehearsalPrefix + instance + ".journal"
}

// appendRehearsalID appends an answered create to the rehearsal's journal
// (RehearsalJournalFile), synced before it returns.
func appendRehearsalID(repo *snapshot.Repo, instance string, e journalEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return repo.AppendState(RehearsalJournalFile(instance), append(line, '\n'))
}

// readRehearsalJournal returns the ids the rehearsal journal of instance
// holds; a last line cut short (a process killed mid-write) is skipped.
func readRehearsalJournal(repo *snapshot.Repo, instance string) (*IDMap, error) {
	data, err := repo.ReadState(RehearsalJournalFile(instance))
	if errors.Is(err, snapshot.ErrNotFound) {
		return NewIDMap(), nil
	}
	if err != nil {
		return nil, err
	}
	var entries []journalEntry
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			if i == len(lines)-1 { // no newline after it: cut short
				break
			}
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		entries = append(entries, e)
	}
	return journalIDs(entries), nil
}

// ReadRehearsalIDs returns the new ids earlier rehearsals against instance
// created (RehearsalIDsFile): an empty map when there were none. A file
// that cannot be read is an error naming it and what to do.
func ReadRehearsalIDs(repo *snapshot.Repo, instance string) (*IDMap, error) {
	if !rehearsalInstanceRe.MatchString(instance) {
		return nil, fmt.Errorf("rehearsal instance %s: want 32 hexadecimal digits", quoteMark([]string{instance}))
	}
	file := RehearsalIDsFile(instance)
	m := NewIDMap()
	data, err := repo.ReadState(file)
	if err == nil {
		m, err = DecodeIDMap(data)
	} else if errors.Is(err, snapshot.ErrNotFound) {
		err = nil
	}
	if err == nil {
		file = RehearsalJournalFile(instance)
		var j *IDMap
		if j, err = readRehearsalJournal(repo, instance); err == nil {
			m.Merge(j)
			return m, nil
		}
	}
	return nil, fmt.Errorf("the ids of earlier rehearsals against this graphsim (%s in the git directory %s) cannot be read: %v; nothing was written: remove the file (the rehearsal then creates again what earlier ones created) or start a new graphsim --from-repo",
		file, layout.Safe(repo.GitDir()), err)
}

// SaveRehearsalIDs adds ids, and those its journal holds
// (RehearsalJournalFile), to the new ids kept for instance
// (RehearsalIDsFile), written whole, then removes the journal. Nothing is
// written for no ids.
func SaveRehearsalIDs(repo *snapshot.Repo, instance string, ids *IDMap) error {
	if ids.Len() == 0 {
		return nil
	}
	m, err := ReadRehearsalIDs(repo, instance)
	if err != nil {
		return err
	}
	m.Merge(ids)
	if err := repo.WriteState(RehearsalIDsFile(instance), m.Encode()); err != nil {
		return fmt.Errorf("keeping the rehearsal's new ids (%s in the git directory): %w", RehearsalIDsFile(instance), err)
	}
	return repo.RemoveState(RehearsalJournalFile(instance))
}
