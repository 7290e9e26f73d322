package graphsim

import (
	"net/http"
	"strings"
	"testing"
)

// routeBenchPaths are paths export and restore request most: a
// Conditional Access policy, an authentication strength below
// /identity/conditionalAccess, a user and a group's members.
var routeBenchPaths = []string{
	"identity/conditionalAccess/policies/7e1c9a2b-0000-4000-8000-000000000001",
	"identity/conditionalAccess/authenticationStrength/policies",
	"users/7e1c9a2b-0000-4000-8000-000000000002",
	"groups/7e1c9a2b-0000-4000-8000-000000000003/members/$ref",
}

// BenchmarkRoute measures parsing a request path into a route (once per
// request, $batch items too).
func BenchmarkRoute(b *testing.B) {
	s, err := New(Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]*request, len(routeBenchPaths))
	for i, p := range routeBenchPaths {
		reqs[i] = &request{method: http.MethodGet, version: "v1.0", path: p}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, aerr := s.route(reqs[i%len(reqs)]); aerr != nil {
			b.Fatal(aerr.Message)
		}
	}
}

// The route of every kind's path says whether it is below
// /identity/conditionalAccess (throttleScope charges such a path to
// Conditional Access), whatever the case of the request: the table
// computes it once per path, not per request.
func TestRouteCAPath(t *testing.T) {
	s, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range kinds {
		for _, p := range k.Paths {
			if strings.Contains(p, "{") {
				continue
			}
			want := strings.HasPrefix(strings.ToLower(p), "identity/conditionalaccess/")
			for _, path := range []string{p, strings.ToUpper(p[:1]) + p[1:]} {
				rt, aerr := s.route(&request{method: http.MethodGet, version: "beta", path: path})
				if aerr != nil {
					t.Fatalf("route %s: %s", path, aerr.Message)
				}
				if rt.kind != k || rt.caPath != want {
					t.Errorf("%s: kind %v, below /identity/conditionalAccess %v; want %s, %v", path, rt.kind.Name, rt.caPath, k.Name, want)
				}
			}
			if want {
				n++
			}
		}
	}
	if n < 3 {
		t.Errorf("%d kind paths below /identity/conditionalAccess, want at least 3 (policies, named locations, authentication strengths)", n)
	}
}
