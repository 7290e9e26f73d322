package live

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
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
//
// A tenant that answered the bytes once and null later (previousDocument):
// when the previous snapshot holds the same agreement's file in that
// language with the same properties and its PDF, that PDF is carried
// forward (its bytes checked against the SHA-256 the previous file names)
// and fileData holds its Image with notReturned: true beside it
// (layout.CarriedValue), so the new snapshot does not lose the bytes and
// says they were not read this time. A file whose properties changed is
// not matched (a new document may have replaced it): {notReturned: true}.

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
				im, data, from, err := r.previousDocument(k, key, m)
				if err != nil { // the previous snapshot cannot give it: this read is still whole
					warns = append(warns, Warning{Path: k.Root(), Kind: k.Name, Property: fi.List + "[" + layout.Safe(ik) + "]." + fi.Data,
						Message: fmt.Sprintf("agreement %s: Graph returned the %s file without its bytes, and %v", layout.Safe(key), layout.Safe(ik), err)})
				}
				if data != nil && names[im.File] == "" {
					names[im.File] = ik
					m[fi.Data] = layout.CarriedValue(im)
					out = append(out, imageFile{path: k.ImagePath(im.File), data: data})
					warns = append(warns, Warning{Path: k.Root(), Kind: k.Name, Property: fi.List + "[" + layout.Safe(ik) + "]." + fi.Data,
						Message: fmt.Sprintf("agreement %s (%s): Graph returned the %s file %s without its bytes (fileData null); the PDF an earlier export read (%s, SHA-256 %s, in the previous snapshot's %s) is kept with notReturned: true, "+
							"as its other properties are unchanged: Graph did not confirm it is still the tenant's document",
							layout.Safe(key), layout.Safe(fmt.Sprint(o[k.NameProp])), layout.Safe(ik), layout.Safe(fmt.Sprint(m["fileName"])), layout.Safe(im.File), im.SHA256[:12], layout.Safe(from))})
					continue
				}
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

// previousDocument finds, in the previous snapshot (Later.Previous), the
// document of item m (its bytes not returned now) of the object with key:
// the same item (its key case-insensitively) with the same properties
// (all but the document and the kind's volatile ones) naming a PDF whose
// file holds the bytes that file names. It returns the document's Image
// at the path this export writes, its bytes, and the previous object
// file's path; nil data when there is none to keep (no previous
// snapshot, no such item, changed properties). A previous file that
// names bytes it does not hold is an error (the snapshot is damaged): the
// caller keeps {notReturned: true} and warns.
func (r *reader) previousDocument(k *layout.Kind, key string, m map[string]any) (layout.Image, []byte, string, error) {
	fi := k.FileItems
	if r.previous == nil {
		return layout.Image{}, nil, "", nil
	}
	p, prev, err := r.previousObject(k, key)
	if err != nil || prev == nil {
		return layout.Image{}, nil, "", err
	}
	ik, _ := m[fi.Key].(string)
	im, ok := layout.PreviousItem(k, prev, m)
	if !ok {
		return layout.Image{}, nil, "", nil
	}
	data, err := r.previous(k.ImagePath(im.File))
	if err != nil {
		return layout.Image{}, nil, "", fmt.Errorf("reading the previous snapshot's %s to keep it: %w", layout.Safe(k.ImagePath(im.File)), err)
	}
	sum := sha256.Sum256(data)
	if data == nil || hex.EncodeToString(sum[:]) != im.SHA256 || checkPDF(data) != nil {
		return layout.Image{}, nil, "", fmt.Errorf("the previous snapshot's %s does not hold the PDF %s names (SHA-256 %s): not kept (fileData notReturned); run entrasnap check on the repository",
			layout.Safe(k.ImagePath(im.File)), layout.Safe(p), im.SHA256)
	}
	now, err := k.NewItemImage(key, ik, data)
	return now, data, p, err
}

// previousObject reads the object of kind k with key from the previous
// snapshot: at the path its current name gives, else at the path whose key
// it is (renamed since). Nil when the previous snapshot lacks it.
func (r *reader) previousObject(k *layout.Kind, key string) (string, map[string]any, error) {
	var paths []string
	if r.previousPaths != nil {
		for _, p := range r.previousPaths(k) {
			if pk, pkey, err := layout.Locate(p); err == nil && pk == k && strings.EqualFold(pkey, key) {
				paths = append(paths, p)
			}
		}
	}
	for _, p := range paths {
		data, err := r.previous(p)
		if err != nil {
			return "", nil, fmt.Errorf("reading the previous snapshot's %s: %w", layout.Safe(p), err)
		}
		if data == nil {
			continue
		}
		obj, err := layout.Decode(data)
		if err != nil {
			return "", nil, fmt.Errorf("the previous snapshot's %s: %w", layout.Safe(p), err)
		}
		return p, obj, nil
	}
	return "", nil, nil
}
