package check

import (
	"sort"
	"testing"
)

// A user's custom security attribute values name the user (by the file's
// id: "owner missing", TestOwnerMissing) and the attribute
// definitions {set}_{attribute} (an error: Graph never deletes a
// definition); annotations name nothing.
func TestUserSecurityAttributeReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const (
		user = "0c000000-0000-4000-8000-0000000000a1"
		gone = "0c000000-0000-4000-8000-00000000dead"
	)
	files, add := objectFiles(t)
	add("users", map[string]any{"id": user, "displayName": "Adele", "userPrincipalName": "adele@contoso.com"})
	add("attribute-sets", map[string]any{"id": "HR"})
	add("custom-security-attributes", map[string]any{"id": "HR_Grade", "attributeSet": "HR", "name": "Grade", "type": "Integer",
		"status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false, "allowedValues": []any{}})
	val := func(attrs map[string]any) map[string]any {
		attrs["@odata.type"] = "#microsoft.graph.customSecurityAttributeValue"
		return map[string]any{"HR": attrs}
	}
	ok := add("user-security-attributes", map[string]any{"id": user, "customSecurityAttributes": val(map[string]any{"Grade@odata.type": "#Int32", "Grade": 4})})
	bad := add("user-security-attributes", map[string]any{"id": gone, "customSecurityAttributes": val(map[string]any{"Level": "x \u202e"})})
	rep := checkSnapshot(t, r, files, "snapshot/1")
	got := dangling(rep, func(is Issue) string { return is.File + " " + is.Property + " " + is.Severity })
	for _, is := range rep.Snapshots[0].Issues {
		if is.File == ok {
			t.Errorf("issue in the file whose references resolve: %v", is)
		}
	}
	sort.Strings(got)
	want := []string{bad + " customSecurityAttributes.HR.Level " + SevError}
	sameLines(t, "unresolved references", got, want, rep)
}
