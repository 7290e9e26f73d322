package graphsim

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Terms of use agreements: listed without their files, one agreement's
// files read with $expand=files (fileData.data the PDF's base64), created
// with files (required, one default, PDF only), files never changed by a
// PATCH, a localized file added by POST /agreements/{id}/files; a
// Conditional Access policy may name only an existing agreement.
func TestTermsOfUseAgreements(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/identityGovernance/termsOfUse/agreements"
	list := e.do("GET", coll, nil).must(t, 200).body["value"].([]any)
	if len(list) != 2 {
		t.Fatalf("demo agreements: %v", list)
	}
	for _, a := range list {
		if _, ok := a.(map[string]any)["files"]; ok {
			t.Errorf("the list returned files without $expand: %v", a)
		}
	}
	e.do("GET", coll+"?$expand=files", nil).must(t, 400)
	got := e.do("GET", coll+"/"+demoAgreementGuests+"?$expand=files", nil).must(t, 200).body
	files := asSlice(got["files"])
	if len(files) != 2 {
		t.Fatalf("files: %v", got)
	}
	data, err := base64.StdEncoding.DecodeString(str(files[0].(map[string]any)["fileData"].(map[string]any)["data"]))
	if err != nil || string(data[:5]) != "%PDF-" {
		t.Errorf("file data: %q %v", data, err)
	}
	pdf := base64.StdEncoding.EncodeToString(demoPDF("x"))
	file := func(lang string, def bool) map[string]any {
		return map[string]any{"fileName": "t.pdf", "language": lang, "isDefault": def, "fileData": map[string]any{"data": pdf}}
	}
	for _, bad := range []map[string]any{
		{"displayName": "x", "isViewingBeforeAcceptanceRequired": true},                                                      // no files
		{"displayName": "x", "isViewingBeforeAcceptanceRequired": true, "files": []any{file("en", false)}},                   // no default
		{"displayName": "x", "isViewingBeforeAcceptanceRequired": true, "files": []any{file("en", true), file("EN", false)}}, // language twice
		{"displayName": "x", "isViewingBeforeAcceptanceRequired": true, "files": []any{map[string]any{"fileName": "t.pdf", "language": "en", "isDefault": true,
			"fileData": map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("<html>"))}}}}, // not a PDF
		{"displayName": "x", "files": []any{file("en", true)}}, // isViewingBeforeAcceptanceRequired required
	} {
		e.do("POST", coll, bad).must(t, 400)
	}
	hostile := "ToU \u202eevil\r\n\x1b[31m"
	r := e.do("POST", coll, map[string]any{"displayName": hostile, "isViewingBeforeAcceptanceRequired": false, "files": []any{file("fr-FR", true)}}).must(t, 201)
	id := str(r.body["id"])
	if r.body["displayName"] != hostile || r.body["files"] != nil {
		t.Errorf("created: %v", r.body)
	}
	e.do("PATCH", coll+"/"+id, map[string]any{"files": []any{file("en", true)}}).must(t, 400)
	e.do("PATCH", coll+"/"+id, map[string]any{"isPerDeviceAcceptanceRequired": true}).must(t, 204)
	e.do("POST", "/v1.0/agreements/"+id+"/files", file("fr-fr", false)).must(t, 400) // language already there
	// 200 OK with the file, no Location, as agreement-post-files documents
	// (not 201); the example posts under /identityGovernance/termsOfUse.
	added := e.do("POST", "/v1.0/agreements/"+id+"/files", file("nl-NL", false)).must(t, 200)
	if added.header.Get("Location") != "" || added.body["language"] != "nl-NL" || str(added.body["id"]) == "" || added.body["createdDateTime"] == nil ||
		!strings.HasSuffix(str(added.body["@odata.context"]), "/files/$entity") {
		t.Errorf("POST files answered %v %v", added.header, added.body)
	}
	e.do("POST", coll+"/"+id+"/files", file("pt-BR", false)).must(t, 200)
	if n := len(asSlice(e.do("GET", coll+"/"+id+"?$expand=files", nil).must(t, 200).body["files"])); n != 3 {
		t.Errorf("files after POST: %d", n)
	}
	ca := map[string]any{"displayName": "tou", "state": "disabled",
		"conditions":    map[string]any{"applications": map[string]any{"includeApplications": []any{"All"}}, "users": map[string]any{"includeUsers": []any{"All"}}},
		"grantControls": map[string]any{"operator": "OR", "termsOfUse": []any{id}}}
	e.do("POST", "/v1.0/identity/conditionalAccess/policies", ca).must(t, 201)
	e.do("DELETE", coll+"/"+id, nil).must(t, 204)
	e.do("GET", coll+"/"+id, nil).must(t, 404)
	ca["displayName"] = "tou 2"
	e.do("POST", "/v1.0/identity/conditionalAccess/policies", ca).must(t, 400)

	// At most 40 agreements per tenant (the Entra terms of use page's
	// service limit): the demo's 2 and 38 more, then a 41st is refused;
	// once one is deleted, another can be created.
	var last string
	for i := range maxAgreements - 2 {
		last = str(e.do("POST", coll, map[string]any{"displayName": "ToU " + str(i), "isViewingBeforeAcceptanceRequired": false,
			"files": []any{file("en", true)}}).must(t, 201).body["id"])
	}
	e.do("POST", coll, map[string]any{"displayName": "ToU 41", "isViewingBeforeAcceptanceRequired": false, "files": []any{file("en", true)}}).must(t, 400)
	e.do("DELETE", coll+"/"+last, nil).must(t, 204)
	e.do("POST", coll, map[string]any{"displayName": "ToU 40", "isViewingBeforeAcceptanceRequired": false, "files": []any{file("en", true)}}).must(t, 201)
}

// Graph serves agreements to delegated callers only ("Application: Not
// supported" on every page): an app-only token is refused whatever it
// holds; a delegated one reads with Agreement.Read.All and writes with
// Agreement.ReadWrite.All.
func TestTermsOfUseDelegatedOnly(t *testing.T) {
	a := newAuthzEnv(t)
	coll := "/v1.0/identityGovernance/termsOfUse/agreements"
	body := map[string]any{"displayName": "ToU", "isViewingBeforeAcceptanceRequired": true, "files": []any{map[string]any{
		"fileName": "t.pdf", "language": "en", "isDefault": true, "fileData": map[string]any{"data": base64.StdEncoding.EncodeToString(demoPDF("t"))}}}}
	app := a.token("a", "Agreement.ReadWrite.All", "Agreement.Read.All", "Directory.ReadWrite.All", "Policy.ReadWrite.ConditionalAccess")
	a.want(app, "GET", coll, nil, 403)
	a.want(app, "POST", coll, body, 403)

	e, reader, writer := globalAdminTokens(t, "Agreement.Read.All", "Agreement.ReadWrite.All")
	if r := e.call(reader, "GET", coll, nil); r.status != 200 {
		t.Errorf("delegated read: %d %s", r.status, r.raw)
	}
	if r := e.call(reader, "POST", coll, body); r.status != 403 {
		t.Errorf("delegated write with the read scope: %d %s", r.status, r.raw)
	}
	r := e.call(writer, "POST", coll, body)
	if r.status != 201 {
		t.Fatalf("delegated write: %d %s", r.status, r.raw)
	}
	id := str(r.body["id"])
	if r := e.call(reader, "GET", coll+"/"+id+"?$expand=files", nil); r.status != 200 || len(asSlice(r.body["files"])) != 1 {
		t.Errorf("delegated read of files: %d %s", r.status, r.raw)
	}
	file := map[string]any{"fileName": "t.pdf", "language": "de", "fileData": map[string]any{"data": base64.StdEncoding.EncodeToString(demoPDF("d"))}}
	if r := e.call(writer, "POST", "/v1.0/agreements/"+id+"/files", file); r.status != 200 {
		t.Errorf("delegated add of a file: %d %s", r.status, r.raw)
	}

	// The signed-in user's role: reads need Security Reader (least
	// privileged), Global Reader, Conditional Access or Security
	// Administrator; writes Conditional Access Administrator (least
	// privileged) or Security Administrator (agreement-get,
	// termsofusecontainer-post-agreements, agreement-post-files).
	tn := e.s.Tenant()
	as := func(nick, role, scope string) string {
		t.Helper()
		uid, err := tn.Seed("user", map[string]any{"displayName": nick, "userPrincipalName": nick + "@" + tn.Domain(), "mailNickname": nick, "accountEnabled": true})
		if err != nil {
			t.Fatal(err)
		}
		if role != "" {
			if r := e.call("Bearer "+e.s.Token(), "POST", "/v1.0/roleManagement/directory/roleAssignments",
				map[string]any{"principalId": uid, "roleDefinitionId": role, "directoryScopeId": "/"}); r.status != 201 {
				t.Fatalf("role assignment: %d %s", r.status, r.raw)
			}
		}
		return "Bearer " + e.delegatedToken(e.newPublicClient(nick, scope), nick+"@"+tn.Domain())
	}
	const securityReader, caAdmin = "5d6b6bb7-de71-4623-b4af-96380a352509", roleCAAdmin
	for _, c := range []struct {
		who        string
		role       string
		read, post int
	}{{"norole", "", 403, 403}, {"secreader", securityReader, 200, 403}, {"caadmin", caAdmin, 200, 201}} {
		rd, wr := as(c.who+"r", c.role, "Agreement.Read.All"), as(c.who+"w", c.role, "Agreement.ReadWrite.All")
		if r := e.call(rd, "GET", coll+"/"+id+"?$expand=files", nil); r.status != c.read {
			t.Errorf("%s: read %d, want %d: %s", c.who, r.status, c.read, r.raw)
		}
		if r := e.call(wr, "POST", coll, body); r.status != c.post {
			t.Errorf("%s: create %d, want %d: %s", c.who, r.status, c.post, r.raw)
		}
		want := map[int]int{201: 200, 403: 403}[c.post]
		f := map[string]any{"fileName": "t.pdf", "language": "x-" + c.who, "fileData": file["fileData"]}
		if r := e.call(wr, "POST", "/v1.0/agreements/"+id+"/files", f); r.status != want {
			t.Errorf("%s: add a file %d, want %d: %s", c.who, r.status, want, r.raw)
		}
	}
}

// Options.TermsOfUseFileDataNull answers an agreement's files with
// "fileData": null, as Graph's documented examples do (agreement-list-files),
// the other properties as usual; the stored bytes are unchanged.
func TestTermsOfUseFileDataNull(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1, TermsOfUseFileDataNull: true})
	got := e.do("GET", "/v1.0/identityGovernance/termsOfUse/agreements/"+demoAgreementGuests+"?$expand=files", nil).must(t, 200).body
	files := asSlice(got["files"])
	if len(files) != 2 {
		t.Fatalf("files: %v", got)
	}
	for _, f := range files {
		m := f.(map[string]any)
		if v, ok := m["fileData"]; !ok || v != nil || str(m["language"]) == "" || str(m["fileName"]) == "" {
			t.Errorf("file %v, want its properties and fileData null", m)
		}
	}
}
