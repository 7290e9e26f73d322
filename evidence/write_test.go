package evidence

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Render writes each format as its method does, whole; WriteFile leaves
// the file whole or not at all, and no temporary file behind.
func TestRenderAndWriteFile(t *testing.T) {
	rep := build(t, newRepo(t, snap{at: t0}), Options{Now: t0.Add(time.Hour)})
	dir := t.TempDir()
	for format, method := range map[string]func(*Report, *bytes.Buffer) error{
		"markdown": func(r *Report, b *bytes.Buffer) error { return r.Markdown(b) },
		"md":       func(r *Report, b *bytes.Buffer) error { return r.Markdown(b) },
		"html":     func(r *Report, b *bytes.Buffer) error { return r.HTML(b) },
		"json":     func(r *Report, b *bytes.Buffer) error { return r.JSON(b) },
	} {
		var want, got bytes.Buffer
		if err := method(rep, &want); err != nil {
			t.Fatal(err)
		}
		if err := rep.Render(&got, format); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) || want.Len() == 0 {
			t.Errorf("Render %s: %v, %d bytes, want %d", format, err, got.Len(), want.Len())
		}
		p := filepath.Join(dir, "report."+format)
		if err := rep.WriteFile(p, format); err != nil {
			t.Fatal(err)
		}
		if data, err := os.ReadFile(p); err != nil || !bytes.Equal(data, want.Bytes()) {
			t.Errorf("WriteFile %s: %v, %d bytes, want %d", format, err, len(data), want.Len())
		}
	}
	var b bytes.Buffer
	if err := rep.Render(&b, "pdf"); err == nil || b.Len() > 0 {
		t.Errorf("format pdf: %v, %d bytes written", err, b.Len())
	}
	if err := rep.WriteFile(filepath.Join(dir, "r.pdf"), "pdf"); err == nil {
		t.Error("WriteFile of format pdf")
	}
	if err := rep.WriteFile(filepath.Join(dir, "missing", "r.md"), "md"); err == nil {
		t.Error("WriteFile into a missing folder")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 4 {
		t.Errorf("%d files in the folder, want the 4 reports: %v", len(ents), ents)
	}
}
