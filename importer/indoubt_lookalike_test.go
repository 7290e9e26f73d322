package importer

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// lookalikeFirst stands for another admin who, while a restore's create
// of a group is on its way, creates a group of the same display name:
// armed, it hands Graph the first POST /groups with the body changed by
// edit (the other admin's group is made; the restore's never is) and
// drops the connection (the restore's answer is lost).
type lookalikeFirst struct {
	mu    sync.Mutex
	armed bool
	edit  func(body map[string]any)
	made  string // the other admin's group
}

func (lf *lookalikeFirst) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lf.mu.Lock()
		hit := lf.armed && r.Method == "POST" && r.URL.Path == "/v1.0/groups"
		lf.armed = lf.armed && !hit
		lf.mu.Unlock()
		if !hit {
			h.ServeHTTP(w, r)
			return
		}
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			panic(err)
		}
		lf.edit(body)
		raw, _ = json.Marshal(body)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var made map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &made)
		lf.mu.Lock()
		lf.made = str(made["id"])
		lf.mu.Unlock()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
}

// A create whose answer was lost is not matched to a group another admin
// made meanwhile with the same display name: the apply does not take the
// lookalike as the group it made (whose id it would then link members to
// and record), nor does the next plan, and both say which property told
// them apart. Case and Unicode form are compared as Graph keeps them:
// a mailNickname differing only in case, a description in another Unicode
// normalization form are another group's.
func TestInDoubtCreateDoesNotAdoptALookalike(t *testing.T) {
	cases := []struct {
		name, prop string
		edit       func(body map[string]any)
	}{
		{"mailNickname in other case", "mailNickname", func(b map[string]any) { b["mailNickname"] = strings.ToUpper(str(b["mailNickname"])) }},
		{"description decomposed", "description", func(b map[string]any) { b["description"] = "Caf" + "e\u0301 team" }},
		{"mail-enabled unified", "mailEnabled", func(b map[string]any) {
			b["mailEnabled"], b["groupTypes"] = true, []any{"Unified"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lf := &lookalikeFirst{edit: tc.edit}
			e := newEnv(t, graphsim.Options{Seed: 1}, lf.wrap)
			g := e.plainSecurityGroups()[0]
			id := str(g["id"])
			e.do("PATCH", "/v1.0/groups/"+id, map[string]any{"description": "Caf\u00e9 team"})
			rev := e.snapshot("a described group")
			e.do("DELETE", "/v1.0/groups/"+id, nil)
			e.do("DELETE", "/v1.0/directory/deletedItems/"+id, nil)
			p := e.plan(rev, []string{id}, Options{})
			if c := p.Counts(); c[OpCreate] != 1 {
				t.Fatalf("want the group's create:\n%s", render(p))
			}
			lf.mu.Lock()
			lf.armed = true
			lf.mu.Unlock()
			res := e.apply(p)
			if lf.made == "" {
				t.Fatal("the other admin's group was not made")
			}
			for _, a := range res.Actions {
				if a.Op != OpCreate {
					continue
				}
				if a.Status == StatusDone || a.NewID != "" {
					t.Fatalf("the create whose answer was lost took the other admin's group %s: %s as %q (%s)", lf.made, a.Status, a.NewID, a.Error)
				}
				if !strings.Contains(a.Error, "not as it sent them") || !strings.Contains(a.Error, lf.made) || !strings.Contains(a.Error, tc.prop) {
					t.Errorf("the failed create does not say why %s is not taken: %s", lf.made, a.Error)
				}
			}
			journal, err := readJournal(e.repo)
			if err != nil || len(journal) != 1 || journal[0].Old != id || journal[0].New != "" || journal[0].Sent["mailNickname"] == nil {
				t.Fatalf("journal after the apply: %+v (%v); want the in-doubt create of %s kept with what it sent", journal, err, id)
			}
			if _, ok := journal[0].Sent["passwordProfile"]; ok {
				t.Fatal("the journal holds a secret property")
			}

			// The next plan does not take it either, and says why.
			p = e.plan(rev, []string{id}, Options{})
			warn := strings.Join(p.Warnings, "\n")
			if p.Counts()[OpCreate] != 1 || strings.Contains(warn, "found as") || !strings.Contains(warn, lf.made+" (its "+tc.prop) {
				t.Fatalf("the next plan after the lookalike %s:\n%s", lf.made, render(p))
			}
		})
	}
}
