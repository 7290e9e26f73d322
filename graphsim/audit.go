package graphsim

// The directory audit log: GET /auditLogs/directoryAudits (v1.0 and beta).
//
// Graph keeps a record (resources/directoryaudit) of every change to the
// directory: id, category, correlationId, result, activityDisplayName,
// activityDateTime, loggedByService, operationType, initiatedBy (user
// {id, displayName, userPrincipalName, ipAddress} or app {appId,
// displayName, servicePrincipalId, servicePrincipalName}) and
// targetResources [{id, displayName, type, userPrincipalName,
// modifiedProperties [{displayName, oldValue, newValue}]}], where
// oldValue and newValue are JSON texts (learn:/graph/api/resources/
// modifiedproperty). graphsim writes one record per object a successful
// write changed (create, update, delete, restore, hard delete, $ref add
// and remove), with the activity names Graph uses for the kinds entrasnap
// backs up ("Add user", "Update conditional access policy", "Add member to
// group", ...; learn:/entra/identity/monitoring-health/reference-audit-
// activities). Where Graph's name for a kind is not listed there, graphsim
// uses "<Verb> <kind in words>" (strict: the product must not depend on
// the exact wording). The actor comes from the token: an app-only token
// is the app (its service principal's id and name); graphsim's own token
// is the app "graphsim"; a delegated token is the signed-in user, with
// "app": null, as every record of a user's change Microsoft documents has
// it (directoryaudit-list): the client the user worked in (the portal,
// PowerShell) is not named, since no page says Graph names it there.
//
// The list (learn:/graph/api/directoryaudit-list):
//   - permission AuditLog.Read.All; the page has listed it with and
//     without Directory.Read.All over time, and the permission map lists
//     Directory.Read.All as higher privileged. graphsim requires
//     AuditLog.Read.All (strict reading): without it, 403.
//   - $filter: activityDateTime eq/ge/le, activityDisplayName eq and
//     startswith, loggedByService eq, id eq, correlationId eq,
//     initiatedBy/user/id, initiatedBy/user/displayName,
//     initiatedBy/user/userPrincipalName, initiatedBy/app/appId,
//     initiatedBy/app/displayName eq, targetResources/any(t: t/id eq '..')
//     and t/displayName eq; clauses joined by "and". Anything else → 400
//     (strict: Graph's answer for other clauses is undocumented).
//   - $top sets the page size (1..999, default 100: strict, undocumented),
//     $skiptoken pages (graphsim's tokens name the last record, so records
//     that arrive while a client pages do not shift the pages), newest
//     first ($orderby=activityDateTime asc turns it).
//   - retention: 7 days without Microsoft Entra ID P1 or P2, 30 days with
//     them (learn:/entra/identity/monitoring-health/reference-reports-data-
//     retention); older records are not returned.
//   - latency: a record appears after Options.AuditLag (default 5 minutes:
//     the 99th percentile Microsoft published for audit logs,
//     reference-reports-latencies; strict reading: the current pages
//     promise nothing).
//
// Records live in memory only: Save does not keep them (a loaded tenant
// starts with an empty log, as a tenant whose log has expired).

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultAuditLag is how long a directory audit record takes to appear
// when Options.AuditLag is zero.
const DefaultAuditLag = 5 * time.Minute

// Audit log retention by licence.
const (
	AuditRetentionFree    = 7 * 24 * time.Hour
	AuditRetentionPremium = 30 * 24 * time.Hour
)

const auditReadPermission = "AuditLog.Read.All"

// auditRecord is one directoryAudit: its Graph JSON and when it happened.
type auditRecord struct {
	seq uint64
	at  time.Time
	obj map[string]any
}

// auditLag is the configured latency of the log.
func (s *Server) auditLag() time.Duration {
	switch {
	case s.opts.AuditLag < 0:
		return 0
	case s.opts.AuditLag == 0:
		return DefaultAuditLag
	}
	return s.opts.AuditLag
}

func (s *Server) auditRetention() time.Duration {
	if licenceRank(s.Licence()) >= 1 {
		return AuditRetentionPremium
	}
	return AuditRetentionFree
}

// auditCapture is the state before a write: where the change log stood and
// the object the request names, as it was.
type auditCapture struct {
	seq    uint64
	before map[string]map[string]any // lower-cased id → object before the write
}

func isWriteMethod(m string) bool {
	switch m {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// auditBefore records where the change log stands and copies the object the
// request names. Callers hold s.auditMu.
func (s *Server) auditBefore(req *request, rt *route) *auditCapture {
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	c := &auditCapture{seq: t.seq, before: map[string]map[string]any{}}
	var r *record
	switch {
	case rt.kind != nil && rt.kind.Singleton:
		r = s.singleton(rt.kind)
	case rt.kind != nil && rt.key != "" && rt.altKey == "":
		r = t.colls[rt.kind.Name].byKey[strings.ToLower(rt.key)]
		if r != nil && rt.relKind != nil && rt.relKey != "" {
			if x := t.colls[rt.relKind.Name].byKey[strings.ToLower(rt.relKey)]; x != nil {
				c.before[strings.ToLower(x.key())] = copyObj(x.o())
			}
		}
	}
	if r != nil {
		c.before[strings.ToLower(r.key())] = copyObj(r.o())
	}
	return c
}

// auditAfter writes the records of a successful write: one per change the
// write logged. Callers hold s.auditMu.
func (s *Server) auditAfter(req *request, rt *route, c *auditCapture) {
	t := s.tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	var changes []change
	for i := len(t.changes) - 1; i >= 0 && t.changes[i].Seq > c.seq; i-- {
		changes = append(changes, t.changes[i])
	}
	if len(changes) == 0 {
		return
	}
	slicesReverse(changes)
	actor := s.initiator(req.principal)
	corr := auditGUID(t.id, "corr", c.seq, len(t.audits))
	// A write below a recycle bin restores (POST) or hard-deletes (DELETE).
	restore := rt.special == "dirDeleted" || rt.special == "caDeleted"
	for _, ch := range changes {
		if ch.Op == "purge" && req.method != http.MethodDelete {
			continue // the recycle bin's own expiry, not this request
		}
		rec := s.auditRecordFor(req, ch, c, restore)
		if rec == nil {
			continue
		}
		n := len(t.audits) + 1
		rec["id"] = "Directory_" + corr + "_" + strconv.Itoa(n)
		rec["correlationId"] = corr
		rec["initiatedBy"] = actor
		rec["activityDateTime"] = ch.At.UTC().Format(time.RFC3339Nano)
		rec["result"] = "success"
		rec["resultReason"] = ""
		rec["additionalDetails"] = []any{}
		t.audits = append(t.audits, auditRecord{seq: uint64(n), at: ch.At, obj: rec})
	}
}

func slicesReverse(c []change) {
	for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
		c[i], c[j] = c[j], c[i]
	}
}

// auditGUID is a GUID derived from the tenant and a sequence: deterministic,
// and drawing nothing from the tenant's generator (whose ids tests know).
func auditGUID(parts ...any) string {
	h := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

// auditNoun is the words Graph's activity names use for a kind, its
// category, the service that logs it and the targetResource type.
type auditNoun struct{ noun, category, service, typ string }

var auditNouns = map[string]auditNoun{
	"user":                         {"user", "UserManagement", "Core Directory", "User"},
	"group":                        {"group", "GroupManagement", "Core Directory", "Group"},
	"application":                  {"application", "ApplicationManagement", "Core Directory", "Application"},
	"servicePrincipal":             {"service principal", "ApplicationManagement", "Core Directory", "ServicePrincipal"},
	"conditionalAccessPolicy":      {"conditional access policy", "Policy", "Conditional Access", "Policy"},
	"namedLocation":                {"named location", "Policy", "Conditional Access", "Policy"},
	"authenticationStrengthPolicy": {"authentication strength policy", "Policy", "Conditional Access", "Policy"},
	"administrativeUnit":           {"administrative unit", "AdministrativeUnit", "Core Directory", "Other"},
	"unifiedRoleDefinition":        {"role definition", "RoleManagement", "Core Directory", "Role"},
	"unifiedRoleAssignment":        {"role assignment", "RoleManagement", "Core Directory", "Role"},
	"appRoleAssignment":            {"app role assignment", "ApplicationManagement", "Core Directory", "ServicePrincipal"},
	"oAuth2PermissionGrant":        {"delegated permission grant", "ApplicationManagement", "Core Directory", "ServicePrincipal"},
	"device":                       {"device", "Device", "Core Directory", "Device"},
	"directoryRole":                {"role", "RoleManagement", "Core Directory", "Role"},
}

var camelWord = lazyRE(`[A-Z]?[a-z0-9]+|[A-Z]+`)

func nounOf(kind string) auditNoun {
	if n, ok := auditNouns[kind]; ok {
		return n
	}
	words := camelWord.FindAllString(kind, -1)
	for i, w := range words {
		words[i] = strings.ToLower(w)
	}
	cat := "DirectoryManagement"
	typ := "Other"
	if strings.HasSuffix(strings.ToLower(kind), "policy") {
		cat, typ = "Policy", "Policy"
	}
	return auditNoun{strings.Join(words, " "), cat, "Core Directory", typ}
}

// auditRecordFor builds the record of one change (without id, actor, time).
// Callers hold t.mu.
func (s *Server) auditRecordFor(req *request, ch change, c *auditCapture, restore bool) map[string]any {
	t := s.tenant
	n := nounOf(ch.Kind)
	cur := t.colls[ch.Kind]
	var obj map[string]any
	if cur != nil {
		if r := cur.byKey[strings.ToLower(ch.ID)]; r != nil {
			obj = r.o()
		}
	}
	if obj == nil {
		if r := t.bin[strings.ToLower(ch.ID)]; r != nil {
			obj = r.o()
		}
	}
	old := c.before[strings.ToLower(ch.ID)]
	if obj == nil {
		obj = old
	}
	switch ch.Kind {
	case pgEligKind, pgAssignKind:
		return nil // the schedule request's record says it (pimGroupAudit)
	case "directoryRole":
		if ch.Op == "link" || ch.Op == "unlink" {
			return nil // a role assignment's member change: its record says it (dirroledelta.go)
		}
	case pgEligReqKind, pgAssignReqKind:
		if ch.Op != "upsert" || old != nil {
			return nil
		}
		return s.pimGroupAudit(ch.Kind, obj)
	case "appRoleAssignment":
		if rec := appRoleAssignmentAudit(ch, obj); rec != nil {
			return rec
		}
	}
	target := targetOf(n, ch.ID, obj)
	var activity, op string
	var mods []any
	switch ch.Op {
	case "upsert":
		switch {
		case restore:
			activity, op = "Restore "+n.noun, "Update"
		case old == nil && len(ch.Props) == 0:
			activity, op = "Add "+n.noun, "Add"
			if ch.Kind == "unifiedRoleAssignment" {
				activity, op = "Add member to role", "Assign"
			}
			if ch.Kind == "directoryRole" {
				// POST /directoryRoles, or the activation a role
				// assignment makes (roles.go activateAssignedRole).
				activity = "Add role from template"
			}
			mods = createdProps(obj)
		default:
			activity, op = "Update "+n.noun, "Update"
			mods = updatedProps(ch.Props, old, obj)
		}
	case "softDelete":
		activity, op = "Delete "+n.noun, "Delete"
		if ch.Kind == "unifiedRoleAssignment" {
			activity, op = "Remove member from role", "Unassign"
		}
	case "purge":
		activity, op = "Delete "+n.noun, "Delete"
		if restore {
			activity = "Hard delete " + n.noun // from the recycle bin
		}
		if ch.Kind == "unifiedRoleAssignment" {
			activity, op = "Remove member from role", "Unassign"
		}
	case "link", "unlink":
		rel := map[string]string{"members": "member", "owners": "owner"}[ch.Rel]
		if rel == "" {
			activity, op = "Update "+n.noun, "Update"
			mods = []any{modified(ch.Rel, nil, nil)}
			break
		}
		if ch.Op == "link" {
			activity, op = "Add "+rel+" to "+n.noun, "Assign"
		} else {
			activity, op = "Remove "+rel+" from "+n.noun, "Unassign"
		}
		// Graph lists the member first, then the group it joined or left.
		var mobj map[string]any
		mtype := "Other"
		if r := t.dirIndex[strings.ToLower(ch.Target)]; r != nil {
			mobj = r.o()
			mtype = nounOf(r.kind.Name).typ
		}
		member := map[string]any{"id": ch.Target, "displayName": nullable(str(mobj["displayName"])), "type": mtype,
			"userPrincipalName": nullable(str(mobj["userPrincipalName"])), "groupType": nil,
			"modifiedProperties": []any{
				modified(typeWord(n)+".ObjectID", nil, ch.ID),
				modified(typeWord(n)+".DisplayName", nil, str(obj["displayName"])),
			}}
		return map[string]any{"category": n.category, "loggedByService": n.service, "operationType": op,
			"activityDisplayName": activity, "targetResources": []any{member, target}}
	default:
		return nil
	}
	target["modifiedProperties"] = mods
	if mods == nil {
		target["modifiedProperties"] = []any{}
	}
	return map[string]any{"category": n.category, "loggedByService": n.service, "operationType": op,
		"activityDisplayName": activity, "targetResources": []any{target}}
}

func typeWord(n auditNoun) string {
	if n.typ == "Other" || n.typ == "Policy" {
		words := strings.Fields(n.noun)
		for i, w := range words {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.Join(words, "")
	}
	return n.typ
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func targetOf(n auditNoun, id string, obj map[string]any) map[string]any {
	return map[string]any{"id": id, "displayName": nullable(str(obj["displayName"])), "type": n.typ,
		"userPrincipalName": nullable(str(obj["userPrincipalName"])), "groupType": nil}
}

// auditSkip are properties Graph does not show in modifiedProperties:
// keys, bookkeeping and password material.
var auditSkip = map[string]bool{"id": true, "passwordProfile": true, "createdDateTime": true,
	"modifiedDateTime": true, "deletedDateTime": true, "@odata.type": true, "@odata.context": true}

// modified is one modifiedProperty; Graph encodes each value as JSON text
// (a JSON array of the values for most properties: "[\"Sales\"]").
func modified(name string, oldV, newV any) map[string]any {
	return map[string]any{"displayName": name, "oldValue": auditValue(oldV), "newValue": auditValue(newV)}
}

func auditValue(v any) any {
	if v == nil {
		return "[]"
	}
	b, err := json.Marshal([]any{v})
	if err != nil {
		return nil
	}
	return string(b)
}

func createdProps(obj map[string]any) []any {
	var names []string
	for k, v := range obj {
		if v == nil || auditSkip[k] || strings.Contains(k, "@") {
			continue
		}
		if a, ok := v.([]any); ok && len(a) == 0 {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	out := []any{}
	for _, k := range names {
		out = append(out, modified(k, nil, obj[k]))
	}
	if len(names) > 0 {
		out = append(out, includedUpdated(names))
	}
	return out
}

func updatedProps(props []string, old, cur map[string]any) []any {
	var names []string
	for _, p := range props {
		if !auditSkip[p] {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	out := []any{}
	for _, p := range names {
		out = append(out, modified(p, old[p], cur[p]))
	}
	if len(names) > 0 {
		out = append(out, includedUpdated(names))
	}
	return out
}

// includedUpdated is the summary entry Graph adds to update records.
func includedUpdated(names []string) map[string]any {
	b, _ := json.Marshal(strings.Join(names, ", "))
	return map[string]any{"displayName": "Included Updated Properties", "oldValue": "", "newValue": string(b)}
}

// initiator is the auditActivityInitiator of a token's principal.
func (s *Server) initiator(p *principal) map[string]any {
	app := map[string]any{"appId": nil, "displayName": nil, "servicePrincipalId": nil, "servicePrincipalName": nil}
	if p == nil {
		return map[string]any{"user": nil, "app": app}
	}
	app["appId"] = p.appID
	if p.all {
		app["displayName"] = "graphsim"
		return map[string]any{"user": nil, "app": app}
	}
	if p.userID != "" { // delegated: the signed-in user is the actor
		user := map[string]any{"id": p.userID, "displayName": nil, "userPrincipalName": nil, "ipAddress": nil}
		if u := s.tenant.findUser(p.userID); u != nil {
			user["displayName"] = nullable(str(u.get("displayName")))
			user["userPrincipalName"] = nullable(str(u.get("userPrincipalName")))
		}
		return map[string]any{"user": user, "app": nil}
	}
	if c := s.tenant.colls["servicePrincipal"]; c != nil {
		if r := c.unique["appId"][strings.ToLower(p.appID)]; r != nil {
			app["displayName"] = nullable(str(r.get("displayName")))
			app["servicePrincipalId"] = r.key()
			app["servicePrincipalName"] = nullable(str(r.get("displayName")))
		}
	}
	return map[string]any{"user": nil, "app": app}
}

// ---- the list ----

// auditPred is one $filter clause.
type auditPred func(rec map[string]any, at time.Time) bool

var (
	reAuditTime   = lazyRE(`^activityDateTime\s+(eq|ge|le)\s+(\S+)$`)
	reAuditEq     = lazyRE(`^([A-Za-z/]+)\s+eq\s+'((?:[^']|'')*)'$`)
	reAuditStarts = lazyRE(`^startswith\(\s*([A-Za-z/]+)\s*,\s*'((?:[^']|'')*)'\s*\)$`)
	reAuditAny    = lazyRE(`^targetResources/any\(\s*(\w+)\s*:\s*(\w+)/(id|displayName)\s+eq\s+'((?:[^']|'')*)'\s*\)$`)
)

// auditEqPaths are the properties the list page says $filter eq takes.
var auditEqPaths = map[string][]string{
	"activityDisplayName":                {"activityDisplayName"},
	"loggedByService":                    {"loggedByService"},
	"id":                                 {"id"},
	"correlationId":                      {"correlationId"},
	"initiatedBy/user/id":                {"initiatedBy", "user", "id"},
	"initiatedBy/user/displayName":       {"initiatedBy", "user", "displayName"},
	"initiatedBy/user/userPrincipalName": {"initiatedBy", "user", "userPrincipalName"},
	"initiatedBy/app/appId":              {"initiatedBy", "app", "appId"},
	"initiatedBy/app/displayName":        {"initiatedBy", "app", "displayName"},
}

var auditStartsPaths = map[string][]string{
	"activityDisplayName":                {"activityDisplayName"},
	"initiatedBy/user/userPrincipalName": {"initiatedBy", "user", "userPrincipalName"},
}

func dig(m map[string]any, path []string) string {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[p]
	}
	return str(v)
}

// splitAnd splits a filter on " and " outside quotes.
func splitAnd(f string) []string {
	var out []string
	inQ, depth, start := false, 0, 0
	low := strings.ToLower(f)
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '\'':
			inQ = !inQ
		case '(':
			if !inQ {
				depth++
			}
		case ')':
			if !inQ {
				depth--
			}
		case ' ':
			if !inQ && depth == 0 && strings.HasPrefix(low[i:], " and ") {
				out = append(out, strings.TrimSpace(f[start:i]))
				start = i + 5
				i += 4
			}
		}
	}
	return append(out, strings.TrimSpace(f[start:]))
}

func parseAuditTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z", "2006-01-02"} {
		if tm, err := time.Parse(layout, v); err == nil {
			return tm, true
		}
	}
	return time.Time{}, false
}

func parseAuditFilter(f string) ([]auditPred, *apiError) {
	var preds []auditPred
	bad := func(clause string) *apiError {
		return badRequest("Invalid filter clause: '%s' is not supported on directoryAudits.", clause)
	}
	for _, cl := range splitAnd(f) {
		if cl == "" || strings.Contains(strings.ToLower(cl), " or ") {
			return nil, bad(cl)
		}
		if m := reAuditTime.FindStringSubmatch(cl); m != nil {
			tm, ok := parseAuditTime(strings.Trim(m[2], "'"))
			if !ok {
				return nil, bad(cl)
			}
			op := m[1]
			preds = append(preds, func(_ map[string]any, at time.Time) bool {
				at = at.Truncate(time.Second)
				switch op {
				case "ge":
					return !at.Before(tm)
				case "le":
					return !at.After(tm)
				}
				return at.Equal(tm)
			})
			continue
		}
		if m := reAuditAny.FindStringSubmatch(cl); m != nil && m[1] == m[2] {
			prop, val := m[3], strings.ReplaceAll(m[4], "''", "'")
			preds = append(preds, func(rec map[string]any, _ time.Time) bool {
				ts, _ := rec["targetResources"].([]any)
				for _, x := range ts {
					if tr, ok := x.(map[string]any); ok && strings.EqualFold(str(tr[prop]), val) {
						return true
					}
				}
				return false
			})
			continue
		}
		if m := reAuditEq.FindStringSubmatch(cl); m != nil && auditEqPaths[m[1]] != nil {
			path, val := auditEqPaths[m[1]], strings.ReplaceAll(m[2], "''", "'")
			preds = append(preds, func(rec map[string]any, _ time.Time) bool { return strings.EqualFold(dig(rec, path), val) })
			continue
		}
		if m := reAuditStarts.FindStringSubmatch(cl); m != nil && auditStartsPaths[m[1]] != nil {
			path, val := auditStartsPaths[m[1]], strings.ToLower(strings.ReplaceAll(m[2], "''", "'"))
			preds = append(preds, func(rec map[string]any, _ time.Time) bool {
				return strings.HasPrefix(strings.ToLower(dig(rec, path)), val)
			})
			continue
		}
		return nil, bad(cl)
	}
	return preds, nil
}

// serveDirectoryAudits answers GET /auditLogs/directoryAudits[/{id}].
func (s *Server) serveDirectoryAudits(req *request, rt *route) (*response, *apiError) {
	if req.method != http.MethodGet {
		return nil, methodNotAllowed()
	}
	if p := req.principal; p != nil && !p.all && !p.has([]string{auditReadPermission}) {
		return nil, denied()
	}
	q := req.query
	for k := range q {
		switch k {
		case "$filter", "$top", "$skiptoken", "$orderby":
		default:
			if strings.HasPrefix(k, "$") {
				return nil, badRequest("Query option '%s' is not supported on directoryAudits.", k)
			}
		}
	}
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	now := s.clock.Now()
	lag, keep := s.auditLag(), s.auditRetention()
	visible := func(a auditRecord) bool {
		return !a.at.Add(lag).After(now) && !a.at.Before(now.Add(-keep))
	}
	if rt.key != "" {
		for _, a := range t.audits {
			if str(a.obj["id"]) == rt.key && visible(a) {
				out := copyObj(a.obj)
				out["@odata.context"] = s.metadata(req, "auditLogs/directoryAudits/$entity")
				return jsonResp(200, out), nil
			}
		}
		return nil, notFound(rt.key)
	}
	var preds []auditPred
	if f := q.Get("$filter"); f != "" {
		var aerr *apiError
		if preds, aerr = parseAuditFilter(f); aerr != nil {
			return nil, aerr
		}
	}
	asc := false
	if ob := strings.Fields(q.Get("$orderby")); len(ob) > 0 {
		if ob[0] != "activityDateTime" || len(ob) > 2 {
			return nil, badRequest("Invalid $orderby: only activityDateTime is supported.")
		}
		asc = len(ob) == 1 || strings.EqualFold(ob[1], "asc")
	}
	top := 100
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			return nil, badRequest("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", v)
		}
		top = n
	}
	var after uint64
	if tok := q.Get("$skiptoken"); tok != "" {
		n, err := strconv.ParseUint(strings.TrimPrefix(tok, "audit-"), 10, 64)
		if err != nil || !strings.HasPrefix(tok, "audit-") {
			return nil, errf(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
		}
		after = n
	}
	items := []any{}
	var last uint64
	more := false
	for i := range t.audits {
		a := t.audits[i]
		if !asc {
			a = t.audits[len(t.audits)-1-i]
		}
		if after != 0 && ((asc && a.seq <= after) || (!asc && a.seq >= after)) {
			continue
		}
		if !visible(a) {
			continue
		}
		ok := true
		for _, p := range preds {
			if !p(a.obj, a.at) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if len(items) == top {
			more = true
			break
		}
		items = append(items, copyObj(a.obj))
		last = a.seq
	}
	body := map[string]any{"@odata.context": s.metadata(req, "auditLogs/directoryAudits"), "value": items}
	if more {
		nq := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" {
				nq[k] = v
			}
		}
		nq.Set("$skiptoken", "audit-"+strconv.FormatUint(last, 10))
		body["@odata.nextLink"] = req.root + "/" + req.version + "/" + req.path + "?" + nq.Encode()
	}
	return jsonResp(200, body), nil
}

// AuditRecords is the directory audit log as Graph JSON, oldest first,
// whatever the lag and retention (for tests and the demo).
func (t *Tenant) AuditRecords() []map[string]any {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]map[string]any, 0, len(t.audits))
	for _, a := range t.audits {
		out = append(out, copyObj(a.obj))
	}
	return out
}

func copyObj(m map[string]any) map[string]any {
	out, _ := deepCopy(m).(map[string]any)
	return out
}

// pimGroupAudit is the record of a PIM for Groups schedule request (req,
// as stored): logged by PIM, category GroupManagement, with the activity
// names of the reference's PIM table ("Add eligible member to role in PIM
// completed (permanent)", "Remove member from role in PIM completed
// (timebound)", ...: learn:/entra/identity/monitoring-health/reference-
// audit-activities). Its targets (undocumented): the request, the
// principal and the group, each by id. An adminRemove's request carries no
// schedule: it is "(permanent)" unless the request has an end. Callers
// hold t.mu.
func (s *Server) pimGroupAudit(kind string, req map[string]any) map[string]any {
	t := s.tenant
	what := "member"
	if kind == pgEligReqKind {
		what = "eligible member"
	}
	span := "permanent"
	if str(lookupPath(req, "scheduleInfo/expiration/type")) == "afterDateTime" {
		span = "timebound"
	}
	var activity, op string
	switch str(req["action"]) {
	case "adminAssign":
		activity, op = "Add "+what+" to role in PIM completed ("+span+")", "Assign"
	case "adminRemove":
		activity, op = "Remove "+what+" from role in PIM completed ("+span+")", "Unassign"
	case "adminUpdate":
		// The reference lists no "completed" update of a PIM for Groups
		// schedule; "Process role update request" is its name for roles and
		// resources (strict: entrasnap relies on the group target only).
		activity, op = "Process role update request", "Update"
	default:
		return nil
	}
	targets := []any{map[string]any{"id": str(req["id"]), "displayName": nil, "type": "Request", "userPrincipalName": nil, "groupType": nil, "modifiedProperties": []any{}}}
	if p := t.dirIndex[strings.ToLower(str(req["principalId"]))]; p != nil {
		tg := targetOf(nounOf(p.kind.Name), p.key(), p.o())
		tg["modifiedProperties"] = []any{}
		targets = append(targets, tg)
	}
	if g := t.colls["group"].byKey[strings.ToLower(str(req["groupId"]))]; g != nil {
		tg := targetOf(nounOf("group"), g.key(), g.o())
		tg["modifiedProperties"] = []any{}
		targets = append(targets, tg)
	}
	return map[string]any{"category": "GroupManagement", "loggedByService": "PIM", "operationType": op,
		"activityDisplayName": activity, "targetResources": targets}
}

// appRoleAssignmentAudit is the record of an app role assignment created
// or removed. Graph names the activity after the principal ("Add app role
// assignment grant to user", "Add app role assignment to group", "Add app
// role assignment to service principal", "Remove app role assignment from
// user", ...: learn:/entra/identity/monitoring-health/reference-audit-
// activities) and its targets are the resource service principal, whose
// appRoleAssignedTo changed, with the role and the principal among its
// modifiedProperties (AppRole.Id, ServicePrincipal.ObjectID, ... in the
// records Graph writes), then the principal. Nil when the assignment is no
// longer known (the generic record is written).
func appRoleAssignmentAudit(ch change, obj map[string]any) map[string]any {
	if obj == nil || str(obj["resourceId"]) == "" {
		return nil
	}
	var add bool
	switch ch.Op {
	case "upsert":
		add = true
	case "softDelete", "purge":
	default:
		return nil
	}
	ptype := str(obj["principalType"])
	activity := map[string]string{"User": "app role assignment grant to user", "Group": "app role assignment to group"}[ptype]
	if activity == "" {
		activity = "app role assignment to service principal"
	}
	op := "Assign"
	if add {
		activity = "Add " + activity
	} else {
		activity = "Remove " + strings.Replace(strings.Replace(activity, " grant", "", 1), " to ", " from ", 1)
		op = "Unassign"
	}
	var oldV, newV any
	if add {
		newV = str(obj["appRoleId"])
	} else {
		oldV = str(obj["appRoleId"])
	}
	resource := map[string]any{"id": str(obj["resourceId"]), "displayName": nullable(str(obj["resourceDisplayName"])), "type": "ServicePrincipal",
		"userPrincipalName": nil, "groupType": nil, "modifiedProperties": []any{
			modified("AppRole.Id", oldV, newV),
			modified("AppRoleAssignment.ObjectID", nil, ch.ID),
			modified(ptypeWord(ptype)+".ObjectID", nil, str(obj["principalId"])),
		}}
	principal := map[string]any{"id": str(obj["principalId"]), "displayName": nullable(str(obj["principalDisplayName"])), "type": ptypeWord(ptype),
		"userPrincipalName": nil, "groupType": nil, "modifiedProperties": []any{}}
	return map[string]any{"category": "ApplicationManagement", "loggedByService": "Core Directory", "operationType": op,
		"activityDisplayName": activity, "targetResources": []any{resource, principal}}
}

func ptypeWord(t string) string {
	if t == "User" || t == "Group" {
		return t
	}
	return "ServicePrincipal"
}
