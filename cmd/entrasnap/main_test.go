package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWith(t, factory{}, "", false, args...)
}

// runWith runs entrasnap with the factory f and stdin; prompt says whether
// stdin counts as a terminal.
func runWith(t *testing.T, f factory, stdin string, prompt bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if f.sleep == nil {
		// Against a tenant of this test (served with serveSim), the retry
		// and pacing waits advance its clock instead of sleeping.
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "--graph-url" {
				if sim, ok := servedSims.Load(args[i+1]); ok {
					f.sleep = simtest.Sleep(sim.(*graphsim.Server))
				}
			}
		}
	}
	var out, errb bytes.Buffer
	e := &env{args: append([]string{"entrasnap"}, args...), factory: f,
		streams: streams{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, canPrompt: prompt}}
	return runContext(context.Background(), e), out.String(), errb.String()
}

// servedSims maps the URL of each tenant served with serveSim to the tenant.
var servedSims sync.Map

// serveSim serves h (sim, or a handler in front of it) until the test ends
// and records that its waits may move sim's clock: runWith then gives a
// command run with --graph-url <its URL> a sleep that advances sim's clock
// (Graph's pacing and Retry-After waits cost no real time, as in
// simtest.Client).
func serveSim(t *testing.T, sim *graphsim.Server, h http.Handler) *httptest.Server {
	t.Helper()
	srv := simtest.Serve(t, h)
	servedSims.Store(srv.URL, sim)
	t.Cleanup(func() { servedSims.Delete(srv.URL) })
	return srv
}

func TestHelpVersionAndExitCodes(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != exitOK || !strings.Contains(out, "EXIT CODES") || !strings.Contains(out, "graphsim") {
		t.Errorf("--help: code %d, output:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "--version")
	if code != exitOK || !strings.Contains(out, "entrasnap version") {
		t.Errorf("--version: %d %q", code, out)
	}
	code, _, errOut := runCLI(t, "graphsim", "--throttle", "sometimes")
	if code != exitUsage || !strings.Contains(errOut, "--throttle") {
		t.Errorf("bad flag value: code %d, stderr %q", code, errOut)
	}
	code, _, _ = runCLI(t, "graphsim", "--no-such-flag")
	if code != exitUsage {
		t.Errorf("unknown flag: code %d, want %d", code, exitUsage)
	}
	code, _, _ = runCLI(t, "no-such-command")
	if code == exitOK {
		t.Error("unknown command succeeded")
	}
}

// permissionSets runs `kinds --permissions --json` and decodes the sets.
func permissionSets(t *testing.T) map[string][]string {
	t.Helper()
	code, out, _ := runCLI(t, "kinds", "--permissions", "--json")
	if code != exitOK {
		t.Fatalf("code %d", code)
	}
	var sets map[string][]string
	if err := json.Unmarshal([]byte(out), &sets); err != nil {
		t.Fatal(err)
	}
	return sets
}

func TestKindsCommand(t *testing.T) {
	sets := permissionSets(t)
	for _, p := range sets["export"] {
		if strings.Contains(p, "ReadWrite") {
			t.Errorf("export permission set holds a write permission: %s", p)
		}
	}
	if len(sets["restore"]) == 0 {
		t.Error("no restore permissions")
	}
}

// graphsimCLI is a running `entrasnap graphsim` (startGraphsimCLI).
type graphsimCLI struct{ URL, TenantID, Token string }

// startGraphsimCLI runs `entrasnap graphsim --listen 127.0.0.1:0 args...`
// and reads its JSON line; stop ends it as SIGINT would and returns its
// exit code.
func startGraphsimCLI(t *testing.T, args ...string) (info graphsimCLI, stop func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		done <- runContext(ctx, &env{args: append([]string{"entrasnap", "graphsim", "--listen", "127.0.0.1:0"}, args...),
			streams: streams{stdout: pw, stderr: io.Discard}})
		pw.Close()
	}()
	stop = func() int {
		cancel()
		go io.Copy(io.Discard, pr)
		return <-done
	}
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		stop()
		t.Fatal(err)
	}
	t.Logf("graphsim started in %v", time.Since(start))
	if err := json.Unmarshal([]byte(line), &struct {
		URL      *string `json:"url"`
		TenantID *string `json:"tenant_id"`
		Token    *string `json:"token"`
	}{&info.URL, &info.TenantID, &info.Token}); err != nil {
		stop()
		t.Fatalf("start line %q: %v", line, err)
	}
	if !strings.HasPrefix(info.URL, "http://127.0.0.1:") || info.TenantID == "" || info.Token == "" {
		stop()
		t.Fatalf("start line = %q", line)
	}
	return info, stop
}

// getJSON GETs path from a graphsim started by startGraphsimCLI.
func (g graphsimCLI) getJSON(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", g.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestGraphsimCommand starts `entrasnap graphsim`, reads its JSON line, calls
// Graph through it, and stops it as SIGINT would, saving the tenant.
func TestGraphsimCommand(t *testing.T) {
	dir := t.TempDir()
	save := filepath.Join(dir, "tenant.json")
	g, stop := startGraphsimCLI(t, "--save", save, "--profile", "demo")
	if code, _ := g.getJSON(t, "/v1.0/organization"); code != 200 {
		t.Errorf("GET /v1.0/organization = %d", code)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("graphsim ended with exit %d", code)
	}
	if st, err := os.Stat(save); err != nil || st.Size() == 0 {
		t.Fatalf("--save wrote nothing: %v", err)
	}
}

// --terms-of-use-file-data null serves agreement files with "fileData":
// null, as Graph's documented examples answer (their other properties as
// usual); bytes, the default, serves each PDF's base64; another value is
// a usage error naming the flag, and --help describes it.
func TestGraphsimTermsOfUseFileDataFlag(t *testing.T) {
	const agreement = "/v1.0/identityGovernance/termsOfUse/agreements/7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a01?$expand=files" // the demo's guest terms
	for _, c := range []struct {
		args []string
		null bool
	}{{nil, false}, {[]string{"--terms-of-use-file-data", "bytes"}, false}, {[]string{"--terms-of-use-file-data", "null"}, true}} {
		g, stop := startGraphsimCLI(t, append([]string{"--profile", "demo"}, c.args...)...)
		code, body := g.getJSON(t, agreement)
		stop()
		files, _ := body["files"].([]any)
		if code != 200 || len(files) != 2 {
			t.Fatalf("%v: GET agreement with files = %d %v", c.args, code, body)
		}
		for _, f := range files {
			m := f.(map[string]any)
			fd, present := m["fileData"]
			data, _ := fd.(map[string]any)
			switch {
			case c.null && (!present || fd != nil || m["fileName"] == nil || m["language"] == nil):
				t.Errorf("%v: file %v, want fileData null beside its other properties", c.args, m)
			case !c.null && !strings.HasPrefix(fmt.Sprint(data["data"]), "JVBERi0"): // base64 of "%PDF-"
				t.Errorf("%v: file %v, want the PDF's base64", c.args, m)
			}
		}
	}
	if code, _, errOut := runCLI(t, "graphsim", "--terms-of-use-file-data", "\x1b[31mnone"); code != exitUsage ||
		!strings.Contains(errOut, "--terms-of-use-file-data") || !strings.Contains(errOut, "want bytes or null") || strings.Contains(errOut, "\x1b") {
		t.Errorf("--terms-of-use-file-data none: code %d, stderr %q", code, errOut)
	}
	if code, out, _ := runCLI(t, "graphsim", "--help"); code != exitOK || !strings.Contains(out, "--terms-of-use-file-data") || !strings.Contains(out, "rehearse an export that gets no PDF") {
		t.Errorf("graphsim --help: code %d\n%s", code, out)
	}
}

func TestNoCredentialsSaysWhatToSet(t *testing.T) {
	for _, v := range []string{"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_USE_MSI", "IDENTITY_ENDPOINT", "ENTRASNAP_ACCESS_TOKEN", "ENTRASNAP_GRAPH_URL"} {
		t.Setenv(v, "")
	}
	t.Setenv("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001")
	old := lookPath
	lookPath = func(string) (string, error) { return "", os.ErrNotExist }
	t.Cleanup(func() { lookPath = old })
	code, _, errOut := runCLI(t, "export", "--repo", filepath.Join(t.TempDir(), "r"))
	if code != exitUsage || !strings.Contains(errOut, "AZURE_CLIENT_SECRET") || !strings.Contains(errOut, "az login") {
		t.Errorf("code %d, stderr %q", code, errOut)
	}
}
