package graphsim

import (
	"fmt"
	"strconv"
)

// largeCoverage gives the large profile the kinds #13 added, at counts an
// enterprise of its size has (scaled by its users and groups): entitlement
// management catalogs, access packages, assignment policies and connected
// organizations, access reviews of groups, time-bound role assignments,
// per-user MFA states, user flows and their attributes, custom
// authentication extensions, branding localizations and a certificate-based
// authentication configuration. It runs last and its ids are derived from
// names, not drawn from the tenant's sequence, so every earlier object keeps
// its id; it draws nothing from the random source.
func (g *generator) largeCoverage(users, security []string) {
	if len(users) < 10 || g.err != nil {
		return
	}
	id := func(name string) string { return derivedID(g.t.name + "/large/" + name) }
	at := func(xs []string, i int) string { return xs[i%len(xs)] }

	// Entitlement management: catalogs of access packages, each package
	// with one or two assignment policies; connected organizations that
	// some policies let request.
	nCat := 5 + len(users)/4000
	nOrg := min(5+len(users)/2000, 60)
	var orgs []string
	for i := range nOrg {
		name := fmt.Sprintf("Partner %03d", i+1)
		o := g.post(emConnOrgKind, map[string]any{"id": id("org/" + name), "displayName": name, "description": "Partner organization " + strconv.Itoa(i+1),
			"identitySources": []any{map[string]any{"@odata.type": "#microsoft.graph.domainIdentitySource",
				"domainName": fmt.Sprintf("partner%03d.example", i+1), "displayName": name}},
			"state": "configured"}, nil)
		if o == "" {
			return
		}
		g.link(emConnOrgKind, o, "internalSponsors", at(users, 7*i+1), false)
		orgs = append(orgs, o)
	}
	approver := func(u string) map[string]any {
		return map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": u}
	}
	requestor := map[string]any{"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfUpdateAccess": false,
		"enableTargetsToSelfRemoveAccess": true, "allowCustomAssignmentSchedule": false, "enableOnBehalfRequestorsToAddAccess": false,
		"enableOnBehalfRequestorsToUpdateAccess": false, "enableOnBehalfRequestorsToRemoveAccess": false, "onBehalfRequestors": []any{}}
	pkgN := 0
	for c := range nCat {
		name := fmt.Sprintf("%s access", departments[c%len(departments)].Name)
		if c >= len(departments) {
			name = fmt.Sprintf("%s access %d", departments[c%len(departments)].Name, c/len(departments)+1)
		}
		cat := g.post(emCatalogKind, map[string]any{"id": id("catalog/" + name), "displayName": name,
			"description": "Access packages of " + name, "isExternallyVisible": c%3 == 0, "state": "published"}, nil)
		if cat == "" {
			return
		}
		// The catalog's resource: a department group (emresources.go).
		resGroup := ""
		if len(security) > 0 {
			resGroup = at(security, 3*c+1)
			if err := g.t.SeedCatalogResource(cat, "AadGroup", resGroup); err != nil {
				g.fail("%s", err)
				return
			}
		}
		for p := range 6 {
			pkgN++
			pname := fmt.Sprintf("%s package %d", name, p+1)
			pkg := g.post(emPackageKind, map[string]any{"id": id("package/" + pname), "displayName": pname,
				"description": "Resources for " + pname, "isHidden": p%4 == 3, "catalog": map[string]any{"id": cat}}, nil)
			if pkg == "" {
				return
			}
			if resGroup != "" {
				role := "Member_"
				if p%3 == 2 {
					role = "Owner_"
				}
				if err := g.t.SeedRoleScope(pkg, resGroup, role+resGroup); err != nil {
					g.fail("%s", err)
					return
				}
			}
			stages := []any{map[string]any{"durationBeforeAutomaticDenial": "P7D", "isApproverJustificationRequired": true,
				"isEscalationEnabled": false, "durationBeforeEscalation": "PT0S", "primaryApprovers": []any{approver(at(users, 13*pkgN))},
				"fallbackPrimaryApprovers": []any{}, "escalationApprovers": []any{}, "fallbackEscalationApprovers": []any{}}}
			staff := map[string]any{"id": id("policy/" + pname + "/staff"), "displayName": pname + ": staff request",
				"description": "Members of the department's group request", "allowedTargetScope": "allMemberUsers",
				"expiration": map[string]any{"type": "afterDuration", "duration": "P180D"}, "requestorSettings": requestor,
				"requestApprovalSettings": map[string]any{"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false,
					"isRequestorJustificationRequired": true, "stages": stages},
				"accessPackage": map[string]any{"id": pkg}}
			if len(security) > 0 {
				staff["allowedTargetScope"] = "specificDirectoryUsers"
				staff["specificAllowedTargets"] = []any{map[string]any{"@odata.type": "#microsoft.graph.groupMembers", "groupId": at(security, pkgN), "description": "Department"}}
			}
			if g.post(emPolicyKind, staff, nil) == "" {
				return
			}
			if p%2 == 0 && len(orgs) > 0 {
				if g.post(emPolicyKind, map[string]any{"id": id("policy/" + pname + "/partner"), "displayName": pname + ": partner request",
					"description": "A connected organization's users request", "allowedTargetScope": "specificConnectedOrganizationUsers",
					"specificAllowedTargets": []any{map[string]any{"@odata.type": "#microsoft.graph.connectedOrganizationMembers",
						"connectedOrganizationId": at(orgs, pkgN), "description": "Partner"}},
					"expiration": map[string]any{"type": "afterDuration", "duration": "P90D"}, "requestorSettings": requestor,
					"requestApprovalSettings": map[string]any{"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false,
						"isRequestorJustificationRequired": true, "stages": stages},
					"accessPackage": map[string]any{"id": pkg}}, nil) == "" {
					return
				}
			}
		}
	}

	// Access reviews: one in 200 security groups reviewed every quarter.
	for i := 0; i < len(security); i += 200 {
		grp := security[i]
		name := fmt.Sprintf("Quarterly review of group %d", i/200+1)
		if g.post(arDefKind, map[string]any{"id": id("review/" + name), "displayName": name,
			"descriptionForAdmins": "Members of the group are reviewed every quarter", "descriptionForReviewers": "Confirm who still needs access",
			"scope":             map[string]any{"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/groups/" + grp + "/transitiveMembers", "queryType": "MicrosoftGraph"},
			"reviewers":         []any{map[string]any{"query": "/users/" + at(users, 17*i+3), "queryType": "MicrosoftGraph"}},
			"fallbackReviewers": []any{},
			"settings": map[string]any{"mailNotificationsEnabled": true, "reminderNotificationsEnabled": true, "justificationRequiredOnApproval": true,
				"defaultDecisionEnabled": false, "defaultDecision": "None", "instanceDurationInDays": 14, "autoApplyDecisionsEnabled": false,
				"recommendationsEnabled": true,
				"recurrence": map[string]any{"pattern": map[string]any{"type": "absoluteMonthly", "interval": 3, "dayOfMonth": 1},
					"range": map[string]any{"type": "noEnd", "startDate": "2026-01-01"}}}}, nil) == "" {
			return
		}
	}

	// Time-bound Global Reader assignments (auditors, contractors): one in
	// 1,000 users, ending within 90 days.
	for i := 0; i < len(users); i += 1000 {
		if g.post("unifiedRoleAssignmentScheduleRequest", map[string]any{"id": id("time-bound/" + strconv.Itoa(i)),
			"action": "adminAssign", "principalId": users[i], "roleDefinitionId": globalReaderRoleID, "directoryScopeId": "/",
			"justification": "Audit until the report is delivered",
			"scheduleInfo":  map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": graphTime(g.t.now().AddDate(0, 0, 30+(i/1000)%60))}}}, nil) == "" {
			return
		}
	}

	// Per-user MFA: the legacy state of one user in 50 enforced, one in
	// 97 enabled (the demo's, at scale).
	for n, u := range users {
		if r := g.record("user", u); r != nil {
			switch {
			case n%50 == 0:
				r.o()[mfaStateKey] = "enforced"
			case n%97 == 0:
				r.o()[mfaStateKey] = "enabled"
			}
		}
	}

	// External identities: custom user flow attributes, user flows and
	// custom authentication extensions.
	g.seedUserFlowAttributes() // the built-in attributes every tenant has (the demo seeds them too)
	for _, a := range []struct{ name, typ string }{{"CostCenter", "string"}, {"ContractEnd", "string"}, {"Region", "string"},
		{"PartnerTier", "string"}, {"AcceptedTerms", "boolean"}, {"EmployeeBadge", "int64"}} {
		g.post(ufaKind, map[string]any{"displayName": a.name, "description": "Collected at sign-up: " + a.name, "dataType": a.typ}, nil)
	}
	for _, f := range []string{"PartnerSignUp", "SupplierSignUp", "EventGuests"} {
		g.post(userFlowKind, map[string]any{"id": f, "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1}, nil)
	}
	for i := range 4 {
		g.seed(caeKind, map[string]any{"id": id("cae/" + strconv.Itoa(i)), "@odata.type": "#microsoft.graph.onTokenIssuanceStartCustomExtension",
			"displayName": fmt.Sprintf("Claims from the HR system %d", i+1), "description": "Adds HR claims to tokens.",
			"endpointConfiguration":       map[string]any{"@odata.type": "#microsoft.graph.httpRequestEndpoint", "targetUrl": fmt.Sprintf("https://claims%d.%s/api/token-issuance-start", i+1, g.t.domain)},
			"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.azureAdTokenAuthentication", "resourceId": "api://" + g.t.domain + "/claims" + strconv.Itoa(i+1)},
			"clientConfiguration":         map[string]any{"timeoutInMilliseconds": 2000, "maximumRetries": 1},
			"claimsForTokenConfiguration": []any{map[string]any{"claimIdInApiResponse": "costCenter"}},
		})
	}

	// Branding: the default and the demo's French localization with their
	// images, and text-only localizations of the offices' languages.
	g.demoBranding()
	for _, loc := range []string{"de-DE", "es-ES", "it-IT", "ja-JP", "nl-NL", "pt-BR"} {
		g.seed(brandingKindName, map[string]any{"id": loc, "signInPageText": "Contoso staff only (" + loc + ").", "usernameHintText": "name@contoso.com"})
	}
	g.demoCBA()
}
