package history

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// Skipped is a file that could not be read at a revision (Rev, shortened).
type Skipped struct {
	Rev string
	diff.Skipped
}

// SkippedAt tags files left out at revision rev with it.
func SkippedAt(rev string, files []diff.Skipped) []Skipped {
	out := make([]Skipped, 0, len(files))
	for _, s := range files {
		out = append(out, Skipped{Rev: ShortRev(rev), Skipped: s})
	}
	return out
}

// ShortRev is the 12-digit form of a commit id.
func ShortRev(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// LoadChanged reads only the files that differ between two revisions of r.
// The trees are compared by blob id (subtrees with equal ids are not
// entered), and each changed file is read by its blob id and decoded once.
// A file that cannot be read at either revision is left out of both sides
// (so it is neither an addition nor a removal) and returned with its
// revision. The snapshots are for diff.Compare: a file changed on both
// sides lacks the set items both hold the same (diff.LoadPair).
func LoadChanged(ctx context.Context, r *snapshot.Repo, from, to string) (diff.Snapshot, diff.Snapshot, []Skipped, error) {
	changes, err := r.Diff(ctx, from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	return loadChanges(ctx, r, from, to, changes)
}

// blobReader reads files' two versions by their blob ids (snapshot.Repo).
type blobReader interface {
	ReadBlobPairs(ctx context.Context, pairs [][2]plumbing.Hash, n int, fn func(i int, a, b []byte, errA, errB error)) error
}

// loadChanges reads and decodes the object files of changes, the tree
// difference between revisions from and to, each file's two versions
// decoded as soon as they are read (snapshot.Repo.ReadBlobPairs), on
// every CPU: the changed groups of a 100,000-user tenant are about 7 MB a
// side, and holding them all before decoding them grew the heap into
// fresh pages, about a fifth of the diff's CPU (issue 12, row e1). An
// error is the first unreadable file's, in path order (the version before
// first).
func loadChanges(ctx context.Context, r blobReader, from, to string, changes []snapshot.Change) (diff.Snapshot, diff.Snapshot, []Skipped, error) {
	var paths []string
	var sides []diff.Side
	var pairs [][2]plumbing.Hash
	for _, c := range changes {
		if _, _, err := layout.Locate(c.Path); err != nil {
			continue
		}
		var pair [2]plumbing.Hash
		side := diff.Both
		switch c.Action {
		case snapshot.Added:
			side, pair[1] = diff.After, c.To
		case snapshot.Deleted:
			side, pair[0] = diff.Before, c.From
		default:
			pair = [2]plumbing.Hash{c.From, c.To}
		}
		paths, sides, pairs = append(paths, c.Path), append(sides, side), append(pairs, pair)
	}
	vs := make([]diff.Versions, len(pairs))
	errs := make([][2]error, len(pairs))
	err := r.ReadBlobPairs(ctx, pairs, runtime.GOMAXPROCS(0), func(i int, a, b []byte, errA, errB error) {
		if errA != nil || errB != nil {
			errs[i] = [2]error{errA, errB}
			return
		}
		vs[i] = diff.DecodeVersions(paths[i], sides[i], a, b)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	for i, e := range errs {
		if e[0] != nil {
			return nil, nil, nil, fmt.Errorf("read %s at %s: %w", paths[i], ShortRev(from), e[0])
		}
		if e[1] != nil {
			return nil, nil, nil, fmt.Errorf("read %s at %s: %w", paths[i], ShortRev(to), e[1])
		}
	}
	a, b, skipA, skipB := diff.CollectVersions(vs)
	a.Drop(skipB)
	b.Drop(skipA)
	return a, b, append(SkippedAt(from, skipA), SkippedAt(to, skipB)...), nil
}

// loadPair decodes both sides for diff.Compare (diff.LoadPair: the set
// items a file holds the same on both sides are left out); a file
// unreadable on one side is dropped from the other too.
func loadPair(before, after map[string][]byte) (a, b diff.Snapshot, skipA, skipB []diff.Skipped) {
	a, b, skipA, skipB = diff.LoadPair(before, after)
	a.Drop(skipB)
	b.Drop(skipA)
	return a, b, skipA, skipB
}

// Entry is one snapshot where an object changed.
type Entry struct {
	Commit string   `json:"commit"`
	Time   string   `json:"time"`
	Tags   []string `json:"tags,omitempty"`
	Action string   `json:"action"`
	Path   string   `json:"path"`
	// Summary says what changed, a line each ("path: old → new", names
	// beside ids), with strings as they are: the text rendering escapes
	// them for a terminal (layout.Safe), JSON keeps them exactly.
	Summary []string `json:"summary,omitempty"`
	// Changes are the property changes the summary describes, with the
	// values exactly as the files hold them.
	Changes []diff.PropChange `json:"changes,omitempty"`
	// ChangedBy says who made the change, from the directory audit records
	// the repository keeps (Attribution.Lines); empty when it keeps none.
	ChangedBy []string `json:"changedBy,omitempty"`
}

// Log is the history of the object file p (of revision rev of r), newest
// first: each commit where it changed, with a summary of the change. The
// object is followed by its kind and key, so a rename (a new file name)
// stays one history; only the object's folder is compared, so a year of
// daily snapshots reads quickly. names names the ids in summaries.
func Log(ctx context.Context, r *snapshot.Repo, rev, p string, names diff.Resolver) ([]Entry, []Skipped, error) {
	k, key, err := layout.Locate(p)
	if err != nil {
		return nil, nil, err
	}
	// The folder that holds the object whatever its name: the shard folder
	// for sharded kinds, the kind's folder otherwise.
	dir := p[:strings.LastIndexByte(p, '/')]
	if k.Singleton {
		dir = p
	}
	var entries []Entry
	var skipped []Skipped
	att := LoadAttribution(ctx, r, "HEAD", rev)
	err = r.History(ctx, rev, []string{dir}, func(ci snapshot.CommitInfo, changes []snapshot.Change) error {
		var mine []snapshot.Change
		for _, c := range changes {
			if kk, kkey, err := layout.Locate(c.Path); err == nil && kk == k && (k.Singleton || strings.EqualFold(kkey, key)) {
				mine = append(mine, c)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		parent := ""
		if !ci.Parent.IsZero() {
			parent = ci.Parent.String()
		}
		before, after := map[string][]byte{}, map[string][]byte{}
		entry := Entry{Commit: ci.Hash.String(), Time: ci.Time.UTC().Format("2006-01-02 15:04:05"), Tags: ci.Tags}
		// The changes carry the files' blob ids: read by id, not by
		// path again from each revision's root.
		for _, c := range mine {
			if c.Action != snapshot.Added && parent != "" {
				if data, err := r.ReadBlob(ctx, c.From); err == nil {
					before[c.Path] = data
				}
			}
			if c.Action != snapshot.Deleted {
				if data, err := r.ReadBlob(ctx, c.To); err == nil {
					after[c.Path] = data
				}
				entry.Path = c.Path
			} else if entry.Path == "" {
				entry.Path = c.Path
			}
		}
		a, b, skipA, skipB := loadPair(before, after)
		skipped = append(append(skipped, SkippedAt(parent, skipA)...), SkippedAt(ci.Hash.String(), skipB)...)
		for range skipB {
			entry.Summary = append(entry.Summary, "(the file could not be read here: not compared)")
		}
		res := diff.Compare(a, b, names)
		for _, ch := range res.Changes {
			entry.Action = string(ch.Action)
			if ch.OldPath != "" && ch.Path != "" {
				entry.Summary = append(entry.Summary, fmt.Sprintf("renamed: %s → %s", ch.OldPath, ch.Path))
			}
			for _, pc := range ch.Props {
				entry.Summary = append(entry.Summary, res.PropText(pc)...)
			}
			entry.Changes = append(entry.Changes, ch.Props...)
		}
		if entry.Action == "" {
			entry.Action = string(diff.Changed)
		}
		if parent != "" { // the parent's time and tags come with ci: no tag read per entry
			from := layout.SnapshotTime(ci.ParentTags, ci.ParentTime)
			entry.ChangedBy = att.Lines(key, from, layout.SnapshotTime(ci.Tags, ci.Time))
		}
		entries = append(entries, entry)
		return nil
	})
	return entries, skipped, err
}
