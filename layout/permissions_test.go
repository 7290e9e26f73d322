package layout

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPermissionSetsDropWhatABroaderOneGrants(t *testing.T) {
	users, _ := Lookup("users")
	sps, _ := Lookup("service-principals")
	if got := ExportPermissions([]*Kind{users}); !reflect.DeepEqual(got, []string{"User-LifeCycleInfo.Read.All", "User.Read.All"}) {
		t.Errorf("users alone: %v", got)
	}
	// Service principals need Directory.Read.All for their delegated
	// grants, which reads users too, but not their sponsors: User.Read.All
	// stays.
	got := ExportPermissions([]*Kind{users, sps})
	if !reflect.DeepEqual(got, []string{"Directory.Read.All", "User-LifeCycleInfo.Read.All", "User.Read.All"}) {
		t.Errorf("users and service principals: %v", got)
	}
	if got := NameInSet([]string{"Application.Read.All", "User-LifeCycleInfo.Read.All"}, got); !reflect.DeepEqual(got, []string{"Directory.Read.All", "User-LifeCycleInfo.Read.All"}) {
		t.Errorf("NameInSet: %v", got)
	}
	// A CA policy's restore asks getByIds whether the users and groups it
	// names exist (Directory.Read.All), which also grants Application.Read.All.
	ca, _ := Lookup("conditional-access-policies")
	if got := RestorePermissions([]*Kind{ca}); !reflect.DeepEqual(got, []string{"Directory.Read.All", "Policy.ReadWrite.ConditionalAccess"}) {
		t.Errorf("CA restore set (beyond Policy.Read.All of the export set): %v", got)
	}
}

// A kind's restore permissions hold the reads its restore makes of other
// kinds (importer TestEachKindRestoresWithOnlyItsListedPermissions finds
// them): getByIds for directory references, the advisory reads, and the
// kinds naming an object restore recreates under a new id, which the
// post-restore snapshot records again; a singleton has no such referrers.
func TestKindRestorePermissionsHoldTheReadsOfARestore(t *testing.T) {
	for kind, want := range map[string][]string{
		"conditional-access-policies": {"Directory.Read.All"},
		"applications":                {"Policy.Read.All", "LifecycleWorkflows-CustomExt.Read.All"},
		"terms-of-use":                {"Policy.Read.All"}, // a CA policy's grantControls.termsOfUse
		"user-flow-connections":       {"IdentityProvider.Read.All", "APIConnectors.ReadWrite.All"},
		"users":                       {"Group.Read.All", "RoleManagement.Read.Directory", "EntitlementManagement.Read.All"},
	} {
		k, _ := Lookup(kind)
		for _, p := range want {
			if !slices.Contains(KindRestorePermissions(k), p) && !coveredIn(p, KindRestorePermissions(k)) {
				t.Errorf("%s: restore permissions %v lack %s", kind, KindRestorePermissions(k), p)
			}
		}
	}
	// A permission another of the list grants for every call is not
	// listed again: a CA policy's restore reads the authentication
	// strengths it names with its Policy.Read.All, users' restore the
	// groups and roles naming a user with Directory.Read.All.
	for kind, not := range map[string]string{"conditional-access-policies": "Policy.Read.AuthenticationMethod", "users": "Group.Read.All"} {
		k, _ := Lookup(kind)
		if slices.Contains(KindRestorePermissions(k), not) {
			t.Errorf("%s: restore permissions %v list %s, which another of them covers", kind, KindRestorePermissions(k), not)
		}
	}
	for _, kind := range []string{"authorization-policy", "organization", "api-connectors"} {
		k, _ := Lookup(kind)
		if got := KindRestorePermissions(k); !reflect.DeepEqual(got, k.WritePermissions) {
			t.Errorf("%s: restore permissions %v, want the catalog's %v", kind, got, k.WritePermissions)
		}
	}
	gl, _ := Lookup("group-lifecycle-policies")
	if got := KindRestorePermissions(gl); got == nil || len(got) != 0 {
		t.Errorf("export-only kind: %v", got)
	}
}

// The README's quickstart names the export set.
func TestReadmeNamesTheExportSet(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("no README")
	}
	for _, p := range ExportPermissions(Kinds()) {
		if !strings.Contains(string(b), "`"+p+"`") {
			t.Errorf("README.md does not name %s of the export set", p)
		}
	}
}

// The export set is read-only: a kind Graph reads only with a write
// permission (API connectors: identityapiconnector-list names
// APIConnectors.ReadWrite.All only) is opt-in, its permission is kept out
// of the export set and listed apart (ReadWithWritePermissions), and a
// restore of it needs that permission (the restore set).
func TestReadNeedsWriteKindsStayOutOfTheExportSet(t *testing.T) {
	for _, p := range ExportPermissions(Kinds()) {
		if strings.Contains(p, "Write") {
			t.Errorf("the export set holds the write permission %s", p)
		}
	}
	var marked []string
	for _, k := range Kinds() {
		writes := false
		for _, p := range KindReadPermissions(k) {
			writes = writes || strings.Contains(p, "Write")
		}
		if writes != (k.ReadNeedsWrite != "") {
			t.Errorf("%s: read permissions %v, ReadNeedsWrite %q", k.Name, KindReadPermissions(k), k.ReadNeedsWrite)
		}
		if k.ReadNeedsWrite != "" {
			marked = append(marked, k.Name)
			if k.OptIn == "" {
				t.Errorf("%s needs a write permission to be read but is not opt-in", k.Name)
			}
		}
	}
	if want := []string{"api-connectors", UserFlowConnections}; !reflect.DeepEqual(marked, want) {
		t.Errorf("kinds read with a write permission: %v, want %v", marked, want)
	}
	conn, _ := Lookup("api-connectors")
	if got := ReadWithWritePermissions(Kinds()); !reflect.DeepEqual(got, []string{"APIConnectors.ReadWrite.All", "IdentityUserFlow.ReadWrite.All"}) {
		t.Errorf("ReadWithWritePermissions = %v", got)
	}
	// The default export reads user flows with IdentityUserFlow.Read.All
	// and never holds the write permission their connections need.
	if got := ExportPermissions(Kinds()); slices.Contains(got, "IdentityUserFlow.ReadWrite.All") || !slices.Contains(got, "IdentityUserFlow.Read.All") {
		t.Errorf("ExportPermissions(all kinds) = %v: want IdentityUserFlow.Read.All and not IdentityUserFlow.ReadWrite.All", got)
	}
	if ufc, _ := Lookup(UserFlowConnections); len(ExportPermissions([]*Kind{ufc})) != 0 {
		t.Errorf("ExportPermissions(%s) = %v, want none", UserFlowConnections, ExportPermissions([]*Kind{ufc}))
	}
	if got := ExportPermissions([]*Kind{conn}); len(got) != 0 {
		t.Errorf("ExportPermissions(api-connectors) = %v, want none (the kind is read with a write permission)", got)
	}
	if got := RestorePermissions(Kinds()); !slices.Contains(got, "APIConnectors.ReadWrite.All") {
		t.Errorf("the restore set %v lacks APIConnectors.ReadWrite.All", got)
	}
	var b strings.Builder
	WritePermissions(&b, "AuditLog.Read.All")
	exportPart, _, _ := strings.Cut(b.String(), "Restore")
	if strings.Contains(exportPart, "APIConnectors") || !strings.Contains(b.String(), "api-connectors: APIConnectors.ReadWrite.All") {
		t.Errorf("kinds --permissions:\n%s", b.String())
	}
}
