package graph

import (
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Stats counts what a Client did since New. Exporters report it per run.
type Stats struct {
	Requests      int64 // HTTP requests sent, retries and $batch envelopes included
	Retries       int64 // requests and $batch items sent again after a retryable failure
	Throttled     int64 // 429 answers, $batch items included
	Errors        int64 // final failures returned to callers (after retries)
	ResourceUnits int64 // sum of x-ms-resource-unit headers
	BatchItems    int64 // $batch items sent, retries included
	// Endpoints is keyed by "METHOD /version/path/template" with ids as {id}
	// and no query, e.g. "GET /v1.0/groups/{id}/members". $batch items are
	// counted under their own endpoint.
	Endpoints map[string]EndpointStats
}

// EndpointStats counts one endpoint template.
type EndpointStats struct {
	Requests      int64
	Throttled     int64
	ResourceUnits int64
}

type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

func newStatsRecorder() *statsRecorder {
	return &statsRecorder{s: Stats{Endpoints: map[string]EndpointStats{}}}
}

// record counts one response (status 0: none) for an endpoint key.
func (r *statsRecorder) record(key string, status int, ru int64, batchItem bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ep := r.s.Endpoints[key]
	ep.Requests++
	ep.ResourceUnits += ru
	if batchItem {
		r.s.BatchItems++
	} else {
		r.s.Requests++
	}
	if status == http.StatusTooManyRequests {
		ep.Throttled++
		r.s.Throttled++
	}
	r.s.ResourceUnits += ru
	r.s.Endpoints[key] = ep
}

func (r *statsRecorder) add(retries, errs int64) {
	r.mu.Lock()
	r.s.Retries += retries
	r.s.Errors += errs
	r.mu.Unlock()
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.s
	out.Endpoints = make(map[string]EndpointStats, len(r.s.Endpoints))
	for k, v := range r.s.Endpoints {
		out.Endpoints[k] = v
	}
	return out
}

// resourceUnits parses x-ms-resource-unit ("1", "2"; a fraction rounds up).
func resourceUnits(v string) int64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && !math.IsInf(f, 0) {
		return int64(math.Ceil(f))
	}
	return 0
}

var (
	guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// nameRe matches Graph's camelCase segment names, allowing one run of
	// digits inside (oauth2PermissionGrants).
	nameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z]*([0-9]+[A-Za-z]+)?$`)
)

// EndpointTemplate reduces a request path (relative, with version) to the
// template used as a Stats key: query dropped, ids replaced by {id}, key
// segments such as applications(appId='…') by applications({key}). The
// heuristic: a segment is an id when it is a GUID, contains '@', '%', '-',
// '_', '.' or '=' (bar microsoft.graph.* casts), or is not a camelCase name.
func EndpointTemplate(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		switch {
		case i == 0 && (s == "v1.0" || s == "beta"):
		case s == "" || strings.HasPrefix(s, "$") || strings.HasPrefix(s, "microsoft.graph."):
		case strings.Contains(s, "("):
			name, args, _ := strings.Cut(s, "(")
			if args != ")" {
				segs[i] = templateSegment(name) + "({key})"
			}
		default:
			segs[i] = templateSegment(s)
		}
	}
	return "/" + strings.Join(segs, "/")
}

func templateSegment(s string) string {
	if guidRe.MatchString(s) || len(s) > 48 || !nameRe.MatchString(s) {
		return "{id}"
	}
	return s
}
