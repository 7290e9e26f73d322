package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxBatchSize is Graph's limit of requests in one JSON $batch.
const MaxBatchSize = 20

// BatchRequest is one request of a JSON $batch.
type BatchRequest struct {
	// ID identifies the item; unique within one Batch call, compared
	// case-insensitively. Empty means its 1-based position.
	ID     string
	Method string
	// URL is written like every path in this package, with the version:
	// "/v1.0/users/{id}?$select=id". All items of one call share a version.
	URL     string
	Headers map[string]string // e.g. ConsistencyLevel; Content-Type is added for a body
	Body    any               // marshalled to JSON; json.RawMessage as is
	// DependsOn lists ids that must complete first. Items linked by
	// dependsOn always travel in the same $batch, so a linked group may hold
	// at most MaxBatchSize items.
	DependsOn []string
}

// BatchResponse is the answer to one BatchRequest.
type BatchResponse struct {
	ID     string
	Status int // 0 when the item was never sent
	Header http.Header
	Body   json.RawMessage

	method, path string
	// stopped: the item was to be sent again (429, or a 5xx of a
	// retryable item) but the wait would pass the run's time limit, so it
	// keeps this answer; Err says so (wrapping ErrTimeLimit).
	stopped *timeLimitError
}

// Err returns nil for a 1xx–3xx item and an *Error (with the item's Graph
// code, request-id and Retry-After) otherwise, so IsNotFound and friends
// work on items. An item never sent yields an error too.
func (r BatchResponse) Err() error {
	switch {
	case r.Status == 0:
		return fmt.Errorf("graph: batch item %s (%s %s) was not sent", r.ID, r.method, shortPath(r.path))
	case r.Status < 400:
		return nil
	}
	gerr := parseError(r.Status, r.Header, r.Body, r.method, r.path)
	if r.stopped != nil {
		return fmt.Errorf("%w; not sent again: %w", gerr, r.stopped)
	}
	return gerr
}

type batchItem struct {
	id, key    string // key: lower-case id
	method     string
	url        string // without version, for the envelope
	path       string // with version, for errors and stats
	headers    map[string]string
	body       json.RawMessage
	dependsOn  []int // indexes into the request slice
	idempotent bool
}

type wireItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

type wireResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// Batch sends reqs as JSON $batch requests of at most MaxBatchSize items
// (POST /{version}/$batch) and returns one BatchResponse per request, in
// request order. Chunks without dependsOn links between them run
// concurrently, at most Config.Concurrency at once (fewer while the
// client's adaptive limit is lower), started in request order.
//
// Items answered 429 and, for GET/PUT/PATCH/DELETE items, 5xx are sent
// again (after the longest Retry-After the retried items carry, 503s
// included, or exponential backoff), 5xx ones up to MaxRetries times, together with the items that failed 424 because they depended on
// them. An item's own failure is its Status, not an error of the call;
// check BatchResponse.Err. The call's error reports envelopes that failed
// (malformed batch, or retries exhausted); the slice is still returned and
// items never sent have Status 0. An item whose next attempt would start
// past Config.Timeout keeps its last answer (429 or 5xx), and its Err
// wraps ErrTimeLimit.
//
// opts apply to the $batch envelopes; RetryNonIdempotent also lets POST
// items and envelopes be retried after 5xx.
func (c *Client) Batch(ctx context.Context, reqs []BatchRequest, opts ...ReqOption) ([]BatchResponse, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	o := collect(opts)
	items, version, err := c.prepareBatch(reqs, o)
	if err != nil {
		return nil, err
	}
	chunks, err := chunkBatch(items)
	if err != nil {
		return nil, err
	}
	out := make([]BatchResponse, len(items))
	for i, it := range items {
		out[i] = BatchResponse{ID: it.id, method: it.method, path: it.path}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next atomic.Int64
	)
	// At most Config.Concurrency envelopes at once, each worker taking the
	// next chunk: a goroutine per envelope of a long list would only wait
	// for a slot (issue 12: 2,000 envelopes for 40,000 PIM schedule lists).
	for range min(len(chunks), c.pace.slot.max) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(chunks); i = int(next.Add(1)) - 1 {
				if err := c.runChunk(ctx, version, items, chunks[i], out, o); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func (c *Client) prepareBatch(reqs []BatchRequest, o reqOptions) ([]batchItem, string, error) {
	items := make([]batchItem, len(reqs))
	index := map[string]int{}
	version := ""
	for i, r := range reqs {
		it := batchItem{id: r.ID, method: strings.ToUpper(r.Method), headers: map[string]string{}}
		if it.id == "" {
			it.id = strconv.Itoa(i + 1)
		}
		it.key = strings.ToLower(it.id)
		if j, dup := index[it.key]; dup {
			return nil, "", fmt.Errorf("graph: batch: items %d and %d share the id %q", j+1, i+1, it.id)
		}
		index[it.key] = i
		if it.method == "" {
			return nil, "", fmt.Errorf("graph: batch item %s: no method", it.id)
		}
		u, rel, err := c.resolve(r.URL)
		if err != nil {
			return nil, "", fmt.Errorf("graph: batch item %s: %w", it.id, err)
		}
		it.path = rel
		escaped := strings.TrimPrefix(u.EscapedPath(), c.base.Path)
		if u.RawQuery != "" {
			escaped += "?" + u.RawQuery
		}
		v, rest, _ := strings.Cut(strings.TrimPrefix(escaped, "/"), "/")
		v, _, _ = strings.Cut(v, "?")
		if version == "" {
			version = v
		} else if v != version {
			return nil, "", fmt.Errorf("graph: batch item %s: version %s differs from %s; send one Batch per version", it.id, v, version)
		}
		it.url = "/" + rest
		for k, val := range r.Headers {
			it.headers[k] = val
		}
		if r.Body != nil {
			if it.body, err = marshalBody(r.Body); err != nil {
				return nil, "", fmt.Errorf("graph: batch item %s: encoding body: %w", it.id, err)
			}
			if !hasKeyFold(it.headers, "Content-Type") {
				it.headers["Content-Type"] = "application/json"
			}
		}
		it.idempotent = idempotent(it.method) || o.retryUnsafe
		items[i] = it
	}
	for i, r := range reqs {
		for _, d := range r.DependsOn {
			j, ok := index[strings.ToLower(d)]
			if !ok || j == i {
				return nil, "", fmt.Errorf("graph: batch item %s: dependsOn %q is not another item of this batch", items[i].id, d)
			}
			items[i].dependsOn = append(items[i].dependsOn, j)
		}
	}
	return items, version, nil
}

func hasKeyFold(m map[string]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// chunkBatch packs items into chunks of at most MaxBatchSize, keeping
// dependsOn-linked items together and the request order within and across
// chunks as far as the links allow. Items on a path Graph limits to one
// request a second per tenant (Conditional Access, CAPaced) travel in a
// chunk of their own: Graph counts a $batch's items one by one, so a
// second such item in the same envelope arrives in the same instant as
// the first and is throttled whatever the client waited before sending
// it (graph-semantics.md §1.2, §1.4); chunks of their own are paced a
// second apart like single requests. The other items pack around them.
func chunkBatch(items []batchItem) ([][]int, error) {
	parent := make([]int, len(items))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i, it := range items {
		for _, d := range it.dependsOn {
			a, b := find(i), find(d)
			if a != b {
				parent[max(a, b)] = min(a, b) // root stays the earliest member
			}
		}
	}
	var order []int
	groups := map[int][]int{}
	for i := range items {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i)
	}
	var chunks [][]int
	var cur []int
	for _, r := range order {
		g := groups[r]
		if len(g) > MaxBatchSize {
			return nil, fmt.Errorf("graph: batch: %d items are linked by dependsOn (from item %s); at most %d fit in one $batch", len(g), items[g[0]].id, MaxBatchSize)
		}
		if slices.ContainsFunc(g, func(i int) bool { return requestCost(items[i].method, items[i].path).ca > 0 }) {
			chunks = append(chunks, g)
			continue
		}
		if len(cur)+len(g) > MaxBatchSize {
			chunks = append(chunks, cur)
			cur = nil
		}
		cur = append(cur, g...)
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	for _, ch := range chunks {
		slices.Sort(ch)
	}
	return chunks, nil
}

// runChunk sends one chunk and re-sends its retryable items: throttled
// ones while the context and Config.Timeout leave time, those that failed
// 5xx at most MaxRetries times each.
func (c *Client) runChunk(ctx context.Context, version string, items []batchItem, chunk []int, out []BatchResponse, o reqOptions) error {
	pending := chunk
	backoffs := 0
	failures := map[string]int{} // 5xx retries per item
	for round := 0; ; round++ {
		inPending := map[string]bool{}
		allIdem := true
		var envCost cost
		itemCost := map[string]cost{}
		for _, i := range pending {
			inPending[items[i].key] = true
			allIdem = allIdem && items[i].idempotent
			ic := requestCost(items[i].method, items[i].path)
			itemCost[items[i].key] = ic
			envCost.ru += ic.ru
			envCost.writes += ic.writes
			envCost.ca += ic.ca
			envCost.report += ic.report
		}
		wire := make([]wireItem, 0, len(pending))
		for _, i := range pending {
			it := items[i]
			w := wireItem{ID: it.id, Method: it.method, URL: it.url, Body: it.body}
			if len(it.headers) > 0 {
				w.Headers = it.headers
			}
			for _, d := range it.dependsOn {
				if inPending[items[d].key] { // completed dependencies are not resent
					w.DependsOn = append(w.DependsOn, items[d].id)
				}
			}
			wire = append(wire, w)
		}
		body, err := json.Marshal(map[string]any{"requests": wire})
		if err != nil {
			return fmt.Errorf("graph: batch: encoding: %w", err)
		}
		var env struct {
			Responses []wireResponse `json:"responses"`
		}
		var envErr error
		decoded := false
		eo := o
		eo.retryUnsafe = allIdem // the envelope may be resent after 5xx only if every item may
		eo.cost = &envCost
		eo.settle = func(r *Response) answer {
			if r.Status != http.StatusOK {
				return throttleAnswer(r.Status, r.Header)
			}
			env.Responses = nil
			envErr = json.Unmarshal(r.Body, &env)
			decoded = true
			return batchAnswer(env.Responses, itemCost, envCost)
		}
		resp, err := c.do(ctx, http.MethodPost, "/"+version+"/$batch", body, eo)
		if err != nil {
			return fmt.Errorf("%w (batch items %s)", err, idRange(items, pending))
		}
		if !decoded {
			envErr = json.Unmarshal(resp.Body, &env)
		}
		if envErr != nil {
			return fmt.Errorf("graph: POST /%s/$batch: decoding answer: %w", version, envErr)
		}
		byKey, err := matchBatchAnswer(env.Responses, items, pending)
		if err != nil {
			return fmt.Errorf("graph: POST /%s/$batch: %w (batch items %s)", version, err, idRange(items, pending))
		}
		status := map[string]int{}
		var missing []string
		for _, i := range pending {
			it := items[i]
			r, ok := byKey[it.key]
			if !ok {
				missing = append(missing, it.id)
				continue
			}
			h := http.Header{}
			for k, v := range r.Headers {
				h.Set(k, v)
			}
			out[i].Status, out[i].Header, out[i].Body = r.Status, h, r.Body
			if isJSONNull(r.Body) {
				out[i].Body = nil
			}
			status[it.key] = r.Status
			c.stats.record(it.method+" "+EndpointTemplate(it.path), r.Status, resourceUnits(h.Get("x-ms-resource-unit")), true)
		}
		if len(missing) > 0 {
			return fmt.Errorf("graph: POST /%s/$batch: no answer for items %s", version, strings.Join(missing, ", "))
		}
		if c.noRetry {
			return nil
		}
		// Retry set: throttled or transiently failed items, plus those that
		// failed 424 because of them.
		retry := map[string]bool{}
		for _, i := range pending {
			k := items[i].key
			switch st := status[k]; {
			case st == http.StatusTooManyRequests:
				retry[k] = true
			case retryableStatus(st, items[i].idempotent) && failures[k] < c.maxRetries:
				retry[k] = true
				failures[k]++
			}
		}
		for changed := len(retry) > 0; changed; {
			changed = false
			for _, i := range pending {
				it := items[i]
				if retry[it.key] || status[it.key] != http.StatusFailedDependency {
					continue
				}
				for _, d := range it.dependsOn {
					if retry[items[d].key] {
						retry[it.key], changed = true, true
						break
					}
				}
			}
		}
		if len(retry) == 0 {
			return nil
		}
		var next []int
		var wait time.Duration
		haveRetryAfter, caThrottled, reportThrottled := false, false, false
		evStatus := 0 // for the event: 429 when any item was throttled
		for _, i := range pending {
			if !retry[items[i].key] {
				continue
			}
			next = append(next, i)
			if evStatus != http.StatusTooManyRequests {
				evStatus = status[items[i].key]
			}
			// An item's Retry-After is honoured whatever its status: Graph
			// sends one with 429 and with 503 (serviceNotAvailable), as on
			// a request outside a batch (client.go).
			if d, ok := parseRetryAfter(out[i].Header.Get("Retry-After"), time.Now()); ok {
				haveRetryAfter = true
				wait = max(wait, d)
			} else if status[items[i].key] == http.StatusTooManyRequests && itemCost[items[i].key].ca > 0 {
				caThrottled = true
			} else if status[items[i].key] == http.StatusTooManyRequests && itemCost[items[i].key].report > 0 {
				reportThrottled = true
			}
		}
		if !haveRetryAfter {
			wait = backoff(backoffs)
			backoffs++
			if caThrottled {
				c.pace.caPause(wait)
			}
			if reportThrottled {
				c.pace.reportPause(wait)
			}
		}
		if !c.deadline.IsZero() && c.now().Add(wait).After(c.deadline) {
			// Items keep their last answer (429, or a 5xx that had retries
			// left), and their Err says why they were not sent again.
			lim := &timeLimitError{wait: wait, what: "to send them again"}
			if haveRetryAfter {
				lim.budget = "Retry-After"
			}
			for _, i := range next {
				out[i].stopped = lim
			}
			c.log.Info("graph: batch items not sent again: the wait would pass the run's time limit", "version", version, "items", len(next), "status", evStatus, "wait", wait)
			return nil
		}
		c.stats.add(int64(len(next)), 0)
		c.log.Info("graph: retrying batch items", "version", version, "items", len(next), "round", round+1, "wait", wait)
		c.emit(Event{Method: http.MethodPost, Endpoint: "/" + version + "/$batch", Status: evStatus, Attempt: round, RetryIn: wait})
		if err := c.wait(ctx, wait); err != nil {
			return fmt.Errorf("graph: POST /%s/$batch: retrying items %s: %w", version, idRange(items, next), err)
		}
		pending = next
	}
}

// batchAnswer is what a $batch answer says of the throttling budget: the
// items' resource units (their expected cost where an item carries none),
// the highest x-ms-throttle-limit-percentage, and the items' 429s.
func batchAnswer(resps []wireResponse, itemCost map[string]cost, env cost) answer {
	a := answer{status: http.StatusOK}
	for _, r := range resps {
		h := http.Header{}
		for k, v := range r.Headers {
			h.Set(k, v)
		}
		ia := throttleAnswer(r.Status, h)
		a.percent = max(a.percent, ia.percent)
		if ia.throttle > 0 {
			a.throttle++
			a.retry = max(a.retry, ia.retry)
			a.write429 = a.write429 || ia.write429
			continue
		}
		if ia.directory {
			a.units += ia.units
			a.confirmed += ia.confirmed
			a.directory = true
		} else {
			a.units += itemCost[strings.ToLower(r.ID)].ru
		}
	}
	if len(resps) == 0 {
		a.units = env.ru
	}
	return a
}

// matchBatchAnswer indexes a $batch answer by lower-case id, refusing an
// answer that holds more responses than were sent, an id that was not sent
// in this envelope, or one id twice: each item's answer must be the one
// Graph gave for it.
func matchBatchAnswer(resps []wireResponse, items []batchItem, pending []int) (map[string]wireResponse, error) {
	if len(resps) > len(pending) {
		return nil, fmt.Errorf("the answer holds %d responses for %d requests: %w", len(resps), len(pending), ErrLimit)
	}
	sent := make(map[string]bool, len(pending))
	for _, i := range pending {
		sent[items[i].key] = true
	}
	byKey := make(map[string]wireResponse, len(resps))
	for _, r := range resps {
		k := strings.ToLower(r.ID)
		switch {
		case !sent[k]:
			return nil, fmt.Errorf("the answer holds a response for id %q, which was not sent", shortPath(r.ID))
		case hasResp(byKey, k):
			return nil, fmt.Errorf("the answer holds two responses for id %q", shortPath(r.ID))
		}
		byKey[k] = r
	}
	return byKey, nil
}

func hasResp(m map[string]wireResponse, k string) bool {
	_, ok := m[k]
	return ok
}

func isJSONNull(b json.RawMessage) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == "null"
}

func idRange(items []batchItem, idx []int) string {
	if len(idx) == 0 {
		return ""
	}
	if len(idx) == 1 {
		return items[idx[0]].id
	}
	return items[idx[0]].id + "…" + items[idx[len(idx)-1]].id
}
