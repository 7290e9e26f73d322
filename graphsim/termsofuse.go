package graphsim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// Terms of use agreements (graphsim/doc.go, "Terms of use agreements"):
//
//   - GET/POST /identityGovernance/termsOfUse/agreements, GET/PATCH/DELETE
//     .../{id} (termsofusecontainer-list-agreements,
//     termsofusecontainer-post-agreements, agreement-get, agreement-update,
//     agreement-delete); the same agreements at /agreements (the API's
//     other root: agreement-post-files, permissions.json).
//   - Every page: "Application: Not supported"; permissions.json lists
//     DelegatedWork only (Agreement.Read.All to read, Agreement.ReadWrite.All
//     to write): an app-only token gets 403 whatever it holds (the
//     application permission table has no row: identity.go authorize).
//   - Create requires displayName, isViewingBeforeAcceptanceRequired and
//     files (termsofusecontainer-post-agreements, "properties that are
//     required when you create an agreement"); each file is an
//     agreementFileLocalization {fileName, displayName, language,
//     isDefault, isMajorVersion, fileData: {data: base64}}. Strict
//     readings: exactly one file isDefault; language unique within the
//     agreement; the data decodes to a PDF ("%PDF-": the Entra terms of use
//     page takes PDF documents only, learn:/entra/identity/conditional-access/terms-of-use).
//   - files is a navigation property: GET of an agreement returns it only
//     with $expand=files (agreement-list-files: GET
//     .../agreements/{id}?$expand=files), each file with its fileData. The
//     list's $expand is not documented: refused (strict). A file is added
//     by POST /agreements/{id}/files (agreement-post-files, "Create a new
//     localized agreement file"); Graph documents no PATCH or DELETE of a
//     file, and a PATCH of the agreement naming files is refused (strict:
//     agreement-update lists the agreement's own properties): an
//     agreement's document is replaced in the admin center, or by a new
//     agreement.
//   - A Conditional Access policy's grantControls.termsOfUse holds
//     agreement ids (resources/conditionalaccessgrantcontrols): one naming
//     no agreement is refused (strict; the refusal text is not
//     documented). Deleting an agreement a policy names is not refused
//     here (the documentation says nothing; the policy keeps the id).

const agreementKindName = "agreement"

// maxAgreements is the most agreements a tenant holds: "You can add no more
// than 40 terms per tenant" (learn:/entra/identity/conditional-access/terms-of-use,
// "Service limits"). The answer to a 41st is not documented: graphsim
// answers 400 (strict).
const maxAgreements = 40

var agreementKind = &Kind{
	Name: agreementKindName, ODataType: "#microsoft.graph.agreement",
	Paths: []string{"identityGovernance/termsOfUse/agreements", "agreements"}, ReadCost: 1, Throttle: "directory",
	ReadOnly:   []string{"id"},
	Required:   []string{"displayName", "isViewingBeforeAcceptanceRequired"},
	Filterable: []string{"id", "displayName", "isPerDeviceAcceptanceRequired", "isViewingBeforeAcceptanceRequired"},
}

// agreementFileProps are an agreementFileLocalization's writable properties.
var agreementFileProps = []string{"fileName", "displayName", "language", "isDefault", "isMajorVersion", "fileData"}

func init() {
	held[agreementKindName] = map[string]heldSpec{
		"files": {typ: "#microsoft.graph.agreementFileLocalization", props: agreementFileProps, noDelete: true, stamp: true, created200: true,
			check: checkAgreementFile, fill: fillAgreementFile},
	}
	createHooks[agreementKindName] = createAgreement
	patchHooks[agreementKindName] = func(_ *Server, _ *record, body map[string]any) *apiError {
		if _, ok := body["files"]; ok {
			return badRequest("Property 'files' cannot be updated: add a localized file with POST /agreements/{id}/files.")
		}
		return nil
	}
}

// createAgreement takes the files of a new agreement into its held
// collection.
// The generator (req nil) gives the demo's files their ids, so the
// tenant's id sequence is unchanged.
func createAgreement(s *Server, req *request, body map[string]any, _ *record) *apiError {
	n := 0
	for _, r := range s.tenant.colls[agreementKindName].live() {
		if !r.gone {
			n++
		}
	}
	if n >= maxAgreements {
		return badRequest("The tenant already has %d terms of use agreements, the most it can have.", n)
	}
	raw, ok := body["files"].([]any)
	if !ok || len(raw) == 0 {
		return badRequest("A value is required for property 'files' of resource 'agreement'.")
	}
	delete(body, "files")
	var list []any
	defaults := 0
	for _, x := range raw {
		f, ok := x.(map[string]any)
		if !ok {
			return badRequest("Invalid value for property 'files'.")
		}
		delete(f, "@odata.type")
		given := str(f["id"])
		if given != "" && req != nil {
			return badRequest(msgReadOnly, "id")
		}
		delete(f, "id")
		for k := range f {
			if !contains(agreementFileProps, k) {
				return badRequest("Property '%s' does not exist as a declared property or extension property.", k)
			}
		}
		if aerr := checkAgreementFile(nil, list, nil, f); aerr != nil {
			return aerr
		}
		if f["isDefault"] == true {
			defaults++
		}
		f["id"] = given
		if given == "" {
			f["id"] = s.tenant.newID()
		}
		fillAgreementFile(nil, f)
		f["createdDateTime"] = graphTime(s.tenant.now())
		list = append(list, f)
	}
	if defaults != 1 {
		return badRequest("Exactly one file of an agreement must be the default (isDefault).")
	}
	body[heldPrefix+"files"] = list
	for _, p := range []string{"isPerDeviceAcceptanceRequired", "termsExpiration", "userReacceptRequiredFrequency"} {
		if _, ok := body[p]; !ok {
			body[p] = nil
		}
	}
	if body["isPerDeviceAcceptanceRequired"] == nil {
		body["isPerDeviceAcceptanceRequired"] = false
	}
	return nil
}

// checkAgreementFile validates one file: a language not already used, a
// fileName, and data that is base64 of a PDF.
func checkAgreementFile(_ *record, list []any, _, f map[string]any) *apiError {
	for _, p := range []string{"fileName", "language"} {
		if v, ok := f[p].(string); !ok || strings.TrimSpace(v) == "" {
			return badRequest("A value is required for property '%s' of resource 'agreementFileLocalization'.", p)
		}
	}
	lang := str(f["language"])
	for _, x := range list {
		if m, _ := x.(map[string]any); m != nil && strings.EqualFold(str(m["language"]), lang) {
			return badRequest("The agreement already has a file in language '%s'.", lang)
		}
	}
	fd, _ := f["fileData"].(map[string]any)
	data, ok := fd["data"].(string)
	if !ok || data == "" {
		return badRequest("A value is required for property 'fileData.data' of resource 'agreementFileLocalization'.")
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return badRequest("Invalid value for property 'fileData.data': not base64.")
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return badRequest("The agreement file must be a PDF document.")
	}
	if v, ok := f["isDefault"]; ok && v != nil {
		if _, isBool := v.(bool); !isBool {
			return badRequest("Invalid value for property 'isDefault'.")
		}
	}
	return nil
}

// fillAgreementFile sets what Graph adds to a stored file (its
// createdDateTime: heldSpec.stamp, createAgreement).
func fillAgreementFile(_ *record, f map[string]any) {
	for _, p := range []string{"displayName", "isDefault", "isMajorVersion"} {
		if _, ok := f[p]; !ok {
			f[p] = nil
		}
	}
	if f["isDefault"] == nil {
		f["isDefault"] = false
	}
	if f["isMajorVersion"] == nil {
		f["isMajorVersion"] = false
	}
}

// agreementExpand serves GET of one agreement with $expand=files (the
// only documented expansion): the files with their fileData, or with
// "fileData": null under Options.TermsOfUseFileDataNull, as the examples
// of agreement-list-files and agreementfile-get answer.
func (s *Server) agreementExpand(req *request, r *record, body map[string]any) *apiError {
	e := strings.TrimSpace(req.query.Get("$expand"))
	if e == "" {
		return nil
	}
	if !strings.EqualFold(e, "files") {
		return badRequest("Could not find a property named '%s' on type 'microsoft.graph.agreement'.", e)
	}
	items := []any{}
	for _, f := range asSlice(r.get(heldPrefix + "files")) {
		c := deepCopy(f)
		if m, ok := c.(map[string]any); ok && s.touNull.Load() {
			m["fileData"] = nil
		}
		items = append(items, c)
	}
	body["files"] = items
	return nil
}

// SetTermsOfUseFileDataNull switches how agreement files are read from
// now on: with "fileData": null (on) or with the PDF's base64 (off), as
// Options.TermsOfUseFileDataNull does from the start. A tenant whose
// answers change between exports is how a test meets a Graph that
// returned the bytes once and null later (whether Graph does either is
// undocumented: doc.go).
func (s *Server) SetTermsOfUseFileDataNull(on bool) { s.touNull.Store(on) }

// termsOfUseExist refuses a Conditional Access policy whose
// grantControls.termsOfUse names an agreement the tenant does not hold.
func (s *Server) termsOfUseExist(p map[string]any) *apiError {
	for _, id := range strs(lookupPath(p, "grantControls/termsOfUse")) {
		if s.tenant.lookup(agreementKind, id) == nil {
			return errf(http.StatusBadRequest, "BadRequest", "The policy contains invalid terms of use in grantControls.termsOfUse: %s.", id)
		}
	}
	return nil
}

// demoPDF is a small, well-formed one-page PDF whose page says text.
func demoPDF(text string) []byte {
	content := "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		"<< /Length " + itoa(len(content)) + " >>\nstream\n" + content + "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		b.WriteString(itoa(i+1) + " 0 obj\n" + o + "\nendobj\n")
	}
	xref := b.Len()
	b.WriteString("xref\n0 " + itoa(len(objs)+1) + "\n0000000000 65535 f \n")
	for _, o := range offs {
		s := itoa(o)
		b.WriteString(strings.Repeat("0", 10-len(s)) + s + " 00000 n \n")
	}
	b.WriteString("trailer\n<< /Size " + itoa(len(objs)+1) + " /Root 1 0 R >>\nstartxref\n" + itoa(xref) + "\n%%EOF\n")
	return b.Bytes()
}

// Demo agreements' ids and their files' (given: the tenant's id sequence
// is unchanged).
const (
	demoAgreementGuests = "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a01"
	demoAgreementStaff  = "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a02"
)

// demoTermsOfUse adds two agreements (guest terms in English and German,
// an acceptable use policy for staff) and makes the demo's Azure
// management policy require the acceptable use policy besides MFA.
func (g *generator) demoTermsOfUse() {
	n := 0
	file := func(name, lang, text string, def bool) map[string]any {
		n++
		return map[string]any{"id": fmt.Sprintf("7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6b%02d", n), "fileName": name, "displayName": text, "language": lang, "isDefault": def,
			"fileData": map[string]any{"data": base64.StdEncoding.EncodeToString(demoPDF(text))}}
	}
	for _, body := range []map[string]any{
		{"id": demoAgreementGuests, "displayName": "Guest terms of use",
			"isViewingBeforeAcceptanceRequired": true, "isPerDeviceAcceptanceRequired": false,
			"userReacceptRequiredFrequency": "P365D",
			"termsExpiration":               map[string]any{"startDateTime": "2026-01-01T00:00:00Z", "frequency": "P365D"},
			"files": []any{file("guest-terms.pdf", "en-US", "Guest terms of use", true),
				file("gast-bedingungen.pdf", "de-DE", "Nutzungsbedingungen fuer Gaeste", false)}},
		{"id": demoAgreementStaff, "displayName": "Acceptable use policy",
			"isViewingBeforeAcceptanceRequired": false,
			"files":                             []any{file("acceptable-use.pdf", "en-US", "Acceptable use policy", true)}},
	} {
		if g.err != nil {
			return
		}
		if aerr := createAgreement(g.s, nil, body, nil); aerr != nil {
			g.fail("agreement %q: %s", describe(body), aerr.Message)
			return
		}
		g.seed(agreementKindName, body)
	}
	for _, r := range g.t.colls["conditionalAccessPolicy"].live() {
		if strings.HasSuffix(str(r.get("displayName")), "Require multifactor authentication for Azure management") {
			r.o()["grantControls"] = map[string]any{"operator": "AND", "builtInControls": strList("mfa"),
				"customAuthenticationFactors": []any{}, "termsOfUse": strList(demoAgreementStaff)}
			break
		}
	}
}
