package graphsim

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
)

// faultKind is one way a request can fail before it reaches the tenant.
type faultKind int

const (
	faultDrop faultKind = iota // the connection is closed without an answer
	fault500                   // 500 generalException
	fault503                   // 503 serviceNotAvailable, with Retry-After
	fault504                   // 504 UnknownError, as Graph's gateway answers
	faultKinds
)

// faults injects 500/503/504 answers and dropped connections at a rate, from
// a source seeded by Options.Seed: the same seed and the same request order
// give the same faults. Safe for concurrent use.
type faults struct {
	mu   sync.Mutex
	rate float64 // read under mu, so tests may change it between requests
	rng  *rand.Rand
}

func newFaults(rate float64, seed uint64) *faults {
	return &faults{rate: rate, rng: rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc908))}
}

// inject decides the fate of one request: drop the connection, answer an
// error, or neither. Rate 0 never fails, rate 1 always does; each failure is
// one of the four kinds with equal chance.
func (f *faults) inject() (drop bool, err *apiError) {
	drop, err, _ = f.injectLost()
	return drop, err
}

// injectLost is inject, and also says whether the request is carried out
// before its answer is lost: half of the dropped connections and 504s. A
// client cannot tell a request Graph did from one it did not do when the
// answer never comes or is a gateway timeout; graphsim makes both happen
// (strict reading: Graph documents no guarantee either way). The server
// applies it to writes: a read carried out or not looks the same.
func (f *faults) injectLost() (drop bool, err *apiError, after bool) {
	if f == nil {
		return false, nil, false
	}
	f.mu.Lock()
	hit := f.rate > 0 && (f.rate >= 1 || f.rng.Float64() < f.rate)
	var kind faultKind
	var retry int
	if hit {
		kind = faultKind(f.rng.IntN(int(faultKinds)))
		retry = 1 + f.rng.IntN(5)
		after = (kind == faultDrop || kind == fault504) && f.rng.IntN(2) == 0
	}
	f.mu.Unlock()
	if !hit {
		return false, nil, false
	}
	switch kind {
	case faultDrop:
		return true, nil, after
	case fault500:
		return false, errf(http.StatusInternalServerError, "generalException", "General exception while processing."), false
	case fault503:
		e := errf(http.StatusServiceUnavailable, "serviceNotAvailable",
			"The service is temporarily unavailable. Please retry after some time.")
		e.RetryAfter = strconv.Itoa(retry)
		return false, e, false
	default:
		// Graph's gateway answers a timeout with code UnknownError and an
		// empty message (observed: microsoftgraph/microsoft-graph-docs#2505).
		return false, errf(http.StatusGatewayTimeout, "UnknownError", ""), after
	}
}
