package graph

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Limits on what one Graph answer may hold. A server that sends more is
// refused with an error naming the request and the limit; an answer is
// never cut short and accepted as if it were whole.
const (
	// DefaultMaxResponseBytes bounds one response body. Graph's largest
	// answers (a page of 999 objects, a $batch of 20 such pages) are a few
	// megabytes.
	DefaultMaxResponseBytes int64 = 64 << 20
	// DefaultMaxPages bounds the pages of one List or Delta round: 100,000
	// pages of 100 items are ten million objects, more than any tenant
	// holds, so only a server that never ends a list reaches it.
	DefaultMaxPages = 100_000
	// maxRedirects bounds the redirects followed within the Graph root.
	maxRedirects = 5
)

// ErrLimit is wrapped by the errors of answers larger than a limit of
// Config (MaxResponseBytes, MaxPages) and of redirects away from the Graph
// root. Such errors are not retried.
var ErrLimit = errors.New("limit exceeded")

// ErrPlainHTTP is wrapped by New's error for a Graph root with scheme http
// on a host that is not loopback.
var ErrPlainHTTP = errors.New("plain http to a non-loopback host")

// limitError is an answer refused for its size or destination. It is
// permanent: the request is not retried.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return ErrLimit }

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// checkRedirect is the http.Client's redirect policy. Graph does not
// redirect the directory API calls entrasnap makes (its documented
// redirects are file-content downloads to pre-authenticated URLs on other
// hosts, which entrasnap never requests), so a redirect to another scheme,
// host or port is refused: the token is not sent there and the answer is
// never taken as Graph data. A redirect within the same origin keeps the
// Authorization header and is followed at most maxRedirects times.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if !sameOrigin(req.URL, first) {
		return &limitError{fmt.Sprintf("the answer redirects to %q, away from %s; entrasnap follows no redirect to another host or scheme (its token is not sent there, and the answer would not be Graph's): check --graph-url and any proxy in between",
			req.URL.Scheme+"://"+req.URL.Host, first.Scheme+"://"+first.Host)}
	}
	if len(via) > maxRedirects {
		return &limitError{fmt.Sprintf("more than %d redirects", maxRedirects)}
	}
	return nil
}

// checkPlainHTTP refuses a Graph root that would carry tokens unencrypted:
// http is allowed only to a loopback host (graphsim, a local proxy).
func checkPlainHTTP(raw string, base *url.URL) error {
	if base.Scheme == "https" || isLoopback(base.Hostname()) {
		return nil
	}
	return fmt.Errorf("graph: BaseURL %q: %w: plain http is allowed only to a loopback host (127.0.0.1, ::1, localhost), since the access token would travel unencrypted; use https", raw, ErrPlainHTTP)
}

// formatBytes renders a byte count for messages ("64 MiB", "1500 bytes").
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// CheckBaseURL reports whether raw is usable as Config.BaseURL: an
// absolute http(s) Graph root without version, query or user info, and
// plain http only to a loopback host (the error then wraps ErrPlainHTTP).
// New makes the same checks.
func CheckBaseURL(raw string) error {
	base, err := normalizeBaseURL(raw)
	if err != nil {
		return err
	}
	return checkPlainHTTP(raw, base)
}
