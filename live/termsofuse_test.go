package live

import (
	"encoding/base64"
	"strings"
	"testing"
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
