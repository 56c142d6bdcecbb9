// Package icinga2 is the Icinga 2 adapter: a source.Source over the REST
// API v1 (port 5665), over TLS verified with the system roots or a private
// CA bundle, with HTTP Basic auth as an ApiUser.
//
// An event is a host or service problem: a non-OK state of type HARD (SOFT
// states, and objects never checked, state 3 or DOWN before any result,
// are not problems). Its ID is the object's name and the time the
// checkable was last OK (services: last_state_ok; hosts: last_state_up),
// which stays fixed for the whole problem, "web01!http@1796158605.292196"
// (0 for an object never OK), so a new problem after a recovery is a new
// event. Recovered problems are not listed and Get reports them as
// source.ErrNotFound (Capabilities.ListClosed is false), as the engine
// expects of consoles whose closed events vanish.
//
// Acknowledge and Reopen set and remove Icinga's acknowledgement, as the
// API user, sticky when configured (a non-sticky one is cleared by Icinga
// on any state change, CRITICAL to WARNING included; every one is cleared
// on recovery). Comments are the event's log: AppendLog adds one, Get
// reads those made since the problem began. A downtime on the object (or
// on the host of a service) is reported as Event.Maintenance. The incident
// reference is a custom variable, vars.pdbridge, written with POST and
// cleared by writing the whole vars dictionary without it (Icinga 2.13 has
// no way to remove one variable); it survives recovery, so it names the
// event it belongs to and is ignored on any other. Close sets a passive
// check OK; an actively checked object cannot be closed from outside
// (source.ErrUnsupported), nor can a recovered problem be reopened.
//
// It copes with Icinga's answers: 409 on a second acknowledgement is
// success, 404 "No objects found." is an unknown object,
// last_check_result.exit_status is not the state (it read 0 after a
// CRITICAL result), and HTML error pages without Accept: application/json.
// Requests are retried by the project's policy (internal/httpretry).
// Credentials travel only in the Authorization header to the configured
// host and never appear in errors.
package icinga2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcehttp"
)

// Config configures a Client.
type Config struct {
	// URL is the API's base URL, e.g. https://icinga.example.com:5665.
	URL string
	// Username and Password of an ApiUser. The username is also the author
	// of acknowledgements and comments. It needs the permissions
	// objects/query/{Host,Service,Comment,Downtime}, objects/modify/{Host,Service},
	// actions/acknowledge-problem, actions/remove-acknowledgement,
	// actions/add-comment and, to close passive checks,
	// actions/process-check-result.
	Username, Password string
	// StickyAcknowledgement makes acknowledgements last until recovery;
	// otherwise Icinga clears them on any state change.
	StickyAcknowledgement bool
	// PageSize is the default number of events per List page (default 500).
	PageSize int
	// Connection: timeouts, retries, TLS (a private CA, a client
	// certificate) and the transport.
	sourcehttp.Connection
}

// String describes the configuration without its password.
func (c Config) String() string {
	return fmt.Sprintf("icinga2.Config{URL: %s, user %s, password [redacted]}", c.URL, c.Username)
}

// GoString keeps %#v from printing the password too.
func (c Config) GoString() string { return c.String() }

// Client talks to one Icinga 2 API. It is safe for concurrent use.
type Client struct {
	base     string
	user     string
	sticky   bool
	pageSize int
	http     *http.Client
	secrets  sourcehttp.Secrets
}

var _ source.Source = (*Client)(nil)

const (
	defaultPageSize = 500
	maxPageSize     = 10000
	maxResponse     = 64 << 20
)

// ErrMalformed marks a response the adapter could not make sense of.
var ErrMalformed = errors.New("malformed response")

// New checks the configuration and returns a Client. It makes no request.
func New(c Config) (*Client, error) {
	u, err := sourcehttp.ParseURL("icinga2", c.URL)
	if err != nil {
		return nil, err
	}
	if c.Username == "" || c.Password == "" {
		return nil, errors.New("icinga2: the username and password of an API user are required")
	}
	switch {
	case c.PageSize == 0:
		c.PageSize = defaultPageSize
	case c.PageSize < 0 || c.PageSize > maxPageSize:
		return nil, fmt.Errorf("icinga2: page size must be between 1 and %d", maxPageSize)
	}
	auth, secrets := sourcehttp.BasicAuth(c.Username, c.Password)
	hc, err := sourcehttp.NewClient(sourcehttp.Options{Origin: u, Auth: auth, Connection: c.Connection})
	if err != nil {
		return nil, fmt.Errorf("icinga2: %w", err)
	}
	return &Client{base: strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), user: c.Username,
		sticky: c.StickyAcknowledgement, pageSize: c.PageSize, http: hc, secrets: secrets}, nil
}

// String names the API, and nothing secret.
func (c *Client) String() string { return "icinga2 client for " + c.base }

// GoString keeps %#v from printing the credentials held by the client.
func (c *Client) GoString() string { return c.String() }

// APIError is an error status of the API; it matches source.ErrNotFound
// for Icinga's own 404 "No objects found." and source.ErrAuth for 401 and 403.
type APIError = sourcehttp.APIError

// noObjects is Icinga's answer for an object or filter that matches nothing.
const noObjects = "No objects found."

func apiError(what string, status int, msg string) *APIError {
	return &APIError{Kind: "icinga2", What: what, Status: status, Msg: msg, NotFound: status == http.StatusNotFound && msg == noObjects}
}

// envelope is every answer: results, or an error with its status text.
type envelope struct {
	Results []json.RawMessage `json:"results"`
	Error   json.Number       `json:"error"`
	Status  string            `json:"status"`
}

// actionResult is one result of an action or a modification.
type actionResult struct {
	Code   float64  `json:"code"`
	Status string   `json:"status"`
	Name   string   `json:"name"`
	Errors []string `json:"errors"`
}

// call sends one request and returns the results of a successful answer.
// A query (a GET with a body) is sent as POST with
// X-HTTP-Method-Override: GET, the form Icinga documents.
func (c *Client) call(ctx context.Context, what, method, path string, query url.Values, body any) ([]json.RawMessage, error) {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	sendMethod, header := method, http.Header{}
	if method == http.MethodGet && body != nil {
		sendMethod = http.MethodPost
		header.Set("X-HTTP-Method-Override", method)
	}
	status, raw, err := sourcehttp.Do(ctx, c.http, sendMethod, target, body, header, maxResponse, c.secrets)
	if err != nil {
		return nil, fmt.Errorf("icinga2: %s: %w", what, err)
	}
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	if status < 200 || status > 299 {
		apiErr := apiError(what, status, "")
		switch {
		case jsonErr == nil && env.Status != "":
			apiErr.Msg = c.secrets.Scrub(env.Status)
		case jsonErr == nil && len(env.Results) == 1:
			var r actionResult
			if json.Unmarshal(env.Results[0], &r) == nil {
				apiErr.Msg = c.secrets.Scrub(strings.TrimSpace(r.Status + " " + strings.Join(r.Errors, "; ")))
			}
		default:
			apiErr.Msg = strings.TrimPrefix(c.secrets.Snippet(raw), ": ")
		}
		apiErr.NotFound = status == http.StatusNotFound && apiErr.Msg == noObjects
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			apiErr.Msg = strings.TrimSpace(apiErr.Msg + " (check the API user's name, password and permissions)")
		}
		return nil, apiErr
	}
	if jsonErr != nil {
		return nil, fmt.Errorf("icinga2: %s: %w: not JSON%s", what, ErrMalformed, c.secrets.Snippet(raw))
	}
	return env.Results, nil
}

// action posts one action to one object and checks its result.
func (c *Client) action(ctx context.Context, name string, body map[string]any) error {
	results, err := c.call(ctx, name+" for "+fmt.Sprint(body[objectKey(body)]), http.MethodPost, "/v1/actions/"+name, nil, body)
	if err != nil {
		return err
	}
	if len(results) != 1 {
		return fmt.Errorf("icinga2: %s: %w: %d results for one object", name, ErrMalformed, len(results))
	}
	var r actionResult
	if err := json.Unmarshal(results[0], &r); err != nil {
		return fmt.Errorf("icinga2: %s: %w: %v", name, ErrMalformed, err)
	}
	if r.Code >= 300 {
		return apiError(name, int(r.Code), c.secrets.Scrub(r.Status))
	}
	return nil
}

// objectKey is the key an action body names its object with.
func objectKey(body map[string]any) string {
	if _, ok := body["service"]; ok {
		return "service"
	}
	return "host"
}
