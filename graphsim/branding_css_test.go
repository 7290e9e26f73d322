package graphsim

import (
	"strings"
	"testing"
)

// customCSS is a stream like the images: read as text/css, written by PUT
// of a .css file (UTF-8 text, at most 25 KB; strict: not UTF-8 or with a
// NUL byte → 400), never by PATCH.
func TestBrandingCustomCSS(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	loc := "/v1.0/organization/" + e.s.Tenant().ID() + "/branding/localizations/0"
	r := e.do("GET", loc+"/customCSS", nil).must(t, 200)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") || !strings.Contains(r.raw, ".ext-title") {
		t.Fatalf("demo customCSS: %s %q", r.header.Get("Content-Type"), r.raw)
	}
	hostile := "/* \u202e */ .a { color: red; }\r\n"
	e.do("PUT", loc+"/customCSS", hostile, "Content-Type", "text/css").must(t, 204)
	if got := e.do("GET", loc+"/customCSS", nil).must(t, 200).raw; got != hostile {
		t.Errorf("stored %q, want %q", got, hostile)
	}
	for _, bad := range []struct{ ct, body string }{
		{"text/css", ".a {} \xff"},
		{"text/css", ".a {}\x00"},
		{"text/css", strings.Repeat("a", 25<<10+1)},
		{"image/png", ".a {}"},
	} {
		e.do("PUT", loc+"/customCSS", bad.body, "Content-Type", bad.ct).must(t, 400)
	}
	e.do("PATCH", loc, map[string]any{"customCSS": ".a {}"}).must(t, 400)
}
