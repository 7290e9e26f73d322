package importer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of terms of use agreements (layout/catalog_termsofuse.go), a
// delegated-only kind (rollout.go: with an app-only token each is listed
// as needing a delegated sign-in):
//
//   - a deleted agreement is created again with its files
//     (termsofusecontainer-post-agreements: displayName,
//     isViewingBeforeAcceptanceRequired and files are required), each
//     file's fileData.data the base64 of the snapshot's bytes: the plan
//     names each file with its SHA-256 (Request.Documents) and apply reads
//     it at the plan's commit and checks the hash before sending, as it
//     does branding images. Graph gives it a new id; the Conditional
//     Access policies that require it (grantControls.termsOfUse, a Ref of
//     the catalog) are mapped to it as any recreated reference is;
//   - a live agreement's own properties are PATCHed (agreement-update);
//     files are never in the PATCH (Graph documents no update of files
//     through it: layout ReadOnly);
//   - a language the live agreement lacks is added by POST
//     /agreements/{id}/files (agreement-post-files, "Create a new
//     localized agreement file");
//   - a file whose bytes or properties differ, and a file the tenant has
//     that the snapshot lacks, are not written and the plan says why:
//     Graph documents no PATCH or DELETE of an agreement's file
//     (resources/agreementfilelocalization lists none);
//   - a file whose bytes an earlier export read and the snapshot's did
//     not (Graph answered null; the PDF kept: layout.CarriedValue) is
//     sent as any file, and the plan says where its bytes come from
//     (carriedBytes);
//   - a file the snapshot holds without its bytes (Graph answered
//     "fileData": null at export: layout.NotReturned) cannot be sent:
//     recreating the agreement, or adding that language, is refused in
//     the plan with the reason (agreementCannotCreate, agreementFiles);
//     updating the agreement's own properties is unaffected, and such a
//     file is not compared with the tenant's.

const termsOfUseKind = "terms-of-use"

func init() {
	createOnly[termsOfUseKind] = []string{"files"}
}

// agreementCreate puts the desired files, as the snapshot names them
// (the schema's readOnly fileData included), in the create's body b; apply
// sends each file's bytes (Documents). It returns a warning for each file
// whose PDF an earlier export read and the snapshot's export did not
// (layout.CarriedValue).
func agreementCreate(k *layout.Kind, want, b map[string]any) []string {
	b["files"] = layout.Copy(want["files"])
	var warns []string
	for _, prop := range layout.ItemsCarried(k, want) {
		warns = append(warns, prop+": "+carriedBytes)
	}
	return warns
}

// carriedBytes is what a plan says of a file it sends whose bytes an
// earlier export read (layout.CarriedValue).
const carriedBytes = "the PDF sent is the one an earlier export read: Graph returned the file without its bytes (fileData null) at the snapshot's export, " +
	"so it did not confirm that PDF was still the tenant's document then (git log of the file shows the snapshot that read it)"

// noBytes is why a file the snapshot holds without its bytes cannot be sent.
const noBytes = "Graph returned it without its PDF at export (fileData null), and Graph requires the file's bytes to create it: " +
	"recreate it in the Entra admin center (Terms of use) with the PDF, or export again from a tenant that returns the PDF and restore from that snapshot"

// agreementCannotCreate is why agreement data cannot be created again: a
// file the snapshot holds without its bytes ("" when none).
func agreementCannotCreate(k *layout.Kind, data map[string]any) string {
	if k.Name != termsOfUseKind {
		return ""
	}
	if props := layout.ItemsNotReturned(k, data); len(props) > 0 {
		return strings.Join(props, ", ") + ": " + noBytes
	}
	fi := k.FileItems
	items := asSlice(data[fi.List])
	if len(items) == 0 {
		// Graph requires the file (fileName, language, isDefault and the
		// PDF's data) to create an agreement
		// (termsofusecontainer-post-agreements).
		return fi.List + ": the snapshot holds no file for it, and Graph requires the agreement's PDF to create it: " + noFileFix
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		if why := unsendable(k, m); why != "" {
			return fmt.Sprintf("%s[%s].%s: %s, and Graph requires the file's bytes to create the agreement: %s",
				fi.List, layout.Safe(str(m[fi.Key])), fi.Data, why, noFileFix)
		}
	}
	return ""
}

// unsendable says why the file item m (k.FileItems) names no document
// apply can send ("" when it names one): it would fail at apply
// (inlineDocuments) instead of in the plan.
func unsendable(k *layout.Kind, m map[string]any) string {
	_, ok, err := k.ItemImageOf(m)
	switch {
	case err != nil:
		return "the snapshot names no valid PDF for it (" + layout.Safe(err.Error()) + ")"
	case !ok:
		return "the snapshot names no PDF for it"
	}
	return ""
}

// noFileFix is what the user can do about an agreement whose file the
// snapshot lacks.
const noFileFix = "recreate it in the Entra admin center (Terms of use) with the PDF, or restore it from a snapshot that holds its PDF (git log of its file)"

// fileItemsByKey indexes the items of list (k.FileItems) by their key,
// lower-cased (a language tag is case-insensitive: RFC 5646, 2.1.1).
func fileItemsByKey(fi *layout.FileItems, list any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, it := range asSlice(list) {
		if m, ok := it.(map[string]any); ok {
			out[strings.ToLower(str(m[fi.Key]))] = m
		}
	}
	return out
}

// agreementFiles plans the files of a live agreement: a language it lacks
// is added; a changed or extra file is not written, and the plan says why.
func (pl *planner) agreementFiles(s *objState) {
	k := s.k
	fi := k.FileItems
	if fi == nil || s.mode != modeLive {
		return
	}
	want, have := fileItemsByKey(fi, s.d.Data[fi.List]), fileItemsByKey(fi, s.live.Data[fi.List])
	langs := make([]string, 0, len(want))
	for l := range want {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	var deps []string
	if s.main != "" {
		deps = append(deps, s.main)
	}
	for _, l := range langs {
		w, h := want[l], have[l]
		label := fmt.Sprintf("%s[%s]", fi.List, layout.Safe(str(w[fi.Key])))
		if h == nil && k.ItemNotReturned(w) {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: %s is not in the tenant and cannot be added: %s", layout.Safe(s.d.Path), label, noBytes))
			continue
		}
		if why := unsendable(k, w); h == nil && why != "" {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: %s is not in the tenant and cannot be added: %s, and Graph requires the file's bytes to add it: add it in the Entra admin center (Terms of use) with the PDF",
				layout.Safe(s.d.Path), label, why))
			continue
		}
		if h == nil {
			item := layout.Copy(w).(map[string]any)
			pl.add(s, Action{Op: OpAddLink, Relationship: fi.List,
				Request:   Request{Method: http.MethodPost, Path: "/" + k.APIVersion + "/agreements/" + url.PathEscape(s.key) + "/" + fi.List, Body: body(item), Documents: true},
				Changes:   []Change{{Path: label, Action: diff.Added, After: item}},
				DependsOn: deps,
				Warnings:  addWarnings(k, w)})
			continue
		}
		if k.ItemNotReturned(w) || k.ItemNotReturned(h) { // bytes unknown on one side: compare the rest
			w, h = withoutData(fi, w), withoutData(fi, h)
		}
		w, h = withoutMarker(k, w), withoutMarker(k, h)
		if !reflect.DeepEqual(normal(w), normal(h)) {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: %s differs from the snapshot and is not written: Graph documents no update or removal of an agreement's file (resources/agreementfilelocalization); "+
				"replace the document in the Entra admin center (Terms of use), or delete the agreement and restore it, which creates it again with the snapshot's files and a new id (users must accept it again)",
				layout.Safe(s.d.Path), label))
		}
	}
	extra := []string{}
	for l, h := range have {
		if want[l] == nil {
			extra = append(extra, layout.Safe(str(h[fi.Key])))
		}
	}
	sort.Strings(extra)
	for _, l := range extra {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: the tenant's %s[%s] was added since the snapshot and is kept: Graph documents no removal of an agreement's file; remove it in the Entra admin center (Terms of use) if it should go",
			layout.Safe(s.d.Path), fi.List, l))
	}
}

// addWarnings are the warnings of adding file w to a live agreement.
func addWarnings(k *layout.Kind, w map[string]any) []string {
	out := []string{"the file is added with POST /agreements/{id}/files (agreement-post-files); users who accepted the agreement are not asked again for it"}
	if k.ItemCarried(w) {
		out = append(out, carriedBytes)
	}
	return out
}

// withoutMarker is item m without the notReturned marker of a document
// kept from an earlier read (layout.CarriedValue): its bytes are compared
// as any file's.
func withoutMarker(k *layout.Kind, m map[string]any) map[string]any {
	if !k.ItemCarried(m) {
		return m
	}
	c := layout.Copy(m).(map[string]any)
	delete(c[k.FileItems.Data].(map[string]any), layout.NotReturned)
	return c
}

// withoutData is item m without its document (fi.Data).
func withoutData(fi *layout.FileItems, m map[string]any) map[string]any {
	c := layout.Copy(m).(map[string]any)
	delete(c, fi.Data)
	return c
}

// inlineDocuments fills in the documents a request names (Request.Documents):
// each item's fileData ({file, sha256, ...}, as the snapshot names it)
// becomes {data: base64 of the file's bytes}, read at the plan's commit
// and checked against the SHA-256 the plan was reviewed with.
func (r *runner) inlineDocuments(ctx context.Context, a *Action, payload json.RawMessage) (json.RawMessage, error) {
	k, ok := layout.Lookup(a.Kind)
	if !ok || k.FileItems == nil {
		return nil, fmt.Errorf("the request names documents, but %s keeps none: not sent", layout.Safe(a.Kind))
	}
	fi := k.FileItems
	var b map[string]any
	if err := json.Unmarshal(payload, &b); err != nil {
		return nil, fmt.Errorf("the request body cannot be read: %w", err)
	}
	items := []any{b}
	if list, ok := b[fi.List].([]any); ok {
		items = list
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		im, ok, err := k.ItemImageOf(m)
		if err != nil || !ok {
			return nil, fmt.Errorf("%s %s names no valid document (%v): not sent; plan again", fi.List, layout.Safe(str(m[fi.Key])), err)
		}
		data, err := r.documentBody(ctx, k.ImagePath(im.File), im.SHA256, fi.Max)
		if err != nil {
			return nil, err
		}
		m[fi.Data] = map[string]any{"data": base64.StdEncoding.EncodeToString(data)}
	}
	out, err := json.Marshal(b)
	return out, err
}

// unreadAgreements are the warnings of a Conditional Access policy being
// created (data, before its references are mapped) about the agreements
// it requires when the plan did not read agreements: with an app-only
// token (delegated-only kind) or when they were not selected. The ids are
// sent as they are; whether each still exists is not known.
func (pl *planner) unreadAgreements(k *layout.Kind, data map[string]any) []string {
	if k.Name != "conditional-access-policies" {
		return nil
	}
	if _, read := pl.in.Live[termsOfUseKind]; read {
		return nil
	}
	var ids []string
	for _, v := range asSlice(dig(data, "grantControls", "termsOfUse")) {
		if s := str(v); s != "" && pl.creating[strings.ToLower(s)] == nil {
			ids = append(ids, layout.Safe(s))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	why := "agreements were not selected"
	if r := pl.in.DelegatedOnly[termsOfUseKind]; r != "" {
		why = "Graph serves agreements to delegated callers only and the token is app-only"
	}
	return []string{fmt.Sprintf("grantControls.termsOfUse names terms of use agreement %s, which this plan did not read (%s): if it was deleted, Graph refuses this write; "+
		"restore it first, signed in (--kinds terms-of-use --auth device-code), or select terms-of-use with the policy", strings.Join(ids, ", "), why)}
}
