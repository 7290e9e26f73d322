package graphsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// A PIM for Groups schedules list scoped to a group or a principal, and an
// adminAssign, look at that group's (or principal's) schedules, not at
// every schedule of the tenant: the export sends one schedules request per
// group (issue #12, the cost after the end sweeps).
func TestGroupScheduleListLooksAtItsGroupOnly(t *testing.T) {
	s, users := gwServer(t)
	gid, now := securityGroup(t, s, "scoped"), s.Clock().Now()
	const others = 2000 // other groups' schedules, of other principals
	for i := 0; i < others; i++ {
		kind := pgEligKind
		if i%2 == 1 {
			kind = pgAssignKind
		}
		if _, err := s.Tenant().Seed(kind, map[string]any{"groupId": fmt.Sprintf("10000000-0000-0000-0000-%012d", i/4+1),
			"principalId": fmt.Sprintf("20000000-0000-0000-0000-%012d", i%7+1), "accessId": "member", "memberType": "direct",
			"status": "Provisioned", "scheduleInfo": map[string]any{"startDateTime": graphTime(now), "expiration": map[string]any{"type": "noExpiration"}}}); err != nil {
			t.Fatal(err)
		}
	}
	steps := func() uint64 { return s.tenant.groupScheduleSteps.Swap(0) }
	for i, u := range users {
		genJSON(t, s, "POST", pgRoot+"eligibilityScheduleRequests", map[string]any{"action": "adminAssign", "accessId": "member", "groupId": gid, "principalId": u,
			"scheduleInfo": map[string]any{"startDateTime": graphTime(now), "expiration": map[string]any{"type": "noExpiration"}}}, 201)
		if v := steps(); v > uint64(i) {
			t.Errorf("adminAssign %d of the group's: looked at %d schedules, want at most %d (the group's)", i+1, v, i)
		}
	}
	if el := listValue(t, s, pgRoot+"eligibilitySchedules"+pgGroupFilter(gid)); len(el) != len(users) {
		t.Errorf("the group's eligibilities: %d, want %d", len(el), len(users))
	}
	if v := steps(); v > uint64(len(users)) {
		t.Errorf("a list of one group's %d eligibilities looked at %d schedules", len(users), v)
	}
	byPrincipal := "?$filter=" + url.QueryEscape("principalId eq '"+users[0]+"' and accessId eq 'member'")
	if el := listValue(t, s, pgRoot+"eligibilitySchedules"+byPrincipal); len(el) != 1 {
		t.Errorf("the principal's eligibilities: %d, want 1", len(el))
	}
	if v := steps(); v > 1 {
		t.Errorf("a list of one principal's eligibility looked at %d schedules", v)
	}
	if as := listValue(t, s, pgRoot+"assignmentSchedules"+pgGroupFilter(gid)); len(as) != 0 {
		t.Errorf("the group's assignments: %v", as)
	}
	if v := steps(); v != 0 {
		t.Errorf("a list of a group without assignments looked at %d schedules", v)
	}
}

// The index answers as the scan: on a random tenant (adminAssign,
// adminUpdate and adminRemove of both kinds, groups and users deleted and
// restored, ends swept, deleted principals cleaned up 7 days on, seeded
// schedules with an upper-case or a non-ASCII id, a save and load), every
// schedules list scoped to a group or a principal (of every id, live or
// gone, and spelled otherwise) gives what a scan of every schedule gives,
// and the index holds the live schedules exactly.
func TestGroupScheduleIndexAnswersAsTheScan(t *testing.T) {
	s, users := gwServer(t)
	for i := 0; i < 5; i++ {
		n := fmt.Sprint("p", i)
		u := genJSON(t, s, "POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": n, "mailNickname": n,
			"userPrincipalName": n + "@" + s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "P@ssw0rd!" + n}}, 201)
		users = append(users, str(u["id"]))
	}
	var groups []string
	for i := 0; i < 6; i++ {
		n := fmt.Sprint("g", i)
		body := map[string]any{"displayName": n, "mailEnabled": false, "mailNickname": n, "securityEnabled": true}
		if i%2 == 1 { // Microsoft 365 groups: deleted to the bin, restorable
			body["mailEnabled"], body["groupTypes"] = true, []any{"Unified"}
		}
		groups = append(groups, str(genJSON(t, s, "POST", "/v1.0/groups", body, 201)["id"]))
	}
	principals := append(append([]string(nil), users...), groups...)
	ids := append(append([]string(nil), principals...), strings.ToUpper(groups[0]), strings.ToUpper(users[0]), "kelvin", "KELVIN", "\u212Aelvin", "")
	rnd := rand.New(rand.NewPCG(13, 12))
	pick := func(list []string) string { return list[rnd.IntN(len(list))] }
	kinds := []string{"eligibility", "assignment"}
	ops := 400
	if testing.Short() {
		ops = 150
	}
	var deleted []string
	answered, odd := 0, 0 // lists with schedules in the answer; of them, answers with a non-ASCII principalId
	for op := 0; op < ops; op++ {
		now := s.Clock().Now()
		info := map[string]any{"startDateTime": graphTime(now), "expiration": map[string]any{"type": "noExpiration"}}
		if rnd.IntN(3) > 0 {
			info["expiration"] = map[string]any{"type": "afterDateTime", "endDateTime": graphTime(now.Add(time.Duration(1+rnd.IntN(72)) * time.Hour))}
		}
		access := "member"
		if rnd.IntN(4) == 0 {
			access = "owner"
		}
		req := func(action string) {
			genDo(t, s, "POST", pgRoot+pick(kinds)+"ScheduleRequests", map[string]any{"action": action, "accessId": access,
				"groupId": pick(groups), "principalId": pick(principals), "scheduleInfo": info})
		}
		switch n := rnd.IntN(100); {
		case n < 40:
			req("adminAssign")
		case n < 50:
			req("adminUpdate")
		case n < 60:
			req("adminRemove")
		case n < 65:
			id := pick(groups)
			if code, _ := genDo(t, s, "DELETE", "/v1.0/groups/"+id, nil); code == 204 {
				deleted = append(deleted, id)
			}
		case n < 70:
			id := pick(users)
			if code, _ := genDo(t, s, "DELETE", "/v1.0/users/"+id, nil); code == 204 {
				deleted = append(deleted, id)
			}
		case n < 76:
			if len(deleted) > 0 {
				genDo(t, s, "POST", "/v1.0/directory/deletedItems/"+pick(deleted)+"/restore", nil)
			}
		case n < 86:
			s.Clock().Advance(time.Duration(rnd.IntN(30)) * time.Hour)
		case n < 88:
			s.Clock().Advance(8 * 24 * time.Hour) // deleted principals' clean-up
		case n < 93:
			group, principal := pick(groups), pick(principals)
			switch rnd.IntN(3) {
			case 0:
				group = strings.ToUpper(group)
			case 1:
				principal = "\u212Aelvin" // KELVIN SIGN: EqualFold to kelvin, not ASCII
			}
			if _, err := s.Tenant().Seed([]string{pgEligKind, pgAssignKind}[rnd.IntN(2)], map[string]any{"groupId": group, "principalId": principal, "accessId": "member",
				"memberType": "direct", "status": "Provisioned", "scheduleInfo": info}); err != nil {
				t.Fatal(err)
			}
		case n < 95:
			var buf bytes.Buffer
			if err := s.Tenant().Save(&buf); err != nil {
				t.Fatal(err)
			}
			loaded, err := New(Options{State: &buf, Now: s.Clock().Now()})
			if err != nil {
				t.Fatal(err)
			}
			s = loaded
		}
		if op%5 != 4 {
			continue
		}
		for _, kind := range []string{pgEligKind, pgAssignKind} {
			path := pgRoot + kinds[0] + "Schedules"
			if kind == pgAssignKind {
				path = pgRoot + kinds[1] + "Schedules"
			}
			for _, id := range ids {
				for _, expr := range []string{"groupId eq '" + id + "'", "principalId eq '" + id + "'",
					"groupId eq '" + pick(groups) + "' and principalId eq '" + id + "'", "GROUPID eq '" + id + "'"} {
					code, raw := genDo(t, s, "GET", path+"?$top=999&$filter="+url.QueryEscape(expr), nil)
					var got []string
					if code == 200 {
						var page map[string]any
						if err := json.Unmarshal(raw, &page); err != nil {
							t.Fatal(err)
						}
						for _, v := range asSlice(page["value"]) {
							got = append(got, str(v.(map[string]any)["id"]))
						}
					}
					if want := scanSchedules(t, s, kind, expr); !slices.Equal(got, want) {
						t.Fatalf("op %d: %s ?$filter=%s: %d %v, the scan gives %v", op, kind, expr, code, got, want)
					}
					if len(got) > 0 {
						answered++
						if strings.Contains(string(raw), "\u212A") {
							odd++
						}
					}
				}
			}
			checkIndex(t, s, kind)
		}
	}
	if answered < 100 || odd == 0 {
		t.Errorf("%d lists answered with schedules, %d with a non-ASCII principal: the test shows little", answered, odd)
	}
	t.Logf("%d ops, %d lists answered with schedules, %d with a non-ASCII principal", ops, answered, odd)
}

// securityGroup creates a security group named name and returns its id.
func securityGroup(t *testing.T, s *Server, name string) string {
	t.Helper()
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": name, "mailEnabled": false, "mailNickname": name, "securityEnabled": true}, 201)
	return str(g["id"])
}

// scanSchedules is what a schedules list filtered by expr answers, by a
// scan of every schedule (the code before the index).
func scanSchedules(t *testing.T, s *Server, kind, expr string) []string {
	t.Helper()
	f, aerr := parseFilter(expr, filterCtx{kind: kindByName[kind]})
	if aerr != nil {
		return nil
	}
	tn := s.tenant
	tn.mu.RLock()
	defer tn.mu.RUnlock()
	var out []string
	for _, r := range tn.colls[kind].live() {
		if !r.gone && tn.visible(r) && f.match(r.view()) {
			out = append(out, r.key())
		}
	}
	return out
}

// checkIndex: kind's index holds each live schedule once, under its
// groupId and its principalId, in collection order, and nothing else.
func checkIndex(t *testing.T, s *Server, kind string) {
	t.Helper()
	tn := s.tenant
	tn.mu.RLock()
	defer tn.mu.RUnlock()
	c := tn.colls[kind]
	for _, prop := range indexedProps[kind] {
		want := map[string][]*record{}
		var odd []*record
		for _, r := range c.live() {
			if v, ok := indexValue(r, prop); ok && !r.gone {
				if key, ascii := asciiFold(v); ascii {
					want[key] = append(want[key], r)
				} else {
					odd = append(odd, r)
				}
			}
		}
		ix := c.index[prop]
		if ix == nil {
			ix = &propIndex{}
		}
		if len(ix.by) != len(want) || !slices.Equal(ix.odd, odd) {
			t.Fatalf("%s by %s: %d values and %d odd records, the scan gives %d and %d", kind, prop, len(ix.by), len(ix.odd), len(want), len(odd))
		}
		for key, list := range want {
			if !slices.Equal(ix.by[key], list) {
				t.Fatalf("%s by %s %q: %d records, the scan gives %d", kind, prop, key, len(ix.by[key]), len(list))
			}
		}
	}
}
