package main

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// `entrasnap graphsim --from-repo` serves a snapshot whose opt-in files of
// state name owners it does not hold (a per-user MFA state and a user
// flow's connections carried forward after the user, whose name is
// hostile, and the flow were deleted): it says on stderr which files it
// skipped and what to do, serves the rest, and `entrasnap check` warns
// about the same files ("owner missing").
func TestGraphsimFromRepoNamesSkippedFiles(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Profile: "empty", Seed: 3})
	u := serveSim(t, sim, sim).URL
	f := &histFixture{sim: sim, url: u}
	tn := sim.Tenant()
	gone, err := tn.Seed("user", map[string]any{"displayName": "Gone \u202e🔐 \"user\"\n../x", "userPrincipalName": "gone@" + tn.Domain(),
		"accountEnabled": true, "userType": "Member", "mailNickname": "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.SeedPerObject("user", gone, "authentication/requirements", map[string]any{"perUserMfaState": "enforced"}); err != nil {
		t.Fatal(err)
	}
	histDo(t, f, "POST", "/v1.0/identity/b2xUserFlows", map[string]any{"id": "Partner", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1})
	repo := filepath.Join(t.TempDir(), "backup")
	export := func(kinds string) {
		t.Helper()
		if code, _, errOut := runCLI(t, "export", "--repo", repo, "--kinds", kinds, "--allow-shrink", "--graph-url", u, "--access-token", sim.Token()); code != exitOK {
			t.Fatalf("export --kinds %s: %d %s", kinds, code, errOut)
		}
	}
	export("users,per-user-mfa,user-flows," + layout.UserFlowConnections)
	histDo(t, f, "DELETE", "/v1.0/users/"+gone, nil)
	histDo(t, f, "DELETE", "/v1.0/identity/b2xUserFlows/B2X_1_Partner", nil)
	export("users,user-flows") // the opt-in kinds are carried forward

	pr, pw := io.Pipe()
	var stderr strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, &env{args: []string{"entrasnap", "graphsim", "--from-repo", repo, "--listen", "127.0.0.1:0"},
			streams: streams{stdout: pw, stderr: &stderr}})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	cancel()
	go io.Copy(io.Discard, pr)
	code := <-done
	if err != nil || code != exitOK || !strings.Contains(line, `"url"`) {
		t.Fatalf("graphsim --from-repo: exit %d, first line %q (%v)\n%s", code, line, err, stderr.String())
	}
	for _, w := range []string{"skipped 2 file(s)", "per-user-mfa " + gone + " (of users)", layout.UserFlowConnections + " B2X_1_Partner (of user-flows)", "export the owners' kinds"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr does not say %q:\n%s", w, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "\u202e") {
		t.Errorf("stderr holds a raw RTL override:\n%s", stderr.String())
	}
	_, out, _ := runCLI(t, "check", "--repo", repo)
	if n := strings.Count(out, "owner missing"); n != 2 {
		t.Errorf("check reports %d owners missing, want 2:\n%s", n, out)
	}
}
