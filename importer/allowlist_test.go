package importer

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// With the user allow-list (.entrasnap/config.yaml users.keepProperties)
// a user's file holds only the listed properties (and the few always
// kept), every later export keeps to it, and a restore of the user writes
// the listed properties back and never touches the excluded ones.
func TestUserAllowListExportAndRestore(t *testing.T) {
	whenShortOnly(t, "users")
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	cfg := []byte("users:\n  keepProperties: [department, usageLocation, assignedLicenses]\n")
	res, err := exporter.Run(ctx, exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "allow-list",
		Files: map[string][]byte{layout.ConfigPath: cfg}})
	if err != nil || !res.Complete() {
		t.Fatalf("export with the allow-list: %v %+v", err, res)
	}
	base := res.Tag
	// The first cloud-only member with a department, by path: the
	// snapshot's objects are a map, and a synced user (whose department
	// Graph refuses to change: it is mastered on premises) must not be
	// picked by chance.
	var user *Object
	objs := e.snapshotObjects(base)
	for _, path := range slices.Sorted(maps.Keys(objs)) {
		o := objs[path]
		if o.Kind.Name == "users" && o.Data["department"] != nil && o.Data["userType"] == "Member" && o.Data["onPremisesSyncEnabled"] != true {
			user = o
			break
		}
	}
	if user == nil {
		t.Fatal("no cloud-only member user with a department at the allow-list snapshot")
	}
	for p := range user.Data {
		if !contains([]string{"department", "usageLocation", "assignedLicenses"}, p) && !contains(layout.UserPropertiesAlwaysKept, p) {
			t.Errorf("%s holds %s, which the allow-list excludes", user.Path, p)
		}
	}
	live := e.get("/v1.0/users/" + user.Key + "?$select=jobTitle,mobilePhone,department")
	if live["jobTitle"] == nil {
		t.Fatalf("the demo user has no jobTitle to leave alone: %v", live)
	}
	e.do("PATCH", "/v1.0/users/"+user.Key, map[string]any{"department": "Changed", "jobTitle": "Changed title", "mobilePhone": "+1 555 0100"})
	e.recordIncident() // a later export keeps to the committed allow-list
	head := e.snapshotObjects("HEAD")
	if after := head[user.Path]; after == nil || after.Data["jobTitle"] != nil || after.Data["department"] != "Changed" {
		t.Fatalf("the next export: %v", after)
	}

	p := e.plan(base, []string{user.Path}, Options{})
	if len(p.Actions) != 1 || !strings.Contains(string(p.Actions[0].Request.Body), "department") ||
		strings.Contains(string(p.Actions[0].Request.Body), "jobTitle") || strings.Contains(string(p.Actions[0].Request.Body), "mobilePhone") {
		t.Fatalf("plan:\n%s", render(p))
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	got := e.get("/v1.0/users/" + user.Key + "?$select=jobTitle,mobilePhone,department")
	if got["department"] != user.Data["department"] || got["jobTitle"] != "Changed title" || got["mobilePhone"] != "+1 555 0100" {
		t.Errorf("after the restore: %v (department at the snapshot %v)", got, user.Data["department"])
	}
	if p := e.plan(base, []string{user.Path}, Options{}); !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}

	// A setting entrasnap does not know stops the export, naming it.
	_, err = exporter.Run(ctx, exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock,
		Files: map[string][]byte{layout.ConfigPath: []byte("users:\n  keepProperties: [department, password]\n")}})
	if err == nil || !strings.Contains(err.Error(), `"password" is not a user property`) {
		t.Errorf("a bad allow-list: %v", err)
	}
}
