// Package clock is where code that reasons about "now" takes the time from,
// so that tests can set it: the provider hands its clock to every object (the
// reconcile planner reads it there), and the sandboxes take Fake.Now.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the machine's clock.
var System Clock = system{}

type system struct{}

func (system) Now() time.Time { return time.Now() }

// Fake is a clock that moves only when told to. It is safe for concurrent
// use: sandboxes read it from their request handlers.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a fake clock showing t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now is the time the clock shows.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Shifted is the machine's clock moved forward by however much it has been
// told to advance: time passes as usual (asynchronous work completes), and
// a test can still jump an hour ahead (timeouts, aging) without waiting.
type Shifted struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the machine's time plus the offset.
func (c *Shifted) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Shifted) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
