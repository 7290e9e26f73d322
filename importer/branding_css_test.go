package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
)

// Company branding's customCSS is restored as the images are: one PUT of
// the snapshot's file with its media type (text/css), never in a PATCH;
// a changed style sheet (hostile text included) comes back byte for byte
// and a second plan is empty.
func TestRestoreBrandingCustomCSS(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	base := "/v1.0/organization/" + e.sim.TenantID() + "/branding/localizations"
	css := func() string {
		resp, err := e.c.Do(ctx, "GET", base+"/0/customCSS", nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(resp.Body)
	}
	before := css()
	if !strings.Contains(before, ".ext-title") {
		t.Fatalf("the demo has no style sheet: %q", before)
	}
	hostile := "/* \u202eevil\r\n */ .ext-title { display: none; }\n"
	if _, err := e.c.Do(ctx, "PUT", base+"/0/customCSS", []byte(hostile), graph.WithHeader("Content-Type", "text/css")); err != nil {
		t.Fatal(err)
	}
	sel := []string{"tenant/branding"}
	p := e.plan(e.first, sel, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Request.Method != "PUT" || !strings.HasSuffix(p.Actions[0].Request.Path, "/0/customCSS") ||
		p.Actions[0].Request.Stream == nil || p.Actions[0].Request.Stream.ContentType != "text/css" || len(p.Actions[0].Request.Body) != 0 {
		t.Fatalf("plan:\n%s", render(p))
	}
	if out := render(p); strings.ContainsAny(out, "\u202e") {
		t.Errorf("the rendered plan holds the tenant's raw text:\n%s", out)
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if got := css(); got != before {
		t.Errorf("after the restore: %q, want %q", got, before)
	}
	e.mustBeEmpty(sel, Options{})
}
