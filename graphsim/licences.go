package graphsim

// Licence assignments (issue 13, "Users"): the tenant's subscriptions and
// the licences assigned to users and groups, as Graph v1.0 documents them.
// (licence.go is another matter: the tenant's own Entra ID P1/P2 level.)
//
//   - GET /subscribedSkus lists the tenant's subscriptions
//     (subscribedsku-list): skuId, skuPartNumber, prepaidUnits.enabled,
//     consumedUnits, servicePlans. Read-only here: a tenant buys them.
//   - POST /users/{id}/assignLicense {addLicenses: [{skuId,
//     disabledPlans}], removeLicenses: [skuId]} (user-assignlicense): both
//     properties are required (empty lists allowed); 200 with the user.
//     Graph refuses: a user without usageLocation ("License assignment
//     cannot be done for user with invalid usage location."), a skuId the
//     tenant has no subscription for ("License {skuId} does not correspond
//     to a valid company License."), a subscription without units left
//     ("Subscription with SKU {skuId} does not have any available
//     licenses."), a disabled plan that is not one of the SKU's
//     (strict), removing a licence the user holds only through a group
//     ("User license is inherited from a group membership and it cannot be
//     removed directly from the user.") or not at all (strict: 400). The
//     messages are those Graph was recorded answering; the pages document
//     the request, not the errors.
//   - POST /groups/{id}/assignLicense (group-assignlicense): the same body
//     for a group; its direct user members inherit the licence
//     (learn:/entra/identity/users/licensing-groups-assign; nested groups
//     do not pass it on). A member without usageLocation, or beyond the
//     units left, gets the licence in error (licenseAssignmentStates state
//     "Error", error "UsageLocationNotAllowed" / "CountViolation") and not
//     in assignedLicenses.
//   - A user's assignedLicenses holds every licence it has, inherited
//     ones too (resources/user: "assignedLicenses: The licenses that are
//     assigned to the user, including inherited (group-based) licenses");
//     licenseAssignmentStates tells each assignment's source
//     (assignedByGroup: null for a direct one). Both are read-only
//     (PATCH refuses them). A group's assignedLicenses are its own.
//   - Permissions: permissions.json's rows (assignLicense: LicenseAssignment.
//     ReadWrite.All, User.ReadWrite.All for users, Group.ReadWrite.All for
//     groups, Directory.ReadWrite.All; subscribedSkus:
//     LicenseAssignment.Read.All, Organization.Read.All, Directory.Read.All).
//
// State: a user's direct assignments are its licenseAssignmentStates
// entries without assignedByGroup; inherited entries and assignedLicenses
// are recomputed (recomputeUser) whenever a user's or a group's licences or
// members change; consumedUnits follows.

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

const skuKindName = "subscribedSku"

var skuKind = &Kind{
	Name: skuKindName, ODataType: "#microsoft.graph.subscribedSku", Paths: []string{"subscribedSkus"},
	Throttle: "directory", ReadCost: 1, NoCreate: true, NoDelete: true, NoUpdate: true,
}

func init() {
	for _, k := range []string{"user", "group"} {
		if actions[k] == nil {
			actions[k] = map[string]func(s *Server, req *request, r *record) (*response, *apiError){}
		}
		actions[k]["assignLicense"] = assignLicenseAction
	}
}

// sku is the subscription of skuID, nil when the tenant has none. Callers
// hold t.mu.
func (t *Tenant) sku(skuID string) *record {
	c := t.colls[skuKindName]
	if c == nil {
		return nil
	}
	for _, r := range c.byKey {
		if strings.EqualFold(str(r.get("skuId")), skuID) {
			return r
		}
	}
	return nil
}

// licenceEntry is one assignment: skuId and disabledPlans.
type licenceEntry struct {
	sku      string
	disabled []string
}

func (e licenceEntry) assigned() map[string]any {
	d := make([]any, 0, len(e.disabled))
	for _, p := range e.disabled {
		d = append(d, p)
	}
	return map[string]any{"skuId": e.sku, "disabledPlans": d}
}

func entriesOf(v any) []licenceEntry {
	var out []licenceEntry
	for _, x := range asSlice(v) {
		m, _ := x.(map[string]any)
		e := licenceEntry{sku: strings.ToLower(str(m["skuId"]))}
		for _, p := range asSlice(m["disabledPlans"]) {
			e.disabled = append(e.disabled, strings.ToLower(str(p)))
		}
		out = append(out, e)
	}
	return out
}

// directLicences are a user's direct assignments (licenseAssignmentStates
// without assignedByGroup) or a group's assignedLicenses.
func directLicences(r *record) []licenceEntry {
	if r.kind.Name == "group" {
		return entriesOf(r.get("assignedLicenses"))
	}
	var direct []any
	for _, x := range asSlice(r.get("licenseAssignmentStates")) {
		if m, _ := x.(map[string]any); m != nil && m["assignedByGroup"] == nil {
			direct = append(direct, m)
		}
	}
	return entriesOf(direct)
}

// assignLicenseAction serves POST /users|groups/{id}/assignLicense. Callers
// hold t.mu.
func assignLicenseAction(s *Server, req *request, r *record) (*response, *apiError) {
	t := s.tenant
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	addV, okA := body["addLicenses"]
	remV, okR := body["removeLicenses"]
	if !okA || !okR {
		return nil, badRequest("Both addLicenses and removeLicenses are required (send an empty list for none).")
	}
	if _, isList := addV.([]any); !isList {
		return nil, badRequest("addLicenses must be a collection.")
	}
	if _, isList := remV.([]any); !isList {
		return nil, badRequest("removeLicenses must be a collection.")
	}
	add := entriesOf(addV)
	var remove []string
	for _, x := range asSlice(remV) {
		id, ok := x.(string)
		if !ok || id == "" {
			return nil, badRequest("removeLicenses holds a value that is not a SKU id.")
		}
		remove = append(remove, strings.ToLower(id))
	}
	isUser := r.kind.Name == "user"
	if isUser && len(add) > 0 && str(r.get("usageLocation")) == "" {
		return nil, badRequest("License assignment cannot be done for user with invalid usage location.")
	}
	direct := directLicences(r)
	has := func(sku string) int {
		for i, e := range direct {
			if e.sku == sku {
				return i
			}
		}
		return -1
	}
	for _, sku := range remove {
		if has(sku) < 0 {
			if isUser && containsFold(heldSkus(r), sku) {
				return nil, badRequest("User license is inherited from a group membership and it cannot be removed directly from the user.")
			}
			return nil, badRequest("License %s is not assigned to this %s and cannot be removed.", sku, r.kind.Name)
		}
	}
	for _, e := range add {
		if e.sku == "" {
			return nil, badRequest("addLicenses holds an entry without skuId.")
		}
		sk := t.sku(e.sku)
		if sk == nil {
			return nil, badRequest("License %s does not correspond to a valid company License.", e.sku)
		}
		plans := map[string]bool{}
		for _, p := range asSlice(sk.get("servicePlans")) {
			m, _ := p.(map[string]any)
			plans[strings.ToLower(str(m["servicePlanId"]))] = true
		}
		for _, p := range e.disabled {
			if !plans[p] {
				return nil, badRequest("Service plan %s of disabledPlans is not a plan of SKU %s.", p, e.sku)
			}
		}
		if isUser && !containsFold(heldSkus(r), e.sku) && skuFree(t, sk) <= 0 {
			return nil, badRequest("Subscription with SKU %s does not have any available licenses.", e.sku)
		}
	}
	// Apply: removals, then additions (an added SKU already held replaces its disabled plans).
	var next []licenceEntry
	for _, e := range direct {
		if !contains(remove, e.sku) {
			next = append(next, e)
		}
	}
	for _, e := range add {
		replaced := false
		for i := range next {
			if next[i].sku == e.sku {
				next[i], replaced = e, true
			}
		}
		if !replaced {
			next = append(next, e)
		}
	}
	setDirect(r, next)
	if isUser {
		t.recomputeUser(r)
	} else {
		t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "upsert", Props: []string{"assignedLicenses"}})
		for _, m := range r.links.list("members").all() {
			if u := t.colls["user"].byKey[strings.ToLower(m)]; u != nil {
				t.recomputeUser(u)
			}
		}
	}
	return jsonResp(http.StatusOK, s.entityBody(req, r, r.kind.Paths[0]+"/$entity", false)), nil
}

// setDirect stores r's direct assignments.
func setDirect(r *record, es []licenceEntry) {
	sort.Slice(es, func(i, j int) bool { return es[i].sku < es[j].sku })
	if r.kind.Name == "group" {
		list := make([]any, 0, len(es))
		for _, e := range es {
			list = append(list, e.assigned())
		}
		r.o()["assignedLicenses"] = list
		return
	}
	var states []any
	for _, x := range asSlice(r.get("licenseAssignmentStates")) {
		if m, _ := x.(map[string]any); m != nil && m["assignedByGroup"] != nil {
			states = append(states, m)
		}
	}
	for _, e := range es {
		st := e.assigned()
		st["assignedByGroup"], st["state"], st["error"] = nil, "Active", "None"
		states = append(states, st)
	}
	r.o()["licenseAssignmentStates"] = states
}

// heldSkus are the SKUs a user holds, active (assignedLicenses).
func heldSkus(r *record) []string {
	var out []string
	for _, e := range entriesOf(r.get("assignedLicenses")) {
		out = append(out, e.sku)
	}
	return out
}

// skuFree is the units of sk not consumed. Callers hold t.mu.
func skuFree(t *Tenant, sk *record) int {
	enabled := 0
	if p, ok := sk.get("prepaidUnits").(map[string]any); ok {
		enabled = toInt(p["enabled"])
	}
	return enabled - toInt(sk.get("consumedUnits"))
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

// membersChanged recomputes the licences of a user that joined or left a
// group. Callers hold t.mu.
func (t *Tenant) membersChanged(group, member string) {
	g := t.colls["group"].byKey[strings.ToLower(group)]
	if g == nil || len(asSlice(g.get("assignedLicenses"))) == 0 {
		return // (before looking the member up: a large build links millions)
	}
	u := t.colls["user"].byKey[strings.ToLower(member)]
	if u == nil {
		return
	}
	t.recomputeUser(u)
}

// recomputeUser sets a user's inherited states and assignedLicenses from
// its direct assignments and the groups it is a direct member of. Callers
// hold t.mu.
func (t *Tenant) recomputeUser(u *record) {
	direct := directLicences(u)
	var states []any
	active := map[string]licenceEntry{}
	for _, e := range direct {
		st := e.assigned()
		st["assignedByGroup"], st["state"], st["error"] = nil, "Active", "None"
		states = append(states, st)
		active[e.sku] = e
	}
	held := map[string]bool{}
	for _, s := range heldSkus(u) {
		held[s] = true
	}
	var groups []*record
	for _, g := range t.colls["group"].byKey {
		if len(asSlice(g.get("assignedLicenses"))) > 0 && g.links.list("members").containsFold(u.key()) {
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].key() < groups[j].key() })
	for _, g := range groups {
		for _, e := range entriesOf(g.get("assignedLicenses")) {
			st := e.assigned()
			st["assignedByGroup"] = g.key()
			st["state"], st["error"] = "Active", "None"
			sk := t.sku(e.sku)
			switch {
			case str(u.get("usageLocation")) == "":
				st["state"], st["error"] = "Error", "UsageLocationNotAllowed"
			case sk == nil:
				st["state"], st["error"] = "Error", "Other"
			case !held[e.sku] && active[e.sku].sku == "" && skuFree(t, sk) <= 0:
				st["state"], st["error"] = "Error", "CountViolation"
			}
			states = append(states, st)
			if st["state"] == "Active" {
				if _, ok := active[e.sku]; !ok {
					active[e.sku] = e
				}
			}
		}
	}
	skus := make([]string, 0, len(active))
	for s := range active {
		skus = append(skus, s)
	}
	sort.Strings(skus)
	assigned := make([]any, 0, len(skus))
	for _, s := range skus {
		assigned = append(assigned, active[s].assigned())
	}
	if states == nil {
		states = []any{}
	}
	u.o()["licenseAssignmentStates"] = states
	u.o()["assignedLicenses"] = assigned
	// consumedUnits follows the SKUs the user gained or lost.
	for s := range active {
		if !held[s] {
			if sk := t.sku(s); sk != nil {
				sk.o()["consumedUnits"] = toInt(sk.get("consumedUnits")) + 1
			}
		}
	}
	for s := range held {
		if _, still := active[s]; !still {
			if sk := t.sku(s); sk != nil {
				sk.o()["consumedUnits"] = toInt(sk.get("consumedUnits")) - 1
			}
		}
	}
	t.logChange(change{Kind: "user", ID: u.key(), Op: "upsert", Props: []string{"assignedLicenses", "licenseAssignmentStates"}})
}

// SeedLicences sets the direct licence assignments of a user or group
// (kind "user" or "group") as assignLicense would leave them, without its
// checks, and recomputes what users inherit: for generators.
func (t *Tenant) SeedLicences(kind, id string, assigned []map[string]any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.colls[kind]
	if c == nil || (kind != "user" && kind != "group") {
		return fmt.Errorf("graphsim: licences of %q", kind)
	}
	r := c.byKey[strings.ToLower(id)]
	if r == nil {
		return fmt.Errorf("graphsim: %s %s not found", kind, id)
	}
	list := make([]any, 0, len(assigned))
	for _, a := range assigned {
		list = append(list, a)
	}
	setDirect(r, entriesOf(list))
	if kind == "user" {
		t.recomputeUser(r)
		return nil
	}
	for _, m := range r.links.list("members").all() {
		if u := t.colls["user"].byKey[strings.ToLower(m)]; u != nil {
			t.recomputeUser(u)
		}
	}
	return nil
}

// RemoveSubscription takes a subscription out of the tenant (it was never
// bought, or it ended and was removed): a test's way to a tenant without a
// SKU the snapshot names. Assignments of it stay as they are.
func (t *Tenant) RemoveSubscription(skuID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sk := t.sku(skuID)
	if sk == nil {
		return fmt.Errorf("graphsim: no subscription of SKU %s", skuID)
	}
	t.detach(sk)
	return nil
}

// seedLicenceStates: a user seeded with assignedLicenses and no
// licenseAssignmentStates (a snapshot's file, which holds the direct
// assignments only) holds them as direct assignments.
func seedLicenceStates(k *Kind, obj map[string]any) {
	if k.Name != "user" {
		return
	}
	if _, has := obj["licenseAssignmentStates"]; has {
		return
	}
	al, ok := obj["assignedLicenses"]
	if !ok {
		return
	}
	var states []any
	for _, e := range entriesOf(al) {
		st := e.assigned()
		st["assignedByGroup"], st["state"], st["error"] = nil, "Active", "None"
		states = append(states, st)
	}
	if states == nil {
		states = []any{}
	}
	obj["licenseAssignmentStates"] = states
}
