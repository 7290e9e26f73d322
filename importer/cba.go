package importer

import (
	"reflect"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of the certificate-based authentication configuration
// (layout/catalog_tenant2.go). Graph lists, creates and deletes one but has
// no update (resources/certificatebasedauthconfiguration), and gives each
// create a new id; a tenant holds one. So the snapshot's configuration
// matches the tenant's whatever their ids (naturalKey), and one that
// differs is deleted and created again from the file: certificate-based
// sign-in has no trusted authority between the two requests, which the
// plan says.

const cbaKind = "certificate-based-auth"

func init() {
	noUpdate[cbaKind] = true
}

// replaceCBA plans the delete and create that put the snapshot's
// certificate authorities in place of the tenant's, when they differ.
func (pl *planner) replaceCBA(s *objState, current *Object, want map[string]any, dep string) {
	if reflect.DeepEqual(cbaAuthorities(want), cbaAuthorities(current.Data)) {
		return
	}
	k := s.k
	var deps []string
	if dep != "" {
		deps = append(deps, dep)
	}
	rm := pl.add(s, Action{Op: OpDelete, Request: Request{Method: "DELETE", Path: itemPath(k, current.Key)}, DependsOn: deps,
		Changes:  []Change{{Path: "certificateAuthorities", Action: diff.Replaced, Before: current.Data["certificateAuthorities"], After: want["certificateAuthorities"]}},
		Warnings: []string{"Graph does not update a certificate-based authentication configuration: the tenant's is deleted and the snapshot's created; certificate-based sign-in trusts no authority between the two requests"}})
	pl.add(s, Action{Op: OpCreate, Request: Request{Method: "POST", Path: createPath(k), Body: body(map[string]any{"certificateAuthorities": cbaAuthorities(want)})},
		DependsOn: []string{rm}})
}

// cbaAuthorities are the certificate authorities of a configuration as a
// create sends them: without Graph's read-only issuer and issuerSki.
func cbaAuthorities(data map[string]any) []any {
	var out []any
	for _, v := range asSlice(data["certificateAuthorities"]) {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		c := layout.Copy(m).(map[string]any)
		delete(c, "issuer")
		delete(c, "issuerSki")
		out = append(out, c)
	}
	return out
}
