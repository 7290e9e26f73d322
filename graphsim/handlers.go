package graphsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// dispatch runs a routed request against the tenant.
func (s *Server) dispatch(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	if rt.org != "" {
		if aerr := s.orgMatches(rt); aerr != nil { // branding.go
			return nil, aerr
		}
	}
	switch rt.special {
	case "caDeleted":
		if aerr := s.caBinAllowed(req); aerr != nil {
			return nil, aerr
		}
		return s.deletedItems(req, rt)
	case "dirDeleted":
		return s.deletedItems(req, rt)
	case "directoryObjects":
		if req.method != http.MethodGet {
			return nil, methodNotAllowed()
		}
		t.mu.RLock()
		defer t.mu.RUnlock()
		r := t.dirObject(rt.key)
		if r == nil {
			return nil, notFound(rt.key)
		}
		return jsonResp(200, s.entityBody(req, r, "directoryObjects/$entity", true)), nil
	case "getByIds":
		return s.getByIDs(req)
	case "invitations":
		return s.invite(req)
	case "directoryAudits":
		return s.serveDirectoryAudits(req, rt)
	case "appliesTo":
		return s.appliesTo(req, rt) // assign.go
	case "manager":
		return s.manager(req, rt) // manager.go
	case "transitiveMemberOf", "scopedRoleMemberOf":
		return s.memberOf(req, rt) // memberof.go
	case "userFlow":
		return s.userFlowOp(req, rt) // external.go
	case "identitySync":
		return s.identitySyncOp(req, rt) // external.go
	case "brandingDefault", "brandingStream":
		return s.branding(req, rt) // branding.go
	case "mfaRequirements":
		return s.mfaRequirements(req, rt) // mfa.go
	case "emResourceRequests":
		return s.resourceRequest(req) // emresources.go
	case "emChild":
		return s.emChildOp(req, rt) // emresources.go
	}
	if aerr := s.pimPreflight(req, rt); aerr != nil { // pim.go
		return nil, aerr
	}
	if aerr := s.pimGroupsPreflight(req, rt); aerr != nil { // pimgroups.go
		return nil, aerr
	}
	if aerr := csaDefinitionCount(req, rt); aerr != nil { // user_csa.go
		return nil, aerr
	}
	k := rt.kind
	if k.Singleton {
		switch req.method {
		case http.MethodGet:
			t.mu.RLock()
			defer t.mu.RUnlock()
			r := s.singleton(k)
			if r == nil {
				return nil, notFound(k.Name)
			}
			body := s.entityBody(req, r, k.Paths[0]+"/$entity", false)
			if sel := parseSelect(req.query); k.Name == "authenticationMethodsPolicy" && (sel == nil || contains(sel, "authenticationMethodConfigurations")) {
				// Graph returns the method configurations inline; they live
				// (and are PATCHed) in their own collection.
				cfgs := []any{}
				for _, c := range t.colls["authenticationMethodConfiguration"].order {
					if !c.gone && t.visible(c) {
						cfgs = append(cfgs, s.view(c, nil, true))
					}
				}
				body["authenticationMethodConfigurations"] = cfgs
			}
			return jsonResp(200, body), nil
		case http.MethodPatch:
			t.mu.Lock()
			defer t.mu.Unlock()
			r := s.singleton(k)
			if r == nil {
				return nil, notFound(k.Name)
			}
			return s.patch(req, r)
		case http.MethodPut:
			if putOnly[k.Name] != nil { // policies.go
				return s.putSingleton(req, k)
			}
		}
		return nil, methodNotAllowed()
	}
	switch {
	case rt.sub == "delta":
		if req.method != http.MethodGet {
			return nil, methodNotAllowed()
		}
		return s.delta(req, rt)
	case rt.key == "" && rt.sub == "$count":
		return s.count(req, rt)
	case rt.key == "":
		switch req.method {
		case http.MethodGet:
			return s.listKind(req, rt)
		case http.MethodPost:
			if k.NoCreate || rt.cast != "" {
				return nil, methodNotAllowed()
			}
			t.mu.Lock()
			defer t.mu.Unlock()
			return s.create(req, k, nil)
		}
		return nil, methodNotAllowed()
	case rt.action != "":
		if req.method != http.MethodPost {
			return nil, methodNotAllowed()
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		r := s.find(rt)
		if r == nil {
			return nil, notFound(rt.key)
		}
		return actions[k.Name][rt.action](s, req, r)
	case rt.nested && k.Name == rmPolicyKind:
		return s.policyRuleOp(req, rt) // pim.go
	case rt.nested && len(held[k.Name]) > 0:
		return s.heldOp(req, rt) // hooks_appheld.go
	case rt.nested && k.Name == grantPolicyKind:
		return s.conditionSetOp(req, rt) // policies.go
	case rt.nested:
		return s.combinationOp(req, rt)
	case rt.rel != "" && rt.relKind != nil:
		return s.containedOp(req, rt)
	case rt.rel != "":
		return s.linkOp(req, rt)
	}
	// One entity.
	switch req.method {
	case http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		r := s.find(rt)
		if r == nil {
			return nil, notFound(rt.key)
		}
		body := s.entityBody(req, r, k.Paths[0]+"/$entity", false)
		if k.Name == lcwWorkflowKind {
			s.workflowTasksInline(req, r, body) // lcw.go
		}
		if k.Name == agreementKindName {
			if aerr := s.agreementExpand(req, r, body); aerr != nil { // termsofuse.go
				return nil, aerr
			}
		}
		if k.Name == emPackageKind { // emresources.go: catalog, resourceRoleScopes
			if aerr := s.packageExpand(req, r, body); aerr != nil {
				return nil, aerr
			}
		}
		return jsonResp(200, body), nil
	case http.MethodPatch:
		if k.NoUpdate {
			return nil, methodNotAllowed()
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		r := s.find(rt)
		if r == nil && k.Upsert && rt.altKey == "" {
			return s.upsert(req, k, rt.key)
		}
		if r == nil {
			return nil, notFound(rt.key)
		}
		return s.patch(req, r)
	case http.MethodPut:
		if putHooks[k.Name] == nil { // governance.go
			return nil, methodNotAllowed()
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		r := s.find(rt)
		if r == nil {
			return nil, notFound(rt.key)
		}
		return s.putEntity(req, r)
	case http.MethodDelete:
		if k.NoDelete {
			return nil, methodNotAllowed()
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		r := s.find(rt)
		if r == nil {
			return nil, notFound(rt.key)
		}
		if aerr := s.beforeDelete(r); aerr != nil {
			return nil, aerr
		}
		s.remove(r)
		if h := afterDeleteHooks[r.kind.Name]; h != nil {
			h(s, r)
		}
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// find resolves an entity route, by key or alternate key. Callers hold t.mu.
func (s *Server) find(rt *route) *record {
	t := s.tenant
	if rt.altKey != "" {
		prop := "appId"
		if strings.EqualFold(rt.altKey, "uniqueName") {
			prop = "uniqueName"
		}
		if idx := t.colls[rt.kind.Name].unique[prop]; idx != nil {
			if r := idx[strings.ToLower(rt.key)]; r != nil && t.visible(r) {
				return r
			}
			return nil
		}
		for _, r := range t.colls[rt.kind.Name].live() {
			if !r.gone && strings.EqualFold(str(r.get(prop)), rt.key) && t.visible(r) {
				return r
			}
		}
		return nil
	}
	return t.lookup(rt.kind, rt.key)
}

func (s *Server) singleton(k *Kind) *record {
	for _, r := range s.tenant.colls[k.Name].live() {
		if !r.gone {
			return r
		}
	}
	return nil
}

// ---- bodies ----

// decodeBody parses a JSON object body keeping numbers exactly as sent.
func decodeBody(b []byte) (map[string]any, *apiError) {
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errf(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	return m, nil
}

// view is what a client sees of r: write-only properties removed, secrets
// never present, $select applied, @odata.type when asked.
func (s *Server) view(r *record, sel []string, withType bool) map[string]any {
	out := s.viewProps(r, sel, withType)
	if r.kind.Name == "conditionalAccessPolicy" {
		s.expandCAStrength(out)
	}
	if r.kind.Name == idpKind {
		maskClientSecret(r, out) // identityproviders.go
	}
	if r.kind.Name == brandingKindName && sel == nil {
		brandingURLs(out) // branding.go
	}
	return out
}

func (s *Server) viewProps(r *record, sel []string, withType bool) map[string]any {
	out := map[string]any{}
	if withType || needsType(r) {
		out["@odata.type"] = typeOf(r)
	}
	if !r.deletedAt.IsZero() {
		defer func() { out["deletedDateTime"] = graphTime(r.deletedAt) }()
	}
	props := sel
	if props == nil {
		props = r.kind.DefaultSelect
	}
	if props == nil {
		for k, v := range r.view() {
			if r.kind.isWriteOnly(k) || k == "@odata.type" || isHeldProp(k) || k == csaProp { // user_csa.go: only on $select
				continue
			}
			out[k] = deepCopy(v)
		}
		return out
	}
	for _, p := range props {
		if r.kind.isWriteOnly(p) || isHeldProp(p) {
			continue
		}
		if v, ok := r.prop(p); ok {
			out[p] = deepCopy(v)
		} else {
			out[p] = nil
		}
	}
	return out
}

func typeOf(r *record) string {
	if t := r.strOf("@odata.type"); t != "" {
		return t
	}
	return r.kind.ODataType
}

// needsType: derived types carry @odata.type in every answer.
func needsType(r *record) bool {
	t := r.strOf("@odata.type")
	return t != "" && t != r.kind.ODataType
}

func parseSelect(q url.Values) []string {
	v := q.Get("$select")
	if v == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) metadata(req *request, suffix string) string {
	return req.root + "/" + req.version + "/$metadata#" + suffix
}

func (s *Server) entityBody(req *request, r *record, ctx string, withType bool) map[string]any {
	out := s.view(r, parseSelect(req.query), withType)
	out["@odata.context"] = s.metadata(req, ctx)
	return out
}

// ---- lists ----

type listSpec struct {
	recs     []*record // candidates in order (may contain gone records)
	context  string    // @odata.context suffix
	withType bool      // directoryObject collections carry @odata.type per item
	kind     *Kind     // for $filter
	maxTop   int
	refs     bool // answer {"@odata.id": ...} items ($ref)
	// coll is the collection whose order recs is, when it is (a list of a
	// whole kind): its pages may resume where others ended (pagememo.go).
	coll *collection
}

func advanced(req *request) bool {
	return strings.EqualFold(req.header.Get("ConsistencyLevel"), "eventual")
}

// page answers a list request: $filter, $orderby, $count, $top, $skiptoken, $select.
func (s *Server) page(req *request, ls listSpec) (*response, *apiError) {
	q := req.query
	adv := advanced(req) && strings.EqualFold(q.Get("$count"), "true")
	var f filter
	if fs := q.Get("$filter"); fs != "" {
		var aerr *apiError
		if f, aerr = parseFilter(fs, filterCtx{kind: ls.kind, advanced: adv}); aerr != nil {
			return nil, aerr
		}
	}
	if q.Get("$search") != "" && !advanced(req) {
		return nil, errf(400, "Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
	}
	if q.Get("$skip") != "" {
		return nil, errf(400, "Request_BadRequest", "'$skip' is not supported by the service.")
	}
	top := 100
	maxTop := ls.maxTop
	if maxTop == 0 {
		maxTop = 999
	}
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, maxTop)
		}
		if n > maxTop {
			return nil, badRequest("Invalid page size specified: '%d'. Must be between 1 and %d inclusive.", n, maxTop)
		}
		top = n
	}
	expand, aerr := listExpand(q, ls, &top)
	if aerr != nil {
		return nil, aerr
	}
	t := s.tenant
	keep := func(r *record) bool { return !r.gone && t.visible(r) && (f == nil || f.match(r.view())) }
	start, afterEmpty, badToken := 0, false, false
	if tok := q.Get("$skiptoken"); tok != "" {
		n, empty, ok := decodeSkipToken(tok)
		start, afterEmpty, badToken = n, empty, !ok // said after $orderby's errors, as before
	}
	// Options.EmptyPages: before each page, a page with no items and a
	// nextLink to it ("A page can contain zero items and still have a
	// nextLink": learn:/graph/paging). The empty page's token says so, so
	// the page it leads to is not empty again.
	emptyPage := s.opts.EmptyPages && !afterEmpty
	// matched holds the page's records (from start) and total counts them
	// all. In creation order (no $orderby) only the page's own are kept: a
	// list of 1.2M users read 999 at a time made every page copy them all
	// (issue 12, row g); the answers are the same.
	// Without $count, the scan stops at the first record after the page:
	// total is then a lower bound that tells only whether a next page
	// exists (end < total) and that the token is not past the end, which is
	// all it is used for; the rest of a 1.2M-user list is not read again
	// for each page (issue #12, row g).
	var matched []*record
	total := 0
	counted := adv && q.Get("$skiptoken") == ""
	if ob := q.Get("$orderby"); ob == "" {
		// A page that starts where one served lately ended continues
		// from there (pagememo.go).
		memo := ls.coll != nil && f == nil && (ls.kind == nil || !kindExpires(ls.kind.Name))
		from, last, pending, steps := 0, -1, false, 0
		if memo {
			from, total = ls.coll.resume(ls.recs, start)
		}
		for i := from; i < len(ls.recs); i++ {
			r := ls.recs[i]
			steps++
			pending = pending || !r.visibleAt.IsZero()
			if !keep(r) {
				continue
			}
			if total >= start+top && !counted {
				total++ // one after the page: there is a next one
				break
			}
			if total >= start && total < start+top && !emptyPage {
				matched = append(matched, r)
				last = i
			}
			total++
		}
		if memo && !pending && last >= 0 {
			ls.coll.remember(ls.recs, last+1, start+len(matched))
		}
		t.pageSteps.Add(uint64(steps))
		if badToken || start > total {
			return nil, expiredPageToken()
		}
	} else {
		for _, r := range ls.recs {
			if keep(r) {
				matched = append(matched, r)
			}
		}
		parts := strings.Fields(ob)
		prop := parts[0]
		if prop != "displayName" && prop != "userPrincipalName" && !adv {
			return nil, errf(400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
		}
		desc := len(parts) > 1 && strings.EqualFold(parts[1], "desc")
		sort.SliceStable(matched, func(i, j int) bool {
			a, b := strings.ToLower(str(matched[i].get(prop))), strings.ToLower(str(matched[j].get(prop)))
			if desc {
				return a > b
			}
			return a < b
		})
		total = len(matched)
		if badToken || start > total {
			return nil, expiredPageToken()
		}
		matched = matched[start:min(start+top, total)]
		if emptyPage {
			matched = nil
		}
	}
	end := start + len(matched)
	sel := parseSelect(q)
	items := make([]any, 0, len(matched))
	for _, r := range matched {
		if ls.refs {
			items = append(items, map[string]any{"@odata.id": req.root + "/" + req.version + "/directoryObjects/" + r.key()})
			continue
		}
		item := s.view(r, sel, ls.withType)
		if expand != "" {
			item[expand] = s.expandLinks(r, expand)
		}
		items = append(items, item)
	}
	body := map[string]any{"@odata.context": s.metadata(req, ls.context), "value": items}
	if counted {
		body["@odata.count"] = total
	}
	if end < total || emptyPage {
		nq := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" {
				nq[k] = v
			}
		}
		if emptyPage {
			nq.Set("$skiptoken", encodeEmptySkipToken(end))
		} else {
			nq.Set("$skiptoken", encodeSkipToken(end))
		}
		body["@odata.nextLink"] = req.root + "/" + req.version + "/" + req.path + "?" + nq.Encode()
	}
	return jsonResp(200, body), nil
}

// expiredPageToken is Graph's answer to a skip token it cannot continue.
func expiredPageToken() *apiError {
	return errf(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
}

// Skip tokens are opaque to clients; graphsim's carry an offset ("o:N"), or
// the offset after an empty page ("e:N", Options.EmptyPages).
func encodeSkipToken(n int) string {
	return "RFNwdAIAAQAAA" + base64.RawURLEncoding.EncodeToString([]byte("o:"+strconv.Itoa(n)))
}

func encodeEmptySkipToken(n int) string {
	return "RFNwdAIAAQAAA" + base64.RawURLEncoding.EncodeToString([]byte("e:"+strconv.Itoa(n)))
}

func decodeSkipToken(tok string) (n int, afterEmpty, ok bool) {
	tok = strings.TrimPrefix(tok, "RFNwdAIAAQAAA")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 2 || (string(b[:2]) != "o:" && string(b[:2]) != "e:") {
		return 0, false, false
	}
	n, err = strconv.Atoi(string(b[2:]))
	return n, b[0] == 'e', err == nil && n >= 0
}

func (s *Server) listKind(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	// page only reads recs, under the read lock held here: no copy (a
	// 1.2M-user list made one per page).
	recs := t.colls[rt.kind.Name].live()
	if isGroupSchedule(rt.kind) {
		// The group's or the principal's schedules only (pgindex.go); a
		// filter that does not parse is page's to refuse.
		if f, aerr := parseFilter(req.query.Get("$filter"), filterCtx{kind: rt.kind}); aerr == nil {
			recs = t.scopedCandidates(rt.kind, f)
		}
		t.groupScheduleSteps.Add(uint64(len(recs)))
	}
	ctx := rt.kind.Paths[0]
	if sel := req.query.Get("$select"); sel != "" {
		ctx += "(" + sel + ")"
	}
	if rt.cast != "" {
		var kept []*record
		for _, r := range recs {
			if strings.EqualFold(strings.TrimPrefix(typeOf(r), "#"), rt.cast) {
				kept = append(kept, r)
			}
		}
		recs = kept
	}
	ls := listSpec{recs: recs, context: ctx, kind: rt.kind, maxTop: rt.kind.MaxTop}
	if c := t.colls[rt.kind.Name]; len(recs) > 0 && len(c.order) > 0 && &recs[0] == &c.order[0] {
		ls.coll = c
	}
	return s.page(req, ls)
}

func (s *Server) count(req *request, rt *route) (*response, *apiError) {
	if !advanced(req) {
		return nil, badRequest("$count is not currently supported.")
	}
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	var f filter
	if fs := req.query.Get("$filter"); fs != "" {
		var aerr *apiError
		if f, aerr = parseFilter(fs, filterCtx{kind: rt.kind, advanced: true}); aerr != nil {
			return nil, aerr
		}
	}
	n := 0
	for _, r := range t.colls[rt.kind.Name].live() {
		if !r.gone && t.visible(r) && (f == nil || f.match(r.view())) {
			n++
		}
	}
	return &response{status: 200, header: http.Header{"Content-Type": {"text/plain"}}, body: []byte(strconv.Itoa(n))}, nil
}

// getByIDs answers POST /directoryObjects/getByIds.
func (s *Server) getByIDs(req *request) (*response, *apiError) {
	if req.method != http.MethodPost {
		return nil, methodNotAllowed()
	}
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	ids, _ := body["ids"].([]any)
	if len(ids) > 1000 {
		return nil, badRequest("Too many ids: at most 1000 are allowed.")
	}
	var types []string
	for _, x := range asSlice(body["types"]) {
		types = append(types, strings.ToLower(str(x)))
	}
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	items := []any{}
	for _, id := range ids {
		r := t.dirObject(str(id))
		if r == nil {
			continue
		}
		if len(types) > 0 && !contains(types, strings.ToLower(r.kind.Name)) {
			continue
		}
		items = append(items, s.view(r, parseSelect(req.query), true))
	}
	return jsonResp(200, map[string]any{"@odata.context": s.metadata(req, "directoryObjects"), "value": items}), nil
}

func asSlice(v any) []any {
	a, _ := v.([]any)
	return a
}
