package graphsim

import (
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// auditList lists directoryAudits with a token, following nextLinks, and
// returns the records and the number of pages.
func (e *idEnv) auditList(tok, query string) ([]map[string]any, int) {
	e.t.Helper()
	path := "/v1.0/auditLogs/directoryAudits"
	if query != "" {
		path += "?" + query
	}
	var out []map[string]any
	pages := 0
	for path != "" {
		r := e.call("Bearer "+tok, "GET", path, nil)
		if r.status != 200 {
			e.t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
		}
		pages++
		for _, v := range asSlice(r.body["value"]) {
			out = append(out, v.(map[string]any))
		}
		path = ""
		if next := str(r.body["@odata.nextLink"]); next != "" {
			u, _ := url.Parse(next)
			path = u.RequestURI()
		}
	}
	return out, pages
}

func activities(recs []map[string]any) []string {
	var out []string
	for _, r := range recs {
		out = append(out, str(r["activityDisplayName"]))
	}
	sort.Strings(out)
	return out
}

func TestDirectoryAuditsAsGraphDocuments(t *testing.T) {
	e := newIDEnv(t)
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e.s.Clock().Freeze(start)
	writer, wsec := e.newClient("Second app", "User.ReadWrite.All", "Group.ReadWrite.All")
	reader, rsec := e.newClient("Backup", "AuditLog.Read.All")
	plain, psec := e.newClient("No audit", "User.Read.All", "Directory.Read.All")
	wtok := "Bearer " + e.token(writer, wsec)
	must := func(r idResp, status int) idResp {
		t.Helper()
		if r.status != status {
			t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
		}
		return r
	}
	u := must(e.call(wtok, "POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Alex",
		"mailNickname": "alex", "userPrincipalName": "alex@" + e.s.Tenant().Domain(),
		"passwordProfile": map[string]any{"password": "Secret-P@ss1"}}), 201)
	uid := str(u.body["id"])
	e.s.Clock().Advance(time.Minute)
	must(e.call(wtok, "PATCH", "/v1.0/users/"+uid, map[string]any{"jobTitle": "Engineer"}), 204)
	g := must(e.call(wtok, "POST", "/v1.0/groups", map[string]any{"displayName": "Sales", "mailNickname": "sales",
		"mailEnabled": false, "securityEnabled": true}), 201)
	gid := str(g.body["id"])
	must(e.call(wtok, "POST", "/v1.0/groups/"+gid+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + uid}), 204)
	must(e.call(wtok, "DELETE", "/v1.0/groups/"+gid+"/members/"+uid+"/$ref", nil), 204)
	must(e.call(wtok, "DELETE", "/v1.0/users/"+uid, nil), 204)
	// A refused write leaves no record.
	must(e.call(wtok, "PATCH", "/v1.0/users/"+uid, map[string]any{"jobTitle": "x"}), 404)

	rtok := e.token(reader, rsec)
	// Permission: AuditLog.Read.All (Directory.Read.All alone is refused, strict).
	if r := e.call("Bearer "+e.token(plain, psec), "GET", "/v1.0/auditLogs/directoryAudits", nil); r.status != 403 {
		t.Errorf("without AuditLog.Read.All: %d %s, want 403", r.status, r.raw)
	}
	// Lag: nothing before DefaultAuditLag has passed.
	if recs, _ := e.auditList(rtok, ""); len(recs) != 0 {
		t.Errorf("before the lag: %d records, want none", len(recs))
	}
	e.s.Clock().Advance(DefaultAuditLag)
	all, _ := e.auditList(rtok, "")
	want := []string{"Add group", "Add member to group", "Add user", "Delete user", "Remove member from group", "Update user"}
	if got := activities(all); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("activities %q, want %q", got, want)
	}
	for _, r := range all {
		app, _ := r["initiatedBy"].(map[string]any)["app"].(map[string]any)
		if str(app["appId"]) != writer || str(app["displayName"]) != "Second app" || str(app["servicePrincipalId"]) == "" {
			t.Errorf("%s: initiatedBy %v, want the app Second app", r["activityDisplayName"], r["initiatedBy"])
		}
		if str(r["result"]) != "success" || str(r["id"]) == "" || str(r["correlationId"]) == "" {
			t.Errorf("%s: result/id/correlationId missing: %v", r["activityDisplayName"], r)
		}
		if strings.Contains(str(r), "Secret-P@ss1") {
			t.Errorf("%s carries the password", r["activityDisplayName"])
		}
		if r["activityDisplayName"] == "Update user" {
			tr := asSlice(r["targetResources"])[0].(map[string]any)
			mp := asSlice(tr["modifiedProperties"])[0].(map[string]any)
			if str(mp["displayName"]) != "jobTitle" || str(mp["oldValue"]) != "[]" || str(mp["newValue"]) != `["Engineer"]` {
				t.Errorf("Update user modifiedProperties[0] = %v, want jobTitle [] → [\"Engineer\"]", mp)
			}
			if str(tr["id"]) != uid || str(tr["type"]) != "User" || str(tr["userPrincipalName"]) != "alex@"+e.s.Tenant().Domain() {
				t.Errorf("Update user target = %v", tr)
			}
		}
	}
	// Newest first.
	if str(all[0]["activityDisplayName"]) != "Delete user" {
		t.Errorf("first record %s, want the newest (Delete user)", all[0]["activityDisplayName"])
	}
	// $filter.
	q := func(f string) string { return "$filter=" + url.QueryEscape(f) }
	byUser, _ := e.auditList(rtok, q("targetResources/any(t: t/id eq '"+uid+"')"))
	if got := activities(byUser); len(got) != 5 {
		t.Errorf("records naming the user: %q, want 5 (all but Add group)", got)
	}
	upd, _ := e.auditList(rtok, q("activityDisplayName eq 'Update user'"))
	if len(upd) != 1 {
		t.Errorf("activityDisplayName eq: %d records, want 1", len(upd))
	}
	later, _ := e.auditList(rtok, q("activityDateTime ge "+start.Add(30*time.Second).Format(time.RFC3339)+" and activityDateTime le "+start.Add(2*time.Minute).Format(time.RFC3339)))
	if len(later) != 5 {
		t.Errorf("activityDateTime window: %q, want the 5 records after the first minute", activities(later))
	}
	byApp, _ := e.auditList(rtok, q("initiatedBy/app/appId eq '"+writer+"'"))
	if len(byApp) != 6 {
		t.Errorf("initiatedBy/app/appId eq: %d, want 6", len(byApp))
	}
	for _, bad := range []string{"category eq 'UserManagement'", "activityDateTime gt 2026-12-01", "activityDisplayName eq 'a' or activityDisplayName eq 'b'"} {
		if r := e.call("Bearer "+rtok, "GET", "/v1.0/auditLogs/directoryAudits?"+q(bad), nil); r.status != 400 {
			t.Errorf("$filter=%s: %d, want 400", bad, r.status)
		}
	}
	// Paging: $top=2 gives 3 pages holding the same records.
	paged, pages := e.auditList(rtok, "$top=2")
	if pages != 3 || len(paged) != len(all) {
		t.Errorf("$top=2: %d records in %d pages, want %d in 3", len(paged), pages, len(all))
	}
	for i := range paged {
		if str(paged[i]["id"]) != str(all[i]["id"]) {
			t.Errorf("page order differs at %d", i)
		}
	}
	// Get by id.
	if r := e.call("Bearer "+rtok, "GET", "/v1.0/auditLogs/directoryAudits/"+str(all[0]["id"]), nil); r.status != 200 || str(r.body["id"]) != str(all[0]["id"]) {
		t.Errorf("GET by id: %d %s", r.status, r.raw)
	}
	// Retention: 30 days with P1/P2, 7 without.
	e.s.Clock().Advance(8 * 24 * time.Hour)
	rtok = e.token(reader, rsec)
	if recs, _ := e.auditList(rtok, ""); len(recs) != 6 {
		t.Errorf("P2 after 8 days: %d records, want 6", len(recs))
	}
	if err := e.s.SetLicence(LicenceFree); err != nil {
		t.Fatal(err)
	}
	if recs, _ := e.auditList(rtok, ""); len(recs) != 0 {
		t.Errorf("free after 8 days: %d records, want 0", len(recs))
	}
	_ = e.s.SetLicence(LicenceP1)
	e.s.Clock().Advance(23 * 24 * time.Hour)
	rtok = e.token(reader, rsec)
	if recs, _ := e.auditList(rtok, ""); len(recs) != 0 {
		t.Errorf("P1 after 31 days: %d records, want 0", len(recs))
	}
}

func TestDirectoryAuditLagIsConfigurable(t *testing.T) {
	for _, c := range []struct {
		lag        time.Duration
		at, before time.Duration // visible at, not visible just before
	}{{-1, 0, -1}, {10 * time.Minute, 10 * time.Minute, 9 * time.Minute}} {
		e := newCoreEnv(t, Options{AuditLag: c.lag, Now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)})
		e.newUser("lag")
		if c.before >= 0 {
			e.s.Clock().Advance(c.before)
			if r := e.do("GET", "/v1.0/auditLogs/directoryAudits", nil).must(t, 200); len(asSlice(r.body["value"])) != 0 {
				t.Errorf("lag %v: visible after %v", c.lag, c.before)
			}
			e.s.Clock().Advance(c.at - c.before)
		}
		r := e.do("GET", "/v1.0/auditLogs/directoryAudits", nil).must(t, 200)
		recs := asSlice(r.body["value"])
		if len(recs) != 1 || str(recs[0].(map[string]any)["activityDisplayName"]) != "Add user" {
			t.Errorf("lag %v: %s, want one Add user record", c.lag, r.raw)
		}
		app := recs[0].(map[string]any)["initiatedBy"].(map[string]any)["app"].(map[string]any)
		if str(app["displayName"]) != "graphsim" {
			t.Errorf("graphsim's own token: initiatedBy.app %v", app)
		}
	}
}
