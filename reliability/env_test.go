//go:build linux

package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// frozen is graphsim's clock in every scenario: the same seed gives the same
// tenant, byte for byte.
var frozen = time.Date(2026, 3, 20, 2, 0, 0, 0, time.UTC)

// sim is a graphsim tenant served over HTTP in this process, behind an
// optional middleware (faults graphsim has no option for).
type sim struct {
	srv   *graphsim.Server
	hs    *httptest.Server
	url   string
	token string
	mw    func(http.Handler) http.Handler
}

func newSim(t testing.TB, opts graphsim.Options, mw func(http.Handler) http.Handler) *sim {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = frozen
	}
	srv := simtest.New(t, opts) // the demo profile, seed 1 unless opts say otherwise
	s := &sim{srv: srv, token: srv.Token(), mw: mw}
	var h http.Handler = srv
	if mw != nil {
		h = mw(srv)
	}
	s.hs = simtest.Serve(t, h)
	s.url = s.hs.URL
	keepSecret(s.token, "graphsim access token")
	return s
}

// call is a Graph request with graphsim's own token, for setting a scenario
// up (never through the middleware's faults: it goes to the server directly).
func (s *sim) call(t testing.TB, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, "http://graph.local/v1.0"+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	s.srv.ServeHTTP(w, req)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func (s *sim) mustCall(t testing.TB, method, path string, body any) map[string]any {
	t.Helper()
	code, out := s.call(t, method, path, body)
	if code >= 300 {
		t.Fatalf("setup %s %s: %d %v", method, path, code, out)
	}
	return out
}

// state is the tenant's saved form: equal states mean nothing was written.
func (s *sim) state(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.srv.Tenant().Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// counts is the number of live objects per graphsim kind.
func (s *sim) counts() map[string]int {
	m := map[string]int{}
	for _, k := range graphsim.KindNames() {
		m[k] = len(s.srv.Tenant().List(k))
	}
	return m
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
	killed         bool
	timedOut       bool
}

func (r result) out() string { return r.stdout + r.stderr }

type runOpts struct {
	dir   string   // working directory
	env   []string // extra environment
	wrap  []string // run under this command (bash -c ... exec "$@")
	cred  *syscall.Credential
	start func(p *os.Process) // called once the process runs (kill hooks)
	// timeout, when set, ends the run after it and reports timedOut
	// instead of failing the test.
	timeout time.Duration
	// race runs the race-built product binary when the suite has one
	// (raceBuild; see race_test.go), the plain one otherwise.
	race bool
}

// run runs the product binary against s (nil: no tenant) and keeps what it printed.
func run(t testing.TB, s *sim, o runOpts, args ...string) result {
	t.Helper()
	limit := 2 * time.Minute
	if raceBuild {
		limit = 6 * time.Minute // graphsim (and the fault rows' product) under the race detector, beside other rows
	}
	if o.timeout > 0 {
		limit = o.timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	exe := bin
	if o.race && raceBin != "" {
		exe = raceBin
	}
	argv := append([]string{exe}, args...)
	if len(o.wrap) > 0 {
		argv = append(append([]string{}, o.wrap...), argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = o.dir
	env := append(gitcheck.Env(), "NO_COLOR=1", "ENTRASNAP_GRAPH_URL=", "ENTRASNAP_ACCESS_TOKEN=")
	if s != nil {
		env = append(env, "ENTRASNAP_GRAPH_URL="+s.url, "ENTRASNAP_ACCESS_TOKEN="+s.token)
	}
	cmd.Env = append(env, o.env...)
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if o.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if o.start != nil {
		o.start(cmd.Process)
	}
	err := cmd.Wait()
	res := result{stdout: out.String(), stderr: errb.String()}
	keepOutput(out.Bytes(), errb.Bytes())
	if ctx.Err() != nil && o.timeout > 0 {
		res.timedOut = true
		return res
	}
	if ctx.Err() != nil {
		t.Fatalf("entrasnap %s: timed out\n%s", strings.Join(args, " "), res.out())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			res.killed = true
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}

// panicked reports whether output shows a Go panic or runtime crash.
func panicked(out string) bool {
	return strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") || strings.Contains(out, "runtime error")
}

// newRepoDir is a fresh path for a repository, kept for the secrets row.
func newRepoDir(t testing.TB, name string) string {
	t.Helper()
	d, err := os.MkdirTemp(suiteDir, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o755)
	repo := filepath.Join(d, "repo")
	keepRepo(repo)
	return repo
}

// export runs `entrasnap export` into repo.
func export(t testing.TB, s *sim, repo string, o runOpts) result {
	t.Helper()
	return run(t, s, o, "export", "--repo", repo, "--message", "reliability")
}

// mustExport exports and fails the test unless it exits 0.
func mustExport(t testing.TB, s *sim, repo string) {
	t.Helper()
	if r := export(t, s, repo, runOpts{}); r.code != 0 {
		t.Fatalf("setup export: exit %d\n%s", r.code, r.out())
	}
}

// copyRepo copies a repository (cp -a keeps it exact).
func copyRepo(t testing.TB, from, name string) string {
	t.Helper()
	to := newRepoDir(t, name)
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return to
}

// git runs the real git CLI; errors are returned, not fatal.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = gitcheck.Env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// fsck reports what `git fsck --strict` finds wrong, or "".
func fsck(dir string) string {
	out, err := git(dir, "fsck", "--strict", "--no-progress")
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(strings.ToLower(out), "\n") {
		if strings.HasPrefix(l, "error") || strings.HasPrefix(l, "warning") || strings.Contains(l, "missing") || strings.Contains(l, "broken") {
			return out
		}
	}
	return ""
}

func head(dir string) string {
	out, err := git(dir, "rev-parse", "-q", "--verify", "HEAD")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// blobs maps every file at rev to its blob id (equal ids: byte-identical files).
func blobs(t testing.TB, dir, rev string) map[string]string {
	t.Helper()
	out, err := git(dir, "ls-tree", "-r", "-z", rev)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range strings.Split(out, "\x00") {
		if e == "" {
			continue
		}
		tab := strings.IndexByte(e, '\t')
		f := strings.Fields(e[:tab])
		m[e[tab+1:]] = f[2]
	}
	return m
}

const manifestPath = ".entrasnap/snapshot.yaml"

// objectBlobs is blobs without the manifest (which records when it was read).
func objectBlobs(t testing.TB, dir, rev string) map[string]string {
	m := blobs(t, dir, rev)
	delete(m, manifestPath)
	delete(m, ".entrasnap/state.yaml") // the delta state: Graph's tokens, not objects
	return m
}

// kindState is one kind's entry in the manifest.
type kindState struct {
	complete bool
	folder   string
}

var manifestKindRE = regexp.MustCompile(`^  ([a-z0-9-]+):$`)

// manifest reads the kinds' completeness at rev with plain text matching
// (not the product's decoder, which is under test).
func manifest(t testing.TB, dir, rev string) map[string]kindState {
	t.Helper()
	out, err := git(dir, "show", rev+":"+manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]kindState{}
	cur := ""
	inKinds := false
	for _, l := range strings.Split(out, "\n") {
		if l == "kinds:" {
			inKinds = true
			continue
		}
		if inKinds && l != "" && l[0] != ' ' {
			inKinds = false
		}
		if !inKinds {
			continue
		}
		if g := manifestKindRE.FindStringSubmatch(l); g != nil {
			cur = g[1]
			m[cur] = kindState{}
			continue
		}
		ks := m[cur]
		switch {
		case strings.HasPrefix(l, "    complete: "):
			ks.complete = strings.TrimPrefix(l, "    complete: ") == "true"
		case strings.HasPrefix(l, "    folder: "):
			ks.folder = strings.Trim(strings.TrimPrefix(l, "    folder: "), `"`)
		}
		m[cur] = ks
	}
	return m
}

// diffKeys lists paths whose blobs differ between two maps, sorted.
func diffKeys(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k)
		}
	}
	sort.Strings(d)
	return d
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func short(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
