// Package arrows holds the import-arrow guard that CI runs (as part of
// go test ./...): the package dependencies ARCHITECTURE.md draws one way
// stay one way. See Rules.
package arrows

import (
	"slices"
	"sort"
	"strings"
)

// Module is the module path.
const Module = "github.com/entrasnap/entrasnap"

// Rule: the packages matching From (a package path relative to Module;
// "graphsim/..." for a tree) import no package of the module outside
// Allow (the same forms).
type Rule struct {
	From  string
	Allow []string
	Why   string
	// Independent: not even Leaves are allowed (graphsim, and the leaves
	// themselves).
	Independent bool
}

// Leaves are the module's pure helpers that every rule but an Independent
// one allows: each imports no package of the module (its own rule says
// so) and knows nothing of Graph, git or kinds.
var Leaves = []string{"internal/textcut"}

// Rules are the arrows CI enforces.
var Rules = []Rule{
	{From: "graphsim/...", Allow: []string{"graphsim/..."}, Independent: true,
		Why: "graphsim is an independent reference built from Graph's metadata and docs: a catalog shared with the product would let a wrong path or property be wrong on both sides while every test passes"},
	{From: "internal/textcut", Allow: []string{"internal/textcut"}, Independent: true,
		Why: "a leaf (Leaves): every package may import it, so it imports none"},
	{From: "snapshot", Allow: []string{"snapshot"}, Why: "snapshot knows git, not Graph or kinds"},
	{From: "graph", Allow: []string{"graph"}, Why: "graph knows Graph, not git or kinds"},
	{From: "check", Allow: []string{"check", "layout", "schemas", "snapshot"},
		Why: "check verifies what writers wrote: it imports no exporter, importer or graph, so exporter and importer tests can call it"},
	{From: "drift", Allow: []string{"drift", "check", "diff", "history", "layout", "live", "snapshot", "graph", "schemas"},
		Why: "drift compares a live read with a baseline: it imports no exporter or importer (check only bounds the watch list it reads, as every file read is bounded)"},
	{From: "internal/rehearse", Allow: []string{"internal/rehearse", "graphsim/...", "layout", "snapshot"},
		Why: "the rehearsal loader is the one place where the repository format and the emulator meet: no reader of Graph, no writer"},
	{From: "internal/drill", Allow: []string{"internal/drill", "internal/rehearse", "graphsim/...", "importer", "check", "diff", "graph", "history", "layout", "live", "schemas", "snapshot"},
		Why: "the rehearsal runner restores with importer (as restore does) against the graphsim it loads; it imports no exporter: the restores record no snapshot, only the rehearsal record is committed"},
	{From: "layout", Allow: []string{"layout"}, Why: "layout is the catalog and the repository format: pure, no I/O"},
	{From: "live", Allow: []string{"live", "graph", "layout", "schemas"}, Why: "live reads the tenant and writes nothing: no exporter, importer or snapshot"},
	{From: "exporter", Allow: []string{"exporter", "live", "graph", "layout", "schemas", "snapshot", "history", "diff"},
		Why: "exporter writes snapshots from the live read; it renders --pr-body with history's changes (history reads, never writes) and imports no importer, check or drift"},
	{From: "importer", Allow: []string{"importer", "check", "diff", "graph", "history", "layout", "live", "schemas", "snapshot"},
		Why: "importer does not import exporter: it reads through live, and the caller records the post-restore snapshot (ApplyOptions.Record); it validates hand-edited files with check (plans from files)"},
	{From: "evidence", Allow: []string{"evidence", "check", "history", "diff", "layout", "schemas", "snapshot"},
		Why: "the evidence report is computed from the repository alone: it reads (history, check, layout, snapshot) and renders (diff's markdown escaping), and imports no graph, live, exporter or importer, so it needs no tenant access"},
	{From: "internal/cliargs", Allow: []string{"internal/cliargs"}, Independent: true, Why: "the command-line split is pure: no product package, no CLI library"},
	{From: "internal/interrupt", Allow: []string{"internal/interrupt"}, Independent: true, Why: "signals to a cancelled context and an exit code: no product package, no CLI library"},
	{From: "internal/bench", Allow: []string{"internal/bench", "exporter", "live", "graph", "layout", "schemas", "snapshot", "graphsim/...", "history", "diff"},
		Why: "the bench drives exports itself and times diff, log, check and restore through the CLI as users run them (Options.CLI), so it imports no importer or check (history and diff come with exporter, for --pr-body; the bench calls neither)"},
}

// match reports whether the package path p (relative to Module) is pattern.
func match(pattern, p string) bool {
	if tree, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == tree || strings.HasPrefix(p, tree+"/")
	}
	return p == pattern
}

// Violations returns the packages of the module among deps (full import
// paths) that r does not allow, sorted.
func (r Rule) Violations(deps []string) []string {
	var out []string
	for _, d := range deps {
		rel, ok := strings.CutPrefix(d, Module+"/")
		if !ok {
			if d == Module {
				out = append(out, d)
			}
			continue
		}
		allowed := !r.Independent && slices.Contains(Leaves, rel)
		for _, a := range r.Allow {
			if match(a, rel) {
				allowed = true
				break
			}
		}
		if !allowed {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}
