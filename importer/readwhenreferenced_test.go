package importer

import (
	"context"
	"slices"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// A restore plan reads the live objects of a kind its selection references
// exactly when the catalog says so (layout.Kind.ReadWhenReferenced), and
// the recycle bin of such a kind with a bin: selecting Conditional Access
// policies reads named locations (with their bin) and authentication
// strengths but not users, groups or role definitions; selecting
// administrative units reads the activated directory roles.
func TestReadWhenReferencedIsWhatLoadReads(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	for _, sel := range []string{"conditional-access-policies", "administrative-units"} {
		k, _ := layout.Lookup(sel)
		in, err := Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: []string{sel}, Now: e.now})
		if err != nil {
			t.Fatalf("%s: load: %v", sel, err)
		}
		flagged := 0
		for _, r := range k.Refs {
			for _, rk := range r.Kinds {
				ref, _ := layout.Lookup(rk)
				if rk == k.Name || slices.Contains(k.AdvisoryReads, rk) {
					continue // read for another reason
				}
				if _, read := in.Live[rk]; read != ref.ReadWhenReferenced {
					t.Errorf("%s references %s (%s): read live %v, but the catalog's ReadWhenReferenced is %v", sel, rk, r.Path, read, ref.ReadWhenReferenced)
				}
				if !ref.ReadWhenReferenced || ref.SoftDelete == "" {
					continue
				}
				flagged++
				_, refused := in.BinUnread[rk]
				inBin := false
				for _, o := range in.Deleted {
					inBin = inBin || o.Kind == ref
				}
				if !refused && !inBin {
					t.Errorf("%s references %s: its recycle bin was not read (nothing from it, no refusal)", sel, rk)
				}
			}
		}
		if sel == "conditional-access-policies" && flagged == 0 {
			t.Errorf("%s: no referenced kind with a recycle bin is read when referenced: the bin is not tested", sel)
		}
	}
}
