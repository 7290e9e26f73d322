package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// The environment variables that bound what one Graph answer may hold
// (graph.Config's MaxResponseBytes and MaxPages; README "Limits").
const (
	MaxResponseSizeEnv = "ENTRASNAP_MAX_RESPONSE_SIZE"
	MaxPagesEnv        = "ENTRASNAP_MAX_PAGES"
)

// Connection is how to reach the tenant: the CLI's connection flags
// (--tenant-id, --client-id, --cloud, --graph-url, --access-token,
// --timeout) with the environment. Client builds the Graph client from it.
type Connection struct {
	TenantID, ClientID, Cloud, GraphURL, AccessToken string
	// Timeout is the run's time limit for Graph (0: none; negative is refused).
	Timeout time.Duration
	// UserAgent is sent as the User-Agent product token.
	UserAgent string
	// Progress, when set, sees every HTTP attempt (retries and waits included).
	Progress func(graph.Event)
	// Sleep waits between retries (nil: a real timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// LookPath finds a program on PATH (nil: exec.LookPath).
	LookPath func(string) (string, error)
	// Auth is the sign-in method: AuthEnv ("" too), AuthDeviceCode
	// (delegated.go) or AuthBrowser (browser.go); AuthorityHost replaces the cloud's sign-in service
	// (graphsim's); Prompt shows a device code to the person signing in;
	// HTTPClient, when set, carries the sign-in and Graph requests (tests).
	Auth, AuthorityHost string
	Prompt              func(context.Context, DeviceCode) error
	HTTPClient          *http.Client
	// OpenURL shows the sign-in page of AuthBrowser (browser.go): opens a
	// browser at the address, or tells the person to (tests play the browser).
	OpenURL func(url string) error
}

// SignInOn makes cn's Prompt and OpenURL talk to a person on w (stderr:
// stdout may be JSON). The device code sign-in's instructions come from
// the sign-in service: escaped. The browser sign-in's address is printed
// before open opens a browser at it, so a person on a machine where none
// opens can open it in a browser on this machine (the identity platform
// sends the browser back to http://localhost).
func (cn *Connection) SignInOn(w io.Writer, open func(url string) error) {
	cn.Prompt = func(_ context.Context, dc DeviceCode) error {
		_, err := fmt.Fprintln(w, layout.Safe(dc.Message))
		return err
	}
	cn.OpenURL = func(u string) error {
		fmt.Fprintf(w, "Signing in: opening the sign-in page in your browser. If no browser opens, open this address in a browser on this machine:\n%s\n", layout.Safe(u))
		if err := open(u); err != nil {
			fmt.Fprintf(w, "entrasnap: could not open a browser (%s): open the address above; entrasnap waits for the sign-in\n", layout.Safe(err.Error()))
		}
		return nil
	}
}

// UsageError is Client's error for a flag or environment value that cannot
// work; its message names the flag or variable and says what to give.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &UsageError{fmt.Sprintf(format, args...)}
}

// Config is the graph.Config cn describes, without credentials: the
// cloud's Graph root unless GraphURL is set, and the response-size and
// page limits from ENTRASNAP_MAX_RESPONSE_SIZE and ENTRASNAP_MAX_PAGES when
// they are set.
func (cn Connection) Config() (graph.Config, error) {
	cloudInfo, err := graph.LookupCloud(cn.Cloud)
	if err != nil {
		return graph.Config{}, usagef("--cloud: %v", err)
	}
	if cn.Timeout < 0 {
		return graph.Config{}, usagef("--timeout %v: want a positive duration such as 6h or 90m", cn.Timeout)
	}
	cfg := graph.Config{BaseURL: cn.GraphURL, Cloud: cn.Cloud, UserAgent: cn.UserAgent, Progress: cn.Progress, Sleep: cn.Sleep, Timeout: cn.Timeout}
	if cfg.BaseURL == "" {
		cfg.BaseURL = cloudInfo.GraphRoot
	}
	if v := os.Getenv(MaxResponseSizeEnv); v != "" {
		n, err := layout.ParseSize(v)
		if err != nil {
			return graph.Config{}, usagef("%s: %v", MaxResponseSizeEnv, err)
		}
		cfg.MaxResponseBytes = n
	}
	if v := os.Getenv(MaxPagesEnv); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			return graph.Config{}, usagef("%s: %q: want a positive number of pages", MaxPagesEnv, v)
		}
		cfg.MaxPages = n
	}
	return cfg, nil
}

// Client builds the Graph client. Credentials come from the environment
// (client secret, certificate, workload identity federation, managed
// identity, Azure CLI) unless AccessToken is given. Errors from what the
// user gave are *UsageError.
func (cn Connection) Client() (*graph.Client, error) {
	cfg, err := cn.Config()
	if err != nil {
		return nil, err
	}
	if err := graph.CheckBaseURL(cfg.BaseURL); errors.Is(err, graph.ErrPlainHTTP) {
		// Refused before any token is fetched or request made.
		return nil, usagef("--graph-url (ENTRASNAP_GRAPH_URL) %q: plain http is allowed only to a loopback host (127.0.0.1, ::1, localhost): the access token (--access-token, ENTRASNAP_ACCESS_TOKEN, or a credential's) would travel unencrypted; use an https URL", cfg.BaseURL)
	}
	switch cn.Auth {
	case "", AuthEnv:
	case AuthDeviceCode:
		if cn.AccessToken != "" {
			return nil, usagef("--auth device-code and --access-token (ENTRASNAP_ACCESS_TOKEN) are two ways to sign in: give one")
		}
		cred, err := cn.deviceCodeCredential() // delegated.go
		if err != nil {
			return nil, err
		}
		cfg.Credential, cfg.HTTPClient = cred, cn.HTTPClient
		return graph.New(cfg)
	case AuthBrowser:
		if cn.AccessToken != "" {
			return nil, usagef("--auth browser and --access-token (ENTRASNAP_ACCESS_TOKEN) are two ways to sign in: give one")
		}
		cred, err := cn.browserCredential() // browser.go
		if err != nil {
			return nil, err
		}
		cfg.Credential, cfg.HTTPClient = cred, cn.HTTPClient
		return graph.New(cfg)
	default:
		return nil, usagef("--auth %q: want env (credentials from the environment, the default), device-code or browser (sign in as yourself)", cn.Auth)
	}
	if cn.AccessToken != "" {
		cfg.AccessToken = cn.AccessToken
		return graph.New(cfg)
	}
	if cn.TenantID == "" && os.Getenv("AZURE_TENANT_ID") == "" {
		return nil, usagef("no credentials: give --tenant-id and --client-id with credentials in the environment (AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE, managed identity or `az login`), or --graph-url and --access-token for graphsim")
	}
	if graph.CredentialKind() == "azure-cli" {
		lookPath := cn.LookPath
		if lookPath == nil {
			lookPath = exec.LookPath
		}
		if _, err := lookPath("az"); err != nil {
			return nil, usagef("no credentials in the environment and no Azure CLI on PATH: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE (or AZURE_USE_MSI=1 on Azure), or install the Azure CLI and run `az login`")
		}
	}
	cred, err := graph.CredentialFromEnv(cn.TenantID, cn.ClientID, cn.Cloud)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	cfg.Credential = cred
	cfg.AppOnly = graph.AppOnlyCredential(graph.CredentialKind())
	return graph.New(cfg)
}
