package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

// The directory setting that allows only one group to create Microsoft 365
// groups names that group by id in a value. After the group is purged and
// recreated with a new id, the setting is restored naming the new group,
// not the id Graph no longer knows.
func TestRecreatedGroupRemappedInDirectorySetting(t *testing.T) {
	whenShortOnly(t, "group-assignment-schedules", "groups", "time-bound-role-assignments")
	e := newEnv(t, graphsim.Options{}, nil)
	var setting map[string]any
	gid := ""
	for _, s := range e.list("/v1.0/groupSettings") {
		for _, v := range asSlice(s["values"]) {
			m, _ := v.(map[string]any)
			if str(m["name"]) == "GroupCreationAllowedGroupId" && str(m["value"]) != "" {
				setting, gid = s, str(m["value"])
			}
		}
	}
	if setting == nil {
		t.Fatal("the demo tenant has no setting naming a group")
	}
	e.do("DELETE", "/v1.0/groups/"+gid, nil)
	e.sim.Clock().Advance(31 * 24 * time.Hour)
	e.recordIncident()
	sel := []string{gid, "group-settings"}
	p := e.plan(e.first, sel, Options{})
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, render(p))
	}
	newID, ok := res.IDs.Resolve(gid)
	if !ok || strings.EqualFold(newID, gid) {
		t.Fatalf("id map %+v", res.IDs)
	}
	got := e.get("/v1.0/groupSettings/" + str(setting["id"]))
	named := ""
	for _, v := range asSlice(got["values"]) {
		m, _ := v.(map[string]any)
		if str(m["name"]) == "GroupCreationAllowedGroupId" {
			named = str(m["value"])
		}
	}
	if !strings.EqualFold(named, newID) {
		t.Errorf("the setting names %q, want the recreated group %s\n%s", named, newID, render(p))
	}
	e.mustBeEmpty(sel, Options{})
}
