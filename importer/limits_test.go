package importer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// Files holding values longer than Graph takes (a group's displayName of
// 257 characters, a branding localization's usernameHintText of 65;
// graphsim/limits.go) are applied object by object: Graph's refusal fails
// those two actions alone, the other change is applied, and the report
// names, for each refused object, its file and the property and says what
// to do.
func TestValueGraphRefusesAsTooLongIsReportedWithItsFileAndField(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	group := e.prGroup(e.first, "")
	other := e.prGroup(e.first, group.Path)

	long := strings.Repeat("n", 257)
	obj, err := layout.Decode([]byte(e.readWT(group.Path)))
	if err != nil {
		t.Fatal(err)
	}
	obj["displayName"] = long
	k, _ := layout.Lookup("groups")
	groupPath, err := layout.Path(k, obj)
	if err != nil {
		t.Fatal(err)
	}
	if groupPath != group.Path {
		git(t, e.repo.WorkTree(), "mv", group.Path, groupPath)
	}
	e.writeWT(groupPath, string(layout.Encode(obj)))
	const fr = "tenant/branding/fr-FR.yaml"
	e.writeWT(fr, replaceLine(e.readWT(fr), "usernameHintText: ", "usernameHintText: \""+strings.Repeat("h", 65)+"\""))
	e.writeWT(other.Path, replaceLine(e.readWT(other.Path), "description: ", `description: "still applied"`))

	p := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{})
	if len(p.Actions) != 3 {
		t.Fatalf("want 3 actions:\n%s", render(p))
	}
	res := e.apply(p)
	if res.Complete() {
		t.Fatal("the apply completed although Graph refuses two values")
	}
	var report bytes.Buffer
	res.Report(&report, p)
	failed := map[string]string{} // file → its result line
	for _, ar := range res.Actions {
		a := p.Action(ar.ID)
		switch {
		case ar.Status == StatusFailed && ar.GraphStatus == 400:
			failed[a.File] = p.ResultLine(ar)
		case ar.Status != StatusDone:
			t.Errorf("%s %s %s: %s %s", ar.ID, a.Kind, a.File, ar.Status, ar.Error)
		}
	}
	for file, prop := range map[string]string{groupPath: "displayName", fr: "usernameHintText"} {
		line, ok := failed[file]
		if !ok {
			t.Errorf("%s: not refused by Graph: %v", file, failed)
			continue
		}
		want := "Graph refuses the value of " + prop + " in " + file
		if !strings.Contains(line, want) || !strings.Contains(line, "correct it in the file") || !strings.Contains(report.String(), want) {
			t.Errorf("the refusal of %s does not say %q and what to do:\n%s\nreport:\n%s", file, want, line, report.String())
		}
		checkSafeText(t, "the result line", line)
	}
	if g, _ := e.sim.Tenant().Get("group", other.Key); g["description"] != "still applied" {
		t.Errorf("the change Graph takes was not applied: %v", g["description"])
	}
	if g, _ := e.sim.Tenant().Get("group", group.Key); g["displayName"] == long {
		t.Error("graphsim took the 257-character name")
	}
}
