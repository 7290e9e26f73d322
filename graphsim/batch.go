package graphsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// JSON batching (graph-semantics.md §1.4): POST /{v1.0|beta}/$batch with
// {"requests":[{id, method, url, headers?, body?, dependsOn?}]}. A malformed
// envelope answers 400 as a whole; otherwise the answer is 200 with one
// response per request, each produced by s.handle so that permissions,
// throttling (item 429 with Retry-After), faults and stats apply per item.

// batchMaxRequests is Graph's limit on requests in one batch.
const batchMaxRequests = 20

const jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

type batchRequest struct {
	ID        string          `json:"id"`
	Method    string          `json:"method"`
	URL       string          `json:"url"`
	Headers   map[string]any  `json:"headers"`
	Body      json.RawMessage `json:"body"`
	DependsOn []string        `json:"dependsOn"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

func batchBad(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "BadRequest", format, args...)
}

// serveBatch answers POST /$batch.
func (s *Server) serveBatch(req *request) *response {
	resp := s.runBatch(req)
	s.stats.record(req.method, "/$batch", resp.status, 0)
	return resp
}

func (s *Server) runBatch(req *request) *response {
	items, order, aerr := parseBatch(req.body)
	if aerr != nil {
		return s.errorResp(req, aerr)
	}
	byID := map[string]int{}
	for i, it := range items {
		byID[strings.ToLower(it.ID)] = i
	}
	if !s.opts.BatchInOrder {
		// Graph runs requests without dependsOn in no promised order and
		// lists the answers in any order ("Responses to the batched requests
		// might appear in a different order. The id property can be used to
		// correlate individual requests and responses.": learn:/graph/json-batching).
		order = batchOrder(items, s.batchPerm(len(items)))
	}
	status := make([]int, len(items))
	out := make([]batchResponse, len(items))
	for _, i := range order {
		it := items[i]
		failed := ""
		for _, d := range it.DependsOn {
			if status[byID[strings.ToLower(d)]] >= 400 {
				failed = d
				break
			}
		}
		var r *response
		if failed != "" {
			r = s.errorResp(req, errf(http.StatusFailedDependency, "FailedDependency",
				"The request with id '%s' failed; a request that depends on it is not run.", failed))
		} else {
			r = s.runBatchItem(req, it)
		}
		status[i] = r.status
		out[i] = batchItemResponse(it.ID, r)
	}
	if !s.opts.BatchInOrder {
		perm := s.batchPerm(len(out))
		shuffled := make([]batchResponse, len(out))
		for i, j := range perm {
			shuffled[i] = out[j]
		}
		out = shuffled
	}
	return jsonResp(http.StatusOK, map[string]any{"responses": out})
}

// batchPerm is a permutation of 0..n-1 drawn from the server's seeded source.
func (s *Server) batchPerm(n int) []int {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	return s.batchRNG.Perm(n)
}

// batchOrder is an order to run items in that respects dependsOn: repeatedly
// the first request in scan order whose dependencies have run. It is nil
// when the dependencies form a cycle.
func batchOrder(items []batchRequest, scan []int) []int {
	done := make([]bool, len(items))
	ran := map[string]bool{}
	order := make([]int, 0, len(items))
	for len(order) < len(items) {
		progress := false
		for _, i := range scan {
			it := items[i]
			if done[i] {
				continue
			}
			ready := true
			for _, d := range it.DependsOn {
				if !ran[strings.ToLower(d)] {
					ready = false
					break
				}
			}
			if ready {
				done[i], progress = true, true
				ran[strings.ToLower(it.ID)] = true
				order = append(order, i)
			}
		}
		if !progress {
			return nil
		}
	}
	return order
}

// parseBatch reads and checks the envelope, and returns the requests and an
// order to run them in that respects dependsOn (request order otherwise).
func parseBatch(body []byte) ([]batchRequest, []int, *apiError) {
	var env struct {
		Requests *[]batchRequest `json:"requests"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil || env.Requests == nil {
		return nil, nil, batchBad("Invalid batch payload format.")
	}
	items := *env.Requests
	switch {
	case len(items) == 0:
		return nil, nil, batchBad("Invalid batch payload format: the batch contains no requests.")
	case len(items) > batchMaxRequests:
		return nil, nil, batchBad("Number of requests inside batch exceeds the limit.")
	}
	seen := map[string]bool{}
	for _, it := range items {
		id := strings.ToLower(it.ID)
		switch {
		case it.ID == "":
			return nil, nil, batchBad("Invalid batch payload format: every request needs an 'id'.")
		case seen[id]:
			return nil, nil, batchBad("Batch request contains duplicate request id '%s'.", it.ID)
		case it.Method == "":
			return nil, nil, batchBad("Invalid batch payload format: request id '%s' has no 'method'.", it.ID)
		case it.URL == "":
			return nil, nil, batchBad("Invalid batch payload format: request id '%s' has no 'url'.", it.ID)
		}
		seen[id] = true
		if hasBody(it.Body) && headerValue(it.Headers, "Content-Type") == "" {
			return nil, nil, batchBad("Write request id : %s does not contain Content-Type header or body.", it.ID)
		}
	}
	for _, it := range items {
		for _, d := range it.DependsOn {
			if !seen[strings.ToLower(d)] {
				return nil, nil, batchBad("Request id '%s' depends on request id '%s', which is not in the batch.", it.ID, d)
			}
			if strings.EqualFold(d, it.ID) {
				return nil, nil, batchBad("Request id '%s' depends on itself.", it.ID)
			}
		}
	}
	// Order: repeatedly take the first request whose dependencies have run.
	scan := make([]int, len(items))
	for i := range scan {
		scan[i] = i
	}
	order := batchOrder(items, scan)
	if order == nil {
		return nil, nil, batchBad("Invalid batch payload format: the dependsOn references form a cycle.")
	}
	return items, order, nil
}

func hasBody(b json.RawMessage) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

func headerValue(h map[string]any, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return str(v)
		}
	}
	return ""
}

// runBatchItem builds the item's request from the envelope and runs it.
func (s *Server) runBatchItem(env *request, it batchRequest) *response {
	sub := &request{
		method:    strings.ToUpper(it.Method),
		version:   env.version,
		header:    http.Header{},
		root:      env.root,
		principal: env.principal,
		requestID: newRequestID(),
		unfaulted: env.unfaulted,
	}
	for k, v := range it.Headers {
		sub.header.Set(k, str(v))
	}
	path, query, aerr := batchItemURL(it.URL, env.version)
	if aerr != nil {
		return s.errorResp(sub, aerr)
	}
	sub.path, sub.query = path, query
	if strings.EqualFold(path, "$batch") {
		return s.errorResp(sub, batchBad("Nested batch requests are not supported."))
	}
	if hasBody(it.Body) {
		sub.body = batchItemBody(it.Body, sub.header.Get("Content-Type"))
	}
	if env.unfaulted {
		return s.handle(sub)
	}
	if drop, ferr, after := s.faults.injectLost(); drop || ferr != nil {
		if ferr == nil {
			// A dropped connection cannot happen inside a batch; Graph's gateway
			// answers the item as a timeout instead.
			ferr = errf(http.StatusGatewayTimeout, "UnknownError", "")
		}
		if after && sub.method != http.MethodGet {
			s.handle(sub) // carried out, its answer lost (faults.go)
			s.stats.lostAnswer(sub.method, templateOf(sub.path))
		} else {
			s.stats.fault(sub.method, templateOf(sub.path))
		}
		return s.errorResp(sub, ferr)
	}
	return s.handle(sub)
}

// batchItemURL splits an item's url, relative to the version root ("/users"
// or "users?$select=id"); a leading version or an absolute Graph URL is
// accepted when it names the envelope's version. Items run under the
// envelope's version root, so another version there is a segment that root
// does not have (strict reading: undocumented; versions.go).
func batchItemURL(raw, version string) (string, url.Values, *apiError) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", nil, batchBad("Invalid request URL '%s'.", raw)
	}
	p := strings.TrimPrefix(u.EscapedPath(), "/")
	for _, v := range []string{"v1.0", "beta"} {
		if p == v || strings.HasPrefix(p, v+"/") {
			if v != version {
				return "", nil, notFoundSegment(v)
			}
			p = strings.TrimPrefix(strings.TrimPrefix(p, v), "/")
		}
	}
	p, err = url.PathUnescape(p)
	if err != nil || p == "" {
		return "", nil, batchBad("Invalid request URL '%s'.", raw)
	}
	return strings.TrimSuffix(p, "/"), u.Query(), nil
}

// batchItemBody turns an item's body into request bytes: JSON for JSON
// content types, the string itself for text/*, base64 otherwise (OData JSON
// batch format).
func batchItemBody(b json.RawMessage, contentType string) []byte {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "json") {
		return []byte(b)
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return []byte(b)
	}
	if strings.HasPrefix(ct, "text/") {
		return []byte(s)
	}
	if d, err := base64.StdEncoding.DecodeString(s); err == nil {
		return d
	}
	if d, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return d
	}
	return []byte(s)
}

// batchItemResponse renders one handled item: headers flattened to strings,
// JSON bodies inline, text bodies as strings, other bodies base64.
func batchItemResponse(id string, r *response) batchResponse {
	br := batchResponse{ID: id, Status: r.status, Headers: map[string]string{}}
	for k, v := range r.header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-ms-") {
			k = lk // Graph spells its own headers in lower case: x-ms-resource-unit
		}
		br.Headers[k] = strings.Join(v, ", ")
	}
	switch b := r.body.(type) {
	case nil:
	case []byte:
		ct := r.header.Get("Content-Type")
		if ct == "" {
			ct = "text/plain"
			br.Headers["Content-Type"] = ct
		}
		if strings.HasPrefix(strings.ToLower(ct), "text/") {
			br.Body = string(b)
		} else {
			br.Body = base64.StdEncoding.EncodeToString(b)
		}
	default:
		br.Body = b
		br.Headers["Content-Type"] = jsonContentType
	}
	if len(br.Headers) == 0 {
		br.Headers = nil
	}
	return br
}
