package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// fastRetry keeps backoff short so tests measure behaviour, not sleeps.
var fastRetry = httpretry.Policy{MaxRetries: 3, MinWait: 5 * time.Millisecond, MaxWait: 20 * time.Millisecond, MaxRateLimitWait: 5 * time.Second}

func newTestClient(t *testing.T, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{Token: "tok", UserEmail: "bridge@example.com", APIURL: srv.URL, EventsURL: srv.URL, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestRetriesRateLimitHonouringReset(t *testing.T) {
	var calls atomic.Int32
	var firstAt, secondAt time.Time
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			firstAt = time.Now()
			w.Header().Set("Ratelimit-Reset", "1")
			writeJSON(w, 429, map[string]any{"error": map[string]any{"code": 2020, "message": "Rate Limit Exceeded"}})
		default:
			secondAt = time.Now()
			writeJSON(w, 200, map[string]any{"service": map[string]any{"id": "PSVC1", "name": "web", "status": "active"}})
		}
	}))
	s, err := c.GetService(context.Background(), "PSVC1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "web" || calls.Load() != 2 {
		t.Fatalf("got %+v after %d calls", s, calls.Load())
	}
	// The client waited for the announced reset, not its own (20ms) backoff.
	if waited := secondAt.Sub(firstAt); waited < time.Second {
		t.Fatalf("retried after %v, before the 1s rate-limit reset", waited)
	}
}

func TestRetriesServerErrorsThenGivesUpWithPagerDutysError(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 503, map[string]any{"error": map[string]any{"code": 2000, "message": "Service Unavailable"}})
	}))
	_, err := c.GetService(context.Background(), "PSVC1")
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || e.Message != "Service Unavailable" {
		t.Fatalf("want PagerDuty's 503 error, got %v", err)
	}
	if got := calls.Load(); got != 4 { // first attempt + MaxRetries
		t.Fatalf("made %d attempts, want 4", got)
	}
}

func TestRecoversFromOneServerError(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			writeJSON(w, 500, map[string]any{"error": map[string]any{"message": "boom"}})
			return
		}
		writeJSON(w, 200, map[string]any{"service": map[string]any{"id": "PSVC1", "name": "web"}})
	}))
	if _, err := c.GetService(context.Background(), "PSVC1"); err != nil {
		t.Fatal(err)
	}
}

func TestDoesNotRetryClientErrors(t *testing.T) {
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 404, map[string]any{"error": map[string]any{"code": 2100, "message": "Not Found"}})
	}))
	_, err := c.GetService(context.Background(), "PNOPE")
	if !IsNotFound(err) || calls.Load() != 1 {
		t.Fatalf("want one attempt and a not-found error, got %d attempts, %v", calls.Load(), err)
	}
}

func TestCancellationStopsTheRetryWait(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Ratelimit-Reset", "30")
		writeJSON(w, 429, map[string]any{"error": map[string]any{"code": 2020, "message": "Rate Limit Exceeded"}})
	}))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.GetService(ctx, "PSVC1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancellation took %v: the 30s reset wait was not interrupted", d)
	}
}

func TestWritesCarryFromHeader(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Method] = r.Header.Get("From")
		mu.Unlock()
		if r.Header.Get("Authorization") != "Token token=tok" {
			t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		switch r.Method {
		case "PUT":
			writeJSON(w, 200, map[string]any{"integration": map[string]any{"id": "PINT1", "name": "renamed"}})
		default:
			writeJSON(w, 200, map[string]any{"integration": map[string]any{"id": "PINT1", "name": "x"}})
		}
	}))
	ctx := context.Background()
	if _, err := c.GetIntegration(ctx, "PSVC1", "PINT1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RenameIntegration(ctx, "PSVC1", "PINT1", "renamed"); err != nil {
		t.Fatal(err)
	}
	if got["PUT"] != "bridge@example.com" || got["GET"] != "" {
		t.Fatalf("From headers: %v", got)
	}
}

func TestRenameIntegrationSendsWrappedBody(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet { // the type to send back is read first
			writeJSON(w, 200, map[string]any{"integration": map[string]any{"id": "PINT1", "name": "old name", "type": "generic_events_api_inbound_integration"}})
			return
		}
		var body map[string]map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["integration"]["name"] != "new name" ||
			body["integration"]["type"] != "generic_events_api_inbound_integration" {
			writeJSON(w, 400, map[string]any{"error": map[string]any{"code": 2001, "message": "Invalid Input Provided", "errors": []string{fmt.Sprint(body)}}})
			return
		}
		writeJSON(w, 200, map[string]any{"integration": map[string]any{"id": "PINT1", "name": "new name"}})
	}))
	i, err := c.RenameIntegration(context.Background(), "PSVC1", "PINT1", "new name")
	if err != nil || i.Name != "new name" {
		t.Fatalf("%+v %v", i, err)
	}
}

func TestBulkUpdatesAreBatchedBy250(t *testing.T) {
	var sizes []int
	var mu sync.Mutex
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Incidents []map[string]any `json:"incidents"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		sizes = append(sizes, len(body.Incidents))
		mu.Unlock()
		if len(body.Incidents) > MaxBulkIncidents {
			writeJSON(w, 413, map[string]any{"error": map[string]any{"message": "too many"}})
			return
		}
		writeJSON(w, 200, map[string]any{"incidents": body.Incidents})
	}))
	updates := make([]IncidentUpdate, 601)
	for i := range updates {
		updates[i] = IncidentUpdate{ID: "P" + strconv.Itoa(i), Status: "resolved"}
	}
	n, err := c.UpdateIncidents(context.Background(), updates)
	if err != nil || n != 601 {
		t.Fatalf("applied %d, %v", n, err)
	}
	if fmt.Sprint(sizes) != "[250 250 101]" {
		t.Fatalf("batch sizes %v", sizes)
	}
}

func TestListIncidentsFollowsPages(t *testing.T) {
	const total = 230
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var page []map[string]any
		for i := offset; i < min(offset+limit, total); i++ {
			page = append(page, map[string]any{"id": fmt.Sprintf("P%03d", i), "status": "triggered"})
		}
		writeJSON(w, 200, map[string]any{"incidents": page, "limit": limit, "offset": offset, "more": offset+limit < total})
	}))
	got, err := c.ListIncidents(context.Background(), IncidentFilter{Statuses: []string{"triggered"}})
	if err != nil || len(got) != total || got[total-1].ID != "P229" {
		t.Fatalf("got %d incidents, %v", len(got), err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Token: "t", UserEmail: "not-an-email"},
		{Token: "t", Region: "apac"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	c, err := New(Config{Token: "t", Region: "eu"})
	if err != nil || c.APIURL() != "https://api.eu.pagerduty.com" || c.EnqueueURL() != "https://events.eu.pagerduty.com/v2/enqueue" {
		t.Fatalf("eu endpoints: %v %v", c, err)
	}
}

func TestEventsNeedNoTokenAndCarryNoFrom(t *testing.T) {
	var headers http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers = r.Header.Clone()
		writeJSON(w, 202, map[string]any{"status": "success", "message": "Event processed", "dedup_key": "k1"})
	}))
	defer srv.Close()
	c, err := New(Config{UserEmail: "bridge@example.com", APIURL: srv.URL, EventsURL: srv.URL, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if c.HasToken() {
		t.Fatal("a client built without a token claims one")
	}
	res, err := c.SendAlertEvent(context.Background(), AlertEvent{RoutingKey: strings.Repeat("a", 32), EventAction: "resolve", DedupKey: "k1"})
	if err != nil || res.DedupKey != "k1" {
		t.Fatalf("%+v %v", res, err)
	}
	if headers.Get("Authorization") != "" || headers.Get("From") != "" || !strings.HasPrefix(headers.Get("User-Agent"), "terraform-provider-pdbridge") {
		t.Fatalf("event headers: %v", headers)
	}
}
