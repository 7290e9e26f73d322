package importer

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/graphsim/builtin"
	"github.com/entrasnap/entrasnap/layout"
)

const rmScope = "?$filter=scopeId%20eq%20'%2F'%20and%20scopeType%20eq%20'DirectoryRole'"

// rolePolicyRules is the rules path of the live policy of role.
func (e *env) rolePolicyRules(role string) string {
	e.t.Helper()
	for _, a := range e.list("/v1.0/policies/roleManagementPolicyAssignments" + rmScope + "&$top=999") {
		if strings.EqualFold(str(a["roleDefinitionId"]), role) {
			return "/v1.0/policies/roleManagementPolicies/" + url.PathEscape(str(a["policyId"])) + "/rules"
		}
	}
	e.t.Fatalf("no role management policy for role %s", role)
	return ""
}

// changeRoleSettings weakens Global Administrator's PIM settings as an
// attacker or a careless admin would: activation for 24 hours without MFA
// or approval.
func changeRoleSettings(e *env) {
	rules := e.rolePolicyRules(builtin.GlobalAdministratorRoleID)
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
		"isExpirationRequired": true, "maximumDuration": "PT24H"})
	e.do("PATCH", rules+"/Enablement_EndUser_Assignment", map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
		"enabledRules": []any{}})
	e.do("PATCH", rules+"/Approval_EndUser_Assignment", map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
		"setting": map[string]any{"isApprovalRequired": false, "approvalMode": "SingleStage", "approvalStages": []any{map[string]any{
			"approvalStageTimeOutInDays": 1, "isApproverJustificationRequired": true, "escalationTimeInMinutes": 0, "isEscalationEnabled": false,
			"primaryApprovers": []any{}, "escalationApprovers": []any{}}}}})
}

// PIM role settings: exported one file per role (keyed by the role, not by
// the tenant's policy id), every role's; a role whose settings changed is
// restored to the snapshot by one PATCH per changed rule with its
// @odata.type, under realistic throttling; the plan neither creates nor
// deletes a policy.
func TestRestoreRoleSettings(t *testing.T) {
	e := newEnv(t, graphsim.Options{Throttle: "realistic"}, nil)
	objs := objectsByKind(e.snapshotObjects(e.first))[rolePolicies]
	var ga *Object
	for _, o := range objs {
		if strings.EqualFold(o.Key, builtin.GlobalAdministratorRoleID) {
			ga = o
		}
		if !strings.HasPrefix(o.Path, "roles/settings/") || strings.Contains(o.Path, "DirectoryRole_") {
			t.Errorf("file %s: want roles/settings/<role id>.yaml", o.Path)
		}
	}
	if ga == nil || len(objs) < 50 {
		t.Fatalf("%d role settings exported, Global Administrator's: %v", len(objs), ga != nil)
	}
	rules := e.rolePolicyRules(builtin.GlobalAdministratorRoleID)
	before := e.get(rules + "/Expiration_EndUser_Assignment")
	if before["maximumDuration"] != "PT4H" {
		t.Fatalf("demo setting: %v", before)
	}
	changeRoleSettings(e)
	e.recordIncident()

	sel := []string{"roles/settings"}
	p := e.plan(e.first, sel, Options{})
	var got []string
	for _, a := range p.Actions {
		if a.Op != OpUpdate || a.Request.Method != "PATCH" || !strings.HasPrefix(a.Request.Path, rules+"/") {
			t.Errorf("unexpected action %s %s %s", a.Op, a.Request.Method, a.Request.Path)
		}
		if !strings.Contains(string(a.Request.Body), "@odata.type") {
			t.Errorf("a rule PATCH without @odata.type: %s", a.Request.Body)
		}
		got = append(got, strings.TrimPrefix(a.Request.Path, rules+"/"))
	}
	if strings.Join(got, ",") != "Approval_EndUser_Assignment,Enablement_EndUser_Assignment,Expiration_EndUser_Assignment" {
		t.Fatalf("plan %v\n%s", got, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if after := e.get(rules + "/Expiration_EndUser_Assignment"); after["maximumDuration"] != "PT4H" {
		t.Errorf("after the restore: %v", after)
	}
	approval := e.get(rules + "/Approval_EndUser_Assignment")
	if set, _ := approval["setting"].(map[string]any); set["isApprovalRequired"] != true {
		t.Errorf("approval after the restore: %v", approval)
	}
	e.mustBeEmpty(sel, Options{})
}

// A policy is never created or deleted: a role's settings file whose role
// is gone is not written, and the plan says why.
func TestRoleSettingsOfAGoneRoleAreNotCreated(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	var custom *Object
	for _, o := range objectsByKind(e.snapshotObjects(e.first))["role-definitions"] {
		if b, _ := o.Data["isBuiltIn"].(bool); !b {
			custom = o
			break
		}
	}
	if custom == nil {
		t.Fatal("the demo tenant has no custom role")
	}
	k, _ := layout.Lookup("role-definitions")
	if _, err := e.c.Do(context.Background(), "DELETE", itemPath(k, custom.Key), nil); err != nil {
		t.Fatal(err)
	}
	e.recordIncident()
	p := e.plan(e.first, []string{"roles/settings"}, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "makes a role's PIM settings") {
		t.Errorf("the settings of a gone role:\n%s", render(p))
	}
}
