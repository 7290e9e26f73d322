package graphsim

import "testing"

// The Conditional Access recycle bin is served under /beta only and refuses
// app-only tokens (every graphsim token) unless the server models a Graph
// that allows them.
func TestCARecycleBinBetaOnlyAndNotAppOnly(t *testing.T) {
	policy := blockPolicy()
	for _, allow := range []bool{false, true} {
		e := newCoreEnv(t, Options{CARecycleBinAppOnly: allow})
		pid := str(e.do("POST", "/v1.0/identity/conditionalAccess/policies", policy).must(t, 201).body["id"])
		e.do("DELETE", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 204)
		// Not in v1.0, whatever the token.
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1.0/identity/conditionalAccess/deletedItems/policies"},
			{"GET", "/v1.0/identity/conditionalAccess/deletedItems/namedLocations"},
			{"GET", "/v1.0/identity/conditionalAccess/deletedItems/policies/" + pid},
			{"POST", "/v1.0/identity/conditionalAccess/deletedItems/policies/" + pid + "/restore"},
		} {
			r := e.do(c.method, c.path, nil).must(t, 400)
			if er, _ := r.body["error"].(map[string]any); er["message"] != "Resource not found for the segment 'deletedItems'." {
				t.Errorf("%s %s: %s", c.method, c.path, r.raw)
			}
		}
		beta := []struct{ method, path string }{
			{"GET", "/beta/identity/conditionalAccess/deletedItems/policies"},
			{"GET", "/beta/identity/conditionalAccess/deletedItems/namedLocations"},
			{"GET", "/beta/identity/conditionalAccess/deletedItems/policies/" + pid},
			{"POST", "/beta/identity/conditionalAccess/deletedItems/policies/" + pid + "/restore"},
		}
		for _, c := range beta {
			if allow {
				e.do(c.method, c.path, nil).must(t, 200)
				continue
			}
			r := e.do(c.method, c.path, nil).must(t, 403)
			er, _ := r.body["error"].(map[string]any)
			if er["code"] != "AccessDenied" || er["message"] != msgCAScopes {
				t.Errorf("app-only %s %s: %s", c.method, c.path, r.raw)
			}
		}
		want := 404
		if allow {
			want = 200 // restored
		}
		e.do("GET", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, want)
	}
}

// blockPolicy is a disabled Conditional Access policy that blocks everyone
// from every application: the smallest body Graph takes.
func blockPolicy() map[string]any {
	return map[string]any{
		"displayName": "Block legacy", "state": "disabled",
		"conditions": map[string]any{
			"users":        map[string]any{"includeUsers": []string{"All"}},
			"applications": map[string]any{"includeApplications": []string{"All"}},
		},
		"grantControls": map[string]any{"operator": "OR", "builtInControls": []string{"block"}},
	}
}
