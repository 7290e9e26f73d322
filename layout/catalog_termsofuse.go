package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// termsOfUseKinds are issue 13's terms of use agreements, with their files
// (the PDF documents users accept) stored next to the YAML as the bytes
// Graph returns. Kept apart from catalog.go so other additions do not
// collide.
//
// Graph serves /identityGovernance/termsOfUse/agreements to delegated
// callers only: every page (termsofusecontainer-list-agreements,
// agreement-get, termsofusecontainer-post-agreements, agreement-update,
// agreement-delete, agreement-list-files, agreement-post-files) says
// "Application: Not supported", and permissions.json lists DelegatedWork
// only. The kind is DelegatedOnly, as feature rollout policies are
// (catalog_rollout.go): an app-only export skips it and keeps its files.
//
// Files are a navigation property: the reader GETs each agreement with
// $expand=files (agreement-list-files), decodes each file's
// fileData.data (base64, Edm.Binary) and stores the bytes as
// images/{agreement id}/{language}.pdf (FileItems); the YAML's
// files[].fileData holds the file's path, SHA-256, media type and size,
// or {notReturned: true} (NotReturned) when Graph answered the file with
// "fileData": null, as its documented reads show: no PDF then.
// A file's id and createdDateTime are Graph's, new with every create:
// not written. Restore creates an agreement with its files (base64 of the
// snapshot's bytes, read and hash-checked at apply), PATCHes the
// agreement's own properties, adds a language the tenant lacks by POST
// /agreements/{id}/files, and says why a changed or removed file is not
// written (Graph documents no PATCH or DELETE of a file):
// importer/termsofuse.go.
var termsOfUseKinds = []*Kind{
	{
		Name: "terms-of-use", Title: "terms of use agreements (with their files)", Folder: "governance/terms-of-use",
		ODataType: "#microsoft.graph.agreement", APIVersion: "v1.0", ListPath: "/identityGovernance/termsOfUse/agreements",
		NameProp:   "displayName",
		NameFilter: "displayName", // resources/agreement: displayName "Supports $filter (eq)"
		Sets:       map[string]string{"files": "language"},
		Volatile:   []string{"files[].id", "files[].createdDateTime"},
		ReadOnly:   []string{"id", "files"}, // files: created with the agreement or added one by one, never PATCHed (importer/termsofuse.go)
		FileItems:  &FileItems{List: "files", Key: "language", Data: "fileData", ContentType: "application/pdf", Ext: ".pdf", Max: MaxDocumentSize},
		DelegatedOnly: "Graph serves terms of use agreements to delegated callers only (\"Application: Not supported\"): " +
			"an export with an app-only token skips them and keeps their files; export or restore them signed in as an administrator " +
			"(--auth device-code, browser or azure-cli)",
		ReadPermissions: []string{"Agreement.Read.All"}, WritePermissions: []string{"Agreement.ReadWrite.All"},
	},
}

func init() {
	kinds = append(kinds, termsOfUseKinds...)
	for _, k := range termsOfUseKinds {
		byName[k.Name] = k
	}
}

// MaxDocumentSize is the largest agreement file a snapshot keeps. Graph
// documents no limit; this is entrasnap's bound (a terms of use PDF is a
// few pages), so a huge or runaway answer is refused rather than written.
const MaxDocumentSize = 10 << 20

// FileItems describes a list property whose items each carry a document
// Graph returns inline as base64 (Kind.FileItems).
type FileItems struct {
	List        string // the list property: "files"
	Key         string // the item property naming its file: "language"
	Data        string // the item property holding {data: base64}; in the file, the Image
	ContentType string // the one media type kept: "application/pdf"
	Ext         string // its file extension: ".pdf"
	Max         int    // the largest file kept
}

// HasImages reports whether k's objects name files next to their YAML
// (Images or FileItems).
func (k *Kind) HasImages() bool { return len(k.Images) > 0 || k.FileItems != nil }

// ItemImageFile is the file, relative to k's folder, holding the document
// of the item whose Key is itemKey, of the object with key. Both come from
// Graph and are untrusted: each is escaped to one path segment (the item
// key lower-cased and upper-case letters escaped, so two keys differing in
// case only cannot meet on a case-insensitive file system as different
// files).
func (k *Kind) ItemImageFile(key, itemKey string) (string, error) {
	fi := k.FileItems
	ek := escapeKey(key)
	if ek == "" || len(ek) > 100 || ek == "." || ek == ".." {
		return "", fmt.Errorf("%s: key %q cannot name a folder", fi.List, Safe(key))
	}
	ik := escapeKeyAs(strings.ToLower(itemKey), true)
	if ik == "" || len(ik) > 100 {
		return "", fmt.Errorf("%s of %q: %s %q cannot name a file", fi.List, Safe(key), fi.Key, Safe(itemKey))
	}
	return "images/" + ek + "/" + ik + fi.Ext, nil
}

// NewItemImage describes data, the document of the item with itemKey of
// the object with key, as its file holds it.
func (k *Kind) NewItemImage(key, itemKey string, data []byte) (Image, error) {
	f, err := k.ItemImageFile(key, itemKey)
	if err != nil {
		return Image{}, err
	}
	if len(data) > k.FileItems.Max {
		return Image{}, fmt.Errorf("%s: %d bytes, more than the %d a snapshot keeps", f, len(data), k.FileItems.Max)
	}
	sum := sha256.Sum256(data)
	return Image{File: f, SHA256: hex.EncodeToString(sum[:]), ContentType: k.FileItems.ContentType, Size: len(data)}, nil
}

// NotReturned is the value of an item's fileData (FileItems.Data) in the
// file when Graph's read answered the item without its bytes
// ("fileData": null, as the documented examples of agreement-list-files
// and agreementfile-get show): {notReturned: true}, no file next to the
// YAML. The item's other properties are kept; a restore cannot recreate
// the item from it (importer/termsofuse.go).
const NotReturned = "notReturned"

// NotReturnedValue is the fileData of an item Graph returned without its
// bytes (NotReturned).
func NotReturnedValue() map[string]any { return map[string]any{NotReturned: true} }

// ItemNotReturned reports whether list item m (k.FileItems) holds
// NotReturnedValue: Graph did not return its bytes.
func (k *Kind) ItemNotReturned(m map[string]any) bool {
	if k.FileItems == nil || m == nil {
		return false
	}
	v, _ := m[k.FileItems.Data].(map[string]any)
	return len(v) == 1 && v[NotReturned] == true
}

// CarriedValue is the fileData of an item Graph returned without its bytes
// ("fileData": null) whose document an earlier snapshot read with the same
// properties (live/termsofuse.go, previousDocument): the earlier file's
// Image with NotReturned true beside it. The file is carried forward;
// the marker says this export did not read those bytes from Graph. A
// restore sends them (ItemImageOf reads the Image) and says where they
// come from.
func CarriedValue(im Image) map[string]any {
	v := im.Value()
	v[NotReturned] = true
	return v
}

// ItemCarried reports whether list item m (k.FileItems) holds a
// CarriedValue: a document kept from an earlier read.
func (k *Kind) ItemCarried(m map[string]any) bool {
	if k.FileItems == nil || m == nil {
		return false
	}
	v, _ := m[k.FileItems.Data].(map[string]any)
	return len(v) > 1 && v[NotReturned] == true
}

// ItemsCarried lists where obj (an object of kind k as its file holds it)
// names an item whose document is kept from an earlier read
// (ItemCarried), as ItemsNotReturned does.
func ItemsCarried(k *Kind, obj map[string]any) []string {
	return itemsWhere(k, obj, k.ItemCarried)
}

// SameItem reports whether old (an item of an earlier file) and now (the
// same list's item as read now) agree on every property but the document
// (FileItems.Data), k's volatile ones ("files[].id") and OData
// annotations: the same file, as far as its properties tell.
func SameItem(k *Kind, old, now map[string]any) bool {
	fi := k.FileItems
	skip := func(p string) bool {
		return p == fi.Data || strings.HasPrefix(p, "@odata.") || slices.Contains(k.Volatile, fi.List+"[]."+p)
	}
	for p, v := range now {
		if !skip(p) && fmt.Sprint(v) != fmt.Sprint(old[p]) {
			return false
		}
	}
	for p := range old {
		if _, ok := now[p]; !skip(p) && !ok {
			return false
		}
	}
	return true
}

// PreviousItem is the item of prev (an object of kind k as an earlier file
// holds it) with item now's key (case-insensitively, as a language tag
// is) whose properties are now's (SameItem) and that names a document:
// the document an export keeps for now when Graph answers it without its
// bytes (live/termsofuse.go). ok is false when there is none.
func PreviousItem(k *Kind, prev, now map[string]any) (Image, bool) {
	fi := k.FileItems
	if fi == nil || prev == nil {
		return Image{}, false
	}
	items, _ := prev[fi.List].([]any)
	for _, it := range items {
		old, _ := it.(map[string]any)
		if old == nil || !strings.EqualFold(fmt.Sprint(old[fi.Key]), fmt.Sprint(now[fi.Key])) {
			continue
		}
		im, ok, err := k.ItemImageOf(old)
		return im, ok && err == nil && SameItem(k, old, now)
	}
	return Image{}, false
}

// SameDocuments gives each item of obj (as read now) that Graph answered
// without its bytes (ItemNotReturned) the document value of its
// PreviousItem in prev, exactly as prev holds it (read then, or kept then:
// CarriedValue): Graph not returning the bytes is no change of the
// tenant's files (drift compares a live read with its baseline so; the
// next export keeps the same PDF, live/termsofuse.go). It returns how
// many.
func SameDocuments(k *Kind, obj, prev map[string]any) int {
	fi := k.FileItems
	if fi == nil {
		return 0
	}
	n := 0
	items, _ := obj[fi.List].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if !k.ItemNotReturned(m) {
			continue
		}
		if _, ok := PreviousItem(k, prev, m); ok {
			m[fi.Data] = Copy(previousDocument(k, prev, m))
			n++
		}
	}
	return n
}

// previousDocument is the document value of now's item in prev (by key).
func previousDocument(k *Kind, prev, now map[string]any) any {
	fi := k.FileItems
	items, _ := prev[fi.List].([]any)
	for _, it := range items {
		if old, _ := it.(map[string]any); old != nil && strings.EqualFold(fmt.Sprint(old[fi.Key]), fmt.Sprint(now[fi.Key])) {
			return old[fi.Data]
		}
	}
	return nil
}

// ItemImageOf reads the Image of list item m (k.FileItems), if set: ok is
// false, with no error, for an item whose bytes Graph did not return
// (ItemNotReturned).
func (k *Kind) ItemImageOf(m map[string]any) (im Image, ok bool, err error) {
	fi := k.FileItems
	if k.ItemNotReturned(m) {
		return Image{}, false, nil
	}
	return imageValue(m[fi.Data], fi.Data, func(ct string) (string, bool) {
		if strings.EqualFold(strings.TrimSpace(ct), fi.ContentType) {
			return fi.Ext, true
		}
		return "", false
	}, fi.Max)
}

// NamedImage is one file an object names: where it is named (a property:
// "bannerLogo", "files[en-us].fileData") and the Image.
type NamedImage struct {
	Prop string
	Image
}

// ImageError is what is wrong with the value of Prop as an Image.
type ImageError struct {
	Prop string
	Err  error
}

func (e *ImageError) Error() string { return e.Err.Error() }

// ObjectImages lists the files obj (an object of kind k as its file holds
// it) names, Images then FileItems, with an error for each value that is
// not a valid Image.
func ObjectImages(k *Kind, obj map[string]any) (out []NamedImage, errs []*ImageError) {
	for _, prop := range k.Images {
		im, ok, err := ImageOf(obj, prop)
		if err != nil {
			errs = append(errs, &ImageError{prop, err})
			continue
		}
		if ok {
			out = append(out, NamedImage{prop, im})
		}
	}
	if fi := k.FileItems; fi != nil {
		items, _ := obj[fi.List].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			if m == nil {
				continue
			}
			prop := fmt.Sprintf("%s[%s].%s", fi.List, Safe(fmt.Sprint(m[fi.Key])), fi.Data)
			im, ok, err := k.ItemImageOf(m)
			if err != nil {
				errs = append(errs, &ImageError{prop, fmt.Errorf("%s[%s].%w", fi.List, Safe(fmt.Sprint(m[fi.Key])), err)})
				continue
			}
			if ok {
				out = append(out, NamedImage{prop, im})
			}
		}
	}
	return out, errs
}

// ItemsNotReturned lists where obj (an object of kind k as its file holds
// it) names an item whose bytes Graph did not return (ItemNotReturned):
// "files[en-US].fileData", with the item key escaped (Safe).
func ItemsNotReturned(k *Kind, obj map[string]any) []string {
	return itemsWhere(k, obj, k.ItemNotReturned)
}

// itemsWhere lists "files[en-US].fileData" for each item of obj's
// k.FileItems list that is, the item key escaped (Safe).
func itemsWhere(k *Kind, obj map[string]any, is func(map[string]any) bool) []string {
	fi := k.FileItems
	if fi == nil {
		return nil
	}
	var out []string
	items, _ := obj[fi.List].([]any)
	for _, it := range items {
		if m, _ := it.(map[string]any); is(m) {
			out = append(out, fmt.Sprintf("%s[%s].%s", fi.List, Safe(fmt.Sprint(m[fi.Key])), fi.Data))
		}
	}
	return out
}
