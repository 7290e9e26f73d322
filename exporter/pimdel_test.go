package exporter

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// scheduleLists records the groups whose PIM for Groups schedules a read
// asks for (the $filter=groupId eq '...' lists of its $batch envelopes).
type scheduleLists struct {
	sim *graphsim.Server
	mu  sync.Mutex
	ids map[string]int // lower-case group id -> lists asked
}

func (s *scheduleLists) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/$batch") {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var b struct {
			Requests []struct {
				URL string `json:"url"`
			} `json:"requests"`
		}
		_ = json.Unmarshal(body, &b)
		s.mu.Lock()
		for _, q := range b.Requests {
			u, err := url.Parse(q.URL)
			if err != nil || !strings.Contains(u.Path, "privilegedAccess/group/") {
				continue
			}
			f := u.Query().Get("$filter")
			if g, ok := strings.CutPrefix(f, "groupId eq '"); ok {
				if s.ids == nil {
					s.ids = map[string]int{}
				}
				s.ids[strings.ToLower(strings.TrimSuffix(g, "'"))]++
			}
		}
		s.mu.Unlock()
	}
	s.sim.ServeHTTP(w, r)
}

// take returns the groups asked for since the last take, sorted.
func (s *scheduleLists) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for g := range s.ids {
		out = append(out, g)
	}
	sort.Strings(out)
	s.ids = nil
	return out
}

// TestPIMGroupsOfADeletedPrincipalAfterTheCleanUp (issue 13, coverage gap
// 2): graphsim keeps a deleted principal's PIM for Groups schedules 7 days,
// then clears them with no audit record. After a full read that moved the
// audit window past the delete's record, a daily run still reads again the
// group whose previous file names the principal (no longer a user of the
// previous snapshot nor a listed group): past the clean-up, the schedule
// is gone and the daily snapshot equals a full export. The extra lists are
// the affected group's only: the next daily run, whose files no longer
// name the principal, asks for the same groups less that one.
func TestPIMGroupsOfADeletedPrincipalAfterTheCleanUp(t *testing.T) {
	scheduledRuns(t)
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 20, Groups: 6, MembersPerGroup: 3}})
	lists := &scheduleLists{sim: sim}
	c := newClient(t, sim, lists, "")
	kinds := simtest.Kinds(t, append([]string{"users", "groups"}, live.AuditKinds()...)...)
	opts := func(o *Options) { o.Kinds, o.Now, o.AllowShrink = kinds, sim.Clock().Now, true }
	ch := &changer{t: t, c: c, sim: sim}
	var governed []string
	for _, g := range sim.Tenant().List("group") {
		if g["securityEnabled"] == true && g["onPremisesSyncEnabled"] != true && g["membershipRule"] == nil {
			governed = append(governed, g["id"].(string))
		}
	}
	sort.Strings(governed)
	if len(governed) < 2 {
		t.Fatalf("tenant too small: %d governed groups", len(governed))
	}
	// Not the first governed group: a later run reads that one every time.
	group := governed[len(governed)-1]
	user := ch.newUser()
	ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests", map[string]any{
		"action": "adminAssign", "accessId": "member", "groupId": group, "principalId": user, "justification": hostile(30)})
	// Past the windows of the first full read (live.ReplicationMargin).
	sim.Clock().Advance(live.ReplicationMargin + 5*time.Minute)
	inc := newRepo(t, false)
	shows := func() bool { return pimShows(t, inc, user) }
	run := completeExports(t, c, inc, opts)
	delta := func(what string, res *Result) {
		t.Helper()
		for _, k := range live.AuditKinds() {
			if r := kindResult(res, k); r.Read != "delta" {
				t.Fatalf("%s: %s read %q (%s), want delta", what, k, r.Read, r.Note)
			}
		}
	}
	run("the first export", nil)
	if !shows() {
		t.Fatal("the first export does not show the schedule")
	}
	ch.do("DELETE", "/v1.0/users/"+user, nil)
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	delta("the daily run after the delete", run("the daily run after the delete", nil))
	if !shows() {
		t.Fatal("the daily run after the delete: the schedule, kept 7 days, is not shown")
	}
	// A full read between the delete and the clean-up: the next runs'
	// audit window starts past the delete's record (and the next runs are
	// within --full-every's 7 days of it).
	sim.Clock().Advance(3 * 24 * time.Hour)
	run("a full read before the clean-up", func(o *Options) { o.Full = true })
	if !shows() {
		t.Fatal("a full read before the clean-up does not show the schedule")
	}
	lists.take()
	sim.Clock().Advance(4*24*time.Hour + time.Hour) // past the clean-up (graphsim: 7 days after the delete)
	res := run("the daily run after the clean-up", nil)
	delta("the daily run after the clean-up", res)
	asked := lists.take()
	if shows() {
		t.Error("the daily run after the clean-up still shows the deleted principal's schedule")
	}
	full := newRepo(t, true)
	mustExport(t, c, full, opts)
	lists.take()
	sameTree(t, "after the clean-up", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
	// The extra lists: the affected group's only.
	res = run("the next daily run", nil)
	delta("the next daily run", res)
	next := lists.take()
	if !slices.Contains(asked, strings.ToLower(group)) {
		t.Errorf("the daily run after the clean-up did not read group %s again: asked %v", group, asked)
	}
	if slices.Contains(next, strings.ToLower(group)) {
		t.Errorf("the next daily run read group %s again, though its files no longer name the principal: asked %v", group, next)
	}
	if want := append(slices.Clone(next), strings.ToLower(group)); !sameSet(asked, want) {
		t.Errorf("the daily run after the clean-up asked for the schedules of %v, want %v (the next run's and the affected group)", asked, want)
	}
	t.Logf("schedule lists (groups, both kinds): after the clean-up %v, next run %v", asked, next)
}

// completeExports returns a function that exports to r with opts (and
// mutate, when set) and fails the test when the export is incomplete.
func completeExports(t *testing.T, c *graph.Client, r *snapshot.Repo, opts func(*Options)) func(what string, mutate func(*Options)) *Result {
	return func(what string, mutate func(*Options)) *Result {
		t.Helper()
		res := mustExport(t, c, r, func(o *Options) {
			opts(o)
			if mutate != nil {
				mutate(o)
			}
		})
		if !res.Complete() {
			t.Fatalf("%s: incomplete %+v", what, res.Incomplete())
		}
		return res
	}
}

// pimShows says whether a PIM for Groups file at r's HEAD names every id.
func pimShows(t *testing.T, r *snapshot.Repo, ids ...string) bool {
	t.Helper()
	for p, data := range tree(t, r, "HEAD") {
		if strings.HasPrefix(p, "pim-groups/") && !slices.ContainsFunc(ids, func(id string) bool {
			return !bytes.Contains(data, []byte(strings.ToLower(id)))
		}) {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
