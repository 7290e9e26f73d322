package importer

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// Per-user MFA state is exported only when asked for (one request per
// user), then restored by a PATCH of the user's requirements; a daily
// export carries the last read forward.
func TestPerUserMFAExportAndRestore(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(mfaKind)
	if len(e.snapshotFiles(e.first, k.Folder)) != 0 {
		t.Fatal("a default export read per-user MFA state")
	}
	res, err := exporter.Run(ctx, exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "weekly MFA"})
	if err != nil || !res.Complete() {
		t.Fatalf("export --kinds per-user-mfa: %v %+v", err, res)
	}
	base := res.Tag
	users := e.list("/v1.0/users?$select=id")
	files := e.snapshotFiles(base, k.Folder)
	if len(files) != len(users) {
		t.Fatalf("%d per-user MFA files for %d users", len(files), len(users))
	}
	var enforced string
	for _, u := range users {
		if e.sim.Tenant().MFAState(str(u["id"])) == "enforced" {
			enforced = str(u["id"])
			break
		}
	}
	if enforced == "" {
		t.Fatal("no enforced user in the demo")
	}
	e.do("PATCH", "/beta/users/"+enforced+"/authentication/requirements", map[string]any{"perUserMfaState": "disabled"})
	e.recordIncident() // a default export: carries the state read at base
	if got := e.snapshotFiles("HEAD", k.Folder); len(got) != len(files) {
		t.Fatalf("the daily export dropped per-user MFA files: %d, was %d", len(got), len(files))
	}

	p := e.plan(base, []string{mfaKind}, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Request.Method != "PATCH" || p.Actions[0].Request.Path != "/beta/users/"+enforced+"/authentication/requirements" ||
		!strings.Contains(string(p.Actions[0].Request.Body), `"enforced"`) {
		t.Fatalf("plan:\n%s", render(p))
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	if got := e.sim.Tenant().MFAState(enforced); got != "enforced" {
		t.Errorf("after the restore: %s", got)
	}
	if p := e.plan(base, []string{mfaKind}, Options{}); !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}
}

// snapshotFiles are the paths under folder at rev.
func (e *env) snapshotFiles(rev, folder string) []string {
	e.t.Helper()
	var out []string
	for p := range e.snapshotObjects(rev) {
		if strings.HasPrefix(p, folder+"/") {
			out = append(out, p)
		}
	}
	return out
}

// restore --all plans an opt-in kind (per-user MFA state: one request per
// user) only when REV holds its files or a selector names it: from a
// snapshot without it, the plan reads no user's requirements.
func TestRestoreAllSkipsOptInKindsREVDoesNotHold(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(mfaKind)
	if len(e.snapshotFiles(e.first, k.Folder)) != 0 {
		t.Fatal("a default export read per-user MFA state")
	}
	requirements := func() int {
		n := 0
		for _, ep := range e.sim.Stats().Endpoints {
			if strings.Contains(ep.Path, "authentication/requirements") {
				n += ep.Requests
			}
		}
		return n
	}
	load := func(sel []string) *Input {
		t.Helper()
		in, err := Load(ctx, LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: sel, All: true, Now: e.now})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	before := requirements()
	in := load(nil)
	if n := requirements() - before; n != 0 {
		t.Errorf("restore --all from a snapshot without per-user MFA state sent %d requests for it", n)
	}
	if slices.Contains(in.Selection.Kinds, mfaKind) {
		t.Errorf("selection %v holds %s", in.Selection.Kinds, mfaKind)
	}
	if !slices.Contains(in.Selection.Kinds, "users") {
		t.Errorf("selection %v lacks users", in.Selection.Kinds)
	}
	// Named, it is planned (and read) even with nothing at REV.
	before = requirements()
	if in := load([]string{mfaKind}); !slices.Contains(in.Selection.Kinds, mfaKind) || requirements() == before {
		t.Errorf("--all %s: selection %v, %d requests for it", mfaKind, in.Selection.Kinds, requirements()-before)
	}
}
