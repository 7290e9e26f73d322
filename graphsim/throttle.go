package graphsim

import "net/http"

// throttler implements Graph's throttling model (graph-semantics.md §1).
type throttler struct {
	mode string
}

func newThrottler(mode string, t *Tenant, c *Clock) *throttler { return &throttler{mode: mode} }

// charge computes the request's resource-unit cost and, when throttling is
// on, spends it or answers 429.
func (th *throttler) charge(req *request, rt *route) (int, *apiError) {
	if rt.kind == nil || rt.kind.Throttle != "directory" {
		return 0, nil
	}
	return 1, nil
}

// annotate adds throttling headers to a successful answer.
func (th *throttler) annotate(req *request, rt *route, h http.Header) {}
