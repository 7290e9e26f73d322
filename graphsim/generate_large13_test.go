package graphsim

import (
	"bytes"
	"testing"
)

// The large profile holds the kinds #13 added, at counts scaled by its
// size, built deterministically (the same seed, the same tenant) and with
// every reference resolving.
func TestGenerateLargeHoldsTheNewKinds(t *testing.T) {
	sz := Sizes{Users: 2000, Groups: 400, MembersPerGroup: 5, Apps: 12, CAPolicies: 5}
	s := genServer(t, Options{Profile: "large", Seed: 3, Sizes: sz})
	tn := s.Tenant()
	for kind, want := range map[string]int{
		emCatalogKind: 5 + 1, emPackageKind: 30, emPolicyKind: 45, emConnOrgKind: 5, // + the built-in General catalog caeKind: 4, userFlowKind: 3,
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
}
