package live

import (
	"encoding/base64"
	"strings"
	"testing"

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
	for p, data := range lv.Files {
		if strings.HasSuffix(p, ".pdf") {
			t.Errorf("a PDF was written: %s", p)
			continue
		}
		obj, err := layout.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range obj["files"].([]any) {
			m := f.(map[string]any)
			files++
			if !k.ItemNotReturned(m) || m["fileName"] == nil || m["language"] == nil || m["isDefault"] == nil {
				t.Errorf("%s: file %v, want its properties and fileData {notReturned: true}", p, m)
			}
		}
	}
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
