package main

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// FuzzFindObject: the CLI's OBJECT lookup (show, log) never panics on any
// argument and answers only paths of the revision.
func FuzzFindObject(f *testing.F) {
	paths := []string{
		"groups/3f/finance-admins.3f2a0b1c-1111-4000-8000-000000000001.yaml",
		"groups/3f/finance-admins.3f2a0b1c-2222-4000-8000-000000000002.yaml",
		"users/a1/adele-contoso-com.a1b2c3d4-0000-4000-8000-00000000000a.yaml",
		"conditional-access/policies/require-mfa.c0ffee00-0000-4000-8000-000000000001.yaml",
		"tenant/organization.yaml",
	}
	names := map[string]string{
		"3f2a0b1c-1111-4000-8000-000000000001": "Finance Admins",
		"3f2a0b1c-2222-4000-8000-000000000002": "Finance Admins",
		"a1b2c3d4-0000-4000-8000-00000000000a": "adele@contoso.com",
		"c0ffee00-0000-4000-8000-000000000001": "Require MFA",
	}
	for _, s := range []string{"groups/Finance Admins", "3F2A0B1C-1111-4000-8000-000000000001", paths[2], "conditional-access-policies/Require MFA",
		"conditional-access/policies/require mfa", "tenant/organization.yaml", "users/", "/", "groups//x", "../groups", "", "groups/\x00", "g/r/o/u/p/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, object string) {
		ix := &repoIndex{rev: "HEAD", byID: map[string]string{}, paths: paths, names: map[string]string{}}
		for _, p := range paths {
			if _, key, err := layout.Locate(p); err == nil && key != "" {
				ix.byID[strings.ToLower(key)] = p
				ix.names[strings.ToLower(key)] = names[key]
			}
		}
		p, err := findObject(ix, object)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, q := range paths {
			if q == p {
				return
			}
		}
		t.Fatalf("findObject(%q) = %q, not a path of the revision", object, p)
	})
}
