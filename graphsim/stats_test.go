package graphsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stControl calls a /_graphsim endpoint with token ("" for none) and decodes
// the JSON answer into out when out is not nil.
func stControl(t *testing.T, ts *httptest.Server, token, method, path, body string, out any) int {
	t.Helper()
	if token == "" {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	a := thrDo(t, ts, token, method, path, body)
	if out != nil && a.status == http.StatusOK {
		if err := json.Unmarshal(a.body, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, a.body)
		}
	}
	return a.status
}

// stSequence sends a known mix of successes, 404s, 401s, 429s and faults and
// returns the stats it must produce.
func stSequence(t *testing.T, s *Server, ts *httptest.Server, users []string) Stats {
	t.Helper()
	tok := s.Token()
	thrLimits(s, func(th *throttler) { th.ruSmall = 5 }) // 5 RU per 10 s
	steps := []struct {
		method, path, body string
		token              string
		want               int
	}{
		{"GET", "/v1.0/users", "", tok, 200},             // 2 RU, 2 used
		{"GET", "/v1.0/users", "", tok, 200},             // 2 RU, 4 used
		{"GET", "/v1.0/users", "", tok, 429},             // would need 6
		{"GET", "/v1.0/users/" + users[0], "", tok, 200}, // 1 RU, 5 used
		{"GET", "/v1.0/users/" + users[1], "", tok, 429},
		{"GET", "/v1.0/users", "", "not-a-token", 401},
		{"GET", "/v1.0/identity/conditionalAccess/policies", "", tok, 200},
		{"GET", "/v1.0/identity/conditionalAccess/policies", "", tok, 429}, // 1 per second
	}
	for i, st := range steps {
		if a := thrDo(t, ts, st.token, st.method, st.path, st.body); a.status != st.want {
			t.Fatalf("step %d %s %s: %d %s, want %d", i+1, st.method, st.path, a.status, a.body, st.want)
		}
	}
	s.Clock().Advance(10 * time.Second)
	if a := thrDo(t, ts, tok, "GET", "/v1.0/users/00000000-0000-4000-8000-000000000000", ""); a.status != 404 {
		t.Fatalf("missing user: %d, want 404", a.status)
	}
	if a := thrDo(t, ts, tok, "PATCH", "/v1.0/users/"+users[0], `{"jobTitle":"x"}`); a.status != 204 {
		t.Fatalf("PATCH: %d %s, want 204", a.status, a.body)
	}
	// Three faulted requests, on connections that are never reused.
	s.faults.mu.Lock()
	s.faults.rate = 1
	s.faults.mu.Unlock()
	c := fltClient()
	for range 3 {
		if status, _, _, err := fltGet(t, c, ts, tok, "GET", "/v1.0/groups", ""); err == nil && status < 500 {
			t.Fatalf("faulted GET /groups answered %d", status)
		}
	}
	s.faults.mu.Lock()
	s.faults.rate = 0
	s.faults.mu.Unlock()

	return Stats{
		Requests: 13, ResourceUnits: 2 + 2 + 1 + 1 + 1, Throttled: 3, Faults: 3, Errors: 2,
		Endpoints: []EndpointStats{
			{Method: "GET", Path: "/groups", Requests: 3, Faults: 3},
			{Method: "GET", Path: "/identity/conditionalAccess/policies", Requests: 2, Throttled: 1},
			{Method: "GET", Path: "/users", Requests: 4, ResourceUnits: 4, Throttled: 1, Errors: 1},
			{Method: "GET", Path: "/users/{id}", Requests: 3, ResourceUnits: 2, Throttled: 1, Errors: 1},
			{Method: "PATCH", Path: "/users/{id}", Requests: 1, ResourceUnits: 1},
		},
	}
}

func TestStatsEndpoint(t *testing.T) {
	s, ts, users := thrServer(t, "realistic", 3)
	want := stSequence(t, s, ts, users)

	var got Stats
	if st := stControl(t, ts, s.Token(), "GET", "/_graphsim/stats", "", &got); st != 200 {
		t.Fatalf("GET /_graphsim/stats: %d", st)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GET /_graphsim/stats (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, s.Stats()); d != "" {
		t.Errorf("Server.Stats() (-want +got):\n%s", d)
	}

	// Control calls are not Graph calls: they leave the counters alone.
	var again Stats
	stControl(t, ts, s.Token(), "GET", "/_graphsim/stats", "", &again)
	if d := cmp.Diff(want, again); d != "" {
		t.Errorf("stats changed by reading them (-want +got):\n%s", d)
	}

	if st := stControl(t, ts, s.Token(), "POST", "/_graphsim/stats/reset", "", nil); st != 200 {
		t.Fatalf("POST /_graphsim/stats/reset: %d", st)
	}
	a := thrDo(t, ts, s.Token(), "GET", "/_graphsim/stats", "")
	var zero Stats
	if err := json.Unmarshal(a.body, &zero); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Stats{Endpoints: []EndpointStats{}}, zero); d != "" {
		t.Errorf("stats after reset (-want +got):\n%s", d)
	}
	if !strings.Contains(string(a.body), `"endpoints":[]`) {
		t.Errorf("stats after reset = %s, want an empty endpoints array", a.body)
	}

	// Counting starts again after a reset.
	thrDo(t, ts, s.Token(), "GET", "/v1.0/users/"+users[2], "")
	wantAfter := Stats{Requests: 1, ResourceUnits: 1, Endpoints: []EndpointStats{
		{Method: "GET", Path: "/users/{id}", Requests: 1, ResourceUnits: 1},
	}}
	if d := cmp.Diff(wantAfter, s.Stats()); d != "" {
		t.Errorf("stats after reset and one call (-want +got):\n%s", d)
	}
}

func TestStatsResetMethod(t *testing.T) {
	s, ts, users := thrServer(t, "off", 1)
	thrDo(t, ts, s.Token(), "GET", "/v1.0/users/"+users[0], "")
	s.ResetStats()
	if got := s.Stats(); got.Requests != 0 || len(got.Endpoints) != 0 {
		t.Errorf("after ResetStats: %+v, want zero", got)
	}
}

func TestStatsClockAdvance(t *testing.T) {
	s, ts, _ := thrServer(t, "off", 1)
	tok := s.Token()
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		moves                    time.Duration
	}{
		{"by duration", "POST", "/_graphsim/clock/advance?by=720h", "", 200, 720 * time.Hour},
		{"by seconds in the body", "POST", "/_graphsim/clock/advance", `{"seconds": 90}`, 200, 90 * time.Second},
		{"fractional seconds", "POST", "/_graphsim/clock/advance", `{"seconds": 1.5}`, 200, 1500 * time.Millisecond},
		{"backwards", "POST", "/_graphsim/clock/advance?by=-1h", "", 400, 0},
		{"bad duration", "POST", "/_graphsim/clock/advance?by=soon", "", 400, 0},
		{"bad body", "POST", "/_graphsim/clock/advance", `later`, 400, 0},
		{"wrong method", "GET", "/_graphsim/clock/advance?by=1h", "", 404, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Clock().Now()
			var out struct {
				Now string `json:"now"`
			}
			if st := stControl(t, ts, tok, tc.method, tc.path, tc.body, &out); st != tc.want {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, st, tc.want)
			}
			after := s.Clock().Now()
			if got := after.Sub(before); got != tc.moves {
				t.Errorf("Server.Clock() moved %v, want %v", got, tc.moves)
			}
			if tc.want == 200 && out.Now != after.Format(time.RFC3339) {
				t.Errorf("answer now = %q, want %q", out.Now, after.Format(time.RFC3339))
			}
		})
	}
	var now struct {
		Now string `json:"now"`
	}
	stControl(t, ts, tok, "GET", "/_graphsim/clock", "", &now)
	if want := thrEpoch.Add(720*time.Hour + 90*time.Second + 1500*time.Millisecond).Format(time.RFC3339); now.Now != want {
		t.Errorf("GET /_graphsim/clock = %q, want %q", now.Now, want)
	}
}

func TestStatsControlNeedsToken(t *testing.T) {
	s, ts, users := thrServer(t, "off", 1)
	thrDo(t, ts, s.Token(), "GET", "/v1.0/users/"+users[0], "")
	before := s.Clock().Now()
	for _, tc := range []struct{ method, path string }{
		{"GET", "/_graphsim/stats"},
		{"POST", "/_graphsim/stats/reset"},
		{"POST", "/_graphsim/clock/advance?by=720h"},
		{"GET", "/_graphsim/clock"},
		{"GET", "/_graphsim/state"},
	} {
		for _, token := range []string{"", "not-the-server-token"} {
			if st := stControl(t, ts, token, tc.method, tc.path, "", nil); st != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", tc.method, tc.path, token, st)
			}
		}
	}
	if got := s.Clock().Now(); !got.Equal(before) {
		t.Errorf("an unauthorized advance moved the clock from %v to %v", before, got)
	}
	if got := s.Stats().Requests; got != 1 {
		t.Errorf("an unauthorized reset changed the stats: %d requests, want 1", got)
	}
}
