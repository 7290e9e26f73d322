//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

var (
	e2eFormAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	e2eFormInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
)

// TestBrowserSignInEndToEnd runs the built entrasnap as a person would:
// `export --auth browser` against `entrasnap graphsim --tls-cert F
// --approve-as U` over TLS (trusted through SSL_CERT_FILE, as the graphsim
// help says). The system's browser opener (xdg-open, first on PATH) hands
// the sign-in address to the test, which plays the browser: it follows the
// address to graphsim's authorize page and submits its form to entrasnap's
// loopback redirect URI. The export then reads the users as U: the
// snapshot's manifest records a delegated token with the app's scope, and
// nothing of the token is printed.
func TestBrowserSignInEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds entrasnap")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "entrasnap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// graphsim over TLS, signing browser sign-ins in as upn.
	const upn = "adele.adams@contoso.com"
	sim := startSignInGraphsim(t, upn)
	certFile, hc := sim.CertFile, sim.Client
	// The public client app (mobile and desktop redirect URI
	// http://localhost) with an admin's consent to User.Read.All.
	appID := sim.consentedPublicApp(t, `{"displayName":"entrasnap restore","publicClient":{"redirectUris":["http://localhost"]}}`)["appId"].(string)

	// The system's browser opener: it hands the address to the test
	// through a FIFO (the test reads it as the browser would be given it).
	binDir := filepath.Join(tmp, "bin")
	fifo := filepath.Join(tmp, "opened")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(binDir, "xdg-open"), []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" > \"$E2E_OPENED\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	browserErr := make(chan error, 1)
	opened := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the opener writes
		if err != nil {
			browserErr <- err
			return
		}
		u, err := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if err != nil {
			browserErr <- err
			return
		}
		u = strings.TrimSpace(u)
		opened <- u
		browserErr <- playBrowserWith(hc, u)
	}()

	repo := filepath.Join(tmp, "backup")
	runCtx, stop := context.WithTimeout(context.Background(), 3*time.Minute) // a broken flow fails, it does not hang
	defer stop()
	cmd := exec.CommandContext(runCtx, bin, "export", "--repo", repo, "--kinds", "users", "--message", "as myself",
		"--auth", "browser", "--tenant-id", sim.TenantID, "--client-id", appID, "--authority-host", sim.URL, "--graph-url", sim.URL)
	cmd.Env = []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + tmp, "SSL_CERT_FILE=" + certFile,
		"E2E_OPENED=" + fifo, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if runErr != nil {
		// Unblock the browser goroutine if the opener never ran.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatalf("export --auth browser: %v\nstdout:\n%s\nstderr:\n%s", runErr, stdout.String(), stderr.String())
	}
	if err := <-browserErr; err != nil {
		t.Fatalf("the browser: %v", err)
	}
	u := <-opened
	q, err := url.Parse(u)
	if err != nil || !strings.HasPrefix(u, sim.URL+"/"+sim.TenantID+"/oauth2/v2.0/authorize?") || q.Query().Get("code_challenge_method") != "S256" ||
		q.Query().Get("code_challenge") == "" || !strings.HasPrefix(q.Query().Get("redirect_uri"), "http://localhost:") || q.Query().Get("client_id") != appID {
		t.Errorf("the address opened: %s; want graphsim's authorize endpoint with PKCE (S256), the app and a loopback redirect URI", u)
	}
	if !strings.Contains(stderr.String(), "Signing in: opening the sign-in page in your browser.") || !strings.Contains(stderr.String(), layout.Safe(u)) {
		t.Errorf("stderr does not show the sign-in address:\n%s", stderr.String())
	}
	show := exec.Command("git", "-C", repo, "show", "HEAD:"+layout.ManifestPath)
	show.Env = cmd.Env
	data, err := show.Output()
	if err != nil {
		t.Fatal(err)
	}
	m, err := layout.DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Access == nil || m.Access.Type != "delegated" || strings.Join(m.Access.Permissions, ",") != "User.Read.All" || !m.Kinds["users"].Complete {
		t.Errorf("manifest: access %+v, users %+v; want a complete read by a delegated token with scope User.Read.All", m.Access, m.Kinds["users"])
	}
	if strings.Contains(stdout.String()+stderr.String(), "eyJ") {
		t.Error("a token was printed")
	}
}

// playBrowserWith is what a browser does with the sign-in address: it
// follows it (trusting graphsim's certificate) and submits the form_post
// page's form to the loopback redirect URI.
func playBrowserWith(hc *http.Client, u string) error {
	resp, err := hc.Get(u)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := e2eFormAction.FindSubmatch(body)
	if m == nil {
		return errors.New("the sign-in page has no form: " + string(body))
	}
	form := url.Values{}
	for _, in := range e2eFormInput.FindAllSubmatch(body, -1) {
		form.Set(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
	}
	back, err := http.PostForm(html.UnescapeString(string(m[1])), form)
	if err != nil {
		return err
	}
	back.Body.Close()
	if back.StatusCode != http.StatusOK {
		return errors.New("the loopback redirect answered " + back.Status)
	}
	return nil
}
