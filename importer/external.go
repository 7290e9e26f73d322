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
//   - api-connectors (opt-in: Graph reads them only with
//     APIConnectors.ReadWrite.All): the authentication secret (a basic
//     authentication password, a client certificate) is write-only and
//     never in a snapshot. A changed connector is PATCHed without
//     authenticationConfiguration (a PATCH of it needs the secret; the
//     kind keeps it ReadOnly): when its type, username or certificates
//     differ from the file, the plan lists the credential to re-enter. One
//     gone from the tenant is not created (Graph requires
//     authenticationConfiguration, with its secret, on POST:
//     identityapiconnector-create): the plan says what to re-enter.
//   - custom-authentication-extensions: created, PATCHed and deleted as
//     they are (no secret: the API receives a token for the app in
//     authenticationConfiguration.resourceId).
//   - user-flows: Graph has no PATCH of a user flow; a gone one is created
//     with its name (the id without B2X_1_, which Graph puts back), its
//     type and version; then its attribute assignments are brought to REV
//     by POST (with the attribute as userAttribute, a recreated attribute
//     named through the plan's reference), PATCH and DELETE. Its identity
//     providers and API connectors are the opt-in kind user-flow-connections
//     (userflowconnections.go), written after the flow; a plan that
//     creates a flow without them says to add them again.
//   - cross-tenant-access-partners' identitySynchronization (identitySync).

const (
	ufAttributes  = "user-flow-attributes"
	apiConnectors = "api-connectors"
	userFlows     = "user-flows"
	ufAssignChild = "userAttributeAssignments"
	ufPrefix      = "B2X_1_"
)

// userFlowNotBackedUp is what a created user flow lacks when the plan
// does not restore its user-flow-connections too.
const userFlowNotBackedUp = "its identity providers and the API connectors of its steps are kept only by the opt-in kind " +
	"user-flow-connections (Graph lists them only with IdentityUserFlow.ReadWrite.All, a write permission the default export never holds): " +
	"restore that kind too if the snapshot holds it, else add them again in the Entra admin center (External Identities > User flows); " +
	"Graph gives the new flow Microsoft Entra ID sign-up (" + ufcDefaultProvider + "), which that kind removes when the flow did not have it"

func init() {
	createOnly[ufAttributes] = []string{"displayName", "dataType"}
	updatable[ufAttributes] = []string{"description"}
	createOnly[userFlows] = []string{"id", "userFlowType", "userFlowTypeVersion"}
	noCreate[apiConnectors] = "Graph creates an API connector only with its authentication secret (a password or a client certificate), " +
		"which no snapshot holds: add it again in the Entra admin center (External Identities > All API connectors) " +
		"with the display name, endpoint URL and username in its file, then connect it to its user flows again"
}

// connectorSecret lists the authentication secret to re-enter when the
// live connector's authentication differs from the file's (type,
// username or certificates): restore cannot write it.
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
	pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: its authentication differs from the snapshot and Graph writes it only with its secret: "+
		"enter the %s%s in the Entra admin center (never stored in a snapshot)", s.k.Title, label(s.d), what, user))
	pl.p.Credentials = append(pl.p.Credentials, Credential{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Type: "API connector " + what})
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

// isUserFlowChild reports whether ch is a user flow relationship planned here.
func isUserFlowChild(kind string, ch layout.Child) bool {
	return kind == userFlows && ch.Name == ufAssignChild
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

// userFlowChildren plans a user flow's attribute assignments: have are
// the live ones, want the file's, by childKey.
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
		removals = append(removals, pl.add(s, Action{Op: OpRemoveChild, Relationship: ch.Name, Target: id, Removal: true, DependsOn: parentDeps,
			Request: Request{Method: "DELETE", Path: coll + "/" + id},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}, RefKinds: refKindsOf(k, ch.Name)}}}))
	}
	for _, ck := range wantKeys {
		m, old := want[ck], have[ck]
		id := str(m["id"])
		if old != nil {
			if !sameAssignment(old, m) {
				pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: id, DependsOn: parentDeps,
					Request: Request{Method: "PATCH", Path: coll + "/" + str(old["id"]), Body: body(assignmentBody(m))},
					Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}, Added: []any{m}, RefKinds: refKindsOf(k, ch.Name)}}})
			}
			continue
		}
		custom := strings.HasPrefix(strings.ToLower(id), "extension_") // built-in attributes are Microsoft's
		if custom && pl.targetMissing(s, ch, m, id) {
			continue
		}
		ref, deps := id, []string(nil)
		if custom {
			ref, deps = pl.ref([]string{ufAttributes}, id)
		}
		b := assignmentBody(m)
		b["userAttribute"] = map[string]any{"id": ref}
		pl.add(s, Action{Op: OpAddChild, Relationship: ch.Name, Target: id, Ensure: ensure, DependsOn: uniq(append(append(deps, parentDeps...), removals...)),
			Request: Request{Method: "POST", Path: coll, Body: body(b)},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}, RefKinds: refKindsOf(k, ch.Name)}}})
	}
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
