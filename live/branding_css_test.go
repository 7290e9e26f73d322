package live

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// Company branding's customCSS is kept as the images are: a file next to
// the YAML with Graph's bytes exactly (controls and bidi characters
// included), which the YAML names with its SHA-256; an answer that is not
// UTF-8 text, or claims another media type, fails the kind and writes no
// file.
func TestReadBrandingCustomCSS(t *testing.T) {
	hostile := "/* \u202eevil\r\n */ .ext-title { content: \"\\1F600\"; }\n"
	for name, tc := range map[string]struct {
		ct   string
		body string
		ok   bool
	}{
		"demo":         {ok: true},
		"hostile text": {"text/css; charset=utf-8", hostile, true},
		"invalid utf8": {"text/css", ".a { color: red; } \xff\xfe", false},
		"nul":          {"text/css", ".a {}\x00", false},
		"as png":       {"image/png", ".a {}", false},
		"odd type":     {"text/html\r\n\u202e", "<script>x</script>", false},
	} {
		t.Run(name, func(t *testing.T) {
			sim := simtest.New(t, graphsim.Options{})
			lv, c := readKinds(t, sim, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.ct != "" && strings.HasSuffix(r.URL.Path, "/localizations/0/customCSS") {
					w.Header().Set("Content-Type", tc.ct)
					_, _ = w.Write([]byte(tc.body))
					return
				}
				sim.ServeHTTP(w, r)
			}), "branding")
			k, _ := layout.Lookup("branding")
			r := lv.Kinds[0]
			if !tc.ok {
				if r.Complete || r.Err == nil || !strings.Contains(r.Err.Error(), "customCSS of 0") || strings.ContainsAny(r.Err.Error(), "\r\u202e") {
					t.Fatalf("branding read %+v", r)
				}
				if len(lv.Files) != 0 {
					t.Errorf("files written: %v", fileNames(lv.Files))
				}
				return
			}
			if !r.Complete {
				t.Fatalf("branding read %+v", r)
			}
			obj, err := layout.Decode(lv.Files["tenant/branding/0.yaml"])
			if err != nil {
				t.Fatal(err)
			}
			css, ok, err := layout.ImageOf(obj, layout.CustomCSS)
			if !ok || err != nil || css.File != "images/0/customCSS.css" || css.ContentType != "text/css" {
				t.Fatalf("customCSS in the file: %+v %v %v", css, ok, err)
			}
			data := lv.Files[k.ImagePath(css.File)]
			resp, err := c.Do(context.Background(), "GET", "/v1.0/organization/"+sim.TenantID()+"/branding/localizations/0/customCSS", nil)
			if err != nil || string(resp.Body) != string(data) || layout.SHA256Hex(data) != css.SHA256 || len(data) != css.Size {
				t.Errorf("the file's bytes are not Graph's (%v): %q, YAML %+v", err, data, css)
			}
			if tc.body != "" && string(data) != tc.body {
				t.Errorf("kept %q, want %q", data, tc.body)
			}
			for _, w := range lv.Warnings {
				t.Errorf("warning: %+v", w)
			}
		})
	}
}
