package importer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// Planning at scale (restore --all of a large tenant), with plain values:
// n objects at REV (users, groups naming users, Conditional Access
// policies naming groups); a quarter gone for good (created again, with
// every reference remapped), a quarter in the recycle bin, the rest live
// (half of them changed), and live users not at REV that are deleted
// after the group writes naming them.

func scaleObj(tb testing.TB, kind, key string, data map[string]any) *Object {
	k, ok := layout.Lookup(kind)
	if !ok {
		tb.Fatalf("no kind %s", kind)
	}
	data[k.KeyProp()] = key
	p, err := layout.Path(k, data)
	if err != nil {
		tb.Fatal(err)
	}
	return &Object{Path: p, Kind: k, Key: key, Data: data}
}

func scaleID(prefix byte, i int) string {
	return fmt.Sprintf("%c%07x-0000-4000-8000-%012x", prefix, i, i)
}

func scaleRefs(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"@odata.type": "#microsoft.graph.user", "id": id}
	}
	return out
}

// scaleInput builds the Input of a restore --all of n objects.
func scaleInput(tb testing.TB, n int) *Input {
	users, groups := n*3/4, n/5
	policies := n - users - groups
	in := &Input{TenantID: "t", Rev: "snapshot/1", Commit: "c0ffee", Selectors: []string{"--all"},
		Selection: Selection{Kinds: []string{"users", "groups", "conditional-access-policies"}},
		Live:      map[string]map[string]*Object{"users": {}, "groups": {}, "conditional-access-policies": {}},
		Deleted:   map[string]*Object{}, Refs: map[string]RefState{}, Options: Options{CAState: CAStateAsIs},
		Now: time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)}
	// place puts the object at REV and, by i, in the tenant as it is now.
	place := func(i int, o *Object, changed func() *Object) {
		in.Desired = append(in.Desired, o)
		switch i % 4 {
		case 0: // gone for good
		case 1:
			in.Deleted[strings.ToLower(o.Key)] = o
		case 2:
			in.Live[o.Kind.Name][strings.ToLower(o.Key)] = changed()
		default:
			in.Live[o.Kind.Name][strings.ToLower(o.Key)] = o
		}
	}
	user := func(i int, title string) *Object {
		return scaleObj(tb, "users", scaleID('a', i), map[string]any{"displayName": fmt.Sprintf("User %d", i),
			"userPrincipalName": fmt.Sprintf("u%d@contoso.com", i), "accountEnabled": true, "jobTitle": title})
	}
	for i := 0; i < users; i++ {
		place(i, user(i, "Clerk"), func() *Object { return user(i, "CFO") })
	}
	extra := users / 100 // live users not at REV: deleted
	for i := users; i < users+extra; i++ {
		o := user(i, "Intruder")
		in.Live["users"][strings.ToLower(o.Key)] = o
	}
	group := func(i int, desc string, extraMember bool) *Object {
		var members []string
		for j := 0; j < 5; j++ {
			members = append(members, scaleID('a', (i*7+j*13)%users))
		}
		if extraMember && extra > 0 {
			members = append(members, scaleID('a', users+(i/4)%extra))
		}
		return scaleObj(tb, "groups", scaleID('b', i), map[string]any{"displayName": fmt.Sprintf("Group %d", i),
			"mailNickname": fmt.Sprintf("g%d", i), "securityEnabled": true, "mailEnabled": false, "groupTypes": []any{},
			"description": desc, "members": scaleRefs(members...), "owners": scaleRefs()})
	}
	for i := 0; i < groups; i++ {
		place(i, group(i, "d", false), func() *Object { return group(i, "changed", true) })
	}
	policy := func(i int, state string) *Object {
		var excl []any
		for j := 0; j < 3; j++ {
			excl = append(excl, scaleID('b', (i*11+j*5)%groups))
		}
		return scaleObj(tb, "conditional-access-policies", scaleID('c', i), map[string]any{"displayName": fmt.Sprintf("Policy %d", i), "state": state,
			"conditions": map[string]any{
				"users":        map[string]any{"includeUsers": []any{"All"}, "excludeUsers": []any{}, "excludeGroups": excl},
				"applications": map[string]any{"includeApplications": []any{"All"}},
			},
			"grantControls": map[string]any{"operator": "OR", "builtInControls": []any{"mfa"}}})
	}
	for i := 0; i < policies; i++ {
		place(i, policy(i, "enabled"), func() *Object { return policy(i, "disabled") })
	}
	return in
}

func BenchmarkComputeAll(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				in := scaleInput(b, n)
				b.StartTimer()
				if _, err := Compute(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestComputeAllScale plans a restore --all of 100,000 objects: every
// action follows what it depends on, each object gone for good is created
// once, and each live user not at REV is deleted after the writes to the
// groups that name it. (Ordering the actions was quadratic: this took
// minutes.)
func TestComputeAllScale(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 2_000 // -short (the race run): the same checks on 2,000 objects
	}
	in := scaleInput(t, n)
	gone := 0
	for _, o := range in.Desired {
		if in.Live[o.Kind.Name][strings.ToLower(o.Key)] == nil && in.Deleted[strings.ToLower(o.Key)] == nil {
			gone++
		}
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkOrder(p); err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, a := range p.Actions {
		pos[a.ID] = i
		for _, d := range a.DependsOn {
			if j, ok := pos[d]; !ok || j >= i {
				t.Fatalf("action %s (%s %s) comes before action %s it depends on", a.ID, a.Op, a.Key, d)
			}
		}
	}
	c := p.Counts()
	if c[OpCreate] != gone || c[OpRestore] != len(in.Deleted) || c[OpDelete] != n*3/4/100 {
		t.Errorf("counts %v: want %d creates, %d restores, %d deletes", c, gone, len(in.Deleted), n*3/4/100)
	}
	for _, a := range p.Actions {
		if a.Op != OpDelete {
			continue
		}
		waitsForGroup := false
		for _, d := range a.DependsOn {
			waitsForGroup = waitsForGroup || p.Actions[pos[d]].Kind == "groups"
		}
		if !waitsForGroup {
			t.Fatalf("delete of %s does not wait for the group writes naming it: %v", a.Key, a.DependsOn)
		}
	}
}

// topological takes, at each step, the earliest action whose dependencies
// are placed, and leaves actions in a cycle at the end in their order.
func TestTopologicalEarliestReadyFirst(t *testing.T) {
	acts := []Action{{ID: "a", DependsOn: []string{"c"}}, {ID: "b"}, {ID: "c", DependsOn: []string{"b", "x"}},
		{ID: "d"}, {ID: "e", DependsOn: []string{"f"}}, {ID: "f", DependsOn: []string{"e"}}, {ID: "g", DependsOn: []string{"a"}}}
	var got []string
	index := map[string]int{}
	for i, a := range acts {
		index[a.ID] = i
	}
	for _, i := range topological(len(acts), func(i int) (out []int) {
		for _, d := range acts[i].DependsOn {
			if j, ok := index[d]; ok {
				out = append(out, j)
			}
		}
		return out
	}) {
		got = append(got, acts[i].ID)
	}
	if s := strings.Join(got, ","); s != "b,c,a,d,g,e,f" {
		t.Errorf("order %s, want b,c,a,d,g,e,f", s)
	}
}

// order renumbers every action's dependencies once, also when actions
// share one DependsOn list (the planner hands an object's children the
// same parentDeps slice): renumbering that list in place for each action
// that holds it moved both children of a recreated policy from its create
// (old 4, new 3) on to the removal that became 3's old number (new 6),
// so they were sent before the create and met a 404
// (TestRestorePermissionGrantPolicies, a CI flake).
func TestOrderRenumbersSharedDependenciesOnce(t *testing.T) {
	const k = "permission-grant-policies"
	parentDeps := []string{"4"}
	pl := &planner{p: &Plan{Actions: []Action{
		{ID: "1", Kind: k, Key: "a", Op: OpUpdate},
		{ID: "2", Kind: k, Key: "a", Op: OpAddChild},
		{ID: "3", Kind: k, Key: "a", Op: OpRemoveChild, Removal: true, DependsOn: []string{"2"}},
		{ID: "4", Kind: k, Key: "b", Op: OpCreate},
		{ID: "5", Kind: k, Key: "b", Op: OpAddChild, DependsOn: parentDeps},
		{ID: "6", Kind: k, Key: "b", Op: OpAddChild, DependsOn: parentDeps},
	}}}
	pl.order()
	var got []string
	for _, a := range pl.p.Actions {
		got = append(got, fmt.Sprintf("%s:%s/%s%v", a.ID, a.Key, a.Op, a.DependsOn))
	}
	want := "1:a/update[] 2:a/add-child[] 3:b/create[] 4:b/add-child[3] 5:b/add-child[3] 6:a/remove-child[2]"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("ordered\n%s\nwant\n%s", s, want)
	}
	if parentDeps[0] != "4" {
		t.Errorf("the planner's own list was rewritten: %v", parentDeps)
	}
}

// fill looks each placeholder up: known ones are replaced (also after a
// stray brace), unknown new ids refused, the generated password filled,
// and a hostile body of braces is passed through.
func TestFillLooksPlaceholdersUp(t *testing.T) {
	r := &runner{values: map[string]string{"{{graph}}": "https://g", "{{new:a}}": "A", "{{newAppId:b}}": "B"}}
	for in, want := range map[string]string{
		"{{graph}}/v1.0/directoryObjects/{{new:a}}":              "https://g/v1.0/directoryObjects/A",
		`{"x":"{{{new:a}}}","y":["{{newAppId:b}}","{{new:a}}"]}`: `{"x":"{A}","y":["B","A"]}`,
		"{{other}} {{graph}":                                     "{{other}} {{graph}",
		"plain":                                                  "plain",
	} {
		if got, err := r.fill(in); err != nil || got != want {
			t.Errorf("fill(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := r.fill("/v1.0/users/{{new:zz}}"); err == nil || !strings.Contains(err.Error(), "{{new:zz}} is not known") {
		t.Errorf("unknown placeholder: %v", err)
	}
	if got, err := r.fill(`{"password":"{{generated-password}}"}`); err != nil || strings.Contains(got, "{{") || len(got) < 30 {
		t.Errorf("password: %q %v", got, err)
	}
	hostile := strings.Repeat("{", 1<<20) + "}}" + strings.Repeat("{{x", 1<<18)
	if got, err := r.fill(hostile); err != nil || got != hostile {
		t.Errorf("hostile body changed (%v)", err)
	}
}

// BenchmarkFill fills one request per placeholder of a large restore.
func BenchmarkFill(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := &runner{values: map[string]string{"{{graph}}": "https://graph.microsoft.com"}}
			for i := 0; i < n; i++ {
				r.values["{{new:"+scaleID('a', i)+"}}"] = scaleID('f', i)
			}
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				for i := 0; i < n; i++ {
					if _, err := r.fill(`{"@odata.id":"{{graph}}/v1.0/directoryObjects/{{new:` + scaleID('a', i) + `}}"}`); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// Plan.Action finds an action by id where Compute puts it and, in a plan
// numbered otherwise (a decoded file), anywhere.
func TestPlanActionByID(t *testing.T) {
	p := &Plan{Actions: []Action{{ID: "1"}, {ID: "2"}, {ID: "7"}, {ID: "3"}, {ID: "01"}}}
	for _, id := range []string{"1", "2", "7", "3", "01"} {
		if a := p.Action(id); a == nil || a.ID != id {
			t.Errorf("Action(%q) = %+v", id, a)
		}
	}
	for _, id := range []string{"4", "0", "-1", "", "x", "99999999999999999999"} {
		if a := p.Action(id); a != nil {
			t.Errorf("Action(%q) = %+v, want nil", id, a)
		}
	}
}
