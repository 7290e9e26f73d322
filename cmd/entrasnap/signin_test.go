package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// signInGraphsim is `entrasnap graphsim --tls-cert F --approve-as UPN`
// started for a test (the sign-in tenant the delegated tests share, as
// live's signInTenant is for its tests): its start line, the certificate
// it wrote and an HTTP client that trusts it.
type signInGraphsim struct {
	URL, TenantID, Token string
	CertFile             string
	Client               *http.Client
}

// startSignInGraphsim runs graphsim over TLS with the demo profile,
// approving sign-ins as upn; it stops when the test ends.
func startSignInGraphsim(t *testing.T, upn string) *signInGraphsim {
	t.Helper()
	g := &signInGraphsim{CertFile: filepath.Join(t.TempDir(), "graphsim.pem")}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, &env{args: []string{"entrasnap", "graphsim", "--listen", "127.0.0.1:0", "--profile", "demo", "--tls-cert", g.CertFile, "--approve-as", upn},
			streams: streams{stdout: pw, stderr: io.Discard}})
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		<-done
	})
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
	g.URL, g.TenantID, g.Token = info.URL, info.TenantID, info.Token
	pem, err := os.ReadFile(g.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("--tls-cert wrote no certificate: %q", pem)
	}
	g.Client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return g
}

// call sends one request to graphsim and decodes its JSON answer; a JSON
// request carries graphsim's admin token. A status of 300 or more fails
// the test.
func (g *signInGraphsim) call(t *testing.T, method, path, ctype, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, g.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if ctype == "application/json" {
		req.Header.Set("Authorization", "Bearer "+g.Token)
	}
	resp, err := g.Client.Do(req)
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

// consentedPublicApp registers a public client app (appJSON, the
// application's create body) and its service principal through Graph,
// with an admin's consent for everyone to User.Read.All on Microsoft
// Graph, and returns the application.
func (g *signInGraphsim) consentedPublicApp(t *testing.T, appJSON string) map[string]any {
	t.Helper()
	const ctype = "application/json"
	app := g.call(t, "POST", "/v1.0/applications", ctype, appJSON)
	sp := g.call(t, "POST", "/v1.0/servicePrincipals", ctype, `{"appId":"`+app["appId"].(string)+`"}`)
	graphSP := g.call(t, "GET", "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '00000003-0000-0000-c000-000000000000'"), ctype, "")
	gid := graphSP["value"].([]any)[0].(map[string]any)["id"].(string)
	g.call(t, "POST", "/v1.0/oauth2PermissionGrants", ctype, `{"clientId":"`+sp["id"].(string)+`","consentType":"AllPrincipals","resourceId":"`+gid+`","scope":"User.Read.All"}`)
	return app
}
