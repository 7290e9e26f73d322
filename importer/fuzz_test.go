package importer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
)

// FuzzPlanDecode: Decode never panics on any file, and a plan it accepts
// encodes to a fixpoint (Encode, Decode, Encode gives the same bytes).
func FuzzPlanDecode(f *testing.F) {
	f.Add([]byte(`{"format":1,"tenantId":"t","liveFingerprints":{},"actions":[{"id":"1","kind":"groups","key":"k","op":"update","request":{"method":"PATCH","path":"/v1.0/groups/k","body":{"description":"x"}}}]}`))
	f.Add([]byte(`{"format":1,"liveFingerprints":{"groups/k":"abc"},"actions":[]}`))
	f.Add([]byte(`{"format":99,"liveFingerprints":{}}`))
	f.Add([]byte(`{"format":1,"liveFingerprints":{},"actions":[{"id":"","request":{}}]}`))
	f.Add([]byte(`{"format":1,"liveFingerprints":{},"actions":[{"id":"1","dependsOn":["1"],"request":{"method":"DELETE","path":"/v1.0/users/x"}}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"format":1e400}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			t.Skip()
		}
		p, err := Decode(data)
		if err != nil {
			return
		}
		enc, err := p.Encode()
		if err != nil {
			t.Fatalf("Encode of a decoded plan: %v", err)
		}
		p2, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(p)): %v\n%s", err, enc)
		}
		enc2, err := p2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("plan encoding is not a fixpoint (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

// selectorSnapshot is a small snapshot for FuzzResolveSelectors.
func selectorSnapshot(t testing.TB) diff.Snapshot {
	files := map[string][]byte{
		"groups/3f/finance-admins.3f2a0b1c-1111-4000-8000-000000000001.yaml":                []byte("displayName: \"Finance Admins\"\nid: \"3f2a0b1c-1111-4000-8000-000000000001\"\n"),
		"groups/3f/finance-admins.3f2a0b1c-2222-4000-8000-000000000002.yaml":                []byte("displayName: \"Finance Admins\"\nid: \"3f2a0b1c-2222-4000-8000-000000000002\"\n"),
		"users/a1/adele-contoso-com.a1b2c3d4-0000-4000-8000-00000000000a.yaml":              []byte("displayName: \"Adele\"\nid: \"a1b2c3d4-0000-4000-8000-00000000000a\"\nuserPrincipalName: \"adele@contoso.com\"\n"),
		"conditional-access/policies/require-mfa.c0ffee00-0000-4000-8000-000000000001.yaml": []byte("displayName: \"Require MFA\"\nid: \"c0ffee00-0000-4000-8000-000000000001\"\n"),
		"applications/ab/payroll.ab000000-0000-4000-8000-000000000001.yaml":                 []byte("appId: \"99999999-0000-4000-8000-000000000001\"\ndisplayName: \"Payroll\"\nid: \"ab000000-0000-4000-8000-000000000001\"\n"),
		"conditional-access/named-locations/hq.10c00000-0000-4000-8000-000000000001.yaml":   []byte("displayName: \"HQ / Main\"\nid: \"10c00000-0000-4000-8000-000000000001\"\n"),
	}
	s, err := diff.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzResolveSelectors: any selector resolves or fails with a
// *SelectorError-style message, never panics, and selects only paths and
// kinds that exist.
func FuzzResolveSelectors(f *testing.F) {
	for _, s := range []string{"groups", "conditional-access", "groups/Finance Admins", "3f2a0b1c-1111-4000-8000-000000000001",
		"99999999-0000-4000-8000-000000000001", "users/a1/adele-contoso-com.a1b2c3d4-0000-4000-8000-00000000000a.yaml",
		"conditional-access-policies/Require MFA", "conditional-access/named-locations/HQ / Main", "groups,users", "/", "//", " ", "../x", "groups/", "/groups", "/0"} {
		f.Add(s)
	}
	snap := selectorSnapshot(f)
	f.Fuzz(func(t *testing.T, sel string) {
		got, err := ResolveSelectors(snap, []string{sel}, false)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, p := range got.Paths {
			if _, ok := snap[p]; !ok {
				t.Fatalf("selector %q selected %q, not in the snapshot", sel, p)
			}
		}
		for _, k := range got.Kinds {
			if strings.TrimSpace(k) == "" {
				t.Fatalf("selector %q selected an empty kind", sel)
			}
		}
	})
}
