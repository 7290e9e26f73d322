package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
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
	certFile := filepath.Join(t.TempDir(), "graphsim.pem")
	const upn = "adele.adams@contoso.com"
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, &env{args: []string{"entrasnap", "graphsim", "--listen", "127.0.0.1:0", "--profile", "demo", "--tls-cert", certFile, "--approve-as", upn},
			streams: streams{stdout: pw, stderr: io.Discard}})
		pw.Close()
	}()
	defer func() {
		cancel()
		go io.Copy(io.Discard, pr)
		<-done
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		URL      string `json:"url"`
		TenantID string `json:"tenant_id"`
		Token    string `json:"token"`
	}
	if err := json.Unmarshal([]byte(line), &info); err != nil || !strings.HasPrefix(info.URL, "https://127.0.0.1:") {
		t.Fatalf("start line %q: %v", line, err)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("--tls-cert wrote no certificate: %q", pem)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	call := func(method, path, ctype string, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, info.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if ctype == "application/json" {
			req.Header.Set("Authorization", "Bearer "+info.Token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, m)
		}
		return m
	}
	// A public client app with consented delegated permissions, made through Graph.
	app := call("POST", "/v1.0/applications", "application/json", `{"displayName":"entrasnap restore","isFallbackPublicClient":true}`)
	sp := call("POST", "/v1.0/servicePrincipals", "application/json", `{"appId":"`+app["appId"].(string)+`"}`)
	graphSP := call("GET", "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '00000003-0000-0000-c000-000000000000'"), "application/json", "")
	gid := graphSP["value"].([]any)[0].(map[string]any)["id"].(string)
	call("POST", "/v1.0/oauth2PermissionGrants", "application/json", `{"clientId":"`+sp["id"].(string)+`","consentType":"AllPrincipals","resourceId":"`+gid+`","scope":"User.Read.All"}`)

	form := "client_id=" + app["appId"].(string) + "&scope=" + url.QueryEscape("https://graph.microsoft.com/.default")
	dc := call("POST", "/"+info.TenantID+"/oauth2/v2.0/devicecode", "application/x-www-form-urlencoded", form)
	tok := call("POST", "/"+info.TenantID+"/oauth2/v2.0/token", "application/x-www-form-urlencoded",
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
