package live

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// Company branding is read through the organization's path; its images are
// files next to the YAML holding the bytes Graph returned, which the YAML
// names with their SHA-256.
func TestReadBrandingWithImages(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{})
	lv, c := readKinds(t, sim, sim, "branding")
	if r := lv.Kinds[0]; !r.Complete || r.Objects != 2 {
		t.Fatalf("branding: %+v", r)
	}
	k, _ := layout.Lookup("branding")
	for _, w := range lv.Warnings {
		t.Errorf("warning: %+v", w)
	}
	def, ok := lv.Files["tenant/branding/0.yaml"]
	if !ok {
		t.Fatalf("no default branding file: %v", fileNames(lv.Files))
	}
	obj, err := layout.Decode(def)
	if err != nil {
		t.Fatal(err)
	}
	im, ok, err := layout.ImageOf(obj, "bannerLogo")
	if !ok || err != nil {
		t.Fatalf("bannerLogo in the file: %v %v\n%s", ok, err, def)
	}
	data := lv.Files[k.ImagePath(im.File)]
	if !strings.HasPrefix(string(data), "\x89PNG") || layout.SHA256Hex(data) != im.SHA256 || len(data) != im.Size {
		t.Errorf("image file %s: %d bytes, sha %s; the YAML says %+v", im.File, len(data), layout.SHA256Hex(data), im)
	}
	resp, err := c.Do(context.Background(), "GET", "/v1.0/organization/"+sim.TenantID()+"/branding/localizations/0/bannerLogo", nil)
	if err != nil || string(resp.Body) != string(data) {
		t.Errorf("the file's bytes are not Graph's (%v)", err)
	}
	if _, ok := lv.Files["tenant/branding/images/fr-FR/backgroundImage.jpg"]; !ok {
		t.Errorf("fr-FR background image not written: %v", fileNames(lv.Files))
	}
	for _, s := range []string{"RelativeUrl", "cdnList"} {
		if strings.Contains(string(def), s) {
			t.Errorf("volatile %s written:\n%s", s, def)
		}
	}
}

// A hostile answer for an image (not the media type it claims, an odd
// type, too large) fails the kind: no such file is written.
func TestReadBrandingRefusesOddImages(t *testing.T) {
	for name, tc := range map[string]struct {
		ct   string
		body []byte
	}{
		"html as png":  {"image/png", []byte("<html><script>x</script></html>")},
		"odd type":     {"application/x-sh\r\n\u202e", []byte("#!/bin/sh\nrm -rf /\n")},
		"too large":    {"image/png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, layout.MaxImageSize)...)},
		"invalid utf8": {"image/\xff", []byte("\x89PNG\r\n\x1a\n")},
		// Well-framed answers cut short: the header passes sniffing.
		"png cut short":  {"image/png", wholePNG(t)[:len(wholePNG(t))/2]},
		"png bad crc":    {"image/png", flipLast(wholePNG(t), 13)},
		"png trailing":   {"image/png", append(wholePNG(t), "<script>"...)},
		"jpeg cut short": {"image/jpeg", wholeJPEG(t)[:len(wholeJPEG(t))-40]},
	} {
		t.Run(name, func(t *testing.T) {
			sim := simtest.New(t, graphsim.Options{})
			lv, _ := readKinds(t, sim, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/localizations/0/bannerLogo") {
					w.Header().Set("Content-Type", tc.ct)
					_, _ = w.Write(tc.body)
					return
				}
				sim.ServeHTTP(w, r)
			}), "branding")
			r := lv.Kinds[0]
			if r.Complete || r.Err == nil || !strings.Contains(r.Err.Error(), "bannerLogo of 0") {
				t.Fatalf("branding read %+v", r)
			}
			if strings.ContainsAny(r.Err.Error(), "\r\u202e") {
				t.Errorf("error not escaped: %q", r.Err.Error())
			}
			if len(lv.Files) != 0 {
				t.Errorf("files written: %v", fileNames(lv.Files))
			}
		})
	}
}

func fileNames(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func wholePNG(t *testing.T) []byte {
	var b bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wholeJPEG(t *testing.T) []byte {
	var b bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// flipLast flips a bit of the byte n from the end of b (a copy).
func flipLast(b []byte, n int) []byte {
	c := append([]byte(nil), b...)
	c[len(c)-n] ^= 1
	return c
}

// TestImageCompleteTakesWholeImages: whole PNG, JPEG and icon files pass.
func TestImageCompleteTakesWholeImages(t *testing.T) {
	icon := []byte("\x00\x00\x01\x00\x01\x00\x01\x01\x00\x00\x01\x00\x20\x00\x04\x00\x00\x00\x16\x00\x00\x00\x01\x02\x03\x04")
	for ct, b := range map[string][]byte{"image/png": wholePNG(t), "image/jpeg": wholeJPEG(t), "image/x-icon": icon, "image/gif": []byte("GIF89a\x01\x00;")} {
		if err := imageComplete(ct, b); err != nil {
			t.Errorf("%s: %v", ct, err)
		}
	}
	for name, tc := range map[string]struct {
		ct string
		b  []byte
	}{
		"icon cut short": {"image/x-icon", icon[:len(icon)-1]},
		"icon no images": {"image/x-icon", []byte("\x00\x00\x01\x00\x00\x00")},
		"gif cut short":  {"image/gif", []byte("GIF89a\x01\x00")},
		"png one byte":   {"image/png", append([]byte("\x89PNG\r\n\x1a\n"), 0)},
		"png huge chunk": {"image/png", append([]byte("\x89PNG\r\n\x1a\n\xff\xff\xff\xffIHDR"), make([]byte, 8)...)},
	} {
		if err := imageComplete(tc.ct, tc.b); err == nil {
			t.Errorf("%s: taken as whole", name)
		}
	}
}

// readKinds reads the kinds named of sim served by h (sim itself, or a
// handler that answers some requests in its place) and returns what it
// read and the client it read with.
func readKinds(t *testing.T, sim *graphsim.Server, h http.Handler, names ...string) (*Live, *graph.Client) {
	t.Helper()
	c := simtest.Client(t, sim, simtest.Serve(t, h), "")
	lv, err := Read(context.Background(), ReadOptions{Client: c, Kinds: simtest.Kinds(t, names...)})
	if err != nil {
		t.Fatal(err)
	}
	return lv, c
}

// brandingStreamReads counts the GETs of branding streams graphsim served,
// and how many it answered with an error.
func brandingStreamReads(sim *graphsim.Server) (reads, errors int) {
	k, _ := layout.Lookup("branding")
	for _, e := range sim.Stats().Endpoints {
		if e.Method != "GET" || !strings.Contains(e.Path, "/branding/localizations/") {
			continue
		}
		for _, prop := range k.Images {
			if strings.HasSuffix(e.Path, "/"+prop) {
				reads += e.Requests
				errors += e.Errors
			}
		}
	}
	return reads, errors
}

// A stream whose *RelativeUrl is null is not read (no GET answered 404):
// the demo's two localizations hold four streams between them, so four
// GETs, not one per localization and stream. A stream whose URL is set but
// whose read fails still leaves the kind incomplete.
func TestReadBrandingSkipsStreamsWithoutURL(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{})
	lv, _ := readKinds(t, sim, sim, "branding")
	if r := lv.Kinds[0]; !r.Complete || r.Objects != 2 {
		t.Fatalf("branding: %+v", r)
	}
	images := 0
	for p := range lv.Files {
		if strings.HasPrefix(p, "tenant/branding/images/") {
			images++
		}
	}
	reads, errs := brandingStreamReads(sim)
	if images != 4 || reads != images || errs != 0 {
		t.Errorf("%d image files from %d stream GETs (%d answered with an error), want 4 from 4 and none", images, reads, errs)
	}

	// The URL set, the read failing: incomplete, never "no image".
	sim2 := simtest.New(t, graphsim.Options{})
	lv, _ = readKinds(t, sim2, simtest.Denying(sim2, "/branding/localizations/fr-FR/backgroundImage"), "branding")
	if r := lv.Kinds[0]; r.Complete {
		t.Errorf("a set image whose read failed left the kind complete: %+v", r)
	}
}
