package graphsim

import "net/http"

// serveBatch answers POST /$batch.
func (s *Server) serveBatch(req *request) *response {
	return s.errorResp(req, errf(http.StatusNotImplemented, "NotImplemented", "$batch is not implemented yet"))
}
