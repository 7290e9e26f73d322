package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// TooLargeMessage is the problem reported for a file over the limit.
func TooLargeMessage(limit int64) string {
	return fmt.Sprintf("larger than %s, the limit on one object file; not read (raise it with --max-file-size or %s if the file is really meant to be this large)", FormatSize(limit), MaxFileSizeEnv)
}

// FormatSize renders a byte count as 64MiB, 3KiB, 100B (whole units only).
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// readLimited reads at most limit bytes from r; tooLarge is true when r
// holds more (then limit+1 bytes have been read, no more).
func readLimited(r io.Reader, limit int64) (data []byte, tooLarge bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return nil, true, err
	}
	return data, false, err
}

// readObjectFile reads a file for validate, at most limit bytes. Devices
// (/dev/zero, /dev/urandom: endless) and sockets are refused unread; a
// pipe (`validate <(git show REV:path)`) is read up to the limit. A
// non-empty problem says why the file was not read.
func readObjectFile(p string, limit int64) (data []byte, problem string) {
	f, err := os.Open(p)
	if err != nil {
		return nil, "cannot read: " + PathErrorText(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "cannot read: " + PathErrorText(err)
	}
	if st.Mode()&(os.ModeDevice|os.ModeSocket|os.ModeIrregular) != 0 || st.IsDir() {
		return nil, "not a file but " + fileType(st.Mode()) + "; validate reads object files only"
	}
	if st.Mode().IsRegular() && st.Size() > limit {
		return nil, TooLargeMessage(limit)
	}
	data, tooLarge, err := readLimited(f, limit)
	switch {
	case err != nil:
		return nil, "cannot read: " + PathErrorText(err)
	case tooLarge: // it grew while being read
		return nil, TooLargeMessage(limit)
	}
	return data, ""
}

func fileType(m os.FileMode) string {
	switch {
	case m&os.ModeDevice != 0 && m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a folder"
	}
	return "mode " + m.String()
}

// errFileTooLarge marks an object file check refused to read for its size.
var errFileTooLarge = errors.New("file too large")

type fileTooLargeError struct{ limit int64 }

func (e *fileTooLargeError) Error() string { return TooLargeMessage(e.limit) }
func (e *fileTooLargeError) Unwrap() error { return errFileTooLarge }

// tooLarge reports whether f's blob is larger than the limit, from the
// object's header: its content is not read. A size that cannot be read
// counts as not too large; reading the file then reports the damage.
func (ck *checker) tooLarge(f blobFile) bool {
	n, err := ck.r.BlobSize(f.blob)
	return err == nil && n > ck.limit
}

// anyTooLarge reports whether one of files is larger than the limit (then
// files are read one by one, never the whole tree at once).
func (ck *checker) anyTooLarge(files []blobFile) bool {
	for _, f := range files {
		if ck.tooLarge(f) {
			return true
		}
	}
	return false
}

// readLimited reads f at rev unless it is larger than the limit.
func (ck *checker) readLimited(ctx context.Context, rev string, f blobFile) ([]byte, error) {
	if ck.tooLarge(f) {
		return nil, &fileTooLargeError{ck.limit}
	}
	data, err := ck.r.ReadFile(ctx, rev, f.path)
	if err == nil && int64(len(data)) > ck.limit {
		return nil, &fileTooLargeError{ck.limit}
	}
	return data, err
}
