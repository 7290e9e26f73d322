package importer

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

const (
	testSkuE3    = "6fd2c87f-b296-42f0-b197-1e91e994b900" // graphsim demo: through All Company, one user direct with Teams disabled
	testSkuEMS   = "b05e124f-c7cc-45a0-a6aa-8cf78c946968" // direct to IT
	testSkuPBI   = "f8a1db68-be16-40ed-86d5-cb42ce701560" // direct to Finance
	testPlanTeam = "57ff2da0-773e-42df-b2af-ffb7a2317929"
)

// skusIn lists the skuIds of an assignedLicenses value, lower-case.
func skusIn(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, strings.ToLower(str(x.(map[string]any)["skuId"])))
	}
	return out
}

// Issue 13, licences: the export keeps users' and groups' direct licence
// assignments only (a user's group-inherited licence is the group's file's);
// restore puts them back with one assignLicense per object (added licences,
// changed disabled plans, removed ones), and a tenant without a SKU the
// snapshot names fails that object's action naming the SKU, the others
// applied.
func TestRestoreLicences(t *testing.T) {
	whenShortOnly(t, "groups", "users")
	e := newEnv(t, graphsim.Options{}, nil)
	teamsOff, itUser, finUser, noDirect, allCompany := demoLicences(t, e)
	if d := asSlice(asSlice(teamsOff.Data["assignedLicenses"])[0].(map[string]any)["disabledPlans"]); len(d) != 1 || !strings.EqualFold(str(d[0]), testPlanTeam) {
		t.Errorf("%s: disabledPlans %v, want Teams", teamsOff.Path, d)
	}
	if s := skusIn(allCompany.Data["assignedLicenses"]); len(s) != 1 || s[0] != testSkuE3 {
		t.Errorf("All Company's licences: %v", s)
	}
	// Every member of All Company holds E3 in Graph's assignedLicenses;
	// only the direct one is in a file.
	live := e.get("/v1.0/users/" + noDirect.Key + "?$select=assignedLicenses,licenseAssignmentStates")
	if s := skusIn(live["assignedLicenses"]); len(s) != 1 || s[0] != testSkuE3 {
		t.Fatalf("%s in Graph: assignedLicenses %v, want the inherited E3 (the test needs a member of All Company)", noDirect.Path, s)
	}

	assign := func(kind, id string, add []any, remove ...any) {
		if remove == nil {
			remove = []any{}
		}
		e.do("POST", "/v1.0/"+kind+"/"+id+"/assignLicense", map[string]any{"addLicenses": add, "removeLicenses": remove})
	}
	lic := func(sku string, disabled ...any) map[string]any {
		if disabled == nil {
			disabled = []any{}
		}
		return map[string]any{"skuId": sku, "disabledPlans": disabled}
	}
	assign("users", itUser.Key, []any{}, testSkuEMS)
	assign("users", teamsOff.Key, []any{lic(testSkuE3)})
	assign("users", noDirect.Key, []any{lic(testSkuPBI)})
	assign("groups", allCompany.Key, []any{}, testSkuE3)
	e.recordIncident()

	p := e.plan(e.first, []string{itUser.Path, teamsOff.Path, noDirect.Path, allCompany.Path}, Options{})
	want := map[string]string{
		itUser.Key:     `{"addLicenses":[{"disabledPlans":[],"skuId":"` + testSkuEMS + `"}],"removeLicenses":[]}`,
		teamsOff.Key:   `{"addLicenses":[{"disabledPlans":["` + testPlanTeam + `"],"skuId":"` + testSkuE3 + `"}],"removeLicenses":[]}`,
		noDirect.Key:   `{"addLicenses":[],"removeLicenses":["` + testSkuPBI + `"]}`,
		allCompany.Key: `{"addLicenses":[{"disabledPlans":[],"skuId":"` + testSkuE3 + `"}],"removeLicenses":[]}`,
	}
	got := map[string]*Action{}
	for i := range p.Actions {
		if a := &p.Actions[i]; a.Relationship == "assignedLicenses" {
			got[a.Key] = a
		} else if a.Kind == "users" || a.Kind == "groups" {
			t.Errorf("unexpected action %s %s %s %s", a.Kind, a.Key, a.Op, a.Request.Path)
		}
	}
	for key, b := range want {
		a := got[key]
		if a == nil {
			t.Errorf("no assignLicense for %s:\n%s", key, render(p))
			continue
		}
		if a.Request.Method != "POST" || !strings.HasSuffix(a.Request.Path, "/"+key+"/assignLicense") || compactJSON(t, a.Request.Body) != b {
			t.Errorf("%s: %s %s %s, want POST .../%s/assignLicense %s", key, a.Request.Method, a.Request.Path, a.Request.Body, key, b)
		}
	}
	if !strings.Contains(render(p), "update licences") {
		t.Errorf("the plan does not say it updates licences:\n%s", render(p))
	}
	res := e.apply(p)
	for _, r := range res.Actions {
		if r.Status != StatusDone {
			t.Errorf("%s %s %s: %s %s", r.ID, r.Kind, r.Op, r.Status, r.Error)
		}
	}
	if !res.Verified {
		t.Errorf("not verified: %+v %s", res.Differences, res.VerifyError)
	}

	// A tenant without the Power BI subscription: the Finance user's
	// licence cannot come back; the action fails naming the SKU, the IT
	// user's is applied.
	if err := e.sim.Tenant().RemoveSubscription(testSkuPBI); err != nil {
		t.Fatal(err)
	}
	assign("users", finUser.Key, []any{}, testSkuPBI)
	assign("users", itUser.Key, []any{}, testSkuEMS)
	p = e.plan(e.first, []string{finUser.Path, itUser.Path}, Options{})
	res, err := Apply(context.Background(), p, e.applyOpts())
	if err == nil && res.Verified {
		t.Fatal("the restore of a licence the tenant has no subscription for succeeded")
	}
	failed, done := 0, 0
	for _, r := range res.Actions {
		switch {
		case r.Key == finUser.Key && r.Status == StatusFailed:
			failed++
			if !strings.Contains(r.Error, testSkuPBI) {
				t.Errorf("the failure does not name the SKU: %s", r.Error)
			}
		case r.Key == itUser.Key && r.Status == StatusDone:
			done++
		}
	}
	if failed != 1 || done != 1 {
		t.Errorf("actions: %+v", res.Actions)
	}
}

// TestLostAnswerOfALicenceAssignmentIsSentAgain (issue 12 row f, rest22):
// an assignLicense whose answer was lost after Graph carried it out, or
// that Graph answered 500 without carrying it out, is sent again (it sets
// the licences, so a repeat is safe): adding a licence, the repeat is done;
// removing one, Graph refuses the repeat as the licence is no longer
// assigned, which says the first attempt did it. Every action is done and
// the restore verified, the user's direct licences as in its file.
func TestLostAnswerOfALicenceAssignmentIsSentAgain(t *testing.T) {
	whenShortOnly(t, "groups", "users")
	for _, tc := range []struct {
		name           string
		remove, refuse bool
	}{
		{"add, answer lost after it was done", false, false},
		{"remove, answer lost after it was done", true, false},
		{"add, 500 before it was done", false, true},
		{"remove, 500 before it was done", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lf := &loseFirst{refuse: tc.refuse, match: func(r *http.Request) bool {
				return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/assignLicense")
			}}
			e := newEnv(t, graphsim.Options{}, lf.wrap)
			_, u, _, noDirect, _ := demoLicences(t, e)
			change := map[string]any{"addLicenses": []any{}, "removeLicenses": []any{testSkuEMS}}
			if tc.remove {
				u = noDirect
				change = map[string]any{"addLicenses": []any{map[string]any{"skuId": testSkuPBI, "disabledPlans": []any{}}}, "removeLicenses": []any{}}
			}
			e.do("POST", "/v1.0/users/"+u.Key+"/assignLicense", change)
			e.recordIncident()
			p := e.plan(e.first, []string{u.Path}, Options{})
			if n := p.Counts()[OpUpdate]; n != 1 {
				t.Fatalf("want one licence update:\n%s", render(p))
			}
			lf.arm()
			res := e.apply(p)
			if len(lf.lost) != 1 {
				t.Fatalf("lost %v, want the assignLicense", lf.lost)
			}
			for _, r := range res.Actions {
				if r.Status != StatusDone {
					t.Errorf("%s %s %s: %s %s (attempts %d)", r.ID, r.Kind, r.Op, r.Status, r.Error, r.Attempts)
				}
			}
			if !res.Verified {
				t.Errorf("not verified: %+v %s", res.Differences, res.VerifyError)
			}
			want := skusIn(u.Data["assignedLicenses"])
			live := e.get("/v1.0/users/" + u.Key + "?$select=licenseAssignmentStates")
			var got []string
			for _, st := range asSlice(live["licenseAssignmentStates"]) {
				if m := st.(map[string]any); m["assignedByGroup"] == nil {
					got = append(got, strings.ToLower(str(m["skuId"])))
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("direct licences after restore %v, want %v", got, want)
			}
		})
	}
}

// demoLicences finds the demo tenant's licence holders in e's first
// snapshot: the user with E3 direct (Teams disabled), an IT user with EMS
// direct, a Finance user with Power BI direct, a member without a direct
// licence (E3 through All Company) and the All Company group.
func demoLicences(t *testing.T, e *env) (teamsOff, itUser, finUser, noDirect, allCompany *Object) {
	t.Helper()
	snap := e.snapshotObjects(e.first)
	for _, o := range snap {
		switch o.Kind.Name {
		case "groups":
			if o.Data["displayName"] == "All Company" {
				allCompany = o
			}
		case "users":
			al := asSlice(o.Data["assignedLicenses"])
			if _, ok := o.Data["licenseAssignmentStates"]; ok {
				t.Errorf("%s holds licenseAssignmentStates", o.Path)
			}
			skus := skusIn(al)
			switch {
			case len(skus) == 1 && skus[0] == testSkuE3:
				teamsOff = o
			case len(skus) == 1 && skus[0] == testSkuEMS && (itUser == nil || o.Key < itUser.Key):
				itUser = o
			case len(skus) == 1 && skus[0] == testSkuPBI && (finUser == nil || o.Key < finUser.Key):
				finUser = o
			case len(skus) == 0 && o.Data["userType"] == "Member" && !synced(o.Data) && str(o.Data["usageLocation"]) != "" && (noDirect == nil || o.Key < noDirect.Key):
				noDirect = o
			}
		}
	}
	if teamsOff == nil || itUser == nil || finUser == nil || noDirect == nil || allCompany == nil {
		t.Fatalf("the demo tenant's licences are not in the snapshot: E3 direct %v, EMS %v, Power BI %v, none %v, All Company %v", teamsOff != nil, itUser != nil, finUser != nil, noDirect != nil, allCompany != nil)
	}
	return teamsOff, itUser, finUser, noDirect, allCompany
}

// compactJSON is b with object keys sorted (as encoding/json writes maps).
func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
