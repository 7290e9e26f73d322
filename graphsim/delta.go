package graphsim

import "net/http"

// delta answers GET /{collection}/delta.
func (s *Server) delta(req *request, rt *route) (*response, *apiError) {
	return nil, errf(http.StatusNotImplemented, "NotImplemented", "delta is not implemented yet")
}
