package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// IDCommit says how RecordJournal commits: author, committer and signer,
// as the post-restore snapshot would be.
type IDCommit struct {
	Author, Committer snapshot.Signature
	Signer            snapshot.Signer
}

// JournalRecorded is what RecordJournal did: the new ids it committed to
// the id map (old → new, per kind), and the commit ("" when the id map
// already held them).
type JournalRecorded struct {
	IDs    *IDMap
	Commit string
}

// RecordJournal merges the new ids the restore journal holds (creates Graph
// answered whose post-restore snapshot was not recorded: the restore was
// killed or interrupted, or its snapshot failed) into the id map at the
// head of the repository's branch, as a commit of its own that changes
// only the id map, and leaves in the journal only the creates still in
// doubt. It does nothing (nil, nil) when the journal holds no answered
// create. An id map at HEAD that cannot be read is not written over (that
// would lose earlier restores' ids): the error says so, and the journal
// keeps the ids. Callers: Apply, when its snapshot was not recorded, and
// the CLI before any command that reads the id map (restore, apply), so
// the next plan and the repository see the new ids at once.
func RecordJournal(ctx context.Context, repo *snapshot.Repo, o IDCommit) (*JournalRecorded, error) {
	journal, err := readJournal(repo)
	if err != nil {
		return nil, err
	}
	answered := journalIDs(journal)
	if answered.Len() == 0 {
		return nil, nil
	}
	unlock, err := repo.Lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var inDoubt []journalEntry
	for _, e := range journal {
		if e.New == "" {
			inDoubt = append(inDoubt, e)
		}
	}
	ids, old, err := readIDMap(ctx, repo)
	var bad *BadIDMapError
	switch {
	case errors.As(err, &bad):
		return nil, fmt.Errorf("the restore journal (%s in the git directory) holds %d new ids that no snapshot recorded, but the id map %s at HEAD cannot be read (%v); it is not written over, which would lose the ids of earlier restores: take it back from the last commit where it was good (git log -p -- %s), commit it, and run again",
			JournalFile, answered.Len(), IDMapPath, bad.Err, IDMapPath)
	case err != nil:
		return nil, fmt.Errorf("%w, to record the new ids of the restore journal", err)
	}
	merged := NewIDMap()
	merged.Merge(ids)
	merged.Merge(answered)
	rec := &JournalRecorded{IDs: answered}
	if data := merged.Encode(); old == nil || !bytes.Equal(data, old) {
		if err := merged.cycles(); err != nil {
			return nil, fmt.Errorf("the restore journal's new ids would make the id map circular, so they are not recorded: %w", err)
		}
		commit, err := commitIDMap(ctx, repo, data, journalMessage(answered), o)
		if err != nil {
			return nil, err
		}
		rec.Commit = commit
	}
	if err := keepJournal(repo, inDoubt); err != nil {
		return rec, fmt.Errorf("the new ids are recorded in %s, but %s could not be updated: %w", IDMapPath, JournalFile, err)
	}
	return rec, nil
}

// journalMessage is the commit message of RecordJournal: what it records.
func journalMessage(ids *IDMap) string {
	var b strings.Builder
	fmt.Fprintf(&b, "restore: record %d new %s of an unrecorded restore\n\n", ids.Len(), layout.Plural(ids.Len(), "id", "ids"))
	b.WriteString("A restore recreated these objects under new ids, but its post-restore snapshot was not\n")
	fmt.Fprintf(&b, "recorded (it was interrupted, or the snapshot failed); its journal kept them. Now in %s:\n", IDMapPath)
	for _, old := range sortedKeys(ids.IDs) {
		en := ids.IDs[old]
		fmt.Fprintf(&b, "  %s %s → %s (%s)\n", layout.Safe(en.Kind), layout.Safe(old), layout.Safe(en.New), layout.Safe(en.Restore))
	}
	for _, old := range sortedKeys(ids.AppIDs) {
		fmt.Fprintf(&b, "  application appId %s → %s\n", layout.Safe(old), layout.Safe(ids.AppIDs[old]))
	}
	return strings.TrimRight(b.String(), "\n")
}

// commitIDMap commits data as the id map on the branch HEAD names, every
// other file of the head as it is (top-level folders carried whole, the
// files of .entrasnap/ and the top level one by one).
func commitIDMap(ctx context.Context, repo *snapshot.Repo, data []byte, msg string, o IDCommit) (string, error) {
	head, err := os.ReadFile(filepath.Join(repo.GitDir(), "HEAD"))
	if err != nil {
		return "", fmt.Errorf("reading the HEAD of %s: %w", repo.Path(), err)
	}
	branch, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: ")
	if !ok || !strings.HasPrefix(branch, "refs/heads/") {
		return "", fmt.Errorf("the HEAD of %s is detached (at %s), so the new ids of the restore journal (%s) cannot be recorded in %s: check out the branch the snapshots are on (git checkout main) and run again",
			repo.Path(), layout.Safe(strings.TrimSpace(string(head))), JournalFile, IDMapPath)
	}
	blobs := map[string]plumbing.Hash{}
	seen := map[string]bool{}
	var carry []string
	err = repo.Walk(ctx, branch, "", func(p string, h plumbing.Hash) error {
		switch {
		case p == IDMapPath:
		case strings.HasPrefix(p, ".entrasnap/") || !strings.Contains(p, "/"):
			blobs[p] = h
		default:
			top, _, _ := strings.Cut(p, "/")
			if !seen[top] {
				seen[top] = true
				carry = append(carry, top)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, snapshot.ErrUnknownRevision) {
		return "", fmt.Errorf("reading %s of %s: %w", strings.TrimPrefix(branch, "refs/heads/"), repo.Path(), err)
	}
	res, err := repo.WriteSnapshot(ctx, snapshot.Snapshot{Branch: branch, Files: map[string][]byte{IDMapPath: data}, Blobs: blobs, Carry: carry,
		Message: msg, Author: o.Author, Committer: o.Committer, Signer: o.Signer})
	if err != nil {
		return "", fmt.Errorf("recording the new ids of the restore journal in %s: %w", IDMapPath, err)
	}
	return res.Commit.String(), nil
}
