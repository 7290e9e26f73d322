package importer

import (
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// unbacked are references to objects no snapshot holds because Graph does
// not let entrasnap's application token read them, by kind: a restore
// writes them as they were and says that Graph refuses the write if the
// object is gone.
//
// Terms of use agreements: every page of the agreement API lists
// "Application: Not supported" (Agreement.Read.All and Agreement.ReadWrite.All
// are delegated permissions only: agreement-list, agreement-get,
// termsofusecontainer-post-agreements; shared/graph-metadata/permissions.json).
var unbacked = map[string][]struct{ path, what string }{
	"conditional-access-policies": {{"grantControls.termsOfUse", "terms of use agreement"}},
}

// unbackedWarnings are the plan's warnings about the references of data
// (an object of kind k being created or restored) to objects entrasnap
// cannot back up.
func unbackedWarnings(k *layout.Kind, data map[string]any) []string {
	var out []string
	for _, u := range unbacked[k.Name] {
		var ids []string
		for _, v := range asSlice(dig(data, strings.Split(u.path, ".")...)) {
			if s := str(v); s != "" {
				ids = append(ids, layout.Safe(s))
			}
		}
		if len(ids) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s names %s %s, which no snapshot holds (Graph gives applications no permission to read agreements): if it was deleted, Graph refuses this write; recreate the agreement in the Entra admin center and put its new id in the file",
			u.path, u.what, strings.Join(ids, ", ")))
	}
	return out
}
