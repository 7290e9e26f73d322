package importer

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

func testPNG(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := 0; i < 64; i++ {
		img.Set(i%8, i/8, c)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Company branding comes back: changed text PATCHed, a replaced image PUT
// back with the snapshot's bytes, a deleted localization created again
// with its image, one added since REV deleted; the default is never
// deleted; a second plan is empty.
func TestRestoreBranding(t *testing.T) {
	whenShortOnly(t, "branding")
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	base := "/v1.0/organization/" + e.sim.TenantID() + "/branding/localizations"
	stream := func(path string) []byte {
		resp, err := e.c.Do(ctx, "GET", base+path, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.Body
	}
	logo, background := stream("/0/bannerLogo"), stream("/fr-FR/backgroundImage")
	text := e.get(base + "/0")["signInPageText"]

	e.do("PATCH", base+"/0", map[string]any{"signInPageText": hostileName})
	if _, err := e.c.Do(ctx, "PUT", base+"/0/bannerLogo", testPNG(t, color.RGBA{255, 0, 0, 255}), graph.WithHeader("Content-Type", "image/png")); err != nil {
		t.Fatal(err)
	}
	e.do("DELETE", base+"/fr-FR", nil)
	e.do("POST", base, map[string]any{"id": "de-DE", "signInPageText": "neu"})
	e.recordIncident()

	sel := []string{"tenant/branding"}
	p := e.plan(e.first, sel, Options{})
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.Request.Method+" "+strings.TrimPrefix(a.Request.Path, "/v1.0/organization/{{organization}}/branding/localizations"))
		if a.Request.Stream != nil && len(a.Request.Body) > 0 {
			t.Errorf("a stream PUT with a JSON body: %s", a.Request.Body)
		}
	}
	want := "PATCH /0,PUT /0/bannerLogo,POST ,PUT /fr-FR/backgroundImage,DELETE /de-DE"
	if strings.Join(got, ",") != want {
		t.Fatalf("plan %v, want %s\n%s", got, want, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if !bytes.Equal(stream("/0/bannerLogo"), logo) || !bytes.Equal(stream("/fr-FR/backgroundImage"), background) {
		t.Error("the images are not the snapshot's bytes after the restore")
	}
	if e.get(base + "/0")["signInPageText"] != text {
		t.Error("signInPageText not restored")
	}
	e.mustBeEmpty(sel, Options{})
}

// Apply sends an image only if the snapshot's file is the one reviewed.
func TestRestoreBrandingRefusesAChangedImage(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	base := "/v1.0/organization/" + e.sim.TenantID() + "/branding/localizations"
	if _, err := e.c.Do(context.Background(), "PUT", base+"/0/bannerLogo", testPNG(t, color.RGBA{0, 255, 0, 255}), graph.WithHeader("Content-Type", "image/png")); err != nil {
		t.Fatal(err)
	}
	p := e.plan(e.first, []string{"tenant/branding"}, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Request.Stream == nil {
		t.Fatalf("plan:\n%s", render(p))
	}
	p.Actions[0].Request.Stream.SHA256 = strings.Repeat("0", 64)
	res, err := Apply(context.Background(), p, e.applyOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete() || !strings.Contains(res.Actions[0].Error, "not the one the plan was made with") {
		t.Errorf("apply of a changed image: %+v", res.Actions)
	}
}

// fillOrg fills in the organization's id in a kind's path, as apply does.
func (e *env) fillOrg(p string) string {
	return strings.ReplaceAll(p, layout.OrganizationPlaceholder, e.sim.TenantID())
}
