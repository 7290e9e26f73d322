package live

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// A catalog's resources are read below it (one $batch for the catalogs),
// an access package's resource role scopes with its GET's $expand (one
// $batch for the packages: Graph does not expand them on the list), both
// without Graph's timestamps; realistic throttling and faults change
// nothing of what is read.
func TestCatalogResourcesAndRoleScopesRead(t *testing.T) {
	for _, opts := range []graphsim.Options{{}, {Throttle: "realistic", FaultRate: 0.1, Seed: 3}} {
		sim := simtest.New(t, opts)
		lv, _ := readKinds(t, sim, sim, "access-package-catalogs", "access-packages")
		for _, r := range lv.Kinds {
			if !r.Complete || r.Objects == 0 {
				t.Fatalf("%s: %+v", r.Kind, r)
			}
			// The list, then one $batch of the children (under faults a
			// retried request counts once here: the client retries).
			if opts.FaultRate == 0 && r.Requests != 2 {
				t.Errorf("%s: %d requests, want 2 (the list and one $batch)", r.Kind, r.Requests)
			}
		}
		var catalog, pkg map[string]any
		for name, b := range lv.Files {
			o, err := layout.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case strings.HasPrefix(name, "governance/entitlement/catalogs/finance-and-partner-access."):
				catalog = o
			case strings.HasPrefix(name, "governance/entitlement/access-packages/finance-tools."):
				pkg = o
			}
		}
		if catalog == nil || pkg == nil {
			t.Fatalf("files: %v", fileNames(lv.Files))
		}
		res, _ := catalog["resources"].([]any)
		if len(res) != 2 {
			t.Fatalf("catalog resources: %v", catalog["resources"])
		}
		systems := map[string]bool{}
		for _, x := range res {
			m := x.(map[string]any)
			systems[m["originSystem"].(string)] = true
			if _, ok := m["createdDateTime"]; ok {
				t.Errorf("resource keeps createdDateTime: %v", m)
			}
			if _, ok := m["roles"]; ok {
				t.Errorf("resource keeps Graph's roles: %v", m)
			}
		}
		if !systems["AadGroup"] || !systems["AadApplication"] {
			t.Errorf("resource origin systems: %v", systems)
		}
		rss, _ := pkg["resourceRoleScopes"].([]any)
		if len(rss) != 2 {
			t.Fatalf("role scopes: %v", pkg["resourceRoleScopes"])
		}
		for _, x := range rss {
			m := x.(map[string]any)
			role, _ := m["role"].(map[string]any)
			scope, _ := m["scope"].(map[string]any)
			if role["originId"] == nil || scope["originId"] == nil || m["createdDateTime"] != nil {
				t.Errorf("role scope: %v", m)
			}
		}
	}
}
