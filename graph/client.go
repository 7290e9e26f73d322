package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Client talks to Graph. It is safe for concurrent use.
type Client struct {
	base        *url.URL // Graph root, no trailing slash
	baseStr     string
	hc          *http.Client
	tokens      *tokenSource // nil with a static token
	staticToken string
	userAgent   string
	maxRetries  int
	noRetry     bool // MaxRetries < 0: not even 429s
	pace        *pacer
	now         func() time.Time
	deadline    time.Time // Config.Timeout from New; zero: none
	sleep       func(context.Context, time.Duration) error
	log         *slog.Logger
	progress    func(Event)
	stats       *statsRecorder
	appOnly     bool // Config.AppOnly
	maxBody     int64
	maxPages    int
}

// New builds a Client from cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ci, err := LookupCloud(cfg.Cloud)
	if err != nil {
		return nil, err
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = ci.GraphRoot
	}
	base, err := normalizeBaseURL(raw)
	if err != nil {
		return nil, err
	}
	if err := checkPlainHTTP(raw, base); err != nil {
		return nil, err
	}
	c := &Client{
		base:        base,
		baseStr:     base.String(),
		staticToken: strings.TrimSpace(strings.TrimPrefix(cfg.AccessToken, "Bearer ")),
		userAgent:   cfg.UserAgent,
		maxRetries:  cfg.MaxRetries,
		sleep:       cfg.Sleep,
		log:         cfg.Logger,
		progress:    cfg.Progress,
		stats:       newStatsRecorder(),
		appOnly:     cfg.AppOnly && cfg.Credential != nil,
		maxBody:     cfg.MaxResponseBytes,
		maxPages:    cfg.MaxPages,
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.maxPages <= 0 {
		c.maxPages = DefaultMaxPages
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries, c.noRetry = 0, true
	}
	n := cfg.Concurrency
	if n <= 0 {
		n = defaultConcurrency
	}
	c.now = cfg.Now
	if c.sleep == nil {
		c.sleep = sleepCtx
	} else if c.now == nil {
		vc := newVirtualClock(time.Now)
		c.sleep, c.now = vc.wrap(c.sleep), vc.now
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.pace = newPacer(c.now, n, cfg.TenantUsers)
	if cfg.Timeout > 0 {
		c.deadline = c.now().Add(cfg.Timeout)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Credential != nil {
		scopes := cfg.Scopes
		if len(scopes) == 0 {
			scopes = []string{base.Scheme + "://" + base.Host + "/.default"}
		}
		c.tokens = &tokenSource{cred: cfg.Credential, scopes: scopes}
	}
	c.hc = newHTTPClient(cfg.HTTPClient, n)
	return c, nil
}

// SizeBudget asks Graph for the tenant's user count (GET /users/$count
// with ConsistencyLevel: eventual: one request of one resource unit) and
// sizes the resource-unit budget the client paces directory requests to
// from it: Graph's quota for the tenant size (ReadQuotaFor; 8,000 units per
// 10 s above 500 users) instead of the smallest, which the client would
// otherwise start from and learn upward from Graph's answers. Call it
// before a run's heavy reads. It returns the count; on an error the budget
// is unchanged (and still learned), so callers may go on without it.
// Config.TenantUsers, when set, wins.
func (c *Client) SizeBudget(ctx context.Context) (int, error) {
	body, err := c.Get(ctx, "/v1.0/users/$count", WithEventualConsistency())
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(body), "\ufeff")))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("graph: GET /v1.0/users/$count: want a count, got %d bytes that are not one", len(body))
	}
	c.pace.sizeFor(n)
	return n, nil
}

// ReadQuota is the resource-unit quota per 10 s the client paces directory
// requests to now: Config.TenantUsers', SizeBudget's, or the one learned.
func (c *Client) ReadQuota() int { return c.pace.readQuota() }

// Stats returns a copy of the counters.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// BaseURL returns the Graph root the client talks to.
func (c *Client) BaseURL() string { return c.baseStr }

// AppOnly reports whether the client's credential signs in as an
// application (Config.AppOnly): no user is signed in. False when not known.
func (c *Client) AppOnly() bool { return c.appOnly }

// Response is a completed HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   json.RawMessage // as received; nil when empty (204)
}

// ReqOption adjusts one call (and every page of a List or Delta).
type ReqOption func(*reqOptions)

type reqOptions struct {
	header      http.Header
	retryUnsafe bool
	// cost and settle, for $batch envelopes: what the items draw on the
	// throttling budget, and what the answer says of it.
	cost   *cost
	settle func(*Response) answer
}

// WithHeader sets a request header, resent on every retry and page.
// Authorization cannot be set this way.
func WithHeader(key, value string) ReqOption {
	return func(o *reqOptions) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Set(key, value)
	}
}

// WithEventualConsistency sets "ConsistencyLevel: eventual", needed by
// advanced queries ($count, $search, endsWith, ne/not, some $orderby).
func WithEventualConsistency() ReqOption { return WithHeader("ConsistencyLevel", "eventual") }

// RetryNonIdempotent lets a POST be retried after a 5xx or a dropped
// connection (429s are always retried). Use it only for POSTs that are
// safe to repeat, e.g. getByIds or a create with a client-chosen key.
func RetryNonIdempotent() ReqOption { return func(o *reqOptions) { o.retryUnsafe = true } }

func collect(opts []ReqOption) reqOptions {
	var o reqOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Get fetches path and returns the body of a 2xx answer as is.
func (c *Client) Get(ctx context.Context, path string, opts ...ReqOption) (json.RawMessage, error) {
	resp, err := c.Do(ctx, http.MethodGet, path, nil, opts...)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Post sends body (marshalled to JSON; json.RawMessage and []byte as is).
func (c *Client) Post(ctx context.Context, path string, body any, opts ...ReqOption) (*Response, error) {
	return c.Do(ctx, http.MethodPost, path, body, opts...)
}

// Patch sends body; Graph treats PATCH idempotently, so it is retried.
func (c *Client) Patch(ctx context.Context, path string, body any, opts ...ReqOption) (*Response, error) {
	return c.Do(ctx, http.MethodPatch, path, body, opts...)
}

// Put sends body.
func (c *Client) Put(ctx context.Context, path string, body any, opts ...ReqOption) (*Response, error) {
	return c.Do(ctx, http.MethodPut, path, body, opts...)
}

// Delete deletes path.
func (c *Client) Delete(ctx context.Context, path string, opts ...ReqOption) (*Response, error) {
	return c.Do(ctx, http.MethodDelete, path, nil, opts...)
}

// Do sends one request with retries. path is relative to the Graph root and
// starts with the version ("/v1.0/…", "/beta/…"), or is an absolute URL under
// the Graph root. On a Graph error it returns the final *Response together
// with an *Error; on a transport error the Response is nil.
func (c *Client) Do(ctx context.Context, method, path string, body any, opts ...ReqOption) (*Response, error) {
	data, err := marshalBody(body)
	if err != nil {
		return nil, fmt.Errorf("graph: %s %s: encoding body: %w", method, shortPath(path), err)
	}
	o := collect(opts)
	return c.do(ctx, method, path, data, o)
}

func marshalBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return b, nil
	case []byte:
		return b, nil
	}
	return json.Marshal(body)
}

// resolve turns a path or absolute URL into the request URL and the path
// relative to the Graph root (for errors and stats).
func (c *Client) resolve(p string) (*url.URL, string, error) {
	var rel string
	if strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "http://") {
		u, err := url.Parse(p)
		if err != nil {
			return nil, "", fmt.Errorf("graph: bad URL: %w", err)
		}
		prefix := c.base.Path
		if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) ||
			!strings.HasPrefix(u.Path, prefix+"/") {
			return nil, "", fmt.Errorf("graph: refusing URL outside the Graph root %s: %s://%s%s", c.baseStr, u.Scheme, u.Host, shortPath(u.Path))
		}
		rel = strings.TrimPrefix(u.EscapedPath(), prefix)
		if u.RawQuery != "" {
			rel += "?" + u.RawQuery
		}
	} else {
		rel = p
		if !strings.HasPrefix(rel, "/") {
			rel = "/" + rel
		}
	}
	if !strings.HasPrefix(rel, "/v1.0/") && !strings.HasPrefix(rel, "/beta/") &&
		rel != "/v1.0" && rel != "/beta" && !strings.HasPrefix(rel, "/v1.0?") && !strings.HasPrefix(rel, "/beta?") {
		return nil, "", fmt.Errorf("graph: path %q must start with the version, /v1.0/ or /beta/", shortPath(p))
	}
	pathPart, query, _ := strings.Cut(rel, "?")
	u, err := url.Parse(c.baseStr + escapeLoose(pathPart))
	if err != nil {
		return nil, "", fmt.Errorf("graph: bad path %q: %w", shortPath(p), err)
	}
	u.RawQuery = escapeLoose(query)
	return u, rel, nil
}

// escapeLoose percent-encodes the bytes that cannot appear raw in a URL
// (space, quotes, brackets, non-ASCII…) and leaves everything else, so
// callers may write "$filter=startswith(displayName,'A B')" and pass
// nextLinks through unchanged. '#' is encoded too: Graph URLs carry no
// fragment, and an id or filter value may contain one.
func escapeLoose(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		bad := ch <= ' ' || ch >= 0x7f || strings.IndexByte("\"#<>\\^`{|}", ch) >= 0
		if bad {
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		} else {
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// do runs the retry loop for one logical request. Each attempt waits for
// its turn in the throttling budget first (pace.go). A 429 is sent again
// after Graph's Retry-After (or a backoff where Graph sends none) for as
// long as the context and Config.Timeout leave time; other retryable
// failures at most MaxRetries times.
func (c *Client) do(ctx context.Context, method, path string, body []byte, o reqOptions) (*Response, error) {
	u, rel, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	endpoint := method + " " + EndpointTemplate(rel)
	idem := idempotent(method) || o.retryUnsafe
	cst := requestCost(method, rel)
	if o.cost != nil {
		cst = *o.cost
	}
	var (
		retries        int64
		failures       int // retried failures other than 429
		backoffs       int
		caBackoffs     int
		tokenRefreshed bool
	)
	defer func() { c.stats.add(retries, 0) }()
	fail := func(err error) error {
		c.stats.add(0, 1)
		return fmt.Errorf("graph: %s %s: %w", method, shortPath(rel), err)
	}
	for attempt := 0; ; attempt++ {
		tk, err := c.pace.admit(ctx, cst, c.wait, c.deadline, func(d time.Duration, budget string) {
			c.emit(Event{Method: method, Endpoint: endpoint[len(method)+1:], Attempt: attempt, Paced: d, Budget: budget})
			c.log.Info("graph: pacing to Graph's throttling budget", "method", method, "endpoint", endpoint[len(method)+1:], "wait", d, "budget", budget)
		})
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fail(ctxErr)
			}
			return nil, fail(err)
		}
		start := time.Now()
		resp, err := c.send(ctx, method, u, body, o.header)
		elapsed := time.Since(start)
		switch {
		case err != nil:
			c.pace.done(tk, answer{units: -1})
		case o.settle != nil:
			c.pace.done(tk, o.settle(resp))
		default:
			c.pace.done(tk, throttleAnswer(resp.Status, resp.Header))
		}
		ev := Event{Method: method, Endpoint: endpoint[len(method)+1:], Attempt: attempt, Elapsed: elapsed}
		if err != nil {
			c.stats.record(endpoint, 0, 0, false)
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fail(ctxErr)
			}
			var te *tokenError
			var le *limitError
			if errors.As(err, &te) || errors.As(err, &le) || !idem || failures >= c.maxRetries {
				ev.Err = err
				c.emit(ev)
				return nil, fail(err)
			}
			ev.Err, ev.RetryIn = err, backoff(backoffs)
			backoffs++
			failures++
			c.emit(ev)
			c.log.Info("graph: retrying after transport error", "method", method, "endpoint", ev.Endpoint, "attempt", attempt+1, "wait", ev.RetryIn, "err", err)
			retries++
			if err := c.wait(ctx, ev.RetryIn); err != nil {
				return nil, fail(err)
			}
			continue
		}
		c.stats.record(endpoint, resp.Status, resourceUnits(resp.Header.Get("x-ms-resource-unit")), false)
		ev.Status = resp.Status
		if resp.Status >= 300 && resp.Status < 400 {
			// A redirect that was not followed (no Location, 300, 304):
			// Graph answers API calls with 2xx or an error, never this.
			err := fmt.Errorf("graph: %s %s: unexpected answer %d %s (a redirect entrasnap does not follow)", method, shortPath(rel), resp.Status, http.StatusText(resp.Status))
			ev.Err = err
			c.emit(ev)
			c.stats.add(0, 1)
			return nil, err
		}
		if resp.Status < 400 {
			c.emit(ev)
			c.log.Debug("graph: request", "method", method, "endpoint", ev.Endpoint, "status", resp.Status, "elapsed", elapsed)
			return resp, nil
		}
		gerr := parseError(resp.Status, resp.Header, resp.Body, method, rel)
		ev.Err = gerr
		if resp.Status == http.StatusUnauthorized && c.tokens != nil && !tokenRefreshed {
			// A cached token may have been revoked or expired early: fetch a
			// fresh one once.
			tokenRefreshed = true
			c.tokens.invalidate()
			c.emit(ev)
			retries++
			continue
		}
		throttled := resp.Status == http.StatusTooManyRequests
		if !c.noRetry && retryableStatus(resp.Status, idem) && (throttled || failures < c.maxRetries) {
			wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			if !ok {
				if throttled && cst.ca > 0 {
					// Conditional Access sends no Retry-After: back off,
					// and hold every Conditional Access request back.
					wait = backoff(caBackoffs)
					caBackoffs++
					c.pace.caPause(wait)
				} else {
					wait = backoff(backoffs)
					backoffs++
					if throttled && cst.report > 0 {
						// The audit log's 429s come without Retry-After
						// (graphsim; Graph's are undocumented): hold every
						// audit log request back as long.
						c.pace.reportPause(wait)
					}
				}
			}
			if !throttled {
				failures++
			} else if !c.deadline.IsZero() && c.now().Add(wait).After(c.deadline) {
				c.emit(ev)
				c.stats.add(0, 1)
				return resp, fmt.Errorf("%w; Graph asks to wait %s, past the run's time limit: %w", gerr, wait.Round(time.Second),
					&timeLimitError{wait: wait, budget: "Retry-After"})
			}
			ev.RetryIn = wait
			c.emit(ev)
			c.log.Info("graph: retrying", "method", method, "endpoint", ev.Endpoint, "status", resp.Status, "code", gerr.Code, "attempt", attempt+1, "wait", wait)
			retries++
			if err := c.wait(ctx, wait); err != nil {
				c.stats.add(0, 1)
				return resp, fmt.Errorf("%w (retry abandoned: %w)", gerr, err)
			}
			continue
		}
		c.emit(ev)
		c.stats.add(0, 1)
		return resp, gerr
	}
}

func (c *Client) emit(ev Event) {
	if c.progress != nil {
		c.progress(ev)
	}
}

// send makes one HTTP attempt (the caller holds a concurrency slot, see
// pacer.admit) and reads the whole body.
func (c *Client) send(ctx context.Context, method string, u *url.URL, body []byte, extra http.Header) (*Response, error) {
	auth, err := c.authorization(ctx)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range extra {
		if strings.EqualFold(k, "Authorization") {
			continue
		}
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("User-Agent", c.userAgent)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	hr, err := c.hc.Do(req)
	if err != nil {
		return nil, scrubURLError(err)
	}
	defer hr.Body.Close()
	tooLarge := &limitError{fmt.Sprintf("the answer is larger than %s, the limit on one Graph response; it was refused, not cut short (raise the limit with ENTRASNAP_MAX_RESPONSE_SIZE only if Graph really sends this much)", formatBytes(c.maxBody))}
	if hr.ContentLength > c.maxBody {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(hr.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if int64(len(data)) > c.maxBody {
		return nil, tooLarge
	}
	resp := &Response{Status: hr.StatusCode, Header: hr.Header}
	if len(data) > 0 {
		resp.Body = data
	}
	return resp, nil
}

// scrubURLError drops *url.Error's repetition of method and URL (the caller
// names them) and keeps the cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) authorization(ctx context.Context) (string, error) {
	if c.tokens == nil {
		return "Bearer " + c.staticToken, nil
	}
	tok, err := c.tokens.get(ctx)
	if err != nil {
		return "", err
	}
	return "Bearer " + tok, nil
}

// tokenSource caches a credential's token until five minutes before expiry
// (or its RefreshOn).
type tokenSource struct {
	cred   azcore.TokenCredential
	scopes []string
	mu     sync.Mutex
	tok    azcore.AccessToken
}

type tokenError struct{ err error }

func (e *tokenError) Error() string { return "acquiring a token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

func (t *tokenSource) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if t.tok.Token != "" && now.Add(5*time.Minute).Before(t.tok.ExpiresOn) &&
		(t.tok.RefreshOn.IsZero() || now.Before(t.tok.RefreshOn)) {
		return t.tok.Token, nil
	}
	tok, err := t.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: t.scopes})
	if err != nil {
		return "", &tokenError{err}
	}
	t.tok = tok
	return tok.Token, nil
}

func (t *tokenSource) invalidate() {
	t.mu.Lock()
	t.tok = azcore.AccessToken{}
	t.mu.Unlock()
}
