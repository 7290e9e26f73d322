package conformance_test

import (
	"net/http"
	"sort"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

func TestGroupsMembershipAndOwners(t *testing.T) {
	e := newEnv(t)
	g := e.createGroup("finance")
	gid := deref(g.GetId())
	if len(gid) != 36 {
		t.Fatalf("group id = %q, want a GUID", gid)
	}
	if deref(g.GetMailNickname()) != "finance" || !deref(g.GetSecurityEnabled()) || deref(g.GetMailEnabled()) {
		t.Errorf("created group = nick %q securityEnabled %v mailEnabled %v", deref(g.GetMailNickname()), deref(g.GetSecurityEnabled()), deref(g.GetMailEnabled()))
	}
	if g.GetCreatedDateTime() == nil {
		t.Errorf("created group has no createdDateTime")
	}
	if g.GetGroupTypes() == nil || len(g.GetGroupTypes()) != 0 {
		t.Errorf("security group groupTypes = %v, want []", g.GetGroupTypes())
	}
	alice := deref(e.createUser("alice").GetId())
	bob := deref(e.createUser("bob").GetId())
	nested := deref(e.createGroup("nested").GetId())

	members := e.client.Groups().ByGroupId(gid).Members()
	for _, id := range []string{alice, bob, nested} {
		must(t, "add member "+id, members.Ref().Post(e.ctx, e.refBody(id), nil))
	}

	t.Run("list members typed", func(t *testing.T) {
		page, err := members.Get(e.ctx, nil)
		must(t, "list members", err)
		var userIDs, groupIDs []string
		for _, m := range page.GetValue() {
			switch v := m.(type) {
			case models.Userable:
				userIDs = append(userIDs, deref(v.GetId()))
				if v.GetUserPrincipalName() == nil {
					t.Errorf("member user %s parsed without userPrincipalName", deref(v.GetId()))
				}
			case models.Groupable:
				groupIDs = append(groupIDs, deref(v.GetId()))
			default:
				t.Errorf("member %s parsed as %T (@odata.type %q), want user or group", deref(m.GetId()), m, deref(m.GetOdataType()))
			}
		}
		if !equalFoldSet(userIDs, []string{alice, bob}) || !equalFoldSet(groupIDs, []string{nested}) {
			t.Errorf("members: users %v groups %v, want users [%s %s] groups [%s]", userIDs, groupIDs, alice, bob, nested)
		}
		onlyUsers, err := members.GraphUser().Get(e.ctx, nil)
		must(t, "list members/graph.user", err)
		var ids []string
		for _, u := range onlyUsers.GetValue() {
			ids = append(ids, deref(u.GetId()))
		}
		if !equalFoldSet(ids, []string{alice, bob}) {
			t.Errorf("members/microsoft.graph.user = %v, want [%s %s]", ids, alice, bob)
		}
	})

	t.Run("duplicate add", func(t *testing.T) {
		err := members.Ref().Post(e.ctx, e.refBody(alice), nil)
		msg := requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		if want := "One or more added object references already exist for the following modified properties: 'members'."; msg != want {
			t.Errorf("duplicate add message = %q, want %q", msg, want)
		}
	})

	t.Run("add missing object", func(t *testing.T) {
		err := members.Ref().Post(e.ctx, e.refBody("6b7a1b0e-0000-4000-8000-000000000000"), nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})

	t.Run("remove member", func(t *testing.T) {
		must(t, "remove bob", members.ByDirectoryObjectId(bob).Ref().Delete(e.ctx, nil))
		page, err := members.Get(e.ctx, nil)
		must(t, "list members", err)
		var ids []string
		for _, m := range page.GetValue() {
			ids = append(ids, deref(m.GetId()))
		}
		if !equalFoldSet(ids, []string{alice, nested}) {
			t.Errorf("after removing bob members = %v", ids)
		}
		err = members.ByDirectoryObjectId(bob).Ref().Delete(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})

	t.Run("members@odata.bind", func(t *testing.T) {
		patch := models.NewGroup()
		patch.SetAdditionalData(map[string]any{"members@odata.bind": []any{
			"https://graph.microsoft.com/v1.0/directoryObjects/" + bob,
		}})
		_, err := e.client.Groups().ByGroupId(gid).Patch(e.ctx, patch, nil)
		must(t, "patch members@odata.bind", err)
		var ids []string
		page, err := members.Get(e.ctx, nil)
		must(t, "list members", err)
		for _, m := range page.GetValue() {
			ids = append(ids, deref(m.GetId()))
		}
		if !equalFoldSet(ids, []string{alice, bob, nested}) {
			t.Errorf("after bind members = %v", ids)
		}
		var many []any
		for _, id := range e.seedUsers(21, "bind") {
			many = append(many, "https://graph.microsoft.com/v1.0/directoryObjects/"+id)
		}
		patch = models.NewGroup()
		patch.SetAdditionalData(map[string]any{"members@odata.bind": many})
		_, err = e.client.Groups().ByGroupId(gid).Patch(e.ctx, patch, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})

	t.Run("owners", func(t *testing.T) {
		owners := e.client.Groups().ByGroupId(gid).Owners()
		must(t, "add owner", owners.Ref().Post(e.ctx, e.refBody(bob), nil))
		page, err := owners.Get(e.ctx, nil)
		must(t, "list owners", err)
		if len(page.GetValue()) != 1 {
			t.Fatalf("owners = %d, want 1", len(page.GetValue()))
		}
		if u, ok := page.GetValue()[0].(models.Userable); !ok || deref(u.GetId()) != bob {
			t.Errorf("owner parsed as %T id %s, want user %s", page.GetValue()[0], deref(page.GetValue()[0].GetId()), bob)
		}
		err = owners.Ref().Post(e.ctx, e.refBody(bob), nil)
		msg := requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		if want := "One or more added object references already exist for the following modified properties: 'owners'."; msg != want {
			t.Errorf("duplicate owner message = %q", msg)
		}
		// The last owner of a group stays (learn:/graph/api/group-delete-owners):
		// a second owner first, then the first can go.
		err = owners.ByDirectoryObjectId(bob).Ref().Delete(e.ctx, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		must(t, "add second owner", owners.Ref().Post(e.ctx, e.refBody(alice), nil))
		must(t, "remove owner", owners.ByDirectoryObjectId(bob).Ref().Delete(e.ctx, nil))
		page, err = owners.Get(e.ctx, nil)
		must(t, "list owners", err)
		if len(page.GetValue()) != 1 {
			t.Errorf("owners after removal = %d", len(page.GetValue()))
		}
	})

	t.Run("update, delete and restore", func(t *testing.T) {
		patch := models.NewGroup()
		patch.SetDescription(ptr("Finance team"))
		_, err := e.client.Groups().ByGroupId(gid).Patch(e.ctx, patch, nil)
		must(t, "patch group", err)
		got, err := e.client.Groups().ByGroupId(gid).Get(e.ctx, nil)
		must(t, "get group", err)
		if deref(got.GetDescription()) != "Finance team" || deref(got.GetDisplayName()) != "Group finance" {
			t.Errorf("after patch description=%q displayName=%q", deref(got.GetDescription()), deref(got.GetDisplayName()))
		}
		must(t, "delete group", e.client.Groups().ByGroupId(gid).Delete(e.ctx, nil))
		_, err = e.client.Groups().ByGroupId(gid).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
		deleted, err := e.client.Directory().DeletedItems().GraphGroup().Get(e.ctx, nil)
		must(t, "list deleted groups", err)
		var ids []string
		for _, d := range deleted.GetValue() {
			ids = append(ids, deref(d.GetId()))
		}
		if !equalFoldSet(ids, []string{gid}) {
			t.Errorf("deleted groups = %v, want [%s]", ids, gid)
		}
		restored, err := e.client.Directory().DeletedItems().ByDirectoryObjectId(gid).Restore().Post(e.ctx, nil)
		must(t, "restore group", err)
		if rg, ok := restored.(models.Groupable); !ok || deref(rg.GetId()) != gid {
			t.Fatalf("restore answer %T id %s, want group %s", restored, deref(restored.GetId()), gid)
		}
		page, err := e.client.Groups().ByGroupId(gid).Members().Get(e.ctx, nil)
		must(t, "members after restore", err)
		ids = ids[:0]
		for _, m := range page.GetValue() {
			ids = append(ids, deref(m.GetId()))
		}
		sort.Strings(ids)
		if !equalFoldSet(ids, []string{alice, bob, nested}) {
			t.Errorf("members after restore = %v, want the members before delete", ids)
		}
	})
}
