package main

import (
	"context"
	"errors"
)

// errFileTooLarge marks an object file check refused to read for its size.
var errFileTooLarge = errors.New("file too large")

type fileTooLargeError struct{ limit int64 }

func (e *fileTooLargeError) Error() string { return fileTooLargeMsg(e.limit) }
func (e *fileTooLargeError) Unwrap() error { return errFileTooLarge }

// limit is the largest object file check reads.
func (ck *checker) limit() int64 {
	if ck.maxFileSize > 0 {
		return ck.maxFileSize
	}
	return defaultMaxFileSize
}

// tooLarge reports whether f's blob is larger than the limit, from the
// object's header: its content is not read. A size that cannot be read
// counts as not too large; reading the file then reports the damage.
func (ck *checker) tooLarge(f blobFile) bool {
	n, err := ck.r.BlobSize(f.blob)
	return err == nil && n > ck.limit()
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
		return nil, &fileTooLargeError{ck.limit()}
	}
	data, err := ck.r.ReadFile(ctx, rev, f.path)
	if err == nil && int64(len(data)) > ck.limit() {
		return nil, &fileTooLargeError{ck.limit()}
	}
	return data, err
}
