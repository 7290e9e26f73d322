package check

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// A file of a kind that is state of another kind's object
// (layout.OwnerKind) whose owner the snapshot does not hold is reported as
// "owner missing", naming the owner's kind and id, once (not also as a
// dangling reference): per-user MFA state of a user deleted since it was
// read (carried forward: the kind is opt-in), a service principal's
// custom security attribute values and a user flow's connections whose
// flow is gone (a flow id with a quote, an RTL mark and an emoji). A file
// whose owner is present is not reported, and one whose owner kind the
// snapshot does not hold completely is not checked (counted unchecked).
func TestOwnerMissing(t *testing.T) {
	r := newCheckRepo(t)
	const (
		user  = "0c000000-0000-4000-8000-0000000000a1"
		gone  = "0c000000-0000-4000-8000-00000000dead"
		sp    = "0c000000-0000-4000-8000-0000000000b1"
		spGon = "0c000000-0000-4000-8000-0000000000b2"
		flow  = "B2X_1_Partner"
		flowX = "B2X_1_O'Hara \u202egnp.exe 🎉"
	)
	files, add := objectFiles(t)
	add("users", map[string]any{"id": user, "displayName": "Adele", "userPrincipalName": "adele@contoso.com"})
	add("service-principals", map[string]any{"id": sp, "appId": "0c000000-0000-4000-8000-0000000000c1", "displayName": "App"})
	add("user-flows", map[string]any{"id": flow, "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": json.Number("1"), "userAttributeAssignments": []any{}})
	add("attribute-sets", map[string]any{"id": "HR"})
	add("custom-security-attributes", map[string]any{"id": "HR_Grade", "attributeSet": "HR", "name": "Grade", "type": "String",
		"status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false, "allowedValues": []any{}})
	mfa := func(id string) map[string]any { return map[string]any{"id": id, "perUserMfaState": "enforced"} }
	csa := func(id string) map[string]any {
		return map[string]any{"id": id, "customSecurityAttributes": map[string]any{"HR": map[string]any{
			"@odata.type": "#microsoft.graph.customSecurityAttributeValue", "Grade": "A"}}}
	}
	conns := func(id string) map[string]any {
		return map[string]any{"id": id, "userFlowIdentityProviders": []any{},
			"apiConnectorConfiguration": map[string]any{"postAttributeCollection": nil, "postFederationSignup": nil}}
	}
	ok := []string{add("per-user-mfa", mfa(user)), add(layout.ServicePrincipalSecurityAttributes, csa(sp)), add(layout.UserFlowConnections, conns(flow))}
	badMFA := add("per-user-mfa", mfa(gone))
	badSP := add(layout.ServicePrincipalSecurityAttributes, csa(spGon))
	badFlow := add(layout.UserFlowConnections, conns(flowX))

	counts := map[string]int{"per-user-mfa": 2, layout.ServicePrincipalSecurityAttributes: 2, layout.UserFlowConnections: 2,
		"users": 1, "service-principals": 1, "user-flows": 1, "attribute-sets": 1, "custom-security-attributes": 1}
	// carried: the per-user MFA state is an earlier snapshot's (opt-in,
	// not read this time); unread: the owner kind names the kinds whose
	// files the snapshot does not hold completely.
	writeManifest := func(carried, unread string) {
		m := map[string]any{}
		for name, n := range counts {
			k, _ := layout.Lookup(name)
			e := map[string]any{"folder": k.Folder, "objects": json.Number(itoa(n)), "complete": true}
			if name == carried || name == unread {
				e["complete"], e["reason"] = false, "not read"
			}
			m[name] = e
		}
		files[ManifestPath] = layout.Encode(map[string]any{"format": json.Number("1"), "tenantId": "t", "kinds": m})
	}
	owners := func(rep *Report) []string {
		var got []string
		for _, is := range rep.Snapshots[0].Issues {
			for _, p := range ok {
				if is.File == p {
					t.Errorf("an issue in a file whose owner is in the snapshot: %v", is)
				}
			}
			if strings.Contains(is.Message, "names no object") && is.Property == "id" {
				t.Errorf("the owner reported as a dangling reference too: %v", is)
			}
			if strings.HasPrefix(is.Message, "owner missing:") {
				got = append(got, is.File+" "+is.Severity+" "+is.Property)
				if want := layout.NewLines(files[is.File]).Of("id"); is.Line != want || want == 0 {
					t.Errorf("%s: line %d, want the id's line %d", is.File, is.Line, want)
				}
			}
		}
		sort.Strings(got)
		return got
	}
	message := func(rep *Report, file string) string {
		for _, is := range rep.Snapshots[0].Issues {
			if is.File == file && strings.HasPrefix(is.Message, "owner missing:") {
				return is.Message
			}
		}
		return ""
	}

	writeManifest("", "")
	rep := checkSnapshot(t, r, files, "snapshot/1")
	want := []string{badFlow + " warning id", badSP + " warning id", badMFA + " warning id"}
	sort.Strings(want)
	sameLines(t, "owner missing", owners(rep), want, rep)
	for file, words := range map[string][]string{
		badMFA:  {"per-user MFA state (beta) of users " + gone, "read moments apart", "--kinds users,per-user-mfa"},
		badSP:   {"of service principals " + spGon},
		badFlow: {"user flow identity providers and API connectors of self-service sign-up user flows " + flowX},
	} {
		msg := message(rep, file)
		for _, w := range words {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: the message does not say %q: %s", file, w, msg)
			}
		}
	}
	var text strings.Builder
	rep.WriteText(&text)
	if strings.Contains(text.String(), "\u202e") || !strings.Contains(text.String(), badMFA) {
		t.Errorf("the text report shows the RTL mark, or not the file:\n%s", text.String())
	}

	// The per-user MFA state carried from an earlier snapshot: the message
	// says so and how to drop the file.
	writeManifest("per-user-mfa", "")
	rep = checkSnapshot(t, r, files, "")
	sameLines(t, "owner missing, MFA carried", owners(rep), want, rep)
	if msg := message(rep, badMFA); !strings.Contains(msg, "carried from an earlier snapshot") || !strings.Contains(msg, "entrasnap export --kinds per-user-mfa") {
		t.Errorf("the carried file's message: %s", msg)
	}

	// Users not read completely: the MFA owners are not checked.
	writeManifest("", "users")
	rep = checkSnapshot(t, r, files, "")
	want = []string{badFlow + " warning id", badSP + " warning id"}
	sort.Strings(want)
	sameLines(t, "owner missing, users incomplete", owners(rep), want, rep)
	if rep.Snapshots[0].Unchecked == 0 {
		t.Error("the MFA files of users not read completely are not counted unchecked")
	}
}
