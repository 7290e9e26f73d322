package graphsim

import (
	"bytes"
	"runtime"
	"testing"
)

// TestFastGeneratorMakesTheSameTenant: the large profile with its users
// and security groups packed directly (generate_fast.go) is the tenant the
// ordinary path makes, byte for byte as saved, with checks against the
// ordinary path on the way (2,500 users: three checks of each), and it
// allocates fewer heap objects per user than making each the ordinary way
// and packing it (compact.go before generate_fast.go).
func TestFastGeneratorMakesTheSameTenant(t *testing.T) {
	sz := Sizes{Users: 2500, Groups: 600, Apps: 6, CAPolicies: 4}
	build := func(plain, slow bool) (*Server, float64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := genServer(t, Options{Profile: "large", Seed: 17, Sizes: sz, plainObjects: plain, slowPacking: slow})
		runtime.ReadMemStats(&after)
		return s, float64(after.Mallocs-before.Mallocs) / float64(sz.Users)
	}
	genServer(t, Options{Profile: "large", Seed: 17, Sizes: Sizes{Users: 50, Groups: 5, Apps: 1, CAPolicies: 1}}) // package set-up
	fast, fastAllocs := build(false, false)
	_, slowAllocs := build(false, true) // packed after the ordinary path, as before
	slow, _ := build(true, false)       // plain maps: the reference
	a, b := savedBytes(t, fast.Tenant()), savedBytes(t, slow.Tenant())
	if !bytes.Equal(a, b) {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Fatalf("the directly packed tenant saves differently at byte %d: ...%.300s\nordinary: ...%.300s", i, a[max(0, i-100):], b[max(0, i-100):])
	}
	t.Logf("heap allocations per user while building: packed directly %.0f, made then packed %.0f", fastAllocs, slowAllocs)
	if fastAllocs > slowAllocs*2/3 {
		t.Errorf("the direct build allocates %.0f objects per user, the ordinary one then packing %.0f: want at most two thirds", fastAllocs, slowAllocs)
	}
}

// TestFastGeneratorChecksItsTemplate: a template that no longer makes what
// the ordinary path makes (a hook changed) fails the generation at the
// next check instead of building a different tenant.
func TestFastGeneratorChecksItsTemplate(t *testing.T) {
	clock := NewClock()
	tn, err := buildTenant(Options{Profile: "empty"}, clock)
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(tn, Options{Profile: "large", Seed: 1}, clock)
	fm := g.newFastMaker("group", "createdDateTime", "renewedDateTime", "displayName", "mailNickname")
	mk := func(i int) string {
		name, nick := "G "+itoa(i), "g-"+itoa(i)
		vals := append(make([]string, len(fastDrawn)), "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", name, nick)
		return fm.make(0, vals, func() string {
			id := g.postAt("group", map[string]any{"displayName": name, "mailNickname": nick, "mailEnabled": false, "securityEnabled": true, "groupTypes": []any{}}, genEpoch.AddDate(-1, 0, 0))
			g.pack("group", id)
			return id
		})
	}
	for i := 1; i <= 3; i++ {
		mk(i)
	}
	if g.err != nil || fm.tmpls[0] == nil {
		t.Fatalf("no template (%v)", g.err)
	}
	tm := fm.tmpls[0]
	for i, f := range tm.from {
		if f < 0 && tm.shape.kinds[i] == packString {
			tm.vals[i] += "drift" // as if the hook now set something else
			break
		}
	}
	for i := 4; i <= fastCheckEvery+1 && g.err == nil; i++ {
		mk(i)
	}
	if g.err == nil {
		t.Fatal("a template that drifted from the ordinary path went unnoticed")
	}
	t.Log(g.err)
}
