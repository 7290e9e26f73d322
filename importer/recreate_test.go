package importer

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// creatableKinds are the kinds whose objects the importer recreates when
// they are gone: every kind of the catalog but singletons, noCreate,
// export-only kinds (exportonly_test.go) and kinds Graph never deletes, so
// no object of them is gone (custom security attributes: customsec_test.go),
// and users' custom security attribute values, set by a PATCH of the user
// (csavalues_test.go).
func creatableKinds() []*layout.Kind {
	var out []*layout.Kind
	for _, k := range layout.Kinds() {
		if _, no := noCreate[k.Name]; no || k.Singleton || k.ExportOnly != "" || noDelete[k.Name] || isCSA(k) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// snapshotObjects reads the objects of a revision.
func (e *env) snapshotObjects(rev string) diff.Snapshot {
	e.t.Helper()
	h, err := e.repo.Resolve(context.Background(), rev)
	if err != nil {
		e.t.Fatal(err)
	}
	files, err := e.repo.ReadAll(context.Background(), h.String(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	snap, skipped := diff.LoadFiles(files)
	if len(skipped) > 0 {
		e.t.Fatalf("unreadable files at %s: %v", rev, skipped)
	}
	return snap
}

// purge deletes an object for good through Graph: DELETE, then DELETE from
// its recycle bin (the test's own requests: e.own). It returns the error
// of the first request that fails.
func (e *env) purge(k *layout.Kind, o *Object) error {
	ctx := context.Background()
	if _, ok := scheduled[k.Name]; ok { // eligibilities, time-bound assignments (pim.go): removed by a schedule request
		_, err := e.own().Do(ctx, "POST", createPath(k), scheduleRequest(k, "adminRemove", o.Data))
		return err
	}
	if _, err := e.own().Do(ctx, "DELETE", e.fillOrg(itemPath(k, o.Key)), nil); err != nil {
		return err
	}
	var bin string
	switch k.SoftDelete {
	case "directory":
		bin = "/v1.0/directory/deletedItems/" + url.PathEscape(o.Key)
	case "conditional-access":
		bin = "/beta/identity/conditionalAccess/deletedItems/" + caBin(k) + "/" + url.PathEscape(o.Key)
	case lcwBin: // lcw.go
		bin = "/v1.0" + lcwBinPath + "/" + url.PathEscape(o.Key)
	default:
		return nil
	}
	_, err := e.own().Do(ctx, "DELETE", bin, nil)
	if graph.IsNotFound(err) {
		// Replication lag (realisticSim): the bin shows the deleted
		// object a few seconds after its delete.
		e.sim.Clock().Advance(10 * time.Second)
		_, err = e.own().Do(ctx, "DELETE", bin, nil)
	}
	return err
}

// candidate says whether an object of the snapshot is one restore can
// recreate (not Microsoft's, not synced from on-premises, not a group
// Graph cannot create).
func candidate(k *layout.Kind, o *Object) bool {
	if k.BuiltIn != nil && k.BuiltIn(o.Data) {
		return false
	}
	if synced(o.Data) {
		return false
	}
	if k.Name == "groups" && exchangeManaged(o.Data) {
		return false
	}
	return true
}

// Every kind the importer can create is recreated from a snapshot into a
// tenant where its object is gone for good (deleted and purged from any
// recycle bin), so no kind's create path goes untested: one object of each
// creatable kind is purged, the restore recreates them all, the apply
// verifies, and a second plan is empty.
func TestRecreateOneObjectOfEveryCreatableKind(t *testing.T) {
	// The Conditional Access bin is purged through /beta, which this tenant
	// lets the test's app-only token reach; the restore recreates either way.
	// Every request is watched for a path under a version that lacks it
	// (graphsim/versions.go): the export, the purges and the restore.
	sw := &segmentWatch{}
	e := newEnv(t, graphsim.Options{CARecycleBinAppOnly: true}, sw.wrap)
	byKind := objectsByKind(e.snapshotObjects(e.first))
	policiesNamingCustomStrengthsFirst(byKind)
	// A dynamic group first: recreating one must not try to write the
	// members its rule manages.
	sort.SliceStable(byKind["groups"], func(i, j int) bool {
		return dynamicMembership(byKind["groups"][i].Data) && !dynamicMembership(byKind["groups"][j].Data)
	})
	kinds := creatableKinds()
	picked, sel := e.purgeOneOfEachCreatableKind(byKind)
	for _, k := range kinds {
		if picked[k.Name] == nil {
			t.Fatalf("no %s picked", k.Title)
		}
	}
	e.recordIncident()

	p := e.plan(e.first, sel, Options{CAState: CAStateAsIs})
	creates := map[string]int{}
	for _, a := range p.Actions {
		if a.Op == OpCreate {
			creates[a.Kind]++
		}
	}
	for _, k := range kinds {
		if creates[k.Name] != 1 {
			t.Errorf("%s: %d creates planned, want 1", k.Name, creates[k.Name])
		}
	}
	if t.Failed() {
		t.Fatalf("plan:\n%s", render(p))
	}
	res, err := Apply(context.Background(), p, e.applyOpts())
	if err != nil {
		t.Fatalf("apply: %v\nplan:\n%s", err, render(p))
	}
	var failed []string
	for _, a := range res.Actions {
		if a.Status != StatusDone {
			failed = append(failed, fmt.Sprintf("%s %s %s: %s %s", a.ID, a.Kind, a.Op, a.Status, a.Error))
		}
	}
	if len(failed) > 0 || !res.Complete() {
		if len(failed) > 10 {
			failed = append(failed[:10], fmt.Sprintf("... and %d more", len(failed)-10))
		}
		var diffs []string
		for _, d := range res.Differences {
			diffs = append(diffs, fmt.Sprintf("%s %s %s %s", d.Kind, d.Name, d.What, d.Target))
		}
		if len(diffs) > 10 {
			diffs = append(diffs[:10], fmt.Sprintf("... and %d more", len(diffs)-10))
		}
		t.Fatalf("apply did not complete:\n%s\ndifferences:\n%s\nverify %s", strings.Join(failed, "\n"), strings.Join(diffs, "\n"), res.VerifyError)
	}
	// Each object is back: under its own key (partners) or the id map's.
	for _, k := range kinds {
		o := picked[k.Name]
		key := o.Key
		if n, ok := res.IDs.Resolve(o.Key); ok {
			key = n
		}
		found := false
		list := e.fillOrg("/" + k.APIVersion + k.ListPath)
		if k.Name == groupEligKind || k.Name == groupAssignKind {
			// Graph lists PIM for Groups schedules only by group (or principal).
			list += "?$filter=" + url.QueryEscape("groupId eq '"+str(e.translated(res.IDs, o)["groupId"])+"'")
		}
		for _, l := range e.list(list) {
			if strings.EqualFold(str(l[k.KeyProp()]), key) ||
				(naturalKey(k, l, str(l[k.KeyProp()])) == naturalKey(k, e.translated(res.IDs, o), key) && noUpdate[k.Name]) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s did not come back (key %s)", k.Title, label(o), key)
		}
	}
	e.mustBeEmpty(sel, Options{CAState: CAStateAsIs})
	sw.check(t)
}

// translated is o's data with its references mapped through ids.
func (e *env) translated(ids *IDMap, o *Object) map[string]any {
	in := &Input{IDMap: ids}
	pl := &planner{in: in}
	return pl.translate(o).Data
}

// A create sends the property Graph creates the object for, even though the
// catalog keeps it out of every PATCH: a partner configuration's tenantId,
// a directory setting's templateId.
func TestCreateSendsTheKeyGraphCreatesFor(t *testing.T) {
	const tenant = "99999999-0000-4000-8000-000000000009"
	const tmpl = "62375ab9-6b52-47ed-826b-58e47e0e304b"
	partner := obj(t, "cross-tenant-access-partners", tenant, map[string]any{
		"inboundTrust": map[string]any{"isMfaAccepted": true}, "isServiceProvider": false})
	setting := obj(t, "group-settings", "77777777-0000-4000-8000-000000000007", map[string]any{
		"displayName": "Group.Unified", "templateId": tmpl, "values": []any{map[string]any{"name": "EnableGroupCreation", "value": "false"}}})
	p := compute(t, input([]*Object{partner, setting}, nil, nil))
	if opList(p) != "create,create" {
		t.Fatalf("ops %s\n%s", opList(p), render(p))
	}
	for _, a := range p.Actions {
		b := bodyOf(t, a)
		switch a.Kind {
		case "cross-tenant-access-partners":
			if b["tenantId"] != tenant || b["isServiceProvider"] != nil {
				t.Errorf("partner create body %v", b)
			}
		case "group-settings":
			if b["templateId"] != tmpl || b["id"] != nil || b["displayName"] != nil {
				t.Errorf("group setting create body %v", b)
			}
		}
	}
}

// objectsByKind groups a snapshot's objects by kind, each kind in path order.
func objectsByKind(snap diff.Snapshot) map[string][]*Object {
	var paths []string
	for p := range snap {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	byKind := map[string][]*Object{}
	for _, p := range paths {
		o := snap[p]
		byKind[o.Kind.Name] = append(byKind[o.Kind.Name], o)
	}
	return byKind
}

// policiesNamingCustomStrengthsFirst puts the Conditional Access policies
// that name a custom authentication strength first: the strength can only
// be purged once no policy names it, and recreating both checks the
// reference is remapped.
func policiesNamingCustomStrengthsFirst(byKind map[string][]*Object) {
	custom := map[string]bool{}
	for _, o := range byKind["authentication-strengths"] {
		if o.Data["policyType"] != "builtIn" {
			custom[strings.ToLower(o.Key)] = true
		}
	}
	pols := byKind["conditional-access-policies"]
	ref := func(o *Object) bool {
		return custom[strings.ToLower(str(dig(o.Data, "grantControls", "authenticationStrength", "id")))]
	}
	sort.SliceStable(pols, func(i, j int) bool { return ref(pols[i]) && !ref(pols[j]) })
}

// purgeOneOfEachCreatableKind deletes, and purges from any recycle bin, the
// first object of each creatable kind (in byKind's order) that Graph lets
// go, an application with its service principal, and returns them by kind
// and their paths as a restore selection. A kind with none fails the test.
func (e *env) purgeOneOfEachCreatableKind(byKind map[string][]*Object) (map[string]*Object, []string) {
	t := e.t
	t.Helper()
	kinds := creatableKinds()
	picked := map[string]*Object{}
	var sel []string
	customRoleAssignmentsFirst(byKind)
	// Reverse catalog order: what names others goes first (a CA policy
	// before the named location it names). A candidate Graph will not let
	// go (still referenced) is passed over for the next one.
	for i := len(kinds) - 1; i >= 0; i-- {
		k := kinds[i]
		if k.Name == "service-principals" {
			continue // purged with its application, below
		}
		if k.DelegatedOnly != "" && len(byKind[k.Name]) == 0 {
			// An app-only export skips the delegated-only kinds (feature
			// rollout policies) and an app-only restore cannot write them:
			// TestFeatureRolloutPoliciesAppOnlyAndDelegated covers both.
			continue
		}
		var errs []string
		for _, o := range byKind[k.Name] {
			if !candidate(k, o) {
				continue
			}
			if k.Name == "applications" {
				var sp *Object
				for _, s := range byKind["service-principals"] {
					if strings.EqualFold(str(s.Data["appId"]), str(o.Data["appId"])) {
						sp = s
					}
				}
				if sp == nil {
					continue
				}
				// Deleting an application deletes its service principal.
				if err := e.purge(k, o); err != nil {
					errs = append(errs, err.Error())
					continue
				}
				if _, err := e.c.Do(context.Background(), "DELETE", "/v1.0/directory/deletedItems/"+sp.Key, nil); err != nil {
					t.Fatalf("purging service principal %s: %v", sp.Key, err)
				}
				picked["service-principals"] = sp
				sel = append(sel, sp.Path)
			} else if err := e.purge(k, o); err != nil {
				errs = append(errs, err.Error())
				continue
			}
			picked[k.Name] = o
			sel = append(sel, o.Path)
			break
		}
		if picked[k.Name] == nil {
			t.Fatalf("the demo tenant has no %s that can be purged (%d in the snapshot; %s): the test must cover every creatable kind",
				k.Title, len(byKind[k.Name]), strings.Join(errs, "; "))
		}
	}
	return picked, sel
}

// customRoleAssignmentsFirst puts first the role assignments and
// eligibilities that name a custom role: purged before the role
// definitions (reverse catalog order), they leave a custom role unassigned,
// which Graph lets be deleted (TestCustomRoleWithAssignmentsIsNotDeleted).
func customRoleAssignmentsFirst(byKind map[string][]*Object) {
	custom := map[string]bool{}
	for _, o := range byKind["role-definitions"] {
		if b, _ := o.Data["isBuiltIn"].(bool); !b {
			custom[strings.ToLower(o.Key)] = true
		}
	}
	for _, kind := range []string{"role-assignments", "role-eligibility-schedules", "time-bound-role-assignments"} {
		list := byKind[kind]
		sort.SliceStable(list, func(i, j int) bool {
			return custom[strings.ToLower(str(list[i].Data["roleDefinitionId"]))] && !custom[strings.ToLower(str(list[j].Data["roleDefinitionId"]))]
		})
	}
}
