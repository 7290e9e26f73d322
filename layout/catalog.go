package layout

import (
	"slices"
	"sort"
	"strings"
)

// Kind is one kind of object entrasnap backs up.
type Kind struct {
	Name       string // CLI name and --kinds value: "conditional-access-policies"
	Title      string // human name: "Conditional Access policies"
	Folder     string // repository folder: "conditional-access/policies"
	ODataType  string // "#microsoft.graph.conditionalAccessPolicy"
	APIVersion string // "v1.0" or "beta"
	// ListPath is the collection (or singleton) path under the version root.
	ListPath  string
	Singleton bool
	// Key is the property that identifies an object (default "id").
	Key string
	// NameProp names the file: "<slug of NameProp>.<key>.yaml". Empty: "<key>.yaml".
	NameProp string
	// Select is the $select list for the read; nil reads Graph's default
	// representation (every property for most kinds; users and groups return
	// only a default subset, so they always name their properties).
	Select []string
	// Shard spreads files over subfolders named by the key's first two
	// characters so no folder holds more than about a thousand files.
	Shard bool
	// Children are relationships read per object and stored with it.
	Children []Child
	// Embedded names a property whose value holds objects of another kind
	// that are stored in their own files (the authentication methods policy's
	// configurations); the parent file omits it.
	Embedded string
	// Refs are the properties that name other objects by id.
	Refs []Ref
	// Sets are arrays whose order carries no meaning, with the property that
	// orders their elements ("" for arrays of scalars).
	Sets map[string]string
	// Volatile properties change without an admin acting; they are never written.
	Volatile []string
	// Secret properties are never written, wherever they appear (path with
	// "[]" for array elements: "passwordCredentials[].secretText").
	Secret []string
	// IDOnly are properties holding another object that Graph expands on
	// read (a CA policy's authentication strength): the file keeps only its
	// id, so the other object's changes show in its own file alone.
	IDOnly []string
	// ReadOnly properties are kept in files but never sent on restore.
	ReadOnly []string
	// BuiltIn tells whether an object is Microsoft's (not restorable, shown as such).
	BuiltIn func(obj map[string]any) bool
	// ReadPermissions and WritePermissions are the least application
	// permissions to export and to restore this kind.
	ReadPermissions  []string
	WritePermissions []string
	// SoftDelete is where deleted objects wait: "directory", "conditional-access",
	// "lifecycle-workflows" (catalog_lcw.go) or "".
	SoftDelete string
	// Aliases are properties holding another id other objects may name this
	// one by: an application's appId (a Conditional Access policy's
	// includeApplications), a role definition's templateId (role assignments
	// may name either). AliasFallback kinds' aliases yield to every other
	// kind's: a service principal's appId names it only when no application
	// has that appId (Microsoft's applications have only a service
	// principal in a tenant). See AliasKinds.
	Aliases       []string
	AliasFallback bool
	// ExportOnly, when set, says why restore never writes this kind (a
	// write Graph refuses to application permissions, or one only a
	// permission far broader than the kind grants): export and check keep
	// it, and a restore plan lists its objects as not written with this
	// reason. `entrasnap kinds` shows it.
	ExportOnly string
	// RestoreNote, when set, says what a restore of this restorable kind
	// cannot do and why (PIM role settings: updated, never created or
	// deleted). `entrasnap kinds` shows it.
	RestoreNote string
	// Expand names navigation properties the list reads with $expand
	// (an access package's catalog); kept as IDOnly references.
	Expand []string
	// Filter, when set, is the $filter of the list read: only the objects
	// it selects are backed up (custom user flow attributes, not
	// Microsoft's built-in ones: catalog_external.go).
	Filter string
	// DerivedTypes are the @odata.type values of this kind's objects
	// besides ODataType (a social or built-in identity provider): a
	// reference {id, @odata.type} with one of them names this kind.
	DerivedTypes []string
	// Images are stream properties (company branding's logos) read one GET
	// each and stored as files next to the object's YAML, which holds their
	// file, SHA-256, media type and size (catalog_tenant2.go); restore PUTs
	// the bytes back.
	Images []string
	// FileItems, when set, is a list property whose items each carry a
	// document Graph returns inline as base64 (a terms of use agreement's
	// files[].fileData.data, catalog_termsofuse.go): stored as a file next
	// to the YAML as Images are, the item holding its Image instead.
	FileItems *FileItems
	// PerObject, when set, is the path below ListPath/{id} of each object's
	// one entity (a user's authentication/requirements): the reader lists
	// the ids from ListPath, then GETs PerObject of each ($batch of 20), and
	// restore PATCHes it (catalog_tenant2.go).
	PerObject string
	// Annotated are top-level properties whose values keep their
	// properties' @odata.type annotations (Clean drops every other
	// annotation): a user's custom security attribute values, where
	// "Grade@odata.type": "#Int32" is the value's type (catalog_tenant2.go).
	Annotated []string
	// MoreRefs, when set, calls fn for references that are not ids at a
	// path: a user's custom security attribute values name their
	// definitions by the keys they sit under (catalog_tenant2.go). check
	// resolves them as it does Refs.
	MoreRefs func(obj map[string]any, fn func(prop, id string, kinds []string))
	// OptIn, when set, says why the kind is read only when --kinds names it
	// (DefaultKinds leaves it out): its cost (one request per user).
	OptIn string
	// ReadNeedsWrite, when set, says why Graph reads this kind only with
	// a write permission (API connectors: APIConnectors.ReadWrite.All,
	// catalog_external.go). Such a kind is OptIn: ExportPermissions, the
	// read-only export set, leaves its read permissions out, and
	// ReadWithWritePermissions lists them apart, so that an app granted
	// the export set stays read-only.
	ReadNeedsWrite string
	// DelegatedOnly, when set, says why Graph serves the kind to delegated
	// callers only (feature rollout policies: "Application: Not
	// supported"): an export with an app-only token skips it and keeps its
	// files, a restore with one writes none of it, and its Read and Write
	// permissions are delegated scopes, not part of the application sets
	// (ExportPermissions, RestorePermissions). catalog_rollout.go.
	DelegatedOnly string
	// NameFilter, when set, is the property holding an object's name that
	// Graph's list of this kind accepts in $filter with eq (displayName):
	// restore looks for the object an interrupted create made by it
	// (live.Named) instead of listing the kind. Empty where Graph's
	// documentation lists no such filter: the kind is listed. Set where
	// it does: the displayName rows of the user, group, application,
	// servicePrincipal and administrativeUnit resource pages ("Supports
	// $filter (eq, ...)"), and conditionalaccessroot-list-policies and
	// -list-namedlocations ("supports ... $filter": graph-semantics.md).
	NameFilter string
	// NaturalKey, when set, are the properties that identify an object of
	// this kind across writes: Graph gives one written again a new id (a
	// role assignment by role, principal and scope; a PIM for Groups
	// schedule by group, principal and access), so restore matches the
	// live object by them, not by the key (importer naturalKey).
	NaturalKey []string
	// OutlivesReferents: Graph keeps listing an object of this kind for
	// some days after a principal or scope it names is deleted (role
	// assignments and schedules: graphsim/doc.go, "Directory roles"), so
	// only its Strict references are kept consistent, and check says why
	// one of the others names nothing.
	OutlivesReferents bool
	// AdvisoryReads are the kinds a restore plan of this kind reads live
	// even when they are not selected, to plan it right; a failure to read
	// one does not stop the plan, which says what it could not tell
	// (importer Input.Unread). A group's: the live PIM for Groups
	// assignments, whose members and owners are the schedule's to remove
	// (importer pimgroups.go). A role definition's: the live role
	// assignments and eligibilities, since Graph does not delete a custom
	// role still assigned (importer roles.go). Custom security attribute
	// values': the live definitions, since Graph refuses a value of an
	// attribute deactivated since (importer csavalues.go).
	AdvisoryReads []string
	// ReadWhenReferenced: a restore plan reads this kind's live objects
	// whenever an object it plans has a reference (Refs) to the kind, even
	// when the kind is not selected, so that a referenced object is mapped
	// to the live one (a directory role, activated from its template, that
	// an administrative unit's scoped role member names: importer
	// roles.go) or known to be gone (a named location or an authentication
	// strength that a Conditional Access policy names). With a SoftDelete,
	// its recycle bin is read as well, so that a reference to a deleted
	// one is known to be restorable (importer checkRefs). Other referenced
	// kinds are not read for it (directory objects are looked up by id).
	ReadWhenReferenced bool
	// ConflictOnRepeat: Graph refuses a create of this kind when the same
	// object exists (one per principal, role and scope): a directory role
	// assignment ("A conflicting object with one or more of the specified
	// property values is present in the directory", graphsim hooks.go
	// createRoleAssignment), a PIM eligibility or time-bound assignment
	// made by an adminAssign request ("RoleAssignmentExists: The Role
	// assignment already exists.", graphsim roles.go). A restore sends
	// again a create of such a kind whose answer was lost, and takes that
	// refusal as an earlier attempt having made it (importer apply.go
	// resendable, sentEarlier): their ids do not tell a create Graph
	// carried out from an object made since the plan.
	ConflictOnRepeat bool
}

// Child is a relationship stored inside its parent's file.
type Child struct {
	Name string // property in the file: "members"
	Path string // relative to the parent's item path: "members"
	// Base, when set, is the collection path (under the version root) of
	// the parent through which Graph documents this child, used instead of
	// the parent kind's ListPath: Graph documents an authentication
	// strength's combinationConfigurations only below
	// /identity/conditionalAccess/authenticationStrength/policies/{id}.
	Base string
	// Refs: the child list holds references ({id, @odata.type}), not objects.
	Refs bool
	// Key orders child objects (Refs: always by id).
	Key string
	// Select for the child read.
	Select []string
	// Drop are child properties not written (derived from the parent or volatile).
	Drop []string
	// ReadPermissions beyond the parent's.
	ReadPermissions []string
	// Expand, when set, is how the child is read: a GET of the parent with
	// $expand=Expand whose property Name is the child, not a GET of
	// {parent}/{Path}. Graph documents an access package's resource role
	// scopes only as accessPackages/{id}?$expand=resourceRoleScopes($expand=role,scope)
	// (accesspackage-list-resourcerolescopes).
	Expand string
	// Skip, when set, reports from the parent as listed that Graph holds
	// none of this child for it: the child is not read and the parent's
	// file holds the empty list a read would give. A built-in
	// authentication strength has no combinationConfigurations (Graph
	// supports them only for custom strengths), and each read is a paced
	// Conditional Access request.
	Skip func(parent map[string]any) bool
	// AssignedOnTarget: each reference is written on the object it names,
	// through that object's navigation property (an application's
	// tokenLifetimePolicies/$ref: tokenlifetimepolicy-list-appliesto), not
	// on the parent: a policy's appliesTo. A feature rollout policy's
	// appliesTo is its own link to groups (catalog_rollout.go), so not.
	AssignedOnTarget bool
	// SeededWithParent: a rehearsal seeds this child inside its parent's
	// object as the file holds it, not as links added after the parents:
	// graphsim's Tenant.Seed keeps it with the parent, as Graph's GET
	// returns a strength's combinationConfigurations and a grant policy's
	// condition sets, and as the parent's create takes a workflow's tasks
	// and a user flow's attribute assignments (internal/rehearse).
	SeededWithParent bool
	// RefsAreSettings: the references this child's objects hold are
	// settings, not relationships Graph keeps consistent (a lifecycle
	// workflow task's arguments: Graph documents no clean-up when the
	// group or custom task extension they name is deleted; strict
	// reading: it keeps them). check warns about one that names nothing
	// instead of refusing it, as for any reference outside a child.
	RefsAreSettings bool
	// KeptWhileReferentDeleted: Graph keeps this child while the object its
	// references name is in deleted items, and drops it only when that
	// object is purged (a catalog's resource, a package's resource role
	// scope naming a soft-deleted group: graphsim/doc.go, entitlement
	// management). check warns about one that names nothing (the object
	// may be in deleted items, restorable) instead of refusing it.
	KeptWhileReferentDeleted bool
}

// Ref is a property that names other objects.
type Ref struct {
	Path  string   // "conditions.users.includeGroups"; "[]" marks array elements
	Kinds []string // kind names the ids may belong to
	// Special values that are not ids ("All", "None", ...).
	Special []string
	// Prefix, when set, is what a value holds before the id: a role
	// assignment's directoryScopeId "/administrativeUnits/{id}" names an
	// administrative unit; values without the prefix ("/", the tenant) name
	// no object of Kinds.
	Prefix string
	// Where, when set, limits the reference to objects at r.Path's parent
	// whose properties hold these values (case-insensitive): a directory
	// setting's values[].value names a group only where its name is
	// GroupCreationAllowedGroupId.
	Where map[string]string
	// Tail, with Prefix, says the id ends at the next "/" and what follows
	// is kept: an access review's scope query
	// "/groups/{id}/transitiveMembers" names a group.
	Tail bool
	// PrefixInID: r.Prefix is part of the id, not a path before it (a
	// custom user flow attribute's id is extension_{app}_{name}; a value
	// without the prefix is a built-in attribute, not backed up).
	PrefixInID bool
	// Sep, when set, says a string value is a list of ids separated by
	// it (spaces around each id kept as they are): a lifecycle workflow
	// task's groupID argument is "a valid group ID or comma-separated list
	// of groups" (learn:/graph/identitygovernance-lifecycleworkflows-task-arguments).
	Sep string
	// Strict: Graph keeps this reference consistent although it is not a
	// child relationship (a role assignment's roleDefinitionId), so check
	// refuses one that names nothing. References in a child are strict
	// unless the child's RefsAreSettings.
	Strict bool
}

// holds reports whether m, the object that holds r.Path's last segment,
// meets r.Where.
func (r Ref) holds(m map[string]any) bool {
	for k, want := range r.Where {
		if got, _ := m[k].(string); !strings.EqualFold(got, want) {
			return false
		}
	}
	return true
}

// ID returns the id a value at r.Path names: the value itself, or the part
// after r.Prefix. ok is false for a value without r.Prefix.
func (r Ref) ID(v string) (id string, ok bool) {
	if r.Prefix == "" {
		return v, true
	}
	if len(v) <= len(r.Prefix) || !strings.EqualFold(v[:len(r.Prefix)], r.Prefix) {
		return "", false
	}
	if r.PrefixInID {
		return v, true
	}
	id = v[len(r.Prefix):]
	if i := strings.IndexByte(id, '/'); r.Tail && i >= 0 {
		id = id[:i]
	}
	return id, true
}

// Value is the value of r.Path that names id (r.Prefix + id).
func (r Ref) Value(id string) string {
	if r.PrefixInID {
		return id
	}
	return r.Prefix + id
}

// Walk calls fn on every id r names in obj (strings or string arrays at
// r.Path; "[]" segments descend into each element), skipping values that
// name no object (without r.Prefix, or one of r.Special), and stores what
// fn returns in the value's place when it differs from the id.
func (r Ref) Walk(obj any, fn func(id string) string) {
	single := func(v string) string {
		id, ok := r.ID(v)
		if !ok || id == "" || slices.ContainsFunc(r.Special, func(s string) bool { return strings.EqualFold(s, id) }) {
			return v
		}
		if n := fn(id); n != id {
			if r.PrefixInID {
				return n // the whole value is the id
			}
			return r.Value(n) + v[len(r.Prefix)+len(id):] // the Tail, if any
		}
		return v
	}
	one := func(v string) string {
		if r.Sep == "" || !strings.Contains(v, r.Sep) {
			return single(v)
		}
		parts := strings.Split(v, r.Sep)
		for i, part := range parts {
			id := strings.TrimSpace(part)
			if id == "" {
				continue
			}
			lead := part[:strings.Index(part, id)]
			parts[i] = lead + single(id) + part[len(lead)+len(id):]
		}
		return strings.Join(parts, r.Sep)
	}
	walkPath(obj, strings.Split(r.Path, "."), func(m map[string]any, last string) {
		if !r.holds(m) {
			return
		}
		last = strings.TrimSuffix(last, "[]")
		switch x := m[last].(type) {
		case string:
			if n := one(x); n != x {
				m[last] = n
			}
		case []any:
			for i, e := range x {
				if s, ok := e.(string); ok {
					if n := one(s); n != s {
						x[i] = n
					}
				}
			}
		}
	})
}

func (k *Kind) KeyProp() string {
	if k.Key == "" {
		return "id"
	}
	return k.Key
}

// IsSet reports whether the array at path is a set, and its element key.
func (k *Kind) IsSet(path string) (key string, ok bool) {
	key, ok = k.Sets[path]
	return key, ok
}

var dirVolatile = []string{"deletedDateTime"}

var userSelect = []string{"id", "accountEnabled", "ageGroup", "businessPhones", "city", "companyName",
	"consentProvidedForMinor", "country", "createdDateTime", "creationType", "department", "displayName",
	"employeeHireDate", "employeeId", "employeeLeaveDateTime", "employeeOrgData", "employeeType", "externalUserState",
	"faxNumber", "givenName", "identities", "jobTitle", "mail", "mailNickname", "mobilePhone", "officeLocation",
	"onPremisesDistinguishedName", "onPremisesDomainName", "onPremisesExtensionAttributes", "onPremisesImmutableId",
	"onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "onPremisesUserPrincipalName",
	"otherMails", "passwordPolicies", "postalCode", "preferredDataLocation", "preferredLanguage", "proxyAddresses",
	"securityIdentifier", "showInAddressList", "state", "streetAddress", "surname", "usageLocation",
	"userPrincipalName", "userType",
	// Licences: the user's direct assignments are kept (live/users.go
	// derives them from licenseAssignmentStates, which is not written).
	"assignedLicenses", "licenseAssignmentStates"}

var groupSelect = []string{"id", "classification", "createdDateTime", "description", "displayName",
	"expirationDateTime", "groupTypes", "isAssignableToRole", "mail", "mailEnabled", "mailNickname",
	"membershipRule", "membershipRuleProcessingState", "onPremisesDomainName", "onPremisesNetBiosName",
	"onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "preferredDataLocation",
	"preferredLanguage", "proxyAddresses", "renewedDateTime", "resourceBehaviorOptions",
	"resourceProvisioningOptions", "securityEnabled", "securityIdentifier", "theme", "visibility", "assignedLicenses"}

var refList = []string{"id"}

func isBuiltInFlag(obj map[string]any) bool { b, _ := obj["isBuiltIn"].(bool); return b }

// kinds is the catalog, in export and restore dependency order: what others
// reference comes first.
var kinds = append([]*Kind{
	{
		Name: "organization", Title: "organization", Folder: "tenant/organization",
		ODataType: "#microsoft.graph.organization", APIVersion: "v1.0", ListPath: "/organization",
		NameProp:        "displayName",
		Sets:            map[string]string{"verifiedDomains": "name", "technicalNotificationMails": "", "marketingNotificationEmails": "", "securityComplianceNotificationMails": "", "securityComplianceNotificationPhones": "", "businessPhones": ""},
		Volatile:        []string{"onPremisesLastSyncDateTime", "assignedPlans", "provisionedPlans", "deletedDateTime", "onPremisesLastPasswordSyncDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "verifiedDomains", "tenantType", "countryLetterCode", "displayName", "city", "country", "postalCode", "state", "street", "onPremisesSyncEnabled"},
		ReadPermissions: []string{"Organization.Read.All"}, WritePermissions: []string{"Organization.ReadWrite.All"},
	},
	{
		Name: "domains", Title: "domains", Folder: "tenant/domains",
		ODataType: "#microsoft.graph.domain", APIVersion: "v1.0", ListPath: "/domains",
		Sets:            map[string]string{"supportedServices": ""},
		ReadOnly:        []string{"id", "isInitial", "isRoot", "isVerified", "isAdminManaged", "model", "state", "manufacturer"},
		ReadPermissions: []string{"Domain.Read.All"}, WritePermissions: []string{"Domain.ReadWrite.All"},
	},
	{
		Name: "users", Title: "users", Folder: "users",
		ODataType: "#microsoft.graph.user", APIVersion: "v1.0", ListPath: "/users",
		NameFilter: "displayName",
		NameProp:   "userPrincipalName", Select: userSelect, Shard: true,
		// manager: at most one reference to a user (Graph's manager@delta
		// shape, a list), written by PUT/DELETE manager/$ref; sponsors:
		// references to users and groups, POST/DELETE sponsors/$ref.
		Children: []Child{
			{Name: "manager", Path: "manager", Refs: true, Select: refList},
			{Name: "sponsors", Path: "sponsors", Refs: true, Select: refList},
		},
		Refs: []Ref{
			{Path: "manager[].id", Kinds: []string{"users"}},
			{Path: "sponsors[].id", Kinds: []string{"users", "groups"}},
		},
		Sets: map[string]string{"businessPhones": "", "proxyAddresses": "", "otherMails": "", "identities": "issuerAssignedId", "manager": "id", "sponsors": "id",
			"assignedLicenses": "skuId", "assignedLicenses[].disabledPlans": ""},
		Volatile: append([]string{"signInActivity", "lastPasswordChangeDateTime", "onPremisesLastSyncDateTime", "refreshTokensValidFromDateTime", "signInSessionsValidFromDateTime", "externalUserStateChangeDateTime", "assignedPlans", "provisionedPlans", "licenseAssignmentStates"}, dirVolatile...),
		Secret:   []string{"passwordProfile"},
		// assignedLicenses: written by assignLicense (importer/assignlicence.go), never by PATCH.
		ReadOnly:        []string{"id", "createdDateTime", "creationType", "externalUserState", "proxyAddresses", "securityIdentifier", "onPremisesDistinguishedName", "onPremisesDomainName", "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "onPremisesUserPrincipalName", "mail", "assignedLicenses"},
		ReadPermissions: []string{"User.Read.All", "User-LifeCycleInfo.Read.All"}, WritePermissions: []string{"User.ReadWrite.All", "User-LifeCycleInfo.ReadWrite.All", "User.ManageIdentities.All", "User.Invite.All"},
		SoftDelete: "directory",
	},
	{
		Name: "groups", Title: "groups", Folder: "groups",
		ODataType: "#microsoft.graph.group", APIVersion: "v1.0", ListPath: "/groups",
		NameFilter: "displayName",
		NameProp:   "displayName", Select: groupSelect, Shard: true,
		AdvisoryReads: []string{"group-assignment-schedules"},
		Children: []Child{
			{Name: "members", Path: "members", Refs: true, Select: refList, ReadPermissions: []string{"Member.Read.Hidden"}},
			{Name: "owners", Path: "owners", Refs: true, Select: refList},
		},
		Refs: []Ref{
			{Path: "members[].id", Kinds: []string{"users", "groups", "service-principals"}},
			{Path: "owners[].id", Kinds: []string{"users", "service-principals"}},
		},
		Sets:            map[string]string{"groupTypes": "", "proxyAddresses": "", "resourceBehaviorOptions": "", "resourceProvisioningOptions": "", "members": "id", "owners": "id", "assignedLicenses": "skuId", "assignedLicenses[].disabledPlans": ""},
		Volatile:        append([]string{"renewedDateTime", "expirationDateTime", "onPremisesLastSyncDateTime", "membershipRuleProcessingStatus"}, dirVolatile...),
		ReadOnly:        []string{"id", "createdDateTime", "mail", "proxyAddresses", "securityIdentifier", "onPremisesDomainName", "onPremisesNetBiosName", "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "isAssignableToRole", "resourceBehaviorOptions", "resourceProvisioningOptions", "assignedLicenses"},
		ReadPermissions: []string{"Group.Read.All"}, WritePermissions: []string{"Group.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "Application.ReadWrite.All"},
		SoftDelete: "directory",
	},
	{
		Name: "named-locations", Title: "named locations", Folder: "conditional-access/named-locations",
		ODataType: "#microsoft.graph.namedLocation", APIVersion: "v1.0", ListPath: "/identity/conditionalAccess/namedLocations",
		NameFilter:      "displayName",
		NameProp:        "displayName",
		Sets:            map[string]string{"ipRanges": "cidrAddress", "countriesAndRegions": ""},
		Volatile:        []string{"modifiedDateTime", "deletedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "modifiedDateTime"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ConditionalAccess", "Policy.Read.All"},
		SoftDelete:         "conditional-access",
		ReadWhenReferenced: true, // a CA policy's locations
	},
	{
		Name: "authentication-strengths", Title: "authentication strength policies", Folder: "authentication/strengths",
		ODataType: "#microsoft.graph.authenticationStrengthPolicy", APIVersion: "v1.0", ListPath: "/policies/authenticationStrengthPolicies",
		NameProp: "displayName",
		// FIDO2 AAGUID and certificate restrictions: their own collection,
		// written by create, update and delete of its items.
		Children: []Child{{Name: "combinationConfigurations", Path: "combinationConfigurations",
			Base: "/identity/conditionalAccess/authenticationStrength/policies", Key: "id",
			Skip:             func(o map[string]any) bool { return o["policyType"] == "builtIn" },
			SeededWithParent: true}},
		Sets:     map[string]string{"allowedCombinations": "", "combinationConfigurations": "id", "combinationConfigurations[].appliesToCombinations": "", "combinationConfigurations[].allowedAAGUIDs": "", "combinationConfigurations[].allowedIssuerSkis": "", "combinationConfigurations[].allowedPolicyOIDs": ""},
		Volatile: []string{"modifiedDateTime"},
		ReadOnly: []string{"id", "createdDateTime", "modifiedDateTime", "policyType", "requirementsSatisfied"},
		BuiltIn:  func(o map[string]any) bool { return o["policyType"] == "builtIn" },
		// Policy.Read.AuthenticationMethod is the least privileged read
		// (permissions.json: /policies/authenticationStrengthPolicies and
		// .../combinationConfigurations; graph-semantics.md §5).
		ReadPermissions: []string{"Policy.Read.AuthenticationMethod"}, WritePermissions: []string{"Policy.ReadWrite.ConditionalAccess"},
		ReadWhenReferenced: true, // a CA policy's grant controls
	},
	{
		Name: "authentication-methods-policy", Title: "authentication methods policy", Folder: "authentication/methods-policy",
		ODataType: "#microsoft.graph.authenticationMethodsPolicy", APIVersion: "v1.0", ListPath: "/policies/authenticationMethodsPolicy",
		Singleton: true, Embedded: "authenticationMethodConfigurations",
		Volatile:        []string{"lastModifiedDateTime", "policyVersion"},
		ReadOnly:        []string{"id", "lastModifiedDateTime", "policyVersion"},
		ReadPermissions: []string{"Policy.Read.AuthenticationMethod"}, WritePermissions: []string{"Policy.ReadWrite.AuthenticationMethod"},
	},
	{
		Name: "authentication-method-configurations", Title: "authentication method configurations", Folder: "authentication/methods",
		ODataType: "#microsoft.graph.authenticationMethodConfiguration", APIVersion: "v1.0",
		ListPath: "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
		Sets:     map[string]string{"includeTargets": "id", "excludeTargets": "id"},
		Refs: []Ref{
			{Path: "includeTargets[].id", Kinds: []string{"groups"}, Special: []string{"all_users"}},
			{Path: "excludeTargets[].id", Kinds: []string{"groups"}},
		},
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.AuthenticationMethod"}, WritePermissions: []string{"Policy.ReadWrite.AuthenticationMethod"},
	},
	{
		Name: "conditional-access-policies", Title: "Conditional Access policies", Folder: "conditional-access/policies",
		ODataType: "#microsoft.graph.conditionalAccessPolicy", APIVersion: "v1.0", ListPath: "/identity/conditionalAccess/policies",
		NameFilter: "displayName",
		NameProp:   "displayName",
		Refs: []Ref{
			{Path: "conditions.users.includeUsers", Kinds: []string{"users"}, Special: []string{"All", "None", "GuestsOrExternalUsers"}},
			{Path: "conditions.users.excludeUsers", Kinds: []string{"users"}, Special: []string{"GuestsOrExternalUsers"}},
			{Path: "conditions.users.includeGroups", Kinds: []string{"groups"}},
			{Path: "conditions.users.excludeGroups", Kinds: []string{"groups"}},
			{Path: "conditions.users.includeRoles", Kinds: []string{"role-definitions"}},
			{Path: "conditions.users.excludeRoles", Kinds: []string{"role-definitions"}},
			{Path: "conditions.locations.includeLocations", Kinds: []string{"named-locations"}, Special: []string{"All", "AllTrusted"}},
			{Path: "conditions.locations.excludeLocations", Kinds: []string{"named-locations"}, Special: []string{"AllTrusted"}},
			{Path: "conditions.applications.includeApplications", Kinds: []string{"applications"}, Special: []string{"All", "None", "Office365", "MicrosoftAdminPortals"}},
			{Path: "conditions.applications.excludeApplications", Kinds: []string{"applications"}, Special: []string{"Office365", "MicrosoftAdminPortals"}},
			{Path: "grantControls.authenticationStrength.id", Kinds: []string{"authentication-strengths"}},
			{Path: "grantControls.termsOfUse", Kinds: []string{"terms-of-use"}}, // catalog_termsofuse.go
		},
		Sets: map[string]string{
			"conditions.users.includeUsers": "", "conditions.users.excludeUsers": "",
			"conditions.users.includeGroups": "", "conditions.users.excludeGroups": "",
			"conditions.users.includeRoles": "", "conditions.users.excludeRoles": "",
			"conditions.applications.includeApplications": "", "conditions.applications.excludeApplications": "",
			"conditions.applications.includeUserActions": "", "conditions.applications.includeAuthenticationContextClassReferences": "",
			"conditions.locations.includeLocations": "", "conditions.locations.excludeLocations": "",
			"conditions.platforms.includePlatforms": "", "conditions.platforms.excludePlatforms": "",
			"conditions.clientAppTypes": "", "conditions.signInRiskLevels": "", "conditions.userRiskLevels": "",
			"conditions.servicePrincipalRiskLevels": "", "grantControls.builtInControls": "",
			"grantControls.customAuthenticationFactors": "", "grantControls.termsOfUse": "",
		},
		IDOnly:          []string{"grantControls.authenticationStrength"},
		Volatile:        []string{"modifiedDateTime", "deletedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "modifiedDateTime", "templateId"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ConditionalAccess", "Policy.Read.All", "Application.Read.All"},
		SoftDelete: "conditional-access",
	},
	{
		Name: "applications", Title: "app registrations", Folder: "applications",
		ODataType: "#microsoft.graph.application", APIVersion: "v1.0", ListPath: "/applications",
		NameFilter: "displayName",
		NameProp:   "displayName", Shard: true, Aliases: []string{"appId"},
		Children: []Child{{Name: "owners", Path: "owners", Refs: true, Select: refList}},
		Refs:     []Ref{{Path: "owners[].id", Kinds: []string{"users", "service-principals"}}},
		Sets: map[string]string{
			"identifierUris": "", "tags": "", "web.redirectUris": "", "spa.redirectUris": "", "publicClient.redirectUris": "",
			"requiredResourceAccess": "resourceAppId", "requiredResourceAccess[].resourceAccess": "id",
			"appRoles": "id", "api.oauth2PermissionScopes": "id", "api.preAuthorizedApplications": "appId",
			"api.knownClientApplications": "", "keyCredentials": "keyId", "passwordCredentials": "keyId",
			"owners": "id", "web.redirectUriSettings": "uri",
		},
		Volatile: dirVolatile,
		Secret:   []string{"passwordCredentials[].secretText", "keyCredentials[].key"},
		ReadOnly: []string{"id", "appId", "applicationTemplateId", "createdByAppId", "createdDateTime", "publisherDomain", "disabledByMicrosoftStatus", "certification", "passwordCredentials", "keyCredentials", "verifiedPublisher", "info.logoUrl"},
		// A recreated application has a new id: restore reads the policies
		// that name it (appliesTo) to put it back on them and record them,
		// tokenissuancepolicy-list and appmanagementpolicy-list: Policy.Read.All
		// (importer TestEachKindRestoresWithOnlyItsListedPermissions).
		ReadPermissions: []string{"Application.Read.All"}, WritePermissions: []string{"Application.ReadWrite.All", "Policy.Read.All"},
		SoftDelete: "directory",
	},
	{
		Name: "service-principals", Title: "service principals", Folder: "service-principals",
		ODataType: "#microsoft.graph.servicePrincipal", APIVersion: "v1.0", ListPath: "/servicePrincipals",
		NameFilter: "displayName",
		NameProp:   "displayName", Shard: true, Aliases: []string{"appId"}, AliasFallback: true,
		Children: []Child{
			{Name: "owners", Path: "owners", Refs: true, Select: refList},
			{Name: "appRoleAssignedTo", Path: "appRoleAssignedTo", Key: "id",
				Drop: []string{"resourceDisplayName", "resourceId", "principalDisplayName", "deletedDateTime"}},
			{Name: "oauth2PermissionGrants", Path: "oauth2PermissionGrants", Key: "id", Drop: []string{"clientId"},
				ReadPermissions: []string{"Directory.Read.All"}},
		},
		Refs: []Ref{
			{Path: "owners[].id", Kinds: []string{"users", "service-principals"}},
			{Path: "appRoleAssignedTo[].principalId", Kinds: []string{"users", "groups", "service-principals"}},
			{Path: "oauth2PermissionGrants[].resourceId", Kinds: []string{"service-principals"}},
			{Path: "oauth2PermissionGrants[].principalId", Kinds: []string{"users"}},
		},
		Sets: map[string]string{
			"servicePrincipalNames": "", "tags": "", "replyUrls": "", "notificationEmailAddresses": "", "alternativeNames": "",
			"appRoles": "id", "oauth2PermissionScopes": "id", "keyCredentials": "keyId", "passwordCredentials": "keyId",
			"owners": "id", "appRoleAssignedTo": "id", "oauth2PermissionGrants": "id", "resourceSpecificApplicationPermissions": "id",
		},
		Volatile: dirVolatile,
		Secret:   []string{"passwordCredentials[].secretText", "keyCredentials[].key"},
		ReadOnly: []string{"id", "appId", "appOwnerOrganizationId", "applicationTemplateId", "createdByAppId", "signInAudience", "servicePrincipalType", "resourceSpecificApplicationPermissions", "appDisplayName", "appDescription", "servicePrincipalNames", "passwordCredentials", "keyCredentials", "appRoles", "oauth2PermissionScopes", "createdDateTime", "verifiedPublisher", "info.logoUrl"},
		BuiltIn: func(o map[string]any) bool {
			return o["appOwnerOrganizationId"] == "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
		},
		// A recreated service principal has a new id: restore reads what
		// names it to remap and record it, the claims mapping and token
		// lifetime policies (claimsmappingpolicy-list, tokenlifetimepolicy-list:
		// Policy.Read.All) and the access packages and catalogs whose
		// resources it is (entitlementmanagement-list-accesspackages,
		// -list-catalogs: EntitlementManagement.Read.All)
		// (importer TestEachKindRestoresWithOnlyItsListedPermissions).
		ReadPermissions: []string{"Application.Read.All"}, WritePermissions: []string{"Application.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Policy.Read.All", "EntitlementManagement.Read.All"},
		SoftDelete: "directory",
	},
	{
		// Activated directory roles: each a role template's object in this
		// tenant, with an id of its own that an administrative unit's
		// scopedRoleMembers[].roleId names. Never written: a restore
		// activates a template it needs (importer/roles.go).
		Name: "directory-roles", Title: "directory roles (activated)", Folder: "roles/directory-roles",
		ODataType: "#microsoft.graph.directoryRole", APIVersion: "v1.0", ListPath: "/directoryRoles",
		NameProp:        "displayName",
		Volatile:        dirVolatile,
		ReadOnly:        []string{"id", "displayName", "description", "roleTemplateId"},
		BuiltIn:         func(map[string]any) bool { return true },
		ReadPermissions: []string{"RoleManagement.Read.Directory"}, WritePermissions: []string{"RoleManagement.ReadWrite.Directory"},
		ReadWhenReferenced: true, // scopedRoleMembers[].roleId
	},
	{
		Name: "administrative-units", Title: "administrative units", Folder: "administrative-units",
		ODataType: "#microsoft.graph.administrativeUnit", APIVersion: "v1.0", ListPath: "/directory/administrativeUnits",
		NameFilter: "displayName",
		NameProp:   "displayName",
		Children: []Child{
			{Name: "members", Path: "members", Refs: true, Select: refList, ReadPermissions: []string{"Member.Read.Hidden"}},
			{Name: "scopedRoleMembers", Path: "scopedRoleMembers", Key: "id", Drop: []string{"administrativeUnitId"},
				ReadPermissions: []string{"RoleManagement.Read.Directory"}},
		},
		Refs: []Ref{
			{Path: "members[].id", Kinds: []string{"users", "groups"}},
			{Path: "scopedRoleMembers[].roleMemberInfo.id", Kinds: []string{"users", "groups", "service-principals"}},
			{Path: "scopedRoleMembers[].roleId", Kinds: []string{"directory-roles"}},
		},
		Sets:            map[string]string{"members": "id", "scopedRoleMembers": "id"},
		Volatile:        dirVolatile,
		ReadOnly:        []string{"id", "isMemberManagementRestricted"},
		ReadPermissions: []string{"AdministrativeUnit.Read.All"}, WritePermissions: []string{"AdministrativeUnit.ReadWrite.All", "RoleManagement.ReadWrite.Directory"},
		SoftDelete: "directory",
	},
	{
		Name: "role-definitions", Title: "role definitions", Folder: "roles/definitions",
		ODataType: "#microsoft.graph.unifiedRoleDefinition", APIVersion: "v1.0", ListPath: "/roleManagement/directory/roleDefinitions",
		NameProp: "displayName", Aliases: []string{"templateId"},
		Sets:            map[string]string{"resourceScopes": "", "rolePermissions[].allowedResourceActions": "", "rolePermissions[].excludedResourceActions": "", "inheritsPermissionsFrom": "id"},
		ReadOnly:        []string{"id", "isBuiltIn", "inheritsPermissionsFrom", "templateId"},
		BuiltIn:         isBuiltInFlag,
		ReadPermissions: []string{"RoleManagement.Read.Directory"}, WritePermissions: []string{"RoleManagement.ReadWrite.Directory"},
		AdvisoryReads: []string{"role-assignments", "role-eligibility-schedules", "time-bound-role-assignments"},
	},
	{
		Name: "role-assignments", Title: "role assignments", Folder: "roles/assignments",
		ODataType: "#microsoft.graph.unifiedRoleAssignment", APIVersion: "v1.0", ListPath: "/roleManagement/directory/roleAssignments",
		OutlivesReferents: true, ConflictOnRepeat: true,
		NaturalKey: []string{"roleDefinitionId", "principalId", "directoryScopeId"},
		Refs: []Ref{
			{Path: "roleDefinitionId", Kinds: []string{"role-definitions"}, Strict: true},
			{Path: "principalId", Kinds: []string{"users", "groups", "service-principals"}},
			{Path: "directoryScopeId", Kinds: []string{"administrative-units"}, Prefix: "/administrativeUnits/"},
		},
		ReadOnly: []string{"id", "resourceScope", "principalOrganizationId"},
		// RoleAssignmentSchedule.Read.Directory: the export leaves PIM
		// activations out, read from roleAssignmentScheduleInstances
		// (Directory.Read.All does not read PIM schedules).
		ReadPermissions: []string{"RoleManagement.Read.Directory", "RoleAssignmentSchedule.Read.Directory"}, WritePermissions: []string{"RoleManagement.ReadWrite.Directory"},
	},
	{
		Name: "role-eligibility-schedules", Title: "PIM role eligibility schedules", Folder: "roles/eligibility",
		ODataType: "#microsoft.graph.unifiedRoleEligibilitySchedule", APIVersion: "v1.0", ListPath: "/roleManagement/directory/roleEligibilitySchedules",
		OutlivesReferents: true, ConflictOnRepeat: true,
		NaturalKey: []string{"roleDefinitionId", "principalId", "directoryScopeId"},
		Refs: []Ref{
			{Path: "roleDefinitionId", Kinds: []string{"role-definitions"}, Strict: true},
			{Path: "principalId", Kinds: []string{"users", "groups", "service-principals"}},
			{Path: "directoryScopeId", Kinds: []string{"administrative-units"}, Prefix: "/administrativeUnits/"},
		},
		Volatile:        []string{"modifiedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "modifiedDateTime", "status", "createdUsing", "memberType"},
		ReadPermissions: []string{"RoleEligibilitySchedule.Read.Directory"}, WritePermissions: []string{"RoleEligibilitySchedule.ReadWrite.Directory"},
	},
	{
		Name: "authorization-policy", Title: "authorization policy", Folder: "policies/authorization",
		ODataType: "#microsoft.graph.authorizationPolicy", APIVersion: "v1.0", ListPath: "/policies/authorizationPolicy",
		Singleton:       true,
		Sets:            map[string]string{"defaultUserRolePermissions.permissionGrantPoliciesAssigned": ""},
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.Authorization"},
	},
	{
		Name: "security-defaults", Title: "security defaults", Folder: "policies/security-defaults",
		ODataType: "#microsoft.graph.identitySecurityDefaultsEnforcementPolicy", APIVersion: "v1.0",
		ListPath: "/policies/identitySecurityDefaultsEnforcementPolicy", Singleton: true,
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.SecurityDefaults"},
	},
	{
		Name: "cross-tenant-access-policy", Title: "cross-tenant access policy", Folder: "policies/cross-tenant-access/policy",
		ODataType: "#microsoft.graph.crossTenantAccessPolicy", APIVersion: "v1.0",
		ListPath: "/policies/crossTenantAccessPolicy", Singleton: true,
		Sets:            map[string]string{"allowedCloudEndpoints": ""},
		ReadOnly:        []string{"id", "definition", "isOrganizationDefault"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.CrossTenantAccess"},
	},
	{
		Name: "cross-tenant-access-default", Title: "cross-tenant access default settings", Folder: "policies/cross-tenant-access/default",
		ODataType: "#microsoft.graph.crossTenantAccessPolicyConfigurationDefault", APIVersion: "v1.0",
		ListPath: "/policies/crossTenantAccessPolicy/default", Singleton: true,
		ReadOnly:        []string{"id", "isServiceDefault"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.CrossTenantAccess"},
	},
	{
		Name: "cross-tenant-access-partners", Title: "cross-tenant access partner settings", Folder: "policies/cross-tenant-access/partners",
		ODataType: "#microsoft.graph.crossTenantAccessPolicyConfigurationPartner", APIVersion: "v1.0",
		ListPath: "/policies/crossTenantAccessPolicy/partners", Key: "tenantId",
		ReadOnly:        []string{"tenantId", "isServiceProvider", "isInMultiTenantOrganization"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.CrossTenantAccess"},
	},
	{
		Name: "token-lifetime-policies", Title: "token lifetime policies", Folder: "policies/token-lifetime",
		ODataType: "#microsoft.graph.tokenLifetimePolicy", APIVersion: "v1.0", ListPath: "/policies/tokenLifetimePolicies",
		NameProp: "displayName", Volatile: dirVolatile,
		Children: appliesToChildren, Refs: appliesToRefs, Sets: appliesToSets, // catalog_policies.go
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ApplicationConfiguration", "Application.ReadWrite.All"},
	},
	{
		Name: "claims-mapping-policies", Title: "claims mapping policies", Folder: "policies/claims-mapping",
		ODataType: "#microsoft.graph.claimsMappingPolicy", APIVersion: "v1.0", ListPath: "/policies/claimsMappingPolicies",
		NameProp: "displayName", Volatile: dirVolatile,
		Children: appliesToChildren, Refs: appliesToRefs, Sets: appliesToSets, // catalog_policies.go
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ApplicationConfiguration", "Application.ReadWrite.All"},
	},
	{
		Name: "group-settings", Title: "directory settings", Folder: "settings/group-settings",
		ODataType: "#microsoft.graph.groupSetting", APIVersion: "v1.0", ListPath: "/groupSettings",
		NameProp: "displayName",
		Sets:     map[string]string{"values": "name"},
		// Settings that name a group (learn.microsoft.com/en-us/entra/identity/users/groups-settings-cmdlets:
		// GroupCreationAllowedGroupId; ConstrainGroupSpecificConsentToMembersOfGroupId of Consent Policy Settings).
		Refs: []Ref{
			{Path: "values[].value", Kinds: []string{"groups"}, Where: map[string]string{"name": "GroupCreationAllowedGroupId"}},
			{Path: "values[].value", Kinds: []string{"groups"}, Where: map[string]string{"name": "ConstrainGroupSpecificConsentToMembersOfGroupId"}},
		},
		ReadOnly:        []string{"id", "displayName", "templateId"},
		ReadPermissions: []string{"GroupSettings.Read.All"}, WritePermissions: []string{"GroupSettings.ReadWrite.All"},
	},
}, append(policyKinds, append(tenantKinds, tenantKinds2...)...)...) // catalog_policies.go, catalog_tenant.go, catalog_tenant2.go

var byName = func() map[string]*Kind {
	m := map[string]*Kind{}
	for _, k := range kinds {
		m[k.Name] = k
	}
	return m
}()

// Kinds returns the catalog in dependency order (referenced kinds first).
func Kinds() []*Kind { return append([]*Kind(nil), kinds...) }

// DefaultKinds are the kinds an export reads when none are named: every
// kind but the OptIn ones.
func DefaultKinds() []*Kind {
	var out []*Kind
	for _, k := range kinds {
		if k.OptIn == "" {
			out = append(out, k)
		}
	}
	return out
}

// AliasKinds are the kinds with Aliases, in order of precedence: catalog
// order, AliasFallback kinds last.
func AliasKinds() []*Kind {
	var out, fallback []*Kind
	for _, k := range kinds {
		switch {
		case len(k.Aliases) == 0:
		case k.AliasFallback:
			fallback = append(fallback, k)
		default:
			out = append(out, k)
		}
	}
	return append(out, fallback...)
}

// AliasesOf returns the other ids (see Aliases) the object obj with this
// key is named by.
func (k *Kind) AliasesOf(key string, obj map[string]any) []string {
	var out []string
	for _, p := range k.Aliases {
		if a, ok := obj[p].(string); ok && a != "" && !strings.EqualFold(a, key) {
			out = append(out, a)
		}
	}
	return out
}

// Root is the repository path holding a kind's files: its folder, or
// for a singleton its one file.
func (k *Kind) Root() string {
	if k.Singleton {
		return k.Folder + ".yaml"
	}
	return k.Folder
}

// Lookup finds a kind by name.
func Lookup(name string) (*Kind, bool) { k, ok := byName[name]; return k, ok }

// Select resolves --kinds values: kind names, or folder prefixes such as
// "conditional-access" or "policies" that name every kind under them.
// Unknown values are an error listing what exists.
func Select(values []string) ([]*Kind, error) {
	if len(values) == 0 {
		return DefaultKinds(), nil
	}
	want := map[string]bool{}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(strings.TrimSuffix(part, "/"))
			if part == "" {
				continue
			}
			matched := false
			for _, k := range kinds {
				if k.Name == part || k.Folder == part || strings.HasPrefix(k.Folder, part+"/") {
					want[k.Name] = true
					matched = true
				}
			}
			if !matched {
				return nil, &UnknownKindError{Value: part}
			}
		}
	}
	var out []*Kind
	for _, k := range kinds {
		if want[k.Name] {
			out = append(out, k)
		}
	}
	return out, nil
}

// UnknownKindError names a --kinds value that matches nothing.
type UnknownKindError struct{ Value string }

func (e *UnknownKindError) Error() string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	sort.Strings(names)
	return "unknown kind " + quote(e.Value) + "; run `entrasnap kinds` to list them (" + strings.Join(names, ", ") + ")"
}

func quote(s string) string { return "\"" + s + "\"" }

// ForPath returns the kind whose folder holds a repository path.
func ForPath(p string) (*Kind, bool) {
	var best *Kind
	for _, k := range kinds {
		// (p under k.Folder+"/", without building that string per kind.)
		if len(p) > len(k.Folder) && p[len(k.Folder)] == '/' && strings.HasPrefix(p, k.Folder) && (best == nil || len(k.Folder) > len(best.Folder)) {
			best = k
		}
	}
	return best, best != nil
}
