package live

import (
	"strings"

	"github.com/entrasnap/entrasnap/graph"
)

// Licences. A tenant without Microsoft Entra ID P2 (or ID Governance) is
// refused every PIM call: Graph answers 400 AadPremiumLicenseRequired. A
// tenant without P1 is refused Conditional Access writes: 403 AccessDenied
// "Your tenant is not licensed for this feature." (graphsim/licence.go has
// the sources). Such a kind is "not licensed": not a failure of the backup
// but a fact about the tenant. Export carries the kind's files from the
// previous snapshot (a tenant that lost its licence still has the objects
// it had; a refused read is never recorded as deletions), marks the kind
// not licensed in the manifest and exits 0; restore plans nothing for it.

// Licence names, as the product says them.
const (
	LicenceP2 = "Microsoft Entra ID P2 or Microsoft Entra ID Governance"
	LicenceP1 = "Microsoft Entra ID P1"
)

// LicenceNeeded says which licence Graph refused err for, or "" when err
// is not a licence refusal. kind is the kind (layout name) the request was
// for: a 403 "not licensed" names no licence, and Conditional Access needs P1.
func LicenceNeeded(err error, kind string) string {
	ge := graph.AsError(err)
	if ge == nil {
		return ""
	}
	if strings.EqualFold(ge.Code, "AadPremiumLicenseRequired") {
		return LicenceP2
	}
	if ge.Status == 403 && strings.Contains(strings.ToLower(ge.Message), "not licensed") {
		switch kind {
		case "conditional-access-policies", "named-locations", "authentication-strengths":
			return LicenceP1
		}
		return "a Microsoft Entra ID premium licence"
	}
	return ""
}

// NotLicensedReason is the stable text recorded for a kind the tenant is
// not licensed for.
func NotLicensedReason(licence string) string {
	return "not licensed in this tenant (needs " + licence + ")"
}
