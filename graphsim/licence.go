package graphsim

// Licences: what a tenant without Microsoft Entra ID P1 or P2 is refused.
//
// Privileged Identity Management needs Microsoft Entra ID P2 or ID Governance
// (learn.microsoft.com/entra/id-governance/privileged-identity-management/
// pim-configure, "License requirements"; learn.microsoft.com/graph/api/
// resources/privilegedidentitymanagementv3-overview). Graph's answer on a
// tenant without it is not on a reference page; as recorded from real
// tenants (public lab notes and the error handling of tools that read PIM),
// every PIM call, read or write, is answered 400 AadPremiumLicenseRequired
// "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID
// Governance license." graphsim answers so for every path below
// roleManagement/directory that is a schedule, a schedule instance or a
// schedule request, for PIM for groups and for PIM's role settings.
//
// Conditional Access needs Microsoft Entra ID P1
// (learn.microsoft.com/entra/identity/conditional-access/overview, "License
// requirements"). On a tenant without it, Graph was recorded answering the
// policies' GET 200 (the list; reading is open) and their POST 403
// AccessDenied "Your tenant is not licensed for this feature. Please
// upgrade your subscription to access it." graphsim refuses every write
// (POST, PATCH, PUT, DELETE) below the Conditional Access policies, named
// locations and authentication strengths that way and serves their reads.
// Named locations and authentication strengths are parts of Conditional
// Access; that their writes are refused too is the strict reading (Graph
// documents nothing for them).

import (
	"fmt"
	"net/http"
	"strings"
)

// Licence levels of an emulated tenant (Options.Licence).
const (
	LicenceFree = "free"
	LicenceP1   = "p1"
	LicenceP2   = "p2"
)

// ParseLicence reads a licence level as the graphsim command takes it
// (free, p1, p2, case-insensitive); "" is P2.
func ParseLicence(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", LicenceP2:
		return LicenceP2, nil
	case LicenceP1:
		return LicenceP1, nil
	case LicenceFree:
		return LicenceFree, nil
	}
	return "", fmt.Errorf("licence %q: want free, p1 or p2", s)
}

// licenceRank orders the levels: free 0, P1 1, P2 2 ("" is P2).
func licenceRank(l string) int {
	switch l {
	case LicenceFree:
		return 0
	case LicenceP1:
		return 1
	}
	return 2
}

// pimPrefixes are the PIM paths (relative to the version root) that need P2.
var pimPrefixes = []string{
	"roleManagement/directory/roleEligibilitySchedule", // Schedules, ScheduleRequests, ScheduleInstances
	"roleManagement/directory/roleAssignmentSchedule",  // Schedules, ScheduleRequests, ScheduleInstances
	"identityGovernance/privilegedAccess/group",        // PIM for groups
	"policies/roleManagementPolicies",                  // PIM role settings
	"policies/roleManagementPolicyAssignments",
}

// caPrefixes are the Conditional Access paths whose writes need P1.
var caPrefixes = []string{
	"identity/conditionalAccess/policies",
	"identity/conditionalAccess/namedLocations",
	"identity/conditionalAccess/authenticationStrength",
	"identity/conditionalAccess/authenticationStrengths",
	"policies/authenticationStrengthPolicies",
	"identity/conditionalAccess/deletedItems",
	"identity/conditionalAccess/authenticationContextClassReferences", // authcontext.go
}

func underPrefix(path string, prefixes []string) bool {
	p := strings.ToLower(path)
	for _, pre := range prefixes {
		if strings.HasPrefix(p, strings.ToLower(pre)) {
			return true
		}
	}
	return false
}

// licenceGate answers a request the tenant's licence does not cover, as
// Graph does (see the top of this file); nil when the licence covers it.
func (s *Server) licenceGate(req *request) *apiError {
	rank := licenceRank(s.Licence())
	if rank >= 2 {
		return nil
	}
	if underPrefix(req.path, pimPrefixes) {
		return errf(http.StatusBadRequest, "AadPremiumLicenseRequired",
			"The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.")
	}
	if rank < 1 && req.method != http.MethodGet && underPrefix(req.path, caPrefixes) {
		return errf(http.StatusForbidden, "AccessDenied",
			"Your tenant is not licensed for this feature. Please upgrade your subscription to access it.")
	}
	return nil
}

// SetLicence changes the tenant's licence level (a tenant that loses or
// gains a licence); "" is P2.
func (s *Server) SetLicence(l string) error {
	v, err := ParseLicence(l)
	if err != nil {
		return err
	}
	s.licence.Store(v)
	return nil
}

// Licence is the tenant's licence level now.
func (s *Server) Licence() string {
	v, _ := s.licence.Load().(string)
	return v
}
