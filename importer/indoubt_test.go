package importer

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

// A restore killed after Graph carried out a create but before its answer
// arrived left only the note that the create was sent: the next plan finds
// the object Graph made (same kind and name, unknown to the snapshot) and
// does not create it again; when two objects fit, it does not guess.
func TestInDoubtCreateIsFoundNotRepeated(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	var loc map[string]any
	for _, l := range e.list("/v1.0/identity/conditionalAccess/namedLocations") {
		used := false
		for _, p := range e.list("/v1.0/identity/conditionalAccess/policies") {
			b, _ := json.Marshal(p["conditions"])
			used = used || strings.Contains(string(b), str(l["id"]))
		}
		if !used {
			loc = l
			break
		}
	}
	if loc == nil {
		t.Fatal("no named location unused by policies")
	}
	id, name := str(loc["id"]), str(loc["displayName"])
	e.do("DELETE", "/v1.0/identity/conditionalAccess/namedLocations/"+id, nil)
	if p := e.plan(e.first, []string{id}, Options{}); opList(p) != "create" {
		t.Fatalf("plan before:\n%s", render(p))
	}

	// What the killed run left: its journal entry without an answer, and the
	// object Graph made.
	journal, _ := json.Marshal([]journalEntry{{Kind: "named-locations", Old: id, Name: name, Restore: "HEAD", At: time.Now().UTC()}})
	if err := e.repo.WriteState(JournalFile, journal); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{}
	for k, v := range loc {
		if k != "id" && k != "createdDateTime" && k != "modifiedDateTime" && !strings.Contains(k, "@") {
			body[k] = v
		}
	}
	body["@odata.type"] = loc["@odata.type"]
	e.do("POST", "/v1.0/identity/conditionalAccess/namedLocations", body)
	var made string
	for _, l := range e.list("/v1.0/identity/conditionalAccess/namedLocations") {
		if str(l["displayName"]) == name {
			made = str(l["id"])
		}
	}
	p := e.plan(e.first, []string{id}, Options{})
	if opList(p) == "create" || !strings.Contains(strings.Join(p.Warnings, "\n"), "found as "+made) {
		t.Fatalf("the object the interrupted restore made is not found:\n%s", render(p))
	}

	// Two fit: not guessed between.
	e.do("POST", "/v1.0/identity/conditionalAccess/namedLocations", body)
	p = e.plan(e.first, []string{id}, Options{})
	if opList(p) != "create" || !strings.Contains(strings.Join(p.Warnings, "\n"), "2 objects fit") {
		t.Fatalf("two candidates:\n%s", render(p))
	}
}

// unusedNamedLocation is a named location of e's tenant no Conditional
// Access policy names (deleting it leaves the policies as they are).
func unusedNamedLocation(e *env) map[string]any {
	e.t.Helper()
	for _, l := range e.list("/v1.0/identity/conditionalAccess/namedLocations") {
		used := false
		for _, p := range e.list("/v1.0/identity/conditionalAccess/policies") {
			b, _ := json.Marshal(p["conditions"])
			used = used || strings.Contains(string(b), str(l["id"]))
		}
		if !used {
			return l
		}
	}
	e.t.Fatal("no named location unused by policies")
	return nil
}

// TestInDoubtCreateStillInvisibleStaysJournaled: a create whose answer was
// lost and whose object Graph still hides (replication lag) when the apply
// has waited ConsistencyTimeout for it stays failed; the apply records its
// snapshot (another action was done) but keeps the create's journal entry
// as in doubt, so the next plan finds the object Graph made once it shows,
// instead of creating it a second time.
func TestInDoubtCreateStillInvisibleStaysJournaled(t *testing.T) {
	lf := &loseFirst{match: func(r *http.Request) bool {
		return r.Method == "POST" && r.URL.Path == "/v1.0/identity/conditionalAccess/namedLocations"
	}}
	e := newEnv(t, graphsim.Options{EventualConsistency: time.Hour}, lf.wrap)
	loc := unusedNamedLocation(e)
	id, name := str(loc["id"]), str(loc["displayName"])
	e.do("DELETE", "/v1.0/identity/conditionalAccess/namedLocations/"+id, nil)
	g := e.list("/v1.0/groups")[0]
	e.do("PATCH", "/v1.0/groups/"+str(g["id"]), map[string]any{"description": "changed by hand"})
	p := e.plan(e.first, []string{id, str(g["id"])}, Options{})
	if c := p.Counts(); c[OpCreate] != 1 || c[OpUpdate] != 1 {
		t.Fatalf("want the location's create and the group's update:\n%s", render(p))
	}
	lf.arm()
	res := e.apply(p)
	if len(lf.lost) != 1 || res.Snapshot == nil {
		t.Fatalf("lost %v, snapshot %v (%s): want the create's answer lost and the snapshot recorded", lf.lost, res.Snapshot, res.SnapshotErr)
	}
	for _, a := range res.Actions {
		if a.Op == OpCreate && a.Status != StatusFailed {
			t.Fatalf("the create still hidden by the lag is %s, want failed (in doubt)", a.Status)
		}
	}
	journal, err := readJournal(e.repo)
	if err != nil || len(journal) != 1 || journal[0].Old != id || journal[0].New != "" || journal[0].Name != name {
		t.Fatalf("journal after the recorded apply: %+v (%v); want the in-doubt create of %s kept", journal, err, id)
	}
	// Replicated: the next plan finds the object Graph made.
	e.sim.Clock().Advance(2 * time.Hour)
	p = e.plan(e.first, []string{id}, Options{})
	if p.Counts()[OpCreate] != 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "found as ") {
		t.Fatalf("the in-doubt create is planned again:\n%s", render(p))
	}
}
