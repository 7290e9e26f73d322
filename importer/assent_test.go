package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// asSent compares what a create sent with an object found, as Graph keeps
// values: strings byte for byte (case, Unicode form, invisible marks),
// ids and @odata.type whatever their case, date-times by instant, numbers
// whichever decoder read them, complex values and lists as subsets; what
// the found object lacks or holds as null is not compared; secret,
// annotation and placeholder values are never in what was sent.
func TestAsSent(t *testing.T) {
	users, _ := layout.Lookup("users")
	sent := sentProps(users, []byte(`{"displayName":"Zoë","mailNickname":"zoe","userPrincipalName":"Zoe@contoso.example",`+
		`"passwordProfile":{"password":"{{generated-password}}","forceChangePasswordNextSignIn":true},"manager@odata.bind":"{{graph}}/v1.0/users/{{new:x}}",`+
		`"employeeHireDate":"2026-01-01T00:00:00Z","employeeOrgData":{"division":"R&D"},"businessPhones":["+1 555"],"ageGroup":null,`+
		`"sponsorId":"AAAAAAAA-0000-4000-8000-000000000001","note":"{\u007b not a holder"}`))
	for _, p := range []string{"passwordProfile", "manager@odata.bind", "ageGroup", "note"} {
		if _, ok := sent[p]; ok {
			t.Errorf("sentProps keeps %s: %v", p, sent)
		}
	}
	same := map[string]any{"displayName": "Zoë", "mailNickname": "zoe", "userPrincipalName": "Zoe@contoso.example", "accountEnabled": true,
		"employeeHireDate": "2026-01-01T00:00:00.0000000+00:00", "employeeOrgData": map[string]any{"division": "R&D", "costCenter": nil},
		"businessPhones": []any{"+1 999", "+1 555"}, "sponsorId": "aaaaaaaa-0000-4000-8000-000000000001", "passwordProfile": nil}
	if why := asSent(sent, same); why != "" {
		t.Errorf("the object as sent differs: %s", why)
	}
	for _, tc := range []struct{ prop, value, says string }{
		{"userPrincipalName", "zoe@contoso.example", "its userPrincipalName is"},
		{"displayName", "Zoe\u0308", "its displayName is"}, // decomposed: another byte sequence
		{"mailNickname", "zoe\u200b", "its mailNickname is"},
		{"employeeHireDate", "2026-01-02T00:00:00Z", "its employeeHireDate is"},
	} {
		f := layout.Copy(same).(map[string]any)
		f[tc.prop] = tc.value
		if why := asSent(sent, f); !strings.Contains(why, tc.says) {
			t.Errorf("%s %q: %q, want %q", tc.prop, tc.value, why, tc.says)
		}
	}
	f := layout.Copy(same).(map[string]any)
	f["businessPhones"] = []any{"+1 999"}
	if why := asSent(sent, f); !strings.Contains(why, `its businessPhones does not hold "+1 555"`) {
		t.Errorf("list without the item sent: %q", why)
	}
	f = layout.Copy(same).(map[string]any)
	f["employeeOrgData"] = map[string]any{"division": "\u202eD&R"}
	if why := asSent(sent, f); !strings.Contains(why, "its employeeOrgData.division is") || strings.Contains(why, "\u202e") {
		t.Errorf("nested difference, escaped: %q", why)
	}
	groups, _ := layout.Lookup("groups")
	if got := asSent(sentProps(groups, []byte(`{"securityEnabled":true,"@odata.type":"#microsoft.graph.group","visibility":"Private"}`)),
		map[string]any{"securityEnabled": true, "@odata.type": "#Microsoft.Graph.Group", "visibility": nil}); got != "" {
		t.Errorf("@odata.type in other case, null visibility: %q", got)
	}
	if got := asSent(map[string]any{"maxLifetime": float64(3)}, map[string]any{"maxLifetime": 3}); got != "" {
		t.Errorf("a number read from YAML: %q", got)
	}
}
