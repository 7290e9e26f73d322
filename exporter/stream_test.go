package exporter

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/live"
)

// packWatch records, when a kind's read is reported done, what the
// object store's pack folder holds.
type packWatch struct {
	live.NoProgress
	dir  string
	mu   sync.Mutex
	seen map[string][]string // kind → temporary packs at its KindDone
}

func (w *packWatch) KindDone(kind string, objects, requests int, err error) {
	m, _ := filepath.Glob(filepath.Join(w.dir, "tmp_pack_*"))
	w.mu.Lock()
	w.seen[kind] = m
	w.mu.Unlock()
}
func (w *packWatch) Done(*Result) {}

// The exporter does not keep the objects' files until the end of the read:
// each kind's files are in the object store (a temporary pack) by the time
// the kind is reported read, long before the commit; the commit publishes
// them (no temporary file left, fsck-clean), and a run in which nothing
// changed writes no pack at all.
func TestExportStreamsFilesIntoTheStoreDuringTheRead(t *testing.T) {
	sim := newSim(t, graphsim.Options{Profile: "large", Sizes: graphsim.Sizes{Users: 400, Groups: 20, Apps: 10}})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	packDir := filepath.Join(r.GitDir(), "objects", "pack")
	w := &packWatch{dir: packDir, seen: map[string][]string{}}
	res := mustExport(t, c, r, func(o *Options) { o.Progress = w })
	if !res.Complete() || !res.Changed {
		t.Fatalf("first export: complete=%v changed=%v", res.Complete(), res.Changed)
	}
	if len(w.seen["users"]) != 1 {
		t.Errorf("when users were reported read (%d objects), the store's pack folder had temporary packs %v; want the users' files streamed into one", res.Objects(), w.seen["users"])
	}
	if m, _ := filepath.Glob(filepath.Join(packDir, "tmp_*")); len(m) != 0 {
		t.Errorf("temporary files left after the commit: %v", m)
	}
	if res.WriteSeconds <= 0 {
		t.Errorf("WriteSeconds = %v", res.WriteSeconds)
	}
	fsck(t, r.Path())
	packs, _ := filepath.Glob(filepath.Join(packDir, "pack-*.pack"))

	w2 := &packWatch{dir: packDir, seen: map[string][]string{}}
	res2 := mustExport(t, c, r, func(o *Options) { o.Progress = w2 })
	if res2.Changed {
		t.Fatalf("second export of an unchanged tenant made a commit")
	}
	for kind, m := range w2.seen {
		if len(m) != 0 {
			t.Errorf("unchanged tenant: %s's read wrote a temporary pack %v", kind, m)
		}
	}
	if packs2, _ := filepath.Glob(filepath.Join(packDir, "pack-*.pack")); len(packs2) != len(packs) {
		t.Errorf("unchanged tenant: %d packs after, %d before", len(packs2), len(packs))
	}
	fsck(t, r.Path())
}

// live.Read with a Sink gives the sink exactly the files a read without
// one returns, keeps only their paths, and stops at the sink's first error.
func TestReadSinkGetsEveryFileAndStopsOnItsError(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	want, err := live.Read(context.Background(), live.ReadOptions{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]byte{}
	lv, err := live.Read(context.Background(), live.ReadOptions{Client: c, Sink: func(p string, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[p]; dup {
			t.Errorf("%s given to the sink twice", p)
		}
		got[p] = bytes.Clone(data)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.Files) != 0 {
		t.Errorf("with a sink, Live.Files holds %d files", len(lv.Files))
	}
	if !reflect.DeepEqual(got, want.Files) {
		t.Errorf("the sink got %d files, a read without one %d (or their content differs)", len(got), len(want.Files))
	}
	var paths []string
	for p := range want.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if !reflect.DeepEqual(lv.Paths, paths) {
		t.Errorf("Live.Paths has %d paths, want the %d files' paths, sorted", len(lv.Paths), len(paths))
	}

	boom := errors.New("disk full")
	_, err = live.Read(context.Background(), live.ReadOptions{Client: c, Sink: func(string, []byte) error { return boom }})
	if !errors.Is(err, boom) {
		t.Errorf("a failing sink: Read returned %v, want its error", err)
	}
}
