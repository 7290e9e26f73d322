package graph

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Graph's throttling budget for directory (identity and access) requests,
// per app and tenant (learn.microsoft.com/graph/throttling-limits, "Identity
// and access service limits"; graph-semantics.md §1.1, §1.2).
const (
	// Resource units per ruWindow by tenant size: S (< 50 users), M (50–500),
	// L (> 500).
	ReadQuotaSmall  = 3500
	ReadQuotaMedium = 5000
	ReadQuotaLarge  = 8000
	ruWindow        = 10 * time.Second

	// Writes (POST, PATCH, PUT, DELETE) per writeWindow per app and tenant.
	WriteQuota  = 3000
	writeWindow = 150 * time.Second

	// Conditional Access and named locations: 1 request per second per
	// tenant, all apps together, and 429s there carry no Retry-After.
	caInterval = time.Second

	// Identity and access reports (the directory audit log): any request,
	// ReportQuota per reportWindow per app and tenant
	// (learn.microsoft.com/graph/throttling-limits, "Identity and access
	// reports service limits"; graph-semantics.md §1.2).
	ReportQuota  = 5
	reportWindow = 10 * time.Second

	// paceHeadroom is the share of the estimated quota the client spends,
	// so rounding and clock drift never tip a request over the limit.
	paceHeadroom = 0.98
	// aimdRun clean answers in a row raise the concurrency limit by one.
	aimdRun = 8
	// pacedEventEvery bounds how often a pacing wait is reported.
	pacedEventEvery = 5 * time.Second
)

// ReadQuotaFor is Graph's documented resource-unit quota per 10 seconds per
// app and tenant for a tenant of users users (0: unknown, the smallest).
func ReadQuotaFor(users int) int {
	switch {
	case users > 500:
		return ReadQuotaLarge
	case users >= 50:
		return ReadQuotaMedium
	}
	return ReadQuotaSmall
}

var readTiers = []float64{ReadQuotaSmall, ReadQuotaMedium, ReadQuotaLarge}

// cost is what one request (or a $batch envelope, its items summed) draws
// on the budgets.
type cost struct {
	ru     float64 // resource units
	writes float64 // write-quota requests
	ca     int     // Conditional Access requests
	report float64 // identity and access reports requests (audit log)
}

// gcra is a token bucket kept as a theoretical arrival time (the generic
// cell rate algorithm): the bucket's level is (tat-now)·rate and it holds
// capacity units, which refill in window. Equivalent to Graph's leaky
// bucket, and it hands each request its own wait, so a waiter never polls.
type gcra struct {
	capacity float64
	window   time.Duration
	tat      time.Time
}

func (b *gcra) rate() float64 { return b.capacity / b.window.Seconds() }

func (b *gcra) dur(units float64) time.Duration {
	return time.Duration(units / b.rate() * float64(time.Second))
}

// level is the units in use at now.
func (b *gcra) level(now time.Time) float64 {
	if !b.tat.After(now) {
		return 0
	}
	return b.tat.Sub(now).Seconds() * b.rate()
}

// reserve spends units and returns when they may be sent. A bucket holding
// nothing accepts any cost, so a request dearer than the whole bucket still
// goes (as Graph's does).
func (b *gcra) reserve(now time.Time, units float64) time.Time {
	if units <= 0 {
		return now
	}
	if b.tat.Before(now) {
		b.tat = now
	}
	iv := b.dur(units)
	limit := time.Duration(float64(b.window) * paceHeadroom)
	at := b.tat.Add(iv - limit)
	if iv > limit {
		at = b.tat
	}
	b.tat = b.tat.Add(iv)
	if at.Before(now) {
		at = now
	}
	return at
}

// adjust adds units (negative: gives them back) to the level.
func (b *gcra) adjust(now time.Time, units float64) {
	if units == 0 {
		return
	}
	if b.tat.Before(now) {
		if units < 0 {
			return
		}
		b.tat = now
	}
	b.tat = b.tat.Add(b.dur(units))
	if b.tat.Before(now) {
		b.tat = now
	}
}

// atLeast raises the level to units if it is lower.
func (b *gcra) atLeast(now time.Time, units float64) {
	if t := now.Add(b.dur(units)); t.After(b.tat) {
		b.tat = t
	}
}

// blockUntil sets the level so that units fit no earlier than at: what a
// 429's Retry-After says of the server's bucket.
func (b *gcra) blockUntil(at time.Time, units float64) {
	t := at.Add(time.Duration(float64(b.window)*paceHeadroom) - b.dur(units))
	if t.After(b.tat) {
		b.tat = t
	}
}

// resize changes the capacity, keeping the level in units.
func (b *gcra) resize(now time.Time, capacity float64) {
	lvl := b.level(now)
	b.capacity = capacity
	b.tat = now
	if lvl > 0 {
		b.tat = now.Add(b.dur(lvl))
	}
}

// pacer keeps the client within Graph's throttling budget: a resource-unit
// bucket for directory requests (sized from the tenant size when known,
// learned otherwise), a write bucket, Conditional Access's one request per
// second, and an adaptive limit on requests in flight.
type pacer struct {
	now  func() time.Time
	slot *aimd

	mu    sync.Mutex
	ru    gcra
	fixed bool // the quota is known (Config.TenantUsers); not learned
	// floor is a lower bound of the units Graph's bucket holds: every unit
	// Graph charged, drained at the fastest documented rate. An answer
	// without x-ms-throttle-limit-percentage while floor is above 80% of
	// the estimated quota proves the quota larger.
	floor   float64
	floorAt time.Time
	writes  gcra
	reports gcra // identity and access reports: ReportQuota per reportWindow

	ca       chan struct{} // one Conditional Access request at a time
	caNext   time.Time     // no Conditional Access request before
	caPaused time.Time     // after a Conditional Access 429

	lastPacedEvent time.Time
}

func newPacer(now func() time.Time, concurrency, tenantUsers int) *pacer {
	p := &pacer{
		now:     now,
		slot:    newAIMD(concurrency),
		ru:      gcra{capacity: ReadQuotaSmall, window: ruWindow},
		writes:  gcra{capacity: WriteQuota, window: writeWindow},
		reports: gcra{capacity: ReportQuota, window: reportWindow},
		ca:      make(chan struct{}, 1),
	}
	if tenantUsers > 0 {
		p.ru.capacity, p.fixed = float64(ReadQuotaFor(tenantUsers)), true
	}
	return p
}

// sizeFor raises the resource-unit quota estimate to Graph's quota for a
// tenant of users users (ReadQuotaFor), keeping the units in use; a quota
// fixed by Config.TenantUsers, or a larger one already learned, stays.
// Learning from answers goes on: a count that lags the tenant only ever
// starts the estimate too low.
func (p *pacer) sizeFor(users int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if q := float64(ReadQuotaFor(users)); !p.fixed && q > p.ru.capacity {
		p.ru.resize(p.now(), q)
	}
}

// readQuota is the current resource-unit quota estimate per 10 s.
func (p *pacer) readQuota() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.ru.capacity)
}

// ticket is one admitted attempt.
type ticket struct {
	cost cost
	gen  int64
	ca   bool // holds p.ca
	// floor and floorAt: the lower bound of Graph's bucket when the attempt
	// was sent. Answers arrive out of order, so only what was answered
	// before this attempt left is known to be in Graph's bucket when Graph
	// answered it.
	floor   float64
	floorAt time.Time
}

// wait reports a wait before an attempt, for Config.Progress.
type waitFunc func(d time.Duration, budget string)

// admit waits until an attempt of cost may be sent: a Conditional Access
// turn, a concurrency slot, then room in the buckets. deadline (zero: none)
// refuses a wait that would end after it.
func (p *pacer) admit(ctx context.Context, c cost, sleep func(context.Context, time.Duration) error, deadline time.Time, report waitFunc) (*ticket, error) {
	t := &ticket{cost: c}
	if c.ca > 0 {
		select {
		case p.ca <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		t.ca = true
		p.mu.Lock()
		now := p.now()
		at := p.caNext
		if p.caPaused.After(at) {
			at = p.caPaused
		}
		if n := time.Duration(c.ca-1) * caInterval; n > 0 {
			// A $batch of n Conditional Access items is n requests.
			at = maxTime(at, now).Add(n)
		}
		p.mu.Unlock()
		if d := at.Sub(now); d > 0 {
			if err := p.waitFor(ctx, d, sleep, deadline, report, "1 request per second for Conditional Access"); err != nil {
				p.release(t)
				return nil, err
			}
		}
	}
	gen, err := p.slot.acquire(ctx)
	if err != nil {
		p.release(t)
		return nil, err
	}
	t.gen = gen
	p.mu.Lock()
	now := p.now()
	at := p.ru.reserve(now, c.ru)
	p.drainFloor(now)
	t.floor, t.floorAt = p.floor, now
	if c.writes > 0 {
		at = maxTime(at, p.writes.reserve(now, c.writes))
	}
	reportAt := now
	if c.report > 0 {
		reportAt = p.reports.reserve(now, c.report)
		at = maxTime(at, reportAt)
	}
	budget := ""
	if d := at.Sub(now); d > 0 {
		budget = fmt.Sprintf("%d resource units per 10 s", int(p.ru.capacity))
		if c.writes > 0 && p.writes.level(now) > p.writes.capacity*0.9 {
			budget = fmt.Sprintf("%d writes per 2 min 30 s", WriteQuota)
		}
		if c.report > 0 && !reportAt.Before(at) {
			budget = fmt.Sprintf("%d requests per 10 s for the audit log", ReportQuota)
		}
	}
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		if err := p.waitFor(ctx, d, sleep, deadline, report, budget); err != nil {
			p.refund(t)
			p.slot.release()
			p.release(t)
			return nil, err
		}
	}
	return t, nil
}

func (p *pacer) waitFor(ctx context.Context, d time.Duration, sleep func(context.Context, time.Duration) error, deadline time.Time, report waitFunc, budget string) error {
	now := p.now()
	if !deadline.IsZero() && now.Add(d).After(deadline) {
		return &timeLimitError{wait: d, budget: budget}
	}
	if report != nil && d >= time.Second {
		p.mu.Lock()
		show := p.lastPacedEvent.IsZero() || now.Sub(p.lastPacedEvent) >= pacedEventEvery
		if show {
			p.lastPacedEvent = now
		}
		p.mu.Unlock()
		if show {
			report(d, budget)
		}
	}
	return sleep(ctx, d)
}

// refund gives back what an attempt that was not sent reserved.
func (p *pacer) refund(t *ticket) {
	p.mu.Lock()
	now := p.now()
	p.ru.adjust(now, -t.cost.ru)
	p.writes.adjust(now, -t.cost.writes)
	p.reports.adjust(now, -t.cost.report)
	p.mu.Unlock()
}

// release frees the Conditional Access turn, if held.
func (p *pacer) release(t *ticket) {
	if t.ca {
		t.ca = false
		<-p.ca
	}
}

// answer is what an attempt's answer says of the budget.
type answer struct {
	status   int           // 0: no answer (transport error)
	units    float64       // x-ms-resource-unit summed; -1 when absent
	percent  float64       // x-ms-throttle-limit-percentage, highest seen; 0 when absent
	throttle int           // 429s among the answer (and its $batch items)
	write429 bool          // a 429 for the write quota
	retry    time.Duration // longest Retry-After of a 429, 0 when none
	// confirmed is the units Graph's x-ms-resource-unit headers stated;
	// directory says some answer carried one (only those would carry
	// x-ms-throttle-limit-percentage too).
	confirmed float64
	directory bool
}

// done settles an attempt: the reservation is corrected to what Graph
// charged, the bucket follows Graph's view of it, and the concurrency
// limit moves (halved on a 429, +1 after a run of clean answers).
func (p *pacer) done(t *ticket, a answer) {
	defer p.release(t)
	defer p.slot.release()
	p.mu.Lock()
	now := p.now()
	if t.ca {
		p.caNext = now.Add(caInterval)
	}
	if a.status != 0 {
		// Graph charged only what it did not refuse; x-ms-resource-unit says
		// how much, when present.
		if a.units >= 0 {
			p.ru.adjust(now, a.units-t.cost.ru)
		}
		if a.throttle > 0 && t.cost.writes > 0 {
			// Refused writes did not count; resent ones reserve again.
			p.writes.adjust(now, -math.Min(t.cost.writes, float64(a.throttle)))
		}
		if a.throttle > 0 && t.cost.report > 0 {
			// Refused requests did not count either.
			p.reports.adjust(now, -math.Min(t.cost.report, float64(a.throttle)))
		}
		p.drainFloor(now)
		p.floor += a.confirmed
		if a.directory && !p.fixed && a.percent == 0 {
			p.learn(now, t, a.confirmed)
		}
		if a.percent > 0 {
			// Graph's bucket is this full: ours is at least as full.
			p.ru.atLeast(now, a.percent*p.ru.capacity)
		}
		if a.throttle > 0 && a.retry > 0 {
			switch {
			case a.write429:
				p.writes.blockUntil(now.Add(a.retry), 1)
			case t.cost.report > 0 && t.cost.ru == 0:
				p.reports.blockUntil(now.Add(a.retry), 1)
			default:
				p.ru.blockUntil(now.Add(a.retry), math.Max(t.cost.ru/math.Max(float64(a.throttle), 1), 1))
			}
		}
	}
	p.mu.Unlock()
	switch {
	case a.throttle > 0:
		p.slot.throttled(t.gen)
	case a.status != 0:
		p.slot.ok()
	}
}

// drainFloor drains the lower bound of Graph's bucket to now at the
// fastest documented rate. Callers hold p.mu.
func (p *pacer) drainFloor(now time.Time) {
	if !p.floorAt.IsZero() && now.After(p.floorAt) {
		drained := now.Sub(p.floorAt).Seconds() * ReadQuotaLarge / ruWindow.Seconds()
		p.floor = math.Max(0, p.floor-drained)
	}
	p.floorAt = now
}

// learn raises the quota estimate when an answer without
// x-ms-throttle-limit-percentage (Graph sends it above 80%) proves it
// larger: Graph's bucket held at least what was answered before the
// attempt was sent (drained since at the fastest documented rate) plus
// the attempt's own units, so the quota is at least that ÷ 0.8. Callers
// hold p.mu.
func (p *pacer) learn(now time.Time, t *ticket, units float64) {
	held := units
	if !t.floorAt.IsZero() {
		held += math.Max(0, t.floor-now.Sub(t.floorAt).Seconds()*ReadQuotaLarge/ruWindow.Seconds())
	}
	if held <= 0.8*p.ru.capacity {
		return
	}
	need := held / 0.8
	next := readTiers[len(readTiers)-1]
	for _, q := range readTiers {
		if q >= need {
			next = q
			break
		}
	}
	if next > p.ru.capacity {
		p.ru.resize(now, next)
	}
}

// reportPause holds audit log requests back for d after a 429 there that
// carried no Retry-After: the bucket is full for d.
func (p *pacer) reportPause(d time.Duration) {
	p.mu.Lock()
	p.reports.blockUntil(p.now().Add(d), 1)
	p.mu.Unlock()
}

// caPause holds Conditional Access requests back for d after a 429 there.
func (p *pacer) caPause(d time.Duration) {
	p.mu.Lock()
	if t := p.now().Add(d); t.After(p.caPaused) {
		p.caPaused = t
	}
	p.mu.Unlock()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// aimd bounds the requests in flight by a limit that halves on a 429 and
// grows by one after aimdRun clean answers, between 1 and max.
type aimd struct {
	mu       sync.Mutex
	max      int
	limit    int
	inflight int
	clean    int
	gen      int64 // bumped on each decrease: one halving per round of answers
	waiters  []chan struct{}
}

func newAIMD(max int) *aimd {
	if max < 1 {
		max = 1
	}
	return &aimd{max: max, limit: max}
}

func (a *aimd) acquire(ctx context.Context) (int64, error) {
	a.mu.Lock()
	if a.inflight < a.limit && len(a.waiters) == 0 {
		a.inflight++
		g := a.gen
		a.mu.Unlock()
		return g, nil
	}
	ch := make(chan struct{})
	a.waiters = append(a.waiters, ch)
	a.mu.Unlock()
	select {
	case <-ch:
		a.mu.Lock()
		g := a.gen
		a.mu.Unlock()
		return g, nil
	case <-ctx.Done():
		a.mu.Lock()
		defer a.mu.Unlock()
		for i, w := range a.waiters {
			if w == ch {
				a.waiters = append(a.waiters[:i], a.waiters[i+1:]...)
				return 0, ctx.Err()
			}
		}
		// Granted meanwhile: hand the slot on.
		a.inflight--
		a.wake()
		return 0, ctx.Err()
	}
}

func (a *aimd) release() {
	a.mu.Lock()
	a.inflight--
	a.wake()
	a.mu.Unlock()
}

// wake grants slots to waiters in order. Callers hold a.mu.
func (a *aimd) wake() {
	for len(a.waiters) > 0 && a.inflight < a.limit {
		ch := a.waiters[0]
		a.waiters = a.waiters[1:]
		a.inflight++
		close(ch)
	}
}

// throttled halves the limit, once for the requests sent under one limit.
func (a *aimd) throttled(gen int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clean = 0
	if gen != a.gen {
		return
	}
	a.gen++
	a.limit = max(1, a.limit/2)
}

func (a *aimd) ok() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clean++
	if a.clean >= aimdRun && a.limit < a.max {
		a.limit++
		a.clean = 0
		a.wake()
	}
}

// current is the limit now.
func (a *aimd) current() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit
}

// ErrTimeLimit is wrapped by the error of a request that Graph throttled
// (or that the client's pacing would hold back) past Config.Timeout.
var ErrTimeLimit = fmt.Errorf("the run's time limit would pass while waiting for Graph's throttling budget")

type timeLimitError struct {
	wait   time.Duration
	budget string
	what   string // what the wait was for; "" is Graph's throttling budget
}

func (e *timeLimitError) Error() string {
	what := e.what
	if what == "" {
		what = "for Graph's throttling budget"
	}
	s := fmt.Sprintf("waiting %s %s", e.wait.Round(time.Second), what)
	if e.budget != "" {
		s += " (" + e.budget + ")"
	}
	return s + " would pass the run's time limit; raise it (entrasnap: --timeout) or run again later"
}
func (e *timeLimitError) Unwrap() error { return ErrTimeLimit }

// requestCost is the documented cost of one request
// (learn.microsoft.com/graph/throttling-limits, "Identity and access
// service limits"; graph-semantics.md §1.1): a base cost by endpoint, then
// $select −1, $expand +1, $top < 20 −1, never below 1. Writes cost 1
// resource unit and 1 write. Conditional Access paths cost a Conditional
// Access request instead. The estimate is corrected from each answer's
// x-ms-resource-unit.
func requestCost(method, rel string) cost {
	pathPart, query, _ := strings.Cut(rel, "?")
	segs := strings.Split(strings.Trim(pathPart, "/"), "/")
	if len(segs) > 0 && (segs[0] == "v1.0" || segs[0] == "beta") {
		segs = segs[1:]
	}
	if len(segs) >= 2 && strings.EqualFold(segs[0], "identity") && strings.EqualFold(segs[1], "conditionalAccess") {
		return cost{ca: 1}
	}
	if len(segs) >= 1 && strings.EqualFold(segs[0], "auditLogs") {
		// An identity and access report: a request of its own bucket, any
		// method, no directory resource units.
		return cost{report: 1}
	}
	last := ""
	if len(segs) > 0 {
		last = segs[len(segs)-1]
	}
	switch strings.ToLower(last) {
	case "getbyids", "getobjectsbyid":
		if method == http.MethodPost {
			if q, _ := url.ParseQuery(query); q.Get("$select") != "" {
				return cost{ru: 2}
			}
			return cost{ru: 5}
		}
	case "checkmembergroups", "checkmemberobjects", "ismemberof":
		if method == http.MethodPost {
			return cost{ru: 4}
		}
	case "getmembergroups", "getmemberobjects":
		if method == http.MethodPost {
			return cost{ru: 2}
		}
	}
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return cost{ru: 1, writes: 1}
	}
	base := 1.0
	top := strings.ToLower(strings.Join(segs, "/"))
	n := len(segs)
	switch {
	case n == 1 && (top == "applications" || top == "users" || top == "oauth2permissiongrants"):
		base = 2
	case n == 1 && top == "contracts":
		base = 3
	case n == 1 && top == "subscribedskus":
		base = 3
	case n == 2 && segs[0] == "oauth2PermissionGrants":
		base = 2
	case n == 3 && segs[0] == "groups" && segs[2] == "members":
		base = 3
	case n == 3 && segs[0] == "groups" && segs[2] == "transitiveMembers":
		base = 5
	case n == 3 && segs[0] == "applications" && segs[2] == "extensionProperties":
		base = 2
	case n == 3 && segs[0] == "domains" && segs[2] == "domainNameReferences":
		base = 4
	case n == 3 && segs[0] == "servicePrincipals" && segs[2] == "appRoleAssignments":
		base = 2
	case (n == 3 && segs[0] == "users" || n == 2 && segs[0] == "me") &&
		(last == "licenseDetails" || last == "memberOf" || last == "ownedObjects" || last == "transitiveMemberOf"):
		base = 2
	}
	q, _ := url.ParseQuery(query)
	c := base
	if q.Get("$select") != "" {
		c--
	}
	if q.Get("$expand") != "" {
		c++
	}
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top < 20 {
		c--
	}
	return cost{ru: math.Max(c, 1)}
}

// throttleAnswer reads the budget headers of one answer.
func throttleAnswer(status int, h http.Header) answer {
	a := answer{status: status, units: -1}
	if v := h.Get("x-ms-resource-unit"); v != "" {
		a.units = float64(resourceUnits(v))
		a.confirmed, a.directory = a.units, true
	}
	if v, err := strconv.ParseFloat(strings.TrimSpace(h.Get("x-ms-throttle-limit-percentage")), 64); err == nil && v > 0 && v < 10 {
		a.percent = v
	}
	if status == http.StatusTooManyRequests {
		a.throttle = 1
		a.units = 0
		a.retry, _ = parseRetryAfter(h.Get("Retry-After"), time.Now())
		a.write429 = isWriteThrottle(h)
	}
	return a
}

// isWriteThrottle reports whether a 429 is for the write quota
// (x-ms-throttle-information WriteLimitExceeded, or a scope whose limit is
// Write) rather than for resource units.
func isWriteThrottle(h http.Header) bool {
	if strings.Contains(strings.ToLower(h.Get("x-ms-throttle-information")), "writelimit") {
		return true
	}
	parts := strings.Split(h.Get("x-ms-throttle-scope"), "/")
	return len(parts) > 1 && strings.EqualFold(parts[1], "Write")
}

// virtualClock is the pacing clock when Config.Sleep is injected without
// Config.Now: the wall clock, moved on to the end of every wait the client
// asked for, so a Sleep that returns at once (a test's, a bench's that
// moves graphsim's clock) still lets the budget refill.
//
// Waits that overlap (requests paced side by side, each to its own turn)
// end at the latest wake-up, not after their sum: that is how time passes
// for concurrent sleepers, and how a Sleep that moves a shared clock to
// the latest wake-up (entrasnap bench, exporter's pacedClient) moves it.
// A clock that added every wait ran ahead of such a server's by the
// overlap, so the pacer believed its bucket refilled faster than Graph's
// did and sent requests Graph throttled (issue 12, row b1: 238 429s at
// 100,000 users). A Sleep that really sleeps moves the wall clock itself
// and moves this one no further.
type virtualClock struct {
	wall  func() time.Time // time.Now; tests fix it
	ahead atomic.Int64     // how far the clock is ahead of wall, in ns
}

func newVirtualClock(wall func() time.Time) *virtualClock { return &virtualClock{wall: wall} }

func (v *virtualClock) now() time.Time { return v.wall().Add(time.Duration(v.ahead.Load())) }

// wrap moves the clock, once sleep returns, to the wake-up of the wait
// (WakeAt, else now + d as the wait started), unless it is already past.
func (v *virtualClock) wrap(sleep func(context.Context, time.Duration) error) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		wake, ok := WakeAt(ctx)
		if !ok {
			wake = v.now().Add(d)
		}
		if err := sleep(ctx, d); err != nil || d <= 0 {
			return err
		}
		for {
			cur := v.ahead.Load()
			need := int64(wake.Sub(v.wall()))
			if need <= cur || v.ahead.CompareAndSwap(cur, need) {
				return nil
			}
		}
	}
}

type wakeKey struct{}

// WakeAt is the time, on the client's clock (Config.Now), at which the
// wait Config.Sleep was called for ends. Tests that simulate time use it to
// move a shared clock to the latest wake-up of overlapping waits rather
// than by their sum.
func WakeAt(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(wakeKey{}).(time.Time)
	return t, ok
}

// wait sleeps d through Config.Sleep, its context carrying the wake-up time.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	return c.sleep(context.WithValue(ctx, wakeKey{}, c.now().Add(d)), d)
}

// CAPaced says whether Graph limits requests to path (a collection or
// object path, with or without the version segment) to one a second per
// tenant for all apps together: Conditional Access
// (learn.microsoft.com/graph/throttling-limits, graph-semantics.md §1.2).
// The client paces such requests itself; a caller can start them first.
func CAPaced(path string) bool { return requestCost(http.MethodGet, path).ca > 0 }
