package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// The Events API v2 is written by hand rather than through go-pagerduty
// v1.8.0: its client methods decode Events errors through the REST error path
// ({"error": {...}}), so PagerDuty's own reason for refusing an event
// ({"status", "message", "errors"}) would be lost.

// AlertEvent is an Events API v2 alert event (trigger, acknowledge or resolve).
type AlertEvent struct {
	RoutingKey  string        `json:"routing_key"`
	EventAction string        `json:"event_action"`
	DedupKey    string        `json:"dedup_key,omitempty"`
	Payload     *AlertPayload `json:"payload,omitempty"` // trigger only
	Client      string        `json:"client,omitempty"`
	ClientURL   string        `json:"client_url,omitempty"`
	Links       []Link        `json:"links,omitempty"`
	Images      []Image       `json:"images,omitempty"`
}

// AlertPayload is the payload of a trigger event.
type AlertPayload struct {
	Summary       string `json:"summary"`
	Source        string `json:"source"`
	Severity      string `json:"severity"`
	Timestamp     string `json:"timestamp,omitempty"`
	Component     string `json:"component,omitempty"`
	Group         string `json:"group,omitempty"`
	Class         string `json:"class,omitempty"`
	CustomDetails any    `json:"custom_details,omitempty"`
}

// ChangeEvent is an Events API v2 change event: it opens no incident and
// shows on the service's timeline.
type ChangeEvent struct {
	RoutingKey string        `json:"routing_key"`
	Payload    ChangePayload `json:"payload"`
	Links      []Link        `json:"links,omitempty"`
	Images     []Image       `json:"images,omitempty"`
}

// ChangePayload is the payload of a change event.
type ChangePayload struct {
	Summary       string `json:"summary"`
	Source        string `json:"source,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"`
	CustomDetails any    `json:"custom_details,omitempty"`
}

// Link is a link attached to an event.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Image is an image attached to an event.
type Image struct {
	Src  string `json:"src"`
	Href string `json:"href,omitempty"`
	Alt  string `json:"alt,omitempty"`
}

// EventResult is PagerDuty's answer to an accepted event.
type EventResult struct {
	Status   string `json:"status"`
	Message  string `json:"message"`
	DedupKey string `json:"dedup_key"` // alert events only
}

// EventsError is an event PagerDuty did not accept, with the Events API's
// own error body (which is not the REST API's {"error": {...}} envelope).
type EventsError struct {
	HTTPStatus int
	Status     string // e.g. "invalid event", "throttle event"
	Message    string
	Errors     []string
}

func (e *EventsError) Error() string {
	msg := fmt.Sprintf("PagerDuty Events API answered %d", e.HTTPStatus)
	if e.Status != "" {
		msg += " (" + e.Status + ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if len(e.Errors) > 0 {
		msg += ": " + strings.Join(e.Errors, "; ")
	}
	return msg
}

// ChangeEnqueueURL is where Events API v2 change events go.
func (c *Client) ChangeEnqueueURL() string { return c.eventsURL + "/v2/change/enqueue" }

// DefaultEventsURL is the Events API host root of a service region ("" is
// "us"), the one a client uses when it is given no events URL.
func DefaultEventsURL(region string) (string, error) {
	ends, err := regionEndpoints(region)
	return ends.Events, err
}

// SendAlertEvent posts an alert event. 429 and 5xx answers are retried by
// the client's policy (a 429 after PagerDuty's announced reset), except that
// a trigger without a dedup key is retried only on 429: PagerDuty may have
// opened an incident before a 5xx, and a resend would open a second one.
func (c *Client) SendAlertEvent(ctx context.Context, ev AlertEvent) (*EventResult, error) {
	if ev.EventAction == "trigger" && ev.DedupKey == "" {
		ctx = httpretry.NotIdempotent(ctx)
	}
	return c.postEvent(ctx, "sending "+ev.EventAction+" event", c.EnqueueURL(), ev)
}

// SendChangeEvent posts a change event. Change events have no dedup key, so
// only a 429 (nothing recorded) is retried: a resend after a 5xx could put
// the change on the timeline twice.
func (c *Client) SendChangeEvent(ctx context.Context, ev ChangeEvent) (*EventResult, error) {
	return c.postEvent(httpretry.NotIdempotent(ctx), "sending change event", c.ChangeEnqueueURL(), ev)
}

func (c *Client) postEvent(ctx context.Context, op, target string, ev any) (*EventResult, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// No Authorization header: the routing key in the body is the only
	// credential the Events API takes, and the REST token must not travel there.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.events.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading response: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s: %w", op, decodeEventsError(resp.StatusCode, data))
	}
	var out EventResult
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			return nil, fmt.Errorf("%s: decoding response: %w", op, err)
		}
	}
	return &out, nil
}

func decodeEventsError(status int, data []byte) *EventsError {
	var body struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	e := &EventsError{HTTPStatus: status}
	if json.Unmarshal(data, &body) == nil && (body.Status != "" || body.Message != "" || len(body.Errors) > 0) {
		e.Status, e.Message, e.Errors = body.Status, body.Message, body.Errors
	} else {
		e.Message = http.StatusText(status)
	}
	return e
}

// IsEventRejected reports whether err is PagerDuty refusing the event itself
// (a 400: fix the event, do not retry).
func IsEventRejected(err error) bool {
	var e *EventsError
	return errors.As(err, &e) && e.HTTPStatus == http.StatusBadRequest
}
