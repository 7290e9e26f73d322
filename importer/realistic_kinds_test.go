package importer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// newKinds13 are the kinds #13's first session added.
var newKinds13 = []string{
	"role-management-policies", "time-bound-role-assignments",
	"access-package-catalogs", "connected-organizations", "access-packages", "access-package-assignment-policies", "entitlement-management-settings",
	"access-review-definitions", "user-flow-attributes", "user-flows", "custom-authentication-extensions", "external-identities-policy",
	"branding", "certificate-based-auth", "per-user-mfa",
	"api-connectors",   // opt-in: read only with APIConnectors.ReadWrite.All
	"on-premises-sync", // delegated only: graphsim's own token reads and writes it
	// opt-in: read only with IdentityUserFlow.ReadWrite.All; its flow is
	// the user flow deleted above, so its writes follow the flow's create
	layout.UserFlowConnections,
}

// changeNotCreatable changes, through the (faulty) client, an object of
// each kind of newKinds13 restore does not recreate (singletons and
// update-only kinds), and returns the kinds changed.
var changeNotCreatable = map[string]func(e *env){
	"role-management-policies": changeRoleSettingsTolerant,
	"entitlement-management-settings": func(e *env) {
		e.doTolerant("PATCH", emColl+"settings", map[string]any{"externalUserLifecycleAction": "none"})
	},
	// Not created by restore (Graph needs the secret): PATCHed back.
	"api-connectors": func(e *env) {
		id := str(e.list(connColl)[0]["id"])
		e.doTolerant("PATCH", connColl+"/"+id, map[string]any{"displayName": "Changed \u202e under faults", "targetUrl": "https://changed.example/api"})
	},
	// Never created or deleted: the flow's identity providers and the
	// connector of its steps changed (the flow is then deleted too, as a
	// creatable user-flows object, so they come back after its create).
	layout.UserFlowConnections: func(e *env) {
		flow := ufColl + "/" + demoFlow
		e.doTolerant("PUT", flow+"/apiConnectorConfiguration/postAttributeCollection/$ref", map[string]any{})
		for try := 0; try < 5; try++ {
			_, err := e.c.Do(context.Background(), "DELETE", flow+"/userFlowIdentityProviders/Google-OAUTH/$ref", nil)
			var ge *graph.Error
			if err == nil || errors.As(err, &ge) && ge.Status == 404 && try > 0 {
				return
			}
		}
		e.t.Fatal("could not take Google-OAUTH out of the demo user flow")
	},
	// One per tenant, never created (catalog_onpremsync.go): PATCHed back.
	"on-premises-sync": func(e *env) {
		e.doTolerant("PATCH", "/v1.0/directory/onPremisesSynchronization/"+e.sim.TenantID(), map[string]any{
			"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"synchronizationPreventionType": "enabledForPercentage", "alertThreshold": 5}},
			"features":      map[string]any{"passwordSyncEnabled": false}})
	},
	"external-identities-policy": func(e *env) {
		e.doTolerant("PATCH", "/beta/policies/externalIdentitiesPolicy", map[string]any{"allowExternalIdentitiesToLeave": true})
	},
}

// doTolerant is do through a client that may lose answers: a PATCH is
// sent again until Graph answers it (a PATCH is idempotent).
func (e *env) doTolerant(method, path string, body any) {
	e.t.Helper()
	var err error
	for try := 0; try < 5; try++ {
		if _, err = e.c.Do(context.Background(), method, path, body); err == nil {
			return
		}
		var ge *graph.Error
		if errors.As(err, &ge) && ge.Status > 0 && ge.Status < 500 {
			break
		}
	}
	e.t.Fatalf("%s %s: %v", method, path, err)
}

// changeRoleSettingsTolerant is changeRoleSettings through a client that
// may lose answers.
func changeRoleSettingsTolerant(e *env) {
	for try := 0; ; try++ {
		ok := func() (ok bool) {
			defer func() {
				if r := recover(); r != nil {
					ok = false
				}
			}()
			te := *e
			te.t = &panicT{TB: e.t}
			changeRoleSettings(&te)
			return true
		}()
		if ok {
			return
		}
		if try == 4 {
			e.t.Fatal("changing the role settings failed five times")
		}
	}
}

// panicT turns a fatal error of a helper into a panic its caller recovers.
type panicT struct{ testing.TB }

func (p *panicT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (p *panicT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }

// purgeTolerant is purge through a client that may lose answers: a
// request whose answer was lost is sent again, and an error is fine when
// the object is gone anyway.
func (e *env) purgeTolerant(k *layout.Kind, o *Object) error {
	var err error
	for try := 0; try < 5; try++ {
		if err = e.purge(k, o); err == nil {
			return nil
		}
		if _, gerr := e.c.Get(context.Background(), e.fillOrg(itemPath(k, o.Key))); gerr != nil {
			var ge *graph.Error
			if errors.As(gerr, &ge) && ge.Status == 404 {
				if k.SoftDelete == "directory" {
					_, _ = e.c.Do(context.Background(), "DELETE", "/v1.0/directory/deletedItems/"+url.PathEscape(o.Key), nil)
				}
				return nil
			}
		}
		var ge *graph.Error
		if errors.As(err, &ge) && ge.Status > 0 && ge.Status < 500 {
			return err // Graph refuses: not a lost answer
		}
	}
	return err
}

// applyUntilComplete applies a plan and, while creates or POSTs are in
// doubt after lost answers, plans again and applies (as a person re-runs
// restore); an action that fails with an answer below 500 fails t.
func (e *env) applyUntilComplete(t *testing.T, plan func() *Plan) (*Plan, []*Result) {
	t.Helper()
	return e.applyUntilCompleteWith(t, plan, e.applyOpts)
}

// applyUntilCompleteWith is applyUntilComplete with each apply's options
// from opts (e.g. signed in: applyOptsAs).
func (e *env) applyUntilCompleteWith(t *testing.T, plan func() *Plan, opts func() ApplyOptions) (*Plan, []*Result) {
	t.Helper()
	p := plan()
	res, err := Apply(context.Background(), p, opts())
	if err != nil {
		t.Fatalf("apply: %v\nplan:\n%s", err, render(p))
	}
	all := []*Result{res}
	for run := 1; !res.Complete() && run <= 3; run++ {
		for _, a := range res.Actions {
			if a.Status == StatusFailed && a.GraphStatus != 0 && a.GraphStatus < 500 {
				t.Errorf("%s %s %s %s failed with %d: %s", a.ID, a.Kind, a.Op, a.Name, a.GraphStatus, a.Error)
			}
		}
		if t.Failed() {
			break
		}
		t.Logf("apply %d did not complete; re-running", run)
		p = plan()
		if res, err = Apply(context.Background(), p, opts()); err != nil {
			t.Fatalf("re-run apply: %v\nplan:\n%s", err, render(p))
		}
		all = append(all, res)
	}
	if !res.Complete() {
		var lines []string
		for _, a := range res.Actions {
			if a.Status != StatusDone {
				lines = append(lines, fmt.Sprintf("%s %s %s %s: %s %d %s", a.ID, a.Kind, a.Op, a.Name, a.Status, a.GraphStatus, a.Error))
			}
		}
		for _, d := range res.Differences {
			lines = append(lines, fmt.Sprintf("difference: %s %s %s %s", d.Kind, d.Name, d.What, d.Target))
		}
		t.Fatalf("restore did not complete (verify %q):\n%s\nplan:\n%s", res.VerifyError, strings.Join(lines, "\n"), render(p))
	}
	return p, all
}

// Each kind #13 added is exported and restored against a Graph as hard as
// the real one (realisticSim: resource-unit throttling, 5% of requests
// failing or dropped after Graph did the work, replication lag, empty
// pages): the per-user MFA export completes; one object of each creatable
// kind is deleted for good and one of each other kind changed, and the
// restore (re-run while creates are in doubt) recreates or writes back
// every one of them once, with no request under a version that lacks its
// path, and a second plan is empty.
func TestNewKindsAgainstRealisticGraph(t *testing.T) {
	sw := &segmentWatch{}
	e := newEnv(t, realisticSim(), sw.wrap)
	ctx := context.Background()

	// Per-user MFA, API connectors and user flow connections are read
	// only when --kinds names them.
	mfa, _ := layout.Lookup(mfaKind)
	conns, _ := layout.Lookup("api-connectors")
	ufc, _ := layout.Lookup(layout.UserFlowConnections)
	res, err := exporter.Run(ctx, exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{mfa, conns, ufc}, Message: "weekly MFA and connectors"})
	if err != nil || !res.Complete() {
		t.Fatalf("export --kinds per-user-mfa,api-connectors,user-flow-connections under faults: %v %+v", err, res)
	}
	base := res.Tag
	byKind := objectsByKind(e.snapshotObjects(base))
	for _, n := range newKinds13 {
		if len(byKind[n]) == 0 {
			t.Errorf("the export under faults holds no %s", n)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if st := e.sim.Stats(); st.Throttled == 0 || st.Faults == 0 {
		t.Errorf("the exports met no 429 or no fault: %d throttled, %d faults", st.Throttled, st.Faults)
	}
	e.sim.ResetStats()

	// The incident: one object of each creatable new kind gone for good
	// (in reverse catalog order, what names others first), one of each
	// other kind changed.
	creatable := map[string]bool{}
	for _, n := range creatableNames() {
		creatable[n] = true
	}
	var sel []string
	picked := map[string]*Object{}
	for i := len(newKinds13) - 1; i >= 0; i-- {
		n := newKinds13[i]
		k, _ := layout.Lookup(n)
		switch {
		case n == mfaKind:
			var enforced *Object
			for _, o := range byKind[n] {
				if o.Data["perUserMfaState"] == "enforced" {
					enforced = o
					break
				}
			}
			if enforced == nil {
				t.Fatal("no enforced user in the demo")
			}
			e.doTolerant("PATCH", "/beta/users/"+enforced.Key+"/authentication/requirements", map[string]any{"perUserMfaState": "disabled"})
			sel = append(sel, enforced.Path)
		case changeNotCreatable[n] != nil:
			changeNotCreatable[n](e)
			sel = append(sel, n)
		case creatable[n]:
			var errs []string
			for _, o := range byKind[n] {
				if !candidate(k, o) {
					continue
				}
				if err := e.purgeTolerant(k, o); err != nil {
					errs = append(errs, err.Error())
					continue
				}
				picked[n] = o
				sel = append(sel, o.Path)
				break
			}
			if picked[n] == nil {
				t.Fatalf("no %s could be deleted: %s", n, strings.Join(errs, "; "))
			}
		default:
			t.Fatalf("%s is neither creatable nor changed by this test: add it to changeNotCreatable", n)
		}
	}
	e.recordIncident()

	e.sim.ResetStats()
	plan := func() *Plan { return e.plan(base, sel, Options{CAState: CAStateAsIs}) }
	_, runs := e.applyUntilComplete(t, plan)
	st := e.sim.Stats()
	t.Logf("restore: %d requests, %d throttled, %d faults", st.Requests, st.Throttled, st.Faults)
	if st.Faults == 0 {
		t.Errorf("the restore met no fault: %+v", st)
	}

	// Each deleted object is back once: under its own key or the id map's.
	var names []string
	for n, o := range picked {
		k, _ := layout.Lookup(n)
		key := o.Key
		for _, r := range runs { // a re-run creates what the first left in doubt
			if nk, ok := r.IDs.Resolve(o.Key); ok {
				key = nk
			}
		}
		found := 0
		for _, l := range e.list(e.fillOrg("/" + k.APIVersion + k.ListPath)) {
			if strings.EqualFold(str(l[k.KeyProp()]), key) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%s %s: %d objects with key %s after the restore, want 1", k.Title, label(o), found, key)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("recreated under faults: %s", strings.Join(names, ", "))
	if p := plan(); !p.Empty() {
		t.Errorf("second plan is not empty:\n%s", render(p))
	}
	sw.check(t)
}

// An object Graph creates under the key the request gave (a branding
// localization under its locale, a user flow under its name) is not
// visible at once (replication lag): the writes that follow its create
// (the localization's images, the flow's attribute assignments) wait for
// it as they wait for an object created under a new id, instead of
// failing with Graph's 404.
func TestWritesAfterACreateUnderItsOwnKeyWaitForReplication(t *testing.T) {
	e := newEnv(t, graphsim.Options{Profile: "demo", Seed: 1, Now: realisticSim().Now, EventualConsistency: 5 * time.Second}, nil)
	e.do("DELETE", e.fillOrg("/v1.0/organization/"+layout.OrganizationPlaceholder+"/branding/localizations/fr-FR"), nil)
	e.do("DELETE", ufColl+"/"+demoFlow, nil)
	e.recordIncident()
	sel := []string{"tenant/branding/fr-FR.yaml", "external-identities/user-flows/" + demoFlow + ".yaml"}
	p := e.plan(e.first, sel, Options{})
	if c := p.Counts(); c[OpCreate] != 2 {
		t.Fatalf("want the localization and the flow created: %v\n%s", c, render(p))
	}
	res := e.apply(p)
	for _, a := range res.Actions {
		if a.Status != StatusDone {
			t.Errorf("%s %s %s %s: %s %s", a.ID, a.Kind, a.Op, a.Name, a.Status, a.Error)
		}
	}
	if !res.Complete() {
		t.Fatalf("restore did not complete:\n%s", render(p))
	}
	e.mustBeEmpty(sel, Options{})
}
