package importer

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
)

const (
	strengthsPath = "/v1.0/policies/authenticationStrengthPolicies"
	strengthsCA   = "/v1.0/identity/conditionalAccess/authenticationStrength/policies"
	aaguidA       = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
	aaguidB       = "de1e552d-db1d-4423-a619-566b625cdc84"
)

// snapshot exports the tenant as it is now and returns the tag.
//
// It is taken once graphsim's replication lag (if any) has passed since
// the test's last change: Graph's delta, and graphsim's, leaves out the
// changes younger than the lag, and a snapshot meant as REV must hold
// them (an admin's snapshot is taken later than that).
func (e *env) snapshot(msg string) string {
	e.t.Helper()
	if lag := e.sim.Tenant().EventualConsistency(); lag > 0 {
		e.sim.Clock().Advance(lag + time.Second)
	}
	res, err := e.exportAfter(exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, AllowShrink: true, Message: msg})
	if err != nil || !res.Complete() {
		e.t.Fatalf("export: %v %+v", err, res)
	}
	return res.Tag
}

// post creates through the test's own client (e.own) and returns the answer.
func (e *env) post(path string, b any) map[string]any {
	e.t.Helper()
	out, err := e.own().Do(context.Background(), "POST", path, b)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	m, err := decode(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func fido2Config(aaguids ...string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.fido2CombinationConfiguration",
		"appliesToCombinations": []string{"fido2"}, "allowedAAGUIDs": aaguids}
}

func sortedStrings(v any) string {
	var s []string
	for _, x := range asSlice(v) {
		s = append(s, str(x))
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// A strength's allowed combinations come back through
// updateAllowedCombinations (Graph refuses them in a PATCH), and its
// combination configurations (FIDO2 AAGUID restrictions) are exported in
// its file and restored: created, updated and deleted.
func TestRestoreStrengthCombinationsAndConfigurations(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	st := e.post(strengthsPath, map[string]any{"displayName": "Security keys", "allowedCombinations": []string{"fido2", "windowsHelloForBusiness"}})
	id := str(st["id"])
	e.post(strengthsCA+"/"+id+"/combinationConfigurations", fido2Config(aaguidA))
	base := e.snapshot("with a key restriction")
	var path string
	for _, p := range strings.Fields(git(t, e.repo.Path(), "ls-tree", "-r", "--name-only", base, "--", "authentication/strengths")) {
		if strings.Contains(p, id) {
			path = p
		}
	}
	if f := e.file(base, path); !strings.Contains(f, "combinationConfigurations:") || !strings.Contains(f, aaguidA) {
		t.Fatalf("the strength's file has no combination configuration:\n%s", f)
	}
	sel := []string{id}

	// Incident: the restriction is removed and fido2 dropped from the strength.
	cfgs := e.list(strengthsCA + "/" + id + "/combinationConfigurations")
	e.do("DELETE", strengthsCA+"/"+id+"/combinationConfigurations/"+str(cfgs[0]["id"]), nil)
	e.post(strengthsPath+"/"+id+"/updateAllowedCombinations", map[string]any{"allowedCombinations": []string{"windowsHelloForBusiness", "password,sms"}})
	p := e.plan(base, sel, Options{})
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\nplan:\n%s", res.Actions, res.Differences, render(p))
	}
	got := e.get(strengthsPath + "/" + id)
	if sortedStrings(got["allowedCombinations"]) != "fido2,windowsHelloForBusiness" {
		t.Errorf("allowedCombinations %v", got["allowedCombinations"])
	}
	cfgs = e.list(strengthsCA + "/" + id + "/combinationConfigurations")
	if len(cfgs) != 1 || sortedStrings(cfgs[0]["allowedAAGUIDs"]) != aaguidA {
		t.Fatalf("configurations %v", cfgs)
	}
	e.mustBeEmptyAt(base, sel)

	// Incident: the restriction is changed, and a certificate one is
	// added (which restore removes before it narrows the combinations).
	e.do("PATCH", strengthsCA+"/"+id+"/combinationConfigurations/"+str(cfgs[0]["id"]), fido2Config(aaguidB))
	e.post(strengthsPath+"/"+id+"/updateAllowedCombinations", map[string]any{"allowedCombinations": []string{"fido2", "windowsHelloForBusiness", "x509CertificateMultiFactor"}})
	e.post(strengthsCA+"/"+id+"/combinationConfigurations", map[string]any{"@odata.type": "#microsoft.graph.x509CertificateCombinationConfiguration",
		"appliesToCombinations": []string{"x509CertificateMultiFactor"}, "allowedIssuerSkis": []string{"9A4248C6AC8C2931AB2A86537818E92E7B6C97B6"}, "allowedPolicyOIDs": []string{}})
	p = e.plan(base, sel, Options{})
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\nplan:\n%s", res.Actions, res.Differences, render(p))
	}
	cfgs = e.list(strengthsCA + "/" + id + "/combinationConfigurations")
	if len(cfgs) != 1 || sortedStrings(cfgs[0]["allowedAAGUIDs"]) != aaguidA {
		t.Fatalf("configurations %v", cfgs)
	}
	e.mustBeEmptyAt(base, sel)

	// Incident: the strength is deleted (Graph has no recycle bin for it):
	// it is recreated with its combinations and its restriction.
	e.do("DELETE", strengthsPath+"/"+id, nil)
	p = e.plan(base, sel, Options{})
	res = e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\nplan:\n%s", res.Actions, res.Differences, render(p))
	}
	newID, ok := res.IDs.Resolve(id)
	if !ok {
		t.Fatalf("id map %+v", res.IDs)
	}
	cfgs = e.list(strengthsCA + "/" + newID + "/combinationConfigurations")
	if len(cfgs) != 1 || sortedStrings(cfgs[0]["allowedAAGUIDs"]) != aaguidA {
		t.Fatalf("configurations of the recreated strength %v", cfgs)
	}
}

func (e *env) mustBeEmptyAt(rev string, sel []string) {
	e.t.Helper()
	if p := e.plan(rev, sel, Options{}); !p.Empty() {
		e.t.Errorf("second plan is not empty:\n%s", render(p))
	}
}

// strengthPolicy returns a CA policy that requires the tenant's custom
// authentication strength.
func (e *env) strengthPolicy() (map[string]any, string) {
	e.t.Helper()
	for _, p := range e.list("/v1.0/identity/conditionalAccess/policies") {
		as, _ := dig(p, "grantControls", "authenticationStrength").(map[string]any)
		if as != nil && as["policyType"] == "custom" {
			return p, str(as["id"])
		}
	}
	e.t.Fatal("no CA policy with a custom authentication strength")
	return nil, ""
}

// Graph returns a policy's authentication strength whole and refuses it
// whole on a write: restore sends {"id"} only, on update and on recreate.
func TestRestoreCAPolicyNamesItsStrengthByID(t *testing.T) {
	for _, incident := range []string{"changed", "purged", "strength renamed"} {
		t.Run(incident, func(t *testing.T) {
			e := newEnv(t, graphsim.Options{CARecycleBinAppOnly: incident == "purged"}, nil)
			victim, strength := e.strengthPolicy()
			id := str(victim["id"])
			switch incident {
			case "changed":
				e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+id, map[string]any{"grantControls": map[string]any{
					"operator": "OR", "builtInControls": []string{"mfa"}, "customAuthenticationFactors": []string{}, "termsOfUse": []string{}}})
			case "purged":
				e.purgeCAPolicy(id) // this tenant lets the test token reach the bin
			case "strength renamed":
				// The strength is another object: the policy, which still
				// names it, has nothing to restore.
				e.do("PATCH", strengthsPath+"/"+strength, map[string]any{"displayName": "Renamed strength"})
			}
			sel := []string{id}
			p := e.plan(e.first, sel, Options{CAState: CAStateAsIs})
			if incident == "strength renamed" {
				if !p.Empty() {
					t.Errorf("plan for a policy whose strength was renamed:\n%s", render(p))
				}
				return
			}
			for _, a := range p.Actions {
				if strings.Contains(string(a.Request.Body), "allowedCombinations") {
					t.Errorf("action %s sends the whole strength: %s", a.ID, a.Request.Body)
				}
			}
			res := e.apply(p)
			if !res.Complete() {
				t.Fatalf("%+v\n%+v\nplan:\n%s", res.Actions, res.Differences, render(p))
			}
			if nid, ok := res.IDs.Resolve(id); ok {
				id = nid
			}
			got := e.get("/v1.0/identity/conditionalAccess/policies/" + id)
			if s := str(dig(got, "grantControls", "authenticationStrength", "id")); s != strength {
				t.Errorf("authentication strength %q, want %s", s, fmt.Sprint(strength))
			}
		})
	}
}

// TestLostAnswerOfUpdateAllowedCombinationsIsSentAgain (rest22): the
// updateAllowedCombinations of a strength (it replaces the combinations,
// so a repeat is safe) whose answer was lost after Graph carried it out,
// or that Graph answered 500 without carrying it out, is sent again and
// done.
func TestLostAnswerOfUpdateAllowedCombinationsIsSentAgain(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refused before done %v", refuse), func(t *testing.T) {
			lf := &loseFirst{refuse: refuse, match: func(r *http.Request) bool {
				return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/updateAllowedCombinations")
			}}
			e := newEnv(t, graphsim.Options{}, lf.wrap)
			id := str(e.post(strengthsPath, map[string]any{"displayName": "Security keys", "allowedCombinations": []string{"fido2", "windowsHelloForBusiness"}})["id"])
			base := e.snapshot("a strength")
			e.post(strengthsPath+"/"+id+"/updateAllowedCombinations", map[string]any{"allowedCombinations": []string{"windowsHelloForBusiness"}})
			p := e.plan(base, []string{id}, Options{})
			lf.arm()
			res := e.apply(p)
			if len(lf.lost) != 1 {
				t.Fatalf("lost %v, want the updateAllowedCombinations:\n%s", lf.lost, render(p))
			}
			for _, a := range res.Actions {
				if a.Status != StatusDone {
					t.Errorf("%s", p.ResultLine(a))
				}
			}
			if got := e.get(strengthsPath + "/" + id); sortedStrings(got["allowedCombinations"]) != "fido2,windowsHelloForBusiness" {
				t.Errorf("allowedCombinations %v", got["allowedCombinations"])
			}
		})
	}
}
