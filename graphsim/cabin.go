package graphsim

import (
	"net/http"
	"strings"
)

// The Conditional Access recycle bin
// (/identity/conditionalAccess/deletedItems/{policies|namedLocations}: list,
// get, restore, purge) is documented for beta only, and its pages list
// "Application: Not supported" as the permission:
//
//   - https://learn.microsoft.com/graph/api/conditionalaccesspolicy-restore?view=graph-rest-beta
//   - https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy?view=graph-rest-beta
//     ("List deleted policies", "Get deleted policy", "Restore", "Permanently delete")
//   - https://learn.microsoft.com/graph/api/policydeletableitem-delete?view=graph-rest-beta
//
// The v1.0 CSDL declares the navigation (graph-semantics.md §3.2), but no
// v1.0 page documents it: the strict reading is beta only. graphsim serves
// it under /beta only (under /v1.0 the segment is unknown, 400 like any
// unknown segment), and every graphsim token is an app-only
// (client credentials) token, so by default every call is refused with the
// Conditional Access service's answer to a token lacking what the endpoint
// needs. Graph does not document the exact body for an unsupported token
// type; this is the one the CA endpoints give for missing scopes (403
// AccessDenied "You cannot perform the requested operation, required scopes
// are missing in the token.", widely recorded) — the strict reading.
// Options.CARecycleBinAppOnly models a future Graph that allows app-only
// access.
const msgCAScopes = "You cannot perform the requested operation, required scopes are missing in the token."

// caBinAllowed refuses the CA recycle bin to app-only tokens unless the
// server models a Graph that allows it.
func (s *Server) caBinAllowed(req *request) *apiError {
	if s.opts.CARecycleBinAppOnly {
		return nil
	}
	return errf(http.StatusForbidden, "AccessDenied", msgCAScopes)
}

// Replication lag (Options.EventualConsistency). Graph's group-post-members
// page (https://learn.microsoft.com/graph/api/group-post-members) answers 400
// when "the group is freshly created and not yet replicated"; a reference to
// an object created moments ago is answered, as widely recorded, with 400
// Request_BadRequest "One or more added object references do not exist for
// the following modified properties: 'members'." (graph-semantics.md §3.4).
// A reference to an object that does not exist at all stays 404.
const (
	msgRefNotReplicated    = "One or more added object references do not exist for the following modified properties: '%s'."
	msgSourceNotReplicated = "The source resource object or one of the objects being referenced don't exist."
)

// lagging reports whether a live directory object with this id exists but
// is not yet visible (created less than the lag ago). Callers hold t.mu.
func (t *Tenant) lagging(id string) bool {
	return t.hidden(t.dirIndex[strings.ToLower(id)])
}

// hidden reports whether r exists but is not yet visible.
func (t *Tenant) hidden(r *record) bool {
	return r != nil && !r.gone && !t.visible(r)
}
