package check

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// SigResult is the signature verdict on one commit or snapshot tag.
type SigResult struct {
	Object string    `json:"object"` // the commit or tag object id
	Type   string    `json:"type"`   // "commit" or "tag"
	Names  []string  `json:"names"`  // a commit's HEAD and snapshot tags; a tag's name
	Time   time.Time `json:"time"`   // committer or tagger time
	snapshot.Verification
}

// SignatureReport is what Signatures found; Results lists every object
// checked, newest first, and is never nil.
type SignatureReport struct {
	AllowedSigners string `json:"allowedSigners"` // the file's name
	Commits        int    `json:"commits"`
	Tags           int    `json:"tags"`
	Good           int    `json:"good"` // trusted, Merges included
	// Merges counts the merge commits trusted as SigMerge.
	Merges int `json:"merges"`
	Failed int `json:"failed"`
	// Before counts the commits older than SignedSince and the snapshot tags
	// on them: not required to be signed, and not in Results.
	Before  int         `json:"beforeSignedSince,omitempty"`
	Results []SigResult `json:"results"`
}

// Signatures verifies, against the allowed signers, every commit reachable
// from HEAD or from a snapshot/* tag (all parents) and every snapshot/*
// tag object. A commit must be signed by a key listed for its committer's
// email, a tag by one listed for its tagger's; a lightweight snapshot tag
// has nothing to sign and fails. A merge commit not itself trusted whose
// files (tree) are exactly those of a trusted parent is trusted as SigMerge
// (the merge of a snapshot's pull request). With signedSince (a revision) set, the
// commits before it (its ancestors, not itself) and their tags are counted
// in Before and not required to be signed: the series a repository began
// signing at.
func Signatures(ctx context.Context, r *snapshot.Repo, a *snapshot.AllowedSigners, signedSince string) (*SignatureReport, error) {
	return signatures(ctx, r, keys{ssh: a}, signedSince)
}

// keys are what signatures are verified against: SSH signatures against
// the allowed signers, OpenPGP ones with gpg against a keyring (either may
// be nil: a signature of that format is then not trusted).
type keys struct {
	ssh *snapshot.AllowedSigners
	pgp *OpenPGP
}

func (k keys) name() string {
	var names []string
	if k.ssh != nil {
		names = append(names, k.ssh.Name())
	}
	if k.pgp != nil {
		names = append(names, k.pgp.Name())
	}
	return strings.Join(names, " and ")
}

func (k keys) verify(ctx context.Context, o *snapshot.SignedObject) snapshot.Verification {
	switch {
	case len(o.Signature) > 0 && IsOpenPGP(o.Signature) && k.pgp != nil:
		return k.pgp.Verify(ctx, o)
	case len(o.Signature) > 0 && IsOpenPGP(o.Signature):
		return snapshot.Verification{Signer: o.Signer.Email, Status: snapshot.SigUnknown,
			Detail: "an OpenPGP signature: give the trusted OpenPGP public keys with --gpg-keyring FILE (gpg --export --armor KEY > FILE)"}
	case k.ssh != nil:
		return k.ssh.Verify(o)
	case len(o.Signature) == 0:
		return snapshot.Verification{Signer: o.Signer.Email, Status: snapshot.SigUnsigned, Detail: "not signed"}
	}
	return snapshot.Verification{Signer: o.Signer.Email, Status: snapshot.SigUnknown,
		Detail: "not an OpenPGP signature, and no --allowed-signers file was given to verify an SSH one"}
}

func signatures(ctx context.Context, r *snapshot.Repo, k keys, signedSince string) (*SignatureReport, error) {
	rep := &SignatureReport{AllowedSigners: k.name(), Results: []SigResult{}}
	tags, err := r.Tags(ctx, "snapshot/")
	if err != nil {
		return nil, err
	}
	// Apply records (tags of applies that changed nothing) are signed as
	// snapshot tags are.
	applies, err := r.Tags(ctx, layout.ApplyTagPrefix)
	if err != nil {
		return nil, err
	}
	tags = append(tags, applies...)
	names := map[plumbing.Hash][]string{}
	var starts []plumbing.Hash
	if head, err := r.Resolve(ctx, "HEAD"); err == nil {
		names[head] = []string{"HEAD"}
		starts = append(starts, head)
	}
	for _, t := range tags {
		names[t.Commit] = append(names[t.Commit], t.Name)
		starts = append(starts, t.Commit)
	}
	if len(starts) == 0 {
		return nil, ErrNoCommit
	}
	before := map[plumbing.Hash]bool{}
	if signedSince != "" {
		h, err := r.Resolve(ctx, signedSince)
		if err != nil {
			return nil, fmt.Errorf("--signed-since: %w", err)
		}
		so, err := r.ReadSigned(ctx, h)
		if err != nil {
			return nil, err
		}
		if err := walkCommits(ctx, r, so.Parents, nil, func(o *snapshot.SignedObject) { before[o.Hash] = true }); err != nil {
			return nil, err
		}
		rep.Before = len(before)
	}
	var results []SigResult
	var commits []*snapshot.SignedObject
	err = walkCommits(ctx, r, starts, before, func(o *snapshot.SignedObject) {
		rep.Commits++
		commits = append(commits, o)
		results = append(results, SigResult{Object: o.Hash.String(), Type: "commit", Names: names[o.Hash], Time: o.Signer.When, Verification: k.verify(ctx, o)})
	})
	if err != nil {
		return nil, err
	}
	trustMerges(commits, results)
	for _, t := range tags {
		if before[t.Commit] {
			rep.Before++
			continue
		}
		rep.Tags++
		res := SigResult{Object: t.Hash.String(), Type: "tag", Names: []string{t.Name}, Time: t.Time}
		if !t.Annotated {
			res.Status, res.Detail = snapshot.SigUnsigned, "a lightweight tag: it has no tag object that could be signed"
		} else {
			so, err := r.ReadSigned(ctx, t.Hash)
			if err != nil {
				return nil, err
			}
			res.Verification = k.verify(ctx, so)
		}
		results = append(results, res)
	}
	sort.SliceStable(results, func(i, j int) bool {
		if !results[i].Time.Equal(results[j].Time) {
			return results[i].Time.After(results[j].Time)
		}
		if results[i].Type != results[j].Type {
			return results[i].Type == "tag" // a tag after its commit, shown first
		}
		return results[i].Object < results[j].Object
	})
	for _, res := range results {
		if res.Status == snapshot.SigMerge {
			rep.Merges++
		}
		if res.Status == snapshot.SigGood || res.Status == snapshot.SigMerge {
			rep.Good++
		} else {
			rep.Failed++
		}
	}
	rep.Results = results
	return rep, nil
}

// trustMerges marks the merge commits that are not trusted themselves but
// whose tree is a trusted parent's (SigMerge): a pull request of a signed
// snapshot merged by a forge that signs with its own key, or not at all,
// adds no content, so the files are still the signed snapshot's. A parent
// before --signed-since does not vouch. commits[i] is results[i].
func trustMerges(commits []*snapshot.SignedObject, results []SigResult) {
	byHash := make(map[plumbing.Hash]int, len(commits))
	for i, c := range commits {
		byHash[c.Hash] = i
	}
	for changed := true; changed; {
		changed = false
		for i, c := range commits {
			if len(c.Parents) < 2 || results[i].Status == snapshot.SigGood || results[i].Status == snapshot.SigMerge {
				continue
			}
			for _, p := range c.Parents {
				j, ok := byHash[p]
				if ok && commits[j].Tree == c.Tree && (results[j].Status == snapshot.SigGood || results[j].Status == snapshot.SigMerge) {
					results[i].Detail = fmt.Sprintf("a merge whose files are exactly those of its trusted parent %s (its own signature: %s)", p.String()[:12], results[i].Status)
					results[i].Status = snapshot.SigMerge
					changed = true
					break
				}
			}
		}
	}
}

// walkCommits reads every commit reachable from starts (all parents) once,
// calling fn on each; the commits in skip are not read, nor their parents
// through them.
func walkCommits(ctx context.Context, r *snapshot.Repo, starts []plumbing.Hash, skip map[plumbing.Hash]bool, fn func(*snapshot.SignedObject)) error {
	seen := map[plumbing.Hash]bool{}
	queue := append([]plumbing.Hash{}, starts...)
	for len(queue) > 0 {
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[h] || skip[h] {
			continue
		}
		seen[h] = true
		so, err := r.ReadSigned(ctx, h)
		if err != nil {
			return err
		}
		if so.Type != "commit" {
			return fmt.Errorf("%s is a %s, not a commit", h, so.Type)
		}
		fn(so)
		queue = append(queue, so.Parents...)
	}
	return nil
}

// WriteText writes the signature report for a person: every object whose
// signature is not good, one line each, then the totals.
func (s *SignatureReport) WriteText(w io.Writer) {
	for _, res := range s.Results {
		if res.Status == snapshot.SigGood || res.Status == snapshot.SigMerge {
			continue
		}
		name := strings.Join(res.Names, ", ")
		if name == "" {
			name = "(untagged)"
		}
		line := fmt.Sprintf("%-6s %s %s: %s", res.Type, res.Object[:12], name, res.Status)
		if res.Detail != "" {
			line += ": " + res.Detail
		}
		if res.Key != "" {
			line += " (key " + res.Key + ")"
		}
		if res.Signer != "" && res.Status != snapshot.SigUnsigned {
			line += " [" + res.Type + " by " + res.Signer + "]"
		}
		fmt.Fprintf(w, "  %s\n", layout.Safe(line))
	}
	fmt.Fprintf(w, "signatures: %d %s and %d snapshot %s verified against %s: %d good",
		s.Commits, layout.Plural(s.Commits, "commit", "commits"), s.Tags, layout.Plural(s.Tags, "tag", "tags"), layout.Safe(s.AllowedSigners), s.Good)
	if s.Merges > 0 {
		fmt.Fprintf(w, " (%d of them %s whose files are a signed parent's)", s.Merges, layout.Plural(s.Merges, "a merge", "merges"))
	}
	if s.Failed > 0 {
		fmt.Fprintf(w, ", %d not trusted (listed above)", s.Failed)
	}
	if s.Before > 0 {
		fmt.Fprintf(w, "; %d older commits and tags, before --signed-since, not required to be signed", s.Before)
	}
	fmt.Fprintln(w, ".")
}
