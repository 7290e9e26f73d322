package graphsim

import (
	"sort"
	"unicode/utf16"
)

// String length limits Graph documents on its resource pages (graphsim/doc.go,
// "String length limits"). A POST, PATCH or PUT whose value is longer is
// refused with 400 Request_BadRequest, as Graph refuses any invalid property
// value of a directory object: "Invalid value specified for property 'X' of
// resource 'Y'." (the message Graph gives for a mailNickname it refuses,
// hooks.go; for a too-long value the text is not documented: strict reading,
// the same shape). Graph is a .NET service, so a "character" is counted as a
// UTF-16 code unit (strict: a character outside the BMP counts twice).
var stringLimits = map[string]struct {
	resource string         // the resource name in the error
	max      map[string]int // property → maximum length
}{
	// learn:/graph/api/resources/user (Properties: "Maximum length is N characters").
	"user": {"User", map[string]int{
		"displayName": 256, "givenName": 64, "surname": 64, "mailNickname": 64, "jobTitle": 128, "department": 64,
		"companyName": 64, "city": 128, "state": 128, "country": 128, "postalCode": 40, "streetAddress": 1024, "mobilePhone": 64,
	}},
	// learn:/graph/api/resources/group: displayName "Maximum length is 256
	// characters", mailNickname "Maximum length is 64 characters".
	"group": {"Group", map[string]int{"displayName": 256, "mailNickname": 64}},
	// learn:/graph/api/resources/application (graph-semantics.md §3.5):
	// displayName at most 256 characters, description at most 1,024.
	"application": {"Application", map[string]int{"displayName": 256, "description": 1024}},
	// learn:/graph/api/resources/organizationalbrandingproperties: "not
	// exceed 1024 characters" (signInPageText), "can't exceed 64
	// characters" (usernameHintText), "not exceed 256 characters" (the
	// custom link texts), "not exceed 128 characters" (the custom URLs).
	brandingKindName: {"OrganizationalBrandingLocalization", map[string]int{
		"signInPageText": 1024, "usernameHintText": 64,
		"customCannotAccessYourAccountText": 256, "customForgotMyPasswordText": 256, "customPrivacyAndCookiesText": 256,
		"customResetItNowText": 256, "customTermsOfUseText": 256,
		"customAccountResetCredentialsUrl": 128, "customCannotAccessYourAccountUrl": 128, "customPrivacyAndCookiesUrl": 128,
		"customTermsOfUseUrl": 128,
	}},
}

// checkLengths refuses a write body of kind k holding a string longer than
// Graph documents for its property.
func checkLengths(k *Kind, body map[string]any) *apiError {
	l, ok := stringLimits[k.Name]
	if !ok {
		return nil
	}
	props := make([]string, 0, len(body))
	for p := range body {
		props = append(props, p)
	}
	sort.Strings(props) // the first offending property, in a fixed order
	for _, p := range props {
		max, ok := l.max[p]
		if !ok {
			continue
		}
		if s, ok := body[p].(string); ok && len(utf16.Encode([]rune(s))) > max {
			return badRequest("Invalid value specified for property '%s' of resource '%s'.", p, l.resource)
		}
	}
	return nil
}
