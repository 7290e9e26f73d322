package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Devices and organizational contacts are group members the export keeps
// as references ({id, @odata.type}); devices are not backed up, contacts
// are (export-only kind organizational-contacts, folder contacts/): check
// reports neither as a dangling reference (the demo has both), and
// resolves a contact member to its file.
func TestCheckKeepsDeviceAndContactMembersAsExternalReferences(t *testing.T) {
	f := newDriftFixture(t, nil)
	var ids []string
	for _, typ := range []string{"#microsoft.graph.device", "#microsoft.graph.orgContact"} {
		grp := firstFile(t, f.repo, "groups", "\"@odata.type\": \""+typ+"\"")
		data, err := os.ReadFile(filepath.Join(f.repo, grp))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`"@odata\.type": "` + regexp.QuoteMeta(typ) + `"\n\s+id: "([0-9a-f-]{36})"`).FindStringSubmatch(string(data))
		if m == nil {
			t.Fatalf("%s: no %s member with its id:\n%s", grp, typ, data)
		}
		ids = append(ids, m[1])
	}
	contactFile := false
	for _, p := range strings.Fields(gitCLI(t, f.repo, "ls-files")) {
		if strings.HasPrefix(p, "devices/") {
			t.Errorf("%s: devices are not exported as objects", p)
		}
		contactFile = contactFile || strings.HasPrefix(p, "contacts/") && strings.HasSuffix(p, "."+ids[1]+".yaml")
	}
	if !contactFile {
		t.Errorf("the contact member %s has no file under contacts/", ids[1])
	}
	code, out, errOut := runCLI(t, "check", "--repo", f.repo)
	if code != exitOK {
		t.Fatalf("check: code %d\n%s\n%s", code, out, errOut)
	}
	for _, id := range ids {
		if strings.Contains(out+errOut, id) {
			t.Errorf("check reports the device or contact member %s:\n%s%s", id, out, errOut)
		}
	}
}

// Re-inviting a purged guest (POST /invitations) needs User.Invite.All or
// a higher one, User.ReadWrite.All: the restore set holds the latter for
// users anyway, so it names no separate User.Invite.All.
func TestKindsPermissionsGrantReinvitation(t *testing.T) {
	code, out, errOut := runCLI(t, "kinds", "--permissions")
	_, restore, ok := strings.Cut(out, "Restore")
	if code != exitOK || !ok || !strings.Contains(restore, "User.ReadWrite.All") || strings.Contains(restore, "User.Invite.All") {
		t.Errorf("kinds --permissions: code %d\n%s%s", code, out, errOut)
	}
}
