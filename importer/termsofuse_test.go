package importer

import (
	"bytes"
	"context"
	"encoding/base64"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

const (
	touColl     = "/v1.0/identityGovernance/termsOfUse/agreements"
	touGuests   = "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a01" // graphsim's demo agreements
	touStaff    = "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a02"
	touPolicyCA = "Require multifactor authentication for Azure management" // requires touStaff
)

// agreementFiles is the files of agreement id as Graph returns them
// (GET ?$expand=files), decoded, by language.
func (e *env) agreementFiles(id string) map[string][]byte {
	e.t.Helper()
	out := map[string][]byte{}
	for _, f := range asSlice(e.get(touColl + "/" + id + "?$expand=files")["files"]) {
		m := f.(map[string]any)
		data, err := base64.StdEncoding.DecodeString(str(dig(m, "fileData", "data")))
		if err != nil {
			e.t.Fatal(err)
		}
		out[str(m["language"])] = data
	}
	return out
}

// Terms of use agreements are served to delegated callers only. The
// export stores each agreement's files next to its YAML as exactly the
// bytes Graph returns; an app-only export skips the kind without a
// request and keeps those files. A restore with an app-only token lists
// each agreement as needing a delegated sign-in; signed in, it recreates a
// deleted agreement with its files (new id, same bytes) and maps the
// Conditional Access policy that requires it to the new id, restores a
// changed agreement's properties, and says why a file added since is kept.
func TestTermsOfUseAppOnlyAndDelegated(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(termsOfUseKind)
	base := e.first

	// The export: two YAML files, three PDFs byte-identical to Graph's.
	snap, err := e.repo.ReadAll(ctx, base, k.Folder+"/")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for id, dir := range map[string]string{touGuests: touGuests, touStaff: touStaff} {
		for lang, data := range e.agreementFiles(id) {
			want[k.Folder+"/images/"+dir+"/"+strings.ToLower(lang)+".pdf"] = data
		}
	}
	yamls := 0
	for p := range snap {
		if strings.HasSuffix(p, ".yaml") {
			yamls++
		}
	}
	if yamls != 2 || len(want) != 3 || len(snap) != 5 {
		t.Fatalf("snapshot of %s: %d files (%d YAML), want 2 YAML and the 3 PDFs %v", k.Folder, len(snap), yamls, slices.Collect(maps.Keys(want)))
	}
	for p, data := range want {
		if !bytes.Equal(snap[p], data) {
			t.Errorf("%s: %d bytes in the snapshot, Graph's are %d: not byte-identical", p, len(snap[p]), len(data))
		}
	}
	var policyID string
	for _, p := range e.list("/v1.0/identity/conditionalAccess/policies") {
		if strings.HasSuffix(str(p["displayName"]), touPolicyCA) {
			policyID = str(p["id"])
			if tou := asSlice(dig(p, "grantControls", "termsOfUse")); len(tou) != 1 || tou[0] != touStaff {
				t.Fatalf("the demo policy does not require the staff agreement: %v", p["grantControls"])
			}
		}
	}

	// The incident: the staff agreement deleted (the policy keeps its id),
	// the guest terms renamed with a hostile name and a file added.
	hostile := "Guest \u202eterms\r\n\x1b[31m"
	e.do("DELETE", touColl+"/"+touStaff, nil)
	e.do("PATCH", touColl+"/"+touGuests, map[string]any{"displayName": hostile, "isPerDeviceAcceptanceRequired": true})
	nl := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\nnl\n%%EOF\n"))
	e.do("POST", "/v1.0/agreements/"+touGuests+"/files", map[string]any{"fileName": "nl.pdf", "language": "nl-NL", "isDefault": false, "fileData": map[string]any{"data": nl}})

	evil := "../../users/\u202ex\r\n"
	e.do("POST", "/v1.0/agreements/"+touGuests+"/files", map[string]any{"fileName": "../evil\x1b.pdf", "language": evil, "fileData": map[string]any{"data": nl}})

	// App-only: skipped without a request, files (PDFs too) kept.
	app, _ := e.appOnlyExport(ctx, "termsofuse")
	after, err := e.repo.ReadAll(ctx, "HEAD", k.Folder+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(snap) {
		t.Errorf("app-only export: %d files under %s, want the earlier %d kept", len(after), k.Folder, len(snap))
	}
	for p, data := range snap {
		if !bytes.Equal(after[p], data) {
			t.Errorf("app-only export changed %s", p)
		}
	}
	p := e.planWith(app, base, []string{termsOfUseKind}, Options{})
	n := 0
	for _, m := range p.Managed {
		if m.Kind == termsOfUseKind && m.By == delegatedOnlyBy {
			n++
		}
	}
	if len(p.Actions) != 0 || n != 2 {
		t.Fatalf("app-only plan: %d actions, %d agreements listed, want none and 2:\n%s", len(p.Actions), n, render(p))
	}

	// Signed in: the restore of both agreements and the policy.
	dc := rolloutAdmin(t, e, "Agreement.ReadWrite.All", "Policy.ReadWrite.ConditionalAccess", "Policy.Read.All", "Application.Read.All", "Directory.Read.All")
	p = e.planWith(dc, base, []string{termsOfUseKind, "conditional-access-policies"}, Options{CAState: CAStateAsIs})
	var create, patch, policy *Action
	for i, a := range p.Actions {
		switch {
		case a.Kind == termsOfUseKind && a.Op == OpCreate:
			create = &p.Actions[i]
		case a.Kind == termsOfUseKind && a.Op == OpUpdate:
			patch = &p.Actions[i]
		case a.Kind == "conditional-access-policies" && strings.EqualFold(a.Key, policyID):
			policy = &p.Actions[i]
		}
	}
	if create == nil || patch == nil || policy == nil || len(p.Actions) != 3 {
		t.Fatalf("delegated plan, want a create, a PATCH of the agreement and of the policy:\n%s", render(p))
	}
	if !create.Request.Documents || strings.Contains(string(create.Request.Body), "\"data\"") {
		t.Errorf("the create does not name its files for apply to send: %s", create.Request.Body)
	}
	if !strings.Contains(string(policy.Request.Body), create.Placeholder) || !slices.Contains(policy.DependsOn, create.ID) {
		t.Errorf("the policy is not mapped to the recreated agreement %s: %s %v", create.Placeholder, policy.Request.Body, policy.DependsOn)
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "files[nl-NL]") || !strings.Contains(w, "no removal") {
		t.Errorf("no warning about the file added since:\n%s", w)
	}
	res, err := Apply(ctx, p, e.applyOptsAs(ctx, dc))
	if err != nil || !res.Complete() {
		t.Fatalf("apply: %v %+v %+v %s", err, res.Actions, res.Differences, res.VerifyError)
	}
	newID, ok := res.IDs.Resolve(touStaff)
	if !ok || strings.EqualFold(newID, touStaff) {
		t.Fatalf("the recreated agreement has no new id in the id map: %q", newID)
	}
	for lang, data := range e.agreementFiles(newID) {
		if !bytes.Equal(data, want[k.Folder+"/images/"+touStaff+"/"+strings.ToLower(lang)+".pdf"]) {
			t.Errorf("recreated agreement's %s file: not the snapshot's bytes", lang)
		}
	}
	pol := e.get("/v1.0/identity/conditionalAccess/policies/" + policyID)
	if tou := asSlice(dig(pol, "grantControls", "termsOfUse")); len(tou) != 1 || !strings.EqualFold(str(tou[0]), newID) {
		t.Errorf("the policy requires %v, want the recreated agreement %s", tou, newID)
	}
	g := e.get(touColl + "/" + touGuests)
	if g["displayName"] != "Guest terms of use" || g["isPerDeviceAcceptanceRequired"] != false {
		t.Errorf("guest terms after the restore: %v", g)
	}

	// Signed in, the export reads the files added since: the hostile
	// language names a file inside the agreement's folder, escaped, and
	// the YAML holds the language and file name exactly.
	res2, err := exporter.Run(ctx, exporter.Options{Client: dc, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "signed in"})
	if err != nil || !res2.Complete() {
		t.Fatalf("delegated export: %v %+v", err, res2)
	}
	now, err := e.repo.ReadAll(ctx, "HEAD", k.Folder+"/")
	if err != nil {
		t.Fatal(err)
	}
	evilFile := k.Folder + "/images/" + touGuests + "/~2E.~2F..~2Fusers~2F~E2~80~AEx~0D~0A.pdf"
	if !bytes.Equal(now[evilFile], []byte("%PDF-1.4\nnl\n%%EOF\n")) {
		var names []string
		for p := range now {
			names = append(names, p)
		}
		t.Errorf("the hostile language's file is not at %s: %v", evilFile, names)
	}
	var guest *Object
	for _, o := range e.snapshotObjects("HEAD") {
		if o.Kind.Name == termsOfUseKind && o.Key == touGuests {
			guest = o
		}
	}
	found := false
	for _, f := range asSlice(guest.Data["files"]) {
		m := f.(map[string]any)
		found = found || m["language"] == evil && m["fileName"] == "../evil\x1b.pdf"
	}
	if !found {
		t.Errorf("the hostile file is not written exactly: %v", guest.Data["files"])
	}
}

// A live agreement's files: a language it lacks is added by POST
// /agreements/{id}/files with the snapshot's file named for apply; a file
// that differs, and one the tenant has that the snapshot lacks, are not
// written and the plan says why (Graph documents no update or removal of
// a file). Files are never in the agreement's PATCH.
func TestAgreementFilesPlanned(t *testing.T) {
	im := func(lang, sum string) map[string]any {
		return map[string]any{"language": lang, "fileName": lang + ".pdf", "isDefault": lang == "en-US", "isMajorVersion": false,
			"fileData": map[string]any{"file": "images/" + touGuests + "/" + strings.ToLower(lang) + ".pdf", "sha256": strings.Repeat(sum, 64),
				"contentType": "application/pdf", "size": 10}}
	}
	want := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{im("en-US", "a"), im("de-DE", "b")}})
	live := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{im("en-US", "c"), im("fr-FR", "d")}})
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if len(p.Actions) != 1 || p.Actions[0].Request.Method != "POST" || p.Actions[0].Request.Path != "/v1.0/agreements/"+touGuests+"/files" || !p.Actions[0].Request.Documents {
		t.Fatalf("plan:\n%s", render(p))
	}
	if b := bodyOf(t, p.Actions[0]); b["language"] != "de-DE" || str(dig(b, "fileData", "sha256")) != strings.Repeat("b", 64) {
		t.Errorf("added file: %v", b)
	}
	w := strings.Join(p.Warnings, "\n")
	if !strings.Contains(w, "files[en-US] differs") || !strings.Contains(w, "files[fr-FR] was added since") {
		t.Errorf("warnings:\n%s", w)
	}
}

// A recreated Conditional Access policy that requires an agreement the
// plan did not read (agreements not selected, or an app-only token) is
// sent with the agreement's id as it was, and the plan says it could not
// tell whether the agreement still exists; the id (hostile here) is shown
// escaped. A policy requiring none is not warned about.
func TestRecreatedPolicyRequiringUnreadAgreementIsWarnedAbout(t *testing.T) {
	pol := policy(t, pA, "Require ToU", "enabled", strs(), strs())
	pol.Data["grantControls"].(map[string]any)["termsOfUse"] = strs("0ec9f6a6-159d-4dd8-a563-1f0b5935e80b\u202e\r")
	plain := policy(t, pB, "No ToU", "enabled", strs(), strs())
	in := input([]*Object{pol, plain}, nil, func(in *Input) { in.Options.CAState = CAStateAsIs })
	p := compute(t, in)
	if opList(p) != "create,create" {
		t.Fatalf("plan:\n%s", render(p))
	}
	var warned, other string
	for _, a := range p.Actions {
		if a.Key == pA {
			warned = strings.Join(a.Warnings, "\n")
			if tou := asSlice(dig(bodyOf(t, a), "grantControls", "termsOfUse")); len(tou) != 1 || !strings.HasPrefix(str(tou[0]), "0ec9f6a6-") {
				t.Errorf("termsOfUse not sent as it was: %v", tou)
			}
		} else {
			other = strings.Join(a.Warnings, "\n")
		}
	}
	if !strings.Contains(warned, "terms of use agreement 0ec9f6a6-159d-4dd8-a563-1f0b5935e80b") || !strings.Contains(warned, "did not read") {
		t.Errorf("no warning about the agreement: %q", warned)
	}
	if strings.ContainsAny(warned, "\u202e\r") {
		t.Errorf("the id is not escaped in the warning: %q", warned)
	}
	if strings.Contains(other, "terms of use") {
		t.Errorf("a policy without terms of use is warned about: %q", other)
	}
}

// A tenant whose reads answer an agreement's files with "fileData": null,
// as Graph's documented examples do: the export keeps each agreement
// with its files' properties and fileData {notReturned: true}, writes no
// PDF and warns naming the agreement and file. A restore still updates
// a live agreement, but refuses in the plan to recreate a deleted one
// (no bytes to send), saying what to do, while the rest is planned.
func TestTermsOfUseFileDataNull(t *testing.T) {
	e := newEnv(t, graphsim.Options{TermsOfUseFileDataNull: true}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(termsOfUseKind)
	snap, err := e.repo.ReadAll(ctx, e.first, k.Folder+"/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for p := range snap {
		names = append(names, p)
	}
	sort.Strings(names)
	if len(snap) != 2 || !strings.HasSuffix(names[0], ".yaml") || !strings.HasSuffix(names[1], ".yaml") {
		t.Fatalf("snapshot of %s: %v, want the 2 agreements' YAML and no PDF", k.Folder, names)
	}
	for _, o := range e.snapshotObjects(e.first) {
		if o.Kind.Name != termsOfUseKind {
			continue
		}
		files := asSlice(o.Data["files"])
		if len(files) == 0 {
			t.Errorf("%s: no files", o.Path)
		}
		for _, f := range files {
			m := f.(map[string]any)
			if !k.ItemNotReturned(m) || m["fileName"] == nil || m["language"] == nil {
				t.Errorf("%s: file %v, want its properties and fileData {notReturned: true}", o.Path, m)
			}
		}
	}
	res, err := exporter.Run(ctx, exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "again"})
	if err != nil || !res.Complete() {
		t.Fatalf("export: %v %+v", err, res)
	}
	var warned []string
	for _, w := range res.Warnings {
		if w.Kind == termsOfUseKind && strings.Contains(w.Message, "without its bytes") {
			warned = append(warned, w.String())
		}
	}
	if len(warned) != 3 || !strings.Contains(strings.Join(warned, "\n"), touStaff) || !strings.Contains(strings.Join(warned, "\n"), "acceptable-use.pdf") {
		t.Errorf("warnings about the files without bytes: %q, want 3 naming agreement and file", warned)
	}

	// The staff agreement deleted, the guest terms renamed.
	e.do("DELETE", touColl+"/"+touStaff, nil)
	e.do("PATCH", touColl+"/"+touGuests, map[string]any{"displayName": "Renamed"})
	dc := rolloutAdmin(t, e, "Agreement.ReadWrite.All", "Policy.ReadWrite.ConditionalAccess", "Policy.Read.All", "Application.Read.All", "Directory.Read.All")
	p := e.planWith(dc, e.first, []string{termsOfUseKind}, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Op != OpUpdate || !strings.EqualFold(p.Actions[0].Key, touGuests) {
		t.Fatalf("plan, want only the guest terms' PATCH:\n%s", render(p))
	}
	w := strings.Join(p.Warnings, "\n")
	if !strings.Contains(w, "cannot be restored") || !strings.Contains(w, "files[en-US].fileData") || !strings.Contains(w, "admin center") || !strings.Contains(w, "export again") {
		t.Errorf("no refusal of the recreate with its reason:\n%s", w)
	}
	if strings.Contains(w, "differs from the snapshot") {
		t.Errorf("a file without bytes on both sides is said to differ:\n%s", w)
	}
}

// A live agreement lacking a language whose file the snapshot holds
// without its bytes: the file is not added (nothing to send) and the plan
// says why; a file with bytes is still added; a file the snapshot holds
// without bytes and the tenant with them is not said to differ (nor are
// the files as a whole).
func TestAgreementFileWithoutBytesNotAdded(t *testing.T) {
	file := func(lang string, data any) map[string]any {
		return map[string]any{"language": lang, "fileName": lang + ".pdf", "isDefault": lang == "en-US", "isMajorVersion": false, "fileData": data}
	}
	im := func(lang string) map[string]any {
		return map[string]any{"file": "images/" + touGuests + "/" + strings.ToLower(lang) + ".pdf", "sha256": strings.Repeat("a", 64), "contentType": "application/pdf", "size": 10}
	}
	want := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{file("en-US", layout.NotReturnedValue()), file("de-DE", layout.NotReturnedValue()), file("fr-FR", im("fr-FR"))}})
	live := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{file("en-US", im("en-US"))}})
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if len(p.Actions) != 1 || p.Actions[0].Request.Method != "POST" || bodyOf(t, p.Actions[0])["language"] != "fr-FR" {
		t.Fatalf("plan, want only fr-FR added:\n%s", render(p))
	}
	w := strings.Join(p.Warnings, "\n")
	if !strings.Contains(w, "files[de-DE] is not in the tenant and cannot be added") || strings.Contains(w, "files[en-US]") || strings.Contains(w, "can only be set") {
		t.Errorf("warnings:\n%s", w)
	}
}

// A file the snapshot keeps from an earlier read (Graph answered null at
// its export: layout.CarriedValue) is compared by its bytes with a live
// file Graph returns with bytes: the same SHA-256 is no difference (the
// marker is not), another is; added to a live agreement lacking it, it is
// sent with a warning saying where its bytes come from.
func TestAgreementFileKeptFromEarlierReadPlanned(t *testing.T) {
	im := func(lang, sum string) layout.Image {
		return layout.Image{File: "images/" + touGuests + "/" + strings.ToLower(lang) + ".pdf", SHA256: strings.Repeat(sum, 64), ContentType: "application/pdf", Size: 10}
	}
	file := func(lang string, data map[string]any) map[string]any {
		return map[string]any{"language": lang, "fileName": lang + ".pdf", "isDefault": lang == "en-US", "isMajorVersion": false, "fileData": data}
	}
	want := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{file("en-US", layout.CarriedValue(im("en-US", "a"))), file("de-DE", layout.CarriedValue(im("de-DE", "b"))), file("fr-FR", layout.CarriedValue(im("fr-FR", "d")))}})
	live := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{file("en-US", im("en-US", "a").Value()), file("de-DE", im("de-DE", "c").Value())}})
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if len(p.Actions) != 1 || p.Actions[0].Request.Method != "POST" || bodyOf(t, p.Actions[0])["language"] != "fr-FR" || !p.Actions[0].Request.Documents {
		t.Fatalf("plan, want only fr-FR added:\n%s", render(p))
	}
	if w := strings.Join(p.Actions[0].Warnings, "\n"); !strings.Contains(w, "earlier export read") {
		t.Errorf("the added file's warnings: %q", w)
	}
	w := strings.Join(p.Warnings, "\n")
	if strings.Contains(w, "files[en-US]") || !strings.Contains(w, "files[de-DE] differs") {
		t.Errorf("warnings, want de-DE (other bytes) only:\n%s", w)
	}
}
