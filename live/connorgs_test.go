package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// Connected organizations' internal and external sponsors are read as the
// other per-object children are: items of $batch envelopes (20 a piece),
// never one request per organization and sponsor kind; under realistic
// throttling the kind is complete, and each organization's
// sponsors are those Graph lists (a name with hostile text included).
func TestConnectedOrganizationSponsorsReadThroughBatch(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Throttle: "realistic"})
	var direct, envelopes atomic.Int64
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/$batch"):
			envelopes.Add(1)
		case strings.Contains(r.URL.Path, "Sponsors"):
			direct.Add(1)
		}
		sim.ServeHTTP(w, r)
	}))
	c := simtest.Client(t, sim, srv, "")
	const path = "/v1.0/identityGovernance/entitlementManagement/connectedOrganizations"
	users, err := c.ListObjects(context.Background(), "/v1.0/users?$select=id&$top=30")
	if err != nil || len(users) < 25 {
		t.Fatalf("users: %d %v", len(users), err)
	}
	want := map[string]string{} // org id → its internal sponsor
	for i := range 24 {
		name := fmt.Sprintf("Partner %02d \u202e\"../x\"\n", i)
		resp, err := c.Do(context.Background(), "POST", path, map[string]any{"displayName": name, "state": "configured",
			"identitySources": []any{map[string]any{"@odata.type": "#microsoft.graph.domainIdentitySource",
				"domainName": fmt.Sprintf("partner%02d.example", i), "displayName": name}}})
		if err != nil {
			t.Fatal(err)
		}
		var created struct{ ID string }
		if err := json.Unmarshal(resp.Body, &created); err != nil || created.ID == "" {
			t.Fatalf("created %s: %v", resp.Body, err)
		}
		org := created.ID
		sponsor, _ := users[i]["id"].(string)
		if _, err := c.Do(context.Background(), "POST", path+"/"+org+"/internalSponsors/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + sponsor}); err != nil {
			t.Fatal(err)
		}
		want[org] = sponsor
	}
	direct.Store(0)
	envelopes.Store(0)
	k, _ := layout.Lookup("connected-organizations")
	lv, err := Read(context.Background(), ReadOptions{Client: c, Kinds: []*layout.Kind{k}})
	if err != nil {
		t.Fatal(err)
	}
	if r := lv.Kinds[0]; !r.Complete || r.Objects != 25 {
		t.Fatalf("connected organizations: %+v", r)
	}
	if n := direct.Load(); n != 0 {
		t.Errorf("%d sponsor lists read outside $batch", n)
	}
	// 25 organizations × 2 sponsor lists = 50 items: 3 envelopes, more only
	// for the items throttling made retry.
	if n := envelopes.Load(); n < 3 {
		t.Errorf("%d $batch envelopes for 50 sponsor lists, want at least 3", n)
	}
	for org, sponsor := range want {
		var file []byte
		for p, b := range lv.Files {
			if strings.Contains(string(b), org) && strings.HasPrefix(p, k.Folder+"/") {
				file = b
			}
		}
		obj, err := layout.Decode(file)
		if err != nil {
			t.Fatalf("org %s: %v", org, err)
		}
		got := fmt.Sprint(obj["internalSponsors"])
		if !strings.Contains(got, sponsor) || fmt.Sprint(obj["externalSponsors"]) != "[]" {
			t.Errorf("org %s: internal %v, external %v; want internal %s", org, obj["internalSponsors"], obj["externalSponsors"], sponsor)
		}
	}
}
