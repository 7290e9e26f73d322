package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// Devices and organizational contacts in groups (the demo tenant has two
// devices in "Engineering - All" and a contact in "Corporate Functions"):
// the export keeps them as references ({id, @odata.type}); devices are not
// backed up, contacts are only as the export-only kind
// organizational-contacts; restore adds them back as members when they
// still exist, and says so and goes on when one is gone.
func TestRestoreGroupDeviceAndContactMembers(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	snap := e.snapshotObjects(e.first)
	var eng, corp *Object
	for p, o := range snap {
		if strings.HasPrefix(p, "devices/") || o.Kind.Name != "organizational-contacts" && strings.HasPrefix(p, "contacts/") {
			t.Errorf("%s: devices are not exported as objects, contacts only as organizational-contacts", p)
		}
		if o.Kind.Name == "groups" {
			switch o.Data["displayName"] {
			case "Engineering - All":
				eng = o
			case "Corporate Functions":
				corp = o
			}
		}
	}
	if eng == nil || corp == nil {
		t.Fatal("the demo groups Engineering - All and Corporate Functions are not in the snapshot")
	}
	typed := func(o *Object, typ string) []string {
		var ids []string
		for _, m := range asSlice(o.Data["members"]) {
			mm := m.(map[string]any)
			if mm["@odata.type"] == typ {
				if len(mm) != 2 {
					t.Errorf("%s member %v: want {id, @odata.type} only", o.Data["displayName"], mm)
				}
				ids = append(ids, str(mm["id"]))
			}
		}
		return ids
	}
	devices, contacts := typed(eng, "#microsoft.graph.device"), typed(corp, "#microsoft.graph.orgContact")
	if len(devices) != 2 || len(contacts) != 1 {
		t.Fatalf("exported members: devices %v in %s, contacts %v in %s", devices, eng.Path, contacts, corp.Path)
	}

	// Taken out of their groups: every user, group and service principal
	// is read, and the device and the contact are still added back (they
	// are not among the objects read, and not gone).
	e.do("DELETE", "/v1.0/groups/"+eng.Key+"/members/"+devices[0]+"/$ref", nil)
	e.do("DELETE", "/v1.0/groups/"+corp.Key+"/members/"+contacts[0]+"/$ref", nil)
	sel := []string{"users", "groups", "service-principals"}
	p := e.plan(e.first, sel, Options{})
	var adds []string
	for _, a := range p.Actions {
		if a.Op != OpAddLink {
			t.Errorf("unexpected action %s %s %s %s", a.Op, a.Kind, a.Name, a.Request.Path)
			continue
		}
		adds = append(adds, a.Target)
		if !strings.HasSuffix(str(bodyOf(t, a)["@odata.id"]), "/v1.0/directoryObjects/"+a.Target) || !strings.HasSuffix(a.Request.Path, "/members/$ref") {
			t.Errorf("add-link %s: %s %s", a.Target, a.Request.Path, a.Request.Body)
		}
	}
	if strings.Join(adds, ",") != devices[0]+","+contacts[0] && strings.Join(adds, ",") != contacts[0]+","+devices[0] {
		t.Fatalf("adds %v, want the device %s and the contact %s:\n%s", adds, devices[0], contacts[0], render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("apply: %+v %+v", res.Actions, res.Differences)
	}
	e.mustBeEmpty(sel, Options{})

	// The other device is deleted (for good: devices have no recycle
	// bin) and taken out of the group: the plan says so for that member
	// and restores the rest.
	e.do("DELETE", "/v1.0/groups/"+eng.Key+"/members/"+devices[0]+"/$ref", nil)
	e.do("DELETE", "/v1.0/devices/"+devices[1], nil)
	for _, s := range [][]string{{eng.Path}, sel} {
		p = e.plan(e.first, s, Options{})
		if opList(p) != "add-link" || p.Actions[0].Target != devices[0] {
			t.Errorf("%v: want the one device that exists added back:\n%s", s, render(p))
		}
		w := strings.Join(p.Warnings, "\n")
		if !strings.Contains(w, "device "+devices[1]) || !strings.Contains(w, "no longer exists and was not added back") {
			t.Errorf("%v: the plan does not say the deleted device is skipped: %v", s, p.Warnings)
		}
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("apply with a deleted device: %+v %+v", res.Actions, res.Differences)
	}
}
