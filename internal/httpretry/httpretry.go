// Package httpretry builds the HTTP clients pdbridge uses to reach PagerDuty
// and event consoles: bounded retries of what is retryable (429 honouring the
// server's rate-limit reset, 5xx, timeouts and dropped connections), with
// exponential backoff and jitter, and cancellation through the request context.
//
// The retry loop itself is hashicorp/go-retryablehttp; this package supplies
// the policy PagerDuty's API needs (its `ratelimit-reset` header is not one
// go-retryablehttp knows) and keeps every client in the project on one policy.
package httpretry

import (
	"context"
	"crypto/tls"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Policy bounds the retries of one request.
type Policy struct {
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// MinWait and MaxWait bound the exponential backoff between attempts.
	MinWait time.Duration
	MaxWait time.Duration
	// MaxRateLimitWait caps how long a 429's reset header may make us wait.
	MaxRateLimitWait time.Duration
}

// DefaultPolicy is used where the caller sets nothing.
var DefaultPolicy = Policy{MaxRetries: 4, MinWait: 500 * time.Millisecond, MaxWait: 30 * time.Second, MaxRateLimitWait: 60 * time.Second}

// Options configure a client.
type Options struct {
	Policy Policy
	// Timeout bounds each attempt, not the whole retried call.
	Timeout time.Duration
	// TLS, when set, replaces the default TLS configuration.
	TLS *tls.Config
	// Transport, when set, is the innermost round tripper (tests, fault injection).
	Transport http.RoundTripper
	// OnRetry, when set, is told about every retry before its wait; status is
	// 0 when the attempt failed without a response.
	OnRetry func(method, url string, status int, wait time.Duration)
	// Pacer, when set, spaces every attempt under the server's rate limit.
	// Its wait comes before the attempt's Timeout starts.
	Pacer *Pacer
}

// NewClient returns an *http.Client whose requests are retried by policy.
// Bodies are buffered so that a retried request resends them unchanged.
func NewClient(o Options) *http.Client {
	p := o.Policy.withDefaults()
	inner := o.Transport
	if inner == nil {
		dt, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			// Only a program that replaced the default transport gets here:
			// there is no *http.Transport to clone and configure.
			panic("httpretry: http.DefaultTransport is not an *http.Transport")
		}
		t := dt.Clone()
		if o.TLS != nil {
			t.TLSClientConfig = o.TLS
		}
		inner = t
	}
	rc := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: inner, Timeout: o.Timeout},
		RetryMax:     p.MaxRetries,
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		CheckRetry:   checkRetry,
		Backoff:      backoff(p),
		// Give the caller the last response rather than a generic "giving up"
		// error, so that PagerDuty's own error body (e.g. code 2020) reaches it.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		Logger:       nil, // URLs may carry query secrets on some consoles; we log nothing here.
	}
	if o.Pacer != nil {
		// Hooks run outside HTTPClient.Do, so the wait is not part of the
		// attempt's Timeout. A wait cut short by the context needs no
		// error here: the attempt then fails with the context's error.
		rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, _ int) { _ = o.Pacer.Wait(r.Context()) }
		rc.ResponseLogHook = func(_ retryablehttp.Logger, r *http.Response) { o.Pacer.Observe(r) }
	}
	if o.OnRetry != nil {
		wait := rc.Backoff
		rc.Backoff = func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
			d := wait(minWait, maxWait, attempt, resp)
			status := 0
			method, target := "", ""
			if resp != nil {
				status = resp.StatusCode
				if resp.Request != nil {
					method, target = resp.Request.Method, resp.Request.URL.Redacted()
				}
			}
			o.OnRetry(method, target, status, d)
			return d
		}
	}
	return rc.StandardClient()
}

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	} else if p.MaxRetries == 0 && p.MinWait == 0 && p.MaxWait == 0 {
		p.MaxRetries = d.MaxRetries
	}
	if p.MinWait <= 0 {
		p.MinWait = d.MinWait
	}
	if p.MaxWait <= 0 {
		p.MaxWait = max(d.MaxWait, p.MinWait)
	}
	if p.MaxWait < p.MinWait {
		p.MinWait = p.MaxWait // a short cap given alone wins over the default first delay
	}
	if p.MaxRateLimitWait <= 0 {
		p.MaxRateLimitWait = d.MaxRateLimitWait
	}
	return p
}

// Retryable reports whether a response status is one a later attempt may cure.
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout ||
		(status >= 500 && status != http.StatusNotImplemented)
}

type notIdempotentKey struct{}

// NotIdempotent marks the requests made with ctx as ones that must not be
// repeated once the server may have acted on them (creating an integration,
// an event without a dedup key): they are retried only on 429, which
// PagerDuty answers without acting, and when the connection could not be
// opened. A 5xx or a timeout may come after the object was created, and a
// retry would create a second one.
func NotIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, notIdempotentKey{}, true)
}

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	once, _ := ctx.Value(notIdempotentKey{}).(bool)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return false, err
		}
		if once {
			var op *net.OpError
			return errors.As(err, &op) && op.Op == "dial", nil
		}
		// Connection errors and timeouts are retried; certificate and scheme
		// errors are not (go-retryablehttp's own classification).
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	if once {
		return resp.StatusCode == http.StatusTooManyRequests, nil
	}
	return Retryable(resp.StatusCode), nil
}

func backoff(p Policy) retryablehttp.Backoff {
	return func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			if d, ok := RateLimitReset(resp.Header); ok {
				// A little jitter so parallel clients do not all come back at once.
				d += time.Duration(rand.Int64N(int64(250 * time.Millisecond)))
				return min(d, p.MaxRateLimitWait)
			}
		}
		return Exponential(minWait, maxWait, attempt)
	}
}

// Exponential is min*2^attempt with "full jitter" over its upper half, capped at max.
func Exponential(minWait, maxWait time.Duration, attempt int) time.Duration {
	ceiling := float64(minWait) * math.Pow(2, float64(attempt))
	if ceiling > float64(maxWait) || math.IsInf(ceiling, 0) {
		ceiling = float64(maxWait)
	}
	half := ceiling / 2
	return time.Duration(half + rand.Float64()*half)
}

// RateLimitReset reads how long the server asks us to wait: PagerDuty's
// `ratelimit-reset` (seconds until the window resets) or the standard
// `Retry-After` (seconds or an HTTP date).
func RateLimitReset(h http.Header) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Ratelimit-Reset")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			// Bounded before converting: a huge value would overflow to a negative wait.
			return time.Duration(min(s, 24*3600) * float64(time.Second)), true
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(time.Until(t), 0), true
		}
	}
	return 0, false
}
