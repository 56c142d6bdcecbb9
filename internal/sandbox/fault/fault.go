// Package fault injects failures into the sandboxes (the PagerDuty and Zenoss
// emulators) and counts their requests per route, so that tests and benchmarks
// can show how clients behave under rate limits, server errors, latency and
// dropped connections, and how many calls a piece of work costs.
package fault

import (
	"encoding/json"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults is the set of failures currently switched on. Counters (RateLimit,
// ServerErrors, Resets) are consumed by the requests they hit.
type Faults struct {
	// RoutePrefix limits the faults to routes that start with it (e.g.
	// "POST /v2/enqueue", "GET /incidents"); empty means every route.
	RoutePrefix string `json:"route_prefix,omitempty"`
	// RateLimit: the next RateLimit matching requests answer 429.
	RateLimit int `json:"rate_limit,omitempty"`
	// RateLimitReset is the wait announced in the 429's `ratelimit-reset` header.
	RateLimitReset time.Duration `json:"rate_limit_reset,omitempty"`
	// ServerErrors: the next ServerErrors matching requests answer ServerErrorStatus (default 500).
	ServerErrors      int `json:"server_errors,omitempty"`
	ServerErrorStatus int `json:"server_error_status,omitempty"`
	// Latency is added to every matching request (it ends early if the client gives up).
	Latency time.Duration `json:"latency,omitempty"`
	// After ResetAfter more matching requests are served, the next Resets
	// matching requests have their connection reset without a response.
	ResetAfter int `json:"reset_after,omitempty"`
	Resets     int `json:"resets,omitempty"`
}

// ErrorWriter writes an injected error in the emulated API's own shape.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, route string, status int)

// Injector applies Faults to the routes it wraps and counts their requests.
type Injector struct {
	mu       sync.Mutex
	faults   Faults
	counts   map[string]int
	injected map[string]int
	errors   ErrorWriter
}

// New returns an Injector with no faults. errors writes injected error bodies;
// nil writes a plain-text body.
func New(errors ErrorWriter) *Injector {
	if errors == nil {
		errors = func(w http.ResponseWriter, _ *http.Request, _ string, status int) {
			http.Error(w, http.StatusText(status), status)
		}
	}
	return &Injector{counts: map[string]int{}, injected: map[string]int{}, errors: errors}
}

// Set replaces the faults in force.
func (i *Injector) Set(f Faults) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.faults = f
}

// Clear switches every fault off.
func (i *Injector) Clear() { i.Set(Faults{}) }

// Current returns the faults in force, with what is left of their counters.
func (i *Injector) Current() Faults {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.faults
}

// Count returns how many requests reached route (injected failures included).
func (i *Injector) Count(route string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.counts[route]
}

// Counts returns a copy of the request count of every route hit so far.
func (i *Injector) Counts() map[string]int {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make(map[string]int, len(i.counts))
	for k, v := range i.counts {
		out[k] = v
	}
	return out
}

// Total returns the number of requests counted on all routes.
func (i *Injector) Total() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := 0
	for _, v := range i.counts {
		n += v
	}
	return n
}

// Injected returns how many failures of each kind ("429", "500", "reset") were injected.
func (i *Injector) Injected() map[string]int {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make(map[string]int, len(i.injected))
	for k, v := range i.injected {
		out[k] = v
	}
	return out
}

// ResetCounts sets every counter back to zero.
func (i *Injector) ResetCounts() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.counts = map[string]int{}
	i.injected = map[string]int{}
}

type action int

const (
	serve action = iota
	rateLimit
	serverError
	reset
)

// decide counts the request and consumes the fault it should suffer, if any.
func (i *Injector) decide(route string) (action, Faults) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.counts[route]++
	f := i.faults
	if !strings.HasPrefix(route, f.RoutePrefix) {
		return serve, Faults{}
	}
	switch {
	case f.ResetAfter > 0:
		i.faults.ResetAfter--
	case f.Resets > 0:
		i.faults.Resets--
		i.injected["reset"]++
		return reset, f
	}
	switch {
	case f.RateLimit > 0:
		i.faults.RateLimit--
		i.injected["429"]++
		return rateLimit, f
	case f.ServerErrors > 0:
		i.faults.ServerErrors--
		status := f.ServerErrorStatus
		if status == 0 {
			status = http.StatusInternalServerError
		}
		i.injected[strconv.Itoa(status)]++
		return serverError, f
	}
	return serve, f
}

// Wrap returns h subject to the injected faults, counted under route. Route
// names are the sandboxes' ServeMux patterns, e.g. "GET /incidents/{id}".
func (i *Injector) Wrap(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		act, f := i.decide(route)
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		switch act {
		case reset:
			resetConnection(w)
		case rateLimit:
			secs := int(math.Ceil(f.RateLimitReset.Seconds()))
			w.Header().Set("Ratelimit-Limit", "960")
			w.Header().Set("Ratelimit-Remaining", "0")
			w.Header().Set("Ratelimit-Reset", strconv.Itoa(secs))
			i.errors(w, r, route, http.StatusTooManyRequests)
		case serverError:
			status := f.ServerErrorStatus
			if status == 0 {
				status = http.StatusInternalServerError
			}
			i.errors(w, r, route, status)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// resetConnection drops the TCP connection with an RST, as a crashed proxy would.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// AdminHandler serves the injector over HTTP, for a sandbox run as a process:
// GET returns {"faults": …, "counts": …, "injected": …}; PUT or POST sets the
// faults from a JSON Faults body (durations in nanoseconds or as "250ms");
// DELETE clears faults and counters.
func (i *Injector) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPut, http.MethodPost:
			var f adminFaults
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil {
				http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
				return
			}
			i.Set(f.toFaults())
		case http.MethodDelete:
			i.Clear()
			i.ResetCounts()
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"faults": i.Current(), "counts": i.Counts(), "injected": i.Injected()})
	})
}

// adminFaults accepts durations as Go duration strings as well as nanoseconds.
type adminFaults struct {
	Faults
	RateLimitReset duration `json:"rate_limit_reset,omitempty"`
	Latency        duration `json:"latency,omitempty"`
}

func (a adminFaults) toFaults() Faults {
	f := a.Faults
	f.RateLimitReset = time.Duration(a.RateLimitReset)
	f.Latency = time.Duration(a.Latency)
	return f
}

type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		*d = duration(v)
		return err
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*d = duration(n)
	return nil
}
