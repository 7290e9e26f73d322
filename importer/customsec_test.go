package importer

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

const (
	csaSets = "/v1.0/directory/attributeSets"
	csaDefs = "/v1.0/directory/customSecurityAttributeDefinitions"
)

// allowedOf is a definition's predefined values as "id=isActive", sorted.
func (e *env) allowedOf(def string) string {
	var out []string
	for _, v := range e.list(csaDefs + "/" + def + "/allowedValues") {
		out = append(out, fmt.Sprintf("%s=%v", v["id"], v["isActive"]))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// Custom security attributes come back from the snapshot as Graph allows:
// a set and definitions PATCHed, predefined values added, reactivated and
// (when not at REV) deactivated, a definition not at REV deactivated
// (status Deprecated) and a set not at REV left with a warning: Graph
// deletes none of them, so no DELETE is planned. Values differing only in
// case are distinct (Graph's ids are case sensitive). A second plan is
// empty.
func TestRestoreCustomSecurityAttributes(t *testing.T) {
	whenShortOnly(t, "attribute-sets", "custom-security-attributes")
	e := newEnv(t, graphsim.Options{}, nil)
	const clearance = "DataProtection_Clearance"
	before := e.allowedOf(clearance)
	if before != "Confidential=true Internal=true Public=true Secret=false" {
		t.Fatalf("the demo's predefined values: %s", before)
	}
	wantDef := e.get(csaDefs + "/" + clearance)
	wantHR := e.get(csaSets + "/HR")

	// The incident.
	e.do("PATCH", csaSets+"/HR", map[string]any{"description": hostileName, "maxAttributesPerSet": 30})
	e.do("PATCH", csaDefs+"/"+clearance, map[string]any{"description": "changed", "usePreDefinedValuesOnly": false})
	e.do("PATCH", csaDefs+"/"+clearance+"/allowedValues/Internal", map[string]any{"isActive": false})
	e.do("POST", csaDefs+"/"+clearance+"/allowedValues", map[string]any{"id": "TopSecret", "isActive": true})
	e.do("POST", csaDefs+"/"+clearance+"/allowedValues", map[string]any{"id": "public", "isActive": true})
	e.do("PATCH", csaDefs+"/HR_CostCenter", map[string]any{"status": "Deprecated"})
	e.do("POST", csaSets, map[string]any{"id": "Temp"})
	e.do("POST", csaDefs, map[string]any{"attributeSet": "Temp", "name": "Extra", "type": "String", "status": "Available",
		"isCollection": false, "isSearchable": false, "usePreDefinedValuesOnly": false})
	e.recordIncident()

	sel := []string{"custom-security-attributes"}
	p := e.plan(e.first, sel, Options{})
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.Request.Method+" "+strings.TrimPrefix(a.Request.Path, "/v1.0/directory/")+" "+string(a.Request.Body))
		if a.Request.Method == "DELETE" {
			t.Errorf("a DELETE Graph does not serve: %s", a.Request.Path)
		}
	}
	sort.Strings(got)
	want := []string{
		`PATCH attributeSets/HR {"description":"Attributes the HR team manages","maxAttributesPerSet":25}`,
		`PATCH customSecurityAttributeDefinitions/DataProtection_Clearance {"description":"Highest data classification the holder may access","usePreDefinedValuesOnly":true}`,
		`PATCH customSecurityAttributeDefinitions/DataProtection_Clearance/allowedValues/Internal {"isActive":true}`,
		`PATCH customSecurityAttributeDefinitions/DataProtection_Clearance/allowedValues/TopSecret {"isActive":false}`,
		`PATCH customSecurityAttributeDefinitions/DataProtection_Clearance/allowedValues/public {"isActive":false}`,
		`PATCH customSecurityAttributeDefinitions/HR_CostCenter {"status":"Available"}`,
		`PATCH customSecurityAttributeDefinitions/Temp_Extra {"status":"Deprecated"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), render(p))
	}
	out := render(p)
	for _, w := range []string{"Graph does not delete attribute sets", "Graph does not delete custom security attribute definitions", "Graph does not delete predefined values"} {
		if !strings.Contains(out, w) {
			t.Errorf("the plan does not say %q:\n%s", w, out)
		}
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if got := e.allowedOf(clearance); got != "Confidential=true Internal=true Public=true Secret=false TopSecret=false public=false" {
		t.Errorf("predefined values after the restore: %s", got)
	}
	for path, want := range map[string]map[string]any{csaDefs + "/" + clearance: wantDef, csaSets + "/HR": wantHR} {
		got := e.get(path)
		delete(got, "@odata.context")
		delete(want, "@odata.context")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s after the restore:\n%v\nwant\n%v", path, got, want)
		}
	}
	if s := e.get(csaDefs + "/Temp_Extra")["status"]; s != "Deprecated" {
		t.Errorf("the definition not at REV: status %v", s)
	}
	e.mustBeEmpty(sel, Options{})
}

// A definition added as a new file (new-NAME.yaml, no id: Graph's is
// {attributeSet}_{name}) is created, then its predefined values added.
func TestCreateCustomSecurityAttributeFromFile(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	newFile := "custom-security-attributes/definitions/new-region.yaml"
	e.writeWT(newFile, "allowedValues:\n  - id: \"EMEA\"\n    isActive: true\n  - id: \"APAC\"\n    isActive: false\n"+
		"attributeSet: \"HR\"\ndescription: \"Sales region\"\nisCollection: false\nisSearchable: true\nname: \"Region\"\n"+
		"status: \"Available\"\ntype: \"String\"\nusePreDefinedValuesOnly: true\n")
	p := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{})
	var ops []string
	for _, a := range p.Actions {
		ops = append(ops, string(a.Op)+" "+a.Request.Method)
	}
	if strings.Join(ops, ",") != "create POST,add-child POST,add-child POST" {
		t.Fatalf("plan: %v\n%s", ops, render(p))
	}
	res := e.apply(roundTrip(t, p))
	if !res.Complete() || res.SnapshotErr != "" {
		t.Fatalf("apply: %+v", res)
	}
	if got := e.allowedOf("HR_Region"); got != "APAC=false EMEA=true" {
		t.Errorf("predefined values of the created definition: %s", got)
	}
	if again := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{}); !again.Empty() {
		t.Fatalf("planning again is not empty:\n%s", render(again))
	}
}
