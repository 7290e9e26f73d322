package importer

import (
	"context"
	"time"
)

// Waiting for Graph's replication. A write or read naming an object
// created or restored moments ago may be answered "not found" by a replica
// that has not seen it yet (graph-semantics.md §2.3 and §3.4; Microsoft's
// "Designing for eventual consistency for Microsoft Entra" documents the
// window but no bound). apply's writes (exec), its verification (verify),
// its search for the objects of creates whose answer was lost
// (settleInDoubt) and a plan's reads of objects a restore created
// (waitFresh) retry such answers with one backoff, bounded by the
// ConsistencyTimeout of their options.

// maxReplicationWait caps one wait of a backoff.
const maxReplicationWait = 10 * time.Second

// consistencyTimeout is the one place the ConsistencyTimeout of
// LoadOptions and ApplyOptions gets its default: 0 is
// DefaultConsistencyTimeout; negative is no wait at all.
func consistencyTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultConsistencyTimeout
	}
	return d
}

// backoff paces the retries of one wait for replication: first, then
// doubling up to maxReplicationWait, while less than the timeout has been
// slept (and, with a clock, less than the timeout has passed on it since
// the backoff began: the requests' own time counts too).
type backoff struct {
	sleep   func(ctx context.Context, d time.Duration) error
	timeout time.Duration
	clock   func() time.Time // nil: only the time slept counts
	until   time.Time
	wait    time.Duration // the next wait
	waited  time.Duration // slept so far
}

// newBackoff starts a backoff of timeout (consistencyTimeout's meaning of
// 0 and negative) that sleeps with sleep (nil: a timer that ends with ctx).
func newBackoff(first, timeout time.Duration, sleep func(context.Context, time.Duration) error, clock func() time.Time) *backoff {
	if sleep == nil {
		sleep = sleepCtx
	}
	b := &backoff{sleep: sleep, timeout: consistencyTimeout(timeout), clock: clock, wait: first}
	if clock != nil {
		b.until = clock().Add(b.timeout)
	}
	return b
}

// More reports whether the timeout is not spent yet.
func (b *backoff) More() bool {
	return b.waited < b.timeout && (b.clock == nil || b.clock().Before(b.until))
}

// Wait sleeps the next wait (an error when ctx ends first) and doubles it.
func (b *backoff) Wait(ctx context.Context) error {
	if err := b.sleep(ctx, b.wait); err != nil {
		return err
	}
	b.waited += b.wait
	b.wait = min(b.wait*2, maxReplicationWait)
	return nil
}
