package graphsim

import "net/http"

// Terms of use agreements (/identityGovernance/termsOfUse/agreements) are
// not emulated: every page of the agreement API lists "Application: Not
// supported" (Agreement.Read.All and Agreement.ReadWrite.All are delegated
// permissions only; permissions.json has no application row), and every
// graphsim token is an application token, so a client of graphsim could
// not read or write one anyway. graphsim's tenant therefore holds no
// agreement, and a Conditional Access policy whose grantControls.termsOfUse
// names one names nothing: refused, as a policy naming a missing group or
// location is (strict reading: resources/conditionalaccessgrantcontrols
// says termsOfUse holds agreement ids; the refusal text is not documented).
func (s *Server) termsOfUseExist(p map[string]any) *apiError {
	if ids := strs(lookupPath(p, "grantControls/termsOfUse")); len(ids) > 0 {
		return errf(http.StatusBadRequest, "BadRequest", "The policy contains invalid terms of use in grantControls.termsOfUse: %s.", ids[0])
	}
	return nil
}
