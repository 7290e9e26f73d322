package live

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// A refusal naming permissions says what to do by the token refused: the
// app's application permission for an app-only token (or one that does
// not say), the scope or the signed-in user's role for a delegated one.
func TestRemedyPerToken(t *testing.T) {
	for _, tc := range []struct {
		ke         KindError
		want, dont []string
	}{
		{KindError{Permissions: []string{"Policy.Read.All"}, Token: TokenApp},
			[]string{"grant the application permission Policy.Read.All to the app"}, []string{"signed-in user"}},
		{KindError{Permissions: []string{"Policy.Read.All"}},
			[]string{"grant the application permission Policy.Read.All to the app"}, []string{"signed-in user"}},
		{KindError{Permissions: []string{"Policy.Read.All"}, Token: TokenDelegated},
			[]string{"does not carry the delegated permission Policy.Read.All", "consent"}, []string{"application permission"}},
		{KindError{Permissions: []string{"RoleManagement.Read.Directory"}, Token: TokenDelegated, Scoped: true},
			[]string{"carries the delegated permission RoleManagement.Read.Directory", "lacks a directory role"}, []string{"application permission", "consent"}},
		{KindError{Token: TokenDelegated}, nil, nil},
	} {
		got := tc.ke.Remedy()
		if (len(tc.want) == 0) != (got == "") {
			t.Errorf("%+v: remedy %q", tc.ke, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: remedy %q lacks %q", tc.ke, got, w)
			}
		}
		for _, d := range tc.dont {
			if strings.Contains(got, d) {
				t.Errorf("%+v: remedy %q says %q", tc.ke, got, d)
			}
		}
	}
}

// A read refused to a signed-in user (device code) is worded for the
// user's token: Conditional Access without its scope (Policy.Read.All,
// not consented: the app's consent), role assignments with their scope
// but no directory role (the user's role), never as an application
// permission to grant.
func TestDelegatedRefusalWordedForTheUser(t *testing.T) {
	const appID = "6f1e2d3c-0000-4000-8000-00000000d0c1"
	sim, ts, upn, _ := signInTenant(t, map[string]any{"appId": appID, "isFallbackPublicClient": true}, "helpdesk.op", "Helpdesk \"op\" \u200f🙂")
	if err := sim.Tenant().GrantDelegated(appID, "RoleManagement.Read.Directory"); err != nil {
		t.Fatal(err)
	}
	cn := Connection{Auth: AuthDeviceCode, TenantID: sim.TenantID(), ClientID: appID, GraphURL: ts.URL, AuthorityHost: ts.URL,
		HTTPClient: ts.Client(), Prompt: func(ctx context.Context, dc DeviceCode) error { return sim.ApproveDeviceCode(dc.UserCode, upn) }}
	c, err := cn.Client()
	if err != nil {
		t.Fatal(err)
	}
	kinds, err := layout.Select([]string{"conditional-access-policies", "role-assignments"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Read(t.Context(), ReadOptions{Client: c, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		scoped bool
		says   string
	}{
		"conditional-access-policies": {false, "does not carry the delegated permission Policy.Read.All"},
		"role-assignments":            {true, "so the user lacks a directory role"},
	}
	for _, kr := range l.Kinds {
		w, ok := want[kr.Kind]
		if !ok {
			continue
		}
		delete(want, kr.Kind)
		var ke *KindError
		if kr.Complete || !errors.As(kr.Err, &ke) || ke.Status != 403 {
			t.Errorf("%s: complete %v, error %v: want a 403", kr.Kind, kr.Complete, kr.Err)
			continue
		}
		if msg := ke.Error(); ke.Token != TokenDelegated || ke.Scoped != w.scoped || !strings.Contains(msg, w.says) || strings.Contains(msg, "application permission") {
			t.Errorf("%s: token %q scoped %v, error:\n%s", kr.Kind, ke.Token, ke.Scoped, msg)
		}
	}
	if len(want) > 0 {
		t.Errorf("not read: %v", want)
	}
}
