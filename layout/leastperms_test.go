package layout

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim/perms"
)

// kindRequests reads testdata/kindrequests.txt (importer
// TestEachKindRestoresWithOnlyItsListedPermissions writes it): per kind,
// the requests ("METHOD /path", normalized) its export and its restore
// send, keyed "kind export" and "kind restore".
func kindRequests(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("testdata/kindrequests.txt")
	if err != nil {
		t.Fatalf("%v: generate it with go test ./importer -run TestEachKindRestoresWithOnlyItsListedPermissions -update-kindrequests", err)
	}
	out := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || strings.HasPrefix(l, "#") {
			continue
		}
		kp, r := f[0]+" "+f[1], f[2]+" "+f[3]
		if !slices.Contains(out[kp], r) {
			out[kp] = append(out[kp], r)
		}
	}
	return out
}

// leastFor is what a request justifies asking for: Graph's least
// privileged application permissions for it (permissions.json least=, with
// AlsoRequires=), and leastCorrections' where the map's flags are wrong.
// Where the map flags none, every permission that grants the request
// (perms.Required) counts, less Directory.* when another does and, for a
// read, less the write permissions when a read-only one does.
func leastFor(r string) []string {
	method, path, _ := strings.Cut(r, " ")
	least, also, ok := perms.Least(method, path)
	out := append(append(least, also...), leastCorrections[r]...)
	if ok {
		return out
	}
	any, _ := perms.Required(method, path)
	narrow := func(keep func(string) bool) {
		var k []string
		for _, p := range any {
			if keep(p) {
				k = append(k, p)
			}
		}
		if len(k) > 0 {
			any = k
		}
	}
	narrow(func(p string) bool { return !strings.HasPrefix(p, "Directory.") })
	if !perms.IsWrite(method) {
		narrow(func(p string) bool { return !strings.Contains(p, "Write") })
	}
	return append(out, any...)
}

// Every permission a kind lists is one Graph's permission map names least
// privileged for a request the kind sends: its read permissions (its own
// and its children's, KindReadPermissions) for a request of its export,
// its write permissions (the catalog's WritePermissions) for a request of
// its restore (plan, apply, verify and the post-restore snapshot). The
// rest of a kind's restore permissions (KindRestorePermissions) are other
// kinds' read permissions, checked with those kinds, and Directory.Read.All
// for the references the plan asks getByIds about (least privileged for
// POST /directoryObjects/getByIds: directoryobject-getbyids, which names no
// other). The requests are those importer
// TestEachKindRestoresWithOnlyItsListedPermissions observed
// (testdata/kindrequests.txt); what a restore sends only for some objects
// (a role-assignable group, a service principal among the members) is in
// neededBeyondLeast with its source.
func TestKindPermissionsAreLeastPrivileged(t *testing.T) {
	reqs := kindRequests(t)
	for _, k := range Kinds() {
		if k.DelegatedOnly != "" || k.Name == "directory-roles" {
			// Not observed: a delegated-only kind's requests go through a
			// signed-in client the test does not watch, and directory
			// roles are never restored for themselves (importer
			// kindPermsSkipped).
			continue
		}
		check := func(phase string, listed []string) {
			justified := map[string]bool{}
			var seen []string
			for _, r := range reqs[k.Name+" "+phase] {
				seen = append(seen, r+" → "+strings.Join(leastFor(r), "|"))
				for _, p := range leastFor(r) {
					justified[p] = true
				}
			}
			if len(seen) == 0 {
				t.Errorf("%s: testdata/kindrequests.txt lists no request of its %s", k.Name, phase)
				return
			}
			for _, p := range listed {
				if !justified[p] && !slices.Contains(neededBeyondLeast[k.Name], p) {
					t.Errorf("%s lists %s for its %s, which Graph's permission map names least privileged for none of the requests it sends:\n  %s", k.Name, p, phase, strings.Join(seen, "\n  "))
				}
			}
		}
		check("export", KindReadPermissions(k))
		if k.ExportOnly == "" {
			check("restore", k.WritePermissions)
		}
	}
}

// leastCorrections are, per request, the least privileged application
// permissions where permissions.json's least= flags are wrong
// (graph-semantics.md §0: it flags a read permission least for writes, and
// odd ones for some reads).
var leastCorrections = map[string][]string{
	// organization-list-permissions.md@de72b0ba, graph-semantics.md §5:
	// Organization.Read.All (the map flags DeviceManagementServiceConfig.Read.All).
	"GET /organization":        {"Organization.Read.All"},
	"PATCH /organization/{id}": {"Organization.ReadWrite.All"},
	// user-get, user-list (learn:/graph/api/user-get): application least
	// User.Read.All; the map flags User.ReadBasic.All, which the pages do
	// not list for applications and which reads a few properties only.
	"GET /users": {"User.Read.All"},
	// group-list-permissions.md@017e406a, graph-semantics.md §5: Group.Read.All
	// (the map flags Group-NestingSupport.ReadWrite.All and Group.ReadBasic.All,
	// basic properties only).
	"GET /groups":       {"Group.Read.All"},
	"GET /groups/delta": {"Group.Read.All"},
	// conditionalaccessroot-post-policies.md@02b4cba0, graph-semantics.md §5:
	// Policy.ReadWrite.ConditionalAccess writes policies and named
	// locations (the map flags only Policy.Read.All).
	"POST /identity/conditionalaccess/policies":             {"Policy.ReadWrite.ConditionalAccess"},
	"PATCH /identity/conditionalaccess/policies/{id}":       {"Policy.ReadWrite.ConditionalAccess"},
	"DELETE /identity/conditionalaccess/policies/{id}":      {"Policy.ReadWrite.ConditionalAccess"},
	"POST /identity/conditionalaccess/namedlocations":       {"Policy.ReadWrite.ConditionalAccess"},
	"PATCH /identity/conditionalaccess/namedlocations/{id}": {"Policy.ReadWrite.ConditionalAccess"},
	// graph-semantics.md §5: DelegatedPermissionGrant.ReadWrite.All (the
	// map flags none for a create).
	"POST /oauth2permissiongrants": {"DelegatedPermissionGrant.ReadWrite.All"},
	// graph-semantics.md §5 (PIM policies): RoleManagementPolicy.Read.Directory,
	// RoleManagementPolicy.ReadWrite.Directory for the rules
	// (unifiedrolemanagementpolicyrule-update); the map flags
	// RoleManagement.Read.Directory and, for the assignments,
	// RoleManagement.Read.All (every RBAC provider: broader).
	"GET /policies/rolemanagementpolicies":                   {"RoleManagementPolicy.Read.Directory"},
	"GET /policies/rolemanagementpolicyassignments":          {"RoleManagementPolicy.Read.Directory"},
	"PATCH /policies/rolemanagementpolicies/{id}/rules/{id}": {"RoleManagementPolicy.ReadWrite.Directory"},
}

// neededBeyondLeast are, per kind, permissions it lists although no
// request the per-kind restore test observed takes them least privileged:
// what Graph asks beside the call's permission for some properties or
// objects (the restore test changes one object), with the source.
var neededBeyondLeast = map[string][]string{
	// user-get, user-update: employeeLeaveDateTime takes
	// User-LifeCycleInfo.Read.All (ReadWrite.All to write); identities take
	// User.ManageIdentities.All; a purged guest is invited again
	// (invitation-post: User.Invite.All).
	"users": {"User-LifeCycleInfo.Read.All", "User-LifeCycleInfo.ReadWrite.All", "User.ManageIdentities.All", "User.Invite.All"},
	// Members of a group with hidden membership are listed only with
	// Member.Read.Hidden too (group-list-members; graphsim/authz.go). An
	// existing group is updated with Group.ReadWrite.All (group-update;
	// the test recreates one: POST /groups takes Group.Create); adding a
	// service principal as a member needs Application.ReadWrite.All, a
	// role-assignable group RoleManagement.ReadWrite.Directory
	// (graph-semantics.md §3.4).
	"groups":               {"Member.Read.Hidden", "Group.ReadWrite.All", "Application.ReadWrite.All", "RoleManagement.ReadWrite.Directory"},
	"administrative-units": {"Member.Read.Hidden"},
	// conditionalaccessroot-post-policies.md@02b4cba0, graph-semantics.md §5:
	// a CA write needs Application.Read.All too.
	"conditional-access-policies": {"Application.Read.All"},
	// Application.ReadWrite.OwnedBy, the map's least, writes only the
	// applications and service principals the app owns
	// (graph-semantics.md §3.5; permissions reference): a restore writes
	// those of the tenant. The policies below are assigned to them
	// (application-post-tokenlifetimepolicies and the like).
	"applications":                  {"Application.ReadWrite.All"},
	"service-principals":            {"Application.ReadWrite.All", "Policy.ReadWrite.PermissionGrant"}, // serviceprincipal-post-delegatedpermissionclassifications
	"token-lifetime-policies":       appliesTo,
	"claims-mapping-policies":       appliesTo,
	"token-issuance-policies":       appliesTo,
	"home-realm-discovery-policies": appliesTo,
	// learn:/graph/api/user-get: reading customSecurityAttributes takes
	// CustomSecAttributeAssignment.Read.All, writing it
	// CustomSecAttributeAssignment.ReadWrite.All (user-update,
	// serviceprincipal-update); the users are listed with User.Read.All.
	"per-user-mfa":                          {"User.Read.All"},
	"user-security-attributes":              {"CustomSecAttributeAssignment.Read.All", "CustomSecAttributeAssignment.ReadWrite.All", "User.Read.All"},
	"service-principal-security-attributes": {"CustomSecAttributeAssignment.Read.All", "CustomSecAttributeAssignment.ReadWrite.All"},
	// entitlementmanagement-post-resourcerequests: adding a group or an
	// application to a catalog takes Group.ReadWrite.All or
	// Application.ReadWrite.All beside EntitlementManagement.ReadWrite.All.
	"access-package-catalogs": {"Group.ReadWrite.All", "Application.ReadWrite.All"},
	// The groups PIM governs are told apart by groupTypes, securityEnabled
	// and onPremisesSyncEnabled (live/pimgroups.go), not all of them basic
	// properties (Group.ReadBasic.All, the map's least).
	"group-eligibility-schedules": {"Group.Read.All"},
	"group-assignment-schedules":  {"Group.Read.All"},
}

// appliesTo: tokenlifetimepolicy-list-appliesto (and the other policies'
// pages) name Policy.Read.All AND Application.Read.All; the map lists
// Policy.Read.All alone. Assigning one to an application or service
// principal takes Application.ReadWrite.All (see applications).
var appliesTo = []string{"Application.Read.All", "Application.ReadWrite.All"}
