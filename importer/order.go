package importer

import (
	"container/heap"
	"sort"
	"strconv"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// finish resolves the dependencies on creates and restores planned later,
// orders the actions so each comes after what it depends on (keeping the
// catalog order otherwise), numbers them, and collects the names the plan
// mentions.
func (pl *planner) finish() {
	mains := map[string]string{}
	for _, s := range pl.states {
		if s.main != "" {
			mains["@"+s.k.Name+"/"+strings.ToLower(s.key)] = s.main
		}
	}
	for i := range pl.p.Actions {
		// A new list per action: actions may share one (an object's
		// children get the same parentDeps), and an edit in place would
		// reach every action that holds it.
		a := &pl.p.Actions[i]
		if len(a.DependsOn) == 0 {
			continue
		}
		deps := make([]string, 0, len(a.DependsOn))
		for _, d := range a.DependsOn {
			if strings.HasPrefix(d, "@") {
				if mains[d] == "" && len(pl.objActions[d[1:]]) > 0 {
					// An object this plan updates (not creates): every
					// action on it (csavalues.go: a definition reactivated).
					deps = append(deps, pl.objActions[d[1:]]...)
					continue
				}
				d = mains[d]
			}
			deps = append(deps, d)
		}
		a.DependsOn = uniq(deps)
	}
	pl.order()
	pl.collectNames()
}

// order puts the actions in dependency order and renumbers them: kinds
// ordered so that what others wait for comes first (the catalog order
// otherwise), each kind's actions together, removals last; then a stable
// topological pass guarantees every action follows what it depends on.
func (pl *planner) order() {
	acts, kinds, pos := pl.p.Actions, layout.Kinds(), map[string]int{}
	for i, k := range kinds {
		pos[k.Name] = i
	}
	index := make(map[string]int, len(acts)) // action id → its index in acts
	for i, a := range acts {
		index[a.ID] = i
	}
	deps := func(i int) (out []int) {
		for _, d := range acts[i].DependsOn {
			if j, ok := index[d]; ok {
				out = append(out, j)
			}
		}
		return out
	}
	after := make([][]int, len(kinds)) // kinds each kind's writes wait for
	for i, a := range acts {
		for _, j := range deps(i) {
			if k := acts[j].Kind; !a.Removal && k != a.Kind {
				after[pos[a.Kind]] = append(after[pos[a.Kind]], pos[k])
			}
		}
	}
	rank := make([]int, len(kinds)) // by catalog index
	for r, i := range topological(len(kinds), func(i int) []int { return after[i] }) {
		rank[i] = r
	}
	seq, place, key := make([]int, len(acts)), make([]int, len(acts)), make([]int, len(acts)) // place → action, action → place
	for i, a := range acts {
		seq[i], key[i] = i, len(kinds) // removals last
		if !a.Removal {
			key[i] = rank[pos[a.Kind]]
		}
	}
	sort.SliceStable(seq, func(x, y int) bool { return key[seq[x]] < key[seq[y]] })
	for p, i := range seq {
		place[i] = p
	}
	out := make([]Action, 0, len(acts))
	for _, p := range topological(len(seq), func(p int) []int {
		ds := deps(seq[p])
		for k, j := range ds {
			ds[k] = place[j]
		}
		return ds
	}) {
		out = append(out, acts[seq[p]])
	}
	renum := make(map[string]string, len(out))
	for i := range out {
		renum[out[i].ID] = strconv.Itoa(i + 1)
	}
	for i := range out {
		out[i].ID = renum[out[i].ID]
		if len(out[i].DependsOn) == 0 {
			continue
		}
		// Renumbered into a new list: two actions may hold one list, and
		// renumbering it in place for each renumbered it twice (old 4 → 3,
		// then 3 → 6), making a created object's children wait on an
		// unrelated action instead of the create (TestOrderRenumbersSharedDependenciesOnce).
		deps := make([]string, 0, len(out[i].DependsOn))
		for _, d := range out[i].DependsOn {
			if n, ok := renum[d]; ok {
				d = n
			}
			deps = append(deps, d)
		}
		sort.Slice(deps, func(a, b int) bool { return atoi(deps[a]) < atoi(deps[b]) })
		out[i].DependsOn = deps
	}
	pl.p.Actions = out
}

// topological orders 0..n-1 so that each follows its deps, taking at every
// step the smallest whose deps are placed (Kahn's algorithm with a
// min-heap: O((n+e) log n)); those in a cycle come last, in order (apply
// refuses a plan with one).
func topological(n int, deps func(i int) []int) []int {
	waits, next, ready := make([]int, n), make([][]int, n), &minHeap{}
	for i := 0; i < n; i++ {
		for _, j := range deps(i) {
			waits[i]++
			next[j] = append(next[j], i)
		}
		if waits[i] == 0 {
			heap.Push(ready, i)
		}
	}
	out, placed := make([]int, 0, n), make([]bool, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out, placed[i] = append(out, i), true
		for _, j := range next[i] {
			if waits[j]--; waits[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	for i := 0; i < n; i++ {
		if !placed[i] {
			out = append(out, i)
		}
	}
	return out
}

type minHeap []int

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *minHeap) Pop() any          { x := (*h)[len(*h)-1]; *h = (*h)[:len(*h)-1]; return x }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// collectNames collects the names the plan mentions.
func (pl *planner) collectNames() {
	names := map[string]string{}
	var visit func(v any)
	visit = func(v any) {
		switch x := v.(type) {
		case string:
			if n, ok := pl.names[strings.ToLower(x)]; ok {
				names[strings.ToLower(x)] = n
			}
		case []any:
			for _, e := range x {
				visit(e)
			}
		case map[string]any:
			for _, e := range x {
				visit(e)
			}
		}
	}
	for _, a := range pl.p.Actions {
		visit([]any{a.Key, a.LiveKey, a.Target})
		for _, c := range a.Changes {
			visit([]any{c.Before, c.After, c.Added, c.Removed})
		}
	}
	for _, k := range pl.p.Kept {
		visit(k.Target)
	}
	for _, r := range pl.p.References {
		visit(r.OldID)
	}
	pl.p.Names = names
}
