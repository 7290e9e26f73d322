package conformance_test

import (
	"net/http"
	"strings"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

func TestUsersLifecycle(t *testing.T) {
	e := newEnv(t)
	// The empty profile may hold users of its own (the first admin).
	base := e.s.Tenant().Count("user")
	want := base + 251
	seeded := e.seedUsers(250, "bulk")

	// Create: 201 parsed into a typed user. Graph answers a create with the
	// default property set (no createdDateTime) and never returns the password.
	created := e.createUser("adele")
	id := deref(created.GetId())
	if len(id) != 36 {
		t.Fatalf("created user id = %q, want a GUID", id)
	}
	if got := deref(created.GetUserPrincipalName()); got != "adele@"+domain {
		t.Errorf("created userPrincipalName = %q", got)
	}
	if got := deref(created.GetDisplayName()); got != "User adele" {
		t.Errorf("created displayName = %q", got)
	}
	if created.GetPasswordProfile() != nil {
		t.Errorf("create answer carries passwordProfile: write-only properties must never be returned")
	}
	if created.GetCreatedDateTime() != nil {
		t.Errorf("create answer carries createdDateTime %v; Graph's create answer is the default property set", created.GetCreatedDateTime())
	}

	t.Run("list all pages with PageIterator", func(t *testing.T) {
		e.s.ResetStats()
		first, err := e.client.Users().Get(e.ctx, nil)
		must(t, "list users", err)
		if n := len(first.GetValue()); n != 100 {
			t.Errorf("first page holds %d users, want the default page size 100", n)
		}
		if first.GetOdataNextLink() == nil {
			t.Fatal("first page of 251 users has no @odata.nextLink")
		}
		it, err := msgraphgocore.NewPageIterator[models.Userable](first, e.adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
		must(t, "page iterator", err)
		seen := map[string]bool{}
		err = it.Iterate(e.ctx, func(u models.Userable) bool {
			if seen[deref(u.GetId())] {
				t.Errorf("user %s returned twice", deref(u.GetId()))
			}
			seen[deref(u.GetId())] = true
			return true
		})
		must(t, "iterate", err)
		if len(seen) != want {
			t.Errorf("iterated %d users, want %d (%d from the profile + 250 seeded + 1 created)", len(seen), want, base)
		}
		for _, sid := range append(seeded, id) {
			if !seen[sid] {
				t.Errorf("user %s missing from the listing", sid)
			}
		}
		if got, pages := requestsTo(e, "GET", "/users"), (want+99)/100; got != pages {
			t.Errorf("listing %d users took %d GET /users requests, want %d pages", want, got, pages)
		}
	})

	t.Run("top 999 is one page", func(t *testing.T) {
		page, err := e.client.Users().Get(e.ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(999))},
		})
		must(t, "list users $top=999", err)
		if n := len(page.GetValue()); n != want || page.GetOdataNextLink() != nil {
			t.Errorf("$top=999 gave %d users and nextLink %v, want %d and none", n, page.GetOdataNextLink(), want)
		}
	})

	t.Run("get by id", func(t *testing.T) {
		u, err := e.client.Users().ByUserId(id).Get(e.ctx, nil)
		must(t, "get user", err)
		if deref(u.GetId()) != id || deref(u.GetUserPrincipalName()) != "adele@"+domain {
			t.Errorf("get = %s %s", deref(u.GetId()), deref(u.GetUserPrincipalName()))
		}
		u, err = e.client.Users().ByUserId(id).Get(e.ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "createdDateTime", "accountEnabled", "userType"}},
		})
		must(t, "get user $select", err)
		if u.GetCreatedDateTime() == nil || u.GetCreatedDateTime().IsZero() {
			t.Errorf("$select=createdDateTime: createdDateTime not parsed")
		}
		if !deref(u.GetAccountEnabled()) || deref(u.GetUserType()) != "Member" {
			t.Errorf("accountEnabled=%v userType=%q, want true Member", deref(u.GetAccountEnabled()), deref(u.GetUserType()))
		}
		if u.GetDisplayName() != nil {
			t.Errorf("$select without displayName returned displayName %q", deref(u.GetDisplayName()))
		}
	})

	t.Run("filter and select", func(t *testing.T) {
		tests := []struct {
			filter string
			want   int
		}{
			{"startswith(displayName,'bulk 01')", 10},
			{"userPrincipalName eq 'bulk007@" + domain + "'", 1},
			{"accountEnabled eq true", want - disabled(e)},
			{"displayName eq 'nobody'", 0},
		}
		for _, tc := range tests {
			page, err := e.client.Users().Get(e.ctx, &users.UsersRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
					Filter: ptr(tc.filter), Select: []string{"id", "displayName"}, Top: ptr(int32(999)),
				},
			})
			must(t, "filter "+tc.filter, err)
			if n := len(page.GetValue()); n != tc.want {
				t.Errorf("$filter=%s: %d users, want %d", tc.filter, n, tc.want)
			}
			for _, u := range page.GetValue() {
				if u.GetId() == nil || u.GetDisplayName() == nil {
					t.Errorf("$filter=%s: selected id/displayName missing", tc.filter)
				}
				if u.GetUserPrincipalName() != nil {
					t.Errorf("$filter=%s: userPrincipalName returned although not selected", tc.filter)
				}
			}
		}
	})

	t.Run("update then get", func(t *testing.T) {
		patch := models.NewUser()
		patch.SetJobTitle(ptr("Retail Manager"))
		patch.SetDepartment(ptr("Sales & Marketing"))
		patch.SetBusinessPhones([]string{"+1 425 555 0109"})
		_, err := e.client.Users().ByUserId(id).Patch(e.ctx, patch, nil)
		must(t, "patch user", err)
		u, err := e.client.Users().ByUserId(id).Get(e.ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"jobTitle", "department", "businessPhones", "displayName"}},
		})
		must(t, "get after patch", err)
		if deref(u.GetJobTitle()) != "Retail Manager" || deref(u.GetDepartment()) != "Sales & Marketing" {
			t.Errorf("after patch jobTitle=%q department=%q", deref(u.GetJobTitle()), deref(u.GetDepartment()))
		}
		if got := u.GetBusinessPhones(); len(got) != 1 || got[0] != "+1 425 555 0109" {
			t.Errorf("after patch businessPhones=%v", got)
		}
		if deref(u.GetDisplayName()) != "User adele" {
			t.Errorf("patch changed displayName to %q", deref(u.GetDisplayName()))
		}
	})

	t.Run("write errors", func(t *testing.T) {
		dup := models.NewUser()
		dup.SetAccountEnabled(ptr(true))
		dup.SetDisplayName(ptr("Dup"))
		dup.SetMailNickname(ptr("dup"))
		dup.SetUserPrincipalName(ptr("adele@" + domain))
		pp := models.NewPasswordProfile()
		pp.SetPassword(ptr("xWwvJ]6NMw+bWH-d"))
		dup.SetPasswordProfile(pp)
		_, err := e.client.Users().Post(e.ctx, dup, nil)
		msg := requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		if msg != "Another object with the same value for property userPrincipalName already exists." {
			t.Errorf("duplicate UPN message = %q", msg)
		}
		missing := models.NewUser()
		missing.SetDisplayName(ptr("No UPN"))
		_, err = e.client.Users().Post(e.ctx, missing, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		_, err = e.client.Users().ByUserId("00000000-0000-0000-0000-00000000dead").Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})

	t.Run("delete, deleted items, restore", func(t *testing.T) {
		must(t, "delete user", e.client.Users().ByUserId(id).Delete(e.ctx, nil))
		_, err := e.client.Users().ByUserId(id).Get(e.ctx, nil)
		msg := requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
		if !strings.Contains(msg, id) {
			t.Errorf("not-found message %q does not name the id %s", msg, id)
		}

		deleted, err := e.client.Directory().DeletedItems().GraphUser().Get(e.ctx, nil)
		must(t, "list deleted users", err)
		var found models.Userable
		for _, u := range deleted.GetValue() {
			if deref(u.GetId()) == id {
				found = u
			}
		}
		if found == nil {
			t.Fatalf("deleted user %s not in /directory/deletedItems/microsoft.graph.user (%d items)", id, len(deleted.GetValue()))
		}
		if found.GetDeletedDateTime() == nil {
			t.Errorf("deleted user has no deletedDateTime")
		}
		if deref(found.GetUserPrincipalName()) != "adele@"+domain {
			t.Errorf("deleted user userPrincipalName = %q", deref(found.GetUserPrincipalName()))
		}

		item, err := e.client.Directory().DeletedItems().ByDirectoryObjectId(id).Get(e.ctx, nil)
		must(t, "get deleted item", err)
		if _, ok := item.(models.Userable); !ok {
			t.Errorf("deleted item parsed as %T, want a models.Userable (from @odata.type)", item)
		}

		restored, err := e.client.Directory().DeletedItems().ByDirectoryObjectId(id).Restore().Post(e.ctx, nil)
		must(t, "restore user", err)
		if deref(restored.GetId()) != id {
			t.Errorf("restore returned id %q, want %q", deref(restored.GetId()), id)
		}
		if ru, ok := restored.(models.Userable); !ok {
			t.Errorf("restore answer parsed as %T, want models.Userable", restored)
		} else if deref(ru.GetUserPrincipalName()) != "adele@"+domain {
			t.Errorf("restored userPrincipalName = %q", deref(ru.GetUserPrincipalName()))
		}
		u, err := e.client.Users().ByUserId(id).Get(e.ctx, nil)
		must(t, "get restored user", err)
		if deref(u.GetId()) != id {
			t.Errorf("restored user id = %q", deref(u.GetId()))
		}
		deleted, err = e.client.Directory().DeletedItems().GraphUser().Get(e.ctx, nil)
		must(t, "list deleted users after restore", err)
		for _, d := range deleted.GetValue() {
			if deref(d.GetId()) == id {
				t.Errorf("restored user %s still listed in deletedItems", id)
			}
		}
		_, err = e.client.Directory().DeletedItems().ByDirectoryObjectId(id).Restore().Post(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})

	t.Run("count needs ConsistencyLevel", func(t *testing.T) {
		_, err := e.client.Users().Count().Get(e.ctx, nil)
		msg := requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
		if msg != "$count is not currently supported." {
			t.Errorf("$count message = %q", msg)
		}
		h := abstractions.NewRequestHeaders()
		h.Add("ConsistencyLevel", "eventual")
		n, err := e.client.Users().Count().Get(e.ctx, &users.CountRequestBuilderGetRequestConfiguration{Headers: h})
		must(t, "users/$count", err)
		if deref(n) != int32(want) {
			t.Errorf("users/$count = %d, want %d", deref(n), want)
		}
	})
}

// disabled counts the tenant's users with accountEnabled false.
func disabled(e *env) int {
	n := 0
	for _, u := range e.s.Tenant().List("user") {
		if b, ok := u["accountEnabled"].(bool); ok && !b {
			n++
		}
	}
	return n
}

// requestsTo counts the requests graphsim served for method and path template.
func requestsTo(e *env, method, path string) int {
	n := 0
	for _, ep := range e.s.Stats().Endpoints {
		if ep.Method == method && ep.Path == path {
			n += ep.Requests
		}
	}
	return n
}
