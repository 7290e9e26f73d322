package main

import (
	"io"
	"os/exec"
	"time"

	"github.com/entrasnap/entrasnap/live"
	"github.com/pkg/browser"
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
		&cli.StringFlag{Name: "auth", Value: live.AuthEnv, EnvVars: []string{"ENTRASNAP_AUTH"}, Usage: "how to sign in: env (an app's credentials from the environment, or `az login`), device-code (sign in as yourself: open the page shown, type the code) or browser (sign in as yourself in a browser on this machine; entrasnap opens it, or prints the address to open; the app needs http://localhost as a mobile and desktop redirect URI). Signed in as yourself, Graph allows only what your directory roles allow, and restore checks its plan against them first", Category: "Connection"},
		&cli.StringFlag{Name: "authority-host", EnvVars: []string{"AZURE_AUTHORITY_HOST"}, Usage: "with --auth device-code or browser: the https root of the sign-in service instead of the cloud's (a private cloud, or graphsim over TLS)", Category: "Connection"},
		&cli.DurationFlag{Name: "timeout", Value: defaultGraphTimeout, EnvVars: []string{"ENTRASNAP_TIMEOUT"}, Usage: "time limit for the run's Graph requests: entrasnap paces itself to Graph's throttling budget and waits out throttling (429) until then, never giving up earlier; e.g. 90m, 12h", Category: "Connection"},
	}
}

// defaultGraphTimeout is --timeout's default: generous, since a large
// tenant read at Graph's throttling budget can take hours.
const defaultGraphTimeout = 6 * time.Hour

func connectionFrom(c *cli.Context) live.Connection {
	cn := live.Connection{
		TenantID: c.String("tenant-id"), ClientID: c.String("client-id"), Cloud: c.String("cloud"),
		GraphURL: c.String("graph-url"), AccessToken: c.String("access-token"),
		Timeout: c.Duration("timeout"), Auth: c.String("auth"), AuthorityHost: c.String("authority-host"),
	}
	cn.SignInOn(c.App.ErrWriter, openBrowser)
	return cn
}

// openBrowser opens u in the system's browser; tests replace it. What
// the opener prints is not entrasnap's output (stdout may be JSON).
var openBrowser = func(u string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(u)
}

// lookPath finds a program on PATH; tests replace it.
var lookPath = exec.LookPath
