package importer

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// csaJSON is v as JSON, so values decoded from YAML, JSON or held by
// graphsim compare alike.
func csaJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var n any
	_ = json.Unmarshal(b, &n)
	b, _ = json.Marshal(n)
	return string(b)
}

func csaSetBody(set string, kv ...any) map[string]any {
	m := map[string]any{"@odata.type": csaWriteType}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return map[string]any{"customSecurityAttributes": map[string]any{set: m}}
}

// exportCSA exports the opt-in kind and returns the tag and its objects by user id.
func (e *env) exportCSA() (string, map[string]*Object) {
	e.t.Helper()
	return e.exportValues(csaKind)
}

// valueFilesHold checks an export (base) of custom security attribute
// values of kind k: its files together hold each of wants (case folded),
// the file of each of holders (files, by owner id) holds the values Graph
// has, and check finds no problem in the repository.
func (e *env) valueFilesHold(base string, k *layout.Kind, files map[string]*Object, holders []string, wants ...string) {
	e.t.Helper()
	var all strings.Builder
	for p, b := range e.files(base) {
		if strings.HasPrefix(p, k.Folder+"/") {
			all.Write(b)
		}
	}
	for _, want := range wants {
		if !strings.Contains(strings.ToLower(all.String()), strings.ToLower(want)) {
			e.t.Errorf("the files hold no %q", want)
		}
	}
	for _, id := range holders {
		if got, want := csaJSON(e.t, files[strings.ToLower(id)].Data["customSecurityAttributes"]), csaJSON(e.t, e.sim.Tenant().CustomSecurityAttributes(id)); got != want {
			e.t.Fatalf("file of %s:\n got %s\nwant %s", id, got, want)
		}
	}
	if ps, err := check.Problems(context.Background(), e.repo.Path()); err != nil || len(ps) > 0 {
		e.t.Fatalf("check: %v %v", err, ps)
	}
}

// exportValues exports one kind of custom security attribute values and
// returns the tag and its objects by owner id.
func (e *env) exportValues(kind string) (string, map[string]*Object) {
	e.t.Helper()
	k, _ := layout.Lookup(kind)
	res, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "values"})
	if err != nil || !res.Complete() {
		e.t.Fatalf("export --kinds %s: %v %+v", kind, err, res)
	}
	out := map[string]*Object{}
	for _, o := range objectsByKind(e.snapshotObjects(res.Tag))[kind] {
		out[strings.ToLower(o.Key)] = o
	}
	return res.Tag, out
}

// Users' custom security attribute values are exported only when asked
// for, one file per user holding values (@odata.type annotations and
// hostile strings kept exactly, definitions referenced so check resolves
// them), and restored by PATCHes naming only what changed: a changed
// value, values set since on a user without a file (removed), values
// removed since (given back with their annotations), a hostile value.
func TestUserSecurityAttributesExportAndRestore(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	k, _ := layout.Lookup(csaKind)
	if len(e.snapshotFiles(e.first, k.Folder)) != 0 {
		t.Fatal("a default export read custom security attribute values")
	}
	// A snapshot that never read the kind says nothing about the values:
	// restoring the kind from it removes none.
	if p := e.plan(e.first, []string{csaKind}, Options{}); len(p.Actions) != 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "are not deleted") {
		t.Errorf("restore from a snapshot without the kind:\n%s", render(p))
	}
	base, files := e.exportCSA()
	tn := e.sim.Tenant()
	var holders, without []string
	for _, u := range e.list("/v1.0/users?$select=id,userType") {
		id := str(u["id"])
		if tn.CustomSecurityAttributes(id) != nil {
			holders = append(holders, id)
		} else if str(u["userType"]) != "Guest" {
			without = append(without, id)
		}
	}
	if len(holders) < 4 || len(files) != len(holders) || len(without) == 0 {
		t.Fatalf("%d files for %d users with values (%d without)", len(files), len(holders), len(without))
	}
	e.valueFilesHold(base, k, files, holders, "#Int32", "#Collection(String)", "#Collection(Int32)", "Contractor:", "\\u202e", "🚀", "../../CC")

	// The incident.
	pick := func(pred func(hr map[string]any) bool) string {
		for _, id := range holders {
			hr, _ := tn.CustomSecurityAttributes(id)["HR"].(map[string]any)
			if pred(hr) {
				return id
			}
		}
		t.Fatal("no user for the incident in the demo")
		return ""
	}
	graded := pick(func(hr map[string]any) bool { return hr["Grade"] != nil })
	projects := pick(func(hr map[string]any) bool { return hr["Projects"] != nil })
	hostile := pick(func(hr map[string]any) bool { return strings.ContainsAny(str(hr["CostCenter"]), "\n\u202e\"") })
	fresh := without[0]
	e.do("PATCH", "/v1.0/users/"+graded, csaSetBody("HR", "Grade@odata.type", "#Int32", "Grade", 9))
	e.do("PATCH", "/v1.0/users/"+fresh, csaSetBody("HR", "CostCenter", "set since"))
	gone := map[string]any{"@odata.type": csaWriteType}
	for set, v := range tn.CustomSecurityAttributes(projects) {
		for a, x := range v.(map[string]any) {
			if strings.Contains(a, "@") {
				continue
			}
			if _, isArr := x.([]any); isArr {
				gone[a] = []any{}
			} else {
				gone[a] = nil
			}
		}
		e.do("PATCH", "/v1.0/users/"+projects, map[string]any{"customSecurityAttributes": map[string]any{set: gone}})
		gone = map[string]any{"@odata.type": csaWriteType}
	}
	if tn.CustomSecurityAttributes(projects) != nil {
		t.Fatal("the values were not all removed")
	}
	e.do("PATCH", "/v1.0/users/"+hostile, csaSetBody("HR", "CostCenter", "plain"))

	p := e.plan(base, []string{csaKind}, Options{})
	byUser := csaPatches(t, p, csaKind, "/v1.0/users/", 4)
	wantBody := map[string]string{
		graded: `{"customSecurityAttributes":{"HR":{"@odata.type":"` + csaWriteType + `","Grade":` + csaJSON(t, files[strings.ToLower(graded)].Data["customSecurityAttributes"].(map[string]any)["HR"].(map[string]any)["Grade"]) + `,"Grade@odata.type":"#Int32"}}}`,
		fresh:  `{"customSecurityAttributes":{"HR":{"@odata.type":"` + csaWriteType + `","CostCenter":null}}}`,
	}
	for id, want := range wantBody {
		if got := csaJSON(t, json.RawMessage(byUser[strings.ToLower(id)].Request.Body)); got != want {
			t.Errorf("body for %s:\n got %s\nwant %s", id, got, want)
		}
	}
	if a := byUser[strings.ToLower(fresh)]; !a.Removal {
		t.Errorf("the removal of values set since is not marked as one: %+v", a)
	}
	if b := string(byUser[strings.ToLower(projects)].Request.Body); !strings.Contains(b, `"Projects@odata.type":"#Collection(String)"`) {
		t.Errorf("values given back without their annotation: %s", b)
	}
	// --no-remove keeps the values set since.
	if np := e.plan(base, []string{csaKind}, Options{NoRemove: true}); len(np.Actions) != 3 {
		t.Errorf("--no-remove: %d actions, want 3:\n%s", len(np.Actions), render(np))
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	for _, id := range []string{graded, projects, hostile} {
		if got, want := csaJSON(t, tn.CustomSecurityAttributes(id)), csaJSON(t, files[strings.ToLower(id)].Data["customSecurityAttributes"]); got != want {
			t.Errorf("%s after the restore:\n got %s\nwant %s", id, got, want)
		}
	}
	if v := tn.CustomSecurityAttributes(fresh); v != nil {
		t.Errorf("values set since are still there: %v", v)
	}
	if p := e.plan(base, []string{csaKind}, Options{}); !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}
}

// A user deleted for good comes back with a new id, and its values follow
// once it is created (the PATCH waits for the create and names the new id);
// without the user in the plan, the plan says to restore it first.
func TestUserSecurityAttributesOfARecreatedUser(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	base, files := e.exportCSA()
	tn := e.sim.Tenant()
	// The victim: the first (by id, so every run picks the same one)
	// cloud-only user with badge ids; a synced user is not recreated by a
	// restore (it comes back through sync), and files is a map.
	userFiles := map[string]string{}
	synced := map[string]bool{}
	upns := map[string]string{}
	for p, o := range e.snapshotObjects(base) {
		if o.Kind.Name == "users" {
			id := strings.ToLower(o.Key)
			userFiles[id], upns[id], synced[id] = p, str(o.Data["userPrincipalName"]), o.Data["onPremisesSyncEnabled"] == true
		}
	}
	var victim *Object
	for _, id := range slices.Sorted(maps.Keys(files)) {
		o := files[id]
		hr, _ := o.Data["customSecurityAttributes"].(map[string]any)["HR"].(map[string]any)
		if _, isArr := hr["BadgeIds"].([]any); isArr && userFiles[id] != "" && !synced[id] {
			victim = o
			break
		}
	}
	if victim == nil {
		t.Fatal("no cloud-only user with badge ids and a users file in the demo")
	}
	userPath, upn := userFiles[strings.ToLower(victim.Key)], upns[strings.ToLower(victim.Key)]
	e.do("DELETE", "/v1.0/users/"+victim.Key, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+victim.Key, nil)

	if p := e.plan(base, []string{victim.Path}, Options{}); len(p.Actions) != 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "restore the user (users)") {
		t.Errorf("values of a user gone, without the user:\n%s", render(p))
	}
	p := e.plan(base, []string{userPath, victim.Path}, Options{})
	var create, patch *Action
	for i, a := range p.Actions {
		switch {
		case a.Kind == "users" && a.Op == OpCreate:
			create = &p.Actions[i]
		case a.Kind == csaKind:
			patch = &p.Actions[i]
		}
	}
	if create == nil || patch == nil || patch.Request.Path != "/v1.0/users/"+create.Placeholder || !strings.Contains(strings.Join(patch.DependsOn, ","), create.ID) {
		t.Fatalf("plan:\n%s", render(p))
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	users := e.list("/v1.0/users?$select=id,userPrincipalName")
	var newID string
	for _, u := range users {
		if strings.EqualFold(str(u["userPrincipalName"]), upn) {
			newID = str(u["id"])
		}
	}
	if newID == "" || strings.EqualFold(newID, victim.Key) {
		t.Fatalf("recreated user %q", newID)
	}
	if got, want := csaJSON(t, tn.CustomSecurityAttributes(newID)), csaJSON(t, victim.Data["customSecurityAttributes"]); got != want {
		t.Errorf("values of the recreated user:\n got %s\nwant %s", got, want)
	}
}

// An export with a token that reads null for every user (no
// CustomSecAttributeAssignment.Read.All, or a delegated token, whose roles
// it cannot see) fails the kind and keeps the files: it never records
// "no values".
func TestUserSecurityAttributesNeedTheReadPermission(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	k, _ := layout.Lookup(csaKind)
	base, files := e.exportCSA()
	perms := layout.ExportPermissions([]*layout.Kind{k})
	var without []string
	for _, p := range perms {
		if !strings.HasPrefix(p, "CustomSecAttributeAssignment.") {
			without = append(without, p)
		}
	}
	app := e.client(e.token(without...))
	res, err := exporter.Run(context.Background(), exporter.Options{Client: app, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "no permission"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete() || len(res.Kinds) != 1 || res.Kinds[0].Complete || !strings.Contains(strings.Join(res.Kinds[0].Permissions, " "), "CustomSecAttributeAssignment.Read.All") {
		t.Errorf("export without the permission: %+v", res.Kinds)
	}
	if got := len(e.snapshotFiles("HEAD", k.Folder)); got != len(files) {
		t.Errorf("%d files after the refused read, were %d at %s", got, len(files), base)
	}
}

// Against a Graph as hard as the real one (throttling, 5% of requests
// failing or dropped after Graph did the work, replication lag, empty
// pages): the export of the values (of users, then of service principals)
// completes with the values graphsim holds, and a restore of a changed, a removed and an added set of values
// (re-run while answers were lost) brings them back, with an empty second
// plan.
func TestUserSecurityAttributesAgainstRealisticGraph(t *testing.T) {
	sw := &segmentWatch{}
	e := newEnv(t, realisticSim(), sw.wrap)
	base, files := e.exportCSA()
	tn := e.sim.Tenant()
	if st := e.sim.Stats(); st.Throttled == 0 && st.Faults == 0 {
		t.Errorf("the exports met no 429 and no fault: %+v", st)
	}
	var holders []string
	for id, o := range files {
		if got, want := csaJSON(t, o.Data["customSecurityAttributes"]), csaJSON(t, tn.CustomSecurityAttributes(id)); got != want {
			t.Fatalf("file of %s under faults:\n got %s\nwant %s", id, got, want)
		}
		holders = append(holders, o.Key)
	}
	if len(holders) < 3 {
		t.Fatalf("%d users with values", len(holders))
	}
	sort.Strings(holders)
	// Service principals' values (the same code, parameterised by kind):
	// read under faults too; the users' files are carried into this
	// snapshot, from which both kinds are restored. Not with -short (one
	// more export under faults).
	kinds := []string{csaKind}
	spKind := layout.ServicePrincipalSecurityAttributes
	var spChanged string
	var spFiles map[string]*Object
	if !testing.Short() {
		base, spFiles = e.exportValues(spKind)
		for id, o := range spFiles {
			if got, want := csaJSON(t, o.Data["customSecurityAttributes"]), csaJSON(t, tn.CustomSecurityAttributes(id)); got != want {
				t.Fatalf("file of service principal %s under faults:\n got %s\nwant %s", id, got, want)
			}
			spChanged = o.Key
		}
		if spChanged == "" {
			t.Fatal("no service principal with values")
		}
		e.do("PATCH", "/v1.0/servicePrincipals/"+spChanged, csaSetBody("HR", "CostCenter", "changed under faults"))
		kinds = append(kinds, spKind)
	}
	var fresh string
	for _, u := range e.list("/v1.0/users?$select=id,userType") {
		if id := str(u["id"]); tn.CustomSecurityAttributes(id) == nil && str(u["userType"]) != "Guest" {
			fresh = id
			break
		}
	}
	changed, emptied := holders[0], holders[1]
	e.do("PATCH", "/v1.0/users/"+changed, csaSetBody("HR", "CostCenter", "changed under faults"))
	e.do("PATCH", "/v1.0/users/"+fresh, csaSetBody("DataProtection", "Clearance", "Public"))
	for set, v := range tn.CustomSecurityAttributes(emptied) {
		b := map[string]any{"@odata.type": csaWriteType}
		for a, x := range v.(map[string]any) {
			if strings.Contains(a, "@") {
				continue
			}
			if _, isArr := x.([]any); isArr {
				b[a] = []any{}
			} else {
				b[a] = nil
			}
		}
		e.do("PATCH", "/v1.0/users/"+emptied, map[string]any{"customSecurityAttributes": map[string]any{set: b}})
	}
	e.sim.ResetStats()
	plan := func() *Plan { return e.plan(base, kinds, Options{}) }
	e.applyUntilComplete(t, plan)
	if spChanged != "" {
		if got, want := csaJSON(t, tn.CustomSecurityAttributes(spChanged)), csaJSON(t, spFiles[strings.ToLower(spChanged)].Data["customSecurityAttributes"]); got != want {
			t.Errorf("service principal %s after the restore:\n got %s\nwant %s", spChanged, got, want)
		}
	}
	if st := e.sim.Stats(); st.Faults == 0 && st.Throttled == 0 {
		t.Errorf("the restore met no fault and no 429: %+v", st)
	}
	for _, id := range []string{changed, emptied} {
		if got, want := csaJSON(t, tn.CustomSecurityAttributes(id)), csaJSON(t, files[strings.ToLower(id)].Data["customSecurityAttributes"]); got != want {
			t.Errorf("%s after the restore:\n got %s\nwant %s", id, got, want)
		}
	}
	if v := tn.CustomSecurityAttributes(fresh); v != nil {
		t.Errorf("values set since on %s are still there: %v", fresh, v)
	}
	if p := plan(); !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}
	sw.check(t)
}

// A value of an attribute deactivated at REV is not given back (Graph
// refuses to assign a deactivated attribute): the plan says so instead of
// sending a PATCH that fails.
func TestUserSecurityAttributesOfADeactivatedAttribute(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	def := csaDefs + "/HR_LegacyBadge"
	var user string
	for _, u := range e.list("/v1.0/users?$select=id,userType") {
		if str(u["userType"]) != "Guest" {
			user = str(u["id"])
			break
		}
	}
	e.do("PATCH", def, map[string]any{"status": "Available"})
	e.do("PATCH", "/v1.0/users/"+user, csaSetBody("HR", "LegacyBadge@odata.type", "#Int32", "LegacyBadge", 1234))
	e.do("PATCH", def, map[string]any{"status": "Deprecated"})
	base, files := e.exportCSA()
	if files[strings.ToLower(user)] == nil {
		t.Fatal("the value of the deactivated attribute was not exported")
	}
	e.do("PATCH", "/v1.0/users/"+user, csaSetBody("HR", "LegacyBadge", nil))
	p := e.plan(base, []string{csaKind}, Options{})
	for _, a := range p.Actions {
		if strings.Contains(string(a.Request.Body), "LegacyBadge") {
			t.Errorf("the plan assigns the deactivated attribute: %s", a.Request.Body)
		}
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n")+actionWarnings(p), "HR.LegacyBadge is not given back") {
		t.Errorf("the plan does not say why LegacyBadge is not given back:\n%s", render(p))
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
}

// csaPatches checks that the plan is want PATCHes of kind's values to
// collection+key and returns them by lower-case key.
func csaPatches(t *testing.T, p *Plan, kind, collection string, want int) map[string]Action {
	t.Helper()
	out := map[string]Action{}
	for _, a := range p.Actions {
		if a.Kind != kind || a.Request.Method != "PATCH" || a.Request.Path != collection+a.Key {
			t.Errorf("unexpected action %+v", a)
		}
		out[strings.ToLower(a.Key)] = a
	}
	if len(p.Actions) != want {
		t.Fatalf("%d actions, want %d:\n%s", len(p.Actions), want, render(p))
	}
	return out
}

func actionWarnings(p *Plan) string {
	var out []string
	for _, a := range p.Actions {
		out = append(out, a.Warnings...)
	}
	return strings.Join(out, "\n")
}

// An attribute deactivated since REV (Available then, Deprecated in the
// tenant now): Graph refuses to assign it, so the plan, which reads the
// live definitions beside the values, leaves its value out and says to
// restore the definition in the same plan; restoring both reactivates the
// definition first and then gives the value back (the PATCH depends on the
// reactivation), and a second plan is empty.
func TestUserSecurityAttributesDeactivatedSinceREV(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	base, files := e.exportCSA()
	tn := e.sim.Tenant()
	var user string
	for _, id := range slices.Sorted(maps.Keys(files)) {
		if hr, _ := files[id].Data["customSecurityAttributes"].(map[string]any)["HR"].(map[string]any); hr != nil && hr["Grade"] != nil {
			user = files[id].Key
			break
		}
	}
	if user == "" {
		t.Fatal("no user with a grade in the demo")
	}
	e.do("PATCH", "/v1.0/users/"+user, csaSetBody("HR", "Grade@odata.type", "#Int32", "Grade", 1))
	e.do("PATCH", csaDefs+"/HR_Grade", map[string]any{"status": "Deprecated"})

	p := e.plan(base, []string{csaKind}, Options{})
	for _, a := range p.Actions {
		if strings.Contains(string(a.Request.Body), "Grade") {
			t.Errorf("the plan assigns the attribute deactivated since REV: %s", a.Request.Body)
		}
	}
	if all := strings.Join(p.Warnings, "\n") + actionWarnings(p); !strings.Contains(all, "HR.Grade is not given back: the attribute was deactivated since REV") ||
		!strings.Contains(all, "custom-security-attributes/HR_Grade") {
		t.Errorf("the plan does not say the attribute was deactivated since REV and what to do:\n%s", render(p))
	}

	// Both kinds: the definition is reactivated first, then the value set.
	p = e.plan(base, []string{csaKind, "custom-security-attributes"}, Options{})
	var def, val *Action
	for i := range p.Actions {
		a := &p.Actions[i]
		switch {
		case a.Kind == "custom-security-attributes" && strings.EqualFold(a.Key, "HR_Grade") && strings.Contains(string(a.Request.Body), `"Available"`):
			def = a
		case a.Kind == csaKind && strings.Contains(string(a.Request.Body), "Grade"):
			val = a
		}
	}
	if def == nil || val == nil || !slices.Contains(val.DependsOn, def.ID) {
		t.Fatalf("want the reactivation and the value's PATCH depending on it:\n%s", render(p))
	}
	if !strings.Contains(strings.Join(val.Warnings, "\n"), "this plan reactivates it") {
		t.Errorf("the value's PATCH does not say it waits for the reactivation: %q", val.Warnings)
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	if got, want := csaJSON(t, tn.CustomSecurityAttributes(user)), csaJSON(t, files[strings.ToLower(user)].Data["customSecurityAttributes"]); got != want {
		t.Errorf("after the restore:\n got %s\nwant %s", got, want)
	}
	if p := e.plan(base, []string{csaKind, "custom-security-attributes"}, Options{}); !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}
}
