package graph

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	backoffBase   = time.Second
	backoffCap    = 60 * time.Second
	maxRetryAfter = 5 * time.Minute
)

// parseRetryAfter reads a Retry-After value: seconds (integer or fractional,
// Graph's samples show "2.128") or an HTTP date. ok is false when the value
// is absent or unusable. Values are capped at maxRetryAfter.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 {
			return 0, false
		}
		if secs > maxRetryAfter.Seconds() {
			return maxRetryAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
		if d < 0 {
			d = 0
		}
		return min(d, maxRetryAfter), true
	}
	return 0, false
}

// backoff is the wait before retry number n (0-based) when the server gave
// no Retry-After: 1s·2ⁿ plus up to 50% jitter, capped at backoffCap.
func backoff(n int) time.Duration {
	d := backoffCap
	if n < 16 {
		d = min(backoffBase<<n, backoffCap)
	}
	d += time.Duration(rand.Int64N(int64(d)/2 + 1))
	return min(d, backoffCap)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// idempotent reports whether Graph treats method idempotently, so a 5xx or
// a dropped connection may be retried without the caller opting in.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// retryableStatus reports whether status may be retried for a request of
// the given idempotency. 429 always: a throttled request was not executed.
func retryableStatus(status int, idem bool) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idem
	}
	return false
}
