package evidence

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium finds the headless browser the HTML report is checked in. The
// test skips without one unless ENTRASNAP_REQUIRE_BROWSER is set (.ci/run
// sets it and installs Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ENTRASNAP_REQUIRE_BROWSER") != "" {
		t.Fatal("ENTRASNAP_REQUIRE_BROWSER is set and no chromium is on PATH: install it (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH (set ENTRASNAP_REQUIRE_BROWSER to make this a failure)")
	return ""
}

// runChromium renders file with the browser and returns its stdout.
func runChromium(t *testing.T, bin, file string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}, args...)
	all = append(all, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Dir = filepath.Dir(file)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// The HTML report of a repository full of hostile names, rendered by a real
// browser: the DOM holds every section and the values, no element a name
// injected, nothing that fetches; the screenshot is a page, not a blank.
func TestHTMLInABrowser(t *testing.T) {
	bin := chromium(t)
	rep, _, page := hostileRepo(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "evidence.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(runChromium(t, bin, file, "--dump-dom"))
	for _, want := range []string{`id="summary"`, `id="series"`, `id="completeness"`, `id="integrity"`, `id="rehearsals"`,
		`id="access"`, `id="controls"`, `id="line-rpo"`, `id="line-rehearsals"`, `<strong id="largest-gap">1d 6h</strong>`,
		`<span id="gaps-over">1</span>`, `<strong id="check-result">`, "not verified", "ISO 27001 A.8.13", "NIS2 21(2)(c)",
		"42.5s", "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1 id=\"pwned-detail\"&gt;", `snapshot/&lt;script&gt;alert(1)&lt;/script&gt;|x\u202egnp`,
		`could not read .entrasnap/rehearsals/&lt;svg onload=alert(1)&gt;.yaml`} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered DOM lacks %q", want)
		}
	}
	// An element a hostile name made would be serialized with a raw "<".
	for _, bad := range []string{"<script", "<img", "<svg", "<h1 id=\"pwned", "<b>", "<i>", "<link", "<iframe", "\u202e"} {
		if strings.Contains(dom, bad) {
			t.Errorf("the rendered DOM holds %q: a name became markup", bad)
		}
	}
	if n := strings.Count(dom, "<table"); n < 6 {
		t.Errorf("the DOM has %d tables, want the summary, gaps, snapshots, kinds, rehearsal and controls", n)
	}
	_ = rep

	shot := filepath.Join(dir, "evidence.png")
	runChromium(t, bin, file, "--screenshot="+shot, "--window-size=1280,1600", "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if dst := os.Getenv("ENTRASNAP_EVIDENCE_SCREENSHOT"); dst != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(dst, data, 0o644) // to look at it
	}
	dark, colours := inkOf(img)
	b := img.Bounds()
	if b.Dx() < 1000 || b.Dy() < 1000 || dark < b.Dx()*b.Dy()/200 || colours < 4 {
		t.Errorf("the screenshot looks blank: %dx%d, %d dark pixels, %d colours", b.Dx(), b.Dy(), dark, colours)
	}
}

// inkOf counts the pixels darker than mid-grey (text) and the distinct
// colours (at 4 bits per channel) of img.
func inkOf(img image.Image) (dark, colours int) {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (r+g+bl)/3 < 0x8000 {
				dark++
			}
			seen[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
		}
	}
	return dark, len(seen)
}
