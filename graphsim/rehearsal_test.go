package graphsim

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestRehearsalTenantMarksEveryAnswer: a rehearsal's server (Options.
// Rehearsal) names its instance in X-Graphsim-Rehearsal on every answer:
// a read, a write, Graph's errors (unknown path, bad version, bad token),
// a $batch envelope, the token endpoint and /_graphsim; each Server is
// another instance; a server that is not a rehearsal's sends no such
// header, and the tenant answers the same either way.
func TestRehearsalTenantMarksEveryAnswer(t *testing.T) {
	e := newCoreEnv(t, Options{Rehearsal: true, Throttle: "realistic"})
	inst := e.s.RehearsalInstance()
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(inst) {
		t.Fatalf("RehearsalInstance %q: want 32 lower-case hexadecimal digits", inst)
	}
	if RehearsalHeader != "X-Graphsim-Rehearsal" {
		t.Fatalf("RehearsalHeader is %q: doc.go and the product name X-Graphsim-Rehearsal", RehearsalHeader)
	}
	plain := newCoreEnv(t, Options{Throttle: "realistic"})
	if plain.s.RehearsalInstance() != "" {
		t.Fatalf("a server that is not a rehearsal's has instance %q", plain.s.RehearsalInstance())
	}
	other := newCoreEnv(t, Options{Rehearsal: true})
	if other.s.RehearsalInstance() == inst {
		t.Fatal("two rehearsal servers share an instance")
	}
	name := "Rehearsal \"group\" \u202e\n🙂 ../x"
	type call struct {
		what, method, path string
		body               any
		hdr                []string
		status             int
	}
	calls := []call{
		{"read", "GET", "/v1.0/organization?$select=id", nil, nil, 200},
		{"create", "POST", "/v1.0/groups", map[string]any{"displayName": name, "mailEnabled": false, "mailNickname": "rehearsal", "securityEnabled": true}, nil, 201},
		{"unknown path", "GET", "/v1.0/nothingHere", nil, nil, 400},
		{"bad version", "GET", "/v9/users", nil, nil, 400},
		{"bad token", "GET", "/v1.0/users", nil, []string{"Authorization", "Bearer nope"}, 401},
		{"batch", "POST", "/v1.0/$batch", map[string]any{"requests": []any{map[string]any{"id": "1", "method": "GET", "url": "/users?$top=1"}}}, nil, 200},
		{"token endpoint", "POST", "/" + e.s.TenantID() + "/oauth2/v2.0/token", "grant_type=client_credentials", []string{"Content-Type", "application/x-www-form-urlencoded"}, 0},
		{"control", "GET", "/_graphsim/stats", nil, nil, 0},
	}
	for _, c := range calls {
		for _, env := range []*coreEnv{e, plain} {
			r := env.do(c.method, c.path, c.body, c.hdr...)
			if c.status != 0 && r.status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.what, r.status, c.status, r.raw)
			}
			got := r.header.Values(RehearsalHeader)
			switch {
			case env == e && (len(got) != 1 || got[0] != inst):
				t.Errorf("%s (%d): %s %q, want %q", c.what, r.status, RehearsalHeader, got, inst)
			case env == plain && len(got) != 0:
				t.Errorf("%s on a server that is not a rehearsal's: %s %q", c.what, RehearsalHeader, got)
			}
		}
	}
	// The tenant answers as Graph does: the group's name exactly as sent.
	r := e.do("GET", "/v1.0/groups?$filter="+urlq("mailNickname eq 'rehearsal'")+"&$select=displayName", nil).must(t, http.StatusOK)
	if v, _ := r.body["value"].([]any); len(v) != 1 || v[0].(map[string]any)["displayName"] != name {
		t.Errorf("the group as read back: %s", r.raw)
	}
	if strings.Contains(r.raw, inst) {
		t.Errorf("the instance appears in a body: %s", r.raw)
	}
	// Saved and loaded (graphsim --from-repo --save, then --load): the
	// same instance, still marked; a tenant that is not a rehearsal's
	// stays unmarked; a saved instance that is not one is refused.
	var saved, plainSaved bytes.Buffer
	if err := e.s.Tenant().Save(&saved); err != nil {
		t.Fatal(err)
	}
	if err := plain.s.Tenant().Save(&plainSaved); err != nil {
		t.Fatal(err)
	}
	loaded, err := New(Options{State: bytes.NewReader(saved.Bytes())})
	if err != nil || loaded.RehearsalInstance() != inst {
		t.Fatalf("a saved rehearsal's tenant loaded: %v, instance %q (want %q)", err, loaded.RehearsalInstance(), inst)
	}
	if loadedPlain, err := New(Options{State: bytes.NewReader(plainSaved.Bytes())}); err != nil || loadedPlain.RehearsalInstance() != "" {
		t.Fatalf("a saved tenant that is not a rehearsal's, loaded: %v %q", err, loadedPlain.RehearsalInstance())
	}
	bad := bytes.Replace(saved.Bytes(), []byte(`"rehearsal":"`+inst+`"`), []byte(`"rehearsal":"../`+inst[3:]+`"`), 1)
	if bytes.Equal(bad, saved.Bytes()) {
		t.Fatal("the saved tenant does not hold the instance")
	}
	if _, err := New(Options{State: bytes.NewReader(bad)}); err == nil || !strings.Contains(err.Error(), "rehearsal") {
		t.Errorf("a saved rehearsal instance that is not one: %v", err)
	}
}
