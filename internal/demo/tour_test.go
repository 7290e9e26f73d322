package demo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
)

// A tour into a folder that holds anything is refused before it starts
// (no tenant, no client, nothing printed, nothing written): a *DirError
// naming the folder and saying what to do. The folder is left as it was.
func TestTourRefusesAFolderThatIsNotEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	clients := 0
	err := Tour{Dir: dir, Seed: 1, Out: &out, Client: func(string, string, Sleep) (*graph.Client, error) {
		clients++
		return nil, errors.New("the tour started")
	}}.Run(context.Background())
	var de *DirError
	if !errors.As(err, &de) || de.Dir != dir || !strings.Contains(err.Error(), dir+" already exists and is not empty") ||
		!strings.Contains(err.Error(), "choose another folder") {
		t.Errorf("Run into a folder that is not empty = %v, want a *DirError naming it", err)
	}
	if clients != 0 || out.Len() != 0 {
		t.Errorf("the refused tour made %d clients and printed %q", clients, out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refused tour wrote into the folder: %d entries", len(entries))
	}
	// An empty folder, or none, is no DirError: the tour starts (here it
	// stops at once, at its first client).
	for _, d := range []string{t.TempDir(), filepath.Join(t.TempDir(), "new")} {
		err := Tour{Dir: d, Seed: 1, Out: &out, Now: func() time.Time { return time.Time{} }, Client: func(string, string, Sleep) (*graph.Client, error) {
			clients++
			return nil, errors.New("the tour started")
		}}.Run(context.Background())
		if errors.As(err, &de) || err == nil || !strings.Contains(err.Error(), "the tour started") {
			t.Errorf("Run into %s = %v, want the tour to start", d, err)
		}
	}
}
