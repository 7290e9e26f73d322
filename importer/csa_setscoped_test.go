package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/drift"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
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
	e.do("PATCH", "/v1.0/users/"+both, map[string]any{"customSecurityAttributes": map[string]any{
		"HR":             map[string]any{"@odata.type": csaWriteType, "CostCenter": hostile},
		"DataProtection": map[string]any{"@odata.type": csaWriteType, "Clearance": "Public"}}})

	person := func(nick string, roles ...[2]string) string {
		upn := nick + "@" + tn.Domain()
		p := e.post("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Scoped \"reader\" \u202e 🚀", "mailNickname": nick,
			"userPrincipalName": upn, "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
		e.sim.Clock().Advance(10 * time.Second)
		for _, r := range roles {
			e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": p["id"], "roleDefinitionId": r[0], "directoryScopeId": r[1]})
		}
		e.sim.Clock().Advance(10 * time.Second)
		return upn
	}
	scopes := []string{"User.Read.All", "CustomSecAttributeAssignment.Read.All", "RoleManagement.Read.Directory"}
	reader := person("attr.hr", [2]string{attrAssignReaderRole, "/attributeSets/HR"}, [2]string{directoryReadersRole, "/"})
	// Read as drift reads (no ReadOptions.Later): refused, saying so
	// without an export's "previous snapshot".
	lv, err := live.Read(ctx, live.ReadOptions{Client: e.delegatedClient("drift", "DirectoryRole", reader, scopes...), Kinds: []*layout.Kind{k}})
	if err != nil {
		t.Fatal(err)
	}
	if msg := fmt.Sprint(lv.Kinds[0].Err); lv.Kinds[0].Complete || !strings.Contains(msg, "drift and restore keep nothing") || strings.Contains(msg, "previous snapshot") ||
		!strings.Contains(msg, "signed in as a user holding Attribute Assignment Reader over the whole directory") {
		t.Errorf("read as drift reads: complete %v, %s", lv.Kinds[0].Complete, msg)
	}
	for _, nc := range e.driftNotChecked(base, lv) {
		if !strings.HasPrefix(nc.Reason, "property customSecurityAttributes: permission denied; ") || !strings.Contains(nc.Reason, "attribute sets HR only") ||
			!strings.Contains(nc.Reason, "Attribute Assignment Reader over the whole directory, or with an application token granted CustomSecAttributeAssignment.Read.All") {
			t.Errorf("drift's report of %s: %q", nc.Kind, nc.Reason)
		}
	}
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
	if p := res.Kinds[0].Partial; !strings.Contains(p, "attribute sets HR only") || !strings.Contains(p, "DataProtection") {
		t.Errorf("the kind's result does not say it was read in part: %q", p)
	}
	if man, err := readManifest(ctx, e.repo, res.Tag, res.Tag); err != nil {
		t.Fatal(err)
	} else if st, why := man.Kinds[csaKind].State(); st != layout.StatePartial || !strings.Contains(why, "DataProtection") {
		t.Errorf("the manifest holds %s as %s %q, want partial", csaKind, st, why)
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
	// The role held through a role-assignable group (not in wids): read
	// in part as well, not refused nor kept whole.
	viaGroup := e.scopedPerson("attr.grp", [][2]string{{directoryReadersRole, "/"}}, [][2]string{{attrAssignReaderRole, "/attributeSets/HR"}})
	res = export(viaGroup, "csa hr reader through a group")
	if !res.Complete() || !strings.Contains(res.Kinds[0].Partial, "attribute sets HR only") {
		t.Errorf("the reader through a group: %+v", res.Kinds)
	}
}

// scopedPerson makes a user nick (hostile display name) holding roles
// ({role template, directoryScopeId}) directly and, when viaGroup is not
// empty, the roles of viaGroup through a new role-assignable group that
// holds them (the user its member). Tolerant of a Graph that fails and
// loses answers (realisticSim). It returns the user's UPN.
func (e *env) scopedPerson(nick string, roles [][2]string, viaGroup [][2]string) string {
	e.t.Helper()
	tn := e.sim.Tenant()
	upn := nick + "@" + tn.Domain()
	p := e.post("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Scoped \"reader\" \u202e 🚀 ../" + nick, "mailNickname": nick,
		"userPrincipalName": upn, "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
	e.sim.Clock().Advance(10 * time.Second)
	assign := func(principal any, r [2]string) {
		e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": principal, "roleDefinitionId": r[0], "directoryScopeId": r[1]})
	}
	for _, r := range roles {
		assign(p["id"], r)
	}
	if len(viaGroup) > 0 {
		g := e.post("/v1.0/groups", map[string]any{"displayName": "Attribute \"readers\" \u202e🚀 " + nick, "mailNickname": nick + "-grp",
			"mailEnabled": false, "securityEnabled": true, "isAssignableToRole": true,
			"members@odata.bind": []any{"https://graph.microsoft.com/v1.0/directoryObjects/" + str(p["id"])}})
		e.sim.Clock().Advance(10 * time.Second)
		for _, r := range viaGroup {
			assign(g["id"], r)
		}
	}
	e.sim.Clock().Advance(10 * time.Second)
	return upn
}

// driftNotChecked runs drift on lv (a read as drift reads) against the
// baseline tag and returns the kinds its JSON report says were not
// checked, each checked to read the same in its text report.
func (e *env) driftNotChecked(baseline string, lv *live.Live) []drift.NotChecked {
	e.t.Helper()
	rep, err := drift.Run(context.Background(), drift.Options{Repo: e.repo, Baseline: baseline,
		Read: func(context.Context, []string) (*live.Live, error) { return lv, nil }})
	if err != nil {
		e.t.Fatal(err)
	}
	var text, js bytes.Buffer
	if err := rep.Text(&text, false); err != nil {
		e.t.Fatal(err)
	}
	if err := rep.JSON(&js); err != nil {
		e.t.Fatal(err)
	}
	var out struct{ NotChecked []drift.NotChecked }
	if err := json.Unmarshal(js.Bytes(), &out); err != nil || len(out.NotChecked) != len(lv.Kinds) {
		e.t.Fatalf("drift --format json: %v\n%s", err, js.String())
	}
	for _, nc := range out.NotChecked {
		if !strings.Contains(text.String(), "  "+nc.Title+": "+nc.Reason+"\n") {
			e.t.Errorf("drift's text report does not say of %s what its JSON says (%q):\n%s", nc.Kind, nc.Reason, text.String())
		}
	}
	return out.NotChecked
}

// A person holding Attribute Definition Reader scoped to the attribute set
// HR only, through a role-assignable group (and Directory Readers, to list
// role assignments), exports attribute sets and definitions signed in:
// Graph lists HR and its definitions alone. The export writes HR's set and
// definitions as Graph has them now, keeps DataProtection's and an
// RTL-named set's files (hostile descriptions) byte for byte as the
// previous snapshot holds them (a change since is not read, and nothing
// shows deleted), warns naming the sets read and kept, and the manifest
// marks both kinds partial, which check and a restore's plan say. Without
// a previous snapshot the kinds are refused; without a role that lists
// role assignments (not with -short) too. Under realistic throttling,
// faults and lag (not with -short).
func TestAttributeDefinitionsSetScopedReaderExport(t *testing.T) {
	o := realisticSim()
	if testing.Short() {
		o = graphsim.Options{}
	}
	e := newEnv(t, o, nil)
	ctx := context.Background()
	sets, _ := layout.Lookup("attribute-sets")
	defs, _ := layout.Lookup("custom-security-attributes")
	kinds := []*layout.Kind{sets, defs}
	const defReader = "1d336d2c-4ae8-42ef-9711-b3604ce3fc2c" // Attribute Definition Reader
	rtl := "مالية"
	hostile := "Fin \"q\"\n\u202e../🚀 " + strings.Repeat("é", 100)
	e.post("/v1.0/directory/attributeSets", map[string]any{"id": rtl, "description": hostile, "maxAttributesPerSet": 10})
	e.sim.Clock().Advance(10 * time.Second)
	e.post("/v1.0/directory/customSecurityAttributeDefinitions", map[string]any{"attributeSet": rtl, "name": "Tier", "type": "String",
		"status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false, "description": hostile})
	e.sim.Clock().Advance(10 * time.Second)
	run := func(c *graph.Client, msg string) *exporter.Result {
		t.Helper()
		res, err := exporter.Run(ctx, exporter.Options{Client: c, Repo: e.repo, Now: e.clock, Kinds: kinds, Message: msg})
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		return res
	}
	base := run(e.c, "sets and definitions")
	if !base.Complete() {
		t.Fatalf("the application's export: %+v", base.Kinds)
	}
	baseFiles := e.files(base.Tag)
	var dpDef string
	for _, d := range e.list("/v1.0/directory/customSecurityAttributeDefinitions?$select=id,attributeSet") {
		if str(d["attributeSet"]) == "DataProtection" {
			dpDef = str(d["id"])
		}
	}
	if dpDef == "" {
		t.Fatal("the demo tenant has no definition in DataProtection")
	}
	// Since: HR changed (read now); DataProtection and the RTL set changed
	// (not readable by the person: kept as they were).
	e.do("PATCH", "/v1.0/directory/attributeSets/HR", map[string]any{"description": "HR now \"read\" \u202e🚀"})
	e.do("PATCH", "/v1.0/directory/attributeSets/DataProtection", map[string]any{"description": "changed, not readable"})
	e.do("PATCH", "/v1.0/directory/customSecurityAttributeDefinitions/"+url.PathEscape(dpDef), map[string]any{"description": "changed, not readable"})
	e.do("PATCH", "/v1.0/directory/customSecurityAttributeDefinitions/"+url.PathEscape(rtl+"_Tier"), map[string]any{"description": "changed, not readable"})
	e.sim.Clock().Advance(10 * time.Second)

	scopes := []string{"User.Read", "CustomSecAttributeDefinition.Read.All", "RoleManagement.Read.Directory"}
	reader := e.scopedPerson("def.hr", [][2]string{{directoryReadersRole, "/"}}, [][2]string{{defReader, "/attributeSets/HR"}})
	dc := e.delegatedClient("def hr reader", "DirectoryRole", reader, scopes...)

	// Without a previous snapshot: refused, not written in part.
	empty := simtest.Repo(t, false)
	res, err := exporter.Run(ctx, exporter.Options{Client: dc, Repo: empty, Now: e.clock, Kinds: kinds, Message: "first"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range res.Kinds {
		if k.Complete || k.Err == nil || !strings.Contains(k.Err.Error(), "without a previous snapshot") || !strings.Contains(k.Err.Error(), "HR") {
			t.Errorf("%s without a previous snapshot: complete %v, %v", k.Kind, k.Complete, k.Err)
		}
	}
	// Read as drift reads (no ReadOptions.Later): refused, saying so
	// without an export's "previous snapshot".
	lv, err := live.Read(ctx, live.ReadOptions{Client: dc, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range lv.Kinds {
		if msg := fmt.Sprint(k.Err); k.Complete || !strings.Contains(msg, "drift and restore keep nothing") || strings.Contains(msg, "previous snapshot") ||
			!strings.Contains(msg, "signed in as a user holding Attribute Definition Reader over the whole directory") {
			t.Errorf("%s read as drift reads: complete %v, %s", k.Kind, k.Complete, msg)
		}
	}
	// drift's report itself (text and JSON) says which sets were read and
	// what to sign in with, not only "permission denied".
	for _, nc := range e.driftNotChecked(base.Tag, lv) {
		if !strings.HasPrefix(nc.Reason, "list: permission denied; ") || !strings.Contains(nc.Reason, "attribute sets HR only") ||
			!strings.Contains(nc.Reason, "Attribute Definition Reader over the whole directory, or with an application token granted CustomSecAttributeDefinition.Read.All") {
			t.Errorf("drift's report of %s: %q", nc.Kind, nc.Reason)
		}
	}

	res = run(dc, "def hr reader")
	if !res.Complete() {
		t.Fatalf("the set-scoped reader's export: %+v", res.Kinds)
	}
	for _, k := range res.Kinds {
		if !strings.Contains(k.Partial, "attribute sets HR only") || !strings.Contains(k.Partial, "DataProtection") || !strings.Contains(k.Partial, rtl) ||
			!strings.Contains(k.Partial, "kept as the previous snapshot holds them") {
			t.Errorf("%s: partial %q", k.Kind, k.Partial)
		}
	}
	warned := 0
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, "read in part") {
			warned++
		}
	}
	if warned != 2 {
		t.Errorf("%d read-in-part warnings, want one per kind: %v", warned, res.Warnings)
	}
	got := e.files(res.Tag)
	for _, k := range kinds {
		n, m := 0, 0
		for p, b := range got {
			if !strings.HasPrefix(p, k.Root()+"/") {
				continue
			}
			n++
			obj, err := layout.Decode(b)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			set := str(obj["attributeSet"])
			if k == sets {
				set = str(obj["id"])
			}
			switch {
			case set == "HR":
				if k == sets && !strings.Contains(string(b), "HR now") {
					t.Errorf("%s is not as Graph has it now:\n%s", p, b)
				}
			case string(b) != string(baseFiles[p]):
				t.Errorf("%s (set %q) is not kept as the previous snapshot holds it:\n got %s\nwant %s", p, set, b, baseFiles[p])
			}
		}
		for p := range baseFiles {
			if strings.HasPrefix(p, k.Root()+"/") {
				m++
				if got[p] == nil {
					t.Errorf("%s is gone", p)
				}
			}
		}
		if n != m || n == 0 {
			t.Errorf("%s: %d files, the previous snapshot %d", k.Name, n, m)
		}
	}
	// The manifest says partial; check warns about it; a restore's plan
	// says the kind is not as at REV and deletes nothing it does not hold.
	man, err := readManifest(ctx, e.repo, res.Tag, res.Tag)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if st, why := man.Kinds[k.Name].State(); st != layout.StatePartial || !strings.Contains(why, "HR") {
			t.Errorf("manifest %s: %s %q", k.Name, st, why)
		}
	}
	rep, err := check.Repo(ctx, e.repo, check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	partialWarned := false
	for _, cs := range rep.Snapshots {
		for _, is := range cs.Issues {
			if is.Severity == check.SevError {
				t.Errorf("check: %+v", is)
			}
			if strings.HasSuffix(is.Property, ".partial") && strings.Contains(is.Message, "read in part") {
				partialWarned = true
			}
		}
	}
	if !partialWarned {
		t.Error("check does not say the kinds were read in part")
	}
	if in := incompleteKinds(man); !strings.Contains(in[defs.Name], "read in part") {
		t.Errorf("restore's view of %s: %q", defs.Name, in[defs.Name])
	}

	// No role that lists role assignments: the sets read cannot be told.
	if testing.Short() {
		return
	}
	blind := e.scopedPerson("def.blind", nil, [][2]string{{defReader, "/attributeSets/HR"}})
	res = run(e.delegatedClient("def blind reader", "DirectoryRole", blind, "User.Read", "CustomSecAttributeDefinition.Read.All"), "def blind reader")
	for _, k := range res.Kinds {
		if k.Complete || k.Err == nil || !strings.Contains(k.Err.Error(), "cannot be told complete") {
			t.Errorf("%s without a role that lists role assignments: complete %v, %v", k.Kind, k.Complete, k.Err)
		}
	}
}
