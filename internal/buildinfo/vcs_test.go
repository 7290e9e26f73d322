package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestRevisionOfARealBuild builds a small program that prints Write's
// output (this package's source copied into a throwaway module) in a
// fresh git clone with -buildvcs=true, as `go install ./cmd/entrasnap`
// builds in a checkout (README says how), and checks it reports the
// commit built, then "(modified" once the work tree has changes. The go
// command does the recording; this checks it reaches --version's text.
func TestRevisionOfARealBuild(t *testing.T) {
	gitTool, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		// The user's GOFLAGS may hold -buildvcs=false (this machine's does).
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	src, err := os.ReadFile("buildinfo.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":                 "module example.com/probe\n\ngo 1.22\n",
		"buildinfo/buildinfo.go": string(src),
		"main.go": `package main

import (
	"os"
	"runtime/debug"

	"example.com/probe/buildinfo"
)

func main() {
	bi, _ := debug.ReadBuildInfo()
	buildinfo.Write(os.Stdout, "probe", bi, buildinfo.Version(bi, ""))
}
`}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(gitTool, "init", "-q")
	run(gitTool, "add", ".")
	run(gitTool, "commit", "-q", "-m", "probe")
	head := strings.TrimSpace(run(gitTool, "rev-parse", "HEAD"))
	bin := filepath.Join(t.TempDir(), "probe") // outside the work tree: not a change in it
	run(goTool, "build", "-buildvcs=true", "-o", bin, ".")
	out := run(bin)
	if !strings.Contains(out, "revision "+head+"\n") || !strings.Contains(out, "probe version v0.0.0-") || !strings.Contains(out, head[:12]) || strings.Contains(out, "modified") {
		t.Errorf("a build of commit %s says:\n%s", head, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(files["main.go"]+"\n// changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(goTool, "build", "-buildvcs=true", "-o", bin, ".")
	if out := run(bin); !strings.Contains(out, "revision "+head+" (modified") || !strings.Contains(out, "+dirty") {
		t.Errorf("a build of a changed work tree says:\n%s", out)
	}
}
