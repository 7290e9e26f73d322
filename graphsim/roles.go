package graphsim

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// Directory roles and PIM beyond the generic rules (graphsim/doc.go,
// "Directory roles and PIM").

// inheritEligibility lists, next to a group's eligibility, one row per
// member of the group with memberType "Group": the members are eligible
// through the group, not on their own
// (learn.microsoft.com/graph/api/resources/unifiedroleeligibilityschedule,
// memberType "Inherited, Direct, or Group"). Which rows Graph lists is not
// documented; graphsim takes the reading that lists them, which a restore
// must not assign again as direct eligibilities. Members added to the group
// later get no row (simplified). Callers hold t.mu.
func (s *Server) inheritEligibility(sched, principal *record) {
	if sched == nil || principal == nil || principal.kind.Name != "group" {
		return
	}
	t := s.tenant
	k := kindByName["unifiedRoleEligibilitySchedule"]
	for _, m := range principal.links["members"] {
		mr := t.dirObject(m)
		if mr == nil || mr.kind.Name != "user" {
			continue
		}
		row := deepCopy(sched.obj).(map[string]any)
		row["id"] = t.newID()
		row["principalId"] = mr.key()
		row["memberType"] = "Group"
		row["createdUsing"] = sched.key()
		t.insert(k, row)
	}
}

// dropInherited removes the rows inherited through the eligibility id.
func (s *Server) dropInherited(id string) {
	t := s.tenant
	var rows []*record
	for _, r := range t.colls["unifiedRoleEligibilitySchedule"].byKey {
		if str(r.obj["memberType"]) != "Direct" && strings.EqualFold(str(r.obj["createdUsing"]), id) {
			rows = append(rows, r)
		}
	}
	for _, r := range rows {
		s.remove(r)
	}
}

// ---- directory roles ----
//
// learn.microsoft.com/graph/api/resources/directoryrole: a directory role
// is activated from a role template (POST /directoryRoles {roleTemplateId},
// directoryrole-post-directoryroles); its id is its own, different in every
// tenant, and roleTemplateId names the template (the built-in role
// definition's id). resources/scopedrolemembership: roleId is "the directory
// role that the member is in", so a scoped role member names the activated
// role's object id, never the template.

func createDirectoryRole(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	tmpl := str(body["roleTemplateId"])
	def := s.findRole(tmpl)
	if def == nil || !strings.EqualFold(str(def.obj["templateId"]), tmpl) {
		return notFound(tmpl)
	}
	if b, _ := def.obj["isBuiltIn"].(bool); !b {
		// Strict reading: only built-in templates are directory roles.
		return badRequest("Role template '%s' is not a built-in directory role template.", tmpl)
	}
	if s.directoryRoleFor(tmpl) != nil {
		return conflict()
	}
	body["id"] = s.directoryRoleID(tmpl)
	body["roleTemplateId"] = str(def.obj["templateId"])
	body["displayName"] = def.obj["displayName"]
	body["description"] = def.obj["description"]
	return nil
}

func conflict() *apiError {
	return errf(409, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.")
}

// directoryRoleID derives the object id of the activated template from the
// tenant id (a different id in every tenant, as in Graph) without drawing on
// the tenant's random sequence, so activating a role moves no other id.
func (s *Server) directoryRoleID(tmpl string) string {
	h := sha256.Sum256([]byte("directoryRole|" + s.tenant.id + "|" + strings.ToLower(tmpl)))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// directoryRoleFor finds the activated role of a template. Callers hold t.mu.
func (s *Server) directoryRoleFor(tmpl string) *record {
	for _, r := range s.tenant.colls["directoryRole"].byKey {
		if strings.EqualFold(str(r.obj["roleTemplateId"]), tmpl) {
			return r
		}
	}
	return nil
}

// activateRole activates a built-in role template (as POST /directoryRoles
// would) and returns the directory role's id. Callers hold t.mu.
func (s *Server) activateRole(tmpl string) string {
	if r := s.directoryRoleFor(tmpl); r != nil {
		return r.key()
	}
	body := map[string]any{"roleTemplateId": tmpl}
	if createDirectoryRole(s, nil, body, nil) != nil {
		return ""
	}
	body["deletedDateTime"] = nil
	return s.tenant.insert(kindByName["directoryRole"], body).key()
}

// checkScopedRoleID refuses a scoped role member whose roleId is not an
// activated directory role: a role definition or template id is 400
// (graphsim's message; Graph's is not documented), an unknown id 404.
func (s *Server) checkScopedRoleID(id string) *apiError {
	if s.tenant.lookup(kindByName["directoryRole"], id) != nil {
		return nil
	}
	if s.findRole(id) != nil {
		return badRequest("Invalid roleId '%s': a scoped role member names an activated directory role (GET /directoryRoles; activate one with POST /directoryRoles {roleTemplateId}), not a role definition or template.", id)
	}
	return notFound(id)
}
