package graphsim

import "strings"

// Read-only parts of writable properties, and the organization's short
// update list.
//
//   - application and servicePrincipal info.logoUrl: "Read-only. CDN URL to
//     the application's logo" (informationalUrl resource); the logo is
//     uploaded with PUT /applications/{id}/logo. Graph returns the property
//     (null without a logo) in every GET of info.
//   - servicePrincipal verifiedPublisher (as application verifiedPublisher,
//     kinds.go): set only through the application's setVerifiedPublisher
//     action (graph-semantics.md §4.3); Graph returns it, all null, on an
//     object without one.
//   - organization: the organization-update page lists the only properties
//     a PATCH sets (orgUpdatable); graphsim refuses any other (strict
//     reading: the page does not say whether Graph ignores or refuses them).

// nestedReadOnly are read-only properties inside writable ones, per kind,
// as slash paths.
var nestedReadOnly = map[string][]string{
	"application":      {"info/logoUrl"},
	"servicePrincipal": {"info/logoUrl"},
}

// orgUpdatable is the organization-update page's request body list (v1.0).
var orgUpdatable = []string{"marketingNotificationEmails", "onPremisesSyncEnabled", "privacyProfile",
	"securityComplianceNotificationMails", "securityComplianceNotificationPhones", "technicalNotificationMails"}

// checkNestedReadOnly refuses a write that sets a nested read-only property
// (any value, null included: the property is not the client's to send).
func checkNestedReadOnly(k *Kind, body map[string]any) *apiError {
	for _, p := range nestedReadOnly[k.Name] {
		parent, leaf := p[:strings.LastIndexByte(p, '/')], p[strings.LastIndexByte(p, '/')+1:]
		if m, ok := lookupPath(body, parent).(map[string]any); ok {
			if _, set := m[leaf]; set {
				return badRequest(msgReadOnly, strings.ReplaceAll(p, "/", "."))
			}
		}
	}
	return nil
}

func init() {
	// Runs after hooks.go's init (files initialize in name order): wrap the
	// create hooks so objects carry what Graph returns for them.
	for _, name := range []string{"application", "servicePrincipal"} {
		prev := createHooks[name]
		createHooks[name] = func(s *Server, req *request, body map[string]any, parent *record) *apiError {
			if prev != nil {
				if aerr := prev(s, req, body, parent); aerr != nil {
					return aerr
				}
			}
			info, _ := body["info"].(map[string]any)
			if info == nil {
				info = map[string]any{"marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil}
				body["info"] = info
			}
			info["logoUrl"] = nil
			if _, ok := body["verifiedPublisher"]; !ok {
				body["verifiedPublisher"] = map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil}
			}
			return nil
		}
	}
	patchHooks["organization"] = func(s *Server, r *record, body map[string]any) *apiError {
		for p := range body {
			if !contains(orgUpdatable, p) {
				return badRequest(msgReadOnly, p)
			}
		}
		return nil
	}
}
