package importer

import (
	"context"
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
