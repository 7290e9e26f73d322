package graphsim

import (
	"strings"
	"testing"
)

// A user's manager is set by PUT $ref, read, replaced and removed; sponsors
// are a $ref collection of users and groups; users delta reports manager
// changes with $select=manager and refuses sponsors; the permissions are
// the table's (sponsors are not read with Directory.Read.All).
func TestManagerAndSponsors(t *testing.T) {
	e := newAuthzEnv(t)
	ann, bob, cy := user(e, "ann"), user(e, "bob"), user(e, "cy")
	grp := e.seed("group", map[string]any{"displayName": "Sponsors \u202e", "mailEnabled": false, "mailNickname": "sp", "securityEnabled": true})
	app := e.seed("application", map[string]any{"displayName": "not a manager"})
	writer := e.token("writer", "User.ReadWrite.All")
	dirReader := e.token("dirreader", "Directory.Read.All")
	reader := e.token("reader", "User.Read.All")
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + id}
	}
	path := "/v1.0/users/" + ann + "/manager"
	e.want(reader, "GET", path, nil, 404)
	e.want(reader, "PUT", path+"/$ref", ref(bob), 403)
	if code, _ := e.call(writer, "POST", path+"/$ref", ref(bob)); code < 400 { // no POST of a single-valued reference
		t.Errorf("POST manager/$ref: %d", code)
	}
	e.want(writer, "PUT", path+"/$ref", ref(ann), 400)
	e.want(writer, "PUT", path+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/applications/" + app}, 400)
	e.want(writer, "PUT", path+"/$ref", ref(bob), 204)
	if m := e.want(dirReader, "GET", path, nil, 200); m["id"] != bob || m["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("manager: %v", m)
	}
	e.want(writer, "PUT", path+"/$ref", ref(cy), 204) // replaces
	if m := e.want(reader, "GET", path, nil, 200); m["id"] != cy {
		t.Errorf("replaced manager: %v", m)
	}
	e.want(writer, "PATCH", "/v1.0/users/"+bob, map[string]any{"manager@odata.bind": "https://graph.microsoft.com/v1.0/users/" + cy}, 400)

	// Sponsors.
	sp := "/v1.0/users/" + ann + "/sponsors"
	e.want(writer, "POST", sp+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + grp}, 204)
	e.want(writer, "POST", sp+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + bob}, 204)
	e.want(writer, "POST", sp+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + app}, 400)
	e.want(dirReader, "GET", sp, nil, 403)
	if l := asSlice(e.want(reader, "GET", sp, nil, 200)["value"]); len(l) != 2 {
		t.Errorf("sponsors: %v", l)
	}
	// The users list's $expand=sponsors: the same permission.
	e.want(dirReader, "GET", "/v1.0/users?$select=id&$expand=sponsors", nil, 403)
	found := false
	for _, it := range asSlice(e.want(reader, "GET", "/v1.0/users?$select=id&$expand=sponsors&$top=100", nil, 200)["value"]) {
		if m := it.(map[string]any); m["id"] == ann {
			found = len(asSlice(m["sponsors"])) == 2
		}
	}
	if !found {
		t.Errorf("$expand=sponsors does not show ann's two sponsors")
	}
	e.want(writer, "POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "d", "mailNickname": "d",
		"userPrincipalName": "d@" + e.s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "P@ssw0rd!x"},
		"sponsors@odata.bind": []any{"https://graph.microsoft.com/v1.0/users/" + bob}}, 400)

	// Users delta: manager@delta on the initial round and after a change.
	e.want(reader, "GET", "/v1.0/users/delta?$select=displayName,sponsors", nil, 400)
	first := e.want(reader, "GET", "/v1.0/users/delta?$select=displayName,manager", nil, 200)
	for first["@odata.nextLink"] != nil {
		first = e.want(reader, "GET", strings.TrimPrefix(str(first["@odata.nextLink"]), "http://graphsim"), nil, 200)
	}
	link := strings.TrimPrefix(str(first["@odata.deltaLink"]), "http://graphsim")
	if link == "" {
		t.Fatalf("no deltaLink: %v", first)
	}
	e.want(writer, "DELETE", path+"/$ref", nil, 204)
	e.want(writer, "DELETE", path+"/$ref", nil, 404)
	e.want(writer, "PUT", "/v1.0/users/"+bob+"/manager/$ref", ref(ann), 204)
	next := e.want(reader, "GET", link, nil, 200)
	got := map[string]string{}
	for _, it := range asSlice(next["value"]) {
		m := it.(map[string]any)
		for _, r := range asSlice(m["manager@delta"]) {
			rm := r.(map[string]any)
			_, removed := rm["@removed"]
			got[str(m["id"])] += str(rm["id"]) + map[bool]string{true: " removed", false: " added"}[removed] + ";"
		}
	}
	if got[ann] != cy+" removed;" || got[bob] != ann+" added;" {
		t.Errorf("manager@delta: %v (ann %s, bob %s, cy %s)", got, ann, bob, cy)
	}
}
