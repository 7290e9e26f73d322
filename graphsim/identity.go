package graphsim

import (
	"net/http"
	"strings"
)

// authenticate maps an Authorization header to a principal.
func (s *Server) authenticate(h string) (*principal, *apiError) {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
	}
	s.mu.Lock()
	p := s.tokens[tok]
	s.mu.Unlock()
	if p == nil {
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	}
	return p, nil
}

// authorize checks the principal's permissions for the request.
func (s *Server) authorize(req *request) *apiError { return nil }

// serveIdentity answers the token endpoint and OpenID metadata.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
