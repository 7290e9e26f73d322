package importer

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim/perms"
	"github.com/entrasnap/entrasnap/layout"
)

// The requests each kind's export and restore send, as
// TestEachKindRestoresWithOnlyItsListedPermissions observes them (every
// request its app makes, $batch parts included), are kept in
// layout/testdata/kindrequests.txt: layout TestKindPermissionsAreLeastPrivileged
// checks against them that every permission a kind lists is one Graph's
// permission map names least privileged for a request the kind sends.
// The full run (without -short) rewrites the file with
// -update-kindrequests and otherwise fails when it is out of date; a
// -short or -run-filtered run checks only that what it saw is listed.
var updateKindRequests = flag.Bool("update-kindrequests", false, "rewrite layout/testdata/kindrequests.txt from a full TestEachKindRestoresWithOnlyItsListedPermissions run")

const kindRequestsFile = "../layout/testdata/kindrequests.txt"

var kindRequests = struct {
	sync.Mutex
	seen map[string]map[string]bool // "kind phase" → "METHOD /path"
}{seen: map[string]map[string]bool{}}

// recordKindRequests notes the requests one phase ("export", "restore") of
// a kind's run sent.
func recordKindRequests(kind, phase string, sent []string) {
	kindRequests.Lock()
	defer kindRequests.Unlock()
	k := kind + " " + phase
	if kindRequests.seen[k] == nil {
		kindRequests.seen[k] = map[string]bool{}
	}
	for _, s := range sent {
		kindRequests.seen[k][normalizeRequest(s)] = true
	}
}

var idLike = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-|^[A-Za-z0-9_-]{20,}=*$|[0-9]`)

// normalizeRequest turns "GET /v1.0/groups/<id>/members?$select=id" into
// "GET /groups/{id}/members", by the row of graphsim's permission table the
// request matches, or, for a call the table lacks, by replacing id-like
// segments.
func normalizeRequest(s string) string {
	method, path, _ := strings.Cut(s, " ")
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if tmpl, ok := perms.Template(method, path); ok {
		return method + " " + tmpl
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) > 0 && (segs[0] == "v1.0" || segs[0] == "beta") {
		segs = segs[1:]
	}
	for i, seg := range segs {
		if i > 0 && idLike.MatchString(seg) && !strings.HasPrefix(seg, "$") {
			segs[i] = "{id}"
		}
	}
	return method + " /" + strings.ToLower(strings.Join(segs, "/"))
}

// checkKindRequests compares what the run saw with kindRequestsFile; see
// updateKindRequests.
func checkKindRequests(t *testing.T) {
	if t.Failed() {
		return
	}
	kindRequests.Lock()
	defer kindRequests.Unlock()
	var lines []string
	for k, set := range kindRequests.seen {
		for r := range set {
			lines = append(lines, k+" "+r)
		}
	}
	sort.Strings(lines)
	full := !testing.Short() && len(kindRequests.seen) > 0 && allKindsRan()
	if *updateKindRequests {
		if !full {
			t.Fatal("-update-kindrequests needs the full run: no -short, no -run filter below the test")
		}
		head := "# The requests each kind's export and restore send (kind phase METHOD path),\n" +
			"# observed by importer TestEachKindRestoresWithOnlyItsListedPermissions.\n" +
			"# Generated: go test ./importer -run TestEachKindRestoresWithOnlyItsListedPermissions -update-kindrequests\n"
		if err := os.WriteFile(kindRequestsFile, []byte(head+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(kindRequestsFile)
	if err != nil {
		t.Fatalf("%v: generate it with -update-kindrequests", err)
	}
	listed := map[string]bool{}
	ran := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			listed[l] = true
		}
	}
	for _, l := range lines {
		f := strings.Fields(l)
		ran[f[0]+" "+f[1]] = true
		if !listed[l] {
			t.Errorf("%s sends %s, which %s does not list: run the test without -short and with -update-kindrequests", f[0], strings.Join(f[1:], " "), filepath.Base(kindRequestsFile))
		}
	}
	if !full {
		return
	}
	for l := range listed {
		f := strings.Fields(l)
		if ran[f[0]+" "+f[1]] && !kindRequests.seen[f[0]+" "+f[1]][strings.Join(f[2:], " ")] {
			t.Errorf("%s lists %s, which %s no longer sends: run with -update-kindrequests", filepath.Base(kindRequestsFile), l, f[0])
		}
	}
}

// allKindsRan reports whether every kind that is neither skipped nor
// delegated-only was recorded (no -run filter below the test).
func allKindsRan() bool {
	for _, k := range layout.Kinds() {
		if _, skip := kindPermsSkipped[k.Name]; skip || k.DelegatedOnly != "" {
			continue
		}
		if kindRequests.seen[k.Name+" export"] == nil {
			return false
		}
	}
	return true
}
