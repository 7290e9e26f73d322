package conformance_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/identity"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

var registerBatchErrors sync.Once

// batchErrorsRegistered registers Graph's error model for $batch items, as an
// SDK user does once per program (msgraph-sdk-go does not do it itself).
func batchErrorsRegistered(t *testing.T) {
	t.Helper()
	registerBatchErrors.Do(func() {
		err := msgraphgocore.RegisterError(msgraphgocore.BatchRequestErrorRegistryKey, abstractions.ErrorMappings{
			"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
			"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		})
		if err != nil {
			t.Fatalf("register batch errors: %v", err)
		}
	})
}

// batchItemError asserts a $batch item failed with Graph's error JSON, parsed
// by the SDK as an ODataError with the given code.
func batchItemError(t *testing.T, resp msgraphgocore.BatchResponse, id string, status int32, code string) {
	t.Helper()
	if got := resp.GetStatusCodes()[id]; got != status {
		t.Errorf("batch item %s status = %d, want %d", id, got, status)
	}
	_, err := msgraphgocore.GetBatchResponseById[models.Userable](resp, id, models.CreateUserFromDiscriminatorValue)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.GetErrorEscaped() == nil {
		t.Fatalf("batch item %s: want an ODataError, got %T: %v", id, err, err)
	}
	if got := deref(oe.GetErrorEscaped().GetCode()); got != code {
		t.Errorf("batch item %s error code = %q (%q), want %q", id, got, deref(oe.GetErrorEscaped().GetMessage()), code)
	}
	if deref(oe.GetErrorEscaped().GetMessage()) == "" {
		t.Errorf("batch item %s error has no message", id)
	}
}

func TestBatch(t *testing.T) {
	e := newEnv(t)
	batchErrorsRegistered(t)
	seeded := e.seedUsers(3, "batch")
	gid := deref(e.createGroup("batch-group").GetId())

	nu := models.NewUser()
	nu.SetAccountEnabled(ptr(true))
	nu.SetDisplayName(ptr("Batch created"))
	nu.SetMailNickname(ptr("batch.created"))
	nu.SetUserPrincipalName(ptr("batch.created@" + domain))
	pp := models.NewPasswordProfile()
	pp.SetPassword(ptr("xWwvJ]6NMw+bWH-d"))
	nu.SetPasswordProfile(pp)
	create, err := e.client.Users().ToPostRequestInformation(e.ctx, nu, nil)
	must(t, "build POST /users", err)
	get, err := e.client.Users().ByUserId(seeded[1]).ToGetRequestInformation(e.ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "accountEnabled"}},
	})
	must(t, "build GET /users/{id}", err)
	missing, err := e.client.Groups().ByGroupId("00000000-0000-4000-8000-0000000b0b0b").ToGetRequestInformation(e.ctx, nil)
	must(t, "build GET /groups/{missing}", err)

	t.Run("collection of three", func(t *testing.T) {
		batch := msgraphgocore.NewBatchRequestCollection(e.adapter)
		var ids []string
		for _, ri := range []*abstractions.RequestInformation{create, get, missing} {
			item, err := batch.AddBatchRequestStep(*ri)
			must(t, "add batch step", err)
			ids = append(ids, deref(item.GetId()))
		}
		e.s.ResetStats()
		resp, err := batch.Send(e.ctx, e.adapter)
		must(t, "send $batch", err)
		codes := resp.GetStatusCodes()
		want := map[string]int32{ids[0]: 201, ids[1]: 200, ids[2]: 404}
		for id, st := range want {
			if codes[id] != st {
				t.Errorf("item %s status %d, want %d (all: %v)", id, codes[id], st, codes)
			}
		}
		if len(codes) != 3 {
			t.Errorf("batch answered %d items, want 3", len(codes))
		}
		created, err := msgraphgocore.GetBatchResponseById[models.Userable](resp, ids[0], models.CreateUserFromDiscriminatorValue)
		must(t, "parse created user", err)
		if deref(created.GetUserPrincipalName()) != "batch.created@"+domain || len(deref(created.GetId())) != 36 {
			t.Errorf("batch-created user upn %q id %q", deref(created.GetUserPrincipalName()), deref(created.GetId()))
		}
		if _, ok := e.s.Tenant().Get("user", deref(created.GetId())); !ok {
			t.Errorf("the user created inside the batch is not in the tenant")
		}
		got, err := msgraphgocore.GetBatchResponseById[models.Userable](resp, ids[1], models.CreateUserFromDiscriminatorValue)
		must(t, "parse fetched user", err)
		if deref(got.GetId()) != seeded[1] || deref(got.GetDisplayName()) != "batch 001" || !deref(got.GetAccountEnabled()) {
			t.Errorf("batch GET user id %q displayName %q accountEnabled %v", deref(got.GetId()), deref(got.GetDisplayName()), deref(got.GetAccountEnabled()))
		}
		if got.GetUserPrincipalName() != nil {
			t.Errorf("$select inside the batch item was ignored")
		}
		item := resp.GetResponseById(ids[0])
		if ct := item.GetHeaders()["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
			t.Errorf("item Content-Type header = %q (the SDK looks it up as \"Content-Type\")", ct)
		}
		batchItemError(t, resp, ids[2], 404, "Request_ResourceNotFound")
		// Each item counts as its own request.
		if n := requestsTo(e, "POST", "/users"); n != 1 {
			t.Errorf("stats count %d POST /users from the batch, want 1", n)
		}
	})

	t.Run("dependsOn failure gives 424", func(t *testing.T) {
		br := msgraphgocore.NewBatchRequest(e.adapter)
		first, err := br.AddBatchRequestStep(*missing)
		must(t, "add step", err)
		ref, err := e.client.Groups().ByGroupId(gid).Members().Ref().ToPostRequestInformation(e.ctx, e.refBody(seeded[0]), nil)
		must(t, "build members/$ref", err)
		second, err := br.AddBatchRequestStep(*ref)
		must(t, "add step", err)
		second.DependsOnItem(first)
		resp, err := br.Send(e.ctx, e.adapter)
		must(t, "send $batch", err)
		codes := resp.GetStatusCodes()
		if codes[deref(first.GetId())] != 404 || codes[deref(second.GetId())] != 424 {
			t.Errorf("statuses = %v, want 404 then 424", codes)
		}
		if links := e.s.Tenant().Links("group", gid, "members"); len(links) != 0 {
			t.Errorf("the dependent request ran: members = %v", links)
		}
	})

	t.Run("twenty-one requests", func(t *testing.T) {
		// The SDK refuses a 21st step itself; graphsim must answer a raw
		// 21-request envelope with Graph's 400.
		br := msgraphgocore.NewBatchRequest(e.adapter)
		for i := range 20 {
			if _, err := br.AddBatchRequestStep(*get); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		if _, err := br.AddBatchRequestStep(*get); err == nil {
			t.Errorf("the SDK accepted a 21st batch step")
		}
		resp, err := br.Send(e.ctx, e.adapter)
		must(t, "send 20-request batch", err)
		if n := len(resp.GetStatusCodes()); n != 20 {
			t.Errorf("20-request batch answered %d items", n)
		}
	})
}

// removedReason is the "@removed" reason a delta item carries ("" if none).
// The SDK has no typed property for it: it lands in AdditionalData as a map
// of *string values.
func removedReason(ad map[string]any) string {
	v, ok := ad["@removed"]
	if !ok {
		return ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprintf("(unparsed %T)", v)
	}
	if p, ok := m["reason"].(*string); ok {
		return deref(p)
	}
	return fmt.Sprintf("(reason %T)", m["reason"])
}

func TestUsersDelta(t *testing.T) {
	e := newEnv(t)
	want := e.s.Tenant().Count("user") + 150 // the profile's users too
	seeded := e.seedUsers(150, "delta")

	first, err := e.client.Users().Delta().GetAsDeltaGetResponse(e.ctx, &users.DeltaRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.DeltaRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "jobTitle", "userPrincipalName"}},
	})
	must(t, "initial delta", err)
	if first.GetOdataNextLink() == nil || first.GetOdataDeltaLink() != nil {
		t.Fatalf("first delta page of 150 users: nextLink %v deltaLink %v, want a nextLink only", first.GetOdataNextLink(), first.GetOdataDeltaLink())
	}
	it, err := msgraphgocore.NewPageIterator[models.Userable](first, e.adapter, users.CreateDeltaGetResponseFromDiscriminatorValue)
	must(t, "delta page iterator", err)
	seen := map[string]int{}
	must(t, "iterate delta", it.Iterate(e.ctx, func(u models.Userable) bool {
		seen[deref(u.GetId())]++
		if u.GetDisplayName() == nil {
			t.Errorf("initial delta user %s without displayName", deref(u.GetId()))
		}
		return true
	}))
	if len(seen) != want {
		t.Errorf("initial delta round returned %d users, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("initial delta round returned user %s %d times", id, n)
		}
	}
	deltaLink := deref(it.GetOdataDeltaLink())
	if !strings.Contains(deltaLink, "$deltatoken=") {
		t.Fatalf("initial round ended without a deltaLink carrying $deltatoken: %q", deltaLink)
	}

	// Changes: one update, one soft delete, one create.
	patch := models.NewUser()
	patch.SetJobTitle(ptr("Auditor"))
	_, err = e.client.Users().ByUserId(seeded[7]).Patch(e.ctx, patch, nil)
	must(t, "patch user", err)
	must(t, "delete user", e.client.Users().ByUserId(seeded[8]).Delete(e.ctx, nil))
	added := deref(e.createUser("delta.new").GetId())

	next, err := users.NewDeltaRequestBuilder(deltaLink, e.adapter).GetAsDeltaGetResponse(e.ctx, nil)
	must(t, "follow deltaLink", err)
	if next.GetOdataNextLink() != nil {
		t.Errorf("a 3-change round has a nextLink")
	}
	byID := map[string]models.Userable{}
	for _, u := range next.GetValue() {
		byID[deref(u.GetId())] = u
	}
	if len(byID) != 3 {
		t.Errorf("second round returned %d users, want 3 (updated, deleted, created): %v", len(byID), slices.Collect(mapKeys(byID)))
	}
	if u := byID[seeded[7]]; u == nil || deref(u.GetJobTitle()) != "Auditor" {
		t.Errorf("updated user not in the round with jobTitle Auditor")
	}
	if u := byID[seeded[8]]; u == nil {
		t.Errorf("deleted user missing from the round")
	} else if r := removedReason(u.GetAdditionalData()); r != "changed" {
		t.Errorf("soft-deleted user @removed reason = %q, want changed", r)
	}
	if u := byID[added]; u == nil || deref(u.GetUserPrincipalName()) != "delta.new@"+domain {
		t.Errorf("created user not in the round with its userPrincipalName")
	}
	link2 := deref(next.GetOdataDeltaLink())
	if link2 == "" || link2 == deltaLink {
		t.Fatalf("second round deltaLink %q, want a new one", link2)
	}

	third, err := users.NewDeltaRequestBuilder(link2, e.adapter).GetAsDeltaGetResponse(e.ctx, nil)
	must(t, "follow second deltaLink", err)
	if len(third.GetValue()) != 0 || third.GetOdataDeltaLink() == nil {
		t.Errorf("a round without changes returned %d users and deltaLink %v, want none and a deltaLink", len(third.GetValue()), third.GetOdataDeltaLink())
	}

	// An expired token (7 days) answers 410, parsed as an ODataError.
	e.s.Clock().Advance(8 * 24 * time.Hour)
	_, err = users.NewDeltaRequestBuilder(link2, e.adapter).GetAsDeltaGetResponse(e.ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != http.StatusGone {
		t.Fatalf("expired delta token: %s, want a 410 ODataError", describe(err))
	}
	if oe.GetErrorEscaped() == nil || deref(oe.GetErrorEscaped().GetCode()) == "" {
		t.Errorf("410 without Graph's error code")
	}
	if loc := oe.ResponseHeaders.Get("Location"); len(loc) == 0 || !strings.Contains(loc[0], "delta") {
		t.Errorf("410 Location header = %v, want a delta URL to start over", loc)
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// clockOn429 advances graphsim's frozen clock past every 429 it answers, as
// if the client's back-off took that long, and records the Retry-Attempt
// headers the SDK's retry handler sends.
type clockOn429 struct {
	s        *graphsim.Server
	mu       sync.Mutex
	advance  bool // move the clock on 429 (off while a test spends a bucket)
	attempts []string
	statuses []int
}

// record starts a fresh wire log and turns clock advancing on.
func (c *clockOn429) record() {
	c.mu.Lock()
	c.attempts, c.statuses, c.advance = nil, nil, true
	c.mu.Unlock()
}

func (c *clockOn429) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusWriter{ResponseWriter: w}
	c.s.ServeHTTP(rec, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts = append(c.attempts, r.Header.Get("Retry-Attempt"))
	c.statuses = append(c.statuses, rec.status)
	if rec.status == http.StatusTooManyRequests && c.advance {
		wait := time.Second
		if ra := rec.Header().Get("Retry-After"); ra != "" {
			if d, err := time.ParseDuration(ra + "s"); err == nil {
				wait = d
			}
		}
		c.s.Clock().Advance(wait)
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// newThrottledEnv is an env with realistic throttling on a frozen clock.
func newThrottledEnv(t *testing.T) (*env, *clockOn429) {
	t.Helper()
	s, err := graphsim.New(graphsim.Options{Seed: 1, Throttle: "realistic", Now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("graphsim.New: %v", err)
	}
	if _, ok := s.Tenant().Get("domain", domain); !ok {
		mustSeed(t, s, "domain", map[string]any{"id": domain, "isVerified": true, "isDefault": true, "isInitial": true})
	}
	wrap := &clockOn429{s: s}
	ts := httptest.NewServer(wrap)
	t.Cleanup(ts.Close)
	adapter, err := msgraphsdk.NewGraphRequestAdapter(authentication.NewBaseBearerTokenAuthenticationProvider(staticToken{s.Token()}))
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(ts.URL + "/v1.0")
	return &env{t: t, s: s, ts: ts, adapter: adapter, client: msgraphsdk.NewGraphServiceClient(adapter), ctx: t.Context()}, wrap
}

func noRetry() []abstractions.RequestOption {
	return []abstractions.RequestOption{&khttp.RetryHandlerOptions{
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false },
	}}
}

func TestThrottlingConditionalAccess(t *testing.T) {
	// Conditional Access allows 1 request per second per tenant and answers
	// 429 without Retry-After (graph-semantics.md §1.2): the SDK's retry
	// handler must fall back to its exponential back-off.
	e, wrap := newThrottledEnv(t)
	ca := e.client.Identity().ConditionalAccess()
	_, err := ca.Policies().Get(e.ctx, nil)
	must(t, "first CA request", err)
	_, err = ca.Policies().Get(e.ctx, &identity.ConditionalAccessPoliciesRequestBuilderGetRequestConfiguration{Options: noRetry()})
	msg := requireODataError(t, err, http.StatusTooManyRequests, "TooManyRequests")
	if msg != "Please retry again later." {
		t.Errorf("429 message = %q", msg)
	}
	var oe *odataerrors.ODataError
	errors.As(err, &oe)
	if ra := oe.ResponseHeaders.Get("Retry-After"); len(ra) > 0 {
		t.Errorf("Conditional Access 429 carries Retry-After %v; Graph sends none", ra)
	}

	wrap.record()
	list, err := ca.Policies().Get(e.ctx, &identity.ConditionalAccessPoliciesRequestBuilderGetRequestConfiguration{
		Options: []abstractions.RequestOption{&khttp.RetryHandlerOptions{
			MaxRetries: 3, DelaySeconds: 1,
			ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return true },
		}},
	})
	must(t, "CA request retried by the SDK", err)
	if list.GetValue() == nil {
		t.Errorf("retried list has no value array")
	}
	wrap.mu.Lock()
	defer wrap.mu.Unlock()
	if !slices.Equal(wrap.statuses, []int{429, 200}) || !slices.Equal(wrap.attempts, []string{"", "1"}) {
		t.Errorf("wire: statuses %v Retry-Attempt %v, want [429 200] and [\"\" 1]", wrap.statuses, wrap.attempts)
	}
}

func TestThrottlingDirectory(t *testing.T) {
	// graphsim does not expose smaller limits, so this spends the real
	// small-tenant bucket (3,500 RU per 10 s) with getByIds at 5 RU each on a
	// frozen clock, then checks that the SDK honours Retry-After.
	e, wrap := newThrottledEnv(t)
	seeded := e.seedUsers(2, "thr")
	spent := 0
	for i := 0; i < 2000; i++ {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1.0/directoryObjects/getByIds", strings.NewReader(`{"ids":[]}`))
		req.Header.Set("Authorization", "Bearer "+e.s.Token())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("getByIds answered %d", resp.StatusCode)
		}
		spent++
	}
	if spent != 700 {
		t.Errorf("the bucket took %d getByIds calls (5 RU each), want 700 for 3,500 RU", spent)
	}

	_, err := e.client.Users().ByUserId(seeded[0]).Get(e.ctx, &users.UserItemRequestBuilderGetRequestConfiguration{Options: noRetry()})
	requireODataError(t, err, http.StatusTooManyRequests, "TooManyRequests")
	var oe *odataerrors.ODataError
	errors.As(err, &oe)
	if ra := oe.ResponseHeaders.Get("Retry-After"); len(ra) != 1 || ra[0] == "" || strings.Contains(ra[0], ".") {
		t.Errorf("directory 429 Retry-After = %v, want whole seconds", ra)
	}
	if sc := oe.ResponseHeaders.Get("x-ms-throttle-scope"); len(sc) != 1 || !strings.HasPrefix(sc[0], "Tenant_Application/ReadWrite/") {
		t.Errorf("x-ms-throttle-scope = %v", sc)
	}
	if inner := oe.GetErrorEscaped().GetInnerError(); inner == nil || inner.GetAdditionalData()["code"] == nil {
		t.Errorf("429 innerError lacks code \"429\"")
	}

	wrap.record()
	u, err := e.client.Users().ByUserId(seeded[0]).Get(e.ctx, nil) // the SDK's default retry handler
	must(t, "GET retried by the SDK after Retry-After", err)
	if deref(u.GetId()) != seeded[0] {
		t.Errorf("retried GET returned %q", deref(u.GetId()))
	}
	wrap.mu.Lock()
	defer wrap.mu.Unlock()
	if !slices.Equal(wrap.statuses, []int{429, 200}) || !slices.Equal(wrap.attempts, []string{"", "1"}) {
		t.Errorf("wire: statuses %v Retry-Attempt %v, want [429 200] and [\"\" 1]", wrap.statuses, wrap.attempts)
	}
	st := e.s.Stats()
	if st.Throttled < 2 {
		t.Errorf("stats count %d throttled requests, want at least 2", st.Throttled)
	}
}
