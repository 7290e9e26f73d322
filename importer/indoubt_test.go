package importer

import (
	"encoding/json"
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
