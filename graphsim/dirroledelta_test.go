package graphsim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

// TestDeltaDirectoryRoles: GET /directoryRoles/delta (dirroledelta.go):
// an initial round of the activated roles in pages with members@delta (the
// principals holding the role over the whole directory: a role assignment
// scoped to a unit is not a member); $select of properties leaves members
// out; $filter by id; a later round shows a member added and one removed
// (@removed) through role assignments and a role activated since in full,
// and no record of its own in the audit log (the assignment's says it);
// under replication lag a later round leaves the young change for the next
// one; a token older than 7 days answers 410 with a Location.
func TestDeltaDirectoryRoles(t *testing.T) {
	const lag = 10 * time.Minute
	s, err := New(Options{Profile: "empty", Seed: 3, Now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC), EventualConsistency: lag})
	if err != nil {
		t.Fatal(err)
	}
	e := newDLEnvFor(t, s)
	u := e.seedUsers("role", 4)
	e.s.Clock().Advance(lag + time.Second)
	const helpdesk = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	const userAdmin = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	hd := str(e.do("POST", "/v1.0/directoryRoles", `{"roleTemplateId":"`+helpdesk+`"}`).must(t, 201).body["id"])
	assign := func(principal, role, scope string) string {
		return str(e.do("POST", "/v1.0/roleManagement/directory/roleAssignments",
			`{"roleDefinitionId":"`+role+`","principalId":"`+principal+`","directoryScopeId":"`+scope+`"}`).must(t, 201).body["id"])
	}
	au := str(e.do("POST", "/v1.0/directory/administrativeUnits", `{"displayName":"Unit \u202e\"x\" 🔑"}`).must(t, 201).body["id"])
	e.s.Clock().Advance(lag + time.Second)
	a0 := assign(u[0], helpdesk, "/")
	assign(u[3], helpdesk, "/administrativeUnits/"+au) // scoped: not a member of the directory role
	e.s.Clock().Advance(lag + time.Second)

	members := func(item map[string]any) []string {
		var out []string
		for _, m := range asSlice(item["members@delta"]) {
			ref := m.(map[string]any)
			id := strings.ToLower(str(ref["id"]))
			if ref["@removed"] != nil {
				id = "-" + id
			}
			out = append(out, id)
		}
		return out
	}
	items, pages, link := e.dlRound("/v1.0/directoryRoles/delta", "Prefer", "odata.maxpagesize=1")
	byID := dlByID(items)
	if pages < 2 || len(byID) != 2 || byID[hd]["displayName"] != "Helpdesk Administrator" || byID[hd]["roleTemplateId"] != helpdesk {
		t.Fatalf("initial round: %d pages, %v", pages, items)
	}
	if got := fmt.Sprint(members(byID[hd])); got != fmt.Sprint([]string{strings.ToLower(u[0])}) {
		t.Errorf("initial round: helpdesk members %s, want %s only (not the unit-scoped %s)", got, u[0], u[3])
	}
	var ga string
	for id, it := range byID {
		if it["roleTemplateId"] == builtin.GlobalAdministratorRoleID {
			ga = id
		}
	}
	if ga == "" {
		t.Fatalf("initial round without Global Administrator: %v", items)
	}
	sitems, _, selLink := e.dlRound("/v1.0/directoryRoles/delta?$select=displayName")
	for _, it := range sitems {
		if _, has := it["members@delta"]; has || it["roleTemplateId"] != nil {
			t.Errorf("$select=displayName: %v", it)
		}
	}
	fitems, _, _ := e.dlRound("/v1.0/directoryRoles/delta?$filter=" + url.QueryEscape("id eq '"+hd+"'"))
	if len(fitems) != 1 || fitems[0]["id"] != hd {
		t.Errorf("$filter=id eq: %v", fitems)
	}
	for _, q := range []string{"$filter=" + url.QueryEscape("displayName eq 'x'"), "$deltatoken=latest", "$expand=members"} {
		if r := e.do("GET", "/v1.0/directoryRoles/delta?"+q, ""); r.status != 400 {
			t.Errorf("GET /directoryRoles/delta?%s: %d, want 400", q, r.status)
		}
	}

	// A member added, one removed, a role activated.
	assign(u[1], helpdesk, "/")
	e.do("DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+a0, "").must(t, 204)
	ua := str(e.do("POST", "/v1.0/directoryRoles", `{"roleTemplateId":"`+userAdmin+`"}`).must(t, 201).body["id"])
	assign(u[2], userAdmin, "/")
	if early, _, _ := e.dlRound(link); len(early) != 0 {
		t.Errorf("a round within the lag: %v, want nothing yet", early)
	}
	e.s.Clock().Advance(lag + time.Second)
	items, _, link2 := e.dlRound(link)
	byID = dlByID(items)
	if len(items) != 2 || fmt.Sprint(members(byID[hd])) != fmt.Sprint([]string{strings.ToLower(u[1]), "-" + strings.ToLower(u[0])}) ||
		byID[ua]["displayName"] != "User Administrator" || fmt.Sprint(members(byID[ua])) != fmt.Sprint([]string{strings.ToLower(u[2])}) {
		t.Errorf("round after the changes: %v", items)
	}
	if sitems, _, _ := e.dlRound(selLink); len(dlByID(sitems)) != 1 || dlByID(sitems)[ua]["displayName"] != "User Administrator" {
		t.Errorf("$select=displayName round after the changes: %v (want the activated role only)", sitems)
	}
	if again, _, _ := e.dlRound(link2); len(again) != 0 {
		t.Errorf("a round without changes: %v", again)
	}
	assigned := 0
	for _, a := range e.do("GET", "/v1.0/auditLogs/directoryAudits?$top=999", "").must(t, 200).items() {
		act := str(a["activityDisplayName"])
		if strings.Contains(act, "member") && strings.Contains(act, "directory role") {
			t.Errorf("audit record of the role's member change beside the assignment's: %v", a)
		}
		if act == "Add member to role" {
			assigned++
		}
	}
	if assigned != 4 {
		t.Errorf("%d records of role assignments, want 4", assigned)
	}

	// Token expiry.
	e.s.Clock().Advance(8 * 24 * time.Hour)
	if r := e.do("GET", link2, ""); r.status != 410 || !strings.Contains(r.header.Get("Location"), "/directoryRoles/delta?$deltatoken=") {
		t.Errorf("expired token: %d, Location %q", r.status, r.header.Get("Location"))
	}
}
