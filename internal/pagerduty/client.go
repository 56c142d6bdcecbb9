// Package pagerduty is pdbridge's PagerDuty client. It is built on
// go-pagerduty v1.8.0 and adds what that release lacks, by hand:
//   - retries of 429 (honouring `ratelimit-reset`), 5xx and timeouts with
//     bounded exponential backoff and jitter (v1.8.0 retries nothing);
//   - the From header on every write (v1.8.0 sets it on some calls only, and
//     takes it from a note's user summary on others);
//   - pagination to PagerDuty's 10,000-offset ceiling, and bulk incident
//     updates in batches of at most 250;
//   - the calls v1.8.0 gets wrong or lacks (an integration update it sends
//     unwrapped, orchestration integrations), written against the spec.
//
// It knows nothing of Terraform.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"time"

	gopd "github.com/PagerDuty/go-pagerduty"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// Regional endpoints, as the official provider's service_region selects them.
var regions = map[string]struct{ API, Events string }{
	"us": {"https://api.pagerduty.com", "https://events.pagerduty.com"},
	"eu": {"https://api.eu.pagerduty.com", "https://events.eu.pagerduty.com"},
}

// regionEndpoints returns a service region's endpoints; "" is us.
func regionEndpoints(region string) (struct{ API, Events string }, error) {
	if region == "" {
		region = "us"
	}
	ends, ok := regions[region]
	if !ok {
		return ends, fmt.Errorf("unknown service region %q: use one of %s", region, strings.Join(Regions(), ", "))
	}
	return ends, nil
}

// Regions lists the accepted service_region values.
func Regions() []string { return []string{"us", "eu"} }

// Config is what a Client needs.
type Config struct {
	Token     string
	UserEmail string // the From of every write
	Region    string // us (default) or eu; ignored for an endpoint given explicitly
	APIURL    string // REST API root, overrides Region
	EventsURL string // Events API host root (the client appends /v2/...), overrides Region
	UserAgent string
	Retry     httpretry.Policy
	Timeout   time.Duration // per attempt
	// Transport, when set, is the innermost round tripper (tests).
	Transport http.RoundTripper
	// OnRetry, when set, hears of every retry (the provider logs them).
	OnRetry func(method, url string, status int, wait time.Duration)
	// RequestsPerMinute, if positive, paces the REST requests of every
	// client with this token and API root in the process to that many a
	// minute (the provider's: DefaultRequestsPerMinute); the first client
	// made for a token sets it. Zero does not pace, for tests whose
	// sandboxes enforce no limit.
	RequestsPerMinute int
	// ShareReads serves integration reads from one read of their service,
	// shared by every caller until a write on that service (see reads.go).
	ShareReads bool
}

// Client talks to one PagerDuty account.
type Client struct {
	api       *gopd.Client
	http      *http.Client // REST: token, From on writes, retries
	events    *http.Client // Events API: no token, no From, same retries
	apiURL    string
	eventsURL string
	token     string
	from      string
	reads     *serviceReads // nil unless Config.ShareReads
	vendors   vendorCatalogue
}

// New validates cfg and returns a client. It makes no request. A client
// without a token can still send events (they carry their routing key); REST
// calls then fail with PagerDuty's 401, so callers check HasToken first.
func New(cfg Config) (*Client, error) {
	if cfg.UserEmail != "" {
		if _, err := mail.ParseAddress(cfg.UserEmail); err != nil {
			return nil, fmt.Errorf("user_email %q is not an email address", cfg.UserEmail)
		}
	}
	ends, err := regionEndpoints(cfg.Region)
	if err != nil {
		return nil, err
	}
	apiURL := strings.TrimRight(firstNonEmpty(cfg.APIURL, ends.API), "/")
	eventsURL := strings.TrimRight(firstNonEmpty(cfg.EventsURL, ends.Events), "/")
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := httpretry.Options{Policy: cfg.Retry, Timeout: timeout, Transport: cfg.Transport, OnRetry: cfg.OnRetry}
	retrying := httpretry.NewClient(opts).Transport
	// REST calls spend the token's budget; events have their own limits
	// per routing key, so they are not paced with it.
	paced := retrying
	if cfg.RequestsPerMinute > 0 {
		opts.Pacer = pacerFor(apiURL, cfg.Token, cfg.RequestsPerMinute)
		paced = httpretry.NewClient(opts).Transport
	}
	ua := firstNonEmpty(cfg.UserAgent, "terraform-provider-pdbridge")
	rest := &http.Client{Transport: headers{next: paced, from: cfg.UserEmail, userAgent: ua}}
	// The Events API authenticates by routing key and has no From.
	events := &http.Client{Transport: headers{next: retrying, userAgent: ua}}
	api := gopd.NewClient(cfg.Token, gopd.WithAPIEndpoint(apiURL), gopd.WithV2EventsAPIEndpoint(eventsURL), func(c *gopd.Client) {
		c.HTTPClient = rest
	})
	c := &Client{api: api, http: rest, events: events, apiURL: apiURL, eventsURL: eventsURL, token: cfg.Token, from: cfg.UserEmail}
	if cfg.ShareReads {
		c.reads = newServiceReads()
	}
	return c, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// HasToken reports whether REST calls can authenticate.
func (c *Client) HasToken() bool { return c.token != "" }

// APIURL is the REST API root in use.
func (c *Client) APIURL() string { return c.apiURL }

// EventsURL is the Events API host root in use.
func (c *Client) EventsURL() string { return c.eventsURL }

// EnqueueURL is where Events API v2 alert events go.
func (c *Client) EnqueueURL() string { return c.eventsURL + "/v2/enqueue" }

// headers sets our User-Agent, and adds the From header to every write that
// lacks one: PagerDuty requires it on incident, note and maintenance-window
// writes, and go-pagerduty v1.8.0 does not set it consistently.
type headers struct {
	next      http.RoundTripper
	from      string
	userAgent string
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", h.userAgent)
	if h.from != "" && r.Method != http.MethodGet && r.Header.Get("From") == "" {
		r.Header.Set("From", h.from)
	}
	return h.next.RoundTrip(r)
}

// Error is a PagerDuty REST error with what callers branch on.
type Error struct {
	Status  int
	Code    int
	Message string
	Errors  []string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("PagerDuty API answered %d", e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Code != 0 {
		msg += fmt.Sprintf(" (code %d)", e.Code)
	}
	if len(e.Errors) > 0 {
		msg += ": " + strings.Join(e.Errors, "; ")
	}
	return msg
}

// IsNotFound reports whether err is PagerDuty's 404 (or its Not Found code 2100).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Code == 2100)
}

// wrap turns go-pagerduty's errors into *Error and keeps cancellation visible
// (go-pagerduty formats transport errors with %v, which loses context.Canceled).
func wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", op, ctxErr)
	}
	var apiErr gopd.APIError
	if errors.As(err, &apiErr) {
		e := &Error{Status: apiErr.StatusCode}
		if apiErr.APIError.Valid {
			e.Code = apiErr.APIError.ErrorObject.Code
			e.Message = apiErr.APIError.ErrorObject.Message
			e.Errors = apiErr.APIError.ErrorObject.Errors
		} else {
			e.Message = http.StatusText(apiErr.StatusCode)
		}
		return fmt.Errorf("%s: %w", op, e)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// doJSON performs a REST call go-pagerduty lacks or gets wrong, with the same
// headers, retries and error decoding. in and out may be nil.
func (c *Client) doJSON(ctx context.Context, op, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.apiURL+path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Token token="+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s: reading response: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: %w", op, decodeError(resp.StatusCode, data))
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decoding response: %w", op, err)
	}
	return nil
}

func decodeError(status int, data []byte) *Error {
	var env struct {
		Error struct {
			Code    int      `json:"code"`
			Message string   `json:"message"`
			Errors  []string `json:"errors"`
		} `json:"error"`
	}
	e := &Error{Status: status}
	if json.Unmarshal(data, &env) == nil && (env.Error.Message != "" || env.Error.Code != 0) {
		e.Code, e.Message, e.Errors = env.Error.Code, env.Error.Message, env.Error.Errors
	} else {
		e.Message = http.StatusText(status)
	}
	return e
}
