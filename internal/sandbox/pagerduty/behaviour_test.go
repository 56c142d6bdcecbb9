package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
)

// env is a sandbox behind an httptest server with both kinds of client.
type env struct {
	t      *testing.T
	s      *Server
	url    string
	raw    rawClient
	client *pd.Client
	clock  *clock.Fake
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := New(Options{Now: clk.Now, Users: []User{{Name: fromName, Email: from}}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &env{t: t, s: s, url: srv.URL, clock: clk,
		raw:    rawClient{t: t, base: srv.URL, http: &http.Client{Timeout: 10 * time.Second}},
		client: pd.NewClient("any-token", pd.WithAPIEndpoint(srv.URL), pd.WithV2EventsAPIEndpoint(srv.URL))}
}

// from is a user of every test account (Options.Users): PagerDuty refuses
// a From header that names no user.
const (
	from     = "sync-bot@example.com"
	fromName = "Sync Bot"
)

// service creates a service with an Events API v2 integration and returns
// the service ID and the integration key.
func (e *env) service(name string) (id, key string) {
	e.t.Helper()
	out := e.raw.want(201, "POST", "/services", map[string]any{"service": map[string]any{"name": name, "type": "service",
		"escalation_policy": map[string]any{"id": e.s.DefaultEscalationPolicyID(), "type": "escalation_policy_reference"}}}, nil)
	id = str(obj(out, "service"), "id")
	in := e.raw.want(201, "POST", "/services/"+id+"/integrations", map[string]any{"integration": map[string]any{
		"type": "events_api_v2_inbound_integration", "name": "events"}}, nil)
	return id, str(obj(in, "integration"), "integration_key")
}

// event posts an alert event and returns the status and body.
func (e *env) event(body map[string]any) (int, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.url+"/v2/enqueue", "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *env) send(key, action, dedup string) {
	e.t.Helper()
	ev := map[string]any{"routing_key": key, "event_action": action, "dedup_key": dedup}
	if action == "trigger" {
		ev["payload"] = map[string]any{"summary": "problem " + dedup, "source": "host-1", "severity": "critical"}
	}
	if code, out := e.event(ev); code != 202 || out["status"] != "success" {
		e.t.Fatalf("%s %s = %d %v, want 202 success", action, dedup, code, out)
	}
}

func (e *env) incidents(query string) []any {
	e.t.Helper()
	out := e.raw.want(200, "GET", "/incidents?date_range=all&limit=100&"+query, nil, nil)
	list, _ := out["incidents"].([]any)
	return list
}

// as returns a decoded JSON value as a T, failing the test if it is not one.
func as[T any](t *testing.T, v any) T {
	t.Helper()
	x, ok := v.(T)
	if !ok {
		t.Fatalf("got %T %v, want a %T", v, v, x)
	}
	return x
}

func (e *env) serviceStatus(id string) string {
	e.t.Helper()
	return str(obj(e.raw.want(200, "GET", "/services/"+id, nil, nil), "service"), "status")
}

func errorCode(out map[string]any) int {
	code, _ := obj(out, "error")["code"].(float64)
	return int(code)
}

func TestEventsDedupSemantics(t *testing.T) {
	e := newEnv(t)
	svc, key := e.service("web")

	e.send(key, "trigger", "k1")
	e.send(key, "trigger", "k1") // de-duplicated into the same incident
	incs := e.incidents("incident_key=k1")
	if len(incs) != 1 {
		t.Fatalf("two triggers with one dedup_key made %d incidents, want 1", len(incs))
	}
	inc := as[map[string]any](t, incs[0])
	// One alert: the repeat trigger updated it. An event-created incident
	// has no incident_key; its alert carries the dedup key.
	if inc["title"] != "problem k1" || inc["incident_key"] != nil || obj(inc, "alert_counts")["all"] != 1.0 {
		t.Errorf("incident = title %v key %v alerts %v, want the summary, a null incident_key and 1 alert", inc["title"], inc["incident_key"], inc["alert_counts"])
	}
	if got := e.serviceStatus(svc); got != "critical" {
		t.Errorf("service status with a triggered incident = %q, want critical", got)
	}

	e.send(key, "acknowledge", "k1")
	e.send(key, "acknowledge", "k1") // already acknowledged: nothing to do, still 202
	if got := as[map[string]any](t, e.incidents("incident_key=k1")[0])["status"]; got != "acknowledged" {
		t.Errorf("status after acknowledge = %v", got)
	}
	if got := e.serviceStatus(svc); got != "warning" {
		t.Errorf("service status with an acknowledged incident = %q, want warning", got)
	}

	e.send(key, "resolve", "k1")
	e.send(key, "resolve", "k1")       // nothing open: dropped
	e.send(key, "acknowledge", "none") // never existed: dropped
	if got := e.serviceStatus(svc); got != "active" {
		t.Errorf("service status with no open incident = %q, want active", got)
	}
	e.send(key, "trigger", "k1") // after resolve: a new incident
	incs = e.incidents("incident_key=k1&sort_by=incident_number")
	if len(incs) != 2 || as[map[string]any](t, incs[0])["status"] != "resolved" || as[map[string]any](t, incs[1])["status"] != "triggered" {
		t.Fatalf("after resolve, trigger gave %d incidents %v; want the resolved one and a new triggered one", len(incs), incs)
	}
	if len(e.incidents("")) != 2 {
		t.Errorf("acknowledge/resolve for unknown keys created incidents")
	}

	// A trigger without dedup_key gets a generated one, returned in the response.
	code, out := e.event(map[string]any{"routing_key": key, "event_action": "trigger",
		"payload": map[string]any{"summary": "no key", "source": "h", "severity": "info"}})
	if code != 202 || len(str(out, "dedup_key")) == 0 || out["message"] != "Event processed" {
		t.Fatalf("trigger without dedup_key = %d %v", code, out)
	}
	if len(e.incidents("incident_key="+str(out, "dedup_key"))) != 1 {
		t.Errorf("the generated dedup_key does not find its incident")
	}
	outcomes := map[string]int{}
	for _, r := range e.s.Events() {
		outcomes[r.Outcome]++
	}
	want := map[string]int{OutcomeTriggered: 3, OutcomeDeduplicated: 1, OutcomeAcknowledged: 1, OutcomeResolved: 1, OutcomeIgnored: 3}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("event outcomes = %v, want %v", outcomes, want)
	}
}

func TestSuppressionInMaintenanceAndDisabled(t *testing.T) {
	e := newEnv(t)
	svc, key := e.service("db")
	now := e.clock.Now()
	e.raw.want(201, "POST", "/maintenance_windows", map[string]any{"maintenance_window": map[string]any{"type": "maintenance_window",
		"start_time": now.Add(-time.Hour).Format(time.RFC3339), "end_time": now.Add(time.Hour).Format(time.RFC3339),
		"services": []any{map[string]any{"id": svc, "type": "service_reference"}}}}, hdr{"From": from})
	if got := e.serviceStatus(svc); got != "maintenance" {
		t.Errorf("status during maintenance = %q", got)
	}
	e.send(key, "trigger", "m1")
	if n := len(e.incidents("")); n != 0 {
		t.Fatalf("trigger during maintenance created %d incidents", n)
	}

	e.clock.Advance(2 * time.Hour) // the window ends
	if got := e.serviceStatus(svc); got != "active" {
		t.Errorf("status after the window = %q", got)
	}
	e.send(key, "trigger", "m1")
	if n := len(e.incidents("")); n != 1 {
		t.Fatalf("trigger after maintenance created %d incidents, want 1", n)
	}

	ep := map[string]any{"id": e.s.DefaultEscalationPolicyID(), "type": "escalation_policy_reference"}
	e.raw.want(200, "PUT", "/services/"+svc, map[string]any{"service": map[string]any{"type": "service", "escalation_policy": ep, "status": "disabled"}}, nil)
	if got := e.serviceStatus(svc); got != "disabled" {
		t.Errorf("status after disabling = %q (disabled wins over critical)", got)
	}
	e.send(key, "trigger", "d1")
	if n := len(e.incidents("")); n != 1 {
		t.Errorf("trigger on a disabled service created an incident (%d total)", n)
	}
	e.raw.want(200, "PUT", "/services/"+svc, map[string]any{"service": map[string]any{"type": "service", "escalation_policy": ep, "status": "active"}}, nil)
	if got := e.serviceStatus(svc); got != "critical" {
		t.Errorf("status after re-enabling with an open incident = %q, want critical", got)
	}
	var suppressed []string
	for _, r := range e.s.Events() {
		if strings.HasPrefix(r.Outcome, "suppressed") {
			suppressed = append(suppressed, r.Outcome)
		}
	}
	if fmt.Sprint(suppressed) != "[suppressed_maintenance suppressed_disabled]" {
		t.Errorf("suppressed outcomes = %v", suppressed)
	}
}

func TestServiceStatusRules(t *testing.T) {
	e := newEnv(t)
	ep := map[string]any{"id": e.s.DefaultEscalationPolicyID(), "type": "escalation_policy_reference"}
	for _, status := range []string{"disabled", "critical", "paused"} {
		code, out := e.raw.do("POST", "/services", map[string]any{"service": map[string]any{"name": "s-" + status, "type": "service",
			"escalation_policy": ep, "status": status}}, nil)
		if code != 400 {
			t.Errorf("create with status %q = %d %v, want 400", status, code, out)
		}
	}
	out := e.raw.want(201, "POST", "/services", map[string]any{"service": map[string]any{"name": "ok", "type": "service", "escalation_policy": ep, "status": "active"}}, nil)
	id := str(obj(out, "service"), "id")
	e.raw.want(400, "POST", "/services", map[string]any{"service": map[string]any{"name": "OK", "type": "service", "escalation_policy": ep}}, nil)
	e.raw.want(400, "POST", "/services", map[string]any{"service": map[string]any{"name": "no-ep", "type": "service",
		"escalation_policy": map[string]any{"id": "PNOPE", "type": "escalation_policy_reference"}}}, nil)
	// PUT needs type and escalation_policy (the spec's allOf).
	e.raw.want(400, "PUT", "/services/"+id, map[string]any{"service": map[string]any{"status": "disabled"}}, nil)
	e.raw.want(400, "PUT", "/services/"+id, map[string]any{"service": map[string]any{"type": "service", "status": "disabled"}}, nil)
	e.raw.want(400, "PUT", "/services/"+id, map[string]any{"service": map[string]any{"type": "service", "escalation_policy": ep, "status": "paused"}}, nil)
	// A derived status sent back in a read-modify-write is ignored.
	e.raw.want(200, "PUT", "/services/"+id, map[string]any{"service": map[string]any{"type": "service", "escalation_policy": ep, "status": "critical"}}, nil)
	if got := e.serviceStatus(id); got != "active" {
		t.Errorf("status after PUT critical = %q, want active", got)
	}
	// Timeouts: null disables them, and null is what PagerDuty shows.
	out = e.raw.want(200, "PUT", "/services/"+id, map[string]any{"service": map[string]any{"type": "service", "escalation_policy": ep,
		"acknowledgement_timeout": nil, "auto_resolve_timeout": 600}}, nil)
	if s := obj(out, "service"); s["acknowledgement_timeout"] != nil || s["auto_resolve_timeout"] != 600.0 {
		t.Errorf("timeouts = %v / %v, want null / 600", s["acknowledgement_timeout"], s["auto_resolve_timeout"])
	}
	e.raw.want(204, "DELETE", "/services/"+id, nil, nil)
	e.raw.want(404, "GET", "/services/"+id, nil, nil)
}

func TestPaginationIsExact(t *testing.T) {
	e := newEnv(t)
	_, key := e.service("pager")
	for i := range 7 {
		e.send(key, "trigger", fmt.Sprintf("p%d", i))
	}
	var seen []string
	for _, tc := range []struct {
		offset, n int
		more      bool
	}{{0, 3, true}, {3, 3, true}, {6, 1, false}, {9, 0, false}} {
		out := e.raw.want(200, "GET", fmt.Sprintf("/incidents?limit=3&offset=%d", tc.offset), nil, nil)
		list, _ := out["incidents"].([]any)
		if len(list) != tc.n || out["more"] != tc.more || out["limit"] != 3.0 || out["offset"] != float64(tc.offset) || out["total"] != nil {
			t.Errorf("offset %d: %d items, more=%v limit=%v offset=%v total=%v; want %d items, more=%v, total null",
				tc.offset, len(list), out["more"], out["limit"], out["offset"], out["total"], tc.n, tc.more)
		}
		for _, inc := range list {
			seen = append(seen, strings.TrimPrefix(str(as[map[string]any](t, inc), "title"), "problem "))
		}
	}
	if fmt.Sprint(seen) != "[p0 p1 p2 p3 p4 p5 p6]" {
		t.Errorf("pages gave %v, want every incident once in order", seen)
	}
	out := e.raw.want(200, "GET", "/incidents?limit=500&total=true", nil, nil)
	if out["limit"] != 100.0 || out["total"] != 7.0 || out["more"] != false {
		t.Errorf("limit=500&total=true echoed limit=%v total=%v more=%v, want the capped 100, 7, false", out["limit"], out["total"], out["more"])
	}
	// go-pagerduty's own pager follows more/offset to the end.
	var keys []string
	resp, err := e.client.ListIncidentsWithContext(context.Background(), pd.ListIncidentsOptions{Limit: 2, Offset: 6})
	if err != nil || len(resp.Incidents) != 1 || resp.More {
		t.Fatalf("last page via go-pagerduty = %+v, %v", resp, err)
	}
	for off := uint(0); off < 20; off += 2 {
		r, err := e.client.ListIncidentsWithContext(context.Background(), pd.ListIncidentsOptions{Limit: 2, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range r.Incidents {
			keys = append(keys, inc.ID)
		}
		if !r.More {
			break
		}
	}
	if len(keys) != 7 {
		t.Errorf("paging with go-pagerduty saw %d incidents, want 7", len(keys))
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t)
	_, key := e.service("limits")
	e.send(key, "trigger", "l1")
	id := str(as[map[string]any](t, e.incidents("")[0]), "id")

	items := make([]any, 251)
	for i := range items {
		items[i] = map[string]any{"id": id, "type": "incident_reference", "status": "acknowledged"}
	}
	if code, out := e.raw.do("PUT", "/incidents", map[string]any{"incidents": items}, hdr{"From": from}); code != 413 {
		t.Errorf("PUT /incidents with 251 items = %d %v, want 413", code, out)
	}
	if code, _ := e.raw.do("PUT", "/incidents", map[string]any{"incidents": items[:1]}, hdr{"From": from}); code != 200 {
		t.Errorf("PUT /incidents with 1 item = %d, want 200", code)
	}
	for _, q := range []string{"offset=9901&limit=100", "offset=10000", "limit=-1", "offset=x"} {
		if code, out := e.raw.do("GET", "/incidents?"+q, nil, nil); code != 400 || errorCode(out) != 2001 {
			t.Errorf("GET /incidents?%s = %d %v, want 400 code 2001", q, code, out)
		}
	}
	e.raw.want(200, "GET", "/incidents?offset=9900&limit=100", nil, nil)
	e.raw.want(200, "GET", "/log_entries?offset=9975", nil, nil) // default limit 25: exactly 10000
}

func TestEventsValidation(t *testing.T) {
	e := newEnv(t)
	_, key := e.service("events")
	orch := e.raw.want(201, "POST", "/event_orchestrations", map[string]any{"orchestration": map[string]any{"name": "o"}}, nil)
	payload := map[string]any{"summary": "s", "source": "h", "severity": "error"}
	cases := []struct {
		name string
		ev   map[string]any
		want string
	}{
		{"short key", map[string]any{"routing_key": key[:31], "event_action": "trigger", "payload": payload}, "Length of 'routing_key' is incorrect (should be 32 characters)"},
		{"symbols in key", map[string]any{"routing_key": key[:31] + "-", "event_action": "trigger", "payload": payload}, "'routing_key' cannot contain non-alphanumeric characters."},
		{"no key", map[string]any{"event_action": "trigger", "payload": payload}, "'routing_key' is missing or blank"},
		{"unknown key", map[string]any{"routing_key": strings.Repeat("a", 32), "event_action": "trigger", "payload": payload}, "Invalid routing key"},
		{"bad action", map[string]any{"routing_key": key, "event_action": "escalate"}, "'event_action' is invalid"},
		{"long dedup", map[string]any{"routing_key": key, "event_action": "trigger", "dedup_key": strings.Repeat("d", 256), "payload": payload}, "Length of 'dedup_key' is incorrect"},
		{"resolve without dedup", map[string]any{"routing_key": key, "event_action": "resolve"}, "'dedup_key' is missing or blank"},
		{"no payload", map[string]any{"routing_key": key, "event_action": "trigger"}, "'payload' is missing or blank"},
		{"long summary", map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": strings.Repeat("s", 1025), "source": "h", "severity": "info"}}, "Length of 'payload.summary' is incorrect (should be 1024 characters or less)"},
		{"bad severity", map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": "s", "source": "h", "severity": "fatal"}}, "'payload.severity' is invalid"},
		{"no source", map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": "s", "severity": "info"}}, "'payload.source' is missing or blank"},
		{"bad timestamp", map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": "s", "source": "h", "severity": "info", "timestamp": "noon"}}, "'payload.timestamp' is invalid"},
		{"too large", map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": "s", "source": "h", "severity": "info",
			"custom_details": map[string]any{"blob": strings.Repeat("x", 513*1024)}}}, "Event object is too large"},
	}
	for _, tc := range cases {
		code, out := e.event(tc.ev)
		errs := fmt.Sprint(out["errors"])
		if code != 400 || out["status"] != "invalid event" || out["message"] != "Event object is invalid" || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: %d %v, want 400 invalid event with %q", tc.name, code, out, tc.want)
		}
	}
	resp, err := http.Post(e.url+"/v2/enqueue", "application/json", strings.NewReader("{not json"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "Event object format is unrecognized") {
		t.Errorf("malformed JSON = %d %s", resp.StatusCode, body)
	}
	// Limits are inclusive: a 255-character dedup key and a 1024-character summary are fine.
	if code, out := e.event(map[string]any{"routing_key": key, "event_action": "trigger", "dedup_key": strings.Repeat("d", 255),
		"payload": map[string]any{"summary": strings.Repeat("s", 1024), "source": "h", "severity": "warning"}}); code != 202 {
		t.Errorf("event at the limits = %d %v", code, out)
	}
	// An orchestration's routing key is as valid as a service integration's.
	orchKey := str(obj(as[map[string]any](t, as[[]any](t, obj(orch, "orchestration")["integrations"])[0]), "parameters"), "routing_key")
	if code, out := e.event(map[string]any{"routing_key": orchKey, "event_action": "trigger", "payload": payload}); code != 202 {
		t.Errorf("event to an orchestration routing key = %d %v", code, out)
	}
}

func TestAuthAcceptAndFrom(t *testing.T) {
	clk := clock.NewFake(time.Now())
	s := New(Options{Token: "right", Now: clk.Now})
	srv := httptest.NewServer(s)
	defer srv.Close()
	raw := rawClient{t: t, base: srv.URL, http: &http.Client{Timeout: 5 * time.Second}}
	call := func(h hdr) (int, map[string]any) {
		req, _ := http.NewRequest("GET", srv.URL+"/abilities", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := raw.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for name, h := range map[string]hdr{
		"no header": {}, "wrong token": {"Authorization": "Token token=wrong"}, "empty token": {"Authorization": "Token token="},
		"basic": {"Authorization": "Basic cmlnaHQ6"},
	} {
		if code, out := call(h); code != 401 || errorCode(out) != 2006 {
			t.Errorf("%s: %d %v, want 401 code 2006", name, code, out)
		}
	}
	for name, h := range map[string]hdr{
		"token":          {"Authorization": "Token token=right"},
		"bearer":         {"Authorization": "Bearer right"},
		"json accept":    {"Authorization": "Token token=right", "Accept": "application/json"},
		"versioned":      {"Authorization": "Token token=right", "Accept": "application/vnd.pagerduty+json;version=2"},
		"wildcard":       {"Authorization": "Token token=right", "Accept": "*/*"},
		"quoted version": {"Authorization": "Token token=right", "Accept": "application/vnd.pagerduty+json; version=2"},
	} {
		if code, _ := call(h); code != 200 {
			t.Errorf("%s: %d, want 200", name, code)
		}
	}
	if code, out := call(hdr{"Authorization": "Token token=right", "Accept": "application/vnd.pagerduty+json;version=1"}); code != 400 || errorCode(out) != 2001 {
		t.Errorf("Accept version=1: %d %v, want 400", code, out)
	}
	// go-pagerduty sees a 401 as an APIError.
	_, err := pd.NewClient("wrong", pd.WithAPIEndpoint(srv.URL)).ListAbilitiesWithContext(context.Background())
	var apiErr pd.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || !apiErr.APIError.Valid {
		t.Errorf("go-pagerduty with a wrong token: %v", err)
	}

	// From is required, and must be an email, on incident, note and window writes.
	raw2 := rawClient{t: t, base: srv.URL, http: raw.http}
	tokenHdr := func(h hdr) hdr { h["Authorization"] = "Token token=right"; return h }
	for _, path := range []string{"/incidents", "/maintenance_windows"} {
		code, out := raw2.do("POST", path, map[string]any{}, tokenHdr(hdr{}))
		if code != 400 || errorCode(out) != 2016 || !strings.Contains(fmt.Sprint(out), `"From" header`) {
			t.Errorf("POST %s without From = %d %v, want 400 code 2016", path, code, out)
		}
		code, out = raw2.do("POST", path, map[string]any{}, tokenHdr(hdr{"From": "not an email"}))
		if code != 400 || errorCode(out) != 1028 {
			t.Errorf("POST %s with a malformed From = %d %v, want 400 code 1028", path, code, out)
		}
	}
	if code, out := raw2.do("PUT", "/incidents", map[string]any{"incidents": []any{}}, tokenHdr(hdr{})); code != 400 || errorCode(out) != 2016 {
		t.Errorf("PUT /incidents without From = %d %v", code, out)
	}
	// Rate-limit headers are on every REST response.
	req, _ := http.NewRequest("GET", srv.URL+"/abilities", nil)
	req.Header.Set("Authorization", "Token token=right")
	resp, err := raw.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, h := range []string{"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
	if resp.Header.Get("ratelimit-limit") != "960" {
		t.Errorf("ratelimit-limit = %q, want 960", resp.Header.Get("ratelimit-limit"))
	}
}

func TestEnforcedRateLimit(t *testing.T) {
	clk := clock.NewFake(time.Now())
	s := New(Options{RateLimitPerMinute: 3, Now: clk.Now})
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := pd.NewClient("t", pd.WithAPIEndpoint(srv.URL))
	for i := range 3 {
		if _, err := client.ListAbilitiesWithContext(context.Background()); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	_, err := client.ListAbilitiesWithContext(context.Background())
	var apiErr pd.APIError
	if !errors.As(err, &apiErr) || !apiErr.RateLimited() || apiErr.APIError.ErrorObject.Code != 2020 {
		t.Fatalf("4th request in a minute = %v, want 429 code 2020", err)
	}
	clk.Advance(time.Minute)
	if _, err := client.ListAbilitiesWithContext(context.Background()); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestInjectedFaultsReachClients(t *testing.T) {
	e := newEnv(t)
	_, key := e.service("faults")
	e.s.Faults().Set(fault.Faults{RoutePrefix: "GET /incidents", RateLimit: 2, RateLimitReset: 7 * time.Second})
	for range 2 {
		req, _ := http.NewRequest("GET", e.url+"/incidents", nil)
		req.Header.Set("Authorization", "Token token=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("ratelimit-reset") != "7" || resp.Header.Get("ratelimit-remaining") != "0" ||
			errorCode(out) != 2020 || obj(out, "error")["message"] != "Rate Limit Exceeded" {
			t.Errorf("injected 429 = %d %v headers %v", resp.StatusCode, out, resp.Header)
		}
	}
	if _, err := e.client.ListIncidentsWithContext(context.Background(), pd.ListIncidentsOptions{}); err != nil {
		t.Errorf("after the two injected 429s: %v", err)
	}
	if got := e.s.Faults().Count("GET /incidents"); got != 3 {
		t.Errorf("request count for GET /incidents = %d, want 3", got)
	}

	// Events routes get the Events body shape.
	e.s.Faults().Set(fault.Faults{RoutePrefix: "POST /v2/", RateLimit: 1, ServerErrors: 0})
	code, out := e.event(map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": "s", "source": "h", "severity": "info"}})
	if code != 429 || out["status"] != "throttle event" {
		t.Errorf("injected Events 429 = %d %v", code, out)
	}
	e.s.Faults().Set(fault.Faults{RoutePrefix: "GET /services", ServerErrors: 1, ServerErrorStatus: 503})
	_, err := e.client.ListServicesWithContext(context.Background(), pd.ListServiceOptions{})
	var apiErr pd.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || !apiErr.Temporary() {
		t.Errorf("injected 503 = %v", err)
	}
	e.s.Faults().Clear()

	// The admin endpoint switches faults on and off over HTTP.
	resp, err := http.Post(e.url+"/_sandbox/faults", "application/json", strings.NewReader(`{"route_prefix":"GET /abilities","rate_limit":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := e.client.ListAbilitiesWithContext(context.Background()); !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Errorf("fault set over HTTP: %v", err)
	}
}

func TestMaintenanceWindows(t *testing.T) {
	e := newEnv(t)
	svc, _ := e.service("mw")
	now := e.clock.Now()
	window := func(start, end time.Time) map[string]any {
		return map[string]any{"maintenance_window": map[string]any{"type": "maintenance_window", "start_time": start.Format(time.RFC3339),
			"end_time": end.Format(time.RFC3339), "description": "w", "services": []any{map[string]any{"id": svc, "type": "service_reference"}}}}
	}
	// A start in the past becomes now.
	out := e.raw.want(201, "POST", "/maintenance_windows", window(now.Add(-time.Hour), now.Add(time.Hour)), hdr{"From": from})
	ongoing := obj(out, "maintenance_window")
	if ongoing["start_time"] != now.Format(time.RFC3339) || str(obj(ongoing, "created_by"), "summary") != fromName {
		t.Errorf("window = start %v created_by %v, want start moved to now and the From user", ongoing["start_time"], ongoing["created_by"])
	}
	future := obj(e.raw.want(201, "POST", "/maintenance_windows", window(now.Add(time.Hour), now.Add(2*time.Hour)), hdr{"From": from}), "maintenance_window")
	past := obj(e.raw.want(201, "POST", "/maintenance_windows", window(now.Add(-time.Hour), now.Add(time.Minute)), hdr{"From": from}), "maintenance_window")
	for name, body := range map[string]map[string]any{
		"end before start": window(now.Add(2*time.Hour), now.Add(time.Hour)),
		"end in the past":  window(now.Add(-2*time.Hour), now.Add(-time.Hour)),
	} {
		if code, out := e.raw.do("POST", "/maintenance_windows", body, hdr{"From": from}); code != 400 {
			t.Errorf("%s: %d %v, want 400", name, code, out)
		}
	}
	e.clock.Advance(2 * time.Minute) // "past" has ended
	count := func(filter string) int {
		out := e.raw.want(200, "GET", "/maintenance_windows?filter="+filter+"&service_ids[]="+svc, nil, nil)
		return len(as[[]any](t, out["maintenance_windows"]))
	}
	for filter, want := range map[string]int{"all": 3, "ongoing": 1, "future": 1, "past": 1, "open": 2} {
		if got := count(filter); got != want {
			t.Errorf("filter=%s: %d windows, want %d", filter, got, want)
		}
	}
	if code, out := e.raw.do("DELETE", "/maintenance_windows/"+str(past, "id"), nil, nil); code != 405 || errorCode(out) != 5003 {
		t.Errorf("DELETE of an ended window = %d %v, want 405 code 5003", code, out)
	}
	e.raw.want(204, "DELETE", "/maintenance_windows/"+str(future, "id"), nil, nil)
	e.raw.want(404, "GET", "/maintenance_windows/"+str(future, "id"), nil, nil)
	e.raw.want(204, "DELETE", "/maintenance_windows/"+str(ongoing, "id"), nil, nil)
	got := obj(e.raw.want(200, "GET", "/maintenance_windows/"+str(ongoing, "id"), nil, nil), "maintenance_window")
	if got["end_time"] != e.clock.Now().Format(time.RFC3339) {
		t.Errorf("deleting an ongoing window set end_time %v, want now", got["end_time"])
	}
	if status := e.serviceStatus(svc); status != "active" {
		t.Errorf("status after ending the window = %q", status)
	}
	// go-pagerduty's bare PUT body is accepted.
	w := obj(e.raw.want(201, "POST", "/maintenance_windows", window(now.Add(time.Hour), now.Add(2*time.Hour)), hdr{"From": from}), "maintenance_window")
	mw, err := e.client.GetMaintenanceWindowWithContext(context.Background(), str(w, "id"), pd.GetMaintenanceWindowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mw.Description = "bare"
	if got, err := e.client.UpdateMaintenanceWindowWithContext(context.Background(), *mw); err != nil || got.Description != "bare" {
		t.Errorf("UpdateMaintenanceWindow = %+v, %v", got, err)
	}
}

func TestIncidentWritesAndLogEntries(t *testing.T) {
	e := newEnv(t)
	svc, key := e.service("writes")
	ctx := context.Background()
	e.send(key, "trigger", "w1")
	inc := as[map[string]any](t, e.incidents("incident_key=w1")[0])
	id := str(inc, "id")

	// REST writes: the From user is the agent.
	if _, err := e.client.ManageIncidentsWithContext(ctx, from, []pd.ManageIncidentsOptions{{ID: id, Status: "acknowledged"}}); err != nil {
		t.Fatal(err)
	}
	if code, out := e.raw.do("PUT", "/incidents", map[string]any{"incidents": []any{map[string]any{"id": id, "type": "incident_reference", "status": "acknowledged"}}}, hdr{"From": from}); code != 400 || errorCode(out) != 1002 {
		t.Errorf("acknowledging an acknowledged incident = %d %v, want 400 code 1002", code, out)
	}
	e.raw.want(200, "PUT", "/incidents/"+id, map[string]any{"incident": map[string]any{"type": "incident", "status": "triggered"}}, hdr{"From": from})
	if _, err := e.client.CreateIncidentNoteWithContext(ctx, id, pd.IncidentNote{Content: "hello", User: pd.APIObject{Summary: from}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ManageIncidentsWithContext(ctx, from, []pd.ManageIncidentsOptions{{ID: id, Status: "resolved", Resolution: "fixed"}}); err != nil {
		t.Fatal(err)
	}
	if code, out := e.raw.do("PUT", "/incidents", map[string]any{"incidents": []any{map[string]any{"id": id, "type": "incident_reference", "status": "resolved"}}}, hdr{"From": from}); code != 400 || errorCode(out) != 1001 {
		t.Errorf("resolving a resolved incident = %d %v, want 400 code 1001", code, out)
	}
	if code, out := e.raw.do("PUT", "/incidents", map[string]any{"incidents": []any{map[string]any{"id": id, "type": "incident_reference", "status": "snoozed"}}}, hdr{"From": from}); code != 400 || errorCode(out) != 1003 {
		t.Errorf("status snoozed = %d %v, want 400 code 1003", code, out)
	}

	les, err := e.client.ListIncidentLogEntriesWithContext(ctx, id, pd.ListIncidentLogEntriesOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i := len(les.LogEntries) - 1; i >= 0; i-- { // newest first; read oldest first
		le := les.LogEntries[i]
		types = append(types, le.Type)
		if le.Channel.Type == "" {
			t.Errorf("%s has no channel type", le.Type)
		}
		switch le.Type {
		case "trigger_log_entry":
			if le.Agent.Type != "events_api_v2_inbound_integration_reference" || le.Channel.Type != "api" || le.EventDetails["description"] != "problem w1" {
				t.Errorf("Events trigger entry: agent %+v channel %q details %v", le.Agent, le.Channel.Type, le.EventDetails)
			}
		case "acknowledge_log_entry", "unacknowledge_log_entry", "resolve_log_entry", "annotate_log_entry":
			if le.Agent.Type != "user_reference" || le.Agent.Summary != fromName {
				t.Errorf("%s agent = %+v, want the From user", le.Type, le.Agent)
			}
		}
		if le.Incident.ID != id || le.Service.ID != svc {
			t.Errorf("%s refers to incident %s service %s", le.Type, le.Incident.ID, le.Service.ID)
		}
	}
	want := "[trigger_log_entry assign_log_entry notify_log_entry acknowledge_log_entry unacknowledge_log_entry annotate_log_entry resolve_log_entry]"
	if fmt.Sprint(types) != want {
		t.Errorf("log entry types = %v, want %s", types, want)
	}
	overview := e.raw.want(200, "GET", "/incidents/"+id+"/log_entries?is_overview=true", nil, nil)
	if n := len(as[[]any](t, overview["log_entries"])); n != 4 {
		t.Errorf("is_overview=true gave %d entries, want the 4 status changes", n)
	}
	first := les.LogEntries[0]
	if got, err := e.client.GetLogEntryWithContext(ctx, first.ID, pd.GetLogEntryOptions{}); err != nil || got.Type != "resolve_log_entry" {
		t.Errorf("GetLogEntry = %+v, %v", got, err)
	}
	e.clock.Advance(time.Hour)
	e.send(key, "trigger", "w2")
	since := e.clock.Now().Add(-time.Minute).Format(time.RFC3339)
	recent, err := e.client.ListLogEntriesWithContext(ctx, pd.ListLogEntriesOptions{Since: since})
	if err != nil || len(recent.LogEntries) != 3 {
		t.Errorf("log entries since the second trigger = %d, %v; want its trigger, assign and notify entries", len(recent.LogEntries), err)
	}

	// Reopen: PUT triggered on a resolved incident re-opens it.
	e.raw.want(200, "PUT", "/incidents/"+id, map[string]any{"incident": map[string]any{"type": "incident", "status": "triggered"}}, hdr{"From": from})
	got := obj(e.raw.want(200, "GET", "/incidents/"+id, nil, nil), "incident")
	if got["status"] != "triggered" || got["resolved_at"] != nil || len(as[[]any](t, got["assignments"])) != 1 {
		t.Errorf("reopened incident = status %v resolved_at %v assignments %v", got["status"], got["resolved_at"], got["assignments"])
	}
	notes, err := e.client.ListIncidentNotesWithContext(ctx, id)
	if err != nil || len(notes) != 1 || notes[0].User.Summary != fromName || notes[0].Content != "hello" {
		t.Errorf("notes = %+v, %v", notes, err)
	}
}

func TestNotesLimit(t *testing.T) {
	e := newEnv(t)
	_, key := e.service("notes")
	e.send(key, "trigger", "n1")
	id := str(as[map[string]any](t, e.incidents("")[0]), "id")
	e.s.mu.Lock()
	inc := e.s.st.incidentsByID[id]
	for i := range maxNotesPerIncident {
		inc.notes = append(inc.notes, &note{id: fmt.Sprint(i), userID: seedUserID, content: "n"})
	}
	e.s.mu.Unlock()
	if code, out := e.raw.do("POST", "/incidents/"+id+"/notes", map[string]any{"note": map[string]any{"content": "one too many"}}, hdr{"From": from}); code != 400 {
		t.Errorf("note 2001 = %d %v, want 400", code, out)
	}
	if code, _ := e.raw.do("POST", "/incidents/"+id+"/notes", map[string]any{"note": map[string]any{"content": ""}}, hdr{"From": from}); code != 400 {
		t.Errorf("empty note = %d, want 400", code)
	}
}

func TestIncidentListValidation(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{
		"statuses[]=triggered&statuses[]=bogus", // the spec checks only the first value
		"urgencies[]=high&urgencies[]=medium",
		"sort_by=created_at,incident_number,urgency",
		"sort_by=title",
		"sort_by=created_at:sideways",
		"since=2026-01-01T00:00:00Z&until=2026-12-01T00:00:00Z", // more than 6 months
		"since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
		"since=yesterday",
		"date_range=some",
	} {
		if code, out := e.raw.do("GET", "/incidents?"+q, nil, nil); code != 400 {
			t.Errorf("GET /incidents?%s = %d %v, want 400", q, code, out)
		}
	}
	// The default range is the last month.
	_, key := e.service("ranges")
	e.send(key, "trigger", "old")
	e.clock.Advance(40 * 24 * time.Hour)
	e.send(key, "trigger", "new")
	out := e.raw.want(200, "GET", "/incidents", nil, nil)
	if list := as[[]any](t, out["incidents"]); len(list) != 1 || str(as[map[string]any](t, list[0]), "title") != "problem new" {
		t.Errorf("default range listed %v, want only the incident from the last month", list)
	}
	if n := len(e.incidents("")); n != 2 {
		t.Errorf("date_range=all listed %d, want 2", n)
	}
}

func TestIntegrations(t *testing.T) {
	e := newEnv(t)
	svc, key := e.service("integ")
	if len(key) != 32 || strings.Trim(key, lowerAlnum) != "" {
		t.Errorf("integration key %q is not 32 characters of [a-z0-9]", key)
	}
	ctx := context.Background()
	s, err := e.client.GetServiceWithContext(ctx, svc, &pd.GetServiceOptions{Includes: []string{"integrations"}})
	if err != nil || len(s.Integrations) != 1 || s.Integrations[0].IntegrationKey != key {
		t.Fatalf("GetService include[]=integrations = %+v, %v", s, err)
	}
	in := s.Integrations[0]
	// The wrapped body the spec documents and the bare one go-pagerduty sends both work.
	e.raw.want(200, "PUT", "/services/"+svc+"/integrations/"+in.ID, map[string]any{"integration": map[string]any{"name": "wrapped"}}, nil)
	in.Name = "bare"
	got, err := e.client.UpdateIntegrationWithContext(ctx, svc, in)
	if err != nil || got.Name != "bare" || got.IntegrationKey != key {
		t.Fatalf("UpdateIntegration = %+v, %v", got, err)
	}
	e.raw.want(400, "POST", "/services/"+svc+"/integrations", map[string]any{"integration": map[string]any{"type": "carrier_pigeon_inbound_integration"}}, nil)
	email := e.raw.want(201, "POST", "/services/"+svc+"/integrations", map[string]any{"integration": map[string]any{
		"type": "generic_email_inbound_integration", "integration_email": "alerts@sandbox.example"}}, nil)
	if _, has := obj(email, "integration")["integration_key"]; has {
		t.Errorf("email integrations have no integration key")
	}
	if err := e.client.DeleteIntegrationWithContext(ctx, svc, in.ID); err != nil {
		t.Fatal(err)
	}
	if code, out := e.event(map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": "s", "source": "h", "severity": "info"}}); code != 400 {
		t.Errorf("event for a deleted integration's key = %d %v, want 400", code, out)
	}
	e.raw.want(404, "GET", "/services/"+svc+"/integrations/"+in.ID, nil, nil)
}

// Deleting a service deletes every integration on it: none of their keys
// may still accept events.
func TestDeletingAServiceRetiresAllItsKeys(t *testing.T) {
	e := newEnv(t)
	svc, first := e.service("many")
	keys := []string{first}
	for i := 0; i < 3; i++ {
		in := e.raw.want(201, "POST", "/services/"+svc+"/integrations", map[string]any{"integration": map[string]any{
			"type": "events_api_v2_inbound_integration", "name": fmt.Sprintf("events %d", i)}}, nil)
		keys = append(keys, str(obj(in, "integration"), "integration_key"))
	}
	e.raw.want(204, "DELETE", "/services/"+svc, nil, nil)
	for _, key := range keys {
		if code, out := e.event(map[string]any{"routing_key": key, "event_action": "trigger", "payload": map[string]any{"summary": "s", "source": "h", "severity": "info"}}); code != 400 {
			t.Errorf("event for key %s of a deleted service = %d %v, want 400", key, code, out)
		}
	}
}

func TestOrchestrationRouting(t *testing.T) {
	e := newEnv(t)
	dbSvc, _ := e.service("database")
	webSvc, _ := e.service("web")
	ctx := context.Background()
	o, err := e.client.CreateOrchestrationWithContext(ctx, pd.Orchestration{Name: "router"})
	if err != nil || len(o.Integrations) != 1 || len(o.Integrations[0].Parameters.RoutingKey) != 32 {
		t.Fatalf("CreateOrchestration = %+v, %v", o, err)
	}
	key := o.Integrations[0].Parameters.RoutingKey
	put := func(body map[string]any) (int, map[string]any) {
		return e.raw.do("PUT", "/event_orchestrations/"+o.ID+"/router", map[string]any{"orchestration_path": body}, nil)
	}
	rules := []any{
		map[string]any{"label": "off", "disabled": true, "actions": map[string]any{"route_to": webSvc}},
		map[string]any{"label": "db", "conditions": []any{
			map[string]any{"expression": "event.source matches regex 'db[0-9]+'"},
			map[string]any{"expression": "event.custom_details.tier == 'data'"},
		}, "actions": map[string]any{"route_to": dbSvc}},
		map[string]any{"label": "web", "conditions": []any{map[string]any{"expression": "event.summary matches part 'http'"}},
			"actions": map[string]any{"route_to": webSvc}},
	}
	code, out := put(map[string]any{"sets": []any{map[string]any{"id": "start", "rules": rules}}})
	if code != 200 {
		t.Fatalf("router PUT = %d %v", code, out)
	}
	if len(out) != 1 || obj(out, "orchestration_path") == nil {
		t.Errorf("router PUT response has keys other than orchestration_path: %v", out)
	}
	saved := as[[]any](t, as[map[string]any](t, as[[]any](t, obj(out, "orchestration_path")["sets"])[0])["rules"])
	dbRuleID := str(as[map[string]any](t, saved[1]), "id")

	trigger := func(dedup, summary, source string, details map[string]any) {
		t.Helper()
		ev := map[string]any{"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
			"payload": map[string]any{"summary": summary, "source": source, "severity": "error", "custom_details": details}}
		if code, out := e.event(ev); code != 202 {
			t.Fatalf("trigger %s = %d %v", dedup, code, out)
		}
	}
	serviceOf := func(dedup string) string {
		list := e.incidents("incident_key=" + dedup)
		if len(list) != 1 {
			return ""
		}
		return str(obj(as[map[string]any](t, list[0]), "service"), "id")
	}
	trigger("a", "db down", "db12", nil)                         // first condition of rule "db"
	trigger("b", "slow", "host", map[string]any{"tier": "data"}) // second condition of rule "db"
	trigger("c", "http 500 on db7", "db7", nil)                  // both rules match: the first wins
	trigger("d", "http 502", "lb1", nil)                         // rule "web"
	trigger("e", "disk", "nas", nil)                             // no rule: catch-all unrouted
	for dedup, want := range map[string]string{"a": dbSvc, "b": dbSvc, "c": dbSvc, "d": webSvc, "e": ""} {
		if got := serviceOf(dedup); got != want {
			t.Errorf("event %s went to %q, want %q", dedup, got, want)
		}
	}
	unrouted := e.s.UnroutedEvents()
	if len(unrouted) != 1 || unrouted[0].DedupKey != "e" {
		t.Errorf("unrouted events = %+v", unrouted)
	}
	resp, err := http.Get(e.url + "/_sandbox/unrouted_events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"dedup_key":"e"`) {
		t.Errorf("GET /_sandbox/unrouted_events = %s", body)
	}

	// A resolve for the routed alert reaches its incident, even though its
	// body (no payload) would match no rule now.
	if code, out := e.event(map[string]any{"routing_key": key, "event_action": "resolve", "dedup_key": "a"}); code != 202 {
		t.Fatalf("resolve = %d %v", code, out)
	}
	if st := as[map[string]any](t, e.incidents("incident_key=a")[0])["status"]; st != "resolved" {
		t.Errorf("incident a after resolve via the orchestration = %v", st)
	}

	// PUT replaces the whole router; IDs of rules sent back are kept; a
	// catch-all can route to a service.
	code, out = put(map[string]any{"sets": []any{map[string]any{"id": "start", "rules": []any{
		map[string]any{"id": dbRuleID, "label": "db", "actions": map[string]any{"route_to": dbSvc}},
	}}}, "catch_all": map[string]any{"actions": map[string]any{"route_to": webSvc}}})
	if code != 200 {
		t.Fatalf("second router PUT = %d %v", code, out)
	}
	r, err := e.client.GetOrchestrationRouterWithContext(ctx, o.ID, nil)
	if err != nil || len(r.Sets[0].Rules) != 1 || r.Sets[0].Rules[0].ID != dbRuleID || r.CatchAll.Actions.RouteTo != webSvc {
		t.Fatalf("router after replace = %+v, %v", r, err)
	}
	trigger("f", "anything", "x", nil) // the rule without conditions always matches
	if got := serviceOf("f"); got != dbSvc {
		t.Errorf("event f went to %q, want %q", got, dbSvc)
	}

	// Invalid routers are rejected, naming the rule.
	for name, tc := range map[string]struct {
		body map[string]any
		want string
	}{
		"bad PCL": {map[string]any{"sets": []any{map[string]any{"id": "start", "rules": []any{
			map[string]any{"label": "broken", "conditions": []any{map[string]any{"expression": "event.summary matches"}}, "actions": map[string]any{"route_to": dbSvc}},
		}}}}, `Rule 1 ("broken")`},
		"unknown service": {map[string]any{"sets": []any{map[string]any{"id": "start", "rules": []any{
			map[string]any{"actions": map[string]any{"route_to": "PNOSUCH"}}}}}}, "Rule 1"},
		"two sets":          {map[string]any{"sets": []any{map[string]any{"id": "start"}, map[string]any{"id": "next"}}}, "exactly one set"},
		"catch-all unknown": {map[string]any{"sets": []any{map[string]any{"id": "start"}}, "catch_all": map[string]any{"actions": map[string]any{"route_to": "PNOSUCH"}}}, "catch_all"},
		"no route":          {map[string]any{"sets": []any{map[string]any{"id": "start", "rules": []any{map[string]any{"label": "x"}}}}}, "route_to is required"},
	} {
		code, out := put(tc.body)
		if code != 400 || !strings.Contains(fmt.Sprint(out), tc.want) {
			t.Errorf("%s: %d %v, want 400 mentioning %q", name, code, out, tc.want)
		}
	}

	// dynamic_route_to looks the service up by name.
	code, out = put(map[string]any{"sets": []any{map[string]any{"id": "start", "rules": []any{
		map[string]any{"actions": map[string]any{"dynamic_route_to": map[string]any{"source": "event.custom_details.svc", "regex": "^pd-(.*)$", "lookup_by": "service_name"}}},
	}}}})
	if code != 200 {
		t.Fatalf("dynamic router PUT = %d %v", code, out)
	}
	trigger("g", "x", "h", map[string]any{"svc": "pd-web"})
	if got := serviceOf("g"); got != webSvc {
		t.Errorf("dynamically routed event went to %q, want %q", got, webSvc)
	}

	// Orchestration integrations: each has its own routing key.
	oi := e.raw.want(201, "POST", "/event_orchestrations/"+o.ID+"/integrations", map[string]any{"integration": map[string]any{"label": "extra"}}, nil)
	extraKey := str(obj(obj(oi, "integration"), "parameters"), "routing_key")
	if len(extraKey) != 32 || extraKey == key {
		t.Errorf("second routing key %q", extraKey)
	}
	e.raw.want(400, "POST", "/event_orchestrations/"+o.ID+"/integrations", map[string]any{"integration": map[string]any{}}, nil)
	list := e.raw.want(200, "GET", "/event_orchestrations/"+o.ID+"/integrations", nil, nil)
	if n := len(as[[]any](t, list["integrations"])); n != 2 {
		t.Errorf("orchestration has %d integrations, want 2", n)
	}
	if err := e.client.DeleteOrchestrationWithContext(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.event(map[string]any{"routing_key": extraKey, "event_action": "trigger", "payload": map[string]any{"summary": "s", "source": "h", "severity": "info"}}); code != 400 {
		t.Errorf("event to a deleted orchestration's key = %d, want 400", code)
	}
}

func TestChangeEvents(t *testing.T) {
	e := newEnv(t)
	svc, key := e.service("deploys")
	resp, err := e.client.CreateChangeEventWithContext(context.Background(), pd.ChangeEvent{RoutingKey: key,
		Payload: pd.ChangeEventPayload{Summary: "deploy 42", Source: "ci", CustomDetails: map[string]any{"sha": "abc"}},
		Links:   []pd.ChangeEventLink{{Href: "https://ci.example/42", Text: "build"}}})
	if err != nil || resp.Status != "success" {
		t.Fatalf("CreateChangeEvent = %+v, %v", resp, err)
	}
	got := e.s.ChangeEvents()
	if len(got) != 1 || got[0].ServiceID != svc || got[0].Summary != "deploy 42" || len(got[0].Links) != 1 {
		t.Fatalf("ChangeEvents() = %+v", got)
	}
	if n := len(e.incidents("")); n != 0 {
		t.Errorf("a change event created %d incidents", n)
	}
	r, err := http.Get(e.url + "/_sandbox/change_events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(body), "deploy 42") {
		t.Errorf("GET /_sandbox/change_events = %s", body)
	}
	b, _ := json.Marshal(map[string]any{"routing_key": key, "payload": map[string]any{"summary": strings.Repeat("x", 1025)}})
	r, err = http.Post(e.url+"/v2/change/enqueue", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 400 {
		t.Errorf("change event with a 1025-character summary = %d, want 400", r.StatusCode)
	}
}

func TestResetAndCounts(t *testing.T) {
	e := newEnv(t)
	e.service("gone")
	resp, err := http.Post(e.url+"/_sandbox/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	out := e.raw.want(200, "GET", "/services", nil, nil)
	if n := len(as[[]any](t, out["services"])); n != 0 {
		t.Errorf("%d services after reset", n)
	}
	e.raw.want(200, "GET", "/escalation_policies/"+e.s.DefaultEscalationPolicyID(), nil, nil)
	r, err := http.Get(e.url + "/_sandbox/counts")
	if err != nil {
		t.Fatal(err)
	}
	var counts struct {
		Requests map[string]int `json:"requests"`
		Objects  map[string]int `json:"objects"`
	}
	_ = json.NewDecoder(r.Body).Decode(&counts)
	r.Body.Close()
	// The seeded admin and the Options.Users user survive a reset.
	if counts.Requests["POST /services"] != 1 || counts.Objects["users"] != 2 {
		t.Errorf("counts = %+v", counts)
	}
	// Unknown paths get PagerDuty's 404 envelope.
	if code, out := e.raw.do("GET", "/nonexistent", nil, nil); code != 404 || errorCode(out) != 2100 {
		t.Errorf("GET /nonexistent = %d %v", code, out)
	}
}

// TestListingTenThousandIncidents checks that a large account stays fast
// to page through (state is indexed; listing is linear at worst).
func TestListingTenThousandIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 10,000 incidents")
	}
	e := newEnv(t)
	svc, _ := e.service("bulk")
	start := time.Now()
	e.s.mu.Lock()
	s := e.s.st.services[svc]
	for i := range 10000 {
		e.s.st.trigger(s, s.epID, fmt.Sprintf("incident %d", i), fmt.Sprintf("key-%d", i), "high",
			s.ref(), map[string]any{"type": "api"}, e.clock.Now())
	}
	e.s.mu.Unlock()
	created := time.Since(start)

	start = time.Now()
	seen := 0
	for off := 0; off < 10000; off += 100 {
		out := e.raw.want(200, "GET", fmt.Sprintf("/incidents?service_ids[]=%s&statuses[]=triggered&limit=100&offset=%d&total=true", svc, off), nil, nil)
		seen += len(as[[]any](t, out["incidents"]))
		if more := as[bool](t, out["more"]); more != (off+100 < 10000) || out["total"] != 10000.0 {
			t.Fatalf("offset %d: more=%v total=%v", off, more, out["total"])
		}
	}
	listed := time.Since(start)
	one := e.raw.want(200, "GET", "/incidents?incident_key=key-9999", nil, nil)
	if seen != 10000 || len(as[[]any](t, one["incidents"])) != 1 {
		t.Fatalf("listed %d incidents; incident_key lookup found %d", seen, len(as[[]any](t, one["incidents"])))
	}
	t.Logf("created 10,000 incidents in %v; listed them in 100 pages in %v", created, listed)
	// Generous, because CI machines are shared; locally this is 1-2 s.
	if listed > 60*time.Second {
		t.Errorf("listing 10,000 incidents took %v", listed)
	}
}
