package importer

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of the External Identities kinds of layout/catalog_external.go.
//
//   - user-flow-attributes: created with displayName, description and
//     dataType (identityuserflowattribute-post); Graph names a created one
//     extension_{app}_{displayName} again, and a PATCH writes the
//     description only (identityuserflowattribute-update).
//   - api-connectors: the authentication secret (a basic authentication
//     password, a client certificate) is write-only and never in a
//     snapshot. A changed connector is PATCHed without
//     authenticationConfiguration (a PATCH of it needs the secret): when
//     its username or certificates differ from the file, the plan lists
//     the credential to re-enter. One gone from the tenant is not created
//     (Graph requires authenticationConfiguration): the plan says what to
//     re-enter, and user flows that named it are reported.
//   - custom-authentication-extensions: created, PATCHed and deleted as
//     they are (no secret: the API receives a token for the app in
//     authenticationConfiguration.resourceId).
//   - user-flows: Graph has no PATCH of a user flow; a gone one is created
//     with its name (the id without B2X_1_, which Graph puts back), its
//     type and version; then its relationships are brought to REV, the
//     objects they name through the plan's references (a recreated
//     attribute's new id):
//     userFlowIdentityProviders by POST/DELETE $ref of an identity
//     provider; userAttributeAssignments by POST (with the attribute as
//     userAttribute), PATCH and DELETE; the API connector of each step by
//     PUT .../apiConnectorConfiguration/{step}/$ref ({} clears it).

const (
	ufAttributes  = "user-flow-attributes"
	apiConnectors = "api-connectors"
	userFlows     = "user-flows"
	ufIdpChild    = "userFlowIdentityProviders"
	ufAssignChild = "userAttributeAssignments"
	ufPrefix      = "B2X_1_"
)

// ufSteps are the steps of a user flow that call an API connector.
var ufSteps = []string{"postAttributeCollection", "postFederationSignup"}

func init() {
	createOnly[ufAttributes] = []string{"displayName", "dataType"}
	updatable[ufAttributes] = []string{"description"}
	createOnly[userFlows] = []string{"id", "userFlowType", "userFlowTypeVersion"}
	noCreate[apiConnectors] = "Graph creates an API connector only with its authentication secret (a password or a client certificate), " +
		"which no snapshot holds: add it again in the Entra admin center (External Identities > Custom authentication extensions > API connectors) " +
		"with the display name, endpoint URL and username in its file, then restore the user flows that use it"
}

// userFlowName is the name a user flow is created with: its id without
// B2X_1_ (identitycontainer-post-b2xuserflows: "The name will be
// pre-pended with B2X_1 after creation").
func userFlowName(id string) string {
	if len(id) > len(ufPrefix) && strings.EqualFold(id[:len(ufPrefix)], ufPrefix) {
		return id[len(ufPrefix):]
	}
	return id
}

// connectorSecret lists the authentication secret to re-enter when the
// live connector's authentication differs from the file's (username,
// type or certificates): restore cannot write it.
func (pl *planner) connectorSecret(s *objState) {
	if s.k.Name != apiConnectors || s.mode != modeLive || s.live == nil {
		return
	}
	want, _ := s.d.Data["authenticationConfiguration"].(map[string]any)
	have, _ := s.live.Data["authenticationConfiguration"].(map[string]any)
	if reflect.DeepEqual(want, have) {
		return
	}
	what := "basic authentication username and password"
	if str(want["@odata.type"]) == "#microsoft.graph.clientCertificateAuthentication" {
		what = "client certificate (PKCS 12) and its password"
	}
	user := ""
	if u := str(want["username"]); u != "" {
		user = " for username " + layout.Safe(u)
	}
	pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: its authentication differs from the snapshot and Graph writes it only with its secret: enter the %s%s in the Entra admin center (never stored in a snapshot)",
		s.k.Title, label(s.d), what, user))
	pl.p.Credentials = append(pl.p.Credentials, Credential{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Type: "API connector " + what})
}

// isUserFlowChild reports whether ch is a user flow relationship planned here.
func isUserFlowChild(kind string, ch layout.Child) bool {
	return kind == userFlows && (ch.Name == ufIdpChild || ch.Name == ufAssignChild)
}

// userFlowConnectors plans the API connector of each step of user flow s
// (current: the live flow, nil when it is created).
func (pl *planner) userFlowConnectors(s *objState, current *Object, parent string, parentDeps []string) {
	if s.k.Name != userFlows {
		return
	}
	want, ok := s.d.Data["apiConnectorConfiguration"].(map[string]any)
	if !ok {
		return // the file has no opinion
	}
	var have map[string]any
	if current != nil {
		have, _ = current.Data["apiConnectorConfiguration"].(map[string]any)
	}
	for _, step := range ufSteps {
		w, h := str(dig(want, step, "id")), str(dig(have, step, "id"))
		if strings.EqualFold(w, h) {
			continue
		}
		path := itemPath(s.k, parent) + "/apiConnectorConfiguration/" + step + "/$ref"
		ch := Change{Path: "apiConnectorConfiguration." + step, Action: diff.Replaced, RefKinds: []string{apiConnectors}}
		if h != "" {
			ch.Before = h
		}
		if w == "" {
			ch.After = nil
			pl.add(s, Action{Op: OpUpdate, Relationship: "apiConnectorConfiguration", Target: h, Removal: true, DependsOn: parentDeps,
				Request: Request{Method: "PUT", Path: path, Body: body(map[string]any{})}, Changes: []Change{ch}})
			continue
		}
		if st := pl.refState(w); st == RefGone || st == RefDeleted || pl.skipped(apiConnectors, w) {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: the API connector %s of step %s no longer exists and was not set: add the connector again (its file says how), then restore this user flow",
				s.k.Title, label(s.d), pl.refName(w), step))
			continue
		}
		ref, deps := pl.ref([]string{apiConnectors}, w)
		ch.After = ref
		pl.add(s, Action{Op: OpUpdate, Relationship: "apiConnectorConfiguration", Target: w, DependsOn: uniq(append(deps, parentDeps...)),
			Request: Request{Method: "PUT", Path: path, Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/identity/apiConnectors/" + ref})},
			Changes: []Change{ch}})
	}
}

// assignmentWritable are what a PATCH of an attribute assignment writes
// (identityuserflowattributeassignment-update), and with userAttribute
// what its POST sends.
var assignmentWritable = []string{"displayName", "isOptional", "requiresVerification", "userInputType", "userAttributeValues"}

func assignmentBody(m map[string]any) map[string]any {
	b := map[string]any{}
	for _, p := range assignmentWritable {
		if v, ok := m[p]; ok {
			b[p] = layout.Copy(v)
		}
	}
	return b
}

// sameAssignment compares two assignments as Graph writes them, the
// options as a set.
func sameAssignment(a, b map[string]any) bool {
	x, y := assignmentBody(a), assignmentBody(b)
	for _, m := range []map[string]any{x, y} {
		if l := asSlice(m["userAttributeValues"]); l != nil {
			c := append([]any(nil), l...)
			sort.SliceStable(c, func(i, j int) bool { return str(dig(c[i], "value")) < str(dig(c[j], "value")) })
			m["userAttributeValues"] = c
		} else {
			m["userAttributeValues"] = []any{}
		}
	}
	return reflect.DeepEqual(x, y)
}

// userFlowChildren plans a user flow's identity providers or attribute
// assignments: have are the live ones, want the file's, by childKey.
func (pl *planner) userFlowChildren(s *objState, ch layout.Child, parent string, have, want map[string]map[string]any, wantKeys, parentDeps []string, ensure bool) {
	k := s.k
	coll := childColl(k, ch, parent)
	var removals []string
	for _, ck := range sortedKeys(have) {
		if _, ok := want[ck]; ok {
			continue
		}
		old := have[ck]
		id := str(old["id"])
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: id})
			continue
		}
		a := Action{Op: OpRemoveChild, Relationship: ch.Name, Target: id, Removal: true, DependsOn: parentDeps,
			Request: Request{Method: "DELETE", Path: coll + "/" + id},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}, RefKinds: refKindsOf(k, ch.Name)}}}
		if ch.Refs {
			a.Op, a.Request.Path = OpRemoveLink, a.Request.Path+"/$ref"
		}
		removals = append(removals, pl.add(s, a))
	}
	for _, ck := range wantKeys {
		m, old := want[ck], have[ck]
		id := str(m["id"])
		if old != nil {
			if ch.Name == ufAssignChild && !sameAssignment(old, m) {
				pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: id, DependsOn: parentDeps,
					Request: Request{Method: "PATCH", Path: coll + "/" + str(old["id"]), Body: body(assignmentBody(m))},
					Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}, Added: []any{m}, RefKinds: refKindsOf(k, ch.Name)}}})
			}
			continue
		}
		custom := ch.Name == ufIdpChild || strings.HasPrefix(strings.ToLower(id), "extension_")
		if custom && pl.targetMissing(s, ch, m, id) {
			continue
		}
		ref, deps := id, []string(nil)
		switch {
		case ch.Name == ufIdpChild:
			ref, deps = pl.ref([]string{"identity-providers"}, id)
		case custom:
			ref, deps = pl.ref([]string{ufAttributes}, id)
		}
		deps = uniq(append(append(deps, parentDeps...), removals...))
		a := Action{Relationship: ch.Name, Target: id, Ensure: ensure, DependsOn: deps,
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}, RefKinds: refKindsOf(k, ch.Name)}}}
		if ch.Name == ufIdpChild {
			a.Op, a.Request = OpAddLink, Request{Method: "POST", Path: coll + "/$ref",
				Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/identity/identityProviders/" + ref})}
		} else {
			b := assignmentBody(m)
			b["userAttribute"] = map[string]any{"id": ref}
			a.Op, a.Request = OpAddChild, Request{Method: "POST", Path: coll, Body: body(b)}
		}
		pl.add(s, a)
	}
}

// skipped reports whether the object of kind with key is selected but gone
// and not created (noCreate).
func (pl *planner) skipped(kind, key string) bool {
	for _, s := range pl.states {
		if s.k.Name == kind && s.mode == modeSkip && strings.EqualFold(s.key, key) {
			return true
		}
	}
	return false
}

// identitySync plans a cross-tenant partner's user synchronization policy
// (s a partner; current the live one, nil when it is created): PUT
// {partner}/identitySynchronization with the file's displayName and
// userSyncInbound (crosstenantaccesspolicyconfigurationpartner-put-identitysynchronization)
// when they differ, DELETE when the file holds none (null) and the tenant
// one (crosstenantidentitysyncpolicypartner-delete).
func (pl *planner) identitySync(s *objState, current *Object, parent string, parentDeps []string) {
	if s.k.Name != "cross-tenant-access-partners" {
		return
	}
	want, ok := s.d.Data["identitySynchronization"]
	if !ok {
		return // the file has no opinion (a snapshot from before it was read)
	}
	var have any
	if current != nil {
		have = current.Data["identitySynchronization"]
	}
	wm, _ := want.(map[string]any)
	hm, _ := have.(map[string]any)
	if reflect.DeepEqual(wm, hm) || (len(wm) == 0 && len(hm) == 0) {
		return
	}
	path := itemPath(s.k, parent) + "/identitySynchronization"
	ch := Change{Path: "identitySynchronization", Action: diff.Replaced, Before: have, After: want}
	if wm == nil {
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: "identitySynchronization", Target: s.key})
			return
		}
		pl.add(s, Action{Op: OpRemoveChild, Relationship: "identitySynchronization", Target: s.key, Removal: true, DependsOn: parentDeps,
			Request: Request{Method: "DELETE", Path: path}, Changes: []Change{ch}})
		return
	}
	b := map[string]any{"displayName": wm["displayName"], "userSyncInbound": layout.Copy(wm["userSyncInbound"])}
	pl.add(s, Action{Op: OpUpdate, Relationship: "identitySynchronization", Target: s.key, DependsOn: parentDeps,
		Request: Request{Method: "PUT", Path: path, Body: body(b)}, Changes: []Change{ch}})
}
