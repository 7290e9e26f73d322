package evidence

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Formats are the report's formats: markdown (also md), html (one
// self-contained page) and json.
var Formats = []string{"markdown", "md", "html", "json"}

// Render writes the report in format (one of Formats) to w, whole: it is
// rendered first, so a failure writes nothing.
func (rep *Report) Render(w io.Writer, format string) error {
	var b bytes.Buffer
	var err error
	switch format {
	case "html":
		err = rep.HTML(&b)
	case "json":
		err = rep.JSON(&b)
	case "markdown", "md":
		err = rep.Markdown(&b)
	default:
		return fmt.Errorf("format %q: want markdown, html or json", format)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// WriteFile writes the report in format to path through a temporary file
// in the same folder, renamed into place: a reader never sees half a
// report, and a failed write leaves no file behind.
func (rep *Report) WriteFile(path, format string) error {
	var b bytes.Buffer
	if err := rep.Render(&b, format); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+strings.TrimPrefix(filepath.Base(path), ".")+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
