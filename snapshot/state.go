package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// State files are entrasnap's own small files in the git directory, outside
// every commit: what a run must remember if it is killed before it commits
// (the ids a restore has just created). They are written whole (a temporary
// file renamed into place) and synced before WriteState returns.

func (r *Repo) statePath(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("state file name %q: a plain file name is needed", name)
	}
	return filepath.Join(r.commonDir, name), nil
}

// WriteState replaces the state file name with data, durably.
func (r *Repo) WriteState(name string, data []byte) error {
	p, err := r.statePath(name)
	if err != nil {
		return err
	}
	tmp, err := writeSyncedTemp(p, data)
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	syncDir(filepath.Dir(p))
	return nil
}

// ReadState returns the state file name; an error wrapping ErrNotFound when
// there is none.
func (r *Repo) ReadState(name string) ([]byte, error) {
	p, err := r.statePath(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, p)
	}
	return b, err
}

// AppendState appends data to the state file name (created if needed)
// and syncs it before returning: an append-only journal whose every
// record survives the process being killed right after. A record cut
// short by a crash mid-write is the file's last line; readers skip it.
func (r *Repo) AppendState(name string, data []byte) error {
	p, err := r.statePath(name)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(p)
	if err := syncedWrite(p, data, os.O_APPEND); err != nil {
		return fmt.Errorf("append to %s: %w", p, err)
	}
	if os.IsNotExist(statErr) { // a new file: its directory entry too
		syncDir(filepath.Dir(p))
	}
	return nil
}

// AppendStateNoSync appends data to the state file name (created if
// needed) without syncing it: what it wrote survives the process being
// killed (the kernel holds it), not the machine stopping. For a journal
// written once per step of a long run, where a sync per step would cost
// more than the step.
func (r *Repo) AppendStateNoSync(name string, data []byte) error {
	p, err := r.statePath(name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("append to %s: %w", p, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", p, err)
	}
	return nil
}

// StateFile is a state file and when it was last written.
type StateFile struct {
	Name    string
	ModTime time.Time
}

// StateFiles lists the state files whose name starts with prefix (not
// empty), sorted by name; temporary files are left out.
func (r *Repo) StateFiles(prefix string) ([]StateFile, error) {
	if _, err := r.statePath(prefix); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(r.commonDir)
	if err != nil {
		return nil, err
	}
	var out []StateFile
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		if info, err := e.Info(); err == nil {
			out = append(out, StateFile{Name: e.Name(), ModTime: info.ModTime()})
		}
	}
	return out, nil
}

// RemoveState removes the state file name (gone already is fine).
func (r *Repo) RemoveState(name string) error {
	p, err := r.statePath(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// writeSyncedTemp writes data to "<p>.<pid>.<n>.tmp", synced and closed,
// for the caller to rename or link into place (and remove). n counts this
// process's temporary files (createLockFile's too): two goroutines
// writing the same state file at once (two applies in one process, each
// with a Repo of its own) never write into, rename or remove each other's
// temporary file, and each rename puts one whole file in place.
func writeSyncedTemp(p string, data []byte) (string, error) {
	tmp := fmt.Sprintf("%s.%d.%d.tmp", p, os.Getpid(), tempFiles.Add(1))
	return tmp, syncedWrite(tmp, data, os.O_TRUNC)
}

// tempFiles numbers writeSyncedTemp's temporary files in this process.
var tempFiles atomic.Int64

// syncedWrite writes data to the file p, created if needed, opened with
// flag besides (os.O_TRUNC: from its start; os.O_APPEND: at its end),
// synced and closed.
func syncedWrite(p string, data []byte, flag int) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|flag, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
