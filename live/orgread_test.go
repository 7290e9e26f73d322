package live

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// An app without Organization.Read.All is refused GET /organization once:
// the tenant check's 403 (preflight) is the organization kind's answer
// too, as a 200 is, and the branding kinds' when the token holds no tid
// claim to take the organization's id from (graphsim's own token is
// opaque), not two more requests refused alike. Both kinds are incomplete
// and name the permission.
func TestOrganizationIsReadOnceAfterA403(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Seed: 1})
	var orgReads atomic.Int64
	deny := simtest.Deny(sim, func(r *http.Request) bool { return r.URL.Path == "/v1.0/organization" })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0/organization" {
			orgReads.Add(1)
		}
		deny.ServeHTTP(w, r)
	})
	lv, _ := readKinds(t, sim, h, "organization", "branding")
	if n := orgReads.Load(); n != 1 {
		t.Errorf("GET /organization was sent %d times, want 1", n)
	}
	if len(lv.Kinds) != 2 {
		t.Fatalf("%d kind results, want 2", len(lv.Kinds))
	}
	for _, kr := range lv.Kinds {
		if kr.Complete || kr.Err == nil || !strings.Contains(kr.Err.Error(), "403") || !slices.Contains(kr.Permissions, "Organization.Read.All") {
			t.Errorf("%s: complete %v, error %v, permissions %v; want incomplete, refused, naming Organization.Read.All", kr.Kind, kr.Complete, kr.Err, kr.Permissions)
		}
	}
}
