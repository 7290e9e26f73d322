package graphsim

import (
	"sync"
	"time"
)

// Clock is graphsim's time. It follows the wall clock from an offset that tests
// move forward (Advance) to cross the 30-day recycle-bin window, the 7-day
// delta token lifetime, or a throttling window, without sleeping.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen *time.Time
	now    func() time.Time
}

// NewClock returns a clock that follows the wall clock.
func NewClock() *Clock { return &Clock{now: time.Now} }

// Now is the emulated current time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		return c.frozen.Add(c.offset).UTC()
	}
	return c.now().Add(c.offset).UTC()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Freeze stops the clock at t (plus later Advances). Tests use it for
// byte-identical output.
func (c *Clock) Freeze(t time.Time) {
	c.mu.Lock()
	c.frozen = &t
	c.offset = 0
	c.mu.Unlock()
}
