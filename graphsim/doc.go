// Package graphsim is an in-memory Microsoft Entra tenant that speaks Microsoft
// Graph over HTTP: the test double for every entrasnap test, the engine of
// `entrasnap demo`, and a place for users to rehearse restores.
//
// It is built from Graph's own metadata and documentation
// (shared/reference/graph-semantics.md), never from entrasnap's catalog, so a
// wrong path or property on the product side cannot be wrong here too.
//
// What it owns:
//   - Tenant: the state (objects per kind, relationships, recycle bins, the
//     change log that delta reads), with a movable Clock.
//   - Server: an http.Handler that routes Graph v1.0 and beta paths to that
//     state with Graph's paging, $select, $filter, $count, $batch, delta,
//     soft delete and restore, error JSON, permissions and throttling.
//   - The generators for the empty, demo and large tenants, and JSON save/load.
//
// # Graph rule → documentation page → test
//
// Each row: the rule graphsim enforces, where Graph documents it (a
// learn.microsoft.com/graph/api page name; "strict" where Graph is silent and
// graphsim takes the refusing reading), and the graphsim test that holds it.
// The product test that depends on the rule is named after the arrow.
//
// ## Authentication strengths, CA references to them, read-only nested fields (strength.go, readonly.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| PATCH of a strength with allowedCombinations → 405 methodNotAllowed "Combinations can only be updated using updateAllowedCombinations action." | authenticationstrengthpolicy-update ("You cannot update the allowed auth method combinations using this request"); answer as recorded in manicminer/hamilton#257 | TestStrengthAllowedCombinationsOnlyThroughAction → importer TestRestoreStrengthCombinationsAndConfigurations |
//	| POST {strength}/updateAllowedCombinations replaces them, answers updateAllowedCombinationsResult; built-in strengths refused | authenticationstrengthpolicy-updateallowedcombinations, resources/updateallowedcombinationsresult | TestStrengthAllowedCombinationsOnlyThroughAction |
//	| combinationConfigurations: list/get/create/update/delete only below /identity/conditionalAccess/authenticationStrength/policies/{id}; custom strengths only; @odata.type fido2CombinationConfiguration or x509CertificateCombinationConfiguration; appliesToCombinations must be allowed combinations; returned inline in the strength's GET | authenticationstrengthpolicy-post-combinationconfigurations, authenticationstrengthpolicy-list-combinationconfigurations, resources/authenticationcombinationconfiguration, resources/fido2combinationconfiguration | TestStrengthCombinationConfigurations → importer TestRestoreStrengthCombinationsAndConfigurations |
//	| updateAllowedCombinations cannot drop a combination a configuration applies to (strict: undocumented) | resources/authenticationcombinationconfiguration ("must be an allowedCombinations object" of the policy) | TestStrengthCombinationConfigurations |
//	| combinationConfigurations is not a property of a strength's POST or PATCH | authenticationstrengthroot-post-policies, authenticationstrengthpolicy-update (request body lists) | TestStrengthCombinationConfigurations |
//	| CA GET returns grantControls.authenticationStrength whole; a CA POST/PATCH whose authenticationStrength carries more than id (and @odata.type) → 400 "1007: ..." (message strict: Graph's text is not documented) | conditionalaccessroot-post-policies and conditionalaccesspolicy-update examples write {"id"} only; resources/conditionalaccessgrantcontrols | TestCAAuthenticationStrengthIsWrittenAsIDOnly → importer TestRestoreCAPolicyNamesItsStrengthByID |
//	| application and servicePrincipal info.logoUrl read-only (returned, null without a logo; any value in a write → 400) | resources/informationalurl ("Read-only"), application-put-logo | TestReadOnlyNestedAndOrganizationUpdateList → importer TestRestoreNeverSendsReadOnlyNestedFields |
//	| application and servicePrincipal verifiedPublisher read-only (set by setVerifiedPublisher) | application-setverifiedpublisher, resources/verifiedpublisher | TestReadOnlyNestedAndOrganizationUpdateList → importer TestRestoreNeverSendsReadOnlyNestedFields |
//	| organization PATCH takes only marketingNotificationEmails, onPremisesSyncEnabled, privacyProfile, securityComplianceNotificationMails/Phones, technicalNotificationMails (others → 400, strict) | organization-update (request body list) | TestReadOnlyNestedAndOrganizationUpdateList → importer TestOrganizationUpdateSendsOnlyItsUpdateList |
//
// ## Apps and service principals (hooks_apps.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| An enabled app role or OAuth2 permission scope of an application cannot be changed (other than isEnabled) or removed: 400 CannotDeleteOrUpdateEnabledEntitlement | learn:/graph/api/resources/approle, resources/permissionscope (isEnabled) | TestAppEnabledEntitlementsMustBeDisabledFirst |
//	| identifierUris api://{guid}, api://{x}/{guid}: the GUID must be the application's own appId (strict reading), else 400 HostNameNotOnVerifiedDomain | learn:/entra/identity-platform/identifier-uri-restrictions | TestAppIdentifierURIMustNameItsOwnAppID |
//	| Managed identities and Microsoft first-party service principals (appOwnerOrganizationId in MicrosoftOwnerTenants) cannot be PATCHed, deleted or given owners: 403 Authorization_RequestDenied (strict reading for Microsoft's); app role assignments naming them stay writable | learn:/graph/api/resources/serviceprincipal; learn:/troubleshoot/entra/entra-id/governance/verify-first-party-apps-sign-in; learn:/graph/api/serviceprincipal-post-approleassignedto | TestMicrosoftAndManagedIdentityServicePrincipalsAreNotWritable |
//
// ## Create bodies and groups Graph does not write (groupwrites.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| a partner configuration is created for its tenantId: POST without it is 400 | learn:/graph/api/crosstenantaccesspolicy-post-partners | TestCreateWithoutItsKeyIsRefused |
//	| a group setting is created from a template: POST without templateId is 400 | learn:/graph/api/group-post-settings | TestCreateWithoutItsKeyIsRefused |
//	| mail-enabled security groups and distribution lists are read-only: POST 400 "Cannot Create a mail-enabled security groups and or distribution list." | learn:/graph/api/resources/groups-overview (message: pnp/cli-microsoft365#5476) | TestMailEnabledSecurityGroupsAndDistributionListsAreReadOnly |
//	| ... their members and owners: POST/DELETE $ref 403 | learn:/graph/api/group-post-members (403 for unsupported group types) | TestMailEnabledSecurityGroupsAndDistributionListsAreReadOnly |
//	| ... PATCH and DELETE: 400 (undocumented status and message: strict reading) | learn:/graph/api/resources/groups-overview ("read-only through Microsoft Graph") | TestMailEnabledSecurityGroupsAndDistributionListsAreReadOnly |
//	| members of a dynamic group are neither added nor removed (400); its rule and owners are written | learn:/graph/api/group-post-members, learn:/graph/api/resources/group (membershipRule) | TestDynamicMembershipIsNotWritten |
//	| members of a dynamic administrative unit (membershipType Dynamic) are neither added nor removed (400; message is graphsim's) | learn:/graph/api/resources/administrativeunit | TestDynamicMembershipIsNotWritten |
//	| the last owner of any group cannot be removed (400) | learn:/graph/api/group-delete-owners | TestLastOwnerOfAnyGroupStays, conformance TestGroupsMembershipAndOwners |
//
// ## Conditional Access recycle bin and replication lag (cabin.go, write.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| CA deletedItems (list, get, restore, purge of policies and named locations) exists under /beta only; /v1.0 answers 400 "Resource not found for the segment" | learn.microsoft.com/graph/api/conditionalaccesspolicy-restore?view=graph-rest-beta; …/resources/conditionalaccesspolicy?view=graph-rest-beta | TestCARecycleBinBetaOnlyAndNotAppOnly |
//	| CA deletedItems: "Application: Not supported" → an app-only token gets 403 AccessDenied (CA service's missing-scopes body; exact body undocumented, strict reading); Options.CARecycleBinAppOnly models a future Graph | same pages, Permissions table | TestCARecycleBinBetaOnlyAndNotAppOnly |
//	| A reference write naming an object created less than the replication lag ago: 400 Request_BadRequest "One or more added object references do not exist for the following modified properties: '<rel>'."; a missing object stays 404 | learn.microsoft.com/graph/api/group-post-members (Errors: 400 when not yet replicated, 404 when the object does not exist) | TestCoreEventualConsistency |
//	| A reference write on a group not yet replicated: 400 "The source resource object or one of the objects being referenced don't exist." | learn.microsoft.com/graph/api/group-post-members | TestCoreEventualConsistency |
//
// ## Directory roles and PIM (roles.go, hooks.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| A role assignment's directoryScopeId /administrativeUnits/{id} must name a live unit (404 otherwise) | resources/unifiedroleassignment (directoryScopeId) | TestRestoreAssignmentScopedToRecreatedUnit (importer) |
//	| POST roleEligibilityScheduleRequests answers with the request, whose id is not the schedule's; targetScheduleId names the schedule | rbacapplication-post-roleeligibilityschedulerequests, resources/unifiedroleeligibilityschedulerequest (targetScheduleId) | TestEligibilityRequestsSchedulesAndGroupRows → importer TestRestoreEligibilityIDMapNamesTheSchedule |
//	| A group's eligibility lists its user members as eligible through it (memberType Group, createdUsing the group's schedule); adminRemove cannot take such a row; removing the group's eligibility removes them (which rows Graph lists: undocumented, strict reading; members added later get none: simplified) | resources/unifiedroleeligibilityschedule (memberType "Inherited, Direct, or Group") | TestEligibilityRequestsSchedulesAndGroupRows → importer TestRestoreGroupEligibilityNotItsMembersRows |
//	| /directoryRoles: activated roles, POST {roleTemplateId} activates a built-in template (a custom one: 400, strict; twice: 409), with an object id of the tenant's own; Global Administrator is active in every tenant | resources/directoryrole, directoryrole-post-directoryroles | TestDirectoryRolesAndScopedRoleMembers |
//	| scopedRoleMembers[].roleId is an activated directory role's id: a role definition or template id → 400 (message graphsim's), an unknown id → 404 | resources/scopedrolemembership ("the directory role that the member is in"), administrativeunit-post-scopedrolemembers | TestDirectoryRolesAndScopedRoleMembers → importer TestRestoreScopedRoleMemberMapsTheDirectoryRole |
//	| roleAssignmentScheduleRequests: selfActivate only for an eligible principal and with an end (afterDuration or afterDateTime; none → 400, strict); the activation is listed in roleAssignments and as an Activated roleAssignmentScheduleInstance (roleAssignmentOriginId = the assignment) until endDateTime on graphsim's clock; a standing assignment is an Assigned instance | rbacapplication-post-roleassignmentschedulerequests, resources/unifiedroleassignmentscheduleinstance (assignmentType, memberType) | TestActivatedAssignmentsListedUntilTheyEnd → importer TestActivatedAssignmentIsNotBackedUpNorRestoredAsStanding |
//	| A role assignment whose principal was deleted stays listed (undocumented; observed: maester365/maester#589, cisagov/ScubaGear#1288, Microsoft365DSC#5445 "up to 7 days"); graphsim keeps it (no clean-up modelled) | — (undocumented) | cmd/entrasnap TestCheckRoleAssignmentReferences |
//
// Sub-packages: builtin (objects every tenant has), perms (permission table
// generated from Graph's permission map), csdl (declared properties generated
// from Graph's CSDL).
package graphsim
