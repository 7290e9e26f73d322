package exporter

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/entrasnap/entrasnap/layout"
)

// TestFingerprintStreamsTheSameDigest: a kind's fingerprint (in the state
// file: a stored one must still match) is the digest of its sorted
// "path\x00blob id" lines joined by "\n", as before, written to the digest
// line by line instead of built (issue 12: about 400 bytes of garbage a
// file before, 40 MB a call at 100,000 users). Counted in bytes allocated.
func TestFingerprintStreamsTheSameDigest(t *testing.T) {
	users, _ := layout.Lookup("users")
	blobs := map[string]plumbing.Hash{}
	const n = 20000
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("users/%02x/user-%d.%08x-0000-4000-8000-%012x.yaml", i%256, i, i, i)
		blobs[p] = plumbing.ComputeHash(plumbing.BlobObject, []byte(p))
		blobs[fmt.Sprintf("groups/%02x/g-%d.yaml", i%256, i)] = plumbing.ZeroHash // another kind's
	}
	blobs["users/ab/user.yaml"] = plumbing.ZeroHash
	blobs["users/ab/user.yaml.x"] = plumbing.ZeroHash // (a path that extends another)
	var lines []string
	for p, h := range blobs {
		if strings.HasPrefix(p, users.Root()+"/") {
			lines = append(lines, p+"\x00"+h.String())
		}
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if got, want := fingerprint(users, blobs), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("fingerprint = %s, want %s (the digest of the joined lines)", got, want)
	}
	if got, want := fingerprint(users, nil), fmt.Sprintf("%x", sha256.Sum256(nil)); got != want {
		t.Errorf("fingerprint of no files = %s, want %s", got, want)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fingerprint(users, blobs)
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 100 {
		t.Errorf("fingerprint of %d files allocated %d bytes a file, want at most 100 (a sorted list of paths)", n, per)
	}
}
