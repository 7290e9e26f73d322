package graphsim

import (
	"bytes"
	"testing"
)

// largeTenant13 builds the large tenant the tests of #13's kinds read
// (2,000 users, seed 3), checks that every reference in it resolves and
// that a second build of it is byte for byte the same, and returns it.
func largeTenant13(t *testing.T) *Tenant {
	t.Helper()
	sz := Sizes{Users: 2000, Groups: 400, MembersPerGroup: 5, Apps: 12, CAPolicies: 5}
	tn := genServer(t, Options{Profile: "large", Seed: 3, Sizes: sz}).Tenant()
	genCheckIntegrity(t, tn)

	var a, b bytes.Buffer
	if err := tn.Save(&a); err != nil {
		t.Fatal(err)
	}
	if err := genServer(t, Options{Profile: "large", Seed: 3, Sizes: sz}).Tenant().Save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds of the same large tenant differ")
	}
	return tn
}

// The large profile holds the kinds #13 added, at counts scaled by its
// size, built deterministically (the same seed, the same tenant) and with
// every reference resolving.
func TestGenerateLargeHoldsTheNewKinds(t *testing.T) {
	tn := largeTenant13(t)
	for kind, want := range map[string]int{
		emCatalogKind: 5 + 1 /* + the built-in General catalog */, emPackageKind: 30, emPolicyKind: 45, emConnOrgKind: 5, caeKind: 4, userFlowKind: 3,
		brandingKindName: 8, cbaKindName: 1, assignScheduleKind: 2,
	} {
		if n := tn.Count(kind); n != want {
			t.Errorf("%d %s, want %d", n, kind, want)
		}
	}
	if n := tn.Count(arDefKind); n < 1 {
		t.Errorf("%d access reviews", n)
	}
	custom := 0
	for _, a := range tn.List(ufaKind) {
		if a["userFlowAttributeType"] == "custom" {
			custom++
		}
	}
	if custom != 6 {
		t.Errorf("%d custom user flow attributes, want 6", custom)
	}
	enforced := 0
	for _, u := range tn.List("user") {
		if tn.MFAState(str(u["id"])) == "enforced" {
			enforced++
		}
	}
	if enforced < 20 || enforced > 60 {
		t.Errorf("%d users with per-user MFA enforced, want about 2%% of 2,000", enforced)
	}
}

// The large profile holds the kinds added after #13's (generate_large14.go)
// at counts scaled by its size: PIM for Groups schedules of one security
// group in 100 (principals that are not already members), lifecycle
// workflows (4 + one per 1,000 users) whose tasks name extensions and groups
// that exist, custom task extensions, workflow settings other than the
// defaults, feature rollout policies of at most 10 assigned groups, and
// the default branding's customCSS. Built twice, the tenant is the same.
func TestGenerateLargeHoldsTheKindsOfIssue13Part2(t *testing.T) {
	tn := largeTenant13(t)
	for kind, want := range map[string]int{
		pgEligKind: 8, pgAssignKind: 1, // groups 0, 100, 200, 300 of the security groups; the first also an active member
		lcwWorkflowKind: 6, lcwCTEKind: 2, rolloutKindName: 3,
	} {
		if n := tn.Count(kind); n != want {
			t.Errorf("%d %s, want %d", n, kind, want)
		}
	}
	// A PIM for Groups schedule's principal is a user who was not a member:
	// the active one is one now (Graph adds it), an eligible one is not.
	for _, kind := range []string{pgEligKind, pgAssignKind} {
		for _, sc := range tn.List(kind) {
			grp, p := str(sc["groupId"]), str(sc["principalId"])
			member := containsFold(tn.Links("group", grp, "members"), p)
			if member != (kind == pgAssignKind) {
				t.Errorf("%s %s: principal %s member of %s: %v", kind, sc["id"], p, grp, member)
			}
			if u, ok := tn.Get("user", p); !ok || u["accountEnabled"] != true {
				t.Errorf("%s %s: principal %s is not an enabled user", kind, sc["id"], p)
			}
		}
	}
	categories := map[string]int{}
	custom := 0
	for _, r := range tn.colls[lcwWorkflowKind].live() {
		categories[str(r.get("category"))]++
		tasks := heldList(r, lcwTasks)
		if len(tasks) < 3 || len(tasks) > lcwMaxTasks {
			t.Errorf("workflow %q has %d tasks", r.o()["displayName"], len(tasks))
		}
		for _, task := range tasks {
			if ext := taskArg(task, "customTaskExtensionID"); ext != "" {
				custom++
				if _, ok := tn.Get(lcwCTEKind, ext); !ok {
					t.Errorf("workflow %q names extension %s, which does not exist", r.o()["displayName"], ext)
				}
			}
			if grp := taskArg(task, "groupID"); grp != "" {
				if _, ok := tn.Get("group", grp); !ok {
					t.Errorf("workflow %q names group %s, which does not exist", r.o()["displayName"], grp)
				}
			}
		}
	}
	if categories["joiner"] != 3 || categories["leaver"] != 3 || custom < 2 {
		t.Errorf("workflows by category %v, %d custom extension tasks", categories, custom)
	}
	if st, _ := tn.Get(lcwSettingsKind, "settings"); st["workflowScheduleIntervalInHours"] != 1 {
		t.Errorf("lifecycle workflow settings %v, want a schedule of 1 hour", st)
	}
	for _, p := range tn.List(rolloutKindName) {
		groups := tn.Links(rolloutKindName, str(p["id"]), "appliesTo")
		want := 2 // 2 + one per 500 groups
		if p["isEnabled"] != true {
			want = 0
		}
		if len(groups) != want {
			t.Errorf("rollout %q applies to %d groups, want %d", p["displayName"], len(groups), want)
		}
		for _, gid := range groups {
			if grp, ok := tn.Get("group", gid); !ok || isDynamic(grp) {
				t.Errorf("rollout %q applies to %s: not an assigned group", p["displayName"], gid)
			}
		}
	}
	if b, ok := tn.Get(brandingKindName, "0"); !ok || b["customCSSRelativeUrl"] == nil {
		t.Errorf("the default branding has no customCSS: %v", b)
	}
}

// The large profile holds organizational contacts, cross-tenant access
// partners, identity providers and API connectors (generate_large_ext.go)
// at counts scaled by its users: a contact per 50 users, a quarter of them
// members of a security group; 2 partners plus one per 5,000 users, a
// quarter with a user synchronization policy; the built-in and both social
// identity providers; a connector per user flow, and one more the partner
// flow calls after federation. Built twice, the tenant is the same
// (largeTenant13), and every reference resolves.
func TestGenerateLargeHoldsContactsPartnersProvidersAndConnectors(t *testing.T) {
	tn := largeTenant13(t)
	for kind, want := range map[string]int{
		"orgContact": 1997 / 50 /* the generated users: 2,000 less the admin and two emergency accounts */, partnerKind: 2, idpKind: 5, apiConnKind: 4,
	} {
		if n := tn.Count(kind); n != want {
			t.Errorf("%d %s, want %d", n, kind, want)
		}
	}
	members := 0
	for _, g := range tn.List("group") {
		for _, m := range tn.Links("group", str(g["id"]), "members") {
			if _, ok := tn.Get("orgContact", m); ok {
				members++
				if isUnified(g) || isDynamic(g) {
					t.Errorf("contact %s is a member of %q, which holds users only", m, g["displayName"])
				}
			}
		}
	}
	if members != 10 {
		t.Errorf("%d contact memberships, want 10 (one contact in four of 39)", members)
	}
	synced := 0
	for _, r := range tn.colls[partnerKind].live() {
		if r.get(heldPrefix+identitySync) != nil {
			synced++
		}
	}
	if synced != 1 {
		t.Errorf("%d partners with a user synchronization policy, want 1", synced)
	}
	for _, id := range []string{"Google-OAUTH", "Facebook-OAUTH", "EmailOTP-OAUTH"} {
		if _, ok := tn.Get(idpKind, id); !ok {
			t.Errorf("no identity provider %s", id)
		}
	}
	for _, f := range tn.colls[userFlowKind].live() {
		steps, _ := f.get(heldPrefix + ufConnectorsRel).(map[string]any)
		if len(steps) == 0 {
			t.Errorf("user flow %s calls no API connector", f.key())
		}
		for step, c := range steps {
			if _, ok := tn.Get(apiConnKind, str(c)); !ok {
				t.Errorf("user flow %s step %s names connector %v, which does not exist", f.key(), step, c)
			}
		}
		for _, p := range asSlice(f.get(heldPrefix + ufIdpRel)) {
			if _, ok := tn.Get(idpKind, str(p)); !ok {
				t.Errorf("user flow %s names identity provider %v, which does not exist", f.key(), p)
			}
		}
	}
}
