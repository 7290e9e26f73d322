package live

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Kinds whose path names the organization (company branding,
// layout/catalog_tenant2.go) and kinds with images (Kind.Images: Graph
// streams stored as files next to the YAML).

// kindPath is k's ListPath under its version with the organization's id
// filled in: the id preflight read (live.go), else the token's tenant
// (tid), which is the organization's id, or, for a token that does not
// say, GET /organization.
func (r *reader) kindPath(ctx context.Context, k *layout.Kind, requests *atomic.Int64) (string, error) {
	p := "/" + k.APIVersion + k.ListPath
	if !strings.Contains(p, layout.OrganizationPlaceholder) {
		return p, nil
	}
	id, err := r.organizationID(ctx, requests)
	if err != nil {
		return "", kindError(k, "the organization's id", err, r.named(k.ReadPermissions))
	}
	return strings.ReplaceAll(p, layout.OrganizationPlaceholder, url.PathEscape(id)), nil
}

func (r *reader) organizationID(ctx context.Context, requests *atomic.Int64) (string, error) {
	r.orgMu.Lock()
	defer r.orgMu.Unlock()
	if r.orgID != "" {
		return r.orgID, nil
	}
	id, err := r.c.TokenTenantID(ctx)
	if err != nil {
		return "", err
	}
	if id == "" && r.orgErr != nil {
		return "", r.orgErr // GET /organization was refused (preflight): it would be again
	}
	if id == "" {
		requests.Add(1)
		orgs, err := r.c.ListObjects(ctx, "/v1.0/organization?$select=id") // every page: Graph may send an empty one first
		if err != nil {
			return "", err
		}
		if len(orgs) != 1 {
			return "", fmt.Errorf("GET /organization answered %d organizations, want 1", len(orgs))
		}
		id, _ = orgs[0]["id"].(string)
	}
	if !layout.IsGUID(id) {
		return "", fmt.Errorf("the tenant id %q is not a GUID", layout.Safe(id))
	}
	r.orgID = id
	return id, nil
}

// imageFile is an image read with its object: its repository path and bytes.
type imageFile struct {
	path string
	data []byte
}

// readImages reads the images (k.Images) of objs, one GET of each stream,
// and puts in each object what its file holds of them (layout.Image); a
// stream Graph answers 404 or empty for is not set. A stream whose
// {prop}RelativeUrl the object has and is null or empty is not read: Graph
// sets that URL when the stream is uploaded
// (resources/organizationalbrandinglocalization: "A relative URL for the
// bannerLogo property that is combined with a CDN base URL"), so there is
// nothing to read (in a large tenant most localizations have few images;
// each such GET would be answered 404). An object without the property
// (not in Graph's answer) is read as before; a stream whose URL is set but
// whose read fails still fails the kind. An answer that is not
// an image entrasnap keeps (media type, bytes that are not of that type,
// larger than layout.MaxImageSize) fails the kind: no odd or huge file is
// written, and the previous snapshot's files are carried forward.
func (r *reader) readImages(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) ([]imageFile, error) {
	if len(k.Images) == 0 {
		return nil, nil
	}
	base, err := r.kindPath(ctx, k, requests)
	if err != nil {
		return nil, err
	}
	var out []imageFile
	for _, o := range objs {
		key, _ := o[k.KeyProp()].(string)
		for _, prop := range k.Images {
			delete(o, prop) // only what the stream read finds is kept
			if u, ok := o[prop+"RelativeUrl"]; ok && (u == nil || u == "") {
				continue // no stream uploaded: nothing to read
			}
			requests.Add(1)
			accept := "image/*"
			if prop == layout.CustomCSS {
				accept = "text/css"
			}
			resp, err := r.c.Do(ctx, http.MethodGet, base+"/"+url.PathEscape(key)+"/"+prop, nil, graph.WithHeader("Accept", accept))
			if ge := graph.AsError(err); ge != nil && ge.Status == http.StatusNotFound {
				continue
			}
			what := prop + " of " + layout.Safe(key)
			if err != nil {
				return nil, kindError(k, what, err, r.named(k.ReadPermissions))
			}
			if resp == nil || len(resp.Body) == 0 {
				continue
			}
			ct := resp.Header.Get("Content-Type")
			im, err := checkImage(key, prop, ct, resp.Body)
			if err != nil {
				return nil, &KindError{Kind: k.Name, What: what, Err: err}
			}
			o[prop] = im.Value()
			out = append(out, imageFile{path: k.ImagePath(im.File), data: resp.Body})
		}
	}
	return out, nil
}

// checkImage refuses an answer that is not an image a snapshot keeps.
func checkImage(key, prop, ct string, data []byte) (layout.Image, error) {
	if len(data) > layout.MaxImageSize {
		return layout.Image{}, fmt.Errorf("Graph answered %d bytes, more than the %d an image of a snapshot may have: not written", len(data), layout.MaxImageSize)
	}
	im, err := layout.NewImage(key, prop, ct, data)
	if err != nil {
		return layout.Image{}, fmt.Errorf("not written: %w", err)
	}
	if prop == layout.CustomCSS {
		// A style sheet is text: UTF-8 (CSS Syntax Level 3 decodes with
		// UTF-8 by default) without NUL bytes; anything else is not a
		// style sheet Graph stores (it takes .css only,
		// resources/organizationalbrandingproperties).
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return layout.Image{}, errors.New("Graph said text/css but the bytes are not UTF-8 text: not written")
		}
		return im, nil
	}
	want := im.ContentType
	if want == "image/vnd.microsoft.icon" {
		want = "image/x-icon"
	}
	if got := http.DetectContentType(data); got != want {
		return layout.Image{}, fmt.Errorf("Graph said %s but the bytes are %s: not written", layout.Safe(im.ContentType), layout.Safe(got))
	}
	if err := imageComplete(want, data); err != nil {
		return layout.Image{}, fmt.Errorf("the %s Graph answered is not whole (%v; an answer cut short?): not written", layout.Safe(im.ContentType), err)
	}
	return im, nil
}

// imageComplete checks that data, of media type ct (sniffed), is a whole
// file of its format, not one cut short in a well-framed answer: a PNG's
// chunks (each CRC checked) end with IEND exactly at its end, a JPEG ends
// with its EOI marker, a GIF with its trailer, and an icon's images lie
// inside it. A picture's header alone passes the sniffing above.
func imageComplete(ct string, data []byte) error {
	switch ct {
	case "image/png":
		rest := data[8:] // the signature, which sniffing saw
		for {
			if len(rest) < 12 {
				return errors.New("a PNG chunk is cut short")
			}
			n := binary.BigEndian.Uint32(rest)
			if uint64(n) > uint64(len(rest)-12) {
				return errors.New("a PNG chunk is longer than what is left")
			}
			body := rest[4 : 8+n]
			if crc32.ChecksumIEEE(body) != binary.BigEndian.Uint32(rest[8+n:]) {
				return fmt.Errorf("PNG chunk %q fails its CRC", layout.Safe(string(body[:4])))
			}
			rest = rest[12+n:]
			if string(body[:4]) == "IEND" {
				if len(rest) != 0 {
					return errors.New("bytes after the PNG's IEND")
				}
				return nil
			}
		}
	case "image/jpeg":
		if !bytes.HasSuffix(data, []byte{0xff, 0xd9}) {
			return errors.New("the JPEG does not end with its EOI marker")
		}
	case "image/gif":
		if !bytes.HasSuffix(data, []byte{0x3b}) {
			return errors.New("the GIF does not end with its trailer")
		}
	case "image/x-icon":
		if len(data) < 6 {
			return errors.New("the icon's header is cut short")
		}
		count := int(binary.LittleEndian.Uint16(data[4:]))
		if count == 0 || len(data) < 6+16*count {
			return errors.New("the icon's directory is cut short")
		}
		for i := 0; i < count; i++ {
			e := data[6+16*i:]
			size, off := binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
			if uint64(size)+uint64(off) > uint64(len(data)) {
				return fmt.Errorf("the icon's image %d lies past its end", i+1)
			}
		}
	}
	return nil
}

// addImages appends the image files to kr's files (given to sink when
// there is one).
func (kr *kindRead) addImages(imgs []imageFile, sink func(path string, data []byte) error) {
	if kr.err != nil {
		return
	}
	for _, im := range imgs {
		f := prepared{path: im.path, key: kr.kind.Name + " image"}
		if sink != nil {
			if err := sink(im.path, im.data); err != nil {
				kr.files, kr.err = nil, &sinkError{err: err}
				return
			}
			f.sunk = true
		} else {
			f.data = im.data
		}
		kr.files = append(kr.files, f)
	}
}

// objectCount is the number of object files among files (not images).
func objectCount(files []prepared) int {
	n := 0
	for _, f := range files {
		if _, img := layout.IsImageFile(f.path); !img {
			n++
		}
	}
	return n
}
