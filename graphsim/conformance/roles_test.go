package conformance_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/directoryroles"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/rolemanagement"
)

func TestAdministrativeUnits(t *testing.T) {
	e := newEnv(t)
	aus := e.client.Directory().AdministrativeUnits()
	body := models.NewAdministrativeUnit()
	body.SetDisplayName(ptr("Seattle District"))
	body.SetDescription(ptr("Seattle district technical schools administration"))
	body.SetVisibility(ptr("HiddenMembership"))
	au, err := aus.Post(e.ctx, body, nil)
	must(t, "create administrative unit", err)
	auID := deref(au.GetId())
	if len(auID) != 36 || deref(au.GetVisibility()) != "HiddenMembership" {
		t.Fatalf("created AU id %q visibility %q", auID, deref(au.GetVisibility()))
	}
	other := models.NewAdministrativeUnit()
	other.SetDisplayName(ptr("Redmond District"))
	_, err = aus.Post(e.ctx, other, nil)
	must(t, "create second administrative unit", err)

	list, err := aus.Get(e.ctx, nil)
	must(t, "list administrative units", err)
	var names []string
	for _, a := range list.GetValue() {
		names = append(names, deref(a.GetDisplayName()))
	}
	if !slices.Equal(names, []string{"Seattle District", "Redmond District"}) {
		t.Errorf("administrative units = %v", names)
	}

	user := deref(e.createUser("au.member").GetId())
	grp := deref(e.createGroup("au-group").GetId())
	members := aus.ByAdministrativeUnitId(auID).Members()
	must(t, "add user member", members.Ref().Post(e.ctx, e.refBody(user), nil))
	must(t, "add group member", members.Ref().Post(e.ctx, e.refBody(grp), nil))
	err = members.Ref().Post(e.ctx, e.refBody(user), nil)
	requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	page, err := members.Get(e.ctx, nil)
	must(t, "list AU members", err)
	var kinds []string
	for _, m := range page.GetValue() {
		switch m.(type) {
		case models.Userable:
			kinds = append(kinds, "user:"+deref(m.GetId()))
		case models.Groupable:
			kinds = append(kinds, "group:"+deref(m.GetId()))
		default:
			kinds = append(kinds, "?:"+deref(m.GetId()))
		}
	}
	if !slices.Equal(kinds, []string{"user:" + user, "group:" + grp}) {
		t.Errorf("AU members = %v", kinds)
	}

	// Scoped role membership: a helpdesk admin for this unit only. roleId is
	// the activated directory role's id, not the template's.
	admin := e.createUser("au.admin")
	srm := models.NewScopedRoleMembership()
	srm.SetRoleId(ptr(helpdeskAdminID))
	srm.SetRoleMemberInfo(models.NewIdentity())
	srm.GetRoleMemberInfo().SetId(admin.GetId())
	_, err = aus.ByAdministrativeUnitId(auID).ScopedRoleMembers().Post(e.ctx, srm, nil)
	requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	dr := models.NewDirectoryRole()
	dr.SetRoleTemplateId(ptr(helpdeskAdminID))
	activated, err := e.client.DirectoryRoles().Post(e.ctx, dr, nil)
	must(t, "activate Helpdesk Administrator", err)
	helpdeskRoleID := deref(activated.GetId())
	if helpdeskRoleID == helpdeskAdminID || deref(activated.GetRoleTemplateId()) != helpdeskAdminID {
		t.Fatalf("activated directory role id %q template %q", helpdeskRoleID, deref(activated.GetRoleTemplateId()))
	}
	srm.SetRoleId(ptr(helpdeskRoleID))
	info := models.NewIdentity()
	info.SetId(admin.GetId())
	srm.SetRoleMemberInfo(info)
	got, err := aus.ByAdministrativeUnitId(auID).ScopedRoleMembers().Post(e.ctx, srm, nil)
	must(t, "add scoped role member", err)
	if deref(got.GetAdministrativeUnitId()) != auID || deref(got.GetRoleId()) != helpdeskRoleID || got.GetId() == nil {
		t.Errorf("scoped role membership AU %q role %q id %v", deref(got.GetAdministrativeUnitId()), deref(got.GetRoleId()), got.GetId())
	}
	if mi := got.GetRoleMemberInfo(); mi == nil || deref(mi.GetId()) != deref(admin.GetId()) || deref(mi.GetDisplayName()) != "User au.admin" {
		t.Errorf("roleMemberInfo did not resolve the member's displayName")
	}
	_, err = aus.ByAdministrativeUnitId(auID).ScopedRoleMembers().Post(e.ctx, srm, nil)
	requireODataError(t, err, http.StatusConflict, "Request_BadRequest")
	srms, err := aus.ByAdministrativeUnitId(auID).ScopedRoleMembers().Get(e.ctx, nil)
	must(t, "list scoped role members", err)
	if len(srms.GetValue()) != 1 || deref(srms.GetValue()[0].GetId()) != deref(got.GetId()) {
		t.Errorf("scoped role members = %d", len(srms.GetValue()))
	}

	must(t, "remove AU member", members.ByDirectoryObjectId(grp).Ref().Delete(e.ctx, nil))
	page, err = members.Get(e.ctx, nil)
	must(t, "list AU members", err)
	if ids := idsOf(page.GetValue()); !slices.Equal(ids, []string{user}) {
		t.Errorf("AU members after removal = %v", ids)
	}

	must(t, "delete AU", aus.ByAdministrativeUnitId(auID).Delete(e.ctx, nil))
	deleted, err := e.client.Directory().DeletedItems().GraphAdministrativeUnit().Get(e.ctx, nil)
	must(t, "list deleted AUs", err)
	if ids := idsOf(deleted.GetValue()); !slices.Equal(ids, []string{auID}) {
		t.Errorf("deleted AUs = %v, want [%s]", ids, auID)
	}
}

func TestRoleManagement(t *testing.T) {
	e := newEnv(t)
	rm := e.client.RoleManagement().Directory()
	user := deref(e.createUser("role.holder").GetId())

	t.Run("custom role definitions", func(t *testing.T) {
		rd := models.NewUnifiedRoleDefinition()
		rd.SetDisplayName(ptr("Application Support Administrator"))
		rd.SetDescription(ptr("Can update basic properties of application registrations."))
		rd.SetIsEnabled(ptr(true))
		perm := models.NewUnifiedRolePermission()
		perm.SetAllowedResourceActions([]string{"microsoft.directory/applications/basic/update"})
		rd.SetRolePermissions([]models.UnifiedRolePermissionable{perm})
		got, err := rm.RoleDefinitions().Post(e.ctx, rd, nil)
		must(t, "create role definition", err)
		id := deref(got.GetId())
		if len(id) != 36 || deref(got.GetIsBuiltIn()) || !deref(got.GetIsEnabled()) {
			t.Errorf("custom role id %q isBuiltIn %v isEnabled %v", id, deref(got.GetIsBuiltIn()), deref(got.GetIsEnabled()))
		}
		if deref(got.GetTemplateId()) != id {
			t.Errorf("custom role templateId %q, want its id %q", deref(got.GetTemplateId()), id)
		}
		if p := got.GetRolePermissions(); len(p) != 1 || !slices.Equal(p[0].GetAllowedResourceActions(), []string{"microsoft.directory/applications/basic/update"}) {
			t.Errorf("rolePermissions did not round-trip")
		}
		_, err = rm.RoleDefinitions().Post(e.ctx, rd, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")

		custom, err := rm.RoleDefinitions().Get(e.ctx, &rolemanagement.DirectoryRoleDefinitionsRequestBuilderGetRequestConfiguration{
			QueryParameters: &rolemanagement.DirectoryRoleDefinitionsRequestBuilderGetQueryParameters{Filter: ptr("isBuiltIn eq false")},
		})
		must(t, "list custom roles", err)
		if ids := idsOf(custom.GetValue()); !slices.Equal(ids, []string{id}) {
			t.Errorf("custom roles = %v, want [%s]", ids, id)
		}
		all, err := rm.RoleDefinitions().Get(e.ctx, nil)
		must(t, "list role definitions", err)
		if !slices.Contains(idsOf(all.GetValue()), globalReaderRoleID) {
			t.Errorf("role definitions lack the built-in Global Reader")
		}
		gr, err := rm.RoleDefinitions().ByUnifiedRoleDefinitionId(globalReaderRoleID).Get(e.ctx, nil)
		must(t, "get Global Reader", err)
		if !deref(gr.GetIsBuiltIn()) || deref(gr.GetDisplayName()) != "Global Reader" {
			t.Errorf("Global Reader isBuiltIn %v displayName %q", deref(gr.GetIsBuiltIn()), deref(gr.GetDisplayName()))
		}
		err = rm.RoleDefinitions().ByUnifiedRoleDefinitionId(globalReaderRoleID).Delete(e.ctx, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		must(t, "delete custom role", rm.RoleDefinitions().ByUnifiedRoleDefinitionId(id).Delete(e.ctx, nil))
	})

	t.Run("role assignments", func(t *testing.T) {
		ra := models.NewUnifiedRoleAssignment()
		ra.SetRoleDefinitionId(ptr(userAdminRoleID))
		ra.SetPrincipalId(&user)
		ra.SetDirectoryScopeId(ptr("/"))
		got, err := rm.RoleAssignments().Post(e.ctx, ra, nil)
		must(t, "create role assignment", err)
		id := deref(got.GetId())
		if !strings.HasSuffix(id, "-1") {
			t.Fatalf("tenant-scoped assignment id %q does not end in -1", id)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSuffix(id, "-1"))
		if err != nil || len(raw) != 32 || string(raw[:16]) != string(guidLE(t, userAdminRoleID)) || string(raw[16:]) != string(guidLE(t, user)) {
			t.Errorf("assignment id %q is not base64url(roleDefinitionId LE ‖ principalId LE)-1", id)
		}
		if deref(got.GetDirectoryScopeId()) != "/" || deref(got.GetPrincipalId()) != user || deref(got.GetRoleDefinitionId()) != userAdminRoleID {
			t.Errorf("assignment scope %q principal %q role %q", deref(got.GetDirectoryScopeId()), deref(got.GetPrincipalId()), deref(got.GetRoleDefinitionId()))
		}
		_, err = rm.RoleAssignments().Post(e.ctx, ra, nil)
		requireODataError(t, err, http.StatusConflict, "Request_BadRequest")

		other := deref(e.createUser("someone.else").GetId())
		ra2 := models.NewUnifiedRoleAssignment()
		ra2.SetRoleDefinitionId(ptr(globalReaderRoleID))
		ra2.SetPrincipalId(&other)
		ra2.SetDirectoryScopeId(ptr("/"))
		_, err = rm.RoleAssignments().Post(e.ctx, ra2, nil)
		must(t, "create second role assignment", err)

		list, err := rm.RoleAssignments().Get(e.ctx, &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetRequestConfiguration{
			QueryParameters: &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetQueryParameters{Filter: ptr("principalId eq '" + user + "'")},
		})
		must(t, "list role assignments by principal", err)
		if ids := idsOf(list.GetValue()); !slices.Equal(ids, []string{id}) {
			t.Errorf("assignments of %s = %v, want [%s]", user, ids, id)
		}

		au := models.NewAdministrativeUnit()
		au.SetDisplayName(ptr("Scoped"))
		auObj, err := e.client.Directory().AdministrativeUnits().Post(e.ctx, au, nil)
		must(t, "create AU", err)
		scoped := models.NewUnifiedRoleAssignment()
		scoped.SetRoleDefinitionId(ptr(helpdeskAdminID))
		scoped.SetPrincipalId(&user)
		scoped.SetDirectoryScopeId(ptr("/administrativeUnits/" + deref(auObj.GetId())))
		sg, err := rm.RoleAssignments().Post(e.ctx, scoped, nil)
		must(t, "create AU-scoped assignment", err)
		if strings.HasSuffix(deref(sg.GetId()), "-1") {
			t.Errorf("AU-scoped assignment id %q ends in -1, the tenant-scope suffix", deref(sg.GetId()))
		}
		missing := models.NewUnifiedRoleAssignment()
		missing.SetRoleDefinitionId(ptr(userAdminRoleID))
		missing.SetPrincipalId(ptr("3a7b9c1d-0000-4000-8000-000000000000"))
		missing.SetDirectoryScopeId(ptr("/"))
		_, err = rm.RoleAssignments().Post(e.ctx, missing, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

		must(t, "delete role assignment", rm.RoleAssignments().ByUnifiedRoleAssignmentId(id).Delete(e.ctx, nil))
		_, err = rm.RoleAssignments().ByUnifiedRoleAssignmentId(id).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})

	t.Run("eligibility schedule requests", func(t *testing.T) {
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(1, 0, 0)
		req := models.NewUnifiedRoleEligibilityScheduleRequest()
		req.SetAction(ptr(models.ADMINASSIGN_UNIFIEDROLESCHEDULEREQUESTACTIONS))
		req.SetJustification(ptr("Assign Global Reader eligibility"))
		req.SetPrincipalId(&user)
		req.SetRoleDefinitionId(ptr(globalReaderRoleID))
		req.SetDirectoryScopeId(ptr("/"))
		si := models.NewRequestSchedule()
		si.SetStartDateTime(&start)
		exp := models.NewExpirationPattern()
		exp.SetTypeEscaped(ptr(models.AFTERDATETIME_EXPIRATIONPATTERNTYPE))
		exp.SetEndDateTime(&end)
		si.SetExpiration(exp)
		req.SetScheduleInfo(si)
		got, err := rm.RoleEligibilityScheduleRequests().Post(e.ctx, req, nil)
		must(t, "adminAssign eligibility", err)
		if deref(got.GetStatus()) != "Provisioned" || deref(got.GetTargetScheduleId()) == "" || got.GetCreatedDateTime() == nil {
			t.Errorf("request status %q targetScheduleId %q createdDateTime %v", deref(got.GetStatus()), deref(got.GetTargetScheduleId()), got.GetCreatedDateTime())
		}
		if got.GetAction() == nil || *got.GetAction() != models.ADMINASSIGN_UNIFIEDROLESCHEDULEREQUESTACTIONS {
			t.Errorf("request action not parsed as adminAssign")
		}
		_, err = rm.RoleEligibilityScheduleRequests().Post(e.ctx, req, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")

		scheds, err := rm.RoleEligibilitySchedules().Get(e.ctx, nil)
		must(t, "list eligibility schedules", err)
		if len(scheds.GetValue()) != 1 {
			t.Fatalf("eligibility schedules = %d, want 1", len(scheds.GetValue()))
		}
		s := scheds.GetValue()[0]
		if deref(s.GetId()) != deref(got.GetTargetScheduleId()) || deref(s.GetPrincipalId()) != user ||
			deref(s.GetRoleDefinitionId()) != globalReaderRoleID || deref(s.GetMemberType()) != "Direct" || deref(s.GetStatus()) != "Provisioned" {
			t.Errorf("schedule id %q principal %q role %q memberType %q status %q", deref(s.GetId()), deref(s.GetPrincipalId()),
				deref(s.GetRoleDefinitionId()), deref(s.GetMemberType()), deref(s.GetStatus()))
		}
		if si := s.GetScheduleInfo(); si == nil || si.GetExpiration() == nil || si.GetExpiration().GetEndDateTime() == nil ||
			!si.GetExpiration().GetEndDateTime().Equal(end) || !si.GetStartDateTime().Equal(start) {
			t.Errorf("schedule scheduleInfo did not keep start %v and end %v", start, end)
		}

		rmv := models.NewUnifiedRoleEligibilityScheduleRequest()
		rmv.SetAction(ptr(models.ADMINREMOVE_UNIFIEDROLESCHEDULEREQUESTACTIONS))
		rmv.SetPrincipalId(&user)
		rmv.SetRoleDefinitionId(ptr(globalReaderRoleID))
		rmv.SetDirectoryScopeId(ptr("/"))
		rg, err := rm.RoleEligibilityScheduleRequests().Post(e.ctx, rmv, nil)
		must(t, "adminRemove eligibility", err)
		if deref(rg.GetStatus()) != "Revoked" {
			t.Errorf("adminRemove status %q, want Revoked", deref(rg.GetStatus()))
		}
		scheds, err = rm.RoleEligibilitySchedules().Get(e.ctx, nil)
		must(t, "list eligibility schedules", err)
		if len(scheds.GetValue()) != 0 {
			t.Errorf("eligibility schedules after adminRemove = %d", len(scheds.GetValue()))
		}
		reqs, err := rm.RoleEligibilityScheduleRequests().Get(e.ctx, nil)
		must(t, "list eligibility requests", err)
		if len(reqs.GetValue()) != 2 {
			t.Errorf("eligibility requests = %d, want 2", len(reqs.GetValue()))
		}
	})
}

// TestDirectoryRolesDelta: the generated SDK reads GET /directoryRoles/delta
// as Graph answers it (learn:/graph/api/directoryrole-delta): a page of
// directoryRole objects with their template and members@delta (kept in the
// model's additional data) and a deltaLink the next round follows; a role
// member added through a role assignment comes in that round.
func TestDirectoryRolesDelta(t *testing.T) {
	e := newEnv(t)
	dr := models.NewDirectoryRole()
	dr.SetRoleTemplateId(ptr(helpdeskAdminID))
	activated, err := e.client.DirectoryRoles().Post(e.ctx, dr, nil)
	must(t, "activate Helpdesk Administrator", err)
	roleID := deref(activated.GetId())
	first, err := e.client.DirectoryRoles().Delta().GetAsDeltaGetResponse(e.ctx, nil)
	must(t, "initial directoryRoles delta", err)
	var found models.DirectoryRoleable
	for _, r := range first.GetValue() {
		if deref(r.GetId()) == roleID {
			found = r
		}
	}
	if found == nil || deref(found.GetRoleTemplateId()) != helpdeskAdminID || deref(found.GetDisplayName()) != "Helpdesk Administrator" {
		t.Fatalf("initial round: %d roles, helpdesk %v", len(first.GetValue()), found)
	}
	if _, ok := found.GetAdditionalData()["members@delta"]; !ok {
		t.Errorf("initial round: no members@delta on the role (additional data %v)", found.GetAdditionalData())
	}
	link := deref(first.GetOdataDeltaLink())
	if !strings.Contains(link, "$deltatoken=") {
		t.Fatalf("initial round ended without a deltaLink: next %v, delta %q", first.GetOdataNextLink(), link)
	}
	user := deref(e.createUser("role.delta").GetId())
	ra := models.NewUnifiedRoleAssignment()
	ra.SetRoleDefinitionId(ptr(helpdeskAdminID))
	ra.SetPrincipalId(&user)
	ra.SetDirectoryScopeId(ptr("/"))
	_, err = e.client.RoleManagement().Directory().RoleAssignments().Post(e.ctx, ra, nil)
	must(t, "assign Helpdesk Administrator", err)
	next, err := directoryroles.NewDeltaRequestBuilder(link, e.adapter).GetAsDeltaGetResponse(e.ctx, nil)
	must(t, "follow the deltaLink", err)
	if len(next.GetValue()) != 1 || deref(next.GetValue()[0].GetId()) != roleID {
		t.Fatalf("round after an assignment: %d roles", len(next.GetValue()))
	}
	if _, ok := next.GetValue()[0].GetAdditionalData()["members@delta"]; !ok {
		t.Errorf("round after an assignment: no members@delta (additional data %v)", next.GetValue()[0].GetAdditionalData())
	}
}
