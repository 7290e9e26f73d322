package snapshot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// readRef returns the value of a (non-symbolic) ref from its loose file or
// from packed-refs; ok is false when the ref does not exist.
func (r *Repo) readRef(name string) (h plumbing.Hash, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(r.commonDir, filepath.FromSlash(name)))
	switch {
	case err == nil:
		s := strings.TrimSpace(string(b))
		if strings.HasPrefix(s, "ref:") {
			return plumbing.ZeroHash, false, fmt.Errorf("ref %s is symbolic (%s); expected a commit", name, s)
		}
		h, valid := parseHash(s)
		if !valid {
			return plumbing.ZeroHash, false, fmt.Errorf("ref %s holds %q, not a commit id", name, s)
		}
		return h, true, nil
	case errors.Is(err, os.ErrNotExist):
	default:
		if isDirErr(filepath.Join(r.commonDir, filepath.FromSlash(name))) {
			return plumbing.ZeroHash, false, fmt.Errorf("ref %s is a folder of other refs", name)
		}
		return plumbing.ZeroHash, false, fmt.Errorf("read ref %s: %w", name, err)
	}
	pb, err := os.ReadFile(filepath.Join(r.commonDir, "packed-refs"))
	if errors.Is(err, os.ErrNotExist) {
		return plumbing.ZeroHash, false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("read packed-refs: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(pb))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '^' {
			continue
		}
		hx, n, found := strings.Cut(line, " ")
		if found && n == name {
			h, valid := parseHash(hx)
			if !valid {
				return plumbing.ZeroHash, false, fmt.Errorf("packed-refs: bad line %q", line)
			}
			return h, true, nil
		}
	}
	return plumbing.ZeroHash, false, sc.Err()
}

func isDirErr(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func parseHash(s string) (plumbing.Hash, bool) {
	if len(s) != 40 {
		return plumbing.ZeroHash, false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return plumbing.ZeroHash, false
		}
	}
	return plumbing.NewHash(s), true
}

// updateRef sets ref name to newHash if it currently holds old (zero: the
// ref must not exist). It takes git's own lock file (name.lock, created
// exclusively), so it is also atomic against a concurrent git process, and
// writes the new value with fsync and rename.
func (r *Repo) updateRef(name string, old, newHash plumbing.Hash) (err error) {
	p := filepath.Join(r.commonDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	lock := p + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("update %s: %s exists: another git process is updating it (if none is running, remove that file)", name, lock)
		}
		return fmt.Errorf("update %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(lock)
		}
	}()
	cur, ok, err := r.readRef(name)
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	switch {
	case old.IsZero() && ok:
		if strings.HasPrefix(name, "refs/tags/") {
			return fmt.Errorf("%w: %s already points at %s", ErrTagExists, name, cur)
		}
		return fmt.Errorf("%w: %s was created (at %s) by another process while this snapshot was written; nothing was published, run again", ErrBranchMoved, name, cur)
	case !old.IsZero() && !ok:
		return fmt.Errorf("%w: %s was deleted by another process while this snapshot was written (expected %s); nothing was published, run again", ErrBranchMoved, name, old)
	case !old.IsZero() && cur != old:
		return fmt.Errorf("%w: %s moved from %s to %s while this snapshot was written; nothing was published, run again", ErrBranchMoved, name, old, cur)
	}
	if _, err = f.WriteString(newHash.String() + "\n"); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if err = os.Rename(lock, p); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return nil
}

// validRefName applies git check-ref-format's rules to a full ref name.
func validRefName(name string) error {
	bad := func(why string) error { return fmt.Errorf("invalid ref name %q: %s", name, why) }
	if name == "" || name == "@" {
		return bad("empty")
	}
	if strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") {
		return bad("ends with / or .")
	}
	if strings.Contains(name, "..") || strings.Contains(name, "@{") || strings.Contains(name, "//") {
		return bad("contains .., @{ or //")
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			return bad(fmt.Sprintf("contains %q", c))
		}
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") || strings.HasSuffix(seg, ".lock") {
			return bad("a component is empty, starts with . or ends with .lock")
		}
	}
	return nil
}

// branchRef turns "main" or "refs/heads/main" into "refs/heads/main".
func branchRef(b string) string {
	if strings.HasPrefix(b, "refs/") {
		return b
	}
	return "refs/heads/" + b
}
