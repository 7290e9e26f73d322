package graphsim

import "github.com/entrasnap/entrasnap/graphsim/csdl"

// validateDeclared checks a POST/PATCH body against the declared properties
// of Graph's type (graphsim/csdl, generated from Graph's CSDL): unknown
// properties and values of the wrong JSON kind are Graph's 400.
func validateDeclared(odataType string, body map[string]any) *apiError {
	if props, ok := betaTypes[odataType]; ok { // external.go: not in the v1.0 CSDL
		return validateBeta(odataType, props, body)
	}
	if err := csdl.ValidatePayload(odataType, body); err != nil {
		return badRequest("%s", err.Error())
	}
	return nil
}
