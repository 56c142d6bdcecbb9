// Package sourcehttp is what the console adapters share to reach their
// consoles over HTTP: a client retried by the project's policy
// (internal/httpretry) whose credentials go only to the configured origin,
// JSON requests, the errors consoles answer, and the scrubbing that keeps
// secrets out of them.
package sourcehttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Connection is how an adapter reaches its console, beside its URL and
// credentials; adapters' configurations embed it.
type Connection struct {
	// Timeout bounds each HTTP attempt (default 30s).
	Timeout time.Duration
	// Retry bounds the retries of each request (default httpretry.DefaultPolicy).
	Retry httpretry.Policy
	// TLS replaces the default TLS configuration (e.g. a private CA).
	TLS *tls.Config
	// Transport, when set, carries the requests (tests); TLS is then unused.
	Transport http.RoundTripper
	// OnRetry is told about each retry (URLs carry no secrets).
	OnRetry func(method, url string, status int, wait time.Duration)
}

// Options configure a client.
type Options struct {
	Connection
	// Origin is the console's URL; only requests to its scheme and host
	// carry the credentials, so a redirect elsewhere never does.
	Origin *url.URL
	// Auth sets the credentials on a request's headers; nil sends none.
	Auth func(http.Header)
	// Wrap, when set, wraps the transport inside the retries: it sees, and
	// may rewrite, every attempt's response before the retry policy does.
	Wrap func(http.RoundTripper) http.RoundTripper
}

// NewClient returns the HTTP client of one console.
func NewClient(o Options) (*http.Client, error) {
	if o.Origin == nil {
		return nil, errors.New("sourcehttp: no origin")
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	base := o.Transport
	if base == nil {
		dt, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			// Only a program that replaced the default transport gets here.
			return nil, errors.New("sourcehttp: http.DefaultTransport is not an *http.Transport; set a transport")
		}
		t := dt.Clone()
		if o.TLS != nil {
			t.TLSClientConfig = o.TLS
		}
		base = t
	}
	rt := base
	if o.Auth != nil {
		// Credentials are added by the innermost transport, and only for the
		// configured origin.
		rt = &credentials{base: base, scheme: o.Origin.Scheme, host: o.Origin.Host, set: o.Auth}
	}
	if o.Wrap != nil {
		rt = o.Wrap(rt)
	}
	return httpretry.NewClient(httpretry.Options{Policy: o.Retry, Timeout: o.Timeout, Transport: rt, OnRetry: o.OnRetry}), nil
}

// ParseURL checks a console's base URL: absolute http or https, without
// credentials, query or fragment. Errors start with kind.
func ParseURL(kind, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: url must be an absolute http or https URL", kind)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s: url must not carry credentials; set username and password instead", kind)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: url must not have a query or fragment", kind)
	}
	return u, nil
}

// BasicAuth returns the header setter for HTTP Basic auth and the secrets
// to scrub from anything the console says back.
func BasicAuth(user, password string) (func(http.Header), Secrets) {
	token := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return func(h http.Header) { h.Set("Authorization", "Basic "+token) }, Secrets{password, token}
}

// credentials adds the auth header to requests for one origin.
type credentials struct {
	base         http.RoundTripper
	scheme, host string
	set          func(http.Header)
}

func (t *credentials) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == t.scheme && strings.EqualFold(r.URL.Host, t.host) {
		r = r.Clone(r.Context())
		t.set(r.Header)
	}
	return t.base.RoundTrip(r)
}

// Secrets are values that must never appear in an error or a log.
type Secrets []string

// Scrub replaces every secret in s.
func (s Secrets) Scrub(text string) string {
	for _, secret := range s {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	return text
}

// Snippet quotes the start of an error body on one line, without secrets:
// ": <text>", or "" for an empty body.
func (s Secrets) Snippet(body []byte) string {
	text := strings.Join(strings.Fields(string(body)), " ")
	if text == "" {
		return ""
	}
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "..."
	}
	return ": " + s.Scrub(text)
}

// ReadBody reads a response body of at most limit bytes.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("the response is larger than %d MiB", limit>>20)
	}
	return raw, nil
}

// Do sends one JSON request: body, when not nil, marshalled as JSON, and
// Accept: application/json (some consoles answer errors as HTML without
// it), with the extra headers. It returns the status and the body, of at
// most limit bytes; a transport error has the secrets scrubbed.
func Do(ctx context.Context, hc *http.Client, method, target string, body any, header http.Header, limit int64, secrets Secrets) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, errors.New(secrets.Scrub(err.Error()))
	}
	defer resp.Body.Close()
	raw, err := ReadBody(resp.Body, limit)
	return resp.StatusCode, raw, err
}

// APIError is an error status a console answered.
type APIError struct {
	// Kind is the console's kind; What, what the adapter was doing.
	Kind, What string
	Status     int
	// Msg is the console's own text, without secrets.
	Msg string
	// NotFound says the console answered that the object does not exist,
	// as only the adapter can tell (a 404 may also be a wrong base URL).
	NotFound bool
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: %s: HTTP %d", e.Kind, e.What, e.Status)
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	return msg
}

// Unwrap classifies the failure: source.ErrNotFound when NotFound,
// source.ErrAuth for 401 and 403.
func (e *APIError) Unwrap() error {
	switch {
	case e.NotFound:
		return source.ErrNotFound
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return source.ErrAuth
	}
	return nil
}
