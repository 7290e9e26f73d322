package importer

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// A person holding Attribute Assignment Reader scoped to the attribute set
// HR only (and Directory Readers, to list their role assignments) exports
// users' values signed in: Graph answers HR's values alone and leaves
// DataProtection out (graphsim/user_csa.go, "scoped to an attribute set").
// The export writes HR's values as Graph has them now (a hostile value set
// since included), keeps every other set's values as the previous
// snapshot holds them (a DataProtection change since is not read, and not
// recorded as a removal), and warns naming the set read and the sets kept.
// Without a role that lists role assignments the sets cannot be told: the
// kind is refused (carried forward), saying so. Under realistic
// throttling, faults and lag too (not with -short).
func TestUserSecurityAttributesSetScopedReaderExport(t *testing.T) {
	o := realisticSim()
	if testing.Short() {
		o = graphsim.Options{}
	}
	e := newEnv(t, o, nil)
	ctx := context.Background()
	tn := e.sim.Tenant()
	k, _ := layout.Lookup(csaKind)
	base, files := e.exportCSA()
	var both string
	for _, f := range files {
		v, _ := f.Data["customSecurityAttributes"].(map[string]any)
		if v["HR"] != nil && v["DataProtection"] != nil {
			both = f.Key
			break
		}
	}
	if both == "" {
		t.Fatal("the demo tenant has no user with HR and DataProtection values")
	}
	// Since the snapshot: HR changed (read now), DataProtection changed (not readable).
	hostile := "Ré\"sumé'\n\u202e../🚀"
	e.doTolerant("PATCH", "/v1.0/users/"+both, map[string]any{"customSecurityAttributes": map[string]any{
		"HR":             map[string]any{"@odata.type": csaWriteType, "CostCenter": hostile},
		"DataProtection": map[string]any{"@odata.type": csaWriteType, "Clearance": "Public"}}})

	person := func(nick string, roles ...[2]string) string {
		upn := nick + "@" + tn.Domain()
		p := e.postTolerant("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Scoped \"reader\" \u202e 🚀", "mailNickname": nick,
			"userPrincipalName": upn, "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}}, func() map[string]any {
			return e.firstOf("/v1.0/users?$filter=" + url.QueryEscape("userPrincipalName eq '"+upn+"'"))
		})
		e.sim.Clock().Advance(10 * time.Second)
		for _, r := range roles {
			e.postTolerant("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": p["id"], "roleDefinitionId": r[0], "directoryScopeId": r[1]},
				func() map[string]any { return map[string]any{} }) // 409: it was made
		}
		e.sim.Clock().Advance(10 * time.Second)
		return upn
	}
	scopes := []string{"User.Read.All", "CustomSecAttributeAssignment.Read.All", "RoleManagement.Read.Directory"}
	reader := person("attr.hr", [2]string{attrAssignReaderRole, "/attributeSets/HR"}, [2]string{directoryReadersRole, "/"})
	export := func(upn, name string) *exporter.Result {
		t.Helper()
		dc := e.delegatedClient(name, "DirectoryRole", upn, scopes...)
		res, err := exporter.Run(ctx, exporter.Options{Client: dc, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	res := export(reader, "csa hr reader")
	if !res.Complete() {
		t.Fatalf("the set-scoped reader's export: %+v", res.Kinds)
	}
	var warned string
	for _, w := range res.Warnings {
		if w.Kind == k.Name && strings.Contains(w.Message, "read in part") {
			warned = w.Message
		}
	}
	if !strings.Contains(warned, "attribute sets HR only") || !strings.Contains(warned, "DataProtection") || !strings.Contains(warned, "kept as the previous snapshot holds them") {
		t.Errorf("the warning does not name the set read and the sets kept: %q (%v)", warned, res.Warnings)
	}
	got := map[string]*Object{}
	for _, o := range objectsByKind(e.snapshotObjects(res.Tag))[csaKind] {
		got[strings.ToLower(o.Key)] = o
	}
	if len(got) != len(files) {
		t.Errorf("%d files, the snapshot %s had %d", len(got), base, len(files))
	}
	for id, f := range files {
		g := got[id]
		if g == nil {
			t.Errorf("the file of %s is gone", id)
			continue
		}
		want := map[string]any{}
		for set, v := range f.Data["customSecurityAttributes"].(map[string]any) {
			if set != "HR" {
				want[set] = v // not readable: as at the previous snapshot
			}
		}
		if hr := tn.CustomSecurityAttributes(f.Key)["HR"]; hr != nil {
			want["HR"] = hr
		}
		if gotJ, wantJ := csaJSON(t, g.Data["customSecurityAttributes"]), csaJSON(t, want); gotJ != wantJ {
			t.Errorf("file of %s:\n got %s\nwant %s", id, gotJ, wantJ)
		}
	}

	// No role that lists role assignments: which sets the person reads is
	// unknown, and the kind is refused, not read in part.
	if testing.Short() {
		return
	}
	blind := person("attr.blind", [2]string{attrAssignReaderRole, "/attributeSets/HR"})
	res = export(blind, "csa blind reader")
	if res.Complete() || len(res.Kinds) != 1 || res.Kinds[0].Complete {
		t.Fatalf("without Directory Readers: %+v", res.Kinds)
	}
	if msg := res.Kinds[0].Err.Error(); !strings.Contains(msg, "nor could its role assignments be listed") {
		t.Errorf("the refusal does not say the role assignments could not be read: %s", msg)
	}
}
