package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// JournalFile is the state file (in the git directory, outside every
// commit) where apply notes each create before sending it and its new ids
// the moment Graph answers, until the post-restore snapshot records the id
// map. A restore killed in between is re-run without creating the objects
// again: answered creates are in the id map (journal.ids); a create sent
// but never answered is looked for in the tenant (recoverInDoubt).
const JournalFile = "entrasnap-restore-journal.json"

// journalEntry is one create sent by apply.
type journalEntry struct {
	Kind     string    `json:"kind"`
	Old      string    `json:"old"`                // the object's id at REV
	OldAppID string    `json:"oldAppId,omitempty"` // an application's appId at REV
	Name     string    `json:"name"`               // its display name, as sent
	Restore  string    `json:"restore"`            // "<rev> (<commit>)"
	At       time.Time `json:"at"`                 // when it was sent
	// New and NewAppID: what Graph answered; empty while in doubt.
	New      string `json:"new,omitempty"`
	NewAppID string `json:"newAppId,omitempty"`
	// Sent: what the create's body sent that a found object is compared
	// with (sentProps: no secret, no placeholder), so that the next plan
	// does not take a lookalike of the same name as the object Graph made
	// (recoverInDoubt). Absent from journals written before it was noted:
	// the name alone is compared then.
	Sent map[string]any `json:"sent,omitempty"`
}

func readJournal(r *snapshot.Repo) ([]journalEntry, error) {
	data, err := r.ReadState(JournalFile)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the journal of an interrupted restore: %w", err)
	}
	var out []journalEntry
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("the journal of an interrupted restore (%s in the git directory): %w; if no restore was interrupted, remove the file", JournalFile, err)
	}
	return out, nil
}

// journalIDs is the id map of the answered creates.
func journalIDs(j []journalEntry) *IDMap {
	m := NewIDMap()
	for _, e := range j {
		if e.New != "" {
			m.AddCreated(e.Kind, e.Old, e.New, e.Restore, e.At) // when sent: the create is no older
		}
		if e.NewAppID != "" && e.OldAppID != "" {
			m.AddAppID(e.OldAppID, e.NewAppID)
		}
	}
	return m
}

// oldID and oldAppID are the ids a create's placeholders stand for.
func (a *Action) oldID() string {
	return strings.TrimSuffix(strings.TrimPrefix(a.Placeholder, "{{new:"), "}}")
}

func (a *Action) oldAppID() string {
	return strings.TrimSuffix(strings.TrimPrefix(a.AppIDPlaceholder, "{{newAppId:"), "}}")
}

// noteSent journals a create about to be sent (r.mu held).
func (r *runner) noteSent(a *Action) error {
	if a.oldID() == "" {
		return nil
	}
	var sent map[string]any
	if k, ok := layout.Lookup(a.Kind); ok {
		sent = sentProps(k, a.Request.Body) // assent.go
	}
	r.journal = append(r.journal, journalEntry{Kind: a.Kind, Old: a.oldID(), OldAppID: a.oldAppID(), Name: a.Name,
		Restore: r.restore, At: time.Now().UTC(), Sent: sent})
	return r.writeJournal()
}

// noteCreated journals the ids Graph answered a create with, and adds them
// to this run's id map (r.mu held).
func (r *runner) noteCreated(a *Action, id, appID string) error {
	if id != "" && a.Placeholder != "" {
		r.created.AddCreated(a.Kind, a.oldID(), id, r.restore, time.Now())
	}
	if appID != "" && a.AppIDPlaceholder != "" {
		r.created.AddAppID(a.oldAppID(), appID)
	}
	for i := len(r.journal) - 1; i >= 0; i-- {
		if e := &r.journal[i]; e.Kind == a.Kind && e.Old == a.oldID() && e.New == "" {
			e.New, e.NewAppID = id, appID
			if r.o.instance != "" { // rehearsal.go: kept beside the repository
				return appendRehearsalID(r.o.Repo, r.o.instance, *e)
			}
			return r.writeJournal()
		}
	}
	return nil
}

// stillInDoubt are the journal entries of this run's creates whose answer
// was lost and whose object settleInDoubt did not find: Graph may still
// show it later (replication).
func (r *runner) stillInDoubt() []journalEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []journalEntry
	for _, i := range r.inDoubt {
		a := &r.p.Actions[i]
		if r.results[i].Status == StatusDone {
			continue
		}
		for j := len(r.journal) - 1; j >= 0; j-- {
			if e := r.journal[j]; e.Kind == a.Kind && e.Old == a.oldID() && e.New == "" {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// keepJournal leaves only the entries of the creates still in doubt in the
// journal once the post-restore snapshot is recorded, and removes it when
// there are none.
func keepJournal(repo *snapshot.Repo, inDoubt []journalEntry) error {
	if len(inDoubt) == 0 {
		return repo.RemoveState(JournalFile)
	}
	data, err := json.Marshal(inDoubt)
	if err != nil {
		return err
	}
	return repo.WriteState(JournalFile, data)
}

func (r *runner) writeJournal() error {
	if r.o.Record == nil {
		return nil // in memory only (newRunner)
	}
	data, err := json.Marshal(r.journal)
	if err != nil {
		return err
	}
	return r.o.Repo.WriteState(JournalFile, data)
}
