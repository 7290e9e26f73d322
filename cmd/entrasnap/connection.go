package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/urfave/cli/v2"
)

// connectionFlags are the flags of every command that talks to Graph.
func connectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "tenant-id", EnvVars: []string{"AZURE_TENANT_ID"}, Usage: "Entra tenant id or initial domain", Category: "Connection"},
		&cli.StringFlag{Name: "client-id", EnvVars: []string{"AZURE_CLIENT_ID"}, Usage: "application (client) id of the app registration entrasnap signs in as", Category: "Connection"},
		&cli.StringFlag{Name: "cloud", Value: "global", Usage: "national cloud: global, usgov, usgovdod or china", Category: "Connection"},
		&cli.StringFlag{Name: "graph-url", EnvVars: []string{"ENTRASNAP_GRAPH_URL"}, Usage: "Graph root URL to use instead of the cloud's (graphsim prints one); https, or http to a loopback host only", Category: "Connection"},
		&cli.StringFlag{Name: "access-token", EnvVars: []string{"ENTRASNAP_ACCESS_TOKEN"}, Usage: "a prepared bearer token (graphsim prints one); prefer credentials from the environment for real tenants", Category: "Connection"},
		&cli.DurationFlag{Name: "timeout", Value: defaultGraphTimeout, EnvVars: []string{"ENTRASNAP_TIMEOUT"}, Usage: "time limit for the run's Graph requests: entrasnap paces itself to Graph's throttling budget and waits out throttling (429) until then, never giving up earlier; e.g. 90m, 12h", Category: "Connection"},
	}
}

// defaultGraphTimeout is --timeout's default: generous, since a large
// tenant read at Graph's throttling budget can take hours.
const defaultGraphTimeout = 6 * time.Hour

// connection is what connectionFlags parsed.
type connection struct {
	tenantID, clientID, cloud, graphURL, accessToken string
	// timeout is --timeout: the run's time limit for Graph (0: none).
	timeout time.Duration
	// onEvent, when set, sees every HTTP attempt (retries and waits included).
	onEvent func(graph.Event)
	// sleep waits between retries (nil: a real timer); see factory.
	sleep func(ctx context.Context, d time.Duration) error
}

func connectionFrom(c *cli.Context) connection {
	return connection{
		tenantID: c.String("tenant-id"), clientID: c.String("client-id"), cloud: c.String("cloud"),
		graphURL: c.String("graph-url"), accessToken: c.String("access-token"),
		timeout: c.Duration("timeout"),
	}
}

// client builds the Graph client. Credentials come from the environment
// (client secret, certificate, workload identity federation, managed
// identity, Azure CLI) unless a prepared token is given.
func (cn connection) client(userAgent string) (*graph.Client, error) {
	cloudInfo, err := graph.LookupCloud(cn.cloud)
	if err != nil {
		return nil, usageErrorf("--cloud: %v", err)
	}
	if cn.timeout < 0 {
		return nil, usageErrorf("--timeout %v: want a positive duration such as 6h or 90m", cn.timeout)
	}
	cfg := graph.Config{BaseURL: cn.graphURL, Cloud: cn.cloud, UserAgent: userAgent, Progress: cn.onEvent, Sleep: cn.sleep, Timeout: cn.timeout}
	if cfg.BaseURL == "" {
		cfg.BaseURL = cloudInfo.GraphRoot
	}
	if err := graphLimitsFromEnv(&cfg); err != nil {
		return nil, err
	}
	if err := graph.CheckBaseURL(cfg.BaseURL); errors.Is(err, graph.ErrPlainHTTP) {
		// Refused before any token is fetched or request made.
		return nil, usageErrorf("--graph-url (ENTRASNAP_GRAPH_URL) %q: plain http is allowed only to a loopback host (127.0.0.1, ::1, localhost): the access token (--access-token, ENTRASNAP_ACCESS_TOKEN, or a credential's) would travel unencrypted; use an https URL", cfg.BaseURL)
	}
	if cn.accessToken != "" {
		cfg.AccessToken = cn.accessToken
	} else {
		if cn.tenantID == "" && os.Getenv("AZURE_TENANT_ID") == "" {
			return nil, usageErrorf("no credentials: give --tenant-id and --client-id with credentials in the environment (AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE, managed identity or `az login`), or --graph-url and --access-token for graphsim")
		}
		if graph.CredentialKind() == "azure-cli" {
			if _, err := lookPath("az"); err != nil {
				return nil, usageErrorf("no credentials in the environment and no Azure CLI on PATH: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE (or AZURE_USE_MSI=1 on Azure), or install the Azure CLI and run `az login`")
			}
		}
		cred, err := graph.CredentialFromEnv(cn.tenantID, cn.clientID, cn.cloud)
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		cfg.Credential = cred
	}
	return graph.New(cfg)
}

// lookPath finds a program on PATH; tests replace it.
var lookPath = exec.LookPath
