package importer

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// A user flow's connections planned, as the pull-request templates plan,
// by an app holding the kind's listed permissions but not
// APIConnectors.ReadWrite.All (API connectors, read only to plan the
// kind, are read only with it): the plan says it could not read them
// (Plan.Unread) and the writing app applies it (like with like,
// unread.go). It does not let through:
//   - a plan edited to claim it could not read them while the permissions
//     it was made with read them, or edited to claim so without saying so
//     to its reviewer (TamperedError);
//   - the flow changed since the plan (StaleError);
//   - a connector entered again under a new id since the file, which the
//     plan could not see and the apply would name instead (UnreadError,
//     naming the permission).
func TestPlanThatCouldNotReadAPIConnectorsAppliesLikeWithLike(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	ufc, _ := layout.Lookup(layout.UserFlowConnections)
	conns, _ := layout.Lookup("api-connectors")
	kinds := []*layout.Kind{ufc, conns}
	res, err := exporter.Run(ctx, exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Kinds: kinds, Message: "flow connections"})
	if err != nil || !res.Complete() {
		t.Fatalf("export: %v %+v", err, res)
	}
	base := res.Tag
	conn := e.list(connColl)[0]
	connID := str(conn["id"])
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postAttributeCollection/$ref", map[string]any{})

	var ki layout.KindInfo
	for _, i := range layout.KindInfos() {
		if i.Name == ufc.Name {
			ki = i
		}
	}
	roPerms := planningPermissions(ki)
	if contains(roPerms, "APIConnectors.ReadWrite.All") {
		t.Fatalf("the planning set %v reads API connectors", roPerms)
	}
	rwPerms := append(append([]string(nil), ki.ReadPermissions...), ki.RestorePermissions...)
	if !contains(rwPerms, "APIConnectors.ReadWrite.All") {
		t.Fatalf("the restore set %v does not read API connectors", rwPerms)
	}
	roClient := e.client(e.token(roPerms...))
	rwTok := e.token(rwPerms...)
	rw := e.client(rwTok)
	sel := []string{layout.UserFlowConnections}
	o := e.applyOpts()
	o.Client, o.Token, o.Record = rw, rwTok, e.recordWith(rw)

	ro := roundTrip(t, e.planWith(roClient, base, sel, Options{}))
	if _, ok := ro.Unread[conns.Name]; !ok || len(ro.Actions) != 1 || contains(ro.ReadWith, "APIConnectors.ReadWrite.All") || !contains(ro.ReadWith, "IdentityUserFlow.ReadWrite.All") {
		t.Fatalf("the read-only plan: unread %v, read with %v\n%s", ro.Unread, ro.ReadWith, render(ro))
	}
	full := e.planWith(rw, base, sel, Options{})
	if len(full.Unread) > 0 || full.ReadWith != nil {
		t.Errorf("the plan of the writing app says it could not read %v (%v)", full.Unread, full.ReadWith)
	}

	// Edited: the writing app's plan made to say it could not read the
	// connectors, with the permissions it was made with (which read them),
	// or without them and without the warning its reviewer would have seen.
	var te *TamperedError
	for name, edit := range map[string]func() *Plan{
		"could not read them, with a permission that reads them": func() *Plan {
			p := roundTrip(t, ro)
			p.ReadWith = append(p.ReadWith, "APIConnectors.ReadWrite.All")
			return p
		},
		"could not read them, without the warning its reviewer saw": func() *Plan {
			p := roundTrip(t, full)
			p.Unread, p.ReadWith = ro.Unread, roPerms
			return p
		},
		"could not read a kind it does not read to plan another": func() *Plan {
			p := roundTrip(t, ro)
			p.Unread = map[string]string{"groups": ro.Unread[conns.Name]}
			return p
		},
	} {
		p := edit()
		if _, err := Apply(ctx, roundTrip(t, p), o); !errors.As(err, &te) {
			t.Errorf("a plan edited to say it %s: %v", name, err)
		}
	}

	// The flow changed since the read-only plan: stale.
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postFederationSignup/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/" + connID})
	var se *StaleError
	if _, err := Apply(ctx, ro, o); !errors.As(err, &se) {
		t.Errorf("the flow changed since the read-only plan: %v", err)
	}
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postFederationSignup/$ref", map[string]any{})

	// As planned: the writing app applies the read-only plan.
	if r, err := Apply(ctx, ro, o); err != nil || !r.Complete() {
		t.Fatalf("apply of the read-only plan: %v %+v", err, r)
	}
	if got := e.flowConnections(demoFlow); !strings.Contains(got, "postAttributeCollection="+connID) {
		t.Fatalf("after the apply: %s", got)
	}

	// The connector entered again under a new id (same name) before the
	// read-only plan: it names the file's id, the writing app the new one.
	full2 := map[string]any{"displayName": conn["displayName"], "targetUrl": str(conn["targetUrl"]),
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.basicAuthentication", "username": "entra-signup", "password": "entered-again"}}
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postAttributeCollection/$ref", map[string]any{})
	e.do("DELETE", connColl+"/"+connID, nil)
	again, err := e.own().Do(ctx, "POST", connColl, full2)
	if err != nil {
		t.Fatal(err)
	}
	var made map[string]any
	if err := json.Unmarshal(again.Body, &made); err != nil || strings.EqualFold(str(made["id"]), connID) {
		t.Fatalf("the connector entered again: %v %v", made["id"], err)
	}
	stale := roundTrip(t, e.planWith(roClient, base, sel, Options{}))
	var ue *UnreadError
	_, err = Apply(ctx, stale, o)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "APIConnectors.ReadWrite.All") {
		t.Fatalf("a read-only plan that could not see the connector entered again: %v", err)
	}
	if got := e.flowConnections(demoFlow); !strings.Contains(got, "postAttributeCollection= ") {
		t.Errorf("something was written: %s", got)
	}
}
