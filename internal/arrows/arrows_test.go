package arrows

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestImportArrows runs `go list -deps` on each rule's packages (their
// non-test imports, as the product binary links them) and fails naming
// every package of the module a rule does not allow.
func TestImportArrows(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatal("the import-arrow guard needs the go command")
		}
	}
	for _, r := range Rules {
		cmd := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", Module+"/"+r.From)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("go list -deps %s: %v\n%s", r.From, err, stderr)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list -deps %s listed nothing", r.From)
		}
		if v := r.Violations(deps); len(v) > 0 {
			t.Errorf("%s imports %s; it may import only %s of this module: %s", r.From, strings.Join(v, ", "), strings.Join(r.Allow, ", "), r.Why)
		}
	}
}

// The guard can fail: a dependency outside Allow is reported.
func TestViolations(t *testing.T) {
	r := Rule{From: "graphsim/...", Allow: []string{"graphsim/..."}}
	deps := []string{"fmt", Module + "/graphsim", Module + "/graphsim/builtin", Module + "/layout", Module + "/graphsimx", Module}
	if got, want := r.Violations(deps), []string{Module, Module + "/graphsimx", Module + "/layout"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Violations = %v, want %v", got, want)
	}
	r = Rule{From: "snapshot", Allow: []string{"snapshot"}}
	if got := r.Violations([]string{Module + "/snapshot", Module + "/snapshot/internal"}); !reflect.DeepEqual(got, []string{Module + "/snapshot/internal"}) {
		t.Errorf("Violations = %v", got)
	}
	// A leaf is allowed everywhere but in an independent package.
	leaf := Module + "/" + Leaves[0]
	if got := (Rule{From: "graph", Allow: []string{"graph"}}).Violations([]string{Module + "/graph", leaf}); len(got) != 0 {
		t.Errorf("graph importing the leaf %s: violations %v", leaf, got)
	}
	if got := (Rule{From: "graphsim/...", Allow: []string{"graphsim/..."}, Independent: true}).Violations([]string{leaf}); !reflect.DeepEqual(got, []string{leaf}) {
		t.Errorf("graphsim importing the leaf %s: violations %v", leaf, got)
	}
	for _, r := range Rules {
		if r.From == "drift" && !reflect.DeepEqual(r.Violations([]string{Module + "/drift", Module + "/importer"}), []string{Module + "/importer"}) {
			t.Error("the drift rule allows drift to import importer")
		}
	}
}
