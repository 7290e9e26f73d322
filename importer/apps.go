package importer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore rules of applications and service principals that Graph imposes
// (graph-semantics.md §3.5, §3.6, §4.4; README "Restore"):
//   - an enabled app role or OAuth2 permission scope is changed or removed
//     only after a PATCH that disables it (CannotDeleteOrUpdateEnabledEntitlement);
//   - a recreated application gets a new appId, and Graph accepts an
//     api://{guid} identifier URI only with the application's own appId;
//   - managed identities (Azure's) and Microsoft's first-party service
//     principals are never written;
//   - application permissions granted to an app live on the resource's
//     service principal (appRoleAssignedTo): a recreated client gets them back.

// Managed is a selected object that Graph does not let the tenant write.
type Managed struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	Name string `json:"name"`
	// By is "Microsoft" or "Azure"; Reason says why.
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// microsoftTenants are the tenants Microsoft publishes its first-party
// applications from (appOwnerOrganizationId): Microsoft Services and
// Microsoft's corporate tenant (Microsoft Learn, "Verify first-party
// Microsoft applications in sign-in reports"), the AME tenant of Microsoft's
// production services, and the tenant of Graph Explorer and Microsoft Graph
// Command Line Tools.
var microsoftTenants = map[string]bool{
	"f8cdef31-a31e-4b4a-93e4-5f571e91255a": true,
	"72f988bf-86f1-41af-91ab-2d7cd011db47": true,
	"33e01921-4d64-4f8c-a055-5bdaffd5e33d": true,
	"cdc5aeea-15c5-4db6-b079-fcadd2505dc2": true,
}

// managedBy says who manages a service principal the tenant cannot write
// ("Microsoft" or "Azure", with the reason), or "" for the tenant's own.
func managedBy(k *layout.Kind, data map[string]any) (by, reason string) {
	if by, reason := roleManagedBy(k, data); by != "" {
		return by, reason
	}
	if k.Name != "service-principals" {
		return "", ""
	}
	if strings.EqualFold(str(data["servicePrincipalType"]), "ManagedIdentity") {
		return "Azure", "a managed identity: Azure creates, changes and deletes it with its resource"
	}
	if microsoftTenants[strings.ToLower(str(data["appOwnerOrganizationId"]))] {
		return "Microsoft", "a Microsoft first-party application: Microsoft owns it"
	}
	return "", ""
}

func (pl *planner) managed(o *Object, by, reason string) {
	pl.p.Managed = append(pl.p.Managed, Managed{Kind: o.Kind.Name, Key: o.Key, Name: displayName(o), By: by, Reason: reason})
}

// ---- enabled app roles and scopes ----

// disableEntitlements plans, before the PATCH body b of an application,
// the PATCH that disables the enabled app roles and OAuth2 permission
// scopes b changes or removes (everything else as live). It returns the
// action's id, or "" when none is needed.
func (pl *planner) disableEntitlements(s *objState, current *Object, b map[string]any, deps []string) string {
	if s.k.Name != "applications" {
		return ""
	}
	k, sch := s.k, pl.schema(s.k)
	step := map[string]any{}
	var changes []Change
	var names []string
	if want, ok := b["appRoles"]; ok {
		live := stripReadOnly(k, sch, "appRoles", layout.Copy(orEmpty(current.Data["appRoles"]))).([]any)
		if off := toDisable(live, asSlice(want)); len(off) > 0 {
			step["appRoles"] = live
			changes = append(changes, Change{Path: "appRoles", Action: diff.Replaced, Before: "enabled", After: "disabled: " + strings.Join(off, ", ")})
			names = append(names, "app roles "+strings.Join(off, ", "))
		}
	}
	if api, ok := b["api"].(map[string]any); ok {
		if liveAPI, ok := current.Data["api"].(map[string]any); ok {
			cp := stripReadOnly(k, sch, "api", layout.Copy(liveAPI)).(map[string]any)
			live := asSlice(cp["oauth2PermissionScopes"])
			if off := toDisable(live, asSlice(api["oauth2PermissionScopes"])); len(off) > 0 {
				step["api"] = cp
				changes = append(changes, Change{Path: "api.oauth2PermissionScopes", Action: diff.Replaced, Before: "enabled", After: "disabled: " + strings.Join(off, ", ")})
				names = append(names, "permission scopes "+strings.Join(off, ", "))
			}
		}
	}
	if len(step) == 0 {
		return ""
	}
	return pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(k, s.key), Body: body(step)},
		Changes: changes, DependsOn: deps,
		Warnings: []string{fmt.Sprintf("Graph changes or removes an enabled app role or permission scope only once it is disabled: this step disables %s (everything else as live), the next one writes the snapshot's", strings.Join(names, "; "))}})
}

func orEmpty(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

// toDisable sets isEnabled false on the enabled entries of live that want
// changes or drops, and returns their values (or ids).
func toDisable(live, want []any) []string {
	by := map[string]map[string]any{}
	for _, e := range want {
		if m, ok := e.(map[string]any); ok {
			by[strings.ToLower(str(m["id"]))] = m
		}
	}
	var off []string
	for _, e := range live {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if on, _ := m["isEnabled"].(bool); !on {
			continue
		}
		if w, ok := by[strings.ToLower(str(m["id"]))]; ok && sameEntry(m, w) {
			continue
		}
		m["isEnabled"] = false
		name := str(m["value"])
		if name == "" {
			name = str(m["id"])
		}
		off = append(off, name)
	}
	return off
}

// sameEntry compares two app roles or scopes but for isEnabled; a value
// left out, null and empty are the same.
func sameEntry(a, b map[string]any) bool {
	norm := func(v any) string {
		switch x := v.(type) {
		case nil:
			return ""
		case string:
			if x == "" {
				return ""
			}
		case []any:
			if len(x) == 0 {
				return ""
			}
		}
		out, _ := json.Marshal(v)
		return string(out)
	}
	for _, m := range []map[string]any{a, b} {
		for key := range m {
			if key != "isEnabled" && norm(a[key]) != norm(b[key]) {
				return false
			}
		}
	}
	return true
}

// ---- identifier URIs naming the appId ----

// rewriteAppID replaces the appId old by new in an application's
// identifier URIs (api://{appId}, api://{tenant}/{appId}).
func rewriteAppID(data map[string]any, old, new string) {
	uris := asSlice(data["identifierUris"])
	for i, u := range uris {
		if s := str(u); s != "" {
			uris[i] = replaceFold(s, old, new)
		}
	}
}

func replaceFold(s, old, new string) string {
	if old == "" {
		return s
	}
	i := strings.Index(strings.ToLower(s), strings.ToLower(old))
	if i < 0 {
		return s
	}
	return s[:i] + new + replaceFold(s[i+len(old):], old, new)
}

// splitAppIDURIs takes out of a create body the identifier URIs that name
// the old appId (Graph accepts api://{guid} only with the application's own
// appId, which is new) and returns them as they must be set once the new
// appId is known.
func (pl *planner) splitAppIDURIs(s *objState, b map[string]any, changes []Change) (old, rewritten []any) {
	if s.k.Name != "applications" || s.appID == "" || s.appHold == "" {
		return nil, nil
	}
	var keep []any
	for _, u := range asSlice(b["identifierUris"]) {
		if strings.Contains(strings.ToLower(str(u)), strings.ToLower(s.appID)) {
			old = append(old, u)
			rewritten = append(rewritten, replaceFold(str(u), s.appID, s.appHold))
		} else {
			keep = append(keep, u)
		}
	}
	if len(old) == 0 {
		return nil, nil
	}
	if len(keep) == 0 {
		delete(b, "identifierUris")
	} else {
		b["identifierUris"] = keep
	}
	for i := range changes {
		if changes[i].Path == "identifierUris" {
			changes[i].After = orEmpty(b["identifierUris"])
		}
	}
	return old, append(keep, rewritten...)
}

// setAppIDURIs plans the PATCH that sets the identifier URIs naming the new
// appId, after the create.
func (pl *planner) setAppIDURIs(s *objState, old, uris []any) {
	if len(uris) == 0 {
		return
	}
	pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(s.k, s.holder), Body: body(map[string]any{"identifierUris": uris})},
		DependsOn: []string{s.main},
		Changes:   []Change{{Path: "identifierUris", Action: diff.Replaced, Before: old, After: uris}},
		Warnings: []string{"the identifier URIs named the old application (client) id: they are set with the new one once Graph has given it " +
			"(Graph accepts api://{guid} only with the application's own id); clients that request tokens for the old URI must be updated"}})
}

// ---- application permissions of a recreated client ----

// clientAssignments plans the app role assignments (application
// permissions) held by the client service principal s at REV that live on
// another service principal's appRoleAssignedTo (Microsoft Graph's, most
// often), when that resource is not restored by this plan itself: a
// recreated client gets them back under its new id; a live one gets back
// what is missing.
func (pl *planner) clientAssignments(s *objState) {
	if s.k.Name != "service-principals" || s.mode == modeSkip {
		return
	}
	if pl.held == nil {
		pl.indexHeld()
	}
	for _, h := range pl.held[strings.ToLower(s.orig)] {
		pl.clientAssignment(s, h.resource, h.item)
	}
}

// heldAssignment is an app role assignment at REV on the service principal
// resource, for a principal.
type heldAssignment struct {
	resource *Object
	item     map[string]any
}

// indexHeld indexes, by principal, the app role assignments at REV on
// service principals the plan does not restore itself (those restore their
// own appRoleAssignedTo).
func (pl *planner) indexHeld() {
	pl.held = map[string][]heldAssignment{}
	inPlan := map[string]bool{}
	for _, st := range pl.states {
		if st.k.Name == "service-principals" {
			inPlan[strings.ToLower(st.orig)] = true
		}
	}
	for _, list := range [][]*Object{pl.in.Desired, pl.in.Others} {
		for _, r := range list {
			if r.Kind.Name != "service-principals" || inPlan[strings.ToLower(r.Key)] {
				continue
			}
			for _, it := range asSlice(r.Data["appRoleAssignedTo"]) {
				m, ok := it.(map[string]any)
				if !ok || strings.EqualFold(str(m["principalId"]), r.Key) {
					continue
				}
				p := strings.ToLower(str(m["principalId"]))
				pl.held[p] = append(pl.held[p], heldAssignment{resource: r, item: m})
			}
		}
	}
}

func (pl *planner) clientAssignment(s *objState, r *Object, m map[string]any) {
	rk := pl.tr([]string{"service-principals"}, r.Key)
	live := pl.in.Live["service-principals"][strings.ToLower(rk)]
	role := str(m["appRoleId"])
	if live == nil {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("service principal %s: its application permission %s on %s was not granted again: %s is not in the tenant",
			label(s.d), role, pl.refName(r.Key), pl.refName(r.Key)))
		return
	}
	principal := s.key
	var deps []string
	ensure := false
	switch s.mode {
	case modeCreate:
		principal = s.holder
		deps = []string{s.main}
	case modeBin:
		deps, ensure = []string{s.main}, true
	}
	if s.mode != modeCreate {
		for _, it := range asSlice(live.Data["appRoleAssignedTo"]) {
			if h, ok := it.(map[string]any); ok && strings.EqualFold(str(h["principalId"]), s.key) && strings.EqualFold(str(h["appRoleId"]), role) {
				return
			}
		}
	}
	a := Action{Op: OpAddChild, Relationship: "appRoleAssignments", Target: rk, Ensure: ensure, DependsOn: deps,
		Request: Request{Method: "POST", Path: itemPath(s.k, rk) + "/appRoleAssignedTo",
			Body: body(map[string]any{"principalId": principal, "resourceId": rk, "appRoleId": role})},
		Changes:     []Change{{Path: "appRoleAssignments", Action: diff.Changed, Added: []any{map[string]any{"resourceId": rk, "appRoleId": role}}, RefKinds: []string{"service-principals"}}},
		Permissions: []string{"AppRoleAssignment.ReadWrite.All|Application.ReadWrite.All"}}
	if s.mode == modeCreate {
		a.Warnings = []string{fmt.Sprintf("application permission held on %s at REV (in its appRoleAssignedTo), granted again to the new service principal", pl.refName(rk))}
	}
	pl.add(s, a)
}

// ---- credentials ----

// credentials lists the secrets and certificates that must be re-issued.
func (pl *planner) credentials(s *objState) {
	if s.k.Name != "applications" && s.k.Name != "service-principals" {
		return
	}
	var current *Object
	switch s.mode {
	case modeLive:
		current = s.live
	case modeBin:
		current = s.bin
	case modeCreate:
	default:
		return
	}
	have := map[string]bool{}
	if current != nil {
		for _, p := range []string{"passwordCredentials", "keyCredentials"} {
			for _, c := range asSlice(current.Data[p]) {
				if m, ok := c.(map[string]any); ok {
					have[strings.ToLower(str(m["keyId"]))] = true
				}
			}
		}
	}
	for _, p := range []string{"passwordCredentials", "keyCredentials"} {
		typ := "client secret"
		if p == "keyCredentials" {
			typ = "certificate"
		}
		for _, c := range asSlice(s.d.Data[p]) {
			m, ok := c.(map[string]any)
			if !ok || have[strings.ToLower(str(m["keyId"]))] {
				continue
			}
			pl.p.Credentials = append(pl.p.Credentials, Credential{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Type: typ,
				KeyID: str(m["keyId"]), DisplayName: str(m["displayName"]), Expires: str(m["endDateTime"])})
		}
	}
}
