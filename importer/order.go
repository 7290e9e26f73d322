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
		a := &pl.p.Actions[i]
		for j, d := range a.DependsOn {
			if strings.HasPrefix(d, "@") {
				a.DependsOn[j] = mains[d]
			}
		}
		a.DependsOn = uniq(a.DependsOn)
	}
	pl.order()
	pl.names2()
}

// order puts the actions in dependency order and renumbers them: kinds
// ordered so that what others wait for comes first (the catalog order
// otherwise), each kind's actions together, removals last; then a stable
// topological pass guarantees every action follows what it depends on.
func (pl *planner) order() {
	kindOf := map[string]string{}
	for _, a := range pl.p.Actions {
		kindOf[a.ID] = a.Kind
	}
	rank := map[string]int{}
	for i, k := range layout.Kinds() {
		rank[k.Name] = i
	}
	after := map[string]map[string]bool{} // kind → kinds it waits for
	for _, a := range pl.p.Actions {
		if a.Removal {
			continue
		}
		for _, d := range a.DependsOn {
			if k := kindOf[d]; k != "" && k != a.Kind {
				if after[a.Kind] == nil {
					after[a.Kind] = map[string]bool{}
				}
				after[a.Kind][k] = true
			}
		}
	}
	var kinds []string
	for _, k := range layout.Kinds() {
		kinds = append(kinds, k.Name)
	}
	done := map[string]bool{}
	var korder []string
	for len(korder) < len(kinds) {
		picked := false
		for _, k := range kinds {
			if done[k] {
				continue
			}
			ready := true
			for w := range after[k] {
				if !done[w] {
					ready = false
				}
			}
			if ready {
				done[k], picked = true, true
				korder = append(korder, k)
				break
			}
		}
		if !picked { // kinds waiting on each other: catalog order for the rest
			for _, k := range kinds {
				if !done[k] {
					done[k] = true
					korder = append(korder, k)
				}
			}
		}
	}
	for i, k := range korder {
		rank[k] = i
	}
	var main, removals []Action
	for _, a := range pl.p.Actions {
		if a.Removal {
			removals = append(removals, a)
		} else {
			main = append(main, a)
		}
	}
	sort.SliceStable(main, func(i, j int) bool { return rank[main[i].Kind] < rank[main[j].Kind] })
	out := topological(append(main, removals...))
	renum := make(map[string]string, len(out))
	for i := range out {
		renum[out[i].ID] = strconv.Itoa(i + 1)
	}
	for i := range out {
		out[i].ID = renum[out[i].ID]
		for j, d := range out[i].DependsOn {
			if n, ok := renum[d]; ok {
				out[i].DependsOn[j] = n
			}
		}
		sort.Slice(out[i].DependsOn, func(a, b int) bool { return atoi(out[i].DependsOn[a]) < atoi(out[i].DependsOn[b]) })
	}
	pl.p.Actions = out
}

// topological returns acts so that each follows the actions it depends on,
// choosing at every step the earliest action in acts whose dependencies are
// placed (Kahn's algorithm with a min-heap of positions: O(n log n) in
// actions plus dependencies). Actions in a cycle keep their order at the
// end; apply refuses such a plan.
func topological(acts []Action) []Action {
	index := make(map[string]int, len(acts))
	for i, a := range acts {
		index[a.ID] = i
	}
	waits := make([]int, len(acts))  // unplaced dependencies of each action
	next := make([][]int, len(acts)) // actions waiting for each action
	ready := &minHeap{}
	for i, a := range acts {
		for _, d := range a.DependsOn {
			if j, ok := index[d]; ok {
				waits[i]++
				next[j] = append(next[j], i)
			}
		}
		if waits[i] == 0 {
			heap.Push(ready, i)
		}
	}
	placed := make([]bool, len(acts))
	out := make([]Action, 0, len(acts))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		placed[i] = true
		out = append(out, acts[i])
		for _, j := range next[i] {
			if waits[j]--; waits[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	for i, a := range acts { // a cycle: the rest as they are
		if !placed[i] {
			out = append(out, a)
		}
	}
	return out
}

type minHeap []int

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// names2 collects the names the plan mentions.
func (pl *planner) names2() {
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
		visit(a.Key)
		visit(a.LiveKey)
		visit(a.Target)
		for _, c := range a.Changes {
			visit(c.Before)
			visit(c.After)
			visit(c.Added)
			visit(c.Removed)
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
