package graphsim

import "testing"

// Per-user MFA state: beta only, read as disabled until set, PATCHed with
// one of its three values only.
func TestPerUserMFAState(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	var enforced, plain string
	for _, u := range e.s.Tenant().List("user") {
		id := str(u["id"])
		switch e.s.Tenant().MFAState(id) {
		case "enforced":
			enforced = id
		case "disabled":
			plain = id
		}
	}
	if enforced == "" || plain == "" {
		t.Fatal("the demo tenant has no enforced and no disabled per-user MFA")
	}
	req := "/beta/users/" + enforced + "/authentication/requirements"
	if got := e.do("GET", req, nil).must(t, 200).body["perUserMfaState"]; got != "enforced" {
		t.Errorf("perUserMfaState %v", got)
	}
	e.do("GET", "/v1.0/users/"+enforced+"/authentication/requirements", nil).must(t, 400)
	if u := e.do("GET", "/beta/users/"+enforced, nil).must(t, 200); u.body["perUserMfaState"] != nil || u.raw != "" && containsStr(u.raw, "held:") {
		t.Errorf("the state leaks into the user: %s", u.raw)
	}
	e.do("PATCH", "/beta/users/"+plain+"/authentication/requirements", map[string]any{"perUserMfaState": "enabled"}).must(t, 204)
	if got := e.do("GET", "/beta/users/"+plain+"/authentication/requirements", nil).must(t, 200).body["perUserMfaState"]; got != "enabled" {
		t.Errorf("after PATCH: %v", got)
	}
	e.do("PATCH", "/beta/users/"+plain+"/authentication/requirements", map[string]any{"perUserMfaState": "on"}).must(t, 400)
	e.do("PATCH", "/beta/users/"+plain+"/authentication/requirements", map[string]any{"perUserMfaState": "enabled", "x": 1}).must(t, 400)
	e.do("GET", "/beta/users/00000000-0000-4000-8000-000000000000/authentication/requirements", nil).must(t, 404)
}

// Reading takes Policy.Read.All, writing Policy.ReadWrite.AuthenticationMethod.
func TestPerUserMFAStatePermissions(t *testing.T) {
	e := newAuthzEnv(t)
	u := str(e.s.Tenant().List("user")[0]["id"])
	p := "/beta/users/" + u + "/authentication/requirements"
	e.want(e.token("a", "User.Read.All"), "GET", p, nil, 403)
	e.want(e.token("b", "Policy.Read.All"), "GET", p, nil, 200)
	e.want(e.token("c", "Policy.Read.All"), "PATCH", p, map[string]any{"perUserMfaState": "enforced"}, 403)
	e.want(e.token("d", "Policy.ReadWrite.AuthenticationMethod"), "PATCH", p, map[string]any{"perUserMfaState": "enforced"}, 204)
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// SeedPerObject (the rehearsal loader's) stores what the PATCH would, and
// refuses what the PATCH refuses.
func TestSeedPerObjectMFAState(t *testing.T) {
	s, err := New(Options{Profile: "empty", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tn := s.Tenant()
	id, err := tn.Seed("user", map[string]any{"displayName": "u", "userPrincipalName": "u@" + tn.Domain()})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.SeedPerObject("user", id, "authentication/requirements", map[string]any{"id": id, "@odata.type": "#microsoft.graph.strongAuthenticationRequirements", "perUserMfaState": "enforced"}); err != nil {
		t.Fatal(err)
	}
	if st := tn.MFAState(id); st != "enforced" {
		t.Errorf("state %q, want enforced", st)
	}
	for what, c := range map[string]struct {
		kind, id, rel string
		obj           map[string]any
	}{
		"a state Graph does not take": {"user", id, "authentication/requirements", map[string]any{"perUserMfaState": "on"}},
		"no state":                    {"user", id, "authentication/requirements", map[string]any{}},
		"another property":            {"user", id, "authentication/requirements", map[string]any{"perUserMfaState": "enabled", "x": 1}},
		"no such user":                {"user", "00000000-0000-4000-8000-000000000000", "authentication/requirements", map[string]any{"perUserMfaState": "enabled"}},
		"no such entity":              {"user", id, "authentication/methods", map[string]any{"perUserMfaState": "enabled"}},
		"another kind":                {"group", id, "authentication/requirements", map[string]any{"perUserMfaState": "enabled"}},
		"no such kind":                {"nope", id, "authentication/requirements", map[string]any{"perUserMfaState": "enabled"}},
	} {
		if err := tn.SeedPerObject(c.kind, c.id, c.rel, c.obj); err == nil {
			t.Errorf("%s: no error", what)
		}
	}
	if st := tn.MFAState(id); st != "enforced" {
		t.Errorf("state %q after refused seeds, want enforced", st)
	}
}
