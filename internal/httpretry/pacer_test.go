package httpretry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// pacedServer answers status with the given rate-limit headers (none for a
// negative remaining) and counts requests.
func pacedServer(t *testing.T, status, remaining, reset int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if remaining >= 0 {
			w.Header().Set("Ratelimit-Remaining", strconv.Itoa(remaining))
		}
		w.Header().Set("Ratelimit-Reset", strconv.Itoa(reset))
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func get(t *testing.T, c *http.Client, url string, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestPacerSendsNothingBeyondItsBudget(t *testing.T) {
	srv, n := pacedServer(t, 200, -1, 0)
	c := NewClient(Options{Policy: Policy{MaxRetries: -1}, Pacer: NewPacer(60, 2, 0)})
	for i := range 2 { // the burst
		if err := get(t, c, srv.URL, 5*time.Second); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	// The next token comes in a second; a request that cannot wait that long
	// fails with its deadline and never reaches the server.
	if err := get(t, c, srv.URL, 100*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third request: %v, want its deadline", err)
	}
	if got := n.Load(); got != 2 {
		t.Fatalf("server saw %d requests, want 2", got)
	}
}

func TestPacerHoldsRequestsWhenTheServerSaysItsWindowIsSpent(t *testing.T) {
	for _, c := range []struct {
		name              string
		status, remaining int
		held              bool
	}{
		{"plenty left", 200, 500, false},
		{"no headers", 200, -1, false},
		{"at the reserve", 200, 10, true},
		{"none left", 200, 0, true},
		{"a 429 without remaining", 429, -1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, n := pacedServer(t, c.status, c.remaining, 30)
			client := NewClient(Options{Policy: Policy{MaxRetries: -1}, Pacer: NewPacer(900, 40, 10)})
			if err := get(t, client, srv.URL, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			err := get(t, client, srv.URL, 200*time.Millisecond)
			if held := errors.Is(err, context.DeadlineExceeded); held != c.held || (!held && err != nil) {
				t.Fatalf("second request: %v, want held = %v", err, c.held)
			}
			if want := map[bool]int32{true: 1, false: 2}[c.held]; n.Load() != want {
				t.Fatalf("server saw %d requests, want %d", n.Load(), want)
			}
		})
	}
}

func TestPacerWaitEndsWithItsContext(t *testing.T) {
	p := NewPacer(1, 1, 0)
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Wait(ctx) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not end with its context (the next token is a minute away)")
	}
}

func TestPacerWaitIsNotPartOfTheAttemptTimeout(t *testing.T) {
	srv, n := pacedServer(t, 200, -1, 0)
	// 600 a minute: one request every 100ms after a burst of one. Each
	// attempt may take 50ms, less than the wait for its turn.
	c := NewClient(Options{Policy: Policy{MaxRetries: -1}, Timeout: 50 * time.Millisecond, Pacer: NewPacer(600, 1, 0)})
	for i := range 3 {
		if err := get(t, c, srv.URL, 5*time.Second); err != nil {
			t.Fatalf("request %d: %v (the wait counted against the attempt's timeout)", i, err)
		}
	}
	if n.Load() != 3 {
		t.Fatalf("server saw %d requests", n.Load())
	}
}
