package check

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// EnvMaxFileSize is the limit on one file read: ENTRASNAP_MAX_FILE_SIZE,
// or snapshot.DefaultMaxFileSize (64 MiB) when it is not set.
func EnvMaxFileSize() (int64, error) {
	if v := os.Getenv(MaxFileSizeEnv); v != "" {
		return layout.ParseSize(v)
	}
	return snapshot.DefaultMaxFileSize, nil
}

// Open opens the snapshot repository at path for reading, as the commands
// that read one do: a folder that is not a repository is an error saying
// to export first, and one file read is bounded by maxFileSize (0:
// snapshot.DefaultMaxFileSize; EnvMaxFileSize for the user's): a file too
// large is an error naming it, never a read of unbounded size.
func Open(path string, maxFileSize int64) (*snapshot.Repo, error) {
	r, err := snapshot.Open(path)
	if errors.Is(err, snapshot.ErrNotRepository) {
		return nil, fmt.Errorf("%v; run `entrasnap export --repo %s` first", err, path)
	} else if err != nil {
		return nil, err
	}
	r.SetMaxFileSize(maxFileSize)
	return r, nil
}

// ReadCapped reads a file the user names besides a snapshot's (a --watch
// list, a --break-glass list, a saved plan), bounded as every file read
// from a snapshot is: at most 64 MiB, or ENTRASNAP_MAX_FILE_SIZE. A larger
// file is an error naming it, read no further than the limit.
func ReadCapped(file string) ([]byte, error) {
	limit, err := EnvMaxFileSize()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", MaxFileSizeEnv, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := func() error {
		return &fs.PathError{Op: "read", Path: file, Err: fmt.Errorf("larger than %s, the limit on one file entrasnap reads; not read (raise it with %s if the file is really meant to be this large)", layout.FormatSize(limit), MaxFileSizeEnv)}
	}
	// A regular file already over the limit is refused by its size, not
	// read up to the limit first (64 MiB read and dropped); a pipe, a
	// device, or a file that grows after the stat is still read no further
	// than the limit below.
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		return nil, tooLarge()
	}
	return data, err
}
