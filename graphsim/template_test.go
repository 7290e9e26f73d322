package graphsim

import "testing"

// TestTemplateOf: stats and permissions name endpoints by template; a
// collection whose name is long and holds a digit (oauth2PermissionGrants)
// is not taken for an id, while ids still are.
func TestTemplateOf(t *testing.T) {
	for in, want := range map[string]string{
		"oauth2PermissionGrants": "/oauth2PermissionGrants",
		"oauth2PermissionGrants/c-AY9qPNx0-4vVrWPxmED3iGICfrJnZDi2Jsj7": "/oauth2PermissionGrants/{id}",
		"users/0f8fad5b-d9cb-469f-a165-70867728950e/memberOf":           "/users/{id}/memberOf",
		"domains/contoso.onmicrosoft.com":                               "/domains/{id}",
	} {
		if got := templateOf(in); got != want {
			t.Errorf("templateOf(%q) = %q, want %q", in, got, want)
		}
	}
}
