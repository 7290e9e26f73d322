package check

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/snapshot"
)

// sigRepo is a repository of snapshots, each signed by the signer given
// (nil: unsigned), with a group file changing every time.
type sigRepo struct {
	t    *testing.T
	r    *snapshot.Repo
	n    int
	keys string
}

func newSigRepo(t *testing.T) *sigRepo {
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "repo"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &sigRepo{t: t, r: r, keys: t.TempDir()}
}

func (s *sigRepo) key(name string) (snapshot.Signer, string) {
	priv, pub := gitcheck.SSHKey(s.t, s.keys, name, "ed25519", "")
	signer, err := snapshot.LoadSigner(priv, nil, "")
	if err != nil {
		s.t.Fatal(err)
	}
	return signer, pub
}

func (s *sigRepo) snap(signer snapshot.Signer) *snapshot.Result {
	s.t.Helper()
	s.n++
	k := kind(s.t, "groups")
	p, data := objectFile(s.t, k, map[string]any{"id": groupA, "displayName": "A", "description": "v" + itoa(s.n)})
	when := time.Date(2026, 3, 20+s.n, 10, 0, 0, 0, time.UTC)
	res, err := s.r.WriteSnapshot(context.Background(), snapshot.Snapshot{
		Files:   map[string][]byte{p: data, ManifestPath: manifest(map[string]int{"groups": 1})},
		Message: "entrasnap snapshot " + itoa(s.n), Tag: "snapshot/2026032" + itoa(s.n) + "T100000Z",
		Author: snapshot.Signature{Name: "Backup", Email: "backup@example.com", When: when},
		Signer: signer,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return res
}

func (s *sigRepo) check(allowedLines ...string) *Report {
	s.t.Helper()
	a, err := snapshot.ParseAllowedSigners("allowed_signers", []byte(strings.Join(allowedLines, "\n")))
	if err != nil {
		s.t.Fatal(err)
	}
	rep, err := Repo(context.Background(), s.r, Options{Signers: a})
	if err != nil {
		s.t.Fatal(err)
	}
	return rep
}

// statuses gives "type name status" per result, for comparisons.
func statuses(rep *Report) []string {
	var out []string
	for _, r := range rep.Signatures.Results {
		out = append(out, r.Type+" "+strings.Join(r.Names, ",")+" "+string(r.Status))
	}
	return out
}

func TestSignedSeriesVerifies(t *testing.T) {
	s := newSigRepo(t)
	signer, pub := s.key("ci")
	for i := 0; i < 3; i++ {
		s.snap(signer)
	}
	rep := s.check("backup@example.com " + pub)
	sr := rep.Signatures
	if !rep.OK || sr.Commits != 3 || sr.Tags != 3 || sr.Good != 6 || sr.Failed != 0 {
		t.Fatalf("report %+v\n%v", sr, statuses(rep))
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "signatures: 3 commits and 3 snapshot tags verified against allowed_signers: 6 good.") {
		t.Fatalf("text:\n%s", b.String())
	}
}

// An unsigned snapshot in a signed series is reported, commit and tag; a
// snapshot signed with a key the allowed signers do not list is reported
// as an unknown key.
func TestUnsignedAndWrongKeyInSeries(t *testing.T) {
	s := newSigRepo(t)
	signer, pub := s.key("ci")
	other, _ := s.key("intruder")
	s.snap(signer)
	s.snap(nil)
	s.snap(other)
	s.snap(signer)
	rep := s.check("backup@example.com " + pub)
	want := []string{
		"tag snapshot/20260324T100000Z good", "commit HEAD,snapshot/20260324T100000Z good",
		"tag snapshot/20260323T100000Z unknown-key", "commit snapshot/20260323T100000Z unknown-key",
		"tag snapshot/20260322T100000Z unsigned", "commit snapshot/20260322T100000Z unsigned",
		"tag snapshot/20260321T100000Z good", "commit snapshot/20260321T100000Z good",
	}
	if got := statuses(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("statuses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.OK || rep.Signatures.Failed != 4 || rep.Errors != 0 {
		t.Fatalf("OK %v failed %d errors %d", rep.OK, rep.Signatures.Failed, rep.Errors)
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	for _, w := range []string{"commit", "snapshot/20260322T100000Z: unsigned: not signed", "unknown-key: signed by a key the allowed signers do not list (key SHA256:", "4 not trusted (listed above)",
		"No problems in the files of 1 snapshot (1 object files) and 4 tags, but 4 signatures are not trusted (above)."} {
		if !strings.Contains(b.String(), w) {
			t.Fatalf("text lacks %q:\n%s", w, b.String())
		}
	}
	// With --signed-since at the fourth snapshot, the older ones are not
	// required to be signed.
	a, _ := snapshot.ParseAllowedSigners("as", []byte("backup@example.com "+pub))
	sr, err := Signatures(context.Background(), s.r, a, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if sr.Before != 6 || sr.Commits != 1 || sr.Tags != 1 || sr.Failed != 0 || sr.Good != 2 {
		t.Fatalf("--signed-since HEAD: %+v", sr)
	}
}

// A snapshot commit rewritten with other content and the same message and
// signature (the branch moved to it) fails; so does the tag that git
// would show with it. A lightweight snapshot tag has nothing signed.
func TestRewrittenHistoryFails(t *testing.T) {
	s := newSigRepo(t)
	signer, pub := s.key("ci")
	s.snap(signer)
	s.snap(signer)
	dir := s.r.Path()
	raw := gitcheck.Run(t, dir, "cat-file", "commit", "HEAD")
	// Same message and signature, another tree (the group file edited).
	forgedTree := strings.TrimSpace(gitcheck.Run(t, dir, "rev-parse", "HEAD~1^{tree}"))
	lines := strings.SplitN(raw, "\n", 2)
	forged := "tree " + forgedTree + "\n" + lines[1]
	f := filepath.Join(t.TempDir(), "c")
	if err := os.WriteFile(f, []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(gitcheck.Run(t, dir, "hash-object", "-t", "commit", "-w", f))
	gitcheck.Run(t, dir, "update-ref", "refs/heads/main", h)
	gitcheck.Run(t, dir, "tag", "snapshot/20990101T000000Z", h) // lightweight
	rep := s.check("backup@example.com " + pub)
	got := map[string]string{}
	for _, r := range rep.Signatures.Results {
		got[r.Object] = string(r.Status)
	}
	if got[h] != "bad" || rep.OK {
		t.Fatalf("forged commit %s: %q; all: %v", h, got[h], statuses(rep))
	}
	if !strings.Contains(strings.Join(statuses(rep), "\n"), "tag snapshot/20990101T000000Z unsigned") {
		t.Fatalf("lightweight tag: %v", statuses(rep))
	}
	// git agrees.
	allowed := gitcheck.AllowedSigners(t, t.TempDir(), "backup@example.com "+pub)
	if out, ok := gitcheck.Verify(t, dir, allowed, "verify-commit", h); ok {
		t.Fatalf("git verify-commit accepted the forged commit:\n%s", out)
	}
}

// The merge of a signed snapshot's pull request, made unsigned (or signed
// by the forge's own key) with the snapshot's files, is trusted as a merge
// of a signed commit; a merge that changes files is not.
func TestMergeOfSignedSnapshot(t *testing.T) {
	s := newSigRepo(t)
	signer, pub := s.key("ci")
	s.snap(signer)
	dir := s.r.Path()
	gitcheck.Run(t, dir, "checkout", "-q", "-b", "review")
	s.snap(signer)
	gitcheck.Run(t, dir, "checkout", "-q", "main")
	gitcheck.Run(t, dir, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "review")
	rep := s.check("backup@example.com " + pub)
	if !rep.OK || rep.Signatures.Merges != 1 || rep.Signatures.Good != 5 {
		t.Fatalf("signed snapshot merged: %v\n%+v", statuses(rep), rep.Signatures)
	}
	// A merge that also changes a file adds unsigned content.
	gitcheck.Run(t, dir, "checkout", "-q", "-b", "review2")
	s.snap(signer)
	gitcheck.Run(t, dir, "checkout", "-q", "main")
	gitcheck.Run(t, dir, "merge", "-q", "--no-ff", "--no-commit", "review2")
	if err := os.WriteFile(filepath.Join(dir, "extra.txt"), []byte("slipped in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitcheck.Run(t, dir, "add", "extra.txt")
	gitcheck.Run(t, dir, "commit", "-q", "-m", "Merge pull request #2")
	rep = s.check("backup@example.com " + pub)
	head := strings.TrimSpace(gitcheck.Run(t, dir, "rev-parse", "HEAD"))
	for _, r := range rep.Signatures.Results {
		if r.Object == head && r.Status != snapshot.SigUnsigned {
			t.Fatalf("a merge adding a file: %s", r.Status)
		}
	}
	if rep.OK || rep.Signatures.Failed != 1 || rep.Signatures.Merges != 1 {
		t.Fatalf("%v\n%+v", statuses(rep), rep.Signatures)
	}
}
