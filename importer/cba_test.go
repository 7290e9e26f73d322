package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// The certificate-based authentication configuration comes back: one that
// changed is deleted and created again (Graph has no update), one that is
// gone is created; the new ids do not make the next plan churn.
func TestRestoreCertificateBasedAuth(t *testing.T) {
	whenShortOnly(t, "certificate-based-auth")
	e := newEnv(t, graphsim.Options{}, nil)
	coll := "/v1.0/organization/" + e.sim.TenantID() + "/certificateBasedAuthConfiguration"
	before := e.list(coll)
	if len(before) != 1 {
		t.Fatalf("demo configuration: %v", before)
	}
	id := str(before[0]["id"])
	cas := asSlice(before[0]["certificateAuthorities"])
	e.do("DELETE", coll+"/"+id, nil)
	first := cas[0].(map[string]any)
	e.do("POST", coll, map[string]any{"certificateAuthorities": []any{map[string]any{"certificate": first["certificate"], "isRootAuthority": true,
		"certificateRevocationListUrl": "http://attacker.example/crl"}}})
	e.recordIncident()

	sel := []string{"certificate-based-auth"}
	p := e.plan(e.first, sel, Options{})
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.Request.Method)
		if strings.Contains(string(a.Request.Body), "issuerSki") {
			t.Errorf("a create sends Graph's read-only issuerSki: %s", a.Request.Body)
		}
	}
	if strings.Join(got, ",") != "DELETE,POST" || !strings.Contains(strings.Join(p.Actions[0].Warnings, " "), "deleted and the snapshot's created") {
		t.Fatalf("plan %v\n%s", got, render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	after := e.list(coll)
	if len(after) != 1 || len(asSlice(after[0]["certificateAuthorities"])) != 2 {
		t.Fatalf("after the restore: %v", after)
	}
	e.mustBeEmpty(sel, Options{})

	// Gone: created.
	e.do("DELETE", coll+"/"+str(after[0]["id"]), nil)
	e.recordIncident()
	p = e.plan(e.first, sel, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Op != OpCreate {
		t.Fatalf("plan for a gone configuration:\n%s", render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	e.mustBeEmpty(sel, Options{})
}
