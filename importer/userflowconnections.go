package importer

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of a user flow's identity providers and API connectors (layout
// kind user-flow-connections, one object per user flow keyed by its id):
//
//   - userFlowIdentityProviders: a provider at REV missing from the flow is
//     added, POST {flow}/userFlowIdentityProviders/$ref with its @odata.id
//     (b2xidentityuserflow-post-identityproviders), and one the flow holds
//     that REV does not is removed, DELETE {flow}/userFlowIdentityProviders/{id}/$ref
//     (b2xidentityuserflow-delete-identityproviders; --no-remove keeps it).
//   - apiConnectorConfiguration: each step whose connector differs is set,
//     PUT {flow}/apiConnectorConfiguration/{step}/$ref with the connector's
//     @odata.id, or cleared with {} (b2xidentityuserflow-put-apiconnectorconfiguration).
//     The connector's id goes through the id map (pl.translate) and, when
//     the connector at REV is gone and the tenant has one connector of the
//     same display name (one entered again by hand: restore never creates
//     a connector, api-connectors' noCreate), is that connector's id.
//
// Every write waits for the flow's create when this plan creates the flow
// (user-flows, the same key: a flow's id is its name). A flow neither in
// the tenant nor created by this plan gets nothing: the plan says to
// restore user-flows with this kind. Nothing is ever deleted: a flow's
// file absent at REV means the flow did not exist then, which is
// user-flows' to act on (noDelete).

func init() {
	noDelete[layout.UserFlowConnections] = true
}

// ufcDefaultProvider is the identity provider Graph gives a user flow it
// creates: Microsoft Entra ID, "the default identity provider for
// self-service sign-up" (learn:/entra/external-id/self-service-sign-up-user-flow;
// b2xidentityuserflow-list-userflowidentityproviders lists it as the
// built-in AADSignup-OAUTH). A flow this plan creates is taken to hold it:
// one not at REV is removed, one at REV is added "unless there" (Ensure).
const ufcDefaultProvider = "AADSignup-OAUTH"

// isUFC reports whether k is the kind planned here.
func isUFC(k *layout.Kind) bool { return k.Name == layout.UserFlowConnections }

// ufcPath is the path of flow's relationship rel.
func ufcPath(flow, rel string) string {
	return "/v1.0/identity/b2xUserFlows/" + url.PathEscape(flow) + "/" + rel
}

// ufcCreate plans the connections of a flow that is not in the tenant:
// after this plan's create of the flow, or not at all.
func (pl *planner) ufcCreate(s *objState) {
	for _, o := range pl.states {
		if o.k.Name == userFlows && strings.EqualFold(o.key, s.key) && o.mode == modeCreate {
			pl.ufcPlan(s, nil, mainDep(o), "set once this plan has created the user flow")
			return
		}
	}
	pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: the user flow is not in the tenant and this plan does not create it: "+
		"restore the user flow (user-flows) with this kind to give it back its identity providers and API connectors", s.k.Title, label(s.d)))
}

// ufcPlanned reports whether the plan writes the connections of flow.
func (pl *planner) ufcPlanned(flow string) bool {
	for _, o := range pl.states {
		if isUFC(o.k) && strings.EqualFold(o.key, flow) {
			return true
		}
	}
	return false
}

// ufcProviders are the provider ids of a file's or live object's data, by
// lower-cased id; ok is false when data has no opinion.
func ufcProviders(data map[string]any) (map[string]map[string]any, []string, bool) {
	v, ok := data["userFlowIdentityProviders"]
	if !ok {
		return nil, nil, false
	}
	out := map[string]map[string]any{}
	var order []string
	for _, it := range asSlice(v) {
		m, _ := it.(map[string]any)
		id := str(m["id"])
		if id == "" || out[strings.ToLower(id)] != nil {
			continue
		}
		out[strings.ToLower(id)] = m
		order = append(order, strings.ToLower(id))
	}
	return out, order, true
}

// ufcStep is the connector id of step in data's apiConnectorConfiguration;
// ok is false when data has no opinion on it.
func ufcStep(data map[string]any, step string) (string, bool) {
	conf, ok := data["apiConnectorConfiguration"].(map[string]any)
	if !ok {
		return "", false
	}
	v, ok := conf[step]
	if !ok {
		return "", false
	}
	return str(dig(v, "id")), true
}

// ufcPlan plans the writes that bring the flow's connections from current
// (nil: the flow is created by this plan and holds only Graph's default
// provider, ufcDefaultProvider) to the file's.
func (pl *planner) ufcPlan(s *objState, current *Object, dep, note string) {
	var deps []string
	if dep != "" {
		deps = []string{dep}
	}
	var warns []string
	if note != "" {
		warns = []string{note}
	}
	haveData := map[string]any{}
	if current != nil {
		haveData = current.Data
	}
	flow := s.key
	kinds := refKindsOf(s.k, "userFlowIdentityProviders")
	if want, order, ok := ufcProviders(s.d.Data); ok {
		have, haveOrder, _ := ufcProviders(haveData)
		removeWarns := []string(nil)
		if current == nil && want[strings.ToLower(ufcDefaultProvider)] == nil {
			// Graph gives the flow it creates Microsoft Entra ID sign-up:
			// removed after the create (not there: 404, done).
			have = map[string]map[string]any{strings.ToLower(ufcDefaultProvider): {"id": ufcDefaultProvider}}
			haveOrder = []string{strings.ToLower(ufcDefaultProvider)}
			removeWarns = append(append([]string(nil), warns...), "Graph gives a new user flow Microsoft Entra ID sign-up ("+ufcDefaultProvider+"), which the flow did not have at REV")
		}
		var removals []string
		for _, id := range haveOrder {
			if want[id] != nil {
				continue
			}
			m := have[id]
			target := str(m["id"])
			if pl.in.Options.NoRemove {
				pl.p.Kept = append(pl.p.Kept, Kept{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: "userFlowIdentityProviders", Target: target})
				continue
			}
			removals = append(removals, pl.add(s, Action{Op: OpRemoveLink, Relationship: "userFlowIdentityProviders", Target: target, Removal: true, DependsOn: deps, Warnings: removeWarns,
				Request: Request{Method: "DELETE", Path: ufcPath(flow, "userFlowIdentityProviders/"+url.PathEscape(target)+"/$ref")},
				Changes: []Change{{Path: "userFlowIdentityProviders", Action: diff.Changed, Removed: []any{m}, RefKinds: kinds}}}))
		}
		for _, id := range order {
			if have[id] != nil {
				continue
			}
			m := want[id]
			target := str(m["id"])
			if pl.liveGone("identity-providers", target) {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: identity provider %s is not in the tenant and was not added back: "+
					"restore it (identity-providers; a social provider's client secret is entered again) and restore this kind again", s.k.Title, label(s.d), layout.Safe(target)))
				continue
			}
			ref, more := pl.ref([]string{"identity-providers"}, target)
			pl.add(s, Action{Op: OpAddLink, Relationship: "userFlowIdentityProviders", Target: target, Ensure: current == nil,
				DependsOn: uniq(append(append(append([]string(nil), deps...), more...), removals...)), Warnings: warns,
				Request: Request{Method: "POST", Path: ufcPath(flow, "userFlowIdentityProviders/$ref"),
					Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/identity/identityProviders/" + ref})},
				Changes: []Change{{Path: "userFlowIdentityProviders", Action: diff.Changed, Added: []any{m}, RefKinds: kinds}}})
		}
	}
	for _, step := range layout.UserFlowSteps {
		want, ok := ufcStep(s.d.Data, step)
		if !ok {
			continue
		}
		have, _ := ufcStep(haveData, step)
		path := "apiConnectorConfiguration." + step
		ch := Change{Path: path, Action: diff.Replaced, RefKinds: []string{apiConnectors}}
		if have != "" {
			ch.Before = map[string]any{"id": have}
		}
		if want == "" {
			if have == "" {
				continue
			}
			if pl.in.Options.NoRemove {
				pl.p.Kept = append(pl.p.Kept, Kept{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: path, Target: have})
				continue
			}
			ch.Action = diff.Removed
			pl.add(s, Action{Op: OpRemoveLink, Relationship: path, Target: have, Removal: true, DependsOn: deps,
				Request: Request{Method: "PUT", Path: ufcPath(flow, "apiConnectorConfiguration/"+step+"/$ref"), Body: body(map[string]any{})},
				Changes: []Change{ch}})
			continue
		}
		conn, why := pl.ufcConnector(want)
		if conn == "" {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: the API connector of step %s is not set: %s", s.k.Title, label(s.d), step, why))
			continue
		}
		if strings.EqualFold(conn, have) {
			continue
		}
		stepWarns := warns
		if !strings.EqualFold(conn, want) {
			stepWarns = append(append([]string(nil), warns...), why)
		}
		ref, more := pl.ref([]string{apiConnectors}, conn)
		ch.After = map[string]any{"id": conn}
		pl.add(s, Action{Op: OpAddLink, Relationship: path, Target: conn, DependsOn: uniq(append(append([]string(nil), deps...), more...)), Warnings: stepWarns,
			Request: Request{Method: "PUT", Path: ufcPath(flow, "apiConnectorConfiguration/"+step+"/$ref"),
				Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/identity/apiConnectors/" + ref})},
			Changes: []Change{ch}})
	}
}

// liveGone reports whether the plan read kind live and id is not there.
func (pl *planner) liveGone(kind, id string) bool {
	objs, read := pl.in.Live[kind]
	if !read {
		return false
	}
	for key := range objs {
		if strings.EqualFold(key, id) {
			return false
		}
	}
	return true
}

// ufcConnector is the live connector a step should name for the file's
// id (already through the id map): the id itself when the connector is
// in the tenant (or the plan could not read the connectors), else the one
// live connector of the display name it had at REV, with why; "" and why
// when there is none.
func (pl *planner) ufcConnector(id string) (string, string) {
	if !pl.liveGone(apiConnectors, id) {
		return id, ""
	}
	name := ""
	for _, o := range append(append([]*Object(nil), pl.in.Desired...), pl.in.Others...) {
		if o.Kind.Name == apiConnectors && strings.EqualFold(o.Key, id) {
			name = str(o.Data["displayName"])
		}
	}
	gone := "API connector " + layout.Safe(id) + " is not in the tenant (Graph creates a connector only with its secret, which no snapshot holds)"
	if name == "" {
		return "", gone + ": add it again in the Entra admin center and restore this kind again (snapshot it with api-connectors to let restore find it by name)"
	}
	var found []string
	for _, o := range pl.in.Live[apiConnectors] {
		if str(o.Data["displayName"]) == name {
			found = append(found, o.Key)
		}
	}
	sort.Strings(found)
	switch len(found) {
	case 1:
		return found[0], fmt.Sprintf("%s: the step names connector %s, the tenant's one connector named %q", gone, layout.Safe(found[0]), name)
	case 0:
		return "", fmt.Sprintf("%s: add it again (named %q) in the Entra admin center, then restore this kind again", gone, name)
	}
	return "", fmt.Sprintf("%s and the tenant has %d connectors named %q: connect the right one in the Entra admin center", gone, len(found), name)
}
