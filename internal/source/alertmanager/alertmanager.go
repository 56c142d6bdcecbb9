// Package alertmanager is the Prometheus Alertmanager adapter: a
// source.Source over the API v2, with optional HTTP Basic auth (an
// Alertmanager web config, or a proxy in front of it).
//
// An event is one firing of an alert: its fingerprint (a hash of its label
// set) and the time it started, "d87c2745fcea8504@1796158659499" (Unix
// milliseconds). A resolved alert vanishes from the API, so a closed event
// is gone (Get reports source.ErrNotFound, Capabilities.ListClosed is
// false), and the same labels firing again start a new event.
//
// Alertmanager has no acknowledgement, no log, no way to close an alert
// from outside and nowhere to keep a reference: the capabilities say so,
// and the engine pairs events with incidents by dedup key alone.
// Acknowledging creates a silence that matches exactly the alert's labels,
// created by the sync's user, its comment naming the incident and the
// event ("[pdbridge:event:<id>]"); that silence is what makes the event
// acknowledged. Un-acknowledging expires it. Other silences of the alert,
// and inhibitions, are reported as Event.Maintenance.
//
// It copes with what the API does: DELETE of an unknown silence answers
// 500 "silence not found" (treated as done, not retried), a silence start
// in the past is moved to its creation, and an alert sent without an end
// resolves by itself after resolve_timeout. Requests are retried by the
// project's policy (internal/httpretry), except the creation of a silence
// once Alertmanager may have made it.
package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcehttp"
)

// Config configures a Client.
type Config struct {
	// URL is Alertmanager's base URL, e.g. https://alertmanager.example.com:9093.
	URL string
	// Username and Password, when set, are sent with HTTP Basic auth.
	Username, Password string
	// Author is the createdBy of the silences the sync makes, and how it
	// tells them from others' (default: Username, else "pdbridge").
	Author string
	// AckSilence is how long an acknowledgement's silence lasts (default
	// 24h). When it runs out the alert is active again, and the sync takes
	// the incident back to triggered, as PagerDuty's acknowledgement
	// timeout would.
	AckSilence time.Duration
	// PageSize is the default number of events per List page (default 500).
	PageSize int
	// Connection: timeouts, retries, TLS (a private CA, a client
	// certificate) and the transport.
	sourcehttp.Connection
}

// String describes the configuration without its password.
func (c Config) String() string {
	auth := "no credentials"
	if c.Username != "" {
		auth = "user " + c.Username + ", password [redacted]"
	}
	return fmt.Sprintf("alertmanager.Config{URL: %s, %s}", c.URL, auth)
}

// GoString keeps %#v from printing the password too.
func (c Config) GoString() string { return c.String() }

// Client talks to one Alertmanager. It is safe for concurrent use.
type Client struct {
	base     string
	author   string
	ackFor   time.Duration
	pageSize int
	http     *http.Client
	secrets  sourcehttp.Secrets
	now      func() time.Time
}

var _ source.Source = (*Client)(nil)

const (
	defaultPageSize   = 500
	maxPageSize       = 10000
	defaultAckSilence = 24 * time.Hour
	maxResponse       = 64 << 20
)

// ErrMalformed marks a response the adapter could not make sense of.
var ErrMalformed = errors.New("malformed response")

// New checks the configuration and returns a Client. It makes no request.
func New(c Config) (*Client, error) {
	u, err := sourcehttp.ParseURL("alertmanager", c.URL)
	if err != nil {
		return nil, err
	}
	var auth func(http.Header)
	var secrets sourcehttp.Secrets
	switch {
	case c.Username != "" && c.Password != "":
		auth, secrets = sourcehttp.BasicAuth(c.Username, c.Password)
	case c.Username != "" || c.Password != "":
		return nil, errors.New("alertmanager: set both username and password for Basic auth, or neither")
	}
	author := c.Author
	if author == "" {
		author = c.Username
	}
	if author == "" {
		author = "pdbridge"
	}
	switch {
	case c.AckSilence == 0:
		c.AckSilence = defaultAckSilence
	case c.AckSilence < time.Minute:
		return nil, errors.New("alertmanager: an acknowledgement's silence must last at least a minute")
	}
	switch {
	case c.PageSize == 0:
		c.PageSize = defaultPageSize
	case c.PageSize < 0 || c.PageSize > maxPageSize:
		return nil, fmt.Errorf("alertmanager: page size must be between 1 and %d", maxPageSize)
	}
	hc, err := sourcehttp.NewClient(sourcehttp.Options{Origin: u, Auth: auth, Connection: c.Connection, Wrap: func(rt http.RoundTripper) http.RoundTripper { return silenceGone{rt} }})
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	return &Client{base: strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), author: author, ackFor: c.AckSilence,
		pageSize: c.PageSize, http: hc, secrets: secrets, now: time.Now}, nil
}

// String names the Alertmanager, and nothing secret.
func (c *Client) String() string { return "alertmanager client for " + c.base }

// GoString keeps %#v from printing the credentials held by the client.
func (c *Client) GoString() string { return c.String() }

// silenceGone turns the 500 "silence not found" that DELETE of an unknown
// silence answers (0.25 and later) into the 404 it means, before the retry
// policy sees it: a 5xx would be retried.
type silenceGone struct{ base http.RoundTripper }

func (t silenceGone) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil || r.Method != http.MethodDelete || resp.StatusCode != http.StatusInternalServerError {
		return resp, err
	}
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if rerr == nil && strings.Contains(string(raw), "silence not found") {
		resp.StatusCode, resp.Status = http.StatusNotFound, "404 Not Found"
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, nil
}

// APIError is an error status of the API; it matches source.ErrAuth for
// 401 and 403.
type APIError = sourcehttp.APIError

// call sends one request and decodes a successful answer into out.
func (c *Client) call(ctx context.Context, what, method, path string, body, out any) error {
	status, raw, err := sourcehttp.Do(ctx, c.http, method, c.base+path, body, nil, maxResponse, c.secrets)
	if err != nil {
		return fmt.Errorf("alertmanager: %s: %w", what, err)
	}
	if status < 200 || status > 299 {
		apiErr := &APIError{Kind: "alertmanager", What: what, Status: status}
		// Errors are a JSON string, or {"code": ..., "message": ...}.
		var text string
		var coded struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(raw, &text) == nil:
			apiErr.Msg = c.secrets.Scrub(text)
		case json.Unmarshal(raw, &coded) == nil && coded.Message != "":
			apiErr.Msg = c.secrets.Scrub(coded.Message)
		default:
			apiErr.Msg = strings.TrimPrefix(c.secrets.Snippet(raw), ": ")
		}
		return apiErr
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("alertmanager: %s: %w: %v%s", what, ErrMalformed, err, c.secrets.Snippet(raw))
	}
	return nil
}

// alert is an alert as GET /api/v2/alerts returns it.
type alert struct {
	Fingerprint  string            `json:"fingerprint"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	GeneratorURL string            `json:"generatorURL"`
	Receivers    []struct {
		Name string `json:"name"`
	} `json:"receivers"`
	Status struct {
		State       string   `json:"state"`
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

// silence is a silence as GET /api/v2/silences returns it.
type silence struct {
	ID        string    `json:"id"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Matchers  []matcher `json:"matchers"`
	Status    struct {
		State string `json:"state"` // active, pending, expired
	} `json:"status"`
}

type matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// eventID is "<fingerprint>@<start in Unix milliseconds>".
func eventID(a alert) string {
	return a.Fingerprint + "@" + strconv.FormatInt(a.StartsAt.UnixMilli(), 10)
}

// ackMarker marks the silences that acknowledge one event.
func ackMarker(id string) string { return "[pdbridge:event:" + id + "]" }

// ours reports whether the sync made s to acknowledge event id.
func (c *Client) ours(s silence, id string) bool {
	return s.CreatedBy == c.author && strings.Contains(s.Comment, ackMarker(id))
}

// snapshot is what one reading of the API says: the alerts and silences.
type snapshot struct {
	alerts   []alert
	silences map[string]silence
}

func (c *Client) read(ctx context.Context) (snapshot, error) {
	var snap snapshot
	// Every alert: active, silenced, inhibited and unprocessed (the defaults, said aloud).
	if err := c.call(ctx, "listing alerts", http.MethodGet, "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true", nil, &snap.alerts); err != nil {
		return snap, err
	}
	var list []silence
	if err := c.call(ctx, "listing silences", http.MethodGet, "/api/v2/silences", nil, &list); err != nil {
		return snap, err
	}
	snap.silences = make(map[string]silence, len(list))
	for _, s := range list {
		snap.silences[s.ID] = s
	}
	return snap, nil
}

// find returns the alert of an event; it is source.ErrNotFound when the
// alert resolved (or fired again since: a new event).
func (snap snapshot) find(id string) (alert, error) {
	fp, _, ok := strings.Cut(id, "@")
	if ok {
		for _, a := range snap.alerts {
			if a.Fingerprint == fp && eventID(a) == id {
				return a, nil
			}
		}
	}
	return alert{}, fmt.Errorf("alertmanager: alert %s: %w (resolved alerts vanish from Alertmanager)", id, source.ErrNotFound)
}

// event normalises an alert.
func (c *Client) event(a alert, snap snapshot) source.Event {
	id := eventID(a)
	e := source.Event{
		ID:         id,
		DedupID:    a.Fingerprint,
		Device:     firstOf(a.Labels, "instance", "host", "node", "pod", "job"),
		EventClass: a.Labels["alertname"],
		Severity:   severity(a.Labels["severity"]),
		Summary:    firstOf(a.Annotations, "summary", "message", "description"),
		Message:    a.Annotations["description"],
		Status:     source.StatusNew,
		FirstSeen:  a.StartsAt.UTC(),
		LastSeen:   a.UpdatedAt.UTC(),
		URL:        c.alertURL(a.Labels),
		Details:    map[string]string{"alertmanager.fingerprint": a.Fingerprint, "alertmanager.state": a.Status.State},
	}
	if job := a.Labels["job"]; job != e.Device {
		e.Component = job
	}
	if e.Summary == "" {
		e.Summary = a.Labels["alertname"]
	}
	e.Summary, _, _ = strings.Cut(strings.TrimSpace(e.Summary), "\n")
	for k, v := range a.Labels {
		e.Details["labels."+k] = v
	}
	for k, v := range a.Annotations {
		e.Details["annotations."+k] = v
	}
	if a.GeneratorURL != "" {
		e.Details["alertmanager.generator_url"] = a.GeneratorURL
	}
	e.StatusChanged = a.StartsAt.UTC()
	var acks, others []string
	for _, sid := range a.Status.SilencedBy {
		s, ok := snap.silences[sid]
		switch {
		case ok && c.ours(s, id):
			acks = append(acks, sid)
			if e.Status == source.StatusNew || s.StartsAt.Before(e.StatusChanged) {
				e.StatusChanged = s.StartsAt.UTC()
			}
			e.Status, e.AcknowledgedBy = source.StatusAcknowledged, s.CreatedBy
		case ok && s.CreatedBy == c.author && strings.Contains(s.Comment, "[pdbridge:event:"):
			// The sync's silence of an earlier firing of the same labels:
			// it mutes this one too, but acknowledges nothing.
		case ok:
			others = append(others, fmt.Sprintf("silence %s by %s: %q", sid, s.CreatedBy, s.Comment))
		default:
			others = append(others, "silence "+sid)
		}
	}
	if e.Status == source.StatusNew {
		// Back to new when the sync's last silence of it ran out or was expired.
		for _, s := range snap.silences {
			if c.ours(s, id) && s.Status.State == "expired" && s.EndsAt.After(e.StatusChanged) {
				e.StatusChanged = s.EndsAt.UTC()
			}
		}
	}
	for _, fp := range a.Status.InhibitedBy {
		others = append(others, "inhibited by alert "+fp)
	}
	sort.Strings(others)
	e.Maintenance = strings.Join(others, "; ")
	e.NativeStatus = a.Status.State
	if len(acks) > 0 {
		e.NativeStatus = "silenced by the sync (" + strings.Join(acks, ", ") + ")"
	}
	return e
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

// severity reads the severity label, a convention (Alertmanager has no
// severity): an alert without one is a warning, since it fired.
func severity(label string) source.Severity {
	switch strings.ToLower(label) {
	case "critical", "page", "disaster", "emergency", "fatal", "high":
		return source.SeverityCritical
	case "error", "major":
		return source.SeverityError
	case "info", "informational", "low", "notice":
		return source.SeverityInfo
	case "debug", "none":
		return source.SeverityDebug
	}
	return source.SeverityWarning
}

// alertURL is the alert in Alertmanager's UI, filtered by its labels.
func (c *Client) alertURL(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return c.base + "/#/alerts?silenced=true&inhibited=true&filter=" + url.QueryEscape("{"+strings.Join(parts, ",")+"}")
}
