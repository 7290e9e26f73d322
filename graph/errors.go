package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/entrasnap/entrasnap/internal/textcut"
)

// Error is a Graph error response (HTTP status >= 400), parsed from
// {"error":{"code","message","innerError":{"request-id","date"}}}.
// Use errors.As to reach it through wrapping.
type Error struct {
	Status     int
	Code       string // Graph code, e.g. Request_ResourceNotFound; HTTP status text when absent
	Message    string
	RequestID  string
	Date       string
	Method     string
	Path       string        // request path relative to the Graph root, query shortened
	RetryAfter time.Duration // Retry-After of the last response, 0 if none
	Details    []ErrorDetail // error.details, e.g. PropertyConflict on validateProperties

	location string // Location header, for ErrResyncRequired
}

// ErrorDetail is one entry of Graph's error.details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}

// Error names method, path, status, code, message and request-id. It never
// contains request headers or tokens.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	fmt.Fprintf(&b, "%d %s", e.Status, e.Code)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	var meta []string
	if e.RequestID != "" {
		meta = append(meta, "request-id "+e.RequestID)
	}
	if e.Date != "" {
		meta = append(meta, "date "+e.Date)
	}
	if len(meta) > 0 {
		b.WriteString(" (" + strings.Join(meta, ", ") + ")")
	}
	return b.String()
}

// ErrResyncRequired is returned by Delta when Graph answers 410 Gone or an
// expired/unknown delta token (codes resyncRequired, syncStateNotFound): the
// caller must start a full round again, from Location when it is set or from
// the original delta path otherwise.
type ErrResyncRequired struct {
	Location string // the Location header of a 410, a URL with an empty $deltatoken
	Err      *Error
}

func (e *ErrResyncRequired) Error() string {
	msg := "graph: delta resync required"
	if e.Err != nil {
		msg += ": " + strings.TrimPrefix(e.Err.Error(), "graph: ")
	}
	return msg
}

// Unwrap returns the underlying *Error.
func (e *ErrResyncRequired) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// IsResyncRequired reports whether err is or wraps *ErrResyncRequired.
func IsResyncRequired(err error) bool {
	var r *ErrResyncRequired
	return errors.As(err, &r)
}

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsNotFound reports whether err is a Graph 404.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsThrottled reports whether err is a Graph 429 (after the retries ran out).
func IsThrottled(err error) bool { return statusIs(err, http.StatusTooManyRequests) }

// IsForbidden reports whether err is a Graph 403 (missing permission or role).
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

func statusIs(err error, status int) bool {
	e := AsError(err)
	return e != nil && e.Status == status
}

type errorBody struct {
	Error *struct {
		Code       string          `json:"code"`
		Message    string          `json:"message"`
		InnerError json.RawMessage `json:"innerError"`
		Details    []ErrorDetail   `json:"details"`
	} `json:"error"`
}

type innerError struct {
	RequestID  string          `json:"request-id"`
	Date       string          `json:"date"`
	InnerError json.RawMessage `json:"innerError"`
}

// parseError builds an *Error from a failed response. header may be nil
// (batch items carry their headers separately).
func parseError(status int, header http.Header, body []byte, method, path string) *Error {
	e := &Error{Status: status, Method: method, Path: shortPath(path)}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
		e.Code, e.Message, e.Details = eb.Error.Code, eb.Error.Message, eb.Error.Details
		// innerError may nest; take the first request-id and date found.
		raw := eb.Error.InnerError
		for depth := 0; len(raw) > 0 && depth < 5; depth++ {
			var ie innerError
			if json.Unmarshal(raw, &ie) != nil {
				break
			}
			if e.RequestID == "" {
				e.RequestID = ie.RequestID
			}
			if e.Date == "" {
				e.Date = ie.Date
			}
			raw = ie.InnerError
		}
	} else if s := printable(body, 200); s != "" {
		e.Message = s
	}
	if e.Code == "" {
		e.Code = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	if header != nil {
		if e.RequestID == "" {
			e.RequestID = header.Get("request-id")
		}
		if e.Date == "" {
			e.Date = header.Get("Date")
		}
		e.RetryAfter, _ = parseRetryAfter(header.Get("Retry-After"), time.Now())
		e.location = header.Get("Location")
	}
	return e
}

// printable returns body as one line of at most n runes when it is plain
// text (e.g. a gateway's "Service Unavailable"), else "".
func printable(body []byte, n int) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" || strings.HasPrefix(s, "<") {
		return ""
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return ""
		}
	}
	return textcut.Cut(s, n)
}

// shortPath trims long queries (skip and delta tokens) for error texts.
func shortPath(p string) string { return textcut.Cut(p, 200) }
