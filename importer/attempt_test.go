package importer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// TestApplyThatWroteNothingIsRecordedByATag: an apply whose every write
// Graph refuses makes no commit (the tenant did not change), so its record
// is an annotated tag entrasnap/apply/<time>-<plan id> on HEAD, tagged by
// the operator and signed as a snapshot is (git verify-tag): the tenant, the plan's digest, who wrote through Graph,
// and each action not done with Graph's error. Real git accepts it (fsck
// --strict), check finds no problem, and a clone (which fetches tags but
// not the git directory's list of applied plans) refuses the same plan,
// naming the tag.
func TestApplyThatWroteNothingIsRecordedByATag(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	srv := simtest.Serve(t, simtest.Deny(e.sim, func(r *http.Request) bool {
		return r.Method != http.MethodGet && !strings.HasSuffix(r.URL.Path, "/$batch") // reads are batched
	}))
	denied := simtest.Client(t, e.sim, srv, "")
	var gids []string
	for _, g := range e.plainSecurityGroups()[:2] {
		gid := str(g["id"])
		members := e.list("/v1.0/groups/" + gid + "/members?$select=id")
		if len(members) == 0 {
			continue
		}
		e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+str(members[0]["id"])+"/$ref", nil)
		gids = append(gids, gid)
	}
	p := e.planWith(denied, e.first, gids, Options{})
	if len(p.Actions) < 2 {
		t.Fatalf("want two links to add:\n%s", render(p))
	}
	head := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD"))
	keys := t.TempDir()
	priv, pub := gitcheck.SSHKey(t, keys, "ops", "ed25519", "")
	signer, err := snapshot.LoadSigner(priv, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	// Who wrote is the app entrasnap is configured with (ClientID), not a
	// claim of the token, which is opaque to a client: the token here is a
	// JWT naming another app (with the roles the plan needs, so the
	// permission check passes), and the record names the configured one.
	var roles []string
	for _, a := range p.Actions {
		for _, need := range a.Permissions {
			roles = append(roles, strings.Split(need, "|")[0])
		}
	}
	claims, _ := json.Marshal(map[string]any{"appid": "99999999-9999-4999-8999-999999999999", "roles": roles})
	const clientID = "11111111-2222-4333-8444-555555555555"
	o := ApplyOptions{Client: denied, Repo: e.repo, Sleep: simtest.Sleep(e.sim), Record: e.recordWith(denied),
		Token: "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln", ClientID: clientID,
		IDCommit: &IDCommit{Committer: snapshot.Signature{Name: "Alice Admin", Email: "alice@contoso.example"}, Signer: signer}}
	res, err := Apply(ctx, p, o)
	if err != nil || res.Wrote() || res.Count()[StatusFailed] == 0 {
		t.Fatalf("want every write refused: %v %+v", err, res)
	}
	if !strings.HasPrefix(res.AttemptTag, layout.ApplyTagPrefix) || !strings.HasSuffix(res.AttemptTag, "-"+p.ID) {
		t.Fatalf("the apply is not recorded by a tag: %q (%s)", res.AttemptTag, res.SnapshotErr)
	}
	if now := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD")); now != head {
		t.Errorf("an apply that changed nothing moved HEAD to %s", now)
	}
	if on := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", res.AttemptTag+"^{commit}")); on != head {
		t.Errorf("the tag is on %s, want HEAD %s", on, head)
	}
	signers := gitcheck.AllowedSigners(t, keys, "alice@contoso.example "+pub)
	if out, ok := gitcheck.Verify(t, e.repo.Path(), signers, "verify-tag", res.AttemptTag); !ok {
		t.Errorf("git verify-tag refuses the apply record:\n%s", out)
	}
	raw := git(t, e.repo.Path(), "cat-file", "tag", res.AttemptTag)
	if !strings.Contains(raw, "\ntagger Alice Admin <alice@contoso.example> ") {
		t.Errorf("the tag does not name the operator:\n%s", raw)
	}
	msg := git(t, e.repo.Path(), "tag", "-l", "--format=%(contents)", res.AttemptTag)
	rec, err := layout.ParseApplyRecord(msg)
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	digest, _ := planDigest(p)
	if rec.Tenant != p.TenantID || rec.Plan != digest || rec.Done != 0 || rec.Failed+rec.Skipped != len(p.Actions) || rec.By != "application "+clientID+" (app-only)" {
		t.Errorf("the record: %+v\n%s", rec, msg)
	}
	if len(rec.NotDone) != len(p.Actions) {
		t.Fatalf("want every action named, got %d lines:\n%s", len(rec.NotDone), msg)
	}
	for i, a := range p.Actions {
		if l := rec.NotDone[i]; !strings.Contains(l, a.Key) || !strings.Contains(l, "Insufficient privileges") {
			t.Errorf("action %s: %q", a.ID, l)
		}
	}
	fsck(t, e.repo.Path())
	if probs, err := check.Problems(ctx, e.repo.Path()); err != nil || len(probs) > 0 {
		t.Errorf("check: %v %v", err, probs)
	}

	// Another machine: a clone has the tag, not the list of applied plans.
	dir := filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(dir), "clone", "-q", e.repo.Path(), dir)
	clone, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer clone.Close()
	if _, err := clone.ReadState(AppliedFile); err == nil {
		t.Fatal("the clone has the list of applied plans")
	}
	q := roundTrip(t, p)
	allowed := e.client("")
	_, err = Apply(ctx, q, ApplyOptions{Client: allowed, Repo: clone, Sleep: simtest.Sleep(e.sim), Record: e.recordWith(allowed)})
	var applied *AppliedError
	if !errors.As(err, &applied) || applied.Tag != res.AttemptTag || !strings.Contains(err.Error(), res.AttemptTag) {
		t.Errorf("the clone applies the plan again: %v", err)
	}
}
