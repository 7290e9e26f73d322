package layout

import "sort"

// The permission sets entrasnap asks an administrator to grant: the one
// place `entrasnap kinds --permissions` and the documentation take them
// from, so that an app holding exactly this set exports, and restores, every
// kind without a 403 part-way.
//
// Each kind lists the least application permissions that read it
// (ReadPermissions, with its children's) and write it (WritePermissions,
// every permission some restore action of the kind may need: Graph asks
// for several at once, e.g. a Conditional Access policy write needs
// Policy.ReadWrite.ConditionalAccess AND Policy.Read.All AND
// Application.Read.All; a group needs RoleManagement.ReadWrite.Directory
// for its role-assignable members and Application.ReadWrite.All for its
// service-principal members). The union over the kinds holds permissions
// that a broader one in the same union already grants for every call
// entrasnap makes (Graph's permission tables list the broader one as a
// "higher privileged permission" of the same calls); the set drops those,
// so every permission it lists is one a run needs.
var covers = map[string][]string{
	// Directory.Read.All is needed anyway: it is the only application
	// permission that lists delegated permission grants
	// (oauth2permissiongrant-list, serviceprincipal-list-oauth2permissiongrants).
	"Directory.Read.All": {"User.Read.All", "Group.Read.All", "GroupMember.Read.All", "Application.Read.All",
		"AdministrativeUnit.Read.All", "Domain.Read.All", "Organization.Read.All", "RoleManagement.Read.Directory",
		"GroupSettings.Read.All", "OrgContact.Read.All"},
	// Policy.Read.All reads the authentication methods policy and its
	// configurations (authenticationmethodspolicy-get).
	"Policy.Read.All": {"Policy.Read.AuthenticationMethod"},
	// RoleManagement.ReadWrite.Directory writes PIM eligibility requests
	// (rbacapplication-post-roleeligibilityschedulerequests), assignment
	// requests (rbacapplication-post-roleassignmentschedulerequests) and
	// role settings' rules (unifiedrolemanagementpolicyrule-update).
	"RoleManagement.ReadWrite.Directory": {"RoleEligibilitySchedule.ReadWrite.Directory", "RoleAssignmentSchedule.ReadWrite.Directory", "RoleManagementPolicy.ReadWrite.Directory"},
	// Group.ReadWrite.All writes memberships (group-post-members).
	"Group.ReadWrite.All": {"GroupMember.ReadWrite.All"},
	// Application.ReadWrite.All grants and removes app role assignments
	// (serviceprincipal-post-approleassignedto) and restores deleted
	// applications and service principals (directory-deleteditems-restore).
	"Application.ReadWrite.All": {"AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.OwnedBy"},
	// User.ReadWrite.All restores deleted users (directory-deleteditems-restore)
	// and invites guests (invitation-post).
	"User.ReadWrite.All": {"User.DeleteRestore.All", "User.Invite.All"},
	// Organization.Read.All reads company branding, its localizations and
	// their images, and Organization.ReadWrite.All writes them
	// (permissions.json: /organization/{id}/branding/localizations...); the
	// set holds them for the organization and certificate-based
	// authentication anyway.
	"Organization.Read.All":      {"OrganizationalBranding.Read.All"},
	"Organization.ReadWrite.All": {"OrganizationalBranding.ReadWrite.All"},
	// LifecycleWorkflows.Read.All, which the lifecycle settings need,
	// reads workflows and custom task extensions too, and
	// LifecycleWorkflows.ReadWrite.All writes them (permissions.json lists
	// both on every /identityGovernance/lifecycleWorkflows path).
	"LifecycleWorkflows.Read.All":      {"LifecycleWorkflows-Workflow.Read.All", "LifecycleWorkflows-CustomExt.Read.All"},
	"LifecycleWorkflows.ReadWrite.All": {"LifecycleWorkflows-Workflow.ReadWrite.All", "LifecycleWorkflows-CustomExt.ReadWrite.All"},
}

// exactly are, per kind, read permissions that no broader permission of
// the set grants for that kind's calls: an app management policy's
// appliesTo takes Application.Read.All and Policy.Read.All, not
// Directory.Read.All (appmanagementpolicy-list-appliesto), although
// Directory.Read.All reads applications everywhere else. A user's sponsors
// take User.Read.All (user-list-sponsors; permissions.json lists no
// Directory permission for them), although Directory.Read.All reads users.
// The certificate-based authentication configuration takes
// Organization.Read.All (permissions.json lists no Directory permission for
// /organization/{id}/certificateBasedAuthConfiguration).
var exactly = map[string][]string{"app-management-policies": {"Application.Read.All"}, "users": {"User.Read.All"},
	"certificate-based-auth": {"Organization.Read.All"}}

// ExportPermissions is the smallest complete set of application
// permissions that exports the kinds, sorted: read-only, so it leaves out
// the kinds Graph reads only with a write permission (ReadNeedsWrite,
// opt-in: ReadWithWritePermissions).
func ExportPermissions(kinds []*Kind) []string {
	var all, keep []string
	for _, k := range kinds {
		if k.DelegatedOnly != "" {
			continue // delegated scopes: DelegatedPermissions
		}
		if k.ReadNeedsWrite != "" {
			continue // write permissions: ReadWithWritePermissions
		}
		all = append(all, KindReadPermissions(k)...)
		keep = append(keep, exactly[k.Name]...)
	}
	out := reduce(all, nil)
	for _, p := range keep {
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// RestorePermissions is the set to grant, in addition to
// ExportPermissions(kinds), to restore the kinds, sorted: restore reads
// the tenant as export does, then writes.
func RestorePermissions(kinds []*Kind) []string {
	var all []string
	for _, k := range kinds {
		if k.ExportOnly == "" && k.DelegatedOnly == "" {
			all = append(all, KindRestorePermissions(k)...)
		}
	}
	return reduce(all, ExportPermissions(kinds))
}

// DirectoryKind reports whether kind is one whose objects are directory
// objects, the references to which a restore plan checks with POST
// /directoryObjects/getByIds (importer checkRefs), which Graph grants to
// Directory.Read.All only (directoryobject-getbyids; permissions.json:
// /directoryObjects/getByIds).
func DirectoryKind(kind string) bool {
	switch kind {
	case "users", "groups", "service-principals", "administrative-units":
		return true
	}
	return false
}

// KindRestorePermissions are the permissions a restore of k needs besides
// its read permissions (KindReadPermissions), in order, without
// duplicates: the catalog's WritePermissions (which also hold the reads a
// restore makes of other kinds: an application's token issuance and app
// management policies), then what the plan reads to plan k right: the read
// permissions of its AdvisoryReads and ReadWhenReferenced kinds, and
// Directory.Read.All when k references directory objects, whose existence
// the plan and its verification ask getByIds. `entrasnap kinds` lists
// them as the kind's restore permissions;
// importer TestEachKindRestoresWithOnlyItsListedPermissions restores each
// kind with exactly its read and restore permissions, and fails on any
// request Graph refuses.
func KindRestorePermissions(k *Kind) []string {
	if k.ExportOnly != "" {
		return []string{}
	}
	out := append([]string{}, k.WritePermissions...)
	add := func(ps ...string) {
		for _, p := range ps {
			if !contains(out, p) && !contains(KindReadPermissions(k), p) && !coveredIn(p, out, KindReadPermissions(k)) {
				out = append(out, p)
			}
		}
	}
	for _, a := range k.AdvisoryReads {
		if ak, ok := Lookup(a); ok {
			add(KindReadPermissions(ak)...)
		}
	}
	directory := false
	for _, r := range k.Refs {
		for _, rk := range r.Kinds {
			directory = directory || DirectoryKind(rk)
			if ref, ok := Lookup(rk); ok && ref.ReadWhenReferenced {
				add(KindReadPermissions(ref)...)
			}
		}
	}
	if directory {
		add("Directory.Read.All")
	}
	// A recreated object has a new id: the restore records again, in its
	// post-restore snapshot, the kinds whose objects name it (importer
	// Plan.References), reading them whole. Not for a kind restore only
	// updates (a singleton, RestoreNote), nor a referrer read with a write
	// permission (opt-in, ReadNeedsWrite: an export without it carries it
	// forward) or one an app-only restore skips (DelegatedOnly).
	if !k.Singleton && k.RestoreNote == "" {
		for _, r := range kinds {
			if r.ReadNeedsWrite != "" || r.DelegatedOnly != "" && k.DelegatedOnly == "" {
				continue
			}
			for _, ref := range r.Refs {
				if contains(ref.Kinds, k.Name) {
					add(KindReadPermissions(r)...)
				}
			}
		}
	}
	return out
}

// GrantedBy returns p and the permissions that grant every call
// entrasnap makes with it (covers), p first, the others sorted: a restore's
// pre-flight check (importer CheckPermissions) accepts any of them, so
// that a token holding the broader permission of the whole set
// (LifecycleWorkflows.ReadWrite.All) passes an action of a kind that lists
// a narrower one (LifecycleWorkflows-Workflow.ReadWrite.All).
func GrantedBy(p string) []string {
	out := []string{p}
	var broad []string
	for q, narrow := range covers {
		if contains(narrow, p) {
			broad = append(broad, q)
		}
	}
	sort.Strings(broad)
	return append(out, broad...)
}

// coveredIn reports whether a permission of lists grants every call
// entrasnap makes with p (covers), so that a kind's list need not name p
// as well: a Conditional Access policy's restore reads the authentication
// strengths it names (Policy.Read.AuthenticationMethod), which its
// Policy.Read.All already reads. Not for a permission some kind needs
// exactly (exactly: a call the broader one does not grant).
func coveredIn(p string, lists ...[]string) bool {
	for _, ex := range exactly {
		if contains(ex, p) {
			return false
		}
	}
	for _, l := range lists {
		for _, q := range l {
			if contains(covers[q], p) {
				return true
			}
		}
	}
	return false
}

// ReadWithWritePermissions are the write permissions that the
// ReadNeedsWrite kinds among kinds need to be read (API connectors:
// APIConnectors.ReadWrite.All), sorted: granted to the export app only by
// those who back such a kind up (it is opt-in), which makes that app no
// longer read-only.
func ReadWithWritePermissions(kinds []*Kind) []string {
	var out []string
	for _, k := range kinds {
		if k.ReadNeedsWrite == "" || k.DelegatedOnly != "" {
			continue
		}
		for _, p := range KindReadPermissions(k) {
			if !contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// DelegatedPermissions are the delegated permissions (scopes) the
// DelegatedOnly kinds among kinds need, sorted: read to export them with a
// signed-in administrator's token, write to restore them. An app-only run
// needs none of them (it skips those kinds).
func DelegatedPermissions(kinds []*Kind) (read, write []string) {
	for _, k := range kinds {
		if k.DelegatedOnly == "" {
			continue
		}
		for _, p := range KindReadPermissions(k) {
			if !contains(read, p) {
				read = append(read, p)
			}
		}
		for _, p := range KindRestorePermissions(k) {
			if !contains(write, p) {
				write = append(write, p)
			}
		}
	}
	sort.Strings(read)
	sort.Strings(write)
	return read, write
}

// KindReadPermissions are a kind's read permissions and its children's.
func KindReadPermissions(k *Kind) []string {
	out := append([]string(nil), k.ReadPermissions...)
	for _, ch := range k.Children {
		for _, p := range ch.ReadPermissions {
			if !contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// NameInSet names each permission as set grants it: itself when set holds
// it, else the permission of set that covers it; the order is kept and
// duplicates dropped. A report of a denied read uses it so that it names a
// permission of the set the administrator was told to grant.
func NameInSet(perms, set []string) []string {
	var out []string
	for _, p := range perms {
		n := p
		if !contains(set, p) {
			for _, q := range set {
				if contains(covers[q], p) {
					n = q
				}
			}
		}
		if !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// reduce returns the distinct permissions of list, less those in already
// and those a permission of list or already covers, sorted.
func reduce(list, already []string) []string {
	have := map[string]bool{}
	for _, p := range list {
		have[p] = true
	}
	for _, p := range already {
		have[p] = true
	}
	out := []string{}
	seen := map[string]bool{}
	for _, p := range list {
		if seen[p] || contains(already, p) {
			continue
		}
		seen[p] = true
		covered := false
		for broad, narrow := range covers {
			covered = covered || have[broad] && contains(narrow, p)
		}
		if !covered {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
