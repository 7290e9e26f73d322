package graphsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// thrEpoch freezes the clock so throttling windows move only with Advance.
var thrEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// thrAnswer is what one HTTP call returned.
type thrAnswer struct {
	status int
	header http.Header
	body   []byte
}

// graphError decodes Graph's error JSON.
func (a thrAnswer) graphError(t *testing.T) (code, message string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %q is not Graph's error JSON: %v", a.body, err)
	}
	return e.Error.Code, e.Error.Message
}

// thrServer starts a frozen-clock server in the given throttle mode with a
// domain and users users, and returns it with its HTTP front and the user ids.
func thrServer(t *testing.T, mode string, users int) (*Server, *httptest.Server, []string) {
	t.Helper()
	s, err := New(Options{Seed: 1, Throttle: mode, Now: thrEpoch})
	if err != nil {
		t.Fatal(err)
	}
	if s.Tenant().Count("domain") == 0 {
		if _, err := s.Tenant().Seed("domain", map[string]any{"id": "contoso.onmicrosoft.com", "isVerified": true, "isDefault": true}); err != nil {
			t.Fatal(err)
		}
	}
	// users is the tenant's total: it starts with its first admin.
	var ids []string
	for _, u := range s.Tenant().List("user") {
		ids = append(ids, str(u["id"]))
	}
	for i := len(ids); i < users; i++ {
		id, err := s.Tenant().Seed("user", map[string]any{
			"displayName":       fmt.Sprintf("User %d", i),
			"userPrincipalName": fmt.Sprintf("user%d@contoso.onmicrosoft.com", i),
			"mailNickname":      fmt.Sprintf("user%d", i),
			"accountEnabled":    true,
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts, ids
}

// thrDo sends one request with the bearer token and reads the whole answer.
func thrDo(t *testing.T, ts *httptest.Server, token, method, path, body string) thrAnswer {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return thrAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

// thrLimits changes the throttler's limits under its lock, so the change is
// ordered before the requests that follow.
func thrLimits(s *Server, set func(th *throttler)) {
	s.thr.mu.Lock()
	set(s.thr)
	s.thr.mu.Unlock()
}

// thrAddApp grants a second app a token with every permission.
func thrAddApp(s *Server, appID string) string {
	tok := "test." + appID
	s.mu.Lock()
	s.tokens[tok] = &principal{appID: appID, all: true}
	s.mu.Unlock()
	return tok
}

// thrBurst sends GETs of path until the first non-200 answer (or max) and
// returns how many succeeded and the answer that stopped the burst.
func thrBurst(t *testing.T, ts *httptest.Server, token, path string, max int) (int, thrAnswer) {
	t.Helper()
	for n := 0; n < max; n++ {
		a := thrDo(t, ts, token, http.MethodGet, path, "")
		if a.status != http.StatusOK {
			return n, a
		}
	}
	return max, thrAnswer{}
}

func TestThrottleBurstExhaustsReadBucket(t *testing.T) {
	s, ts, _ := thrServer(t, "realistic", 3)
	tok := s.Token()
	scope := "Tenant_Application/ReadWrite/graphsim/" + s.TenantID()

	ok, stop := thrBurst(t, ts, tok, "/v1.0/users", 5000)
	if want := 3500 / 2; ok != want {
		t.Fatalf("GET /users succeeded %d times before throttling, want %d (3,500 RU at 2 RU each)", ok, want)
	}
	if stop.status != http.StatusTooManyRequests {
		t.Fatalf("burst stopped with %d %s, want 429", stop.status, stop.body)
	}
	for _, h := range []struct{ name, want string }{
		{"Retry-After", "1"}, // 2 RU refill in 5.7 ms, rounded up to whole seconds
		{"x-ms-throttle-scope", scope},
		{"x-ms-throttle-information", "ResourceUnitLimitExceeded"},
	} {
		if got := stop.header.Get(h.name); got != h.want {
			t.Errorf("429 header %s = %q, want %q", h.name, got, h.want)
		}
	}
	if code, msg := stop.graphError(t); code != "TooManyRequests" || msg != "Please retry again later." {
		t.Errorf("429 error = %q %q, want TooManyRequests %q", code, msg, "Please retry again later.")
	}

	// Refused requests are not charged: still throttled at the same instant.
	if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", ""); a.status != http.StatusTooManyRequests {
		t.Fatalf("second request after exhaustion: %d, want 429", a.status)
	}
	// One second refills 350 RU: 175 more list calls.
	s.Clock().Advance(time.Second)
	if ok, _ := thrBurst(t, ts, tok, "/v1.0/users", 5000); ok != 175 {
		t.Errorf("after Advance(1s): %d calls succeeded, want 175", ok)
	}
	// The full window restores the whole bucket.
	s.Clock().Advance(10 * time.Second)
	if ok, _ := thrBurst(t, ts, tok, "/v1.0/users", 5000); ok != 1750 {
		t.Errorf("after Advance(10s): %d calls succeeded, want 1750", ok)
	}
}

func TestThrottleRetryAfterIsTimeToRefill(t *testing.T) {
	s, ts, _ := thrServer(t, "realistic", 3)
	// 100 RU per 10 s: 10 RU per second.
	thrLimits(s, func(th *throttler) { th.ruSmall = 100 })
	tok := s.Token()
	if ok, _ := thrBurst(t, ts, tok, "/v1.0/users", 1000); ok != 50 {
		t.Fatalf("%d list calls succeeded, want 50", ok)
	}
	// The next call needs 2 RU back: 0.2 s, rounded up to whole seconds.
	a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", "")
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", a.status)
	}
	if got := a.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	s.Clock().Advance(time.Second)
	if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", ""); a.status != http.StatusOK {
		t.Errorf("after waiting Retry-After: %d %s, want 200", a.status, a.body)
	}

	// Retry-After grows with the refill needed: with 10 RU per 100 s (0.1 RU/s)
	// a 2 RU call on a full bucket waits 20 s.
	thrLimits(s, func(th *throttler) { th.ruSmall, th.ruWindow = 10, 100*time.Second })
	s.Clock().Advance(time.Hour)
	if ok, _ := thrBurst(t, ts, tok, "/v1.0/users", 100); ok != 5 {
		t.Fatalf("%d calls succeeded on a 10 RU bucket, want 5", ok)
	}
	a = thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", "")
	if got := a.header.Get("Retry-After"); a.status != 429 || got != "20" {
		t.Errorf("got %d with Retry-After %q, want 429 with 20", a.status, got)
	}
	s.Clock().Advance(19 * time.Second)
	if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", ""); a.status != 429 {
		t.Errorf("after 19 s: %d, want still 429", a.status)
	}
	s.Clock().Advance(time.Second)
	if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", ""); a.status != 200 {
		t.Errorf("after 20 s: %d %s, want 200", a.status, a.body)
	}
}

func TestThrottleBucketSizeFollowsTenantSize(t *testing.T) {
	for _, tc := range []struct {
		users int
		want  int // successful 1 RU calls in one burst
	}{
		{users: 49, want: 10},  // S: fewer than 50 users
		{users: 50, want: 20},  // M: 50 to 500
		{users: 500, want: 20}, // M
		{users: 501, want: 40}, // L: more than 500
	} {
		t.Run(strconv.Itoa(tc.users), func(t *testing.T) {
			s, ts, users := thrServer(t, "realistic", tc.users)
			// The real sizes scaled down: S 3,500 → 10, M 5,000 → 20, L 8,000 → 40.
			thrLimits(s, func(th *throttler) { th.ruSmall, th.ruMedium, th.ruLarge = 10, 20, 40 })
			ok, stop := thrBurst(t, ts, s.Token(), "/v1.0/users/"+users[0], 1000)
			if ok != tc.want || stop.status != 429 {
				t.Errorf("%d users: %d calls succeeded then %d, want %d then 429", tc.users, ok, stop.status, tc.want)
			}
		})
	}
}

func TestThrottleCosts(t *testing.T) {
	for _, mode := range []string{"realistic", "off"} {
		t.Run(mode, func(t *testing.T) {
			s, ts, users := thrServer(t, mode, 2)
			gid, err := s.Tenant().Seed("group", map[string]any{"displayName": "G", "mailEnabled": false, "mailNickname": "g", "securityEnabled": true})
			if err != nil {
				t.Fatal(err)
			}
			spid, err := s.Tenant().Seed("servicePrincipal", map[string]any{"appId": "00000000-0000-0000-0000-0000000000aa", "displayName": "SP"})
			if err != nil {
				t.Fatal(err)
			}
			u := users[0]
			for _, tc := range []struct {
				method, path, body string
				want               string
			}{
				{"GET", "/v1.0/users", "", "2"},
				{"GET", "/v1.0/users?$select=id,displayName", "", "1"},
				{"GET", "/v1.0/users?$top=5", "", "1"},
				{"GET", "/v1.0/users?$top=20", "", "2"},
				{"GET", "/v1.0/users?$top=5&$select=id", "", "1"}, // never below 1
				{"GET", "/v1.0/users/" + u, "", "1"},
				{"GET", "/v1.0/users/" + u + "?$select=id", "", "1"},
				{"GET", "/v1.0/groups", "", "1"},
				{"GET", "/v1.0/groups/" + gid + "/members", "", "3"},
				{"GET", "/v1.0/groups/" + gid + "/members?$select=id", "", "2"},
				{"GET", "/v1.0/groups/" + gid + "/members?$expand=manager", "", "4"},
				{"GET", "/v1.0/applications", "", "2"},
				{"GET", "/v1.0/oauth2PermissionGrants", "", "2"},
				{"GET", "/v1.0/servicePrincipals/" + spid + "/appRoleAssignments", "", "2"},
				{"GET", "/v1.0/servicePrincipals/" + spid + "/appRoleAssignedTo", "", "1"},
				{"GET", "/v1.0/directoryObjects/" + u, "", "1"},
				{"POST", "/v1.0/directoryObjects/getByIds", `{"ids":["` + u + `"]}`, "5"},
				// PIM for Groups schedules: strict reading, the directory
				// budget at 1 unit (doc.go, "PIM for Groups").
				{"GET", "/v1.0/identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=" + url.QueryEscape("groupId eq '"+gid+"'"), "", "1"},
				{"GET", "/v1.0/identityGovernance/privilegedAccess/group/assignmentSchedules?$select=id&$filter=" + url.QueryEscape("groupId eq '"+gid+"'"), "", "1"},
				{"PATCH", "/v1.0/users/" + u, `{"jobTitle":"Engineer"}`, "1"},
				{"DELETE", "/v1.0/groups/" + gid, "", "1"},
			} {
				a := thrDo(t, ts, s.Token(), tc.method, tc.path, tc.body)
				if got := a.header.Get("x-ms-resource-unit"); got != tc.want {
					t.Errorf("%s %s: x-ms-resource-unit = %q, want %q (status %d)", tc.method, tc.path, got, tc.want, a.status)
				}
				if a.status >= 400 {
					t.Errorf("%s %s: %d %s, want success", tc.method, tc.path, a.status, a.body)
				}
			}
			// Kinds outside the directory model carry no resource units.
			a := thrDo(t, ts, s.Token(), "GET", "/v1.0/identity/conditionalAccess/policies", "")
			if got := a.header.Get("x-ms-resource-unit"); got != "" {
				t.Errorf("CA policies: x-ms-resource-unit = %q, want none", got)
			}
		})
	}
}

func TestThrottleLimitPercentageHeader(t *testing.T) {
	s, ts, _ := thrServer(t, "realistic", 3)
	// Request i of the burst leaves 2·i of 3,500 RU used.
	want := map[int]string{1: "", 1400: "", 1401: "0.8", 1574: "0.8", 1575: "0.9", 1749: "0.9", 1750: "1.0"}
	for i := 1; i <= 1750; i++ {
		a := thrDo(t, ts, s.Token(), http.MethodGet, "/v1.0/users", "")
		if a.status != 200 {
			t.Fatalf("request %d: %d, want 200", i, a.status)
		}
		w, check := want[i]
		got, present := a.header.Get("x-ms-throttle-limit-percentage"), len(a.header.Values("x-ms-throttle-limit-percentage")) > 0
		if check && got != w {
			t.Errorf("request %d: x-ms-throttle-limit-percentage = %q, want %q", i, got, w)
		}
		if i <= 1400 && present {
			t.Fatalf("request %d (%d%% used): unexpected x-ms-throttle-limit-percentage %q", i, i*2*100/3500, got)
		}
	}
}

func TestThrottleLimitPercentageAboveOne(t *testing.T) {
	s, ts, _ := thrServer(t, "realistic", 3)
	thrLimits(s, func(th *throttler) { th.ruSmall = 10 }) // 1 RU per second
	tok := s.Token()
	if ok, _ := thrBurst(t, ts, tok, "/v1.0/users", 100); ok != 5 {
		t.Fatalf("%d calls succeeded on a 10 RU bucket, want 5", ok)
	}
	// The call that stopped the burst and two more are refused: 6 RU of
	// demand over the limit.
	for range 2 {
		if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", ""); a.status != 429 {
			t.Fatalf("status %d, want 429", a.status)
		}
	}
	// 2 s later: 8 RU used, 4 RU refused demand left; the next call brings
	// used to 10: (10+4)/10.
	s.Clock().Advance(2 * time.Second)
	a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", "")
	if a.status != 200 {
		t.Fatalf("status %d, want 200", a.status)
	}
	if got := a.header.Get("x-ms-throttle-limit-percentage"); got != "1.4" {
		t.Errorf("x-ms-throttle-limit-percentage = %q, want 1.4", got)
	}
}

func TestThrottleLimitPercentageFormat(t *testing.T) {
	for _, tc := range []struct {
		share float64
		want  string
	}{
		{0, ""}, {0.8, ""}, {0.8001, "0.8"}, {0.9, "0.9"}, {0.99, "0.9"}, {1, "1.0"},
		{1.25, "1.2"}, {1.8, "1.8"}, {2.5, "1.8"},
	} {
		got, ok := limitPercentage(tc.share)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("limitPercentage(%v) = %q, %v; want %q", tc.share, got, ok, tc.want)
		}
	}
}

func TestThrottleWriteQuota(t *testing.T) {
	t.Run("per app and tenant", func(t *testing.T) {
		s, ts, users := thrServer(t, "realistic", 3)
		thrLimits(s, func(th *throttler) { th.appWrites = 3 }) // 3 writes / 150 s
		tok, other := s.Token(), thrAddApp(s, "11111111-1111-1111-1111-111111111111")
		patch := func(tok string) thrAnswer {
			return thrDo(t, ts, tok, http.MethodPatch, "/v1.0/users/"+users[0], `{"jobTitle":"x"}`)
		}
		for i := range 3 {
			if a := patch(tok); a.status >= 300 {
				t.Fatalf("write %d: %d %s", i+1, a.status, a.body)
			}
		}
		a := patch(tok)
		if a.status != 429 {
			t.Fatalf("4th write: %d, want 429", a.status)
		}
		for _, h := range []struct{ name, want string }{
			{"Retry-After", "50"}, // one write back at 3 per 150 s
			{"x-ms-throttle-scope", "Tenant_Application/Write/graphsim/" + s.TenantID()},
			{"x-ms-throttle-information", "WriteLimitExceeded"},
		} {
			if got := a.header.Get(h.name); got != h.want {
				t.Errorf("429 header %s = %q, want %q", h.name, got, h.want)
			}
		}
		// Reads are not writes; another app has its own write quota.
		if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", ""); a.status != 200 {
			t.Errorf("read after write quota exhausted: %d, want 200", a.status)
		}
		if a := patch(other); a.status >= 300 {
			t.Errorf("write by another app: %d %s, want success", a.status, a.body)
		}
		s.Clock().Advance(50 * time.Second)
		if a := patch(tok); a.status >= 300 {
			t.Errorf("write after Retry-After: %d %s, want success", a.status, a.body)
		}
	})
	t.Run("tenant wide", func(t *testing.T) {
		s, ts, users := thrServer(t, "realistic", 3)
		thrLimits(s, func(th *throttler) { th.tenantWrites = 2 }) // 2 writes / 5 min, all apps
		apps := []string{s.Token(), thrAddApp(s, "22222222-2222-2222-2222-222222222222")}
		for i, tok := range apps {
			if a := thrDo(t, ts, tok, http.MethodPatch, "/v1.0/users/"+users[0], `{"jobTitle":"x"}`); a.status >= 300 {
				t.Fatalf("write %d: %d %s", i+1, a.status, a.body)
			}
		}
		a := thrDo(t, ts, apps[1], http.MethodDelete, "/v1.0/users/"+users[1], "")
		if a.status != 429 {
			t.Fatalf("3rd write in the tenant: %d, want 429", a.status)
		}
		if got, want := a.header.Get("x-ms-throttle-scope"), "Tenant/Write/22222222-2222-2222-2222-222222222222/"+s.TenantID(); got != want {
			t.Errorf("x-ms-throttle-scope = %q, want %q", got, want)
		}
		if got := a.header.Get("Retry-After"); got != "150" {
			t.Errorf("Retry-After = %q, want 150 (one write back at 2 per 300 s)", got)
		}
		if _, ok := s.Tenant().Get("user", users[1]); !ok {
			t.Error("the throttled DELETE removed the user")
		}
	})
	t.Run("write costs RU too", func(t *testing.T) {
		s, ts, users := thrServer(t, "realistic", 3)
		thrLimits(s, func(th *throttler) { th.ruSmall = 3 })
		for i := range 3 {
			if a := thrDo(t, ts, s.Token(), http.MethodPatch, "/v1.0/users/"+users[0], `{"jobTitle":"x"}`); a.status >= 300 {
				t.Fatalf("write %d: %d %s", i+1, a.status, a.body)
			}
		}
		a := thrDo(t, ts, s.Token(), http.MethodPatch, "/v1.0/users/"+users[0], `{"jobTitle":"x"}`)
		if got := a.header.Get("x-ms-throttle-information"); a.status != 429 || got != "ResourceUnitLimitExceeded" {
			t.Errorf("4th write on a 3 RU bucket: %d %q, want 429 ResourceUnitLimitExceeded", a.status, got)
		}
	})
}

func TestThrottleConditionalAccessOneRequestPerSecond(t *testing.T) {
	paths := []string{
		"/v1.0/identity/conditionalAccess/policies",
		"/v1.0/identity/conditionalAccess/namedLocations",
		"/beta/identity/conditionalAccess/deletedItems/policies",
		"/beta/identity/conditionalAccess/deletedItems/namedLocations",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			s, ts, _ := thrServer(t, "realistic", 3)
			s.opts.CARecycleBinAppOnly = true // the CA recycle bin as a Graph that allows app-only tokens
			tok, other := s.Token(), thrAddApp(s, "33333333-3333-3333-3333-333333333333")
			if a := thrDo(t, ts, tok, http.MethodGet, p, ""); a.status != 200 {
				t.Fatalf("first GET: %d %s, want 200", a.status, a.body)
			}
			// Same clock second, another app: the limit is per tenant.
			for _, tk := range []string{tok, other} {
				a := thrDo(t, ts, tk, http.MethodGet, p, "")
				if a.status != 429 {
					t.Fatalf("second GET in the same second: %d, want 429", a.status)
				}
				if ra := a.header.Values("Retry-After"); len(ra) != 0 {
					t.Errorf("CA 429 carries Retry-After %q; Graph sends none", ra)
				}
				if code, _ := a.graphError(t); code != "TooManyRequests" {
					t.Errorf("error code %q, want TooManyRequests", code)
				}
			}
			s.Clock().Advance(time.Second)
			if a := thrDo(t, ts, other, http.MethodGet, p, ""); a.status != 200 {
				t.Errorf("after Advance(1s): %d %s, want 200", a.status, a.body)
			}
		})
	}
	t.Run("shared across CA kinds, not with directory kinds", func(t *testing.T) {
		s, ts, _ := thrServer(t, "realistic", 3)
		if a := thrDo(t, ts, s.Token(), http.MethodGet, paths[0], ""); a.status != 200 {
			t.Fatalf("policies: %d", a.status)
		}
		if a := thrDo(t, ts, s.Token(), http.MethodGet, "/v1.0/users", ""); a.status != 200 {
			t.Errorf("users right after a CA call: %d, want 200", a.status)
		}
		if a := thrDo(t, ts, s.Token(), http.MethodGet, paths[1], ""); a.status != 429 {
			t.Errorf("namedLocations in the same second as policies: %d, want 429", a.status)
		}
	})
}

func TestThrottleOff(t *testing.T) {
	for _, mode := range []string{"off", ""} {
		t.Run(fmt.Sprintf("%q", mode), func(t *testing.T) {
			s, ts, users := thrServer(t, mode, 3)
			for i := range 2000 {
				a := thrDo(t, ts, s.Token(), http.MethodGet, "/v1.0/users", "")
				if a.status != 200 {
					t.Fatalf("request %d: %d, want 200", i+1, a.status)
				}
				if got := a.header.Get("x-ms-resource-unit"); got != "2" {
					t.Fatalf("request %d: x-ms-resource-unit = %q, want 2", i+1, got)
				}
				if got := a.header.Get("x-ms-throttle-limit-percentage"); got != "" {
					t.Fatalf("request %d: x-ms-throttle-limit-percentage = %q with throttling off", i+1, got)
				}
			}
			for i := range 5 {
				if a := thrDo(t, ts, s.Token(), http.MethodGet, "/v1.0/identity/conditionalAccess/policies", ""); a.status != 200 {
					t.Fatalf("CA request %d: %d, want 200", i+1, a.status)
				}
				if a := thrDo(t, ts, s.Token(), http.MethodPatch, "/v1.0/users/"+users[0], `{"jobTitle":"x"}`); a.status >= 300 {
					t.Fatalf("write %d: %d", i+1, a.status)
				}
			}
			if st := s.Stats(); st.Throttled != 0 || st.ResourceUnits != 2000*2+5 {
				t.Errorf("stats: %d throttled, %d RU; want 0 and %d", st.Throttled, st.ResourceUnits, 2000*2+5)
			}
		})
	}
}

// TestGovernanceFamiliesThrottledAsDirectory: role management, entitlement
// management, access reviews and lifecycle workflows draw on the directory
// resource-unit budget at 1 unit a request (doc.go, "Throttling": Graph
// documents no limit of their own, so the strict reading, as for PIM for
// Groups). Each family's read is refused with Graph's 429 once the bucket is
// spent, with Retry-After the time to refill its cost, and answers again
// after it; a write costs 1 unit and one write.
func TestGovernanceFamiliesThrottledAsDirectory(t *testing.T) {
	for _, fam := range []struct{ family, list, singleton, write string }{
		{"role management", "/v1.0/roleManagement/directory/roleDefinitions", "/v1.0/roleManagement/directory/roleAssignments",
			"/v1.0/roleManagement/directory/roleEligibilityScheduleRequests"},
		{"role management schedules", "/v1.0/roleManagement/directory/roleEligibilitySchedules", "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances",
			"/v1.0/roleManagement/directory/roleAssignmentScheduleRequests"},
		{"entitlement management", "/v1.0/identityGovernance/entitlementManagement/accessPackages", "/v1.0/identityGovernance/entitlementManagement/settings",
			"/v1.0/identityGovernance/entitlementManagement/resourceRequests"},
		{"entitlement management catalogs", "/v1.0/identityGovernance/entitlementManagement/catalogs", "/v1.0/identityGovernance/entitlementManagement/connectedOrganizations",
			"/v1.0/identityGovernance/entitlementManagement/assignmentPolicies"},
		{"access reviews", "/v1.0/identityGovernance/accessReviews/definitions", "/v1.0/identityGovernance/accessReviews/definitions?$top=5",
			"/v1.0/identityGovernance/accessReviews/definitions"},
		{"lifecycle workflows", "/v1.0/identityGovernance/lifecycleWorkflows/workflows", "/v1.0/identityGovernance/lifecycleWorkflows/settings",
			"/v1.0/identityGovernance/lifecycleWorkflows/customTaskExtensions"},
		{"lifecycle workflows deleted", "/v1.0/identityGovernance/lifecycleWorkflows/deletedItems/workflows", "/v1.0/identityGovernance/lifecycleWorkflows/customTaskExtensions",
			"/v1.0/identityGovernance/lifecycleWorkflows/workflows"},
		// Authentication policies, branding, certificate-based authentication
		// and feature rollouts (doc.go, each section's throttling row; {org} is the
		// organization's id).
		{"authentication strengths", "/v1.0/policies/authenticationStrengthPolicies", "/v1.0/policies/authenticationMethodsPolicy",
			"/v1.0/policies/authenticationStrengthPolicies"},
		{"authentication methods", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
			"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2",
			"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations"},
		{"branding", "/v1.0/organization/{org}/branding/localizations", "/v1.0/organization/{org}/branding/localizations?$top=5",
			"/v1.0/organization/{org}/branding/localizations"},
		{"certificate-based authentication", "/v1.0/organization/{org}/certificateBasedAuthConfiguration",
			"/v1.0/organization/{org}/certificateBasedAuthConfiguration?$top=5", "/v1.0/organization/{org}/certificateBasedAuthConfiguration"},
		{"feature rollouts", "/v1.0/policies/featureRolloutPolicies", "/v1.0/policies/featureRolloutPolicies?$top=5",
			"/v1.0/policies/featureRolloutPolicies"},
	} {
		t.Run(fam.family, func(t *testing.T) {
			s, ts, _ := thrServer(t, "realistic", 3)
			org := s.Tenant().List("organization")[0]["id"].(string)
			fam.list = strings.ReplaceAll(fam.list, "{org}", org)
			fam.singleton = strings.ReplaceAll(fam.singleton, "{org}", org)
			fam.write = strings.ReplaceAll(fam.write, "{org}", org)
			// 10 units per 10 s: 1 unit back a second.
			thrLimits(s, func(th *throttler) { th.ruSmall = 10 })
			tok := s.Token()
			scope := "Tenant_Application/ReadWrite/graphsim/" + s.TenantID()
			for _, p := range []string{fam.list, fam.singleton} {
				a := thrDo(t, ts, tok, http.MethodGet, p, "")
				if a.status != http.StatusOK || a.header.Get("x-ms-resource-unit") != "1" {
					t.Fatalf("GET %s: %d with x-ms-resource-unit %q, want 200 with 1: %s", p, a.status, a.header.Get("x-ms-resource-unit"), a.body)
				}
			}
			// A write (refused or not: Graph charges what it answers) costs 1.
			a := thrDo(t, ts, tok, http.MethodPost, fam.write, `{}`)
			if a.status == http.StatusTooManyRequests || a.header.Get("x-ms-resource-unit") != "1" {
				t.Fatalf("POST %s: %d with x-ms-resource-unit %q, want 1 unit charged: %s", fam.write, a.status, a.header.Get("x-ms-resource-unit"), a.body)
			}
			// 3 units spent: 7 more reads, then the 429.
			ok, stop := thrBurst(t, ts, tok, fam.list, 100)
			if ok != 7 {
				t.Fatalf("GET %s succeeded %d times on the 7 units left, want 7", fam.list, ok)
			}
			if stop.status != http.StatusTooManyRequests {
				t.Fatalf("burst stopped with %d %s, want 429", stop.status, stop.body)
			}
			for _, h := range []struct{ name, want string }{
				{"Retry-After", "1"}, // 1 unit back in 1 s
				{"x-ms-throttle-scope", scope},
				{"x-ms-throttle-information", "ResourceUnitLimitExceeded"},
			} {
				if got := stop.header.Get(h.name); got != h.want {
					t.Errorf("429 header %s = %q, want %q", h.name, got, h.want)
				}
			}
			if code, _ := stop.graphError(t); code != "TooManyRequests" {
				t.Errorf("429 error code %q, want TooManyRequests", code)
			}
			// The same budget: the family's 429 holds for users too, and a
			// write of the family is refused alike.
			if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users?$select=id", ""); a.status != http.StatusTooManyRequests {
				t.Errorf("GET /users after the family spent the budget: %d, want 429", a.status)
			}
			if a := thrDo(t, ts, tok, http.MethodPost, fam.write, `{}`); a.status != http.StatusTooManyRequests {
				t.Errorf("POST %s on a spent budget: %d, want 429", fam.write, a.status)
			}
			s.Clock().Advance(time.Second)
			if a := thrDo(t, ts, tok, http.MethodGet, fam.singleton, ""); a.status != http.StatusOK {
				t.Errorf("GET %s after Retry-After: %d %s, want 200", fam.singleton, a.status, a.body)
			}
		})
	}
}

// TestEveryRouteIsCharged walks graphsim's routes: every path of every kind
// (the catalog), the special roots and the special routes below a kind, found
// in graphsim's source, so a kind or route added without a throttling model
// fails here (graphsim is never kinder than Graph: doc.go, the sections' throttling rows).
// A route of the directory budget answers x-ms-resource-unit.
func TestEveryRouteIsCharged(t *testing.T) {
	s, ts, users := thrServer(t, "off", 3)
	org := s.Tenant().List("organization")[0]["id"].(string)
	scopeOf := func(path string) (string, *route) {
		t.Helper()
		rt, aerr := s.route(&request{method: http.MethodGet, version: "beta", path: path})
		if aerr != nil {
			t.Fatalf("route %s: %v", path, aerr.Message)
		}
		return throttleScope(rt), rt
	}
	for _, k := range kinds {
		for _, p := range k.Paths {
			p = strings.ReplaceAll(p, "{id}", org)
			paths := []string{p}
			if !k.Singleton {
				paths = append(paths, p+"/some-id")
			}
			for _, path := range paths {
				if sc, _ := scopeOf(path); sc == "" {
					t.Errorf("kind %s: %s is charged to no throttling budget (set Kind.Throttle)", k.Name, path)
				}
			}
		}
	}
	// One path for each special route (route.special), then the source's
	// list of them, so that a new one needs a path here.
	specials := map[string]string{
		"directoryAudits":    "auditLogs/directoryAudits",
		"emResourceRequests": "identityGovernance/entitlementManagement/resourceRequests",
		"invitations":        "invitations",
		"getByIds":           "directoryObjects/getByIds",
		"directoryObjects":   "directoryObjects/" + users[0],
		"dirDeleted":         "directory/deletedItems/" + users[0],
		"caDeleted":          "identity/conditionalAccess/deletedItems/policies",
		"brandingDefault":    "organization/" + org + "/branding",
		"brandingStream":     "organization/" + org + "/branding/localizations/0/bannerLogo",
		"appliesTo":          "policies/tokenLifetimePolicies/some-id/appliesTo",
		"emChild":            "identityGovernance/entitlementManagement/catalogs/some-id/resources",
		"userFlow":           "identity/b2xUserFlows/some-id/userFlowIdentityProviders",
		"identitySync":       "policies/crossTenantAccessPolicy/partners/some-id/identitySynchronization",
		"manager":            "users/" + users[0] + "/manager",
		"transitiveMemberOf": "users/" + users[0] + "/transitiveMemberOf",
		"scopedRoleMemberOf": "users/" + users[0] + "/scopedRoleMemberOf",
		"mfaRequirements":    "users/" + users[0] + "/authentication/requirements",
	}
	for name, path := range specials {
		sc, rt := scopeOf(path)
		if rt.special != name {
			t.Errorf("%s routes as special %q, want %q (fix the path in this test)", path, rt.special, name)
		}
		if sc == "" {
			t.Errorf("special route %s (%s) is charged to no throttling budget (throttleScope)", name, path)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	assign := regexp.MustCompile(`special:\s*"|\.special(,\s*[\w.]+)*\s*=[^=]`)
	literal := regexp.MustCompile(`"([a-z][A-Za-z]*)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if !assign.MatchString(code) {
				continue
			}
			for _, m := range literal.FindAllStringSubmatch(code, -1) {
				found++
				if _, ok := specials[m[1]]; !ok {
					t.Errorf("%s:%d: special route %q has no path in TestEveryRouteIsCharged: add one", f, i+1, m[1])
				}
			}
		}
	}
	if found < len(specials) {
		t.Errorf("found %d special routes in the source, want at least the %d listed (is the scan broken?)", found, len(specials))
	}
	// The directory's answers carry their cost: the deleted items' keyed
	// routes, which have no kind. (The audit log is a report: its own
	// bucket, no resource units: TestThrottleAuditLogFiveRequestsPerTenSeconds.)
	for _, p := range []string{"/v1.0/directory/deletedItems/" + users[0]} {
		if a := thrDo(t, ts, s.Token(), http.MethodGet, p, ""); a.header.Get("x-ms-resource-unit") != "1" {
			t.Errorf("GET %s: %d with x-ms-resource-unit %q, want 1", p, a.status, a.header.Get("x-ms-resource-unit"))
		}
	}
}

// TestAuthenticationStrengthsThrottledByPath: Graph documents no limit for
// authentication strength policies; below /identity/conditionalAccess graphsim
// takes Conditional Access's (1 request a second a tenant, 429 without
// Retry-After), under /policies the directory budget (doc.go, Authentication strengths).
func TestAuthenticationStrengthsThrottledByPath(t *testing.T) {
	s, ts, _ := thrServer(t, "realistic", 3)
	tok := s.Token()
	ca := "/v1.0/identity/conditionalAccess/authenticationStrength/policies"
	a := thrDo(t, ts, tok, http.MethodGet, ca, "")
	if a.status != http.StatusOK || a.header.Get("x-ms-resource-unit") != "" {
		t.Fatalf("GET %s: %d with x-ms-resource-unit %q, want 200 without it: %s", ca, a.status, a.header.Get("x-ms-resource-unit"), a.body)
	}
	var list struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(a.body, &list); err != nil || len(list.Value) == 0 {
		t.Fatalf("GET %s: %v, %d policies; want the built-in ones", ca, err, len(list.Value))
	}
	id := list.Value[0]["id"].(string)
	// The same second: the Conditional Access limit, shared with CA policies.
	for _, p := range []string{ca + "/" + id + "/combinationConfigurations", "/v1.0/identity/conditionalAccess/policies"} {
		a = thrDo(t, ts, tok, http.MethodGet, p, "")
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "" {
			t.Errorf("GET %s in the same second: %d with Retry-After %q, want 429 without it", p, a.status, a.header.Get("Retry-After"))
		}
	}
	// The /policies path is the directory budget's: 1 unit, not refused.
	for _, p := range []string{"/v1.0/policies/authenticationStrengthPolicies", "/v1.0/policies/authenticationStrengthPolicies/" + id} {
		a = thrDo(t, ts, tok, http.MethodGet, p, "")
		if a.status != http.StatusOK || a.header.Get("x-ms-resource-unit") != "1" {
			t.Errorf("GET %s: %d with x-ms-resource-unit %q, want 200 with 1", p, a.status, a.header.Get("x-ms-resource-unit"))
		}
	}
	s.Clock().Advance(time.Second)
	if a = thrDo(t, ts, tok, http.MethodGet, ca+"/"+id, ""); a.status != http.StatusOK {
		t.Errorf("GET %s a second later: %d, want 200", ca+"/"+id, a.status)
	}
}

// The directory audit log is an identity and access report: 5 requests per
// 10 s per app per tenant (learn:/graph/throttling-limits), 429 without
// Retry-After, not drawn from the directory resource units.
func TestThrottleAuditLogFiveRequestsPerTenSeconds(t *testing.T) {
	paths := []string{"/v1.0/auditLogs/directoryAudits", "/beta/auditLogs/directoryAudits?$top=5"}
	s, ts, _ := thrServer(t, "realistic", 3)
	tok, other := s.Token(), thrAddApp(s, "44444444-4444-4444-4444-444444444444")
	for i := 0; i < 5; i++ {
		a := thrDo(t, ts, tok, http.MethodGet, paths[i%2], "")
		if a.status != 200 {
			t.Fatalf("audit GET %d of 5: %d %s, want 200", i+1, a.status, a.body)
		}
		if ru := a.header.Get("x-ms-resource-unit"); ru != "" {
			t.Errorf("audit GET carries x-ms-resource-unit %q: reports are not directory resource units", ru)
		}
	}
	a := thrDo(t, ts, tok, http.MethodGet, paths[0], "")
	if a.status != 429 {
		t.Fatalf("sixth audit GET in the same 10 s: %d, want 429", a.status)
	}
	if code, _ := a.graphError(t); code != "TooManyRequests" {
		t.Errorf("error code %q, want TooManyRequests", code)
	}
	if ra := a.header.Values("Retry-After"); len(ra) != 0 {
		t.Errorf("reports 429 carries Retry-After %q; graphsim sends none (strict)", ra)
	}
	if sc := a.header.Get("x-ms-throttle-scope"); !strings.HasPrefix(sc, "Tenant_Application/ReadWrite/") {
		t.Errorf("x-ms-throttle-scope %q, want Tenant_Application/ReadWrite/...", sc)
	}
	// The directory budget is another bucket; another app has its own.
	if a := thrDo(t, ts, tok, http.MethodGet, "/v1.0/users", ""); a.status != 200 {
		t.Errorf("users after the audit log's limit: %d, want 200", a.status)
	}
	if a := thrDo(t, ts, other, http.MethodGet, paths[0], ""); a.status != 200 {
		t.Errorf("another app's audit GET: %d %s, want 200 (the limit is per app)", a.status, a.body)
	}
	// The bucket drains at 5 per 10 s: one request fits again after 2 s, not after 1 s.
	s.Clock().Advance(time.Second)
	if a := thrDo(t, ts, tok, http.MethodGet, paths[0], ""); a.status != 429 {
		t.Errorf("after 1 s: %d, want 429", a.status)
	}
	s.Clock().Advance(2 * time.Second)
	if a := thrDo(t, ts, tok, http.MethodGet, paths[0], ""); a.status != 200 {
		t.Errorf("after 3 s: %d %s, want 200", a.status, a.body)
	}
	if a := thrDo(t, ts, tok, http.MethodGet, paths[0], ""); a.status != 429 {
		t.Errorf("a second request after 3 s: %d, want 429", a.status)
	}
}
