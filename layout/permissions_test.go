package layout

import (
	"os"
	"reflect"
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
