package httpretry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var fast = Policy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRateLimitWait: 3 * time.Second}

func TestRetriesWhatIsRetryable(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503, 504, 408} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) < 3 {
				w.WriteHeader(status)
				return
			}
			_, _ = w.Write([]byte("ok"))
		}))
		resp, err := NewClient(Options{Policy: fast}).Get(srv.URL)
		srv.Close()
		if err != nil || resp.StatusCode != 200 || calls.Load() != 3 {
			t.Errorf("status %d: got %v, %v after %d calls", status, resp, err, calls.Load())
		}
	}
}

func TestDoesNotRetryClientErrorsOrNotImplemented(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 501} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(status)
		}))
		resp, err := NewClient(Options{Policy: fast}).Get(srv.URL)
		srv.Close()
		if err != nil || resp.StatusCode != status || calls.Load() != 1 {
			t.Errorf("status %d: %v %v after %d calls", status, resp, err, calls.Load())
		}
	}
}

func TestGivesUpAfterMaxRetriesAndReturnsLastResponse(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(503)
		_, _ = w.Write([]byte(`{"error":{"message":"down"}}`))
	}))
	defer srv.Close()
	resp, err := NewClient(Options{Policy: fast}).Get(srv.URL)
	if err != nil || resp.StatusCode != 503 || calls.Load() != 4 {
		t.Fatalf("%v %v after %d calls", resp, err, calls.Load())
	}
}

func TestResendsBodyOnRetry(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 64)
		n, _ := r.Body.Read(b)
		if string(b[:n]) != `{"a":1}` {
			t.Errorf("attempt %d got body %q", calls.Load()+1, b[:n])
		}
		if calls.Add(1) == 1 {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	if _, err := NewClient(Options{Policy: fast}).Post(srv.URL, "application/json", strings.NewReader(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
}

func TestRateLimitResetIsHonouredAndCapped(t *testing.T) {
	h := http.Header{}
	h.Set("Ratelimit-Reset", "2")
	if d, ok := RateLimitReset(h); !ok || d != 2*time.Second {
		t.Fatalf("ratelimit-reset: %v %v", d, ok)
	}
	h = http.Header{}
	h.Set("Retry-After", "7")
	if d, ok := RateLimitReset(h); !ok || d != 7*time.Second {
		t.Fatalf("retry-after: %v %v", d, ok)
	}
	if _, ok := RateLimitReset(http.Header{}); ok {
		t.Fatal("no header must mean no reset")
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Ratelimit-Reset": {"600"}}}
	if d := backoff(fast)(fast.MinWait, fast.MaxWait, 0, resp); d > fast.MaxRateLimitWait {
		t.Fatalf("wait %v exceeds the cap %v", d, fast.MaxRateLimitWait)
	}
	resp.Header.Set("Ratelimit-Reset", "1")
	if d := backoff(fast)(fast.MinWait, fast.MaxWait, 0, resp); d < time.Second {
		t.Fatalf("wait %v is shorter than the announced reset", d)
	}
}

func TestExponentialBackoffStaysInBounds(t *testing.T) {
	for attempt := 0; attempt < 40; attempt++ {
		d := Exponential(100*time.Millisecond, 2*time.Second, attempt)
		ceiling := min(100*time.Millisecond<<min(attempt, 30), 2*time.Second)
		if d < ceiling/2 || d > ceiling {
			t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, ceiling/2, ceiling)
		}
	}
}

func TestCancellationInterruptsTheWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Ratelimit-Reset", "60")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	start := time.Now()
	_, err := NewClient(Options{Policy: Policy{MaxRetries: 3, MaxRateLimitWait: time.Minute}}).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the 60s wait was not interrupted")
	}
}

func TestOnRetryIsTold(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(502)
		}
	}))
	defer srv.Close()
	var told []int
	c := NewClient(Options{Policy: fast, OnRetry: func(method, url string, status int, wait time.Duration) {
		told = append(told, status)
		if method != "GET" || !strings.HasPrefix(url, srv.URL) {
			t.Errorf("OnRetry(%q, %q)", method, url)
		}
	}})
	if _, err := c.Get(srv.URL); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || told[0] != 502 {
		t.Fatalf("told %v", told)
	}
}

func TestNotIdempotentRequestsAreRetriedOnlyOn429(t *testing.T) {
	for _, c := range []struct {
		status    int
		wantCalls int32
	}{{500, 1}, {503, 1}, {502, 1}, {429, 3}} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) < 3 {
				w.WriteHeader(c.status)
			}
		}))
		req, _ := http.NewRequestWithContext(NotIdempotent(context.Background()), "POST", srv.URL, strings.NewReader("{}"))
		resp, err := NewClient(Options{Policy: fast}).Do(req)
		srv.Close()
		if err != nil || calls.Load() != c.wantCalls {
			t.Errorf("status %d: %d calls (%v), want %d", c.status, calls.Load(), err, c.wantCalls)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
}

func TestNotIdempotentRequestsRetryARefusedConnection(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now: the dial fails before anything is sent
	req, _ := http.NewRequestWithContext(NotIdempotent(context.Background()), "POST", addr, strings.NewReader("{}"))
	var retries int
	_, err := NewClient(Options{Policy: fast, OnRetry: func(string, string, int, time.Duration) { retries++ }}).Do(req)
	if err == nil || retries != fast.MaxRetries {
		t.Fatalf("refused connection: %d retries, %v; want %d retries and an error", retries, err, fast.MaxRetries)
	}
}

func TestShortMaxDelayGivenAloneIsHonoured(t *testing.T) {
	p := Policy{MaxWait: 100 * time.Millisecond}.withDefaults()
	if p.MaxWait != 100*time.Millisecond || p.MinWait > p.MaxWait {
		t.Fatalf("policy %+v: the 100ms cap was not kept", p)
	}
	h := http.Header{}
	h.Set("Ratelimit-Reset", "1e300")
	if d, ok := RateLimitReset(h); !ok || d <= 0 {
		t.Fatalf("a huge reset gave %v", d)
	}
}
