package live

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// TestResumeReadsOnlyTheChangedPreviousFiles (issue 12, streaming memory):
// a resumed delta read with a sink asks DeltaFrom.Read for the previous
// files of the objects the round changed only, lists the other previous
// files in Live.Kept without reading them, and the sink's files plus the
// kept ones are a full read's files; without a sink the kept files are read
// and returned in Live.Files.
func TestResumeReadsOnlyTheChangedPreviousFiles(t *testing.T) {
	_, c := deltaSim(t, graphsim.Sizes{Users: 60, Groups: 10, MembersPerGroup: 30})
	users, _ := layout.Lookup("users")
	groups, _ := layout.Lookup("groups")
	kinds := []*layout.Kind{users, groups}
	first, err := Read(context.Background(), ReadOptions{Client: c, Kinds: kinds, TrackDelta: true})
	if err != nil {
		t.Fatal(err)
	}
	var userIDs, groupIDs []string
	for p := range first.Files {
		if k, key, err := layout.Locate(p); err == nil && k == users {
			userIDs = append(userIDs, key)
		} else if err == nil {
			groupIDs = append(groupIDs, key)
		}
	}
	sort.Strings(userIDs)
	sort.Strings(groupIDs)
	mustDo(t, c, "PATCH", "/v1.0/users/"+userIDs[0], `{"jobTitle":"Boss"}`)
	mustDo(t, c, "PATCH", "/v1.0/groups/"+groupIDs[0], `{"description":"changed"}`)
	mustDo(t, c, "DELETE", "/v1.0/users/"+userIDs[1], "")

	var mu sync.Mutex
	asked := map[string]int{}
	from := func() map[string]DeltaFrom {
		out := map[string]DeltaFrom{}
		for _, k := range kinds {
			var paths []string
			for p := range first.Files {
				if fk, _, _ := layout.Locate(p); fk == k {
					paths = append(paths, p)
				}
			}
			out[k.Name] = DeltaFrom{Link: first.DeltaLinks[k.Name], Paths: paths, Held: first.Held[k.Name], Read: func(p string) ([]byte, error) {
				mu.Lock()
				asked[p]++
				mu.Unlock()
				return first.Files[p], nil
			}}
		}
		return out
	}
	sunk := map[string][]byte{}
	lv, err := Read(context.Background(), ReadOptions{Client: c, Kinds: kinds, Delta: from(), TrackDelta: true,
		Sink: func(p string, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			sunk[p] = bytes.Clone(data)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range lv.Kinds {
		if !r.Complete || r.Read != "delta" {
			t.Fatalf("%s: complete %v, read %q", r.Kind, r.Complete, r.Read)
		}
	}
	full, err := Read(context.Background(), ReadOptions{Client: c, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, p := range lv.Paths {
		got[p] = sunk[p]
	}
	for _, p := range lv.Kept {
		if _, dup := got[p]; dup {
			t.Errorf("%s both given to the sink and kept", p)
		}
		got[p] = first.Files[p] // the caller's copy (its blob id)
	}
	simtest.SameFiles(t, "resumed with a sink vs full", got, full.Files)
	var askedPaths []string
	for p := range asked {
		askedPaths = append(askedPaths, p)
	}
	sort.Strings(askedPaths)
	// The changed user and group (the deleted user's groups changed too:
	// Graph reports their members), and the users with sponsors (delta
	// does not report sponsors: users.go); never another unchanged user's
	// file.
	sponsored := first.Held["users"]
	if len(sponsored) == 0 {
		t.Fatal("no user has sponsors: the test does not cover them")
	}
	if len(askedPaths) == 0 || len(askedPaths) > 1+len(groupIDs)+len(sponsored) {
		t.Errorf("Read was asked for %d previous files %v, want those of the changed objects and of the %d users with sponsors only", len(askedPaths), askedPaths, len(sponsored))
	}
	for _, p := range askedPaths {
		if k, key, _ := layout.Locate(p); k == users && key != userIDs[0] && !slices.Contains(sponsored, key) {
			t.Errorf("Read was asked for %s, an unchanged user's file", p)
		}
	}
	if len(lv.Kept) < len(userIDs)-3-len(sponsored) {
		t.Errorf("%d files kept without reading them, want at least %d (the unchanged users without sponsors)", len(lv.Kept), len(userIDs)-3-len(sponsored))
	}
	if !sort.StringsAreSorted(lv.Kept) {
		t.Errorf("Live.Kept is not sorted")
	}

	// Without a sink, the kept files are read and returned.
	asked = map[string]int{}
	noSink, err := Read(context.Background(), ReadOptions{Client: c, Kinds: kinds, Delta: from()})
	if err != nil {
		t.Fatal(err)
	}
	if len(noSink.Kept) != 0 {
		t.Errorf("without a sink, Live.Kept = %v", noSink.Kept)
	}
	simtest.SameFiles(t, "resumed without a sink vs full", noSink.Files, full.Files)
}
