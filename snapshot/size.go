package snapshot

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// BlobSize returns the size in bytes of blob h (as Walk names it) without
// reading its content, so callers can refuse a file too large to read.
func (r *Repo) BlobSize(h plumbing.Hash) (int64, error) {
	r.mu.Lock()
	defer r.unlock()
	if s, ok := r.repo.Storer.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		n, err := s.EncodedObjectSize(h)
		if err != nil {
			return 0, fmt.Errorf("size of blob %s: %w", h, err)
		}
		return n, nil
	}
	obj, err := r.repo.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return 0, fmt.Errorf("size of blob %s: %w", h, err)
	}
	return obj.Size(), nil
}

// DefaultMaxFileSize bounds one file read from a snapshot: nothing read from
// a repository is trusted to be small. The largest real objects are groups
// listing their members: 100,000 members at about 60 bytes each are 6 MB,
// so 64 MiB leaves room ten times over while keeping a huge file from
// exhausting memory.
const DefaultMaxFileSize int64 = 64 << 20

// SetMaxFileSize sets the largest file ReadFile and ReadAll read (n <= 0:
// DefaultMaxFileSize); a larger one is a *FileTooLargeError.
func (r *Repo) SetMaxFileSize(n int64) { r.maxFile.Store(n) }

// MaxFileSize is the largest file ReadFile and ReadAll read: what
// SetMaxFileSize set, or DefaultMaxFileSize. Readers of files outside the
// repository's objects that belong to it (a working tree) use it too.
func (r *Repo) MaxFileSize() int64 { return r.maxFileSize() }

func (r *Repo) maxFileSize() int64 {
	if n := r.maxFile.Load(); n > 0 {
		return n
	}
	return DefaultMaxFileSize
}

// FileTooLargeError: a file in the repository is larger than the limit on
// one file, and was not read.
type FileTooLargeError struct{ Size, Limit int64 }

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("%d bytes, larger than the limit of %d bytes on one file; not read (raise it with ENTRASNAP_MAX_FILE_SIZE if the file is meant to be this large)", e.Size, e.Limit)
}
