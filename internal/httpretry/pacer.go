package httpretry

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer keeps requests under a server's rate limit instead of running into
// it: a token bucket (golang.org/x/time/rate) admits requests at a steady
// rate with a small burst, and when the server's own headers say its window
// is nearly spent (others using the same credentials count there too), new
// requests are held until the window resets. Every attempt waits its turn,
// retries included; the wait ends when the request's context does.
//
// One Pacer is meant to be shared by every client that spends the same
// budget, such as all clients of one API token in a process.
type Pacer struct {
	limiter *rate.Limiter
	reserve int

	mu        sync.Mutex
	holdUntil time.Time
}

// NewPacer admits perMinute requests a minute on average and at most burst
// at once, so that no minute holds more than perMinute+burst of them. When
// a response reports reserve or fewer requests left (`ratelimit-remaining`),
// requests wait for the announced reset (`ratelimit-reset`).
func NewPacer(perMinute, burst, reserve int) *Pacer {
	return &Pacer{limiter: rate.NewLimiter(rate.Limit(float64(perMinute)/60), max(burst, 1)), reserve: reserve}
}

// Wait blocks until a request may be sent, or returns ctx's error.
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	hold := time.Until(p.holdUntil)
	p.mu.Unlock()
	if hold > 0 {
		t := time.NewTimer(hold)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err := p.limiter.Wait(ctx); err != nil {
		if ctx.Err() == nil {
			// x/time/rate refuses at once a wait that would outlast the
			// deadline; sending anyway would overspend, so wait it out.
			<-ctx.Done()
		}
		return ctx.Err()
	}
	return nil
}

// Observe reads a response's rate-limit headers. A 429 means none left
// whatever its headers say, so it holds every request until the reset, not
// only the one retried.
func (p *Pacer) Observe(resp *http.Response) {
	remaining, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Ratelimit-Remaining")))
	if resp.StatusCode == http.StatusTooManyRequests {
		remaining, err = 0, nil
	}
	if err != nil || remaining > p.reserve {
		return
	}
	wait, ok := RateLimitReset(resp.Header)
	if !ok {
		return
	}
	until := time.Now().Add(wait)
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.holdUntil) {
		p.holdUntil = until
	}
}
