package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

func TestSendAlertEventPostsTheEventAndReturnsPagerDutysAnswer(t *testing.T) {
	var got map[string]any
	var header http.Header
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
			t.Errorf("request %s %s, want POST /v2/enqueue", r.Method, r.URL.Path)
		}
		header = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": "srv01/disk"})
	}))
	res, err := c.SendAlertEvent(context.Background(), AlertEvent{
		RoutingKey: "R0UT1NGKEY0000000000000000000000", EventAction: "trigger", DedupKey: "srv01/disk",
		Payload: &AlertPayload{Summary: "Disk full", Source: "srv01", Severity: "error", CustomDetails: map[string]any{"free": 0}},
		Links:   []Link{{Href: "https://runbooks.example.com/disk"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *res != (EventResult{Status: "success", Message: "Event processed", DedupKey: "srv01/disk"}) {
		t.Errorf("result %+v", res)
	}
	want := map[string]any{
		"routing_key": "R0UT1NGKEY0000000000000000000000", "event_action": "trigger", "dedup_key": "srv01/disk",
		"payload": map[string]any{"summary": "Disk full", "source": "srv01", "severity": "error", "custom_details": map[string]any{"free": float64(0)}},
		"links":   []any{map[string]any{"href": "https://runbooks.example.com/disk"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body sent:\n%v\nwant:\n%v", got, want)
	}
	if header.Get("Authorization") != "" {
		t.Errorf("the REST token was sent to the Events API: Authorization = %q", header.Get("Authorization"))
	}
	if header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", header.Get("Content-Type"))
	}
}

func TestAcknowledgeCarriesNoPayload(t *testing.T) {
	var got map[string]any
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "dedup_key": "k"})
	}))
	if _, err := c.SendAlertEvent(context.Background(), AlertEvent{RoutingKey: "r", EventAction: "acknowledge", DedupKey: "k"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["payload"]; ok || len(got) != 3 {
		t.Errorf("acknowledge sent %v, want only routing_key, event_action and dedup_key", got)
	}
}

func TestSendChangeEventPostsToTheChangeRoute(t *testing.T) {
	var path string
	var got map[string]any
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		_ = json.NewDecoder(r.Body).Decode(&got)
		writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Change event processed"})
	}))
	res, err := c.SendChangeEvent(context.Background(), ChangeEvent{RoutingKey: "r", Payload: ChangePayload{Summary: "Deployed v2", Source: "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	if path != "/v2/change/enqueue" || res.Status != "success" || res.Message != "Change event processed" {
		t.Errorf("path %s, result %+v", path, res)
	}
	if p, _ := got["payload"].(map[string]any); p["summary"] != "Deployed v2" || p["source"] != "ci" {
		t.Errorf("body %v", got)
	}
	if c.ChangeEnqueueURL() != c.EventsURL()+"/v2/change/enqueue" {
		t.Errorf("ChangeEnqueueURL = %s", c.ChangeEnqueueURL())
	}
}

func TestRejectedEventCarriesTheEventsErrorBody(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": "invalid event", "message": "Event object is invalid",
			"errors": []string{"Length of 'routing_key' is incorrect (should be 32 characters)"}})
	}))
	_, err := c.SendAlertEvent(context.Background(), AlertEvent{RoutingKey: "short", EventAction: "trigger"})
	var e *EventsError
	if !errors.As(err, &e) {
		t.Fatalf("want *EventsError, got %T %v", err, err)
	}
	want := EventsError{HTTPStatus: 400, Status: "invalid event", Message: "Event object is invalid", Errors: []string{"Length of 'routing_key' is incorrect (should be 32 characters)"}}
	if !reflect.DeepEqual(*e, want) {
		t.Errorf("error %+v, want %+v", *e, want)
	}
	if !IsEventRejected(err) || calls.Load() != 1 {
		t.Errorf("a 400 must not be retried: %d calls, rejected=%v", calls.Load(), IsEventRejected(err))
	}
	if got := err.Error(); got != "sending trigger event: PagerDuty Events API answered 400 (invalid event): Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)" {
		t.Errorf("message %q", got)
	}
}

func TestThrottledEventIsRetriedAfterTheReset(t *testing.T) {
	var calls atomic.Int32
	var first, second time.Time
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Ratelimit-Reset", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"status": "throttle event", "message": "Requests for this service are arriving too quickly.  Please retry later."})
			return
		}
		second = time.Now()
		writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "dedup_key": "k"})
	}))
	res, err := c.SendAlertEvent(context.Background(), AlertEvent{RoutingKey: "r", EventAction: "resolve", DedupKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if res.DedupKey != "k" || calls.Load() != 2 {
		t.Fatalf("result %+v after %d calls", res, calls.Load())
	}
	if waited := second.Sub(first); waited < time.Second {
		t.Errorf("retried after %v, before the announced 1s reset", waited)
	}
}

func TestServerErrorsOutlastingRetriesKeepTheEventsBody(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"status": "Unrecognized object", "message": "Event object format is unrecognized", "errors": []string{"JSON parse error"}})
	}))
	_, err := c.SendAlertEvent(context.Background(), AlertEvent{RoutingKey: "r", EventAction: "trigger", DedupKey: "k"})
	var e *EventsError
	if !errors.As(err, &e) || e.HTTPStatus != 500 || e.Status != "Unrecognized object" || len(e.Errors) != 1 {
		t.Fatalf("want the 500's Events body, got %v", err)
	}
	if got := calls.Load(); got != 4 { // first attempt + fastRetry.MaxRetries
		t.Errorf("made %d attempts, want 4", got)
	}
	if IsEventRejected(err) {
		t.Error("a 500 is not a rejected event")
	}
}

func TestNonJSONErrorFallsBackToTheStatusText(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))
	_, err := c.SendAlertEvent(context.Background(), AlertEvent{RoutingKey: "r", EventAction: "trigger"})
	var e *EventsError
	if !errors.As(err, &e) || e.HTTPStatus != 403 || e.Message != "Forbidden" {
		t.Fatalf("got %v", err)
	}
}

func TestCancellationStopsAnEventBeingRetried(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Ratelimit-Reset", "30")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"status": "throttle event"})
	}))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.SendAlertEvent(ctx, AlertEvent{RoutingKey: "r", EventAction: "trigger"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

func TestDefaultEventsURL(t *testing.T) {
	for region, want := range map[string]string{"": "https://events.pagerduty.com", "us": "https://events.pagerduty.com", "eu": "https://events.eu.pagerduty.com"} {
		if got, err := DefaultEventsURL(region); err != nil || got != want {
			t.Errorf("DefaultEventsURL(%q) = %q, %v; want %q", region, got, err, want)
		}
	}
	if _, err := DefaultEventsURL("apac"); err == nil {
		t.Error("DefaultEventsURL accepted an unknown region")
	}
}

// Events PagerDuty cannot de-duplicate are not resent after a 5xx: it may
// have acted on the first one.
func TestEventsWithoutDedupKeyAreNotResentAfterServerErrors(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusBadGateway, map[string]any{"status": "error", "message": "bad gateway"})
	}))
	ctx := context.Background()
	if _, err := c.SendChangeEvent(ctx, ChangeEvent{RoutingKey: "r", Payload: ChangePayload{Summary: "s"}}); err == nil {
		t.Fatal("want the 502")
	}
	if _, err := c.SendAlertEvent(ctx, AlertEvent{RoutingKey: "r", EventAction: "trigger", Payload: &AlertPayload{Summary: "s", Source: "h", Severity: "info"}}); err == nil {
		t.Fatal("want the 502")
	}
	if got := calls.Load(); got != 2 {
		t.Fatalf("made %d attempts for two events, want 2 (no resend)", got)
	}
}
