package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	khttp "github.com/microsoft/kiota-http-go"
)

func TestRetryAfterHandling(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string // "" = header absent (Conditional Access)
		failures   int
		check      func(t *testing.T, waits []time.Duration)
	}{
		{"integer", "2", 1, func(t *testing.T, w []time.Duration) {
			mustEqual(t, "wait", w[0], 2*time.Second)
		}},
		{"fractional", "1.5", 1, func(t *testing.T, w []time.Duration) {
			mustEqual(t, "wait", w[0], 1500*time.Millisecond)
		}},
		{"absent uses exponential backoff", "", 3, func(t *testing.T, w []time.Duration) {
			for i, d := range w {
				lo := time.Second << i
				if d < lo || d > lo+lo/2 {
					t.Errorf("backoff %d = %v, want in [%v, %v]", i, d, lo, lo+lo/2)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			c, rec, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if int(n.Add(1)) <= tt.failures {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					graphError(w, 429, "TooManyRequests", "Please retry again later.", "rid-429")
					return
				}
				writeJSON(w, 200, map[string]any{"id": "p1"})
			}), nil)
			body, err := c.Get(context.Background(), "/v1.0/identity/conditionalAccess/policies/p1")
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !strings.Contains(string(body), `"p1"`) {
				t.Errorf("body %s", body)
			}
			w := rec.waits()
			if len(w) != tt.failures {
				t.Fatalf("waits %v, want %d", w, tt.failures)
			}
			tt.check(t, w)
			st := c.Stats()
			mustEqual(t, "Throttled", st.Throttled, int64(tt.failures))
			mustEqual(t, "Retries", st.Retries, int64(tt.failures))
			mustEqual(t, "Requests", st.Requests, int64(tt.failures+1))
		})
	}
}

// A 429 is retried past MaxRetries, for as long as the run's time limit
// leaves time; then the error is the 429, wrapping ErrTimeLimit.
func TestThrottledUntilTimeLimit(t *testing.T) {
	var n atomic.Int32
	c, rec, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3")
		graphError(w, 429, "TooManyRequests", "Please retry again later.", "rid-429")
	}), func(cfg *Config) { cfg.MaxRetries = 3; cfg.Timeout = time.Minute })
	_, err := c.Get(context.Background(), "/v1.0/users")
	if !IsThrottled(err) || !errors.Is(err, ErrTimeLimit) {
		t.Fatalf("err %v, want throttled past the time limit", err)
	}
	mustEqual(t, "RetryAfter", AsError(err).RetryAfter, 3*time.Second)
	// Sent at 0, 3, …, 57 s: 20 attempts, 19 waits; 60 s would be past the limit.
	mustEqual(t, "requests", n.Load(), int32(20))
	mustEqual(t, "waits", len(rec.waits()), 19)
	if !strings.Contains(err.Error(), "--timeout") {
		t.Errorf("error %q does not say how to raise the limit", err)
	}
}

func TestRetryPolicyByMethod(t *testing.T) {
	tests := []struct {
		method  string
		status  int
		opts    []ReqOption
		wantReq int32
	}{
		{"GET", 503, nil, 3},
		{"GET", 504, nil, 3},
		{"GET", 500, nil, 3},
		{"PATCH", 503, nil, 3},
		{"DELETE", 502, nil, 3},
		{"POST", 503, nil, 1},
		{"POST", 500, nil, 1},
		{"POST", 503, []ReqOption{RetryNonIdempotent()}, 3},
		{"POST", 429, nil, 4},
		{"GET", 400, nil, 1},
		{"GET", 404, nil, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.method, tt.status), func(t *testing.T) {
			var n atomic.Int32
			c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				if tt.status == 429 {
					w.Header().Set("Retry-After", "4")
				}
				graphError(w, tt.status, "x", "y", "rid")
			}), func(cfg *Config) {
				cfg.MaxRetries = 2
				if tt.status == 429 {
					// 429s are not counted against MaxRetries: sent at 0, 4,
					// 8 and 12 s, then the time limit stops them.
					cfg.Timeout = 14 * time.Second
				}
			})
			var body any
			if tt.method == "POST" || tt.method == "PATCH" {
				body = map[string]any{"displayName": "x"}
			}
			resp, err := c.Do(context.Background(), tt.method, "/v1.0/groups/g1", body, tt.opts...)
			if err == nil || resp == nil || resp.Status != tt.status {
				t.Fatalf("Do = %+v, %v; want status %d and an error", resp, err, tt.status)
			}
			mustEqual(t, "server requests", n.Load(), tt.wantReq)
		})
	}
}

func TestDroppedConnectionRetriedForGetOnly(t *testing.T) {
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		writeJSON(w, 200, map[string]any{"id": "u1"})
	})
	c, rec, _ := newTestClient(t, h, nil)
	if _, err := c.Get(context.Background(), "/v1.0/users/u1"); err != nil {
		t.Fatalf("Get after dropped connection: %v", err)
	}
	mustEqual(t, "waits", len(rec.waits()), 1)

	n.Store(0)
	if _, err := c.Post(context.Background(), "/v1.0/users", map[string]any{"x": 1}); err == nil {
		t.Fatal("POST over a dropped connection was retried or succeeded")
	}
	mustEqual(t, "POST attempts", n.Load(), int32(1))
}

func TestErrorParsedAndTokenNeverShown(t *testing.T) {
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		graphError(w, 404, "Request_ResourceNotFound",
			"Resource 'u9' does not exist or one of its queried reference-property objects are not present.", "5f1d-rid")
	}), nil)
	_, err := c.Get(context.Background(), "/v1.0/users/u9?$select=id")
	var ge *Error
	if !errors.As(err, &ge) {
		t.Fatalf("err %T %v, want *Error", err, err)
	}
	want := Error{Status: 404, Code: "Request_ResourceNotFound", RequestID: "5f1d-rid", Date: "2026-01-02T03:04:05",
		Method: "GET", Path: "/v1.0/users/u9?$select=id"}
	if ge.Status != want.Status || ge.Code != want.Code || ge.RequestID != want.RequestID || ge.Date != want.Date ||
		ge.Method != want.Method || ge.Path != want.Path {
		t.Errorf("parsed %+v, want %+v", *ge, want)
	}
	if !IsNotFound(err) || IsForbidden(err) || IsThrottled(err) {
		t.Errorf("helpers disagree on %v", err)
	}
	msg := err.Error()
	for _, s := range []string{"GET", "/v1.0/users/u9", "Request_ResourceNotFound", "does not exist", "5f1d-rid"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	for _, s := range []string{testToken, "Bearer", "Authorization"} {
		if strings.Contains(msg, s) {
			t.Errorf("error %q contains %q", msg, s)
		}
	}
}

func TestErrorWithoutGraphBody(t *testing.T) {
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", "hdr-rid")
		w.WriteHeader(403)
		w.Write([]byte("Forbidden by proxy"))
	}), nil)
	_, err := c.Get(context.Background(), "/v1.0/users")
	ge := AsError(err)
	if ge == nil || !IsForbidden(err) || ge.RequestID != "hdr-rid" || ge.Code != "Forbidden" || ge.Message != "Forbidden by proxy" {
		t.Fatalf("got %#v", ge)
	}
}

// An error's texts are bounded in characters, never cut inside one: a
// long path (a skip token, or a display name in a filter) keeps at most
// 200, as does a plain-text body, both still UTF-8.
func TestErrorTextsAreCutInCharacters(t *testing.T) {
	long := strings.Repeat("€", 300) // 3 bytes each: 200 bytes end inside one
	e := parseError(403, nil, []byte(long), "GET", "/v1.0/users?$filter="+long)
	if !utf8.ValidString(e.Path) || utf8.RuneCountInString(e.Path) != 200 || !strings.HasSuffix(e.Path, "€…") {
		t.Errorf("Path %q (%d characters), want 200 characters of UTF-8 ending in …", e.Path, utf8.RuneCountInString(e.Path))
	}
	if !utf8.ValidString(e.Message) || utf8.RuneCountInString(e.Message) != 200 || !strings.HasSuffix(e.Message, "€…") {
		t.Errorf("Message %q (%d characters), want 200 characters of UTF-8 ending in …", e.Message, utf8.RuneCountInString(e.Message))
	}
	if !utf8.ValidString(e.Error()) {
		t.Errorf("Error() %q is not UTF-8", e.Error())
	}
}

func TestStaticAccessTokenAndHeaders(t *testing.T) {
	var got http.Header
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		writeJSON(w, 200, map[string]any{})
	}), func(cfg *Config) { cfg.UserAgent = "entrasnap-test/1" })
	if _, err := c.Get(context.Background(), "/v1.0/organization"); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "Authorization", got.Get("Authorization"), "Bearer "+testToken)
	if ua := got.Get("User-Agent"); !strings.HasPrefix(ua, "entrasnap-test/1") {
		t.Errorf("User-Agent %q", ua)
	}
	// msgraph-sdk-go-core's telemetry handler is in the pipeline.
	if got.Get("client-request-id") == "" || !strings.Contains(got.Get("SdkVersion"), "graph-go-core") {
		t.Errorf("telemetry headers missing: %v", got)
	}
}

func TestPipelineHasNoKiotaRetryOrCompression(t *testing.T) {
	ms := middlewares()
	if len(ms) == 0 {
		t.Fatal("no middleware")
	}
	for _, m := range ms {
		switch m.(type) {
		case *khttp.RetryHandler, *khttp.CompressionHandler:
			t.Errorf("pipeline contains %T", m)
		}
	}
	// And behaviourally: with retries disabled, a 503 reaches the server once.
	var n atomic.Int32
	var enc string
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		enc = r.Header.Get("Content-Encoding")
		w.WriteHeader(503)
	}), func(cfg *Config) { cfg.MaxRetries = -1 })
	_, err := c.Patch(context.Background(), "/v1.0/users/u1", map[string]any{"jobTitle": "x"})
	if AsError(err) == nil || AsError(err).Status != 503 {
		t.Fatalf("err %v", err)
	}
	mustEqual(t, "server requests", n.Load(), int32(1))
	mustEqual(t, "Content-Encoding", enc, "")
}

func TestPathsAndForeignHosts(t *testing.T) {
	var hits atomic.Int32
	var gotFilter string
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		gotFilter = r.URL.Query().Get("$filter")
		writeJSON(w, 200, map[string]any{"value": []any{}})
	}), nil)
	ctx := context.Background()
	for _, f := range []string{"startswith(displayName,'A B')", "displayName eq 'C# devs' and city eq 'Zürich'"} {
		if _, err := c.Get(ctx, "/v1.0/groups?$filter="+f); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "$filter", gotFilter, f)
	}
	for _, p := range []string{"/users", "users", "https://evil.example.com/v1.0/users?$skiptoken=x"} {
		if _, err := c.Get(ctx, p); err == nil {
			t.Errorf("Get(%q) succeeded", p)
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("error leaks token: %v", err)
		}
	}
	mustEqual(t, "server hits", hits.Load(), int32(2))
}

// fakeCred hands out numbered tokens.
type fakeCred struct {
	n      atomic.Int32
	scopes []string
}

func (f *fakeCred) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.scopes = o.Scopes
	return azcore.AccessToken{Token: fmt.Sprintf("cred-secret-%d", f.n.Add(1)), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestCredentialTokensCachedAndRefreshedOn401(t *testing.T) {
	cred := &fakeCred{}
	var seen []string
	var mu sync.Mutex
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "Bearer cred-secret-1" && r.URL.Path == "/v1.0/groups" {
			graphError(w, 401, "InvalidAuthenticationToken", "Access token has expired.", "rid-401")
			return
		}
		writeJSON(w, 200, map[string]any{"value": []any{}})
	}), func(cfg *Config) { cfg.AccessToken = ""; cfg.Credential = cred })
	ctx := context.Background()
	for range 2 {
		if _, err := c.Get(ctx, "/v1.0/users"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Get(ctx, "/v1.0/groups"); err != nil {
		t.Fatalf("401 with a credential was not refreshed: %v", err)
	}
	want := []string{"Bearer cred-secret-1", "Bearer cred-secret-1", "Bearer cred-secret-1", "Bearer cred-secret-2"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("Authorization headers %v, want %v", seen, want)
	}
	if fmt.Sprint(cred.scopes) != fmt.Sprint([]string{"http://" + c.base.Host + "/.default"}) {
		t.Errorf("scopes %v", cred.scopes)
	}
}

func TestCredentialRequiresHTTPS(t *testing.T) {
	_, err := New(Config{BaseURL: "http://graph.example.com", Credential: &fakeCred{}})
	if err == nil {
		t.Fatal("a credential over plain http to a remote host was accepted")
	}
	if _, err := New(Config{BaseURL: "http://graphsim.internal:8080", AccessToken: "x"}); err == nil {
		t.Errorf("a static token over plain http to a remote host was accepted")
	}
	for _, cfg := range []Config{
		{},
		{AccessToken: "x", Credential: &fakeCred{}},
		{AccessToken: "x", BaseURL: "https://graph.microsoft.com/v1.0"},
		{AccessToken: "x", Cloud: "mars"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestConcurrencyLimit(t *testing.T) {
	const limit = 3
	var inFlight, maxSeen atomic.Int32
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxSeen.Load()
			if n <= m || maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		writeJSON(w, 200, map[string]any{"id": "x"})
	}), func(cfg *Config) { cfg.Concurrency = limit })
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Get(context.Background(), fmt.Sprintf("/v1.0/users/u%d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := maxSeen.Load(); m > limit || m < 1 {
		t.Errorf("max in flight %d, limit %d", m, limit)
	} else {
		t.Logf("max in flight %d (limit %d)", m, limit)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
	}), func(cfg *Config) {
		cfg.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	})
	_, err := c.Get(ctx, "/v1.0/users")
	if !errors.Is(err, context.Canceled) || AsError(err) == nil {
		t.Fatalf("err %v, want the 503 *Error and context.Canceled", err)
	}
}

func TestStatsCountsResourceUnitsAndEndpoints(t *testing.T) {
	var n atomic.Int32
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-resource-unit", "2")
		if strings.HasSuffix(r.URL.Path, "/members") && n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			graphError(w, 429, "TooManyRequests", "Please retry again later.", "r")
			return
		}
		writeJSON(w, 200, map[string]any{"value": []any{}})
	}), nil)
	ctx := context.Background()
	for _, p := range []string{
		"/v1.0/users?$select=id",
		"/v1.0/users/0b5a3e44-1e4f-4c59-9b4e-3b1e7d8f0a11",
		"/v1.0/users/alice@contoso.com",
		"/v1.0/groups/0b5a3e44-1e4f-4c59-9b4e-3b1e7d8f0a12/members",
	} {
		if _, err := c.Get(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	mustEqual(t, "Requests", st.Requests, int64(5))
	mustEqual(t, "Retries", st.Retries, int64(1))
	mustEqual(t, "Throttled", st.Throttled, int64(1))
	mustEqual(t, "ResourceUnits", st.ResourceUnits, int64(10))
	want := map[string]EndpointStats{
		"GET /v1.0/users":               {Requests: 1, ResourceUnits: 2},
		"GET /v1.0/users/{id}":          {Requests: 2, ResourceUnits: 4},
		"GET /v1.0/groups/{id}/members": {Requests: 2, Throttled: 1, ResourceUnits: 4},
	}
	if fmt.Sprint(st.Endpoints) != fmt.Sprint(want) {
		t.Errorf("Endpoints\n got %v\nwant %v", st.Endpoints, want)
	}
}

func TestEndpointTemplate(t *testing.T) {
	tests := map[string]string{
		"/v1.0/users?$select=id":                                                                       "/v1.0/users",
		"/v1.0/users/0b5a3e44-1e4f-4c59-9b4e-3b1e7d8f0a11/memberOf":                                    "/v1.0/users/{id}/memberOf",
		"/v1.0/users/alice%40contoso.com":                                                              "/v1.0/users/{id}",
		"/beta/oauth2PermissionGrants/AZPZVxtnEU2LGvR3iDeP_lsLP0kn-p1Js8sLmbcOsRs":                     "/beta/oauth2PermissionGrants/{id}",
		"/v1.0/applications(appId='00000003-0000-0000-c000-000000000000')":                             "/v1.0/applications({key})",
		"/v1.0/directory/deletedItems/microsoft.graph.group":                                           "/v1.0/directory/deletedItems/microsoft.graph.group",
		"/v1.0/groups/g/members/$ref":                                                                  "/v1.0/groups/g/members/$ref",
		"/v1.0/users/delta()?$deltatoken=x":                                                            "/v1.0/users/delta()",
		"/v1.0/roleManagement/directory/roleAssignments/lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1": "/v1.0/roleManagement/directory/roleAssignments/{id}",
		"/v1.0/$batch": "/v1.0/$batch",
	}
	for in, want := range tests {
		mustEqual(t, in, EndpointTemplate(in), want)
	}
}

func TestLookupCloud(t *testing.T) {
	tests := []struct{ in, name, root, authority string }{
		{"", "global", "https://graph.microsoft.com", "https://login.microsoftonline.com/"},
		{"global", "global", "https://graph.microsoft.com", "https://login.microsoftonline.com/"},
		{"USGov", "usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us/"},
		{"usgovdod", "usgovdod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us/"},
		{"china", "china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn/"},
	}
	for _, tt := range tests {
		ci, err := LookupCloud(tt.in)
		if err != nil {
			t.Fatalf("LookupCloud(%q): %v", tt.in, err)
		}
		if ci.Name != tt.name || ci.GraphRoot != tt.root || ci.AuthorityHost != tt.authority {
			t.Errorf("LookupCloud(%q) = %s %s %s", tt.in, ci.Name, ci.GraphRoot, ci.AuthorityHost)
		}
		c, err := New(Config{Cloud: tt.in, AccessToken: "x"})
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "BaseURL for "+tt.in, c.BaseURL(), tt.root)
	}
	if _, err := LookupCloud("germany"); err == nil {
		t.Error("unknown cloud accepted")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{"2.128", 2128 * time.Millisecond, true},
		{" 0 ", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"100000", maxRetryAfter, true},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
	}
	for _, tt := range tests {
		d, ok := parseRetryAfter(tt.in, now)
		if d != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, d, ok, tt.want, tt.ok)
		}
	}
}
