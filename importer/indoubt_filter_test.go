package importer

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/live"
)

// A create whose answer was lost is looked for by a $filter on its name
// (layout.Kind.NameFilter), under realistic throttling and replication
// lag, with a name full of what breaks query strings and OData literals:
// the name's quotes are doubled, the filter finds the object Graph made,
// and the kind is not listed whole. When Graph refuses the filter (400), the kind is
// listed instead and the object found the same.
func TestInDoubtCreateFoundByItsNameFilter(t *testing.T) {
	const hostile = "O'Brien's \"HQ\" \u200f\u202e \U0001F680 ../a&b=c+d #1 %20 ''\nsecond line"
	const path = "/v1.0/identity/conditionalAccess/namedLocations"
	for _, refuse := range []bool{false, true} {
		name := "filtered"
		if refuse {
			name = "filter refused"
		}
		t.Run(name, func(t *testing.T) {
			lf := &loseFirst{made: true, match: func(r *http.Request) bool { return r.Method == "POST" && r.URL.Path == path }}
			var mu sync.Mutex
			var filters []string
			var events []string // "create", "list" and "filter", in the order Graph saw them
			watch := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "POST" && r.URL.Path == path {
						mu.Lock()
						events = append(events, "create")
						mu.Unlock()
					}
					if r.Method == "GET" && r.URL.Path == path {
						f := r.URL.Query().Get("$filter")
						mu.Lock()
						if f != "" {
							filters = append(filters, f)
							events = append(events, "filter")
						} else {
							events = append(events, "list")
						}
						mu.Unlock()
						if f != "" && refuse {
							w.Header().Set("Content-Type", "application/json")
							w.WriteHeader(400)
							_, _ = w.Write([]byte(`{"error":{"code":"BadRequest","message":"Invalid filter clause"}}`))
							return
						}
					}
					h.ServeHTTP(w, r)
				})
			}
			o := realisticSim()
			o.FaultRate = 0 // the one lost answer is lf's
			e := newEnv(t, o, func(h http.Handler) http.Handler { return lf.wrap(watch(h)) })
			loc := unusedNamedLocation(e)
			id := str(loc["id"])
			e.do("PATCH", path+"/"+id, map[string]any{"@odata.type": loc["@odata.type"], "displayName": hostile})
			e.sim.Clock().Advance(time.Minute)
			rev := e.snapshot("a hostile name")
			e.do("DELETE", path+"/"+id, nil)
			e.sim.Clock().Advance(time.Minute)
			p := e.plan(rev, []string{id}, Options{})
			if c := p.Counts(); c[OpCreate] != 1 {
				t.Fatalf("want the location's create:\n%s", render(p))
			}
			mu.Lock()
			filters, events = nil, nil
			mu.Unlock()
			lf.arm()
			res := e.apply(p)
			if len(lf.lost) != 1 {
				t.Fatalf("lost %v, want the location's create", lf.lost)
			}
			var made []string
			for _, l := range e.sim.Tenant().List("namedLocation") {
				if str(l["displayName"]) == hostile {
					made = append(made, str(l["id"]))
				}
			}
			if len(made) != 1 {
				for _, l := range e.sim.Tenant().List("namedLocation") {
					t.Logf("location %s %q", str(l["id"]), str(l["displayName"]))
				}
				for _, a := range res.Actions {
					t.Logf("action %s %s %s %s %q", a.ID, a.Op, a.Status, a.Error, a.NewID)
				}
				t.Fatalf("%d locations named %q after the apply, want the one Graph made", len(made), hostile)
			}
			for _, a := range res.Actions {
				if a.Op == OpCreate && (a.Status != StatusDone || a.NewID != made[0]) {
					t.Errorf("the create whose answer was lost is %s as %q (%s), want done as %s", a.Status, a.NewID, a.Error, made[0])
				}
			}
			mu.Lock()
			defer mu.Unlock()
			want := "displayName eq " + live.ODataString(hostile)
			if len(filters) == 0 || filters[0] != want {
				t.Errorf("filters sent %q, want %q", filters, want)
			}
			// The look for the create runs from the create (the plan's
			// check lists before it) to the last filtered read (the
			// recorded snapshot lists after it).
			first, last := -1, -1
			for i, ev := range events {
				switch ev {
				case "create":
					first = i
				case "filter":
					last = i
				}
			}
			listedWhileLooking := first >= 0 && last > first && slices.Contains(events[first:last], "list")
			if !refuse && (last < 0 || listedWhileLooking) {
				t.Errorf("requests while looking for the create %q: the kind was listed although Graph filters it by name", events)
			}
			if refuse && !slices.Contains(events[max(last, 0):], "list") {
				t.Errorf("requests %q: Graph refused the filter and the kind was not listed instead", events)
			}
		})
	}
}
