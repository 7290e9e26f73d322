package live

import (
	"bytes"
	"context"
	"encoding/base64"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// An agreement file Graph returns is written only when it is a whole PDF
// within the size a snapshot keeps: no data, data that is not base64, too
// many bytes (refused before decoding), no PDF header, or an answer cut
// short (no %%EOF at its end) are refused with a reason.
func TestAgreementDocumentChecks(t *testing.T) {
	whole := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	enc := func(b []byte) map[string]any { return map[string]any{"data": base64.StdEncoding.EncodeToString(b)} }
	data, err := documentBytes(enc(whole), 1<<20)
	if err != nil || checkPDF(data) != nil {
		t.Fatalf("a whole PDF: %v %v", err, checkPDF(data))
	}
	for name, c := range map[string]struct {
		v    any
		max  int
		want string
	}{
		"no data":      {map[string]any{}, 1 << 20, "no file data"},
		"not a map":    {"x", 1 << 20, "no file data"},
		"not base64":   {map[string]any{"data": "%%%"}, 1 << 20, "not base64"},
		"too large":    {enc(whole), 10, "more than the 10"},
		"not a PDF":    {enc([]byte("<html>\n%%EOF")), 1 << 20, "not a PDF"},
		"cut short":    {enc(whole[:20]), 1 << 20, "cut short"},
		"EOF far back": {enc(append(append([]byte{}, whole...), make([]byte, 2000)...)), 1 << 20, "cut short"},
	} {
		data, err := documentBytes(c.v, c.max)
		if err == nil {
			err = checkPDF(data)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not written") {
			t.Errorf("%s: %v, want %q and not written", name, err, c.want)
		}
	}
}

// A tenant answering an agreement's files with "fileData": null (as
// Graph's documented examples do): the kind is read completely, each
// agreement's YAML keeps its files' properties with fileData
// {notReturned: true}, no PDF is written, and a warning per file names
// the agreement and the file. Only null (or no fileData) is taken so: an
// empty {} still fails the kind (TestAgreementDocumentChecks).
func TestReadAgreementFilesWithoutBytes(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{TermsOfUseFileDataNull: true})
	lv, _ := readKinds(t, sim, sim, "terms-of-use")
	if r := lv.Kinds[0]; !r.Complete || r.Objects != 2 {
		t.Fatalf("terms of use: %+v", r)
	}
	k, _ := layout.Lookup("terms-of-use")
	files := 0
	agreementFiles(t, lv.Files, func(p string, _ []byte) { t.Errorf("a PDF was written: %s", p) }, func(p string, m map[string]any) {
		files++
		if !k.ItemNotReturned(m) || m["fileName"] == nil || m["language"] == nil || m["isDefault"] == nil {
			t.Errorf("%s: file %v, want its properties and fileData {notReturned: true}", p, m)
		}
	})
	if files != 3 {
		t.Errorf("%d files in the YAML, want the demo's 3", files)
	}
	var warned []string
	for _, w := range lv.Warnings {
		warned = append(warned, w.String())
	}
	all := strings.Join(warned, "\n")
	if len(warned) != 3 || !strings.Contains(all, "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a02") || !strings.Contains(all, "acceptable-use.pdf") ||
		!strings.Contains(all, "files[de-DE].fileData") || !strings.Contains(all, "recreating it") {
		t.Errorf("warnings: %q, want one per file naming the agreement, the file and the recreate", warned)
	}
}

// A tenant that answered an agreement's files with their bytes at the
// previous export and with "fileData": null now: a file whose properties
// are those of the previous snapshot keeps the PDF that snapshot holds
// (the same bytes, fileData naming it with notReturned: true) and a
// warning says so; a file whose properties changed is not matched
// ({notReturned: true}: a new document may have replaced it). The read
// waits for the previous snapshot (Later) before reading the files: here
// Later returns only after the kind's read ended, or after a while when
// it waits. A previous snapshot whose PDF does not hold
// the bytes its YAML names gives nothing: {notReturned: true}, and a
// warning says to check the repository.
func TestAgreementFilesKeptFromPreviousSnapshot(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{})
	prev, _ := readKinds(t, sim, sim, "terms-of-use")
	sim.SetTermsOfUseFileDataNull(true)
	k, _ := layout.Lookup("terms-of-use")
	const guests = "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a01"
	var guestPath string
	for p := range prev.Files {
		if strings.HasSuffix(p, guests+".yaml") {
			guestPath = p
		}
	}
	// The previous snapshot's de-DE file had another name: not the same file.
	prev.Files[guestPath] = []byte(strings.Replace(string(prev.Files[guestPath]), "gast-bedingungen.pdf", "alt.pdf", 1))

	read := func(files map[string][]byte) (*Live, error) {
		done := kindDone{done: make(chan struct{})}
		c := simtest.Client(t, sim, simtest.Serve(t, sim), "")
		return Read(context.Background(), ReadOptions{Client: c, Kinds: []*layout.Kind{k}, Progress: &done, Later: func(ctx context.Context) (Later, error) {
			select { // a bound, not a measure: the read must not need it
			case <-done.done:
			case <-time.After(2 * time.Second):
			}
			var paths []string
			for p := range files {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			return Later{Previous: func(p string) ([]byte, error) { return files[p], nil },
				PreviousPaths: func(*layout.Kind) []string { return paths }}, nil
		}})
	}
	lv, err := read(prev.Files)
	if err != nil || !lv.Kinds[0].Complete {
		t.Fatalf("read: %v %+v", err, lv.Kinds)
	}
	kept, none := 0, 0
	agreementFiles(t, lv.Files, func(p string, data []byte) {
		if !bytes.Equal(data, prev.Files[p]) {
			t.Errorf("%s: not the previous snapshot's bytes", p)
		}
	}, func(p string, m map[string]any) {
		switch {
		case k.ItemCarried(m):
			kept++
			im, ok, err := k.ItemImageOf(m)
			if !ok || err != nil || lv.Files[k.ImagePath(im.File)] == nil {
				t.Errorf("%s: %v names no PDF written: %v", p, m, err)
			}
		case k.ItemNotReturned(m) && m["language"] == "de-DE":
			none++
		default:
			t.Errorf("%s: file %v", p, m)
		}
	})
	if kept != 2 || none != 1 {
		t.Errorf("%d files kept from the previous snapshot, %d without bytes; want 2 and the renamed de-DE", kept, none)
	}
	var warned []string
	for _, w := range lv.Warnings {
		if strings.Contains(w.Message, "earlier export read") {
			warned = append(warned, w.String())
		}
	}
	if len(warned) != 2 {
		t.Errorf("warnings of kept PDFs: %q", warned)
	}

	// A damaged previous snapshot: the PDF is not what its YAML names.
	for p := range prev.Files {
		if strings.HasSuffix(p, ".pdf") {
			prev.Files[p] = append([]byte(nil), "%PDF-1.4\nnot it\n%%EOF\n"...)
		}
	}
	lv, err = read(prev.Files)
	if err != nil || !lv.Kinds[0].Complete {
		t.Fatalf("read with a damaged previous snapshot: %v %+v", err, lv.Kinds)
	}
	for p := range lv.Files {
		if strings.HasSuffix(p, ".pdf") {
			t.Errorf("a PDF was kept from a damaged previous snapshot: %s", p)
		}
	}
	damaged := 0
	for _, w := range lv.Warnings {
		if strings.Contains(w.Message, "does not hold the PDF") && strings.Contains(w.Message, "run entrasnap check") {
			damaged++
		}
	}
	if damaged != 2 {
		t.Errorf("warnings: %+v, want 2 naming the damaged previous PDFs", lv.Warnings)
	}
}

// kindDone is a Progress whose done closes when a kind's read ends.
type kindDone struct {
	NoProgress
	once sync.Once
	done chan struct{}
}

func (p *kindDone) KindDone(string, int, int, error) { p.once.Do(func() { close(p.done) }) }

// agreementFiles calls pdf with each PDF of files (a read of agreements)
// and item with each file item of each agreement's YAML.
func agreementFiles(t *testing.T, files map[string][]byte, pdf func(p string, data []byte), item func(p string, m map[string]any)) {
	t.Helper()
	for p, data := range files {
		if strings.HasSuffix(p, ".pdf") {
			pdf(p, data)
			continue
		}
		obj, err := layout.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range obj["files"].([]any) {
			item(p, f.(map[string]any))
		}
	}
}
