package graphsim

import "strings"

// API versions. Graph serves a path only under the versions whose metadata
// and documentation have it; a path that one version lacks is answered like
// any unknown segment: 400 BadRequest "Resource not found for the segment
// '<first segment that version lacks>'." (the shape Graph answers for a
// beta-only path asked under /v1.0, e.g. microsoftgraph/microsoft-graph-docs#4900
// and microsoftgraph/msgraph-beta-sdk-python#764).
//
// graphsim serves every path it knows under /beta (beta is a superset of
// v1.0 for everything graphsim emulates), and under /v1.0 every path except
// the ones listed here. TestVersionsMatchV1Metadata walks every path graphsim
// serves under /v1.0 through Graph's v1.0 CSDL (shared/graph-metadata) so a
// path added to graphsim that v1.0 lacks fails there until it is listed.

// betaOnly is one path prefix (lower-case segments under the version root)
// that Graph has under /beta only, with why.
type betaOnly struct {
	segs []string
	why  string
}

var betaOnlyPaths = []betaOnly{
	{
		// The v1.0 CSDL declares conditionalAccessRoot.deletedItems, but
		// Graph documents list, get, restore and purge of deleted policies
		// and named locations for beta only (conditionalaccesspolicy-restore
		// and resources/conditionalaccesspolicy have no v1.0 page:
		// ?view=graph-rest-beta&viewFallbackFrom=graph-rest-1.0). Strict
		// reading: beta only (cabin.go).
		segs: []string{"identity", "conditionalaccess", "deleteditems"},
		why:  "documented under /beta only (conditionalaccesspolicy-restore?view=graph-rest-beta); metadata-only in v1.0",
	},
	{
		// v1.0 has administrative units below /directory only
		// (directory-list-administrativeunits, administrativeunit-get: GET
		// /directory/administrativeUnits); the v1.0 CSDL has no
		// administrativeUnits entity set. The top-level set is beta's.
		segs: []string{"administrativeunits"},
		why:  "no administrativeUnits entity set in v1.0; v1.0 documents /directory/administrativeUnits",
	},
	{
		// resources/externalidentitiespolicy has a beta page only; the v1.0
		// CSDL has no policyRoot.externalIdentitiesPolicy (external.go).
		segs: []string{"policies", "externalidentitiespolicy"},
		why:  "documented under /beta only (externalidentitiespolicy-get?view=graph-rest-beta); not in the v1.0 CSDL",
	},
}

// versionLacks reports the segment of path (split, original spelling) that
// version does not have, or "" when the version serves the path's prefix.
func versionLacks(version string, segs []string) string {
	if version == "beta" {
		return ""
	}
	for _, b := range betaOnlyPaths {
		if len(segs) < len(b.segs) {
			continue
		}
		match := true
		for i, s := range b.segs {
			if !strings.EqualFold(segs[i], s) {
				match = false
				break
			}
		}
		if match {
			return segs[len(b.segs)-1]
		}
	}
	return ""
}
