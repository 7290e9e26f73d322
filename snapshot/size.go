package snapshot

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// BlobSize returns the size in bytes of blob h (as Walk names it) without
// reading its content, so callers can refuse a file too large to read.
func (r *Repo) BlobSize(h plumbing.Hash) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
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
