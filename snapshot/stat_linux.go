//go:build linux

package snapshot

import (
	"os"
	"syscall"
	"time"
)

// statExtra returns the stat fields git records in the index beyond size and
// mtime; ok is false when the platform does not provide them.
func statExtra(fi os.FileInfo) (ctime time.Time, dev, ino, uid, gid uint32, ok bool) {
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return time.Time{}, 0, 0, 0, 0, false
	}
	return time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec)), uint32(st.Dev), uint32(st.Ino), st.Uid, st.Gid, true
}
