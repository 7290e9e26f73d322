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
	ca, _ := Lookup("conditional-access-policies")
	if got := RestorePermissions([]*Kind{ca}); !reflect.DeepEqual(got, []string{"Application.Read.All", "Policy.ReadWrite.ConditionalAccess"}) {
		t.Errorf("CA restore set (beyond Policy.Read.All of the export set): %v", got)
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
