package main

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

// TestGraphsimApproveAsOverTLS starts `entrasnap graphsim --tls-cert F
// --approve-as U`: it serves https with the certificate it wrote, and a
// device code sign-in is approved as U without anyone typing the code.
func TestGraphsimApproveAsOverTLS(t *testing.T) {
	if code, _, errOut := runCLI(t, "graphsim", "--approve-as", "nobody@nowhere.example"); code != exitUsage || !strings.Contains(errOut, "--approve-as") {
		t.Errorf("unknown --approve-as user: exit %d, %q", code, errOut)
	}
	const upn = "adele.adams@contoso.com"
	sim := startSignInGraphsim(t, upn)
	// A public client app with consented delegated permissions, made through Graph.
	app := sim.consentedPublicApp(t, `{"displayName":"entrasnap restore","isFallbackPublicClient":true}`)
	call := func(method, path, ctype, body string) map[string]any {
		t.Helper()
		return sim.call(t, method, path, ctype, body)
	}

	form := "client_id=" + app["appId"].(string) + "&scope=" + url.QueryEscape("https://graph.microsoft.com/.default")
	dc := call("POST", "/"+sim.TenantID+"/oauth2/v2.0/devicecode", "application/x-www-form-urlencoded", form)
	tok := call("POST", "/"+sim.TenantID+"/oauth2/v2.0/token", "application/x-www-form-urlencoded",
		"grant_type=device_code&client_id="+app["appId"].(string)+"&device_code="+url.QueryEscape(dc["device_code"].(string)))
	at, _ := tok["access_token"].(string)
	if got := graph.TokenClaim(at, "upn"); got != upn || graph.TokenClaim(at, "scp") != "User.Read.All" {
		t.Errorf("token for %q (scp %q), want %s approved by --approve-as", got, graph.TokenClaim(at, "scp"), upn)
	}
}

// TestAuthFlagsReachTheConnection: --auth and --authority-host are wired to
// the connection: what cannot work is a usage error (exit 64) naming the
// flag, before any request.
func TestAuthFlagsReachTheConnection(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backup")
	r, err := snapshot.Init(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth", "kerberos"}, "--auth \"kerberos\""},
		{[]string{"--auth", "browser", "--tenant-id", "contoso.onmicrosoft.com"}, "--client-id"},
		{[]string{"--auth", "browser", "--tenant-id", "t", "--client-id", "c", "--authority-host", "http://127.0.0.1:9"}, "--authority-host"},
		{[]string{"--auth", "device-code", "--tenant-id", "contoso.onmicrosoft.com"}, "--client-id"},
		{[]string{"--auth", "device-code", "--tenant-id", "t", "--client-id", "c", "--authority-host", "http://127.0.0.1:9"}, "--authority-host"},
	} {
		args := append([]string{"restore", "--repo", dir, "--at", "HEAD", "users"}, c.args...)
		code, _, errOut := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %d naming %s", c.args, code, errOut, exitUsage, c.want)
		}
	}
}

// --auth browser's sign-in page: the address is printed (escaped) before
// the browser is opened, and when none opens the person is told to open
// it; nothing goes to stdout.
func TestBrowserSignInPrintsTheAddress(t *testing.T) {
	for _, fails := range []bool{false, true} {
		var opened []string
		old := openBrowser
		openBrowser = func(u string) error {
			opened = append(opened, u)
			if fails {
				return errors.New("exec: \"xdg-open\": executable file not found in $PATH")
			}
			return nil
		}
		var out, errOut strings.Builder
		app := &cli.App{Writer: &out, ErrWriter: &errOut, Flags: connectionFlags(), Action: func(c *cli.Context) error {
			return connectionFrom(c).OpenURL("https://login.example/t/oauth2/v2.0/authorize?client_id=c&state=\x1b[31m")
		}}
		err := app.Run([]string{"entrasnap", "--auth", "browser"})
		openBrowser = old
		if err != nil || len(opened) != 1 || out.Len() != 0 {
			t.Fatalf("err %v, opened %q, stdout %q", err, opened, out.String())
		}
		e := errOut.String()
		if !strings.Contains(e, "open this address in a browser on this machine:\nhttps://login.example/t/oauth2/v2.0/authorize?client_id=c&state=") || strings.Contains(e, "\x1b") {
			t.Errorf("stderr %q", e)
		}
		if got := strings.Contains(e, "could not open a browser (exec: "); got != fails {
			t.Errorf("opener failing %v: stderr %q", fails, e)
		}
	}
}
