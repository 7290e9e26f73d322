package history

import (
	"testing"
)

// FuzzResolveOne: the selector grammar never panics on any argument and
// answers only object files of the revision.
func FuzzResolveOne(f *testing.F) {
	files, paths := fixture(f)
	for _, s := range []string{"groups/Finance Admins", "3F2A0B1C-1111-4000-8000-000000000001", paths["user"], "conditional-access-policies/Require MFA",
		"conditional-access/policies/require mfa", "tenant/organization.yaml", "users/", "/", "groups//x", "../groups", "", "groups/\x00", "g/r/o/u/p/s",
		appAppID, roleTmpl, "-", "--", assignID} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sel string) {
		ix := FromFiles(files)
		p, err := ResolveOne(ix, sel)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if _, ok := files[p]; !ok || !ix.Has(p) {
			t.Fatalf("ResolveOne(%q) = %q, not an object file of the revision", sel, p)
		}
		s, err := Resolve(FromFiles(files), []string{sel}, false)
		if err != nil || len(s.Paths)+len(s.Kinds) != 1 {
			t.Fatalf("Resolve(%q) = %+v, %v; ResolveOne found %s", sel, s, err, p)
		}
	})
}
