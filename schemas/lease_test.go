package schemas

import (
	"runtime"
	"sync"
	"testing"
	"weak"
)

// TestLeaseDropsTheSchemaAfterUse: with DropAfterUse on (the CLI), the
// leases of a kind held at the same time share one compiled schema, which
// is freed once the last ends (an export does not hold the schemas of the
// kinds it finished while it reads the largest ones: issue 12, peak
// memory); a later lease compiles it again and validates alike. Off (the
// default: tests, a process running many commands), Lease is For. Ending a
// lease twice counts once.
func TestLeaseDropsTheSchemaAfterUse(t *testing.T) {
	const kind = "groups"
	good := map[string]any{"id": "00000000-0000-0000-0000-000000000001", "displayName": "g\n\u202e🙂 ../x", "mailEnabled": false}
	bad := map[string]any{"id": "00000000-0000-0000-0000-000000000001", "mailEnabled": "no"}

	// Off: the cached schema, kept.
	cached, err := For(kind)
	if err != nil {
		t.Fatal(err)
	}
	s, release, err := Lease(kind)
	if err != nil || s != cached {
		t.Fatalf("Lease with DropAfterUse off: %p %v, For: %p", s, err, cached)
	}
	release()

	DropAfterUse(true)
	defer DropAfterUse(false)
	cache.Delete(kind) // as in a process that never called For(kind)
	defer cache.Delete(kind)

	a, endA, err := Lease(kind)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var b *Schema
	var endB func()
	wg.Add(1)
	go func() { defer wg.Done(); b, endB, _ = Lease(kind) }()
	wg.Wait()
	if a == nil || a != b {
		t.Fatalf("two leases held at once: %p and %p, want one schema", a, b)
	}
	if err := a.Validate(good); err != nil {
		t.Errorf("valid group: %v", err)
	}
	if err := a.Validate(bad); err == nil {
		t.Error("mailEnabled \"no\" accepted")
	}
	if !a.ReadOnly("id") {
		t.Error("id not read-only (the document decoded on first use)")
	}
	w := weak.Make(a)
	a, b = nil, nil
	endA()
	endA() // twice: counts once, b still holds it
	runtime.GC()
	if w.Value() == nil {
		t.Fatal("schema freed while a lease still held it")
	}
	endB()
	for i := 0; i < 3 && w.Value() != nil; i++ {
		runtime.GC()
	}
	if w.Value() != nil {
		t.Error("schema still held after every lease ended")
	}
	leaseMu.Lock()
	n := len(leases)
	leaseMu.Unlock()
	if n != 0 {
		t.Errorf("%d leases left", n)
	}
	c, endC, err := Lease(kind)
	if err != nil || c == nil || c == cached {
		t.Fatalf("lease after the last ended: %p %v", c, err)
	}
	defer endC()
	if err := c.Validate(good); err != nil {
		t.Errorf("valid group, schema compiled again: %v", err)
	}
	if err := c.Validate(bad); err == nil {
		t.Error("mailEnabled \"no\" accepted by the schema compiled again")
	}
	if _, end, err := Lease("no-such-kind"); err == nil || end == nil {
		t.Errorf("unknown kind: %v", err)
	}
}
