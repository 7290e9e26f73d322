package importer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// hostileSubject is a credential subject and description with a bidi
// override, CR LF and a control character (Graph takes any string there).
const hostileSubject = "repo:o/r:environment:\u202edorp\u202c\r\n\x07\"x\""

// heldState is a comparable summary of an application's credentials and
// extension properties, and of a service principal's classifications.
func (e *env) heldState(appID, spID string) string {
	e.t.Helper()
	var out []string
	if appID != "" {
		for _, c := range e.list("/v1.0/applications/" + appID + "/federatedIdentityCredentials") {
			out = append(out, fmt.Sprintf("fic %s|%s|%s|%v|%v", c["name"], c["issuer"], c["subject"], c["audiences"], c["description"]))
		}
		for _, x := range e.list("/v1.0/applications/" + appID + "/extensionProperties") {
			short, _ := extensionShort(str(x["name"]))
			out = append(out, fmt.Sprintf("ext %s|%s|%v|%v", short, x["dataType"], x["targetObjects"], x["isMultiValued"]))
		}
	}
	if spID != "" {
		for _, c := range e.list("/v1.0/servicePrincipals/" + spID + "/delegatedPermissionClassifications") {
			out = append(out, fmt.Sprintf("dpc %s|%s|%s", c["permissionId"], c["permissionName"], c["classification"]))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func (e *env) heldItem(path, key, value string) map[string]any {
	e.t.Helper()
	for _, it := range e.list(path) {
		if str(it[key]) == value || strings.HasSuffix(str(it[key]), "_"+value) {
			return it
		}
	}
	e.t.Fatalf("%s: no item with %s %s", path, key, value)
	return nil
}

// Federated identity credentials and extension properties of an
// application, and delegated permission classifications of a service
// principal, changed, removed and added after the snapshot, come back:
// a changed credential by PATCH (its name is immutable), a missing one by
// POST, a stray one removed; a changed extension property (Graph has no
// update) removed and created again with a warning that stored values are
// lost; a classification created, a stray one removed. Removals come
// before the creates that could collide with them. Hostile strings survive
// byte for byte; a second plan is empty.
func TestRestoreAppCredentialsExtensionsAndClassifications(t *testing.T) {
	whenShortOnly(t, "applications", "service-principals")
	e := newEnv(t, graphsim.Options{}, nil)
	app := e.appNamed("Nightly Sync")
	appID := str(app["id"])
	api := e.appNamed("Inventory API")
	sp := e.spOf(str(api["appId"]))
	spID := str(sp["id"])
	fics := "/v1.0/applications/" + appID + "/federatedIdentityCredentials"
	exts := "/v1.0/applications/" + appID + "/extensionProperties"
	dpcs := "/v1.0/servicePrincipals/" + spID + "/delegatedPermissionClassifications"
	e.do("POST", fics, map[string]any{"name": "hostile", "issuer": "https://issuer.example", "subject": hostileSubject,
		"audiences": []any{"api://AzureADTokenExchange"}, "description": hostileName})
	base := e.baseline("with a hostile credential")
	e.first = base
	want := e.heldState(appID, spID)
	for _, s := range []string{"fic github-main", "fic github-production", "ext costCenter", "ext badgeIds", "dpc ", hostileSubject} {
		if !strings.Contains(want, s) {
			t.Fatalf("demo state lacks %q:\n%s", s, want)
		}
	}

	// The incident.
	main := e.heldItem(fics, "name", "github-main")
	e.do("PATCH", fics+"/"+str(main["id"]), map[string]any{"subject": "repo:attacker/r:ref:refs/heads/main"})
	prod := e.heldItem(fics, "name", "github-production")
	e.do("DELETE", fics+"/"+str(prod["id"]), nil)
	// A stray credential with the deleted one's issuer and subject: the
	// create of github-production must wait for its removal.
	e.do("POST", fics, map[string]any{"name": "rogue", "issuer": prod["issuer"], "subject": prod["subject"], "audiences": prod["audiences"]})
	cost := e.heldItem(exts, "name", "costCenter")
	e.do("DELETE", exts+"/"+str(cost["id"]), nil)
	badge := e.heldItem(exts, "name", "badgeIds")
	e.do("DELETE", exts+"/"+str(badge["id"]), nil)
	e.do("POST", exts, map[string]any{"name": "badgeIds", "dataType": "Integer", "targetObjects": []any{"User", "Group"}})
	low := e.list(dpcs)[0]
	e.do("DELETE", dpcs+"/"+str(low["id"]), nil)
	var other string
	for _, s := range asSlice(sp["oauth2PermissionScopes"]) {
		if m := s.(map[string]any); !strings.EqualFold(str(m["id"]), str(low["permissionId"])) {
			other = str(m["id"])
		}
	}
	e.do("POST", dpcs, map[string]any{"permissionId": other, "classification": "high"})
	e.recordIncident()
	if e.heldState(appID, spID) == want {
		t.Fatal("the incident changed nothing")
	}

	// The restore runs with exactly the permissions `entrasnap kinds
	// --permissions` lists; the classifications need
	// Policy.ReadWrite.PermissionGrant, and the pre-flight check says so.
	exact := append(layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())...)
	tok := e.token(exact...)
	e.c = e.client(tok)
	sel := []string{appID, spID}
	p := e.plan(base, sel, Options{})
	var pe *PermissionError
	if err := CheckPermissions(p, fakeToken(without(exact, "Policy.ReadWrite.PermissionGrant"))); !errors.As(err, &pe) || !contains(pe.Missing, "Policy.ReadWrite.PermissionGrant") {
		t.Errorf("without Policy.ReadWrite.PermissionGrant the pre-flight check says %v", err)
	}
	ops := map[string]int{}
	byID := map[string]Action{}
	for _, a := range p.Actions {
		ops[a.Relationship+" "+a.Request.Method]++
		byID[a.ID] = a
	}
	wantOps := map[string]int{
		"federatedIdentityCredentials PATCH": 1, "federatedIdentityCredentials POST": 1, "federatedIdentityCredentials DELETE": 1,
		"extensionProperties POST": 2, "extensionProperties DELETE": 1,
		"delegatedPermissionClassifications POST": 1, "delegatedPermissionClassifications DELETE": 1,
	}
	if fmt.Sprint(ops) != fmt.Sprint(wantOps) {
		t.Fatalf("ops %v, want %v\n%s", ops, wantOps, render(p))
	}
	for _, a := range p.Actions {
		b := string(a.Request.Body)
		switch {
		case a.Relationship == "federatedIdentityCredentials" && a.Request.Method == "PATCH":
			if strings.Contains(b, `"name"`) || strings.Contains(b, `"id"`) {
				t.Errorf("credential PATCH sends its name or id: %s", b)
			}
		case a.Relationship == "federatedIdentityCredentials" && a.Request.Method == "POST":
			if !dependsOnRemoval(a, byID, "federatedIdentityCredentials") {
				t.Errorf("the credential create does not wait for the removal of the one holding its issuer and subject: %+v", a)
			}
		case a.Relationship == "extensionProperties" && a.Request.Method == "POST":
			if !strings.Contains(b, `"name":"costCenter"`) && !strings.Contains(b, `"name":"badgeIds"`) {
				t.Errorf("extension property create does not send the short name: %s", b)
			}
			if strings.Contains(b, `"name":"badgeIds"`) && (!dependsOnRemoval(a, byID, "extensionProperties") || !strings.Contains(strings.Join(a.Warnings, " "), "lost")) {
				t.Errorf("the changed extension property is not removed first with a warning about its values: %+v", a)
			}
		}
	}
	o := e.applyOpts()
	o.Token = tok
	res, err := Apply(context.Background(), p, o)
	if err != nil || !res.Complete() {
		t.Fatalf("%v %+v\n%+v\n%s", err, res.Actions, res.Differences, res.VerifyError)
	}
	if got := e.heldState(appID, spID); got != want {
		t.Errorf("after the restore:\n%s\nwant\n%s", got, want)
	}
	e.mustBeEmptyAt(base, sel)
}

func dependsOnRemoval(a Action, byID map[string]Action, rel string) bool {
	for _, d := range a.DependsOn {
		if x := byID[d]; x.Relationship == rel && x.Request.Method == "DELETE" {
			return true
		}
	}
	return false
}

// A purged application is recreated with its federated identity
// credentials (CI pipelines sign in with them) and its extension
// properties, which Graph names after the new appId: the plan says so.
func TestRecreatedAppGetsItsCredentialsAndExtensionProperties(t *testing.T) {
	whenShortOnly(t, "applications", "group-assignment-schedules", "groups", "role-assignments", "service-principals", "time-bound-role-assignments")
	e := newEnv(t, graphsim.Options{}, nil)
	app := e.appNamed("Nightly Sync")
	aid, oldAppID := str(app["id"]), str(app["appId"])
	want := e.heldState(aid, "")
	if !strings.Contains(want, "fic github-main") || !strings.Contains(want, "ext costCenter") {
		t.Fatalf("demo app state:\n%s", want)
	}
	e.do("DELETE", "/v1.0/applications/"+aid, nil)
	e.sim.Clock().Advance(31 * 24 * time.Hour) // purged
	e.recordIncident()
	sel := []string{aid}
	p := e.plan(e.first, sel, Options{})
	var ficPosts, extPosts int
	for _, a := range p.Actions {
		switch {
		case a.Relationship == "federatedIdentityCredentials" && a.Request.Method == "POST":
			ficPosts++
		case a.Relationship == "extensionProperties" && a.Request.Method == "POST":
			extPosts++
			if !strings.Contains(strings.Join(a.Warnings, " "), "new appId") || strings.Contains(string(a.Request.Body), strings.ReplaceAll(oldAppID, "-", "")) {
				t.Errorf("extension property create on the new app: %s %v", a.Request.Body, a.Warnings)
			}
		}
	}
	if ficPosts != 2 || extPosts != 2 {
		t.Fatalf("credential creates %d, extension creates %d:\n%s", ficPosts, extPosts, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	newID, _ := res.IDs.Resolve(aid)
	newAppID, _ := res.IDs.ResolveAppID(oldAppID)
	if newID == "" || newID == aid {
		t.Fatalf("no new application id: %q", newID)
	}
	if got := e.heldState(newID, ""); got != want {
		t.Errorf("recreated app:\n%s\nwant\n%s", got, want)
	}
	e.heldItem("/v1.0/applications/"+newID+"/extensionProperties", "name", "extension_"+strings.ReplaceAll(newAppID, "-", "")+"_costCenter")
	e.mustBeEmpty(sel, Options{})
}

// An application restored from the recycle bin: whether Graph brings its
// credentials back with it is not documented, so each is added again as
// an "ensure" (a 409 for one that came back counts as done) and the
// restore completes either way.
func TestBinRestoredAppEnsuresItsCredentials(t *testing.T) {
	whenShortOnly(t, "applications", "service-principals")
	e := newEnv(t, graphsim.Options{}, nil)
	app := e.appNamed("Nightly Sync")
	aid := str(app["id"])
	want := e.heldState(aid, "")
	e.do("DELETE", "/v1.0/applications/"+aid, nil)
	e.recordIncident()
	sel := []string{aid}
	p := e.plan(e.first, sel, Options{})
	ensured := 0
	for _, a := range p.Actions {
		if (a.Relationship == "federatedIdentityCredentials" || a.Relationship == "extensionProperties") && a.Request.Method == "POST" {
			if !a.Ensure {
				t.Errorf("add after a bin restore is not an ensure: %+v", a)
			}
			ensured++
		}
	}
	if ensured != 4 || p.Actions[0].Op != OpRestore {
		t.Fatalf("plan:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if got := e.heldState(aid, ""); got != want {
		t.Errorf("after the bin restore:\n%s\nwant\n%s", got, want)
	}
	e.mustBeEmpty(sel, Options{})
}
