package graphsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// apiError is a Graph error answer: an HTTP status and Graph's error JSON.
type apiError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter string      // Retry-After header value, "" for none
	Header     http.Header // extra headers (throttle scope, Location for 410, ...)
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Graph's exact messages for the common directory errors
// (graph-semantics.md §3.4, §6).
const (
	msgDenied        = "Insufficient privileges to complete the operation."
	msgDuplicateLink = "One or more added object references already exist for the following modified properties: '%s'."
	msgMissingLink   = "One or more removed object references do not exist for the following modified properties: '%s'."
	msgConflict      = "Another object with the same value for property %s already exists."
	msgMethod        = "Specified HTTP method is not allowed for the request target."
	msgReadOnly      = "Property '%s' is read-only and cannot be set."
	msgThrottled     = "Please retry again later."
	msgLinkLimit     = "A resource cannot contain more than 20 link changes"
)

func notFound(id string) *apiError {
	return errf(http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func badRequest(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "Request_BadRequest", format, args...)
}

func methodNotAllowed() *apiError {
	return errf(http.StatusMethodNotAllowed, "Request_BadRequest", msgMethod)
}

func denied() *apiError {
	return errf(http.StatusForbidden, "Authorization_RequestDenied", msgDenied)
}

// errorBody renders Graph's error JSON with innerError carrying the request id
// and date, as Graph does.
func errorBody(e *apiError, requestID, clientRequestID string, now time.Time) []byte {
	inner := map[string]any{
		"date":       now.UTC().Format("2006-01-02T15:04:05"),
		"request-id": requestID,
	}
	if clientRequestID != "" {
		inner["client-request-id"] = clientRequestID
	}
	if e.Status == http.StatusTooManyRequests {
		inner["code"] = "429"
		inner["status"] = "429"
		inner["message"] = "Please retry after"
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code": e.Code, "message": e.Message, "innerError": inner,
	}})
	return b
}
