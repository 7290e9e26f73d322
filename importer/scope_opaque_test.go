package importer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azpolicy "github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/live"
)

// TestPreCheckWithAnOpaqueDelegatedToken: graphsim issues opaque access
// tokens (not JWTs), under realistic throttling, faults, lag and empty
// pages. A helpdesk operator holding User Administrator scoped to an
// administrative unit, and no role that lists role assignments, signs in
// with the device code flow. The token says nothing, so restore asks Graph
// who it is (/me) and, refused the role assignments (403), reads the
// operator's own memberships: the plan is checked against them (RolesFrom
// memberships, said in the rendered plan), the user outside the unit is
// reported before the first write, and apply refuses the plan with nothing
// written. On an app without Directory.Read.All, Graph refuses the scoped
// role memberships too: the plan says plainly that it is not checked, and
// why. The backup app's own (app-only, opaque) token has no signed-in user:
// given as is, Graph is asked once (GET /me: 400); from a credential that
// signs in as an application (graph.Client.AppOnly), it is not asked.
// Names carry hostile strings (RTL mark, quotes, newline, emoji).
func TestPreCheckWithAnOpaqueDelegatedToken(t *testing.T) {
	e := exportedEnv(t, graphsim.Options{Profile: "empty", Seed: 3, OpaqueTokens: true, Now: time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC),
		Throttle: "realistic", FaultRate: 0.05, EventualConsistency: 5 * time.Second, EmptyPages: true}, nil)
	ctx := context.Background()
	tn := e.sim.Tenant()
	seed := func(kind string, obj map[string]any) string {
		t.Helper()
		id, err := tn.Seed(kind, obj)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	user := func(nick, name string) string {
		return seed("user", map[string]any{"displayName": name, "userPrincipalName": nick + "@" + tn.Domain(), "mailNickname": nick,
			"accountEnabled": true, "jobTitle": "Engineer"})
	}
	inName, outName := "Ada \u200f\"Inside\"\n🙂", "Bob 'Outside' ‮"
	inID, outID := user("ada", inName), user("bob", outName)
	opUPN := "helpdesk.op@" + tn.Domain()
	op := user("helpdesk.op", "Helpdesk operator")
	au := seed("administrativeUnit", map[string]any{"displayName": "Helpdesk-EU \u200f"})
	if err := tn.SeedLink("administrativeUnit", au, "members", inID); err != nil {
		t.Fatal(err)
	}
	seed("unifiedRoleAssignment", map[string]any{"principalId": op, "roleDefinitionId": userAdminRole, "directoryScopeId": "/administrativeUnits/" + au})
	app := func(appID, name string, scopes ...string) string {
		seed("application", map[string]any{"displayName": name, "isFallbackPublicClient": true, "appId": appID, "signInAudience": "AzureADMyOrg"})
		seed("servicePrincipal", map[string]any{"appId": appID, "displayName": name, "accountEnabled": true, "servicePrincipalType": "Application"})
		if err := tn.GrantDelegated(appID, scopes...); err != nil {
			t.Fatal(err)
		}
		return appID
	}
	full := app("5e1f0c2a-7d7b-4c1e-9a55-0a6c1d2e3f40", "entrasnap restore", "User.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All")
	narrow := app("5e1f0c2a-7d7b-4c1e-9a55-0a6c1d2e3f41", "entrasnap restore (no directory read)", "User.ReadWrite.All", "Group.ReadWrite.All")
	// Graph's delta leaves out the changes younger than the replication
	// lag (graphsim too, replicatedUpto): a snapshot taken at once would
	// not hold the users just made, and the selectors below would name
	// nothing at REV. An admin's snapshot is taken later than that.
	e.sim.Clock().Advance(6 * time.Second)
	rev := e.baseline("users and the operator")
	for _, id := range []string{inID, outID} {
		e.do("PATCH", "/v1.0/users/"+id, map[string]any{"jobTitle": "corrupted"})
	}
	e.sim.Clock().Advance(time.Minute)

	ts := httptest.NewTLSServer(e.sim)
	t.Cleanup(ts.Close)
	signIn := func(appID string) *graph.Client {
		t.Helper()
		c, err := live.Connection{Auth: live.AuthDeviceCode, TenantID: e.sim.TenantID(), ClientID: appID, GraphURL: ts.URL,
			AuthorityHost: ts.URL, HTTPClient: ts.Client(), Sleep: simtest.Sleep(e.sim),
			Prompt: func(_ context.Context, code live.DeviceCode) error {
				return e.sim.ApproveDeviceCode(code.UserCode, opUPN)
			}}.Client()
		if err != nil {
			t.Fatal(err)
		}
		if tok := c.BearerToken(ctx); tok == "" || isJWT(tok) {
			t.Fatalf("graphsim --opaque-tokens issued a JWT (or nothing): %d characters", len(tok))
		}
		return c
	}
	sel := []string{"users/ada@" + tn.Domain(), "users/bob@" + tn.Domain()}
	planAs := func(c *graph.Client) *Plan {
		t.Helper()
		in, err := Load(ctx, LoadOptions{Client: c, Repo: e.repo, Rev: rev, Selectors: sel, Now: e.now})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		p, err := Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	dc := signIn(full)
	p := planAs(dc)
	if p.SignedIn != opUPN || p.RolesFrom != RolesFromMemberships || len(p.OutOfScope) != 1 {
		t.Fatalf("signed in %q, roles from %q, out of scope %+v; want %s, memberships, the user outside the unit:\n%s", p.SignedIn, p.RolesFrom, p.OutOfScope, opUPN, render(p))
	}
	want := "users/" + outName + ": not in administrative unit Helpdesk-EU \u200f that your User Administrator role is scoped to"
	if got := p.OutOfScope[0].String(); got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	if out := render(p); !strings.Contains(out, "Checked against the directory roles of "+opUPN+" as their own memberships list them") ||
		!strings.Contains(out, "Outside what "+opUPN+" may change") {
		t.Errorf("the rendered plan does not say where the roles came from or what lies outside:\n%s", out)
	}
	_, err := Apply(ctx, p, ApplyOptions{Client: dc, Repo: e.repo, Token: dc.BearerToken(ctx), Sleep: simtest.Sleep(e.sim), Record: e.recordWith(dc), ConsistencyTimeout: time.Minute})
	var se *ScopeError
	if !errors.As(err, &se) || len(se.Notes) != 1 || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("apply: %v, want a ScopeError", err)
	}
	for _, id := range []string{inID, outID} {
		if u, _ := tn.Get("user", id); u["jobTitle"] != "corrupted" {
			t.Errorf("a refused plan wrote: jobTitle of %s is %v", id, u["jobTitle"])
		}
	}

	// Graph refuses the memberships too: said, never silent.
	p = planAs(signIn(narrow))
	warnings := strings.Join(p.Warnings, "\n")
	if p.RolesFrom != "" || len(p.OutOfScope) != 0 ||
		!strings.Contains(warnings, "the plan is not checked against the directory roles of "+opUPN+": they could not be read (Graph lets only Directory Readers, Global Reader or Privileged Role Administrator list role assignments (403), and refused to list your memberships as well (GET /me/") {
		t.Fatalf("memberships refused: roles from %q, out of scope %+v, warnings:\n%s", p.RolesFrom, p.OutOfScope, warnings)
	}
	if out := render(p); !strings.Contains(out, "Not checked against the directory roles of "+opUPN) {
		t.Errorf("the rendered plan does not say it is not checked:\n%s", out)
	}

	// The backup app's opaque app-only token: no signed-in user. Given as
	// is, the token does not say so: Graph is asked (GET /me: 400), once.
	// From a credential that signs in as an application (a client secret,
	// a certificate, ...: graph.Client.AppOnly) it is not asked at all.
	var mu sync.Mutex
	me, meAnswered := 0, 0 // GET /me sent; answered (not a fault or a 429 the client retries)
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(strings.TrimPrefix(r.URL.Path, "/v1.0"), "/me") {
			e.sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.sim.ServeHTTP(rec, r)
		mu.Lock()
		me++
		if rec.Code != http.StatusTooManyRequests && rec.Code < 500 {
			meAnswered++
		}
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(counted.Close)
	asIs, err := graph.New(graph.Config{BaseURL: counted.URL, AccessToken: e.sim.Token(), Sleep: simtest.Sleep(e.sim)})
	if err != nil {
		t.Fatal(err)
	}
	if p := planAs(asIs); p.SignedIn != "" || p.RolesFrom != "" || meAnswered != 1 {
		t.Errorf("app-only opaque token given as is: signed in %q, roles from %q, %d GET /me answered (want 1)", p.SignedIn, p.RolesFrom, meAnswered)
	}
	me = 0
	appOnly, err := graph.New(graph.Config{BaseURL: counted.URL, Credential: staticCredential(e.sim.Token()), AppOnly: true, Sleep: simtest.Sleep(e.sim)})
	if err != nil {
		t.Fatal(err)
	}
	if tok := appOnly.BearerToken(ctx); tok == "" || isJWT(tok) || !appOnly.AppOnly() {
		t.Fatalf("the app-only credential's token: %d characters, JWT %v, AppOnly %v", len(tok), isJWT(tok), appOnly.AppOnly())
	}
	if p := planAs(appOnly); p.SignedIn != "" || p.RolesFrom != "" || me != 0 {
		t.Errorf("app-only credential: signed in %q, roles from %q, %d GET /me (want none)", p.SignedIn, p.RolesFrom, me)
	}
}

// staticCredential is an azcore credential that always gives token, as a
// client secret's credential gives the token endpoint's answer.
type staticCredential string

func (s staticCredential) GetToken(context.Context, azpolicy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}
