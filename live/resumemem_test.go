package live

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// TestResumeStateIsSmallPerFile: a resumed kind on a day without changes
// allocates little per previous file (issue 12, 1,004 bytes a file here
// before: at 100,000 users the resume held the files' keys copied out of
// their paths, a second map of their paths, a carried list grown by append
// to up to twice its size, and the read's collision check a second map
// entry per file). Counted in bytes allocated by the whole read per
// previous file, the round itself being one request.
func TestResumeStateIsSmallPerFile(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	_, c := deltaSim(t, graphsim.Sizes{Users: 4, Groups: 2})
	groups, _ := layout.Lookup("groups")
	kinds := []*layout.Kind{groups}
	first, _, _ := readOnce(t, &reader{c: c, progress: NoProgress{}, track: true}, kinds)
	const n = 20000
	paths := make([]string, n)
	for i := range paths {
		// (files Graph's round does not name: carried as they are)
		paths[i] = fmt.Sprintf("groups/%02x/team-%06d.%08x-0000-4000-8000-%012x.yaml", i%256, i, i, i)
	}
	noRead := func(p string) ([]byte, error) { return nil, fmt.Errorf("%s: not read on a day without changes", p) }
	read := func() {
		rd := &reader{c: c, progress: NoProgress{}, track: true, sink: func(string, []byte) error { return nil },
			delta: map[string]DeltaFrom{"groups": {Link: first.deltaLink, Paths: paths, Read: noRead}}}
		reads, err := rd.readAll(context.Background(), kinds, 1)
		if err != nil || reads[0].err != nil || reads[0].mode != "delta" || len(reads[0].files) < n {
			t.Fatalf("resumed read: %v, %+v", err, reads[0])
		}
		if _, _, err := results(reads); err != nil {
			t.Fatal(err)
		}
	}
	read() // (warm: the client's and the catalog's first use)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	read()
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / n
	if per > 500 {
		t.Errorf("a resumed read of %d unchanged files allocated %d bytes a file, want at most 500 (its place in the maps and lists)", n, per)
	}
}
