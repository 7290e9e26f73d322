// Package snapshot owns entrasnap's git repository: it writes a snapshot of
// files as one commit (and an annotated tag) directly in the object store,
// and reads files, diffs, logs, tags and per-path history back at any
// revision. It knows nothing of Graph or of object kinds: a snapshot is a
// map from slash-separated path to bytes. It is built on go-git
// (github.com/go-git/go-git/v5) and checked against the real git CLI.
//
// # Opening
//
//   - Open(path) opens an existing repository, bare or with a working tree;
//     an error wrapping ErrNotRepository names the path otherwise.
//   - Init(path, bare) creates one (and the folder), with HEAD on "main".
//   - OpenOrInit(path) opens, or creates a repository with a working tree
//     when path is missing or an empty folder.
//
// A *Repo is safe for concurrent use: a mutex guards the go-git repository,
// which is not. Callbacks (Walk, History) run without that mutex held and
// may call other methods.
//
// # Locking
//
// Lock(ctx) (unlock func(), err error) takes entrasnap.lock in the git
// directory (O_EXCL; pid, host and time inside) for the length of a run.
// When held it fails at once with a *LockError (errors.Is ErrLocked) whose
// text says another entrasnap run holds the repository. A lock whose pid is
// provably gone (not running on this host) is taken over, and SetNotify's
// function is told so; one that is only old (StaleLockAge) or from another
// host is reported with the rm command that removes it, never taken over.
// With the lock held, Lock removes what interrupted runs leave (temporary
// packs older than StaleTempAge, git ref locks older than StaleGitLockAge,
// index.lock only when the dead run made it) and reports every git lock
// file still in the way in one *GitLocksError. Repair (check --repair) does
// that and also brings the index and working tree to HEAD (SyncWorktree).
//
// # Writing
//
// WriteSnapshot(ctx, Snapshot) (*Result, error) commits Snapshot.Files, the
// complete desired tree, plus the paths listed in Snapshot.Carry copied by
// tree id from the parent commit (kinds not read this run), onto
// Snapshot.Branch (default: HEAD's branch, or main):
//
//  1. Blob ids are computed for all files (in parallel) and the trees are
//     built bottom-up in memory, entries sorted as git requires (a tree sorts
//     as name+"/"), so that every tree id is known before anything is read
//     or written.
//  2. If the root tree id equals the parent's, nothing is written
//     (Result.Changed false); with TagWhenUnchanged the tag goes on the head.
//  3. The new tree is compared with the parent's by subtree id, descending
//     only where ids differ: this gives Result.Changes and Counts, and the
//     candidate new objects. Objects already in the store are skipped.
//  4. New objects (blobs, trees, the commit, the tag) are written durably:
//     up to 100 as loose objects, more as one pack with its index, each file
//     written to a temporary name, fsync'd, then renamed. Packs hold no
//     deltas and use fast compression; `git gc` compacts a repository that
//     has collected many runs.
//  5. For a repository with a working tree whose HEAD is on the branch,
//     git's index.lock is taken and the index is compared with the new
//     tree (not with the old head, so an index left behind by an
//     interrupted run is caught up too).
//  6. The branch moves by compare-and-swap through git's own ref lock
//     (refs/heads/B.lock, O_EXCL, fsync, rename): if it is no longer at the
//     head read in step 1, the error wraps ErrBranchMoved and nothing is
//     published (the objects written stay unreferenced until git gc).
//  7. The tag ref is created (it must not exist; checked up front too).
//  8. The index and working tree are brought to the new tree: files whose
//     content is committed (in the new commit or one of the branch's last
//     three) are deleted or replaced, each written to a temporary file and
//     renamed; any other content there (a local edit, an untracked file in
//     the way, a staged file) is kept and listed in Result.WorktreeKept;
//     then the index, with the stat data of the files written, is renamed
//     into place. The index always ends at the new tree, so git status
//     shows at most the user's own unstaged changes. When it cannot be done
//     (index.lock held by git, merge conflicts) Result.WorktreeSkipped says
//     why and what to run.
//
// A large snapshot need not be held in memory: Repo.NewStage returns a
// Stage whose Add stores one blob and returns its id (blobs already in the
// repository are skipped; after the first 100 new ones, the rest are
// streamed into a temporary pack, tmp_pack_*, that git ignores). Snapshot.Blobs
// then gives files by id and Snapshot.Stage the stage: WriteSnapshot adds
// the trees, commit and tag to the stage's pack and publishes it in step 4
// (fsync, index, renames), reads the working tree's files back from it in
// step 8, and discards it when the tree did not change. A stage not
// committed is removed by Discard, or after a crash by Lock once old.
//
// Objects first, refs last: a crash at any point leaves a repository that
// `git fsck --strict` accepts and that the next run continues from (at
// worst with unreferenced objects and temporary files, removed once old).
// A crash after step 6 leaves the index and working tree behind the
// branch; the next run (even one that commits nothing) or SyncWorktree
// brings them to it by the same rule.
//
// # Reading
//
//   - Resolve(ctx, rev) (plumbing.Hash, error): a branch, tag, full or short
//     hash, HEAD~2, tag^{}, or a date YYYY-MM-DD (a UTC day) or RFC 3339
//     time meaning the last first-parent commit from HEAD whose committer
//     time is on or before it. Errors wrap ErrUnknownRevision and say what to
//     try.
//   - ReadFile(ctx, rev, path) ([]byte, error): ErrNotFound when absent.
//   - Walk(ctx, rev, prefix, fn(path, blob) error) error (WalkExcept: but
//     the folders skip names, unread) and ReadAll(ctx, rev, prefix)
//     (map[string][]byte, error): the files at or below a folder or file,
//     in path order. ListFolders(ctx, rev, prefixes, n) ([][]FolderFile,
//     error): the same for many folders at once, their trees read on n
//     goroutines (naming the ids of a diff). All four list through one
//     primitive (Repo.list, folders.go).
//   - Diff(ctx, from, to) ([]Change, error): changed files, sorted by path,
//     comparing subtree ids so unchanged folders are skipped.
//   - Log(ctx, rev, max) ([]CommitInfo, error): first-parent history with
//     the tags on each commit. Tags(ctx, prefix) ([]TagInfo, error): newest
//     first.
//   - History(ctx, rev, paths, fn(CommitInfo, []Change) error) error: the
//     first-parent commits in which any of paths (files or folders) changed,
//     reading only the trees along those paths.
//
// # Signing
//
// Snapshot.Signer (LoadSigner: an SSH private key file, encrypted ones with
// a passphrase, or a public key whose private half the SSH agent holds)
// signs the commit and the tag as git does with gpg.format=ssh: an SSHSIG
// signature (namespace "git", sha512) in the commit's gpgsig header and
// after the tag's message (sign.go). ReadSigned splits a stored commit or
// tag into what was signed and the signature, and AllowedSigners.Verify
// (ParseAllowedSigners, git's allowed-signers format) checks it against
// the committer's or tagger's email and time (verify.go). Both are checked
// against git verify-commit / verify-tag in the tests.
//
// A rename is a deletion plus an addition everywhere in this package;
// following an object through renames (by the id in its file name) is the
// caller's job.
package snapshot
