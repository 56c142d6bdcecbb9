// Package zenoss is the Zenoss adapter: a source.Source over the JSON API's
// EventsRouter (/zport/dmd/evconsole_router), for Zenoss 4.x, 5.x, 6.x and
// Zenoss Cloud.
//
// Safety: Zenoss applies acknowledge, close and reopen to every event when
// a request selects none (no evids, an empty or non-list evids, no
// params). Every request passes one guard (see call) that refuses, before
// anything is sent, any method the adapter does not use and any state
// change that is not a list of non-empty evids; ErrUnsafeRequest marks the
// refusal. The adapter never sends asof, which Zenoss ignores.
//
// Zenoss's lifecycle, as the adapter reports it: Reopen is refused (a
// *source.RefusedError naming the holder) while another event holds the
// dedupid, an open one or an aged one, since aging keeps the dedupid; a
// recurrence revives an aged event under its own evid but gives a closed
// or cleared one a new evid. Closed, cleared and aged events move to the
// archive within a minute once their last occurrence is 3 days old (by
// default): List still finds them with ChangedSince (it reads the archive
// too), Get, AppendLog and SetIncidentRef still work, and a state change
// is a *source.RefusedError saying the event is archived (Close of it:
// unchanged).
//
// It copes with what the API does beyond its documentation: failures
// answered as HTTP 200 with success:false, bad credentials answered with the
// login form, timestamps as local-time strings (4.x; logs up to 5.2), float
// seconds (5.x, 6.x) or milliseconds (logs from 5.3), device and component
// as objects in query results but strings in detail, details as a map or a
// list, and log messages rewritten as HTML. Requests are retried by the
// project's policy (internal/httpretry). Credentials only ever travel in
// the Authorization (or z-api-key) header of requests to the configured
// host, and never appear in errors.
package zenoss

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcehttp"
)

// Config configures a Client.
type Config struct {
	// URL is the Zenoss base URL: https://zenoss.example.com, or for Zenoss
	// Cloud the collection zone, https://<tenant>.zenoss.io/cz0.
	URL string
	// Username and Password for HTTP Basic auth (Resource Manager, Core).
	Username, Password string
	// APIKey for Zenoss Cloud (sent as z-api-key), instead of a password.
	APIKey string
	// Version is the Zenoss major version, 4, 5 or 6 (Zenoss Cloud is 6);
	// 0 means 6. It decides the time-range format of queries and whether
	// event details can be written (5.0 and later).
	Version int
	// Location is the Zenoss server's time zone. Required for 4.x and 5.x,
	// whose timestamps are local wall-clock strings; unused by 6.x.
	Location *time.Location
	// PageSize is the default number of events per List page (default 100,
	// at most 1000).
	PageSize int
	// Timeout bounds each HTTP attempt (default 30s).
	Timeout time.Duration
	// Retry bounds the retries of each request (default httpretry.DefaultPolicy).
	Retry httpretry.Policy
	// TLS replaces the default TLS configuration (e.g. a private CA).
	TLS *tls.Config
	// Transport, when set, carries the requests (tests).
	Transport http.RoundTripper
	// OnRetry is told about each retry (for logging; URLs carry no secrets).
	OnRetry func(method, url string, status int, wait time.Duration)
}

// String describes the configuration without its secrets, so that a
// Config printed with %v or %+v in a log shows no password or key.
func (c Config) String() string {
	auth := "no credentials"
	switch {
	case c.APIKey != "":
		auth = "api key [redacted]"
	case c.Username != "":
		auth = "user " + c.Username + ", password [redacted]"
	}
	return fmt.Sprintf("zenoss.Config{URL: %s, %s, Version: %d}", c.URL, auth, c.Version)
}

// GoString keeps %#v from printing the secrets too.
func (c Config) GoString() string { return c.String() }

// Client talks to one Zenoss server. It is safe for concurrent use.
type Client struct {
	endpoint string
	http     *http.Client
	version  int
	dec      decoder
	pageSize int
	secrets  sourcehttp.Secrets // scrubbed from anything the server says back
	tid      atomic.Int64
}

var _ source.Source = (*Client)(nil)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
	maxResponse     = 32 << 20
)

// ErrMalformed marks a response the adapter could not make sense of: not
// JSON, not the EventsRouter's shape, or values of the wrong type.
var ErrMalformed = errors.New("malformed response")

// New checks the configuration and returns a Client. It makes no request.
func New(c Config) (*Client, error) {
	u, err := sourcehttp.ParseURL("zenoss", c.URL)
	if err != nil {
		return nil, err
	}
	if c.Version == 0 {
		c.Version = 6
	}
	if c.Version < 4 || c.Version > 6 {
		return nil, fmt.Errorf("zenoss: version must be 4, 5 or 6, not %d", c.Version)
	}
	if c.Version < 6 && c.Location == nil {
		return nil, fmt.Errorf("zenoss: Zenoss %d.x reports local times: the server's time zone is required", c.Version)
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	var setAuth func(http.Header)
	var secrets sourcehttp.Secrets
	switch {
	case c.APIKey != "" && c.Password != "":
		return nil, errors.New("zenoss: set an api key or a password, not both")
	case c.APIKey != "":
		key := c.APIKey
		setAuth = func(h http.Header) { h.Set("z-api-key", key) }
		secrets = sourcehttp.Secrets{key}
	case c.Username != "" && c.Password != "":
		setAuth, secrets = sourcehttp.BasicAuth(c.Username, c.Password)
	default:
		return nil, errors.New("zenoss: credentials required: username and password, or an api key")
	}
	switch {
	case c.PageSize == 0:
		c.PageSize = defaultPageSize
	case c.PageSize < 0 || c.PageSize > maxPageSize:
		return nil, fmt.Errorf("zenoss: page size must be between 1 and %d", maxPageSize)
	}
	hc, err := sourcehttp.NewClient(sourcehttp.Options{Origin: u, Auth: setAuth,
		Connection: sourcehttp.Connection{Timeout: c.Timeout, Retry: c.Retry, TLS: c.TLS, Transport: c.Transport, OnRetry: c.OnRetry}})
	if err != nil {
		return nil, fmt.Errorf("zenoss: %w", err)
	}
	cl := &Client{
		endpoint: strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/") + "/zport/dmd/evconsole_router",
		http:     hc,
		version:  c.Version,
		dec:      decoder{loc: c.Location},
		pageSize: c.PageSize,
		secrets:  secrets,
	}
	return cl, nil
}

// String names the server, and nothing secret.
func (c *Client) String() string { return "zenoss client for " + c.endpoint }

// GoString keeps %#v from printing the credentials held by the client.
func (c *Client) GoString() string { return c.String() }

type rpcRequest struct {
	Action string `json:"action"`
	Method string `json:"method"`
	Data   []any  `json:"data"`
	Type   string `json:"type"`
	TID    int64  `json:"tid"`
}

// ErrUnsafeRequest marks a request the adapter refused to send: a method
// it does not use, or a state change that does not name its events.
var ErrUnsafeRequest = errors.New("refused by the adapter's safety guard")

// readMethods and stateChanges are every EventsRouter method the adapter
// may call; call refuses any other (updateEventSummaries, the heartbeat
// clears, ...) before a request is made.
var (
	readMethods  = map[string]bool{"query": true, "detail": true, "write_log": true, "updateDetails": true}
	stateChanges = map[string]bool{"acknowledge": true, "close": true, "reopen": true}
)

// selection is the only request body a state change may have: a list of
// evids, nothing else. It has no params, excludeIds or asof on purpose.
type selection struct {
	Evids []string `json:"evids"`
}

// guard is the safety check every request passes before it is sent. Zenoss
// applies acknowledge, close and reopen to every event when they select
// none: no evids, evids: [], evids that are not a list, and no params all
// build an empty filter (zenoss-prodbin Products/Zuul/routers/zep.py
// _buildRequestFilters and _buildFilter), so one bug could close a whole
// console. A state change must therefore be a selection of non-empty evids.
func guard(method string, data any) error {
	if !stateChanges[method] {
		if !readMethods[method] {
			return fmt.Errorf("zenoss: EventsRouter.%s: %w: not a method the adapter calls", method, ErrUnsafeRequest)
		}
		return nil
	}
	sel, ok := data.(selection)
	if !ok {
		return fmt.Errorf("zenoss: EventsRouter.%s: %w: a state change must select its events by evids alone", method, ErrUnsafeRequest)
	}
	if len(sel.Evids) == 0 {
		return fmt.Errorf("zenoss: EventsRouter.%s: %w: no evids, which Zenoss would apply to every event", method, ErrUnsafeRequest)
	}
	for _, id := range sel.Evids {
		if strings.TrimSpace(id) == "" {
			return fmt.Errorf("zenoss: EventsRouter.%s: %w: an empty evid", method, ErrUnsafeRequest)
		}
	}
	return nil
}

// call runs one EventsRouter method and returns its result object, once
// the response is known to be a successful one. Every request goes through
// here, and through guard first.
func (c *Client) call(ctx context.Context, method string, data any) (json.RawMessage, error) {
	if err := guard(method, data); err != nil {
		return nil, err
	}
	body, err := json.Marshal(rpcRequest{Action: "EventsRouter", Method: method, Data: []any{data}, Type: "rpc", TID: c.tid.Add(1)})
	if err != nil {
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w", method, err)
	}
	// Zenoss >= 5.2 refuses any other content type.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: reading the response: %w", method, err)
	}
	if len(raw) > maxResponse {
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w: larger than %d MiB", method, ErrMalformed, maxResponse>>20)
	}
	if loginForm(resp, raw) {
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w: the server answered with its login form; check the username and password, or the api key", method, source.ErrAuth)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w: HTTP %s", method, source.ErrAuth, resp.Status)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: HTTP %s%s", method, resp.Status, c.snippet(raw))
	}
	if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "html") {
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w: expected JSON, got %s%s", method, ErrMalformed, ct, c.snippet(raw))
	}
	result, err := decodeEnvelope(raw)
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) {
			re.Method, re.Msg = method, c.scrub(re.Msg)
			return nil, re
		}
		return nil, fmt.Errorf("zenoss: EventsRouter.%s: %w", method, err)
	}
	return result, nil
}

// loginForm recognises Zope's answer to bad credentials: a redirect to the
// login form, or (once the redirect is followed) the form itself.
func loginForm(resp *http.Response, body []byte) bool {
	if strings.Contains(resp.Header.Get("Location"), "login_form") {
		return true
	}
	if resp.Request != nil && strings.Contains(resp.Request.URL.Path, "login_form") {
		return true
	}
	return strings.Contains(resp.Header.Get("Content-Type"), "html") &&
		(bytes.Contains(body, []byte("__ac_password")) || bytes.Contains(body, []byte("login_form")))
}

// snippet quotes the start of an error body, as text, without secrets.
func (c *Client) snippet(body []byte) string {
	text := htmlToText(string(body))
	if text == "" {
		return ""
	}
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "..."
	}
	return ": " + c.scrub(strings.Join(strings.Fields(text), " "))
}

// scrub removes the credentials from text the server sent back.
func (c *Client) scrub(s string) string { return c.secrets.Scrub(s) }

// RemoteError is a failure Zenoss reported inside a successful HTTP
// response: {"success": false, "type": ..., "msg": ...}.
type RemoteError struct {
	Method string
	// Type is "exception" for an exception in the method, "error" for
	// zeneventserver being unreachable; often empty.
	Type string
	Msg  string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("zenoss: EventsRouter.%s failed: %s", e.Method, e.Msg)
}

// Unwrap classifies the failure: a missing event is source.ErrNotFound, a
// permission failure source.ErrAuth.
func (e *RemoteError) Unwrap() error {
	switch {
	case strings.Contains(e.Msg, "Not Found") || strings.Contains(e.Msg, "Could not find event"):
		return source.ErrNotFound
	case strings.HasPrefix(e.Msg, "Unauthorized"):
		return source.ErrAuth
	}
	return nil
}
