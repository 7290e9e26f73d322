package check

import (
	"context"
	"sort"
	"strings"
	"testing"
)

// A user's custom security attribute values name the user (by the file's
// id: a warning when the user is not in the snapshot) and the attribute
// definitions {set}_{attribute} (an error: Graph never deletes a
// definition); annotations name nothing.
func TestUserSecurityAttributeReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const (
		user = "0c000000-0000-4000-8000-0000000000a1"
		gone = "0c000000-0000-4000-8000-00000000dead"
	)
	files := map[string][]byte{}
	add := func(kindName string, obj map[string]any) string {
		p, b := objectFile(t, kind(t, kindName), obj)
		files[p] = b
		return p
	}
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
	writeSnapshot(t, r, files, "snapshot/1")
	rep, err := Repo(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, is := range rep.Snapshots[0].Issues {
		if strings.Contains(is.Message, "names no object") {
			got = append(got, is.File+" "+is.Property+" "+is.Severity)
		}
		if is.File == ok {
			t.Errorf("issue in the file whose references resolve: %v", is)
		}
	}
	sort.Strings(got)
	want := []string{bad + " customSecurityAttributes.HR.Level " + SevError, bad + " id " + SevWarning}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("unresolved references:\n%s\nwant:\n%s\nissues: %+v", strings.Join(got, "\n"), strings.Join(want, "\n"), rep.Snapshots[0].Issues)
	}
}
