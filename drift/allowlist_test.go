package drift

import (
	"context"
	"slices"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// A baseline exported with the user allow-list (.entrasnap/config.yaml
// users.keepProperties) is compared with live users made by the same list:
// the properties it excludes never show as drift, and a change of a kept
// one still does.
func TestDriftAppliesTheBaselinesUserAllowList(t *testing.T) {
	ctx := context.Background()
	sim := simtest.New(t, graphsim.Options{})
	srv := simtest.Serve(t, sim)
	c := simtest.Client(t, sim, srv, sim.Token())
	repo := simtest.Repo(t, false)
	users, _ := layout.Lookup("users")
	cfg := []byte("users:\n  keepProperties: [department]\n")
	res, err := exporter.Run(ctx, exporter.Options{Client: c, Repo: repo, Kinds: []*layout.Kind{users}, Message: "allow-list",
		Now: sim.Clock().Now, Files: map[string][]byte{layout.ConfigPath: cfg}})
	if err != nil || !res.Complete() {
		t.Fatalf("export with the allow-list: %v %+v", err, res)
	}
	var got []string
	o := Options{Repo: repo, RepoDir: "./r", Baseline: "HEAD", Read: func(ctx context.Context, keep []string) (*live.Live, error) {
		got = keep
		return live.Read(ctx, live.ReadOptions{Client: c, Kinds: []*layout.Kind{users}, UserProperties: keep})
	}}
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, "department") || slices.Contains(got, "jobTitle") {
		t.Errorf("Read was given the allow-list %v, want the baseline's (department and the always-kept properties)", got)
	}
	if !rep.Critical.Empty() || !rep.Other.Empty() {
		t.Fatalf("an unchanged tenant shows drift under the allow-list: %+v %+v", rep.Critical.Changes, rep.Other.Changes)
	}

	// A change of a kept property is drift; one of an excluded property is not.
	var id string
	all, err := c.ListObjects(ctx, "/v1.0/users?$select=id,department,jobTitle")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range all {
		if u["department"] != nil && u["jobTitle"] != nil {
			id, _ = u["id"].(string)
			break
		}
	}
	if id == "" {
		t.Fatal("no demo user with a department and a job title")
	}
	for _, body := range []map[string]any{{"jobTitle": "Changed \u202e title\r"}, {"department": "Changed"}} {
		if _, err := c.Patch(ctx, "/v1.0/users/"+id, body); err != nil {
			t.Fatal(err)
		}
		rep, err = Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		n := len(rep.Critical.Changes) + len(rep.Other.Changes)
		want := 1
		if _, excluded := body["jobTitle"]; excluded {
			want = 0
		}
		if n != want {
			t.Errorf("after %s: %d changed objects, want %d: %+v", body, n, want, rep.Critical.Changes)
		}
	}
}
