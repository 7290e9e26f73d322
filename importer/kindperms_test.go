package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// kindPermsChange changes, as an administrator would, one object of each
// restorable kind that restore does not recreate (singletons, update-only
// kinds, kinds Graph never deletes): TestEachKindRestoresWithOnlyItsListedPermissions
// restores it. The creatable kinds (creatableKinds) need no entry: one
// object is deleted for good.
var kindPermsChange = map[string]func(e *env){
	"organization": func(e *env) {
		org := e.list("/v1.0/organization")[0]
		e.do("PATCH", "/v1.0/organization/"+str(org["id"]), map[string]any{"marketingNotificationEmails": []any{"changed@example.com"}})
	},
	"domains": func(e *env) {
		dom := e.list("/v1.0/domains")[0]
		e.do("PATCH", "/v1.0/domains/"+str(dom["id"]), map[string]any{"passwordValidityPeriodInDays": 42})
	},
	"authorization-policy": func(e *env) {
		e.do("PATCH", "/v1.0/policies/authorizationPolicy", map[string]any{"allowedToUseSSPR": e.get("/v1.0/policies/authorizationPolicy")["allowedToUseSSPR"] != true})
	},
	"security-defaults": func(e *env) {
		p := "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
		e.do("PATCH", p, map[string]any{"isEnabled": e.get(p)["isEnabled"] != true})
	},
	"authentication-methods-policy": func(e *env) {
		e.do("PATCH", "/v1.0/policies/authenticationMethodsPolicy", map[string]any{"registrationEnforcement": map[string]any{
			"authenticationMethodsRegistrationCampaign": map[string]any{"snoozeDurationInDays": 13}}})
	},
	"authentication-method-configurations": func(e *env) {
		p := "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2"
		state := "enabled"
		if e.get(p)["state"] == "enabled" {
			state = "disabled"
		}
		e.do("PATCH", p, map[string]any{"@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration", "state": state})
	},
	"cross-tenant-access-policy": func(e *env) {
		e.do("PATCH", "/v1.0/policies/crossTenantAccessPolicy", map[string]any{"displayName": "changed"})
	},
	"cross-tenant-access-default": func(e *env) {
		p := "/v1.0/policies/crossTenantAccessPolicy/default"
		e.do("PATCH", p, map[string]any{"inboundTrust": map[string]any{"isMfaAccepted": dig(e.get(p), "inboundTrust", "isMfaAccepted") != true}})
	},
	"admin-consent-request-policy": changeNewPolicySingletons,
	"tenant-app-management-policy": changeNewPolicySingletons,
	"authentication-flows-policy":  changeNewPolicySingletons,
	"device-registration-policy":   changeNewPolicySingletons,
	"attribute-sets": func(e *env) {
		e.do("PATCH", "/v1.0/directory/attributeSets/HR", map[string]any{"description": "changed"})
	},
	"custom-security-attributes": func(e *env) {
		e.do("PATCH", csaDefs+"/HR_CostCenter", map[string]any{"description": "changed"})
	},
	"identity-providers": func(e *env) {
		e.do("PATCH", "/v1.0/identity/identityProviders/Google-OAUTH", map[string]any{"displayName": "changed"})
	},
	"api-connectors": func(e *env) {
		e.do("PATCH", connColl+"/"+str(e.list(connColl)[0]["id"]), map[string]any{"targetUrl": "https://changed.example/api"})
	},
	layout.UserFlowConnections: func(e *env) {
		e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postAttributeCollection/$ref", map[string]any{})
	},
	"role-management-policies": changeRoleSettings,
	"directory-roles": func(e *env) {
		for _, r := range e.list("/v1.0/directoryRoles") {
			for _, m := range e.list("/v1.0/directoryRoles/" + str(r["id"]) + "/members?$select=id") {
				e.do("DELETE", "/v1.0/directoryRoles/"+str(r["id"])+"/members/"+str(m["id"])+"/$ref", nil)
				return
			}
		}
		e.t.Fatal("no directory role of the demo tenant has a member")
	},
	"on-premises-sync": func(e *env) {
		e.do("PATCH", "/v1.0/directory/onPremisesSynchronization/"+e.sim.TenantID(), map[string]any{
			"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"synchronizationPreventionType": "disabled"}}})
	},
	"entitlement-management-settings": func(e *env) {
		e.do("PATCH", emColl+"settings", map[string]any{"externalUserLifecycleAction": "blockSignIn"})
	},
	"external-identities-policy": func(e *env) {
		p := "/beta/policies/externalIdentitiesPolicy"
		e.do("PATCH", p, map[string]any{"allowExternalIdentitiesToLeave": e.get(p)["allowExternalIdentitiesToLeave"] != true})
	},
	"lifecycle-workflow-settings": func(e *env) {
		e.do("PATCH", "/v1.0/identityGovernance/lifecycleWorkflows/settings", map[string]any{"workflowScheduleIntervalInHours": 9})
	},
	"branding": func(e *env) {
		org := e.list("/v1.0/organization")[0]
		if _, err := e.c.Do(context.Background(), "PUT", "/v1.0/organization/"+str(org["id"])+"/branding/localizations/0/bannerLogo",
			testPNG(e.t.(*testing.T), color.RGBA{9, 9, 9, 255}), graph.WithHeader("Content-Type", "image/png")); err != nil {
			e.t.Fatal(err)
		}
	},
	"per-user-mfa": func(e *env) {
		for _, u := range e.list("/v1.0/users?$select=id") {
			r := e.get("/beta/users/" + str(u["id"]) + "/authentication/requirements")
			if r["perUserMfaState"] == "enforced" || r["perUserMfaState"] == "enabled" {
				e.do("PATCH", "/beta/users/"+str(u["id"])+"/authentication/requirements", map[string]any{"perUserMfaState": "disabled"})
				return
			}
		}
		e.t.Fatal("no user of the demo tenant has per-user MFA on")
	},
	csaKind: func(e *env) {
		for _, u := range e.list("/v1.0/users?$select=id,customSecurityAttributes") {
			if u["customSecurityAttributes"] != nil {
				e.do("PATCH", "/v1.0/users/"+str(u["id"]), csaSetBody("HR", "CostCenter", "changed"))
				return
			}
		}
		e.t.Fatal("no user of the demo tenant has custom security attribute values")
	},
	"service-principal-security-attributes": func(e *env) {
		for _, s := range e.list("/v1.0/servicePrincipals?$select=id,customSecurityAttributes") {
			if s["customSecurityAttributes"] != nil {
				e.do("PATCH", "/v1.0/servicePrincipals/"+str(s["id"]), csaSetBody("HR", "CostCenter", "changed"))
				return
			}
		}
		e.t.Fatal("no service principal of the demo tenant has custom security attribute values")
	},
}

// kindPermsSkipped are the restorable kinds TestEachKindRestoresWithOnlyItsListedPermissions
// does not restore, each with why and where its permissions are checked
// instead.
var kindPermsSkipped = map[string]string{
	"directory-roles": "never written for itself: a restore activates a role's template when an administrative unit's scoped role member needs it " +
		"(importer roles.go), which the administrative-units row does with that kind's permissions (its restore permissions hold RoleManagement.ReadWrite.Directory)",
}

// kindPermsShort are the kinds the test restores under -short: one of each
// shape (a kind with references and AND-requirements, a singleton, a
// membership-bearing kind, an opt-in kind read with a write permission, a
// kind changed because Graph will not delete it while named, a
// delegated-only kind named by others);
// the full run restores every kind.
var kindPermsShort = []string{"conditional-access-policies", "groups", "authorization-policy", "api-connectors", "access-packages", "terms-of-use"}

// Each kind is exported, and each restorable one then restored (plan, apply, verify),
// by an app whose token holds ONLY the permissions `entrasnap kinds` lists
// for that kind (kinds --json: readPermissions, then restorePermissions):
// a kind whose export or restore needs one permission more than the
// catalog says fails here, as it would in a tenant whose administrator
// granted exactly what the documentation lists. The test is driven by the
// catalog: a new restorable kind is restored here without an entry, when
// restore recreates it, or fails until kindPermsChange says how to change
// it (or kindPermsSkipped says why not). Each kind gets a tenant of its
// own (a copy of the shared export: sharedEnv).
func TestEachKindRestoresWithOnlyItsListedPermissions(t *testing.T) {
	t.Cleanup(func() { checkKindRequests(t) })
	eachKindWithItsPermissions(t, nil)
}

// TestEachKindRestoresWithOnlyItsListedPermissionsUnderRealisticGraph is
// TestEachKindRestoresWithOnlyItsListedPermissions against a tenant that
// throttles as Graph does, drops connections and answers 5xx (faults,
// half of those on writes after the write was done), lags its
// replicas and pages with empty pages (realisticSim): every export, plan
// (the read-only app's and the writing app's), apply, verification and
// post-restore snapshot meets them. Each kind gets a tenant of its own
// with no baseline export (unexportedEnv): the test exports the kind
// alone.
func TestEachKindRestoresWithOnlyItsListedPermissionsUnderRealisticGraph(t *testing.T) {
	o := realisticSim()
	eachKindWithItsPermissions(t, &o)
}

// eachKindWithItsPermissions runs restoreKindWithItsPermissions for each
// kind (kindPermsShort under -short), against the shared demo tenant when
// realistic is nil, else a tenant of those options each.
func eachKindWithItsPermissions(t *testing.T, realistic *graphsim.Options) {
	creatable := map[string]bool{}
	for _, k := range creatableKinds() {
		creatable[k.Name] = true
	}
	infos := map[string]layout.KindInfo{}
	for _, ki := range layout.KindInfos() {
		infos[ki.Name] = ki
	}
	for _, k := range layout.Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			if why, ok := kindPermsSkipped[k.Name]; ok {
				t.Skip(why)
			}
			if _, ok := kindPermsChange[k.Name]; !ok && !creatable[k.Name] && k.ExportOnly == "" {
				t.Fatalf("%s is restorable, not recreated by restore, and kindPermsChange does not say how to change one: add it there (or to kindPermsSkipped with why)", k.Name)
			}
			if testing.Short() && !contains(kindPermsShort, k.Name) {
				t.Skip("-short: the full run restores every kind")
			}
			e := newEnv(t, graphsim.Options{}, nil)
			if realistic != nil {
				e = unexportedEnv(t, *realistic, nil)
			}
			restoreKindWithItsPermissions(t, e, k, infos[k.Name], creatable[k.Name])
		})
	}
}

func restoreKindWithItsPermissions(t *testing.T, e *env, k *layout.Kind, ki layout.KindInfo, creatable bool) {
	ctx := context.Background()
	// The export side: exactly the kind's read permissions read it whole.
	dw := &deniedWatch{}
	srv := simtest.Serve(t, dw.wrap(e.sim))
	// An app holding exactly perms, or for a kind Graph serves to
	// delegated callers only, a Global Administrator signed in on an app
	// consented exactly perms as delegated scopes (its requests go through
	// a TLS server of their own, which dw does not watch).
	admin := ""
	client := func(perms []string) (*graph.Client, string) {
		if k.DelegatedOnly == "" {
			tok := e.token(perms...)
			return simtest.Client(t, e.sim, srv, tok), tok
		}
		if admin == "" {
			admin = e.userWithRole("kind.admin", "Kind admin", globalAdminRole)
		}
		c := e.delegatedClient("entrasnap "+k.Name, "", admin, perms...)
		return c, c.BearerToken(ctx)
	}
	reader, _ := client(ki.ReadPermissions)
	res, err := exporter.Run(ctx, exporter.Options{Client: reader, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "the kind alone"})
	if err != nil || !res.Complete() {
		t.Fatalf("export of %s with exactly %v: %v %+v", k.Name, ki.ReadPermissions, err, res.Incomplete())
	}
	rev := res.Commit
	refusedBeyond(t, "export", dw.take())
	recordKindRequests(k.Name, "export", dw.takeSent())
	if k.ExportOnly != "" {
		return // never written by a restore: its export is all there is to check
	}
	byKind := objectsByKind(e.snapshotObjects(rev))
	if len(byKind[k.Name]) == 0 {
		t.Fatalf("the demo tenant has no %s", k.Title)
	}
	var sel []string
	if creatable {
		o := e.purgeOne(k, byKind)
		sel = []string{o.Path}
	} else {
		kindPermsChange[k.Name](e)
		for _, o := range byKind[k.Name] {
			sel = append(sel, o.Path)
		}
	}
	// Past the replication lag (realisticSim): the change is what the
	// plans see, as an administrator's change of minutes ago is.
	e.sim.Clock().Advance(10 * time.Second)
	perms := append(append([]string(nil), ki.ReadPermissions...), ki.RestorePermissions...)
	limited, tok := client(perms)
	plan := func(c *graph.Client, perms []string) (*Input, *Plan) {
		t.Helper()
		in, err := Load(ctx, LoadOptions{Client: c, Repo: e.repo, Rev: rev, Selectors: sel, Options: Options{CAState: CAStateAsIs}, Now: e.now})
		if err != nil {
			t.Fatalf("load with exactly %v: %v", perms, err)
		}
		p, err := Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		return in, p
	}
	in, full := plan(limited, perms)
	if len(full.Actions) == 0 {
		t.Fatalf("nothing to restore after the change:\n%s", render(full))
	}
	if len(in.Unread) > 0 || len(in.BinUnread) > 0 && k.SoftDelete != "conditional-access" { // refusedAnyway
		t.Errorf("with exactly %v the plan could not read %v %v", perms, in.Unread, in.BinUnread)
	}
	// The plan is made as the pull-request and restore templates make it:
	// by a read-only app holding the kind's read permissions and the read
	// permissions of its restore column (planningPermissions). It must be
	// the plan the writing app makes (but for what it says it could not
	// read: unread.go), and apply (with the writing app) must accept it:
	// neither StaleError nor TamperedError.
	ro := planningPermissions(ki)
	reader2, _ := client(ro)
	refusedBeyond(t, "plan", dw.take())
	_, p := plan(reader2, ro)
	if denied := dw.take(); len(denied) > 0 {
		t.Logf("Graph refused the read-only plan %v", denied)
	}
	differ := boundDiffs(p, full)
	if len(p.Unread) > 0 { // its warnings say what it could not read
		differ = requestDiffs(p, full)
	}
	if stale := staleObjects(p, full); len(stale) > 0 || len(differ) > 0 {
		t.Errorf("the plan made with the read-only set %v is not the one made with %v: live fingerprints %v; actions %v\nread-only:\n%s\nread-write:\n%s", ro, perms, stale, differ, render(p), render(full))
	}
	p = roundTrip(t, p)
	o := e.applyOpts()
	o.Client, o.Token, o.Record = limited, tok, e.recordWith(limited)
	ares, err := Apply(ctx, p, o)
	if err != nil {
		t.Fatalf("apply with exactly %v: %v\n%s", perms, err, render(p))
	}
	// With faults (realisticSim), a write whose answer was lost or was a
	// server error is in doubt: the read-only app plans again and the
	// writing app applies, as a person re-runs the pull request's plan
	// (applyUntilComplete). A failure Graph answered below 500 is not
	// re-run: it fails the test.
	snap := ares.Snapshot
	for run := 1; e.stage != nil && !ares.Complete() && run <= 3; run++ {
		for _, a := range ares.Actions {
			if a.Status == StatusFailed && a.GraphStatus != 0 && a.GraphStatus < 500 {
				t.Fatalf("%s %s %s %s failed with %d: %s\n%s", a.ID, a.Kind, a.Op, a.Name, a.GraphStatus, a.Error, render(p))
			}
		}
		refusedBeyond(t, "restore", dw.take())
		t.Logf("apply %d did not complete; planning again", run)
		e.sim.Clock().Advance(10 * time.Second) // past the replication lag of what it wrote
		_, p = plan(reader2, ro)
		dw.take() // the read-only plan's refusals: logged above
		if ares, err = Apply(ctx, roundTrip(t, p), o); err != nil {
			t.Fatalf("re-run apply with exactly %v: %v\n%s", perms, err, render(p))
		}
		if ares.Snapshot != nil { // none when the plan again was empty: the write in doubt was done
			snap = ares.Snapshot
		}
	}
	var failed []string
	for _, a := range ares.Actions {
		if a.Status != StatusDone && a.Status != StatusAlready {
			failed = append(failed, fmt.Sprintf("%s %s %s: %s %s", a.ID, a.Kind, a.Op, a.Status, a.Error))
		}
	}
	if len(failed) > 0 || !ares.Complete() {
		var diffs []string
		for _, d := range ares.Differences {
			diffs = append(diffs, d.Kind+" "+d.Name+" "+d.What+" "+d.Target)
		}
		t.Fatalf("restore with exactly %v did not complete:\n%s\ndifferences: %s\nverify: %v", perms, strings.Join(failed, "\n"), strings.Join(diffs, "; "), ares.VerifyError)
	}
	if snap == nil {
		t.Errorf("the restore with exactly %v recorded no post-restore snapshot", perms)
	} else if rec, ok := snap.Detail.(*exporter.Result); !ok || !rec.Complete() {
		var inc any = snap
		if ok {
			inc = rec.Incomplete()
		}
		t.Errorf("the post-restore snapshot with exactly %v is not complete: %+v", perms, inc)
	}
	refusedBeyond(t, "restore", dw.take())
	recordKindRequests(k.Name, "restore", dw.takeSent())
}

// planningPermissions are the permissions a read-only app that plans a
// restore of the kind holds: the kind's read permissions (for a kind read
// only with a write permission, that one) and the read permissions of its
// restore column (Directory.Read.All to check references, the reads of
// advisory kinds); none of its write permissions.
func planningPermissions(ki layout.KindInfo) []string {
	out := append([]string(nil), ki.ReadPermissions...)
	for _, p := range ki.RestorePermissions {
		if strings.Contains(p, ".Read.") && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// refusedAnyway are the requests Graph may refuse (403) to an app holding
// a kind's permissions whose refusal the product expects and answers as
// well: the tenant's id, read from /organization before a run, comes from
// the token's tid claim instead (live preflight, importer liveTenant); the
// audit log is the optional "who changed it" permission (kinds
// --permissions); Graph's Conditional Access recycle bin refuses every
// app-only token (beta deletedItems: "Application: Not supported"), so
// restore recreates the policy or location (TestRestoreDeletedCAPolicyFromRecycleBin).
var refusedAnyway = []string{"GET /v1.0/organization", "GET /v1.0/auditLogs/directoryAudits", "GET /beta/identity/conditionalAccess/deletedItems/"}

// refusedBeyond fails the test for each refused request that
// refusedAnyway does not expect: a permission the kind's list lacks.
func refusedBeyond(t *testing.T, what string, denied []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range denied {
		ok := false
		for _, p := range refusedAnyway {
			ok = ok || strings.HasPrefix(d, p)
		}
		if !ok && !seen[d] {
			seen[d] = true
			t.Errorf("the %s sent %s, which Graph refused (403): the kind's listed permissions do not grant it", what, d)
		}
	}
}

// purgeOne deletes for good (the test's own token) the first object of k
// that Graph lets go, and returns it. A Conditional Access policy or named
// location is only deleted: Graph's CA recycle bin refuses app-only
// tokens, so restore recreates it. Deleting an application deletes its
// service principal.
func (e *env) purgeOne(k *layout.Kind, byKind map[string][]*Object) *Object {
	e.t.Helper()
	if k.Name == "conditional-access-policies" {
		policiesNamingCustomStrengthsFirst(byKind)
	}
	customRoleAssignmentsFirst(byKind)
	var errs []string
	for _, o := range byKind[k.Name] {
		if !candidate(k, o) {
			continue
		}
		var err error
		if k.SoftDelete == "conditional-access" {
			_, err = e.own().Do(context.Background(), "DELETE", itemPath(k, o.Key), nil)
		} else {
			err = e.purge(k, o)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return o
	}
	// Every one is still named by another object (an authentication
	// strength by a Conditional Access policy, a custom role by its
	// assignments): one is changed instead, which restore updates back.
	for _, o := range byKind[k.Name] {
		if !candidate(k, o) {
			continue
		}
		for _, prop := range []string{"description", "displayName"} {
			if _, ok := o.Data[prop]; ok && !slices.Contains(k.ReadOnly, prop) {
				e.do("PATCH", e.fillOrg(itemPath(k, o.Key)), map[string]any{prop: "changed by the test"})
				return o
			}
		}
	}
	e.t.Fatalf("the demo tenant has no %s that can be deleted or changed (%d; %s)", k.Title, len(byKind[k.Name]), strings.Join(errs, "; "))
	return nil
}

// deniedWatch records the requests graphsim answers 403, $batch parts
// included.
type deniedWatch struct {
	mu     sync.Mutex
	denied []string
	sent   []string // every request, "METHOD /path" ($batch parts included): kindrequests_test.go
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	batch  bool
}

func (r *statusRecorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.batch {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (dw *deniedWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		batch := strings.HasSuffix(r.URL.Path, "/$batch")
		var reqs struct {
			Requests []struct{ ID, Method, URL string }
		}
		if batch {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			_ = json.Unmarshal(body, &reqs)
		}
		rec := &statusRecorder{ResponseWriter: w, status: 200, batch: batch}
		h.ServeHTTP(rec, r)
		dw.mu.Lock()
		if batch {
			for _, rq := range reqs.Requests {
				dw.sent = append(dw.sent, rq.Method+" "+rq.URL)
			}
		} else {
			dw.sent = append(dw.sent, r.Method+" "+r.URL.Path)
		}
		dw.mu.Unlock()
		var out []string
		if rec.status == http.StatusForbidden {
			out = append(out, r.Method+" "+r.URL.Path)
		}
		if batch {
			var resps struct {
				Responses []struct {
					ID     string
					Status int
				}
			}
			_ = json.Unmarshal(rec.body.Bytes(), &resps)
			for _, rs := range resps.Responses {
				for _, rq := range reqs.Requests {
					if rq.ID == rs.ID && rs.Status == http.StatusForbidden {
						out = append(out, rq.Method+" "+rq.URL+" ($batch)")
					}
				}
			}
		}
		if len(out) > 0 {
			dw.mu.Lock()
			dw.denied = append(dw.denied, out...)
			dw.mu.Unlock()
		}
	})
}

func (dw *deniedWatch) take() []string     { return dw.drain(&dw.denied) }
func (dw *deniedWatch) takeSent() []string { return dw.drain(&dw.sent) }

func (dw *deniedWatch) drain(list *[]string) []string {
	dw.mu.Lock()
	defer dw.mu.Unlock()
	out := *list
	*list = nil
	return out
}
