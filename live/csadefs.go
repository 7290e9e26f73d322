package live

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Custom security attribute sets and definitions (layout kinds
// attribute-sets and custom-security-attributes) read by a signed-in user
// whose attribute role is scoped to attribute sets. A delegated caller
// needs one of Attribute Definition Reader or Administrator, Attribute
// Assignment Reader or Administrator (attributeset-get: "The signed-in
// user must also be assigned at least one of the following directory
// roles"); held at an attribute set's scope (directoryScopeId
// /attributeSets/{id}) it reads that set only ("Cannot read other
// attribute sets", learn:/entra/fundamentals/custom-security-attributes-manage),
// and Graph's list leaves the other sets and their definitions out
// without an error. Written as read, the snapshot would show those sets
// and definitions deleted. So a delegated read first tells which sets the
// user reads (the token's wids claim names the tenant-wide roles; else the
// role assignments, also those held through a role-assignable group,
// csaScopedSets): when they are some sets only, the files of the other
// sets (a set's file, the definitions whose attributeSet is one of them)
// are kept from the previous snapshot as they are, the kind's warning and
// the manifest (KindResult.Partial) name the sets read and kept, and
// without a previous snapshot (or in drift and restore, which keep
// nothing: refuseInPart) the kind is refused (its files, if any, carried)
// rather than written in part.

func init() {
	customReads["attribute-sets"] = (*reader).readAttributeDefinitions
	customReads["custom-security-attributes"] = (*reader).readAttributeDefinitions
}

// csaDefinitionRoles are the directory roles (template ids) that read
// attribute sets and definitions (attributeset-get, "Permissions").
var csaDefinitionRoles = map[string]string{
	"1d336d2c-4ae8-42ef-9711-b3604ce3fc2c": "Attribute Definition Reader",
	"8424c6f0-a189-499e-bbd0-26c1753c96d4": "Attribute Definition Administrator",
	"ffd52fa5-98dc-465c-991d-fc073eb59f8f": "Attribute Assignment Reader",
	"58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d": "Attribute Assignment Administrator",
}

// definitionSets says which attribute sets the caller reads the sets and
// definitions of: nil for all (an application token, a token that is not
// a JWT, a role at the tenant's scope, or no attribute role at all: Graph
// then refuses the read with a 403, which attributeRoleRefusal words),
// else the sets (lower-case id → id). A delegated token whose roles cannot
// be told (no attribute role in its wids claim, role assignments that
// cannot be listed) is refused: the read could be one in part that looks
// complete.
func (r *reader) definitionSets(ctx context.Context, k *layout.Kind) (map[string]string, error) {
	_, app, err := r.c.TokenRoles(ctx)
	if err != nil {
		return nil, kindError(k, "token", err, nil)
	}
	if app {
		return nil, nil
	}
	scp, err := r.c.TokenScopes(ctx)
	if err != nil {
		return nil, kindError(k, "token", err, nil)
	}
	if scp == "" {
		return nil, nil // not a JWT: nothing to tell from it
	}
	token := r.c.BearerToken(ctx)
	wids, _ := graph.TokenClaimStrings(token, "wids")
	for _, w := range wids {
		if _, ok := csaDefinitionRoles[strings.ToLower(w)]; ok {
			return nil, nil
		}
	}
	sets, all, why := r.csaScopedSets(ctx, token, csaDefinitionRoles)
	switch {
	case all:
		return nil, nil
	case len(sets) > 0:
		return sets, nil
	case why == "":
		return nil, nil // no attribute role: Graph answers 403
	}
	// The role assignments (or the groups holding the user) cannot be
	// read: the user's memberships show the roles held over the whole
	// directory (directly or through a group), not those scoped to a set.
	roles, err := r.c.ListObjects(ctx, "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId")
	if err == nil {
		for _, ro := range roles {
			if t, _ := ro["roleTemplateId"].(string); t != "" {
				if _, ok := csaDefinitionRoles[strings.ToLower(t)]; ok {
					return nil, nil
				}
			}
		}
	}
	return nil, &KindError{Kind: k.Name, What: "token", Status: 403,
		Err: fmt.Errorf("the signed-in user holds no attribute role over the whole directory that the token or their memberships show%s; "+
			"an attribute role scoped to attribute sets reads those sets only and Graph leaves the others out of its answer without an error, "+
			"so the read cannot be told complete: grant the app the delegated permission RoleManagement.Read.Directory (or give the user Directory Readers), "+
			"or export with Attribute Definition Reader over the whole directory, or with an application token granted %s",
			why, k.ReadPermissions[0])}
}

// readAttributeDefinitions reads attribute sets or definitions (the list
// and its children, as any collection), keeping the files of the sets
// definitionSets says the caller does not read.
func (r *reader) readAttributeDefinitions(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	sets, err := r.definitionSets(ctx, k)
	if err != nil {
		return nil, err
	}
	if sets != nil && (r.previous == nil || r.previousPaths == nil) {
		return nil, r.refuseInPart(k, "list", fmt.Sprintf("the signed-in user reads the %s of attribute sets %s only (an attribute role scoped to them), and Graph leaves the other sets out of its answer",
			k.Title, setList(sets)), "deleted", "Attribute Definition Reader", k.ReadPermissions[0])
	}
	objs, err := r.list(ctx, k, requests)
	if err == nil {
		err = r.children(ctx, k, objs, requests)
	}
	if err != nil || sets == nil {
		return objs, err
	}
	return objs, r.keepUnreadDefinitions(k, objs, sets)
}

// refuseInPart refuses a read that Graph answers for some attribute sets
// only (read says which and why) when nothing keeps the others: an export
// without a previous snapshot, or a read without ReadOptions.Later (drift
// and restore read the tenant as it is now), where the others would show
// gone. It names the role (over the whole directory) and the application
// permission that read them all.
func (r *reader) refuseInPart(k *layout.Kind, what, read, gone, role, perm string) *KindError {
	rest := "without a previous snapshot to keep them from, the read would show them " + gone + "; export with "
	if r.later == nil {
		rest = "drift and restore keep nothing of what Graph leaves out, so, compared as read, it would show " + gone + "; run it signed in as a user holding "
	}
	return &KindError{Kind: k.Name, What: what, Status: 403,
		Err: fmt.Errorf("%s: %s%s over the whole directory, or with an application token granted %s", read, rest, role, perm)}
}

// definitionSet is the attribute set an attribute set's or definition's
// object (or file) belongs to.
func definitionSet(k *layout.Kind, o map[string]any) string {
	if k.Name == "attribute-sets" {
		s, _ := o["id"].(string)
		return s
	}
	s, _ := o["attributeSet"].(string)
	return s
}

// keepUnreadDefinitions keeps, as they are, the previous snapshot's files
// of k whose attribute set is not one of sets and whose object Graph did
// not answer (r.kept, carried by readUnit), and records the kind's warning.
// A file of a set read now that Graph did not answer is not kept: Graph
// answered that set in full.
func (r *reader) keepUnreadDefinitions(k *layout.Kind, objs []map[string]any, sets map[string]string) error {
	read := map[string]bool{}
	kp := k.KeyProp()
	for _, o := range objs {
		if s := definitionSet(k, o); s != "" {
			if _, ok := sets[strings.ToLower(s)]; !ok {
				// Graph answered a set outside the role's scope after all:
				// read, not kept.
				sets[strings.ToLower(s)] = s
			}
		}
		if id, _ := o[kp].(string); id != "" {
			read[strings.ToLower(id)] = true
		}
	}
	var kept []prepared
	keptSets := map[string]string{}
	for _, p := range r.previousPaths(k) {
		data, err := r.previous(p)
		if err != nil {
			return &KindError{Kind: k.Name, What: "previous snapshot", Err: fmt.Errorf("reading %s to keep the attribute sets not read: %w", p, err)}
		}
		if data == nil {
			continue
		}
		prev, err := layout.Decode(data)
		if err != nil {
			return &KindError{Kind: k.Name, What: "previous snapshot", Err: fmt.Errorf("%s: %w", p, err)}
		}
		set := definitionSet(k, prev)
		id, _ := prev[kp].(string)
		if set == "" || id == "" {
			return &KindError{Kind: k.Name, What: "previous snapshot", Err: fmt.Errorf("%s names no attribute set or %s: it cannot be told kept or read; fix or delete it in a commit of its own", p, kp)}
		}
		if _, ok := sets[strings.ToLower(set)]; ok || read[strings.ToLower(id)] {
			continue
		}
		kept = append(kept, prepared{path: p, key: id})
		keptSets[strings.ToLower(set)] = set
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].path < kept[j].path })
	r.kept.Store(k.Name, kept)
	w := fmt.Sprintf(PartialPrefix+"the signed-in user reads the %s of attribute sets %s only (an attribute role scoped to them); ", k.Title, setList(sets))
	if len(keptSets) == 0 {
		w += "the previous snapshot holds no other set's: any other set is not in this snapshot"
	} else {
		w += "those of " + setList(keptSets) + " were not read and are kept as the previous snapshot holds them"
	}
	r.partial.Store(k.Name, w+"; export with Attribute Definition Reader over the whole directory to read every set")
	return nil
}
