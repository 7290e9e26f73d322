package exporter

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

// expandLists counts the GETs of the applications' and service principals'
// lists with $expand (their relationships read whole), by path.
type expandLists struct {
	h  http.Handler
	mu sync.Mutex
	n  map[string]int
}

func newExpandLists(h http.Handler) *expandLists { return &expandLists{h: h, n: map[string]int{}} }

func (e *expandLists) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.ToLower(r.URL.Path)
	if r.Method == http.MethodGet && r.URL.Query().Get("$expand") != "" && (strings.HasSuffix(p, "/applications") || strings.HasSuffix(p, "/serviceprincipals")) {
		e.mu.Lock()
		e.n[p[strings.LastIndex(p, "/")+1:]]++
		e.mu.Unlock()
	}
	e.h.ServeHTTP(w, r)
}

// take returns the counts since the last take.
func (e *expandLists) take() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.n
	e.n = map[string]int{}
	return out
}

// TestAppRelationshipsWithoutTheAuditLog: when the directory audit log
// cannot be read (it fails here; without AuditLog.Read.All it is refused),
// a delta day reads every application's and service principal's
// relationships through the lists' $expand, as a full read does, says so
// in the kinds' notes and results, and still equals a full export; with
// the log again, a day reads no list.
func TestAppRelationshipsWithoutTheAuditLog(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	kinds := []string{"applications", "service-principals"}
	whenShortOnly(t, kinds...)
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 40, Groups: 4, Apps: 8}})
	lists := newExpandLists(sim)
	c := newClient(t, sim, lists, "")
	inc := newRepo(t, false)
	mustExport(t, c, inc, nil)
	if n := lists.take(); n["applications"] == 0 || n["serviceprincipals"] == 0 {
		t.Fatalf("the first export read no list with $expand: %v", n)
	}
	ch := &changer{t: t, c: c, sim: sim}
	u := ch.newUser()
	app := sim.Tenant().List("application")[0]["id"].(string)
	ch.do("POST", "/v1.0/applications/"+app+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + u})
	noLog := newClient(t, sim, failPaths(lists, "/auditLogs"), "")
	ns := &notes{}
	res := mustExport(t, noLog, inc, func(o *Options) { o.Progress = ns })
	got := strings.Join(ns.got, "\n")
	for _, k := range kinds {
		r := kindResult(res, k)
		if r.Read != "delta" || !strings.Contains(r.Note, "read for every object: the directory audit log cannot be read") ||
			!strings.Contains(got, k+": owners, ") {
			t.Errorf("%s read %q, note %q; notes %q", k, r.Read, r.Note, ns.got)
		}
	}
	if n := lists.take(); n["applications"] != 3 || n["serviceprincipals"] != 3 {
		t.Errorf("without the log: lists with $expand %v, want the three relationships of each kind", n)
	}
	full := newRepo(t, true)
	mustExport(t, c, full, nil)
	lists.take()
	sameTree(t, "without the audit log", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))

	// With the log: the owner removed is read again for its app alone.
	ch.do("DELETE", "/v1.0/applications/"+app+"/owners/"+u+"/$ref", nil)
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute) // the record is in the log
	res = deltaExport(t, c, inc, "with the log", kinds, nil)
	for _, k := range kinds {
		if r := kindResult(res, k); strings.Contains(r.Note, "read for every object") {
			t.Errorf("%s: note %q", k, r.Note)
		}
	}
	if n := lists.take(); len(n) != 0 {
		t.Errorf("with the log: lists with $expand %v, want none", n)
	}
	if res.Modified == 0 {
		t.Error("with the log: no file modified, want the app's")
	}
	full = newRepo(t, true)
	mustExport(t, c, full, nil)
	sameTree(t, "with the log", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
}
