package graphsim

import (
	"encoding/json"
	"strings"
	"testing"
)

// Graph's refusals for groups it does not write, last owners, and creates
// without their key (see groupwrites.go and doc.go's table).

func gwServer(t *testing.T) (*Server, []string) {
	t.Helper()
	s, err := New(Options{Profile: "empty", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for i, n := range []string{"ada", "bob", "cy"} {
		u := genJSON(t, s, "POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": n, "mailNickname": n,
			"userPrincipalName": n + "@" + s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "P@ssw0rd!" + string(rune('a'+i))}}, 201)
		users = append(users, str(u["id"]))
	}
	return s, users
}

func ref(id string) map[string]any {
	return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
}

func wantError(t *testing.T, s *Server, method, path string, body any, status int, msg string) {
	t.Helper()
	code, raw := genDo(t, s, method, path, body)
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(raw, &e)
	if code != status || !strings.Contains(e.Error.Message, msg) {
		t.Errorf("%s %s: %d %s, want %d %q", method, path, code, raw, status, msg)
	}
}

func TestMailEnabledSecurityGroupsAndDistributionListsAreReadOnly(t *testing.T) {
	s, users := gwServer(t)
	for name, body := range map[string]map[string]any{
		"mail-enabled security group": {"displayName": "MESG", "mailNickname": "mesg", "mailEnabled": true, "securityEnabled": true, "groupTypes": []any{}},
		"distribution list":           {"displayName": "DL", "mailNickname": "dl", "mailEnabled": true, "securityEnabled": false, "groupTypes": []any{}},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, s, "POST", "/v1.0/groups", body, 400, msgExchangeCreate)
			id, err := s.Tenant().Seed("group", body) // as Exchange would create it
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Tenant().SeedLink("group", id, "members", users[0]); err != nil {
				t.Fatal(err)
			}
			if err := s.Tenant().SeedLink("group", id, "owners", users[0]); err != nil {
				t.Fatal(err)
			}
			wantError(t, s, "POST", "/v1.0/groups/"+id+"/members/$ref", ref(users[1]), 403, msgExchangeUpdate)
			wantError(t, s, "DELETE", "/v1.0/groups/"+id+"/members/"+users[0]+"/$ref", nil, 403, msgExchangeUpdate)
			wantError(t, s, "POST", "/v1.0/groups/"+id+"/owners/$ref", ref(users[1]), 403, msgExchangeUpdate)
			wantError(t, s, "PATCH", "/v1.0/groups/"+id, map[string]any{"members@odata.bind": []any{"https://graph.microsoft.com/v1.0/directoryObjects/" + users[2]}}, 400, msgExchangeUpdate)
			wantError(t, s, "PATCH", "/v1.0/groups/"+id, map[string]any{"description": "x"}, 400, msgExchangeUpdate)
			wantError(t, s, "DELETE", "/v1.0/groups/"+id, nil, 400, msgExchangeUpdate)
		})
	}
	// Microsoft 365 groups (mail-enabled, Unified) and security groups are created.
	genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "M365", "mailNickname": "m365", "mailEnabled": true, "securityEnabled": false, "groupTypes": []any{"Unified"}}, 201)
	genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "Sec", "mailNickname": "sec", "mailEnabled": false, "securityEnabled": true, "groupTypes": []any{}}, 201)
}

func TestDynamicMembershipIsNotWritten(t *testing.T) {
	s, users := gwServer(t)
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "Dyn", "mailNickname": "dyn", "mailEnabled": false,
		"securityEnabled": true, "groupTypes": []any{"DynamicMembership"}, "membershipRule": `(user.department -eq "Sales")`}, 201)
	gid := str(g["id"])
	if err := s.Tenant().SeedLink("group", gid, "members", users[0]); err != nil { // the rule's doing
		t.Fatal(err)
	}
	wantError(t, s, "POST", "/v1.0/groups/"+gid+"/members/$ref", ref(users[1]), 400, msgDynamicMembers)
	wantError(t, s, "DELETE", "/v1.0/groups/"+gid+"/members/"+users[0]+"/$ref", nil, 400, msgDynamicMembers)
	// The rule itself, the description and the owners are written.
	if code, raw := genDo(t, s, "PATCH", "/v1.0/groups/"+gid, map[string]any{"membershipRule": `(user.department -eq "Legal")`, "description": "d"}); code != 204 {
		t.Errorf("PATCH rule: %d %s", code, raw)
	}
	if code, raw := genDo(t, s, "POST", "/v1.0/groups/"+gid+"/owners/$ref", ref(users[1])); code != 204 {
		t.Errorf("owner add: %d %s", code, raw)
	}

	au := genJSON(t, s, "POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": "Dyn AU",
		"membershipType": "Dynamic", "membershipRule": `(user.country -eq "US")`, "membershipRuleProcessingState": "On"}, 201)
	aid := str(au["id"])
	if err := s.Tenant().SeedLink("administrativeUnit", aid, "members", users[0]); err != nil {
		t.Fatal(err)
	}
	wantError(t, s, "POST", "/v1.0/directory/administrativeUnits/"+aid+"/members/$ref", ref(users[1]), 400, msgDynamicAU)
	wantError(t, s, "DELETE", "/v1.0/directory/administrativeUnits/"+aid+"/members/"+users[0]+"/$ref", nil, 400, msgDynamicAU)
	// An assigned unit takes members.
	au2 := genJSON(t, s, "POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": "AU"}, 201)
	if code, raw := genDo(t, s, "POST", "/v1.0/directory/administrativeUnits/"+str(au2["id"])+"/members/$ref", ref(users[1])); code != 204 {
		t.Errorf("assigned unit member add: %d %s", code, raw)
	}
}

func TestLastOwnerOfAnyGroupStays(t *testing.T) {
	s, users := gwServer(t)
	for _, body := range []map[string]any{
		{"displayName": "Sec", "mailNickname": "sec", "mailEnabled": false, "securityEnabled": true, "groupTypes": []any{}},
		{"displayName": "M365", "mailNickname": "m365", "mailEnabled": true, "securityEnabled": false, "groupTypes": []any{"Unified"}},
	} {
		g := genJSON(t, s, "POST", "/v1.0/groups", body, 201)
		id := str(g["id"])
		for _, u := range users[:2] {
			if code, raw := genDo(t, s, "POST", "/v1.0/groups/"+id+"/owners/$ref", ref(u)); code != 204 {
				t.Fatalf("owner add: %d %s", code, raw)
			}
		}
		if code, raw := genDo(t, s, "DELETE", "/v1.0/groups/"+id+"/owners/"+users[0]+"/$ref", nil); code != 204 {
			t.Errorf("%s: removing one of two owners: %d %s", body["displayName"], code, raw)
		}
		wantError(t, s, "DELETE", "/v1.0/groups/"+id+"/owners/"+users[1]+"/$ref", nil, 400, msgLastOwner)
	}
}

func TestCreateWithoutItsKeyIsRefused(t *testing.T) {
	s, _ := gwServer(t)
	wantError(t, s, "POST", "/v1.0/policies/crossTenantAccessPolicy/partners",
		map[string]any{"inboundTrust": map[string]any{"isMfaAccepted": true}}, 400, "A value is required for property 'tenantId'")
	wantError(t, s, "POST", "/v1.0/groupSettings",
		map[string]any{"values": []any{map[string]any{"name": "EnableGroupCreation", "value": "false"}}}, 400, "A value is required for property 'templateId'")
}
