package layout

import "testing"

// Every kind that is state of another kind's object names an owner that is
// an object kind of its own, listed where it is; no other kind has one.
func TestOwnerKind(t *testing.T) {
	want := map[string]string{
		"per-user-mfa":                     "users",
		UserSecurityAttributes:             "users",
		ServicePrincipalSecurityAttributes: "service-principals",
		UserFlowConnections:                "user-flows",
	}
	for _, k := range Kinds() {
		got := OwnerKind(k)
		if got != want[k.Name] {
			t.Errorf("OwnerKind(%s) = %q, want %q", k.Name, got, want[k.Name])
		}
		if k.PerObject != "" && got == "" {
			t.Errorf("%s has PerObject %q and no owner kind", k.Name, k.PerObject)
		}
		if got == "" {
			continue
		}
		o, ok := Lookup(got)
		if !ok {
			t.Fatalf("OwnerKind(%s) = %q: no such kind", k.Name, got)
		}
		if OwnerKind(o) != "" || o.ListPath != k.ListPath {
			t.Errorf("owner %s of %s: owned itself (%q) or listed at %s, not %s", o.Name, k.Name, OwnerKind(o), o.ListPath, k.ListPath)
		}
	}
	if OwnerKind(nil) != "" {
		t.Error("OwnerKind(nil) is not empty")
	}
}
