package importer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// writeWatch records every request that could change the tenant: any
// method but GET (and the POST getByIds, a read), and a $batch holding one.
type writeWatch struct {
	mu     sync.Mutex
	on     bool
	writes []string
}

func (ww *writeWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww.mu.Lock()
		on := ww.on
		ww.mu.Unlock()
		// directoryObjects/getByIds is a POST that reads (directoryobject-getbyids).
		if on && r.Method != http.MethodGet && !strings.Contains(r.URL.Path, "/oauth2/") && !strings.HasSuffix(r.URL.Path, "/getByIds") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !strings.HasSuffix(r.URL.Path, "/$batch") || strings.Contains(string(body), `"method":"P`) || strings.Contains(string(body), `"method":"DELETE"`) {
				ww.mu.Lock()
				ww.writes = append(ww.writes, r.Method+" "+r.URL.Path)
				ww.mu.Unlock()
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (ww *writeWatch) set(on bool) {
	ww.mu.Lock()
	ww.on = on
	ww.mu.Unlock()
}

// TestPullRequestPlanAndApplyWithExactlyTheListedPermissions: the plan job
// of the pull-request templates signs in with a read-only identity, the
// apply job with a write identity. graphsim enforces each permission. A
// pull request editing a Conditional Access policy and a group, adding a
// group (new-NAME.yaml) and deleting a group's file:
//   - plans with exactly the read permissions `entrasnap kinds` lists for
//     the kinds it touches (ExportPermissions of those kinds), and with
//     exactly the export set (the templates' read-only identity), sending
//     no request that writes;
//   - applies (with its post-apply snapshot) with exactly the export and
//     restore sets `entrasnap kinds --permissions` lists.
func TestPullRequestPlanAndApplyWithExactlyTheListedPermissions(t *testing.T) {
	ww := &writeWatch{}
	e := newEnv(t, graphsim.Options{}, ww.wrap)
	wt := e.repo.WorkTree()
	edited := e.prGroup(e.first, "")
	doomed := e.prGroup(e.first, edited.Path)
	git(t, wt, "checkout", "-q", "-b", "change")
	e.editWT(ca002, `state: "enabled"`, `state: "disabled"`)
	e.writeWT(edited.Path, replaceLine(e.readWT(edited.Path), "description: ", `description: "Reviewed by the platform team"`))
	e.writeWT("groups/new-platform-reviewers.yaml", "displayName: \"Platform reviewers\"\ngroupTypes: []\nmailEnabled: false\nmailNickname: \"platform-reviewers\"\nsecurityEnabled: true\n")
	git(t, wt, "rm", "-q", doomed.Path)
	e.commitAll("platform reviewers")
	ctx := context.Background()

	touched := simtest.Kinds(t, "conditional-access-policies", "groups")
	readSets := map[string][]string{
		"the kinds touched": layout.ExportPermissions(touched),
		"the export set":    layout.ExportPermissions(layout.Kinds()),
	}
	var p *Plan
	for _, name := range []string{"the kinds touched", "the export set"} {
		perms := readSets[name]
		for _, perm := range perms {
			if strings.Contains(perm, "ReadWrite") {
				t.Fatalf("%s holds a write permission: %s", name, perm)
			}
		}
		c := e.client(e.token(perms...))
		ww.set(true)
		in, err := Load(ctx, LoadOptions{Client: c, Repo: e.repo, Files: &Files{From: "main", To: "HEAD"}, Options: Options{AllowDeletes: true}, Now: e.now})
		ww.set(false)
		if err != nil {
			t.Fatalf("plan with exactly %s %v: %v", name, perms, err)
		}
		if p, err = Compute(in); err != nil {
			t.Fatal(err)
		}
		if c := p.Counts(); c[OpUpdate] != 2 || c[OpCreate] != 1 || c[OpDelete] != 1 {
			t.Fatalf("plan with %s: %v\n%s", name, c, render(p))
		}
		if len(ww.writes) > 0 {
			t.Fatalf("planning with %s sent writes: %v", name, ww.writes)
		}
	}
	git(t, wt, "checkout", "-q", "main")
	git(t, wt, "merge", "-q", "--no-ff", "-m", "Merge pull request #7", "change")

	// The read-only identity cannot apply: the pre-flight check names what
	// is missing, nothing written.
	ro := e.token(layout.ExportPermissions(layout.Kinds())...)
	o := e.applyOpts()
	o.Client, o.Token = e.client(ro), ro
	ww.set(true)
	_, err := Apply(ctx, roundTrip(t, p), o)
	ww.set(false)
	var pe *PermissionError
	if !errors.As(err, &pe) || !contains(pe.Missing, "Policy.ReadWrite.ConditionalAccess") || !contains(pe.Missing, "Group.ReadWrite.All") || len(ww.writes) > 0 {
		t.Fatalf("apply with the read-only identity: %v (writes %v)", err, ww.writes)
	}

	tok := e.token(append(layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())...)...)
	c := e.client(tok)
	o.Client, o.Token, o.Record = c, tok, e.recordWith(c)
	res, err := Apply(ctx, roundTrip(t, p), o)
	if err != nil {
		t.Fatalf("apply with exactly the listed sets: %v", err)
	}
	if !res.Complete() || res.SnapshotErr != "" {
		var lines []string
		for _, a := range res.Actions {
			lines = append(lines, p.ResultLine(a))
		}
		t.Fatalf("apply with exactly the listed sets did not complete (%s):\n%s", res.SnapshotErr, strings.Join(lines, "\n"))
	}
}
