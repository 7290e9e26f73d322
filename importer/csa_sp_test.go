package importer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// Service principals' custom security attribute values, the users' code
// parameterised by kind: exported only when asked for, one file per service
// principal holding values next to the service principals' folder
// (annotations and hostile strings kept, definitions resolved by check),
// and restored by PATCH /servicePrincipals/{id} naming only what changed: a
// changed hostile value, values removed since (given back with their
// annotations), values set since on a service principal without a file
// (removed); a value of an attribute deactivated since is not given back
// and the plan says why.
func TestServicePrincipalSecurityAttributesExportAndRestore(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	const kind = layout.ServicePrincipalSecurityAttributes
	k, _ := layout.Lookup(kind)
	if len(e.snapshotFiles(e.first, k.Folder)) != 0 {
		t.Fatal("a default export read service principals' values")
	}
	tn := e.sim.Tenant()
	var holders, without []string
	for _, sp := range e.list("/v1.0/servicePrincipals?$select=id,appOwnerOrganizationId,servicePrincipalType") {
		id := str(sp["id"])
		if tn.CustomSecurityAttributes(id) != nil {
			holders = append(holders, id)
		} else if !slices.Contains(graphsim.MicrosoftOwnerTenants, str(sp["appOwnerOrganizationId"])) && str(sp["servicePrincipalType"]) != "ManagedIdentity" {
			without = append(without, id) // one the tenant may change
		}
	}
	if len(holders) < 3 || len(without) == 0 {
		t.Fatalf("the demo has %d service principals with values, %d without", len(holders), len(without))
	}
	// A value of an attribute deactivated after it was assigned.
	legacy, def := holders[0], csaDefs+"/HR_LegacyBadge"
	e.do("PATCH", def, map[string]any{"status": "Available"})
	e.do("PATCH", "/v1.0/servicePrincipals/"+legacy, csaSetBody("HR", "LegacyBadge@odata.type", "#Int32", "LegacyBadge", 1234))
	e.do("PATCH", def, map[string]any{"status": "Deprecated"})

	base, files := e.exportValues(kind)
	if len(files) != len(holders) {
		t.Fatalf("%d files for %d service principals with values", len(files), len(holders))
	}
	if k.Folder != "service-principals-security-attributes" {
		t.Fatalf("folder %s", k.Folder)
	}
	e.valueFilesHold(base, k, files, holders, "#Collection(String)", "Clearance:", "LegacyBadge", "\\u202e", "🚀", "../../CC")

	// The incident.
	picked := map[string]bool{legacy: true}
	pick := func(pred func(hr map[string]any) bool) string {
		for _, id := range holders {
			if hr, _ := tn.CustomSecurityAttributes(id)["HR"].(map[string]any); !picked[id] && pred(hr) {
				picked[id] = true
				return id
			}
		}
		t.Fatal("no service principal for the incident in the demo")
		return ""
	}
	projects := pick(func(hr map[string]any) bool { return hr["Projects"] != nil })
	hostile := pick(func(hr map[string]any) bool { return strings.ContainsAny(str(hr["CostCenter"]), "\n\u202e\"🚀") })
	fresh := without[0]
	e.do("PATCH", "/v1.0/servicePrincipals/"+hostile, csaSetBody("HR", "CostCenter", "plain"))
	e.do("PATCH", "/v1.0/servicePrincipals/"+projects, csaSetBody("HR", "Projects@odata.type", "#Collection(String)", "Projects", []any{}))
	e.do("PATCH", "/v1.0/servicePrincipals/"+fresh, csaSetBody("DataProtection", "Clearance", "Public"))
	e.do("PATCH", "/v1.0/servicePrincipals/"+legacy, csaSetBody("HR", "LegacyBadge", nil))

	p := e.plan(base, []string{kind}, Options{})
	bySP := csaPatches(t, p, kind, "/v1.0/servicePrincipals/", 3) // hostile, projects, fresh
	wantBody := map[string]string{
		fresh:    `{"customSecurityAttributes":{"DataProtection":{"@odata.type":"` + csaWriteType + `","Clearance":null}}}`,
		projects: `{"customSecurityAttributes":{"HR":{"@odata.type":"` + csaWriteType + `","Projects":` + csaJSON(t, files[strings.ToLower(projects)].Data["customSecurityAttributes"].(map[string]any)["HR"].(map[string]any)["Projects"]) + `,"Projects@odata.type":"#Collection(String)"}}}`,
	}
	for id, want := range wantBody {
		if got := csaJSON(t, json.RawMessage(bySP[strings.ToLower(id)].Request.Body)); got != want {
			t.Errorf("body for %s:\n got %s\nwant %s", id, got, want)
		}
	}
	if a := bySP[strings.ToLower(fresh)]; !a.Removal || !strings.Contains(strings.Join(a.Warnings, "\n"), "the service principal has no file at REV") {
		t.Errorf("the removal of values set since: %+v", a)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n")+actionWarnings(p), "HR.LegacyBadge is not given back") {
		t.Errorf("the plan does not say why LegacyBadge is not given back:\n%s", render(p))
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	for _, id := range []string{hostile, projects} {
		if got, want := csaJSON(t, tn.CustomSecurityAttributes(id)), csaJSON(t, files[strings.ToLower(id)].Data["customSecurityAttributes"]); got != want {
			t.Errorf("%s after the restore:\n got %s\nwant %s", id, got, want)
		}
	}
	if v := tn.CustomSecurityAttributes(fresh); v != nil {
		t.Errorf("values set since are still there: %v", v)
	}
	if p := e.plan(base, []string{kind}, Options{}); len(p.Actions) != 0 {
		t.Errorf("second plan:\n%s", render(p))
	}
}
