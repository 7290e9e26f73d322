package graphsim

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// checkProps applies the rules common to POST and PATCH bodies: declared
// properties, read-only and create-only properties.
func (s *Server) checkProps(k *Kind, body map[string]any, creating bool) *apiError {
	typ := k.ODataType
	if t := str(body["@odata.type"]); t != "" {
		typ = t
	}
	if err := validateDeclared(typ, body); err != nil {
		return err
	}
	if err := checkNestedReadOnly(k, body); err != nil {
		return err
	}
	if err := checkLengths(k, body); err != nil { // limits.go
		return err
	}
	for p := range body {
		if strings.Contains(p, "@") {
			continue
		}
		if k.isReadOnly(p) || (!creating && k.isCreateOnly(p)) {
			return badRequest(msgReadOnly, p)
		}
	}
	return nil
}

// bindsOf extracts "rel@odata.bind" arrays from a body and returns the target
// ids per relationship. More than 20 link changes in one request is an error.
func bindsOf(k *Kind, body map[string]any) (map[string][]string, *apiError) {
	out := map[string][]string{}
	total := 0
	for p, v := range body {
		rel, ok := strings.CutSuffix(p, "@odata.bind")
		if !ok {
			continue
		}
		delete(body, p)
		name, ok := linkName(k, rel)
		if !ok || noBind(k, name) { // manager.go: assignments and sponsors are written by $ref only
			return nil, badRequest("Property '%s' does not exist as a declared property or extension property.", rel)
		}
		for _, ref := range asSlice(v) {
			out[name] = append(out[name], idFromRef(str(ref)))
			total++
		}
	}
	if total > 20 {
		return nil, badRequest(msgLinkLimit)
	}
	return out, nil
}

// idFromRef takes the object id from an @odata.id / @odata.bind URL.
func idFromRef(ref string) string {
	ref = strings.TrimRight(ref, "/")
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		last := ref[i+1:]
		if strings.HasPrefix(strings.ToLower(last), "microsoft.") { // .../{id}/Microsoft.DirectoryServices.User
			return idFromRef(ref[:i])
		}
		return last
	}
	return ref
}

// create handles POST to a collection of kind k. parent is the record whose
// contained collection is the target (nil for top-level). Callers hold t.mu.
func (s *Server) create(req *request, k *Kind, parent *record) (*response, *apiError) {
	t := s.tenant
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	if typ := str(body["@odata.type"]); typ != "" {
		if kk := kindForType(typ); kk != k {
			return nil, badRequest("Invalid @odata.type '%s' for a %s.", typ, k.Name)
		}
		if typ == k.ODataType {
			delete(body, "@odata.type")
		}
	}
	binds, aerr := bindsOf(k, body)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkProps(k, body, true); aerr != nil {
		return nil, aerr
	}
	for _, p := range k.Required {
		if v, ok := body[p]; !ok || v == nil || v == "" {
			if parent != nil && (p == "resourceId" || p == "principalId") {
				continue // taken from the path below
			}
			return nil, badRequest("A value is required for property '%s' of resource '%s'.", p, resourceName(k))
		}
	}
	if h := createHooks[k.Name]; h != nil {
		if aerr := h(s, req, body, parent); aerr != nil {
			return nil, aerr
		}
	}
	if str(body[k.key()]) == "" {
		body[k.key()] = t.newID()
	}
	if t.colls[k.Name].byKey[strings.ToLower(str(body[k.key()]))] != nil || t.bin[strings.ToLower(str(body[k.key()]))] != nil {
		return nil, errf(http.StatusConflict, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.")
	}
	for _, u := range k.Unique {
		if v := str(body[u]); v != "" {
			if t.colls[k.Name].unique[u][strings.ToLower(v)] != nil {
				return nil, badRequest(msgConflict, u)
			}
		}
	}
	links := map[string][]string{}
	for rel, ids := range binds {
		for _, id := range ids {
			if aerr := s.checkLinkTarget(k, body, rel, id); aerr != nil {
				return nil, aerr
			}
			if !contains(links[rel], id) {
				links[rel] = append(links[rel], id)
			}
		}
	}
	r := t.insert(k, body)
	r.links = t.linkSetFrom(links)
	if h := afterCreateHooks[k.Name]; h != nil {
		h(s, r)
	}
	resp := jsonResp(http.StatusCreated, s.view(r, nil, false))
	resp.body.(map[string]any)["@odata.context"] = s.metadata(req, k.Paths0()+"/$entity")
	resp.header.Set("Location", req.root+"/"+req.version+"/"+req.path+"/"+r.key())
	return resp, nil
}

// Paths0 is the canonical path, or the kind name for contained kinds.
func (k *Kind) Paths0() string {
	if len(k.Paths) > 0 {
		return k.Paths[0]
	}
	return k.Name
}

// patch handles PATCH of one object. Callers hold t.mu.
func (s *Server) patch(req *request, r *record) (*response, *apiError) {
	t := s.tenant
	k := r.kind
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	if typ := str(body["@odata.type"]); typ != "" {
		if typ != typeOf(r) && typ != k.ODataType {
			return nil, badRequest("Invalid @odata.type '%s' for this object.", typ)
		}
	}
	binds, aerr := bindsOf(k, body)
	if aerr != nil {
		return nil, aerr
	}
	// Validate against the object's own (possibly derived) type:
	// ipNamedLocation.ipRanges, fido2AuthenticationMethodConfiguration.* ...
	body["@odata.type"] = typeOf(r)
	aerr = s.checkProps(kindWithType(k, typeOf(r)), body, false)
	delete(body, "@odata.type")
	if aerr != nil {
		return nil, aerr
	}
	if h := patchHooks[k.Name]; h != nil {
		if aerr := h(s, r, body); aerr != nil {
			return nil, aerr
		}
	}
	for _, u := range k.Unique {
		if v, ok := body[u]; ok && str(v) != "" {
			if o := t.colls[k.Name].unique[u][strings.ToLower(str(v))]; o != nil && o != r {
				return nil, badRequest(msgConflict, u)
			}
		}
	}
	for rel, ids := range binds {
		for _, id := range ids {
			if aerr := s.checkLinkTarget(k, r.o(), rel, id); aerr != nil {
				return nil, aerr
			}
			if r.links.list(rel).contains(id) {
				return nil, badRequest(msgDuplicateLink, rel)
			}
		}
	}
	c := t.colls[k.Name]
	var changed []string
	for p, v := range body {
		if k.isWriteOnly(p) {
			continue
		}
		for u, idx := range c.unique {
			if u == p {
				if old := str(r.get(p)); old != "" {
					delete(idx, strings.ToLower(old))
				}
				if nv := str(v); nv != "" {
					idx[strings.ToLower(nv)] = r
				}
			}
		}
		r.o()[p] = v
		t.noteIDs(v) // ids.go
		changed = append(changed, p)
	}
	sort.Strings(changed)
	if _, ok := r.prop("modifiedDateTime"); ok || k.Name == "conditionalAccessPolicy" || k.Name == "namedLocation" || k.Name == "authenticationStrengthPolicy" {
		r.o()["modifiedDateTime"] = graphTime(t.now())
	}
	if len(changed) > 0 {
		t.logChange(change{Kind: k.Name, ID: r.key(), Op: "upsert", Props: changed})
	}
	for rel, ids := range binds {
		for _, id := range ids {
			t.linksOf(r).add(rel, id)
			t.logChange(change{Kind: k.Name, ID: r.key(), Op: "link", Rel: rel, Target: id})
		}
	}
	return noContent(), nil
}

// kindWithType is k itself; derived types are validated by their @odata.type
// inside checkProps.
func kindWithType(k *Kind, _ string) *Kind { return k }

func (s *Server) beforeDelete(r *record) *apiError {
	if h := deleteHooks[r.kind.Name]; h != nil {
		return h(s, r)
	}
	return nil
}

// remove deletes r: to the recycle bin when its kind is soft-deleted, for
// good otherwise. Callers hold t.mu.
func (s *Server) remove(r *record) {
	t := s.tenant
	t.detach(r)
	if r.kind.SoftDelete != "" {
		r.deletedAt = t.now()
		r.o()["deletedDateTime"] = graphTime(r.deletedAt)
		t.bin[strings.ToLower(r.key())] = r
		t.roleSweepAt(r) // roles.go
		t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "softDelete"})
		return
	}
	t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "purge"})
	if r.kind.Name == "unifiedRoleAssignment" {
		t.roleMemberChanged(r.o(), "unlink") // dirroledelta.go
	}
	t.dropEMOrigin(r) // emresources.go
}

// ---- links: members, owners ----

// checkLinkTarget validates adding target to rel of an object of kind k
// whose properties are obj. Callers hold t.mu.
func (s *Server) checkLinkTarget(k *Kind, obj map[string]any, rel, target string) *apiError {
	t := s.tenant
	tr := t.dirObject(target)
	if tr == nil && t.lagging(target) {
		return badRequest(msgRefNotReplicated, rel)
	}
	if tr == nil {
		return notFound(target)
	}
	if !contains(k.Links[rel], tr.kind.Name) {
		return badRequest("An object of type '%s' cannot be added to '%s' of a %s.", tr.kind.Name, rel, k.Name)
	}
	if aerr := checkLinkWrite(k, obj, rel); aerr != nil {
		return aerr
	}
	if k.Name == "group" && rel == "members" {
		if strings.EqualFold(str(obj["id"]), target) {
			return badRequest("A group cannot be a member of itself.")
		}
		if isUnified(obj) && tr.kind.Name != "user" {
			return badRequest("Microsoft 365 groups support only users as members.")
		}
		if tr.kind.Name == "group" && isUnified(tr.o()) {
			return badRequest("A Microsoft 365 group cannot be a member of a security group.")
		}
		if synced(obj) {
			return badRequest("Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
		}
	}
	if rel == "owners" && len(asSlice(obj["owners"])) >= 100 {
		return badRequest("The maximum number of owners has been reached.")
	}
	return nil
}

func isUnified(obj map[string]any) bool {
	for _, g := range asSlice(obj["groupTypes"]) {
		if strings.EqualFold(str(g), "Unified") {
			return true
		}
	}
	return false
}

func isDynamic(obj map[string]any) bool {
	for _, g := range asSlice(obj["groupTypes"]) {
		if strings.EqualFold(str(g), "DynamicMembership") {
			return true
		}
	}
	return false
}

func synced(obj map[string]any) bool { b, _ := obj["onPremisesSyncEnabled"].(bool); return b }

func (s *Server) linkOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	switch {
	case req.method == http.MethodGet && rt.relKey == "":
		t.mu.RLock()
		defer t.mu.RUnlock()
		r := s.find(rt)
		if r == nil {
			return nil, notFound(rt.key)
		}
		var recs []*record
		for _, id := range r.links.list(rt.rel).all() {
			m := t.dirObject(id)
			if m == nil {
				continue
			}
			if rt.cast != "" && !strings.EqualFold(strings.TrimPrefix(typeOf(m), "#"), rt.cast) {
				continue
			}
			recs = append(recs, m)
		}
		if rt.sub == "$count" {
			if !advanced(req) {
				return nil, badRequest("$count is not currently supported.")
			}
			return &response{status: 200, header: http.Header{"Content-Type": {"text/plain"}}, body: []byte(itoa(len(recs)))}, nil
		}
		return s.page(req, listSpec{recs: recs, context: "directoryObjects", withType: true, refs: rt.ref})
	case req.method == http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		r := s.find(rt)
		if r == nil {
			return nil, notFound(rt.key)
		}
		if !r.links.list(rt.rel).containsFold(rt.relKey) || t.dirObject(rt.relKey) == nil {
			return nil, notFound(rt.relKey)
		}
		return jsonResp(200, s.entityBody(req, t.dirObject(rt.relKey), "directoryObjects/$entity", true)), nil
	case req.method == http.MethodPost && rt.ref && rt.relKey == "":
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		ref := str(body["@odata.id"])
		if ref == "" {
			return nil, badRequest("The request body must contain an @odata.id reference.")
		}
		target := idFromRef(ref)
		t.mu.Lock()
		defer t.mu.Unlock()
		r := s.find(rt)
		if r == nil && rt.altKey == "" && t.hidden(t.colls[rt.kind.Name].byKey[strings.ToLower(rt.key)]) {
			return nil, badRequest(msgSourceNotReplicated)
		}
		if r == nil {
			return nil, notFound(rt.key)
		}
		if aerr := beforeLinkWrite(rt.kind, r.o()); aerr != nil {
			return nil, aerr
		}
		if aerr := s.checkLinkTarget(rt.kind, r.o(), rt.rel, target); aerr != nil {
			return nil, aerr
		}
		if r.links.list(rt.rel).containsFold(target) {
			return nil, badRequest(msgDuplicateLink, rt.rel)
		}
		if aerr := s.checkPolicyLimit(r, rt.rel); aerr != nil { // assign.go
			return nil, aerr
		}
		if rt.rel == "owners" && r.links.list("owners").len() >= 100 {
			return nil, badRequest("The maximum number of owners has been reached.")
		}
		t.linksOf(r).add(rt.rel, strings.ToLower(target))
		t.logChange(change{Kind: rt.kind.Name, ID: r.key(), Op: "link", Rel: rt.rel, Target: strings.ToLower(target)})
		return noContent(), nil
	case req.method == http.MethodDelete && rt.relKey != "":
		t.mu.Lock()
		defer t.mu.Unlock()
		r := s.find(rt)
		if r == nil {
			return nil, notFound(rt.key)
		}
		if aerr := beforeLinkWrite(rt.kind, r.o()); aerr != nil {
			return nil, aerr
		}
		list := r.links.list(rt.rel)
		i := list.indexFold(rt.relKey)
		if i < 0 {
			return nil, errf(http.StatusNotFound, "Request_ResourceNotFound", msgMissingLink, rt.rel)
		}
		if rt.kind.Name == "group" && synced(r.o()) {
			return nil, badRequest("Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
		}
		if aerr := checkUnlink(r, rt.rel); aerr != nil {
			return nil, aerr
		}
		target := list.at(i)
		r.links.removeAt(rt.rel, i)
		t.logChange(change{Kind: rt.kind.Name, ID: r.key(), Op: "unlink", Rel: rt.rel, Target: target})
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

func indexFold(list []string, s string) int {
	for i, x := range list {
		if strings.EqualFold(x, s) {
			return i
		}
	}
	return -1
}

func itoa(n int) string { return strconvItoa(n) }

// ---- contained collections: appRoleAssignedTo, scopedRoleMembers, ... ----

func (s *Server) containedOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	spec := contained[rt.kind.Name][rt.rel]
	ck := rt.relKind
	readOnly := rt.rel == "oauth2PermissionGrants"
	switch {
	case req.method == http.MethodGet && rt.relKey == "":
		t.mu.RLock()
		defer t.mu.RUnlock()
		all := t.colls[ck.Name].live()
		parent := s.find(rt)
		if parent == nil {
			return nil, notFound(rt.key)
		}
		var recs []*record
		for _, r := range all {
			if !r.gone && strings.EqualFold(str(r.get(spec.field)), parent.key()) {
				recs = append(recs, r)
			}
		}
		return s.page(req, listSpec{recs: recs, context: rt.kind.Paths0() + "('" + parent.key() + "')/" + rt.rel, kind: ck})
	case req.method == http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		parent := s.find(rt)
		if parent == nil {
			return nil, notFound(rt.key)
		}
		r := t.lookup(ck, rt.relKey)
		if r == nil || !strings.EqualFold(str(r.get(spec.field)), parent.key()) {
			return nil, notFound(rt.relKey)
		}
		return jsonResp(200, s.entityBody(req, r, rt.kind.Paths0()+"('"+parent.key()+"')/"+rt.rel+"/$entity", false)), nil
	case req.method == http.MethodPost && rt.relKey == "" && !readOnly:
		t.mu.Lock()
		defer t.mu.Unlock()
		parent := s.find(rt)
		if parent == nil {
			return nil, notFound(rt.key)
		}
		return s.create(req, ck, parent)
	case req.method == http.MethodDelete && rt.relKey != "" && !readOnly:
		t.mu.Lock()
		defer t.mu.Unlock()
		parent := s.find(rt)
		if parent == nil {
			return nil, notFound(rt.key)
		}
		r := t.lookup(ck, rt.relKey)
		if r == nil || !strings.EqualFold(str(r.get(spec.field)), parent.key()) {
			return nil, notFound(rt.relKey)
		}
		s.remove(r)
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// ---- recycle bins ----

func (s *Server) deletedItems(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purgeExpired()
	inBin := func(r *record) bool {
		if rt.special == "caDeleted" {
			return r.kind == rt.kind
		}
		return r.kind.SoftDelete == "directory"
	}
	if rt.key == "" {
		if req.method != http.MethodGet {
			return nil, methodNotAllowed()
		}
		var recs []*record
		for _, r := range t.bin {
			if inBin(r) && (rt.kind == nil || r.kind == rt.kind) {
				recs = append(recs, r)
			}
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
		ctx := "directory/deletedItems"
		if rt.special == "caDeleted" {
			ctx = "identity/conditionalAccess/deletedItems/" + rt.kind.Paths0()[strings.LastIndexByte(rt.kind.Paths0(), '/')+1:]
		} else {
			ctx += "/" + rt.cast
		}
		// The recycle bin keeps deleted records detached (gone); page() skips
		// gone records, so hand it live-looking copies.
		views := make([]*record, len(recs))
		for i, r := range recs {
			views[i] = &record{kind: r.kind, obj: r.view(), seq: r.seq, links: r.links, visibleAt: r.visibleAt, deletedAt: r.deletedAt}
		}
		return s.page(req, listSpec{recs: views, context: ctx, withType: rt.special == "dirDeleted", kind: rt.kind})
	}
	r := t.bin[strings.ToLower(rt.key)]
	if r == nil || !inBin(r) {
		return nil, notFound(rt.key)
	}
	switch {
	case req.method == http.MethodGet && rt.sub == "":
		return jsonResp(200, s.entityBody(req, r, "directoryObjects/$entity", true)), nil
	case req.method == http.MethodDelete && rt.sub == "":
		delete(t.bin, strings.ToLower(rt.key))
		t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "purge"})
		t.dropEMOrigin(r) // emresources.go
		s.purgeLinksTo(r.key())
		return noContent(), nil
	case req.method == http.MethodPost && rt.sub == "restore":
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		if up := str(body["newUserPrincipalName"]); up != "" && r.kind.Name == "user" {
			r.o()["userPrincipalName"] = up
		}
		for _, u := range r.kind.Unique {
			if v := str(r.get(u)); v != "" && t.colls[r.kind.Name].unique[u][strings.ToLower(v)] != nil {
				return nil, badRequest(msgConflict, u)
			}
		}
		delete(t.bin, strings.ToLower(rt.key))
		delete(r.o(), "deletedDateTime")
		t.reattach(r)
		r.o()["deletedDateTime"] = nil
		t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "upsert"})
		return jsonResp(200, s.entityBody(req, r, "directoryObjects/$entity", true)), nil
	}
	return nil, methodNotAllowed()
}

// purgeLinksTo removes a purged object from every member and owner list,
// in a fixed order (kinds, then creation, then relationship name), so that
// the same tenant logs the same changes and its delta answers the same.
func (s *Server) purgeLinksTo(id string) {
	t := s.tenant
	for _, k := range kinds {
		c := t.colls[k.Name]
		if len(c.kind.Links) == 0 {
			continue
		}
		for _, r := range c.live() {
			if r.gone {
				continue
			}
			for _, rel := range r.links.relNames() {
				if i := r.links.list(rel).indexFold(id); i >= 0 {
					r.links.removeAt(rel, i)
					t.logChange(change{Kind: c.kind.Name, ID: r.key(), Op: "unlink", Rel: rel, Target: id})
				}
			}
		}
	}
}

var _ = time.Second
