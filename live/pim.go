package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/layout"
)

// customReads are the kinds read by a function of their own instead of a
// list of ListPath (never streamed: the function returns the kind whole).
var customReads = map[string]func(r *reader, ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error){
	"role-management-policies":    (*reader).readRolePolicies,
	"time-bound-role-assignments": (*reader).readTimeBoundAssignments,
}

// timeBound says whether an active assignment schedule (or instance) is an
// admin's assignment with an end: assignmentType Assigned, with an
// expiration other than noExpiration or an endDateTime. The one rule both
// kinds use, so role-assignments and time-bound-role-assignments never both
// hold an assignment.
func timeBound(o map[string]any) bool {
	if t, _ := o["assignmentType"].(string); !strings.EqualFold(t, "Assigned") {
		return false
	}
	if e, _ := o["endDateTime"].(string); e != "" {
		return true
	}
	si, _ := o["scheduleInfo"].(map[string]any)
	exp, _ := si["expiration"].(map[string]any)
	typ, _ := exp["type"].(string)
	return typ != "" && !strings.EqualFold(typ, "noExpiration")
}

// readTimeBoundAssignments reads the active assignment schedules and keeps
// the time-bound ones an admin made (timeBound): permanent assignments are
// role-assignments' and activations their eligibility's.
func (r *reader) readTimeBoundAssignments(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	var objs []map[string]any
	err := r.listPages(ctx, k, requests, func(page []map[string]any) error {
		for _, o := range page {
			if timeBound(o) {
				objs = append(objs, o)
			}
		}
		return nil
	})
	return objs, err
}

// rolePolicyScope is the $filter Graph requires on the role management
// policy lists: the policies of Microsoft Entra roles at the tenant scope
// (policyroot-list-rolemanagementpolicies,
// policyroot-list-rolemanagementpolicyassignments).
const rolePolicyScope = "scopeId eq '/' and scopeType eq 'DirectoryRole'"

// readRolePolicies reads the PIM role settings: the policy assignments
// (which role each policy is for), then the policies with their rules
// ($expand=rules), two lists in all. Each policy becomes one object keyed
// by its role (roleDefinitionId), the same in every tenant, where the
// policy's own id is not. A policy no assignment names is no role's and
// is left out; rules missing from the expanded answer are read from the
// policy's rules collection.
func (r *reader) readRolePolicies(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	base := "/" + k.APIVersion
	roles := map[string][]string{} // lower policy id → role definition ids
	q := url.Values{"$filter": {rolePolicyScope}}
	err := r.c.List(ctx, base+"/policies/roleManagementPolicyAssignments?"+q.Encode(), func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			var a struct {
				PolicyID string `json:"policyId"`
				Role     string `json:"roleDefinitionId"`
			}
			if err := json.Unmarshal(it, &a); err != nil {
				return err
			}
			if a.PolicyID == "" || a.Role == "" {
				return fmt.Errorf("a role management policy assignment without policyId or roleDefinitionId")
			}
			p := strings.ToLower(a.PolicyID)
			roles[p] = append(roles[p], a.Role)
		}
		return nil
	})
	if err != nil {
		return nil, kindError(k, "list policy assignments of", err, r.named(k.ReadPermissions))
	}
	q.Set("$expand", "rules")
	var objs []map[string]any
	err = r.c.List(ctx, base+k.ListPath+"?"+q.Encode(), func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			p, err := decodeObject(it)
			if err != nil {
				return err
			}
			id, _ := p["id"].(string)
			if id == "" {
				return fmt.Errorf("a role management policy without id")
			}
			if _, ok := p["rules"].([]any); !ok {
				rules, err := r.policyRules(ctx, base+k.ListPath+"/"+url.PathEscape(id)+"/rules", requests)
				if err != nil {
					return err
				}
				p["rules"] = rules
			}
			for i, role := range roles[strings.ToLower(id)] {
				o := p
				if i > 0 {
					o = layout.Copy(p).(map[string]any)
				}
				o["roleDefinitionId"] = role
				objs = append(objs, o)
			}
		}
		return nil
	})
	if err != nil {
		return nil, kindError(k, "list", err, r.named(k.ReadPermissions))
	}
	return objs, nil
}

// policyRules lists the rules of one policy.
func (r *reader) policyRules(ctx context.Context, path string, requests *atomic.Int64) ([]any, error) {
	rules := []any{}
	err := r.c.List(ctx, path, func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			m, err := decodeObject(it)
			if err != nil {
				return err
			}
			rules = append(rules, m)
		}
		return nil
	})
	return rules, err
}
