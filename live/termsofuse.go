package live

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/layout"
)

// Documents Graph returns inline as base64 in a list property of each
// object (layout.Kind.FileItems: a terms of use agreement's files,
// layout/catalog_termsofuse.go). The list is a navigation property that
// Graph documents only as GET {item}?$expand=files (agreement-list-files),
// so each object listed is read again, one GET each (a tenant has a few
// agreements). Each file's bytes are stored next to the YAML through the
// images mechanism (branding.go: imageFile, addImages), the item's
// fileData holding the file's path, SHA-256, media type and size. What is
// not a whole PDF, larger than the snapshot keeps, or two files that
// would share a name fails the kind: nothing odd is written and the
// previous snapshot's files are carried forward.
//
// The one exception: a file Graph answers with "fileData": null (or
// without fileData), as the documented examples of agreement-list-files
// and agreementfile-get do, is kept with its other properties and
// fileData {notReturned: true} (layout.NotReturned), no PDF, and a
// warning naming the agreement and file: a recreate will need the PDF.
// Whether Graph returns the bytes on a read is not documented
// (docs/coverage.md gap 4).

// readFileItems reads the documents of objs (k.FileItems) and puts in
// each object what its file holds of them.
// Each file Graph returned without its bytes gets a warning.
func (r *reader) readFileItems(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) ([]imageFile, []Warning, error) {
	fi := k.FileItems
	if fi == nil {
		return nil, nil, nil
	}
	base, err := r.kindPath(ctx, k, requests)
	if err != nil {
		return nil, nil, err
	}
	var warns []Warning
	var out []imageFile
	for _, o := range objs {
		key, _ := o[k.KeyProp()].(string)
		if key == "" {
			return nil, nil, &KindError{Kind: k.Name, What: fi.List, Err: errors.New("an object listed has no id")}
		}
		what := fi.List + " of " + layout.Safe(key)
		requests.Add(1)
		body, err := r.c.Get(ctx, base+"/"+url.PathEscape(key)+"?$expand="+fi.List)
		if err != nil {
			return nil, nil, kindError(k, what, err, r.named(k.ReadPermissions))
		}
		full, err := decodeObject(body)
		if err != nil {
			return nil, nil, kindError(k, what, err, nil)
		}
		items, ok := full[fi.List].([]any)
		if !ok {
			return nil, nil, &KindError{Kind: k.Name, What: what, Err: fmt.Errorf("Graph's answer has no %s list", fi.List)}
		}
		names := map[string]string{}
		kept := make([]any, 0, len(items))
		for _, it := range items {
			m, _ := it.(map[string]any)
			ik, _ := m[fi.Key].(string)
			if m == nil || ik == "" {
				return nil, nil, &KindError{Kind: k.Name, What: what, Err: fmt.Errorf("an item has no %s", fi.Key)}
			}
			if fd, ok := m[fi.Data]; !ok || fd == nil { // "fileData": null, as documented
				m[fi.Data] = layout.NotReturnedValue()
				kept = append(kept, m)
				warns = append(warns, Warning{Path: k.Root(), Kind: k.Name, Property: fi.List + "[" + layout.Safe(ik) + "]." + fi.Data,
					Message: fmt.Sprintf("agreement %s (%s): Graph returned the %s file %s without its bytes (fileData null): its properties are kept, no PDF; "+
						"updating the agreement is unaffected, but recreating it (or adding this language) needs the PDF: keep a copy, or export again when Graph returns it",
						layout.Safe(key), layout.Safe(fmt.Sprint(o[k.NameProp])), layout.Safe(ik), layout.Safe(fmt.Sprint(m["fileName"])))})
				continue
			}
			data, err := documentBytes(m[fi.Data], fi.Max)
			if err == nil {
				err = checkPDF(data)
			}
			var im layout.Image
			if err == nil {
				im, err = k.NewItemImage(key, ik, data)
			}
			if err == nil && names[im.File] != "" {
				err = fmt.Errorf("%s %q and %q name the same file %s: not written", fi.Key, layout.Safe(names[im.File]), layout.Safe(ik), layout.Safe(im.File))
			}
			if err != nil {
				return nil, nil, &KindError{Kind: k.Name, What: what + " (" + fi.Key + " " + layout.Safe(ik) + ")", Err: err}
			}
			names[im.File] = ik
			m[fi.Data] = im.Value()
			kept = append(kept, m)
			out = append(out, imageFile{path: k.ImagePath(im.File), data: data})
		}
		o[fi.List] = kept
	}
	return out, warns, nil
}

// documentBytes decodes {data: base64} (Edm.Binary), refusing more than max
// bytes before decoding them.
func documentBytes(v any, max int) ([]byte, error) {
	m, _ := v.(map[string]any)
	s, _ := m["data"].(string)
	if s == "" {
		return nil, errors.New("Graph returned no file data: not written")
	}
	if base64.StdEncoding.DecodedLen(len(s)) > max+2 {
		return nil, fmt.Errorf("Graph answered a file of about %d bytes, more than the %d a snapshot keeps: not written", base64.StdEncoding.DecodedLen(len(s)), max)
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("the file data is not base64: not written")
	}
	if len(data) > max {
		return nil, fmt.Errorf("Graph answered %d bytes, more than the %d a snapshot keeps: not written", len(data), max)
	}
	return data, nil
}

// checkPDF refuses bytes that are not a whole PDF: the header "%PDF-" and
// the end-of-file marker "%%EOF" near the end (ISO 32000-1, 7.5.2 and
// 7.5.5), so an answer cut short is not written.
func checkPDF(data []byte) error {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return errors.New("the file is not a PDF (no %PDF- header): not written")
	}
	tail := data[max(0, len(data)-1024):]
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return errors.New("the PDF has no %%EOF marker at its end (an answer cut short?): not written")
	}
	return nil
}
