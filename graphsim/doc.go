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
// Sub-packages: builtin (objects every tenant has), perms (permission table
// generated from Graph's permission map), csdl (declared properties generated
// from Graph's CSDL).
package graphsim
