package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// PIM role settings are restorable but never created or deleted: `kinds`
// says so, and why, in its text and its JSON.
func TestKindsSayRoleSettingsAreUpdateOnly(t *testing.T) {
	code, out, errOut := runCLI(t, "kinds")
	if code != exitOK {
		t.Fatalf("code %d: %s", code, errOut)
	}
	if !strings.Contains(out, "role-management-policies: update only: Graph makes one policy per role") ||
		!strings.Contains(out, "RoleManagementPolicy.ReadWrite.Directory,Directory.Read.All (update only, see below)") {
		t.Errorf("kinds does not say role settings are update only:\n%s", out)
	}
	code, out, errOut = runCLI(t, "kinds", "--json")
	if code != exitOK {
		t.Fatalf("code %d: %s", code, errOut)
	}
	var infos []kindJSON
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		t.Fatal(err)
	}
	for _, ki := range infos {
		if ki.Kind == "role-management-policies" {
			if ki.Restore != "restorable" || !strings.Contains(ki.RestoreNote, "creates or deletes none") {
				t.Errorf("kinds --json: %+v", ki)
			}
			return
		}
	}
	t.Error("kinds --json has no role-management-policies")
}
