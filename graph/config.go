package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Config configures a Client. The zero value is not usable: set Credential or
// AccessToken.
type Config struct {
	// BaseURL is the Graph root without a version, e.g.
	// "https://graph.microsoft.com" or graphsim's "http://127.0.0.1:8080".
	// Empty means the root of Cloud. Plain http is refused unless the host
	// is loopback (127.0.0.0/8, ::1, localhost): tokens are never sent
	// unencrypted over a network.
	BaseURL string

	// Credential supplies tokens (see CredentialFromEnv). Exactly one of
	// Credential and AccessToken must be set.
	Credential azcore.TokenCredential
	// AccessToken is sent as-is as "Authorization: Bearer <AccessToken>"
	// (graphsim, or a token prepared elsewhere). It is never logged.
	AccessToken string
	// AppOnly says that Credential signs in as an application (a client
	// secret or certificate, workload identity federation, a managed
	// identity: CredentialKind's AppOnlyCredential kinds): its tokens never
	// speak for a user, opaque or not, so a caller need not ask Graph
	// whether one is signed in (GET /me). False is "not known": a token
	// given as is (AccessToken), the Azure CLI's (a user or a service
	// principal), a user's own sign-in.
	AppOnly bool
	// Scopes requested from Credential. Default: {"<scheme://host of BaseURL>/.default"}.
	Scopes []string

	// Cloud is "global" (default), "usgov", "usgovdod" or "china"; see LookupCloud.
	// It picks the default BaseURL.
	Cloud string

	// UserAgent is sent as the User-Agent product token. Default "entrasnap".
	UserAgent string

	// MaxRetries bounds the retries of one request (and of one $batch item)
	// after a 5xx or a dropped connection. A 429 is not counted: a throttled
	// request is sent again, when Graph says, for as long as the context
	// and Timeout leave time. 0 means the default (6); a negative value
	// disables every retry, 429s included.
	MaxRetries int
	// Concurrency bounds the requests in flight at once. Default 4. The
	// client lowers the bound itself when Graph throttles (halved on a 429)
	// and raises it again, one at a time, after a run of clean answers.
	Concurrency int
	// Timeout is the run's time limit, from New: a request that Graph
	// throttles, or that the client's pacing would hold back, past it
	// fails (wrapping ErrTimeLimit) instead of waiting. 0 means none (the
	// context still bounds every wait).
	Timeout time.Duration
	// TenantUsers, when known (> 0), sizes the resource-unit budget the
	// client paces directory requests to: Graph's quota for the tenant
	// size (ReadQuotaFor). 0 starts at the smallest tenant's quota and
	// learns a larger one from Graph's answers.
	TenantUsers int

	// MaxResponseBytes bounds one response body; a larger answer is an
	// error (wrapping ErrLimit), never a truncated success. 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxPages bounds the pages one List or Delta round follows; a longer
	// list is an error (wrapping ErrLimit). 0 means DefaultMaxPages.
	MaxPages int

	// HTTPClient, when set, provides the transport under the middleware
	// pipeline (e.g. an httptest server's client) and its Timeout.
	HTTPClient *http.Client

	// Sleep waits between retries and for the throttling budget. nil means a
	// timer that returns early with ctx.Err() when ctx ends. Tests inject a
	// recorder, or one that moves graphsim's clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock the pacing and Timeout run on. nil means the wall
	// clock, moved on to the end of every wait when Sleep is injected (so a
	// Sleep that returns at once still lets the budget refill); waits that
	// overlap end at the latest wake-up, not after their sum. Tests that
	// move graphsim's clock in Sleep set Now to graphsim's Clock().Now.
	Now func() time.Time

	// Logger receives retries and throttling at Info and every request at
	// Debug. Tokens and headers are never logged. nil means no logging.
	Logger *slog.Logger
	// Progress, when set, is called after every HTTP attempt, possibly from
	// several goroutines at once.
	Progress func(Event)
}

// Event describes one HTTP attempt, for Config.Progress, or a wait for
// Graph's throttling budget before one (Paced > 0).
type Event struct {
	Method   string
	Endpoint string // path template, e.g. "/v1.0/users/{id}"
	Status   int    // 0 when the request failed before a response arrived
	Attempt  int    // 0 for the first attempt
	Elapsed  time.Duration
	RetryIn  time.Duration // > 0 when the request will be retried after this wait (429: Graph's Retry-After)
	Err      error         // nil on success
	// Paced > 0 marks an event that is no attempt: the client holds its
	// next request back this long to stay within Graph's throttling budget,
	// named by Budget (e.g. "8000 resource units per 10 s"). Waits shorter
	// than a second are not reported, and longer ones at most every 5 s.
	Paced  time.Duration
	Budget string
}

const (
	defaultMaxRetries  = 6
	defaultConcurrency = 4
	defaultUserAgent   = "entrasnap"
	defaultTimeout     = 100 * time.Second
)

// CloudInfo describes a national cloud.
type CloudInfo struct {
	Name          string              // canonical name: global, usgov, usgovdod, china
	GraphRoot     string              // e.g. https://graph.microsoft.com
	Authority     cloud.Configuration // azidentity authority host
	AuthorityHost string              // e.g. https://login.microsoftonline.com/
}

var clouds = []CloudInfo{
	{Name: "global", GraphRoot: "https://graph.microsoft.com", Authority: cloud.AzurePublic},
	{Name: "usgov", GraphRoot: "https://graph.microsoft.us", Authority: cloud.AzureGovernment},
	{Name: "usgovdod", GraphRoot: "https://dod-graph.microsoft.us", Authority: cloud.AzureGovernment},
	{Name: "china", GraphRoot: "https://microsoftgraph.chinacloudapi.cn", Authority: cloud.AzureChina},
}

var cloudAliases = map[string]string{
	"": "global", "global": "global", "public": "global", "azurecloud": "global",
	"usgov": "usgov", "gcchigh": "usgov", "azureusgovernment": "usgov",
	"usgovdod": "usgovdod", "dod": "usgovdod",
	"china": "china", "azurechinacloud": "china",
}

// LookupCloud maps a cloud name (case-insensitive; "" is global; aliases
// public, gcchigh, dod are accepted) to its Graph root and authority.
func LookupCloud(name string) (CloudInfo, error) {
	canon, ok := cloudAliases[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return CloudInfo{}, fmt.Errorf("graph: unknown cloud %q (want global, usgov, usgovdod or china)", name)
	}
	for _, c := range clouds {
		if c.Name == canon {
			c.AuthorityHost = c.Authority.ActiveDirectoryAuthorityHost
			return c, nil
		}
	}
	panic("unreachable: cloud alias without table entry " + canon)
}

// normalizeBaseURL checks BaseURL and returns it without a trailing slash.
func normalizeBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("graph: BaseURL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("graph: BaseURL %q: want an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("graph: BaseURL %q: want no query, fragment or user info", raw)
	}
	last := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if last == "v1.0" || last == "beta" {
		return nil, fmt.Errorf("graph: BaseURL %q: give the Graph root without the version; paths carry it", raw)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (cfg *Config) validate() error {
	switch {
	case cfg.Credential == nil && cfg.AccessToken == "":
		return errors.New("graph: Config needs a Credential or an AccessToken")
	case cfg.Credential != nil && cfg.AccessToken != "":
		return errors.New("graph: Config has both a Credential and an AccessToken; set one")
	}
	return nil
}
