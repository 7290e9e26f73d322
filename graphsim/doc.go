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
//	| combinationConfigurations of a built-in strength: every method (GET included) → 400 (strict reading: Graph's answer is not documented) | authenticationstrengthpolicy-list-combinationconfigurations ("supported only for custom authentication strengths"), authenticationstrengthpolicy-post-combinationconfigurations | TestStrengthCombinationConfigurations → live TestBuiltInStrengthsSkipCombinationReads |
//	| updateAllowedCombinations cannot drop a combination a configuration applies to (strict: undocumented) | resources/authenticationcombinationconfiguration ("must be an allowedCombinations object" of the policy) | TestStrengthCombinationConfigurations |
//	| combinationConfigurations is not a property of a strength's POST or PATCH | authenticationstrengthroot-post-policies, authenticationstrengthpolicy-update (request body lists) | TestStrengthCombinationConfigurations |
//	| CA GET returns grantControls.authenticationStrength whole; a CA POST/PATCH whose authenticationStrength carries more than id (and @odata.type) → 400 "1007: ..." (message strict: Graph's text is not documented) | conditionalaccessroot-post-policies and conditionalaccesspolicy-update examples write {"id"} only; resources/conditionalaccessgrantcontrols | TestCAAuthenticationStrengthIsWrittenAsIDOnly → importer TestRestoreCAPolicyNamesItsStrengthByID |
//	| application and servicePrincipal info.logoUrl read-only (returned, null without a logo; any value in a write → 400) | resources/informationalurl ("Read-only"), application-put-logo | TestReadOnlyNestedAndOrganizationUpdateList → importer TestRestoreNeverSendsReadOnlyNestedFields |
//	| application and servicePrincipal verifiedPublisher read-only (set by setVerifiedPublisher) | application-setverifiedpublisher, resources/verifiedpublisher | TestReadOnlyNestedAndOrganizationUpdateList → importer TestRestoreNeverSendsReadOnlyNestedFields |
//	| organization PATCH takes only marketingNotificationEmails, onPremisesSyncEnabled, privacyProfile, securityComplianceNotificationMails/Phones, technicalNotificationMails (others → 400, strict) | organization-update (request body list) | TestReadOnlyNestedAndOrganizationUpdateList → importer TestOrganizationUpdateSendsOnlyItsUpdateList |
//
// ## Authentication contexts and CA references to them (authcontext.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| PATCH .../authenticationContextClassReferences/{id} creates the context when the id is unused, else updates it; 204; v1.0 has no POST (405, strict: only beta documents Create) | authenticationcontextclassreference-update, resources/authenticationcontextclassreference | TestAuthContextsAsGraphDocuments → importer TestRestorePurgedAuthContextAndPolicyRequiringIt |
//	| the id is c1 through c25 (anything else → 400) and is not a body property (read-only) | resources/authenticationcontextclassreference ("The allowed values are c1 through c25") | TestAuthContextsAsGraphDocuments |
//	| a CA policy naming a context that does not exist → 400; deleting a context a policy names → 400 (both strict: undocumented) | resources/conditionalaccessapplications, authenticationcontextclassreference-delete | TestAuthContextsAsGraphDocuments → importer TestRestorePurgedAuthContextAndPolicyRequiringIt |
//	| terms of use agreements are not emulated (every agreement page: "Application: Not supported"; graphsim's tokens are application tokens), so a CA policy whose grantControls.termsOfUse names an agreement names nothing → 400 (strict: text undocumented) | agreement-list, termsofusecontainer-post-agreements, resources/conditionalaccessgrantcontrols | TestCAPolicyNamingTermsOfUseIsRefused → importer TestRecreatedPolicyRequiringTermsOfUseIsWarnedAbout |
//	| read needs AuthenticationContext.Read.All (Policy.Read.All is not listed); DELETE needs AuthenticationContext.ReadWrite.All (Policy.ReadWrite.ConditionalAccess takes only PATCH); writes need P1 (strict: part of Conditional Access) | permissions.json; learn:/entra/identity/conditional-access/overview | TestAuthContextPermissionsAndLicence |
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
// ## Licences (licence.go; Options.Licence, `graphsim --licence free|p1|p2`, default p2)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| Without Microsoft Entra ID P2 (or ID Governance) every PIM call (role eligibility and assignment schedules, their instances and requests, PIM for groups, role management policies), read or write → 400 AadPremiumLicenseRequired "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license." | learn:/entra/id-governance/privileged-identity-management/pim-configure (License requirements), resources/privilegedidentitymanagementv3-overview; the answer itself is not on a reference page (as recorded from real tenants) | TestLicenceGatesPIMAndConditionalAccess → exporter TestExportNotLicensedKindIsCarriedNotIncomplete, importer TestRestoreDoesNotTryANotLicensedKind, cmd TestNotLicensedKindAcrossCommands, TestRestoreNotLicensedKindCommand |
//	| Without P1, Conditional Access reads are served (the list is 200) and writes (POST/PATCH/DELETE) of policies → 403 AccessDenied "Your tenant is not licensed for this feature. Please upgrade your subscription to access it." | learn:/entra/identity/conditional-access/overview (License requirements); the answer as recorded from a real free tenant | TestLicenceGatesPIMAndConditionalAccess → importer TestApplyNamesAMissingConditionalAccessLicence |
//	| ... the same for named locations and authentication strengths (strict: undocumented; both are parts of Conditional Access) | learn:/entra/identity/conditional-access/overview | TestLicenceGatesPIMAndConditionalAccess |
//
// ## Permissions beyond the table (authz.go, perms)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| CA policy POST/PATCH/DELETE needs Policy.ReadWrite.ConditionalAccess AND Policy.Read.All AND Application.Read.All (the last from the delegated column: strict for apps) | conditionalaccessroot-post-policies, conditionalaccesspolicy-update, conditionalaccesspolicy-delete; permissions.json AlsoRequires= | TestAuthzConditionalAccessWritesNeedPolicyReadAll → importer TestRestoreWithExactlyTheListedPermissions |
//	| named location writes need Policy.ReadWrite.ConditionalAccess AND Policy.Read.All | conditionalaccessroot-post-namedlocations, namedlocation-update, namedlocation-delete | TestAuthzConditionalAccessWritesNeedPolicyReadAll |
//	| a service principal added as a group member (members/$ref, members@odata.bind) also needs Application.ReadWrite.All | group-post-members | TestAuthzGroupMembershipAndRoleAssignableGroups → importer TestRestoreWithExactlyTheListedPermissions |
//	| creating a role-assignable group (isAssignableToRole) needs RoleManagement.ReadWrite.Directory too; so do its member and owner writes, its update and deletion (strict for the last two) | group-post-groups, group-post-members | TestAuthzGroupMembershipAndRoleAssignableGroups → importer TestRestoreWithExactlyTheListedPermissions |
//	| members of a group or administrative unit with visibility HiddenMembership are listed only with Member.Read.Hidden in addition | group-list-members, administrativeunit-list-members | TestAuthzHiddenMembershipNeedsMemberReadHidden → exporter TestExportWithExactlyTheListedPermissions |
//	| directory recycle bin: get per type (User/Group/Application/AdministrativeUnit .Read.All, Directory.Read.All), restore and purge per type (user User.DeleteRestore.All or User.ReadWrite.All, group Group.ReadWrite.All, application and service principal Application.ReadWrite.OwnedBy or .All, unit AdministrativeUnit.ReadWrite.All; Directory.ReadWrite.All not accepted: strict) | directory-deleteditems-get, directory-deleteditems-restore, directory-deleteditems-delete | TestAuthzRecycleBinRestorePerType → importer TestRestoreWithExactlyTheListedPermissions |
//	| employeeLeaveDateTime reads as null without User-LifeCycleInfo.Read.All (not a 403); writing it needs User-LifeCycleInfo.ReadWrite.All (403 without) | resources/user; tutorial-lifecycle-workflows-set-employeeleavedatetime; Microsoft Q&A 1280030 ("otherwise the property will return null") | TestAuthzUserPropertyPermissions → exporter TestExportWithExactlyTheListedPermissions |
//	| writing identities needs User.ManageIdentities.All (403 without, create or update: strict for create) | user-update (per-property permissions) | TestAuthzUserPropertyPermissions → importer TestRestoreWithExactlyTheListedPermissions |
//	| businessPhones, mobilePhone, otherMails, passwordProfile, accountEnabled of a user holding a privileged directory role (directly or through a group): changed only when the caller's service principal holds Privileged Authentication Administrator or Global Administrator (strict reading for app-only callers) | user-update and resources/users, "Who can perform sensitive actions"; learn:/entra/identity/role-based-access-control/privileged-roles-permissions | TestAuthzSensitiveAttributesOfAdministrators → importer TestRestoreSensitiveAttributesOfAnAdministrator |
//	| directory settings: GroupSettings.Read.All / GroupSettings.ReadWrite.All are the least privileged (the table also accepts what permissions.json lists) | group-list-settings, group-post-settings | importer TestRestoreWithExactlyTheListedPermissions |
//	| User-LifeCycleInfo.Read.All and .ReadWrite.All are Microsoft Graph app roles (documented; missing from permissions.json; synthetic ids) | resources/user | builtin TestBuiltin* (builtin.documentedAppRoles) |
//
// ## API versions, $batch order, empty pages, lag after restores (versions.go, batch.go, handlers.go, tenant.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| A path is served only under the versions that have it; any other answers 400 BadRequest "Resource not found for the segment '<first segment the version lacks>'." (directly and as a $batch item) | v1.0 CSDL (shared/graph-metadata/v1.0-Prod.csdl); answer shape: microsoftgraph/microsoft-graph-docs#4900, microsoftgraph/msgraph-beta-sdk-python#764 | TestVersionsServeOnlyWhereGraphHasThem → importer TestRecreateOneObjectOfEveryCreatableKind, TestExportDriftRestoreAgainstRealisticGraph (no such answer to the product) |
//	| Every path graphsim serves under /v1.0 exists in the v1.0 metadata (entity sets, singletons, navigation properties, casts, bound actions and functions) | v1.0-Prod.csdl | TestVersionsMatchV1Metadata (runs where shared/graph-metadata is present) |
//	| /administrativeUnits (top level) is beta only; v1.0 has /directory/administrativeUnits | directory-list-administrativeunits, administrativeunit-get (v1.0: GET /directory/administrativeUnits); no administrativeUnits entity set in v1.0 CSDL | TestVersionsServeOnlyWhereGraphHasThem |
//	| identity/conditionalAccess/deletedItems is beta only, although the v1.0 CSDL declares it (no v1.0 documentation page: strict reading) | conditionalaccesspolicy-restore?view=graph-rest-beta | TestVersionsServeOnlyWhereGraphHasThem, TestCARecycleBinBetaOnlyAndNotAppOnly |
//	| $batch answers come in any order, and requests without dependsOn run in any order (seeded; Options.BatchInOrder turns it off); dependsOn still orders | learn:/graph/json-batching ("Responses to the batched requests might appear in a different order. The id property can be used to correlate individual requests and responses.") | TestBatchAnswersInAnyOrder → importer TestExportDriftRestoreAgainstRealisticGraph |
//	| Options.EmptyPages: every list page is preceded by a page with no items and an @odata.nextLink; @odata.count stays on the first page | learn:/graph/paging ("a page can contain zero items and still have a nextLink"; graph-semantics.md §2.1) | TestEmptyPagesCarryNextLink → importer TestExportDriftRestoreAgainstRealisticGraph |
//	| A $batch item runs under its envelope's version root: an item url naming the other version answers 400 "Resource not found for the segment 'v1.0'/'beta'." (strict reading: undocumented; SDKs strip the version from item urls) | learn:/graph/json-batching (url is relative to the version root) | TestVersionsServeOnlyWhereGraphHasThem |
//	| Faults (Options.FaultRate): half of the dropped connections and 504s on writes come after the write was carried out, directly and as $batch items (strict reading: Graph documents no guarantee that a request without an answer was not carried out) | learn:/graph/best-practices-concept (retry on 5xx / transient errors; no statement either way); graph-semantics.md §8 | TestFaultsSometimesLoseTheAnswerOfADoneRequest → importer TestLostAnswerOfALinkOrRestoreIsSentAgain, TestExportDriftRestoreAgainstRealisticGraph |
//	| An object restored from the recycle bin is invisible to reads for the replication lag, like a created one (strict reading: Graph documents the lag for writes, not for restore in particular) | learn:/graph/api/group-post-members (replication), directory-deleteditems-restore | TestRestoredObjectAppearsAfterLag → importer TestExportDriftRestoreAgainstRealisticGraph |
//	| GET /users/$count answers the count as text/plain with ConsistencyLevel: eventual, 400 "$count is not currently supported." without it | learn:/graph/aad-advanced-queries, learn:/graph/api/user-list (text/plain) | TestCoreListsPagingSelectFilterCount → exporter TestExportSizesTheBudgetFirst, graph TestSizeBudgetCountsUsers |
//
// ## Guests, devices and organizational contacts (guests.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| POST /users that would make a guest (userType Guest, or an #EXT# user principal name) → 400: guests come through invitations (strict reading of the create-user page, which sends external users to the invitation API) | learn:/graph/api/user-post-users; learn:/graph/api/invitation-post | TestGuestsAreInvitedNotCreated → importer TestRestorePurgedGuestIsReinvited |
//	| POST /invitations (v1.0 and beta; POST only): invitedUserEmailAddress and inviteRedirectUrl required, declared properties only, id/status/inviteRedeemUrl/invitedUser read-only; 201 with the invitation (status PendingAcceptance, inviteRedeemUrl, invitedUser {id}); the user it makes has userType Guest (or Member when asked), externalUserState PendingAcceptance, creationType Invitation, UPN {mail with @ as _}#EXT#@{initial domain} | learn:/graph/api/invitation-post, resources/invitation | TestGuestsAreInvitedNotCreated → importer TestRestorePurgedGuestIsReinvited |
//	| an address of one of the tenant's domains is not invited; an address an existing guest has invites that guest again (no second user); resetRedemption is not modelled (refused) | strict: undocumented | TestGuestsAreInvitedNotCreated |
//	| POST /invitations needs User.Invite.All (or User.ReadWrite.All, Directory.ReadWrite.All), delegated or application | learn:/graph/api/invitation-post (Permissions) | TestInvitationNeedsUserInvite → importer TestReinviteGuestWithListedPermissionsOnly |
//	| an invitation is a directory write (resource units, write quota) | strict: the invitation service's limits are undocumented | TestInvitationIsThrottledAsADirectoryWrite |
//	| security groups hold devices and organizational contacts as members; Microsoft 365 groups only users; administrative units hold devices, not contacts | learn:/graph/api/group-post-members, learn:/graph/api/administrativeunit-post-members | TestDevicesAndContactsAsMembers → importer TestRestoreGroupDeviceAndContactMembers |
//	| /devices: no POST with application permissions (delegated only); DELETE is final (devices are not in /directory/deletedItems); /contacts (orgContact) is read only in v1.0 | learn:/graph/api/device-post-devices, device-delete, directory-deleteditems-list, resources/orgcontact | TestDevicesAndContactsAsMembers → importer TestRestoreGroupDeviceAndContactMembers |
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
// ## Delta rounds (delta.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| An initial groups delta round repeats a large group, each item with id and a different slice of members@delta / owners@delta (20 entries per item: the slice size is undocumented, a small one is the strict reading); clients merge | learn:/graph/delta-query-groups, learn:/graph/api/group-delta | TestDeltaLargeGroupRepeatsWithSlices → live TestGroupsDeltaReadEqualsPerGroupRead |
//	| /applications/delta and /servicePrincipals/delta track properties only: $select of properties (id always returned), $filter by id only; relationships as rel@delta are documented for users and groups alone and "navigation properties are not supported", so owners, appRoleAssignedTo and oauth2PermissionGrants changes do not show the parent; a $select naming a navigation property is refused 400 (Graph's answer undocumented: strict) | learn:/graph/api/application-delta, learn:/graph/api/serviceprincipal-delta, learn:/graph/delta-query-overview ("Navigation properties") | TestDeltaAppsAndServicePrincipalsTrackNoRelationships → exporter TestIncrementalExportAppsSPsAUs |
//	| /directory/administrativeUnits/delta shows members@delta where a unit is shown in full (the v1.0 page's example: an initial round without $select); a later round does not report member adds/removes (undocumented: strict) nor scopedRoleMembers ($select of it refused 400, strict); soft delete → @removed changed, restore → the unit in full | learn:/graph/api/administrativeunit-delta, learn:/graph/delta-query-overview | TestDeltaAdministrativeUnitMembers → exporter TestIncrementalExportAppsSPsAUs |
//	| A list's $expand of a directory object's relationship (GET /applications?$expand=owners, /servicePrincipals?$expand=appRoleAssignedTo) returns at most 20 related objects per item with no nextLink for the rest, one level, no nested options (400, strict), pages of at most 100 (strict: the earlier text) (expand.go) | developer.microsoft.com/graph/known-issues/?search=13635 ("$expand on relationships of directory objects"), learn:/graph/api/application-list ($expand supported) | TestListExpandOwners → live TestAppsSPsAUsDeltaReadEqualsListRead |
//	| Replication lag (Options.EventualConsistency) and delta: an initial round shows every object with the round's deltaLink as one view, a creation not yet replicated included; $deltatoken=latest is a token past such a creation while lists do not show it yet, so "latest, then list" loses it (Graph documents that replication delays apply to delta, not which read sees a creation first: strict) | learn:/graph/delta-query-overview ("replication delays"), learn:/graph/api/group-post-members (not yet replicated) | TestDeltaLatestIsPastLaggingCreates → exporter TestIncrementalExportUnderThrottlingFaultsAndLag |
//
// ## Policies: permission grant, admin consent request, token issuance, home realm discovery, activity-based timeout, app management, authentication flows, device registration, group lifecycle (policies.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| token issuance, home realm discovery and activity-based timeout policies: POST/GET/PATCH/DELETE; displayName and definition required on POST | tokenissuancepolicy-post-tokenissuancepolicies, homerealmdiscoverypolicy-post-homerealmdiscoverypolicies, activitybasedtimeoutpolicy-post-activitybasedtimeoutpolicies | TestSTSPolicyCollections → importer TestRestoreSTSPolicies |
//	| A permission grant policy is created with the caller's id (required; a taken one → 409) | permissiongrantpolicy-post-permissiongrantpolicies (id in the request body) | TestPermissionGrantPolicies → importer TestRestorePermissionGrantPolicies |
//	| "microsoft-" ids are the built-in policies': not taken by a POST, not PATCHed or DELETEd, their condition sets not written (400; Graph's answer is undocumented, strict) | resources/permissiongrantpolicy, learn:/entra/identity/enterprise-apps/manage-app-consent-policies | TestPermissionGrantPolicies → importer TestBuiltInPermissionGrantPoliciesAreNotWritten |
//	| includes/excludes: expanded inline on GET; POST and DELETE only below /policies/permissionGrantPolicies/{id}/includes or /excludes (no PATCH: 405); not properties of the policy's POST or PATCH (400) | v1.0 CSDL ("Automatically expanded on GET"), permissiongrantpolicy-post-includes, permissiongrantpolicy-delete-includes, permissiongrantpolicy-post-excludes, permissiongrantpolicy-delete-excludes | TestPermissionGrantPolicies → importer TestRestorePermissionGrantPolicies |
//	| A condition set takes "all" for its lists and classification, false for clientApplicationsFromVerifiedPublisherOnly, "any" resourceApplication; permissionType has no documented default (required, strict); undeclared properties and id → 400 | resources/permissiongrantconditionset | TestPermissionGrantPolicies |
//	| Listing permission grant policies takes Policy.Read.PermissionGrant (Policy.Read.All does not) | permissiongrantpolicy-list (permissions table), permissions.json | TestPermissionGrantPolicyPermissions → importer TestRestoreWithExactlyTheListedPermissions |
//	| adminConsentRequestPolicy: PUT only (PATCH → 405, strict: only PUT is documented) with isEnabled, notifyReviewers, remindersEnabled, requestDurationInDays, reviewers required; version read-only, +1 per update; a "/users/{id}" reviewer must exist (strict) | adminconsentrequestpolicy-update, resources/adminconsentrequestpolicy | TestAdminConsentRequestPolicyPutOnly → importer TestRestoreAdminConsentRequestPolicyByPut |
//	| appManagementPolicies: POST/GET/PATCH/DELETE, displayName required (strict), appliesTo not a property of a write; defaultAppManagementPolicy (tenantAppManagementPolicy) a PATCHed singleton | appmanagementpolicy-post-appmanagementpolicies, appmanagementpolicy-update, tenantappmanagementpolicy-update | TestAppManagementAndAuthenticationFlowsPolicies → importer TestRestoreAppManagementPolicies, TestRestorePolicySingletons |
//	| authenticationFlowsPolicy: PATCH of selfServiceSignUp only (displayName, description → 400, strict); no POST | authenticationflowspolicy-update | TestAppManagementAndAuthenticationFlowsPolicies → importer TestRestorePolicySingletons |
//	| deviceRegistrationPolicy: PUT only (PATCH → 405, strict) with userDeviceQuota, multiFactorAuthConfiguration, azureADRegistration, azureADJoin required (strict); azureADRegistration.allowedToRegister only allDeviceRegistrationMembership; isAdminConfigurable is Microsoft's (refused in a PUT, kept: strict) | deviceregistrationpolicy-update, resources/azureadregistrationpolicy | TestDeviceRegistrationPolicyPutOnly → importer TestRestorePolicySingletons |
//	| groupLifecyclePolicies: groupLifetimeInDays and managedGroupTypes (All, Selected, None) required; one per tenant (second POST → 409, strict: undocumented); written with Directory.ReadWrite.All only (not in the product's catalog yet) | grouplifecyclepolicy-post-grouplifecyclepolicies, resources/grouplifecyclepolicy | TestGroupLifecyclePolicies |
//
// Sub-packages: builtin (objects every tenant has), perms (permission table
// generated from Graph's permission map), csdl (declared properties generated
// from Graph's CSDL).
package graphsim
