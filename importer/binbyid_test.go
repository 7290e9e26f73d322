package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// binRequests counts graphsim's requests to the directory recycle bin since
// its stats were reset: lists (the cast form) and reads by id.
func binRequests(e *env) (lists, byID int) {
	for _, ep := range e.sim.Stats().Endpoints {
		switch {
		case ep.Method != "GET":
		case strings.HasPrefix(ep.Path, "/directory/deletedItems/microsoft.graph."):
			lists += ep.Requests
		case ep.Path == "/directory/deletedItems/{id}":
			byID += ep.Requests
		}
	}
	return lists, byID
}

// planBins plans sel with binByIDMax set to max (-1: always list the bins),
// and returns the plan as JSON, rendered, and its recycle-bin requests.
func planBins(t *testing.T, e *env, sel []string, max int) (js, text string, lists, byID int) {
	t.Helper()
	was := binByIDMax
	binByIDMax = max
	defer func() { binByIDMax = was }()
	e.sim.ResetStats()
	in, err := Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: sel, Now: e.now})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	js, text = planJSON(t, in)
	lists, byID = binRequests(e)
	return js, text, lists, byID
}

// planJSON computes the plan of in and returns it as JSON (without its
// id, which differs in every plan) and rendered.
func planJSON(t *testing.T, in *Input) (js, text string) {
	t.Helper()
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	p.ID = ""
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), render(p)
}

// deletableUsers are up to n users of the tenant not synced from on
// premises (those a restore may restore), skipping those in skip.
func deletableUsers(e *env, n int, skip map[string]bool) []string {
	var out []string
	for _, u := range e.list("/v1.0/users?$select=id,onPremisesSyncEnabled&$top=999") {
		if id := str(u["id"]); u["onPremisesSyncEnabled"] != true && !skip[strings.ToLower(id)] && len(out) < n {
			out = append(out, id)
		}
	}
	return out
}

// TestRestoreOfFewDeletedUsersReadsTheBinByID: a plan that restores two
// deleted users and a group whose removed members include a deleted user
// reads those users from the recycle bin by id (binbyid.go), with no list
// of the bin, although the bin holds 40 other users; its plan is the plan
// of a Load that lists the bin, byte for byte (the deleted member is named
// and said to be in the recycle bin both ways); and apply restores the
// users, reading the bin by id again in its check and verification.
func TestRestoreOfFewDeletedUsersReadsTheBinByID(t *testing.T) {
	e := exportedEnv(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 150, Groups: 10, MembersPerGroup: 20}}, nil)
	_, gid, members := e.emptyGroup(3)
	skip := map[string]bool{}
	for _, m := range members {
		skip[strings.ToLower(m)] = true
	}
	e.do("DELETE", "/v1.0/users/"+members[0], nil) // a removed member, now in the bin, not selected
	victims := deletableUsers(e, 42, skip)
	if len(victims) < 42 {
		t.Fatalf("%d users to delete, want 42", len(victims))
	}
	for _, id := range victims {
		e.do("DELETE", "/v1.0/users/"+id, nil)
	}
	sel := []string{gid, victims[0], victims[1]}

	wantJSON, wantText, lists, _ := planBins(t, e, sel, -1)
	if lists == 0 {
		t.Fatal("with binByIDMax -1 the plan listed no recycle bin: the comparison proves little")
	}
	if !strings.Contains(wantText, "Plan: 2 to restore from deleted items") || !strings.Contains(wantText, "in the recycle bin") {
		t.Fatalf("the plan does not restore 2 users and name the deleted member as in the recycle bin: the comparison proves little:\n%s", wantText)
	}
	gotJSON, gotText, lists, byID := planBins(t, e, sel, binByIDMax)
	if lists != 0 || byID == 0 || byID > binByIDMax {
		t.Errorf("a plan of 2 deleted users listed the recycle bin %d times and read %d ids from it; want no list and at most %d reads by id", lists, byID, binByIDMax)
	}
	if gotJSON != wantJSON || gotText != wantText {
		t.Fatalf("the plan reading the bin by id differs:\n%s\nwant (listing the bin):\n%s", gotText, wantText)
	}
	t.Logf("by id: %d reads of the bin", byID)

	p := e.plan(e.first, sel, Options{})
	e.sim.ResetStats()
	o := e.applyOpts()
	o.Record = nil
	res, err := Apply(context.Background(), p, o)
	if err != nil || !res.Complete() {
		t.Fatalf("apply: %v %+v", err, res)
	}
	if lists, _ := binRequests(e); lists != 0 {
		t.Errorf("apply listed the recycle bin %d times", lists)
	}
	for _, id := range victims[:2] {
		e.get("/v1.0/users/" + id + "?$select=id")
	}
}

// TestRestoreOfManyDeletedUsersListsTheBin: a plan that needs more ids from
// the bin than binByIDMax lists it, 999 a page, and plans as when it reads
// them by id.
func TestRestoreOfManyDeletedUsersListsTheBin(t *testing.T) {
	manyDeletedUsers(t, graphsim.Options{}, binByIDMax+5)
}

// TestRestoreOfManyDeletedUsersListsTheBinUnderRealisticGraph: as
// TestRestoreOfManyDeletedUsersListsTheBin under Graph's throttling, faults
// and empty pages, and at the edge of one $batch: ids at binByIDMax-1 and
// binByIDMax are read by id (every read answered once, no list), one more
// lists the bin (one page with items; the other requests are empty pages
// or retries, and no id is read alone).
func TestRestoreOfManyDeletedUsersListsTheBinUnderRealisticGraph(t *testing.T) {
	for _, n := range []int{binByIDMax - 1, binByIDMax, binByIDMax + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			o := realisticSim()
			manyDeletedUsers(t, o, n)
		})
	}
}

// binPages records the recycle-bin list pages Graph answered: the items of
// each (-1: an error or no answer, which the client retries).
type binPages struct {
	mu    sync.Mutex
	items []int
}

func (bp *binPages) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || !strings.Contains(r.URL.Path, "/directory/deletedItems/microsoft.graph.") {
			h.ServeHTTP(w, r)
			return
		}
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"@odata.nextLink"`
		}
		n := -1
		if json.Unmarshal(tw.body.Bytes(), &page) == nil && page.Value != nil {
			n = len(page.Value)
		}
		bp.mu.Lock()
		bp.items = append(bp.items, n)
		bp.mu.Unlock()
	})
}

// reset forgets the pages recorded so far.
func (bp *binPages) reset() {
	bp.mu.Lock()
	bp.items = nil
	bp.mu.Unlock()
}

// full is the number of pages with items answered since reset.
func (bp *binPages) full() int {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	n := 0
	for _, i := range bp.items {
		if i > 0 {
			n++
		}
	}
	return n
}

// binReadsAnswered are graphsim's answered reads of the bin by id since
// its stats were reset (requests less injected faults and 429s), and
// those answered with another error.
func binReadsAnswered(e *env) (answered, errs int) {
	for _, ep := range e.sim.Stats().Endpoints {
		if ep.Method == "GET" && ep.Path == "/directory/deletedItems/{id}" {
			answered += ep.Requests - ep.Faults - ep.Throttled
			errs += ep.Errors
		}
	}
	return answered, errs
}

// manyDeletedUsers deletes n users and plans their restore: listing the bin
// when n > binByIDMax, else reading it by id, and by id (binByIDMax 1000)
// again: both plans are the same. Under friendly graphsim (o without
// throttling, faults or empty pages) a list is exactly one request;
// otherwise one page holds items and the other requests are empty pages
// (Graph's paging) or retries.
func manyDeletedUsers(t *testing.T, o graphsim.Options, n int) {
	o.Sizes = graphsim.Sizes{Users: 150, Groups: 10, MembersPerGroup: 20}
	bp := &binPages{}
	e := exportedEnv(t, o, bp.wrap)
	friendly := o.Throttle == "" && o.FaultRate == 0 && !o.EmptyPages
	victims := deletableUsers(e, n, nil)
	if len(victims) != n {
		t.Fatalf("%d users to delete, want %d", len(victims), n)
	}
	for _, id := range victims {
		e.do("DELETE", "/v1.0/users/"+id, nil)
	}
	listed := n > binByIDMax
	bp.reset()
	wantJSON, wantText, lists, byID := planBins(t, e, victims, binByIDMax)
	answered, errs := binReadsAnswered(e)
	switch {
	case listed && (bp.full() != 1 || byID != 0 || friendly && lists != 1):
		t.Errorf("a plan of %d deleted users: %d requests listing the bin, %d pages with items (want one), %d reads by id (want none)", n, lists, bp.full(), byID)
	case !listed && (lists != 0 || answered != n || errs != 0 || friendly && byID != n):
		t.Errorf("a plan of %d deleted users: %d requests listing the bin (want none), %d reads by id answered (want %d), %d refused", n, lists, answered, n, errs)
	}
	if !strings.Contains(wantText, fmt.Sprintf("Plan: %d to restore from deleted items", n)) {
		t.Fatalf("want %d restores planned:\n%s", n, wantText)
	}
	bp.reset()
	gotJSON, gotText, lists, byID := planBins(t, e, victims, 1000)
	if answered, errs := binReadsAnswered(e); lists != 0 || answered != n || errs != 0 || friendly && byID != n {
		t.Errorf("by id: %d lists, %d reads by id answered (want %d), %d refused", lists, answered, n, errs)
	}
	if gotJSON != wantJSON || gotText != wantText {
		t.Fatalf("the plan reading the bin by id differs:\n%s\nwant (listing the bin):\n%s", gotText, wantText)
	}
}

// groupAndDeletedUsers exports a tenant of 150 users (o, sized), then
// makes a group whose 3 members were added moments ago (users created now,
// not replicated everywhere yet) and removed, one of them deleted since,
// and deletes n other users (victims).
func groupAndDeletedUsers(t *testing.T, o graphsim.Options, n int) (e *env, gid string, victims []string) {
	t.Helper()
	o.Sizes = graphsim.Sizes{Users: 150, Groups: 10, MembersPerGroup: 20}
	e = exportedEnv(t, o, nil)
	_, gid, members := e.emptyGroup(3)
	skip := map[string]bool{}
	for _, m := range members {
		skip[strings.ToLower(m)] = true
	}
	e.do("DELETE", "/v1.0/users/"+members[0], nil)
	victims = deletableUsers(e, n, skip)
	if len(victims) < n {
		t.Fatalf("%d users to delete, want %d", len(victims), n)
	}
	for _, id := range victims {
		e.do("DELETE", "/v1.0/users/"+id, nil)
	}
	return e, gid, victims
}

// TestRestoreOfDeletedUsersVerifiesUnderRealisticGraph: users restored from
// the bin under Graph's replication lag, throttling and faults are verified.
// Verify reads them by id right after the restore, and a replica that has
// not seen them yet answers 404 for their sponsors: that is read again
// within the consistency timeout, not reported as a tenant that cannot be
// read.
func TestRestoreOfDeletedUsersVerifiesUnderRealisticGraph(t *testing.T) {
	e, gid, victims := groupAndDeletedUsers(t, realisticSim(), 2)
	p := e.plan(e.first, append([]string{gid}, victims...), Options{})
	if n := p.Counts()[OpRestore]; n != len(victims) {
		t.Fatalf("plan restores %d users, want %d: %s", n, len(victims), p.Summary())
	}
	o2 := e.applyOpts()
	o2.Record = nil
	res, err := Apply(context.Background(), p, o2)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	// Every action is done: a restore, a link or a licence assignment
	// that met an injected fault is sent again (apply.go resendable).
	for _, ar := range res.Actions {
		if ar.Status != StatusDone && ar.Status != StatusAlready {
			t.Errorf("%s %s %s: %s %s", ar.Op, ar.Kind, ar.Key, ar.Status, ar.Error)
		}
	}
	if res.VerifyError != "" || !res.Complete() || !res.Verified {
		t.Fatalf("restore of %d deleted users under realistic Graph: complete %v, verified %v, verify error %q, differences %+v",
			len(victims), res.Complete(), res.Verified, res.VerifyError, res.Differences)
	}
	for _, id := range victims {
		e.get("/v1.0/users/" + id + "?$select=id")
	}
}
