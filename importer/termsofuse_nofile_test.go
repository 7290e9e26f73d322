package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// A deleted agreement whose snapshot holds no sendable PDF (Graph answered
// fileData null at export: {notReturned: true}; or a file edited to
// fileData null, no files at all, a marker with something beside it that
// names no document) is not created (Graph requires the file's bytes, and
// apply would fail or send an agreement without a file): the plan says
// which file lacks its PDF and what to do; a Conditional Access policy
// created with it, requiring the agreement, is told that Graph refuses its
// write until the agreement exists. A live agreement is still updated,
// and a language whose file names no PDF is not added to it.
func TestAgreementWithoutItsPDFIsNotCreated(t *testing.T) {
	file := func(lang string, data any) map[string]any {
		return map[string]any{"language": lang, "fileName": lang + ".pdf", "isDefault": lang == "en-US", "isMajorVersion": false, "fileData": data}
	}
	cases := []struct {
		name  string
		files any
		says  string
	}{
		{"not returned at export", []any{file("en-US", layout.NotReturnedValue())}, "files[en-US].fileData: Graph returned it without its PDF"},
		{"fileData null", []any{file("en-US", nil)}, "files[en-US].fileData: the snapshot names no PDF"},
		{"marker and more", []any{file("en-US", map[string]any{"notReturned": true, "x": "\u202e<b>"})}, "files[en-US].fileData: the snapshot names no valid PDF"},
		{"no files", []any{}, "files: the snapshot holds no file"},
		{"files left out", nil, "files: the snapshot holds no file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true}
			if tc.files != nil {
				data["files"] = tc.files
			}
			pol := obj(t, "conditional-access-policies", "aaaaaaaa-0000-4000-8000-000000000001", map[string]any{"displayName": "p", "state": "enabled",
				"conditions":    map[string]any{"users": map[string]any{"includeUsers": strs("All")}, "applications": map[string]any{"includeApplications": strs("All")}},
				"grantControls": map[string]any{"operator": "OR", "termsOfUse": strs(touGuests)}})
			p := compute(t, input([]*Object{obj(t, termsOfUseKind, touGuests, data), pol}, nil, nil))
			for _, a := range p.Actions {
				if a.Kind == termsOfUseKind {
					t.Fatalf("the agreement is written although the snapshot holds no PDF for it:\n%s", render(p))
				}
			}
			w := strings.Join(p.Warnings, "\n")
			if !strings.Contains(w, "cannot be restored: "+tc.says) || !strings.Contains(w, "admin center (Terms of use) with the PDF") {
				t.Errorf("the plan does not say why the agreement is not created (want %q):\n%s", tc.says, w)
			}
			if len(p.Actions) != 1 || !strings.Contains(strings.Join(p.Actions[0].Warnings, "\n"), "grantControls.termsOfUse names terms of use agreements") {
				t.Errorf("the policy requiring the agreement is not told Graph refuses it:\n%s", render(p))
			}
		})
	}

	// Live: its own properties are updated; a language whose file names no
	// PDF is not added.
	want := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{file("en-US", layout.NotReturnedValue()), file("de-DE", nil)}})
	live := obj(t, termsOfUseKind, touGuests, map[string]any{"displayName": "Renamed", "isViewingBeforeAcceptanceRequired": true,
		"files": []any{file("en-US", layout.NotReturnedValue())}})
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if len(p.Actions) != 1 || p.Actions[0].Op != OpUpdate || bodyOf(t, p.Actions[0])["displayName"] != "Guest terms" {
		t.Fatalf("plan, want only the agreement's PATCH:\n%s", render(p))
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "files[de-DE] is not in the tenant and cannot be added: the snapshot names no PDF") {
		t.Errorf("warnings:\n%s", w)
	}
}
