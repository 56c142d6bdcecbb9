package pagerduty

// Tests of the behaviours a sync depends on, each of which the sandbox
// once got kinder than PagerDuty: alerts and their routing-key scope,
// null incident keys, asynchronous events, attribution, time zones,
// enforced rate limits, timeouts and merges.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
)

// integration adds another Events API v2 integration to svc and returns its key.
func (e *env) integration(svc, name string) string {
	e.t.Helper()
	in := e.raw.want(201, "POST", "/services/"+svc+"/integrations", map[string]any{"integration": map[string]any{
		"type": "events_api_v2_inbound_integration", "name": name}}, nil)
	return str(obj(in, "integration"), "integration_key")
}

func (e *env) incident(id string) map[string]any {
	e.t.Helper()
	return obj(e.raw.want(200, "GET", "/incidents/"+id, nil, nil), "incident")
}

func (e *env) alerts(incidentID, query string) []map[string]any {
	e.t.Helper()
	out := e.raw.want(200, "GET", "/incidents/"+incidentID+"/alerts?"+query, nil, nil)
	var list []map[string]any
	for _, a := range as[[]any](e.t, out["alerts"]) {
		list = append(list, as[map[string]any](e.t, a))
	}
	return list
}

func (e *env) onlyIncident(query string) map[string]any {
	e.t.Helper()
	list := e.incidents(query)
	if len(list) != 1 {
		e.t.Fatalf("GET /incidents?%s found %d incidents, want 1", query, len(list))
	}
	return as[map[string]any](e.t, list[0])
}

func counts(inc map[string]any) string {
	c := obj(inc, "alert_counts")
	return fmt.Sprintf("%v/%v/%v", c["triggered"], c["resolved"], c["all"])
}

// Events API v2 docs: an event applies to the open alert with the same
// dedup_key *and routing_key*; a repeat trigger updates that alert.
func TestAlertDeduplicationIsScopedToTheRoutingKey(t *testing.T) {
	e := newEnv(t)
	svc, k1 := e.service("scoped")
	k2 := e.integration(svc, "second")
	k3 := e.integration(svc, "third")

	e.send(k1, "trigger", "disk")
	e.send(k1, "trigger", "disk") // de-duplicated into the same alert
	first := e.onlyIncident("service_ids[]=" + svc)
	if counts(first) != "1/0/1" {
		t.Fatalf("two triggers through one key: alert_counts %s, want one alert", counts(first))
	}
	e.send(k2, "trigger", "disk") // same dedup key, another integration: its own alert
	incs := e.incidents("incident_key=disk&sort_by=incident_number")
	if len(incs) != 2 {
		t.Fatalf("the same dedup key through two integrations made %d incidents, want 2 (one alert each)", len(incs))
	}
	second := as[map[string]any](t, incs[1])

	// Acknowledge and resolve through a key that holds no open alert for
	// the dedup key are dropped: 202, no effect.
	e.send(k3, "acknowledge", "disk")
	e.send(k3, "resolve", "disk")
	for _, inc := range []map[string]any{first, second} {
		if got := e.incident(str(inc, "id"))["status"]; got != "triggered" {
			t.Errorf("incident %s is %v after events through an unrelated routing key, want triggered", inc["id"], got)
		}
	}
	e.send(k2, "resolve", "disk")
	if got := e.incident(str(second, "id"))["status"]; got != "resolved" {
		t.Errorf("resolve through the alert's own key left its incident %v", got)
	}
	if got := e.incident(str(first, "id"))["status"]; got != "triggered" {
		t.Errorf("resolve through k2 changed k1's incident to %v", got)
	}
	var ignored int
	for _, r := range e.s.Events() {
		if r.RoutingKey == k3 && r.Outcome == OutcomeIgnored {
			ignored++
		}
	}
	if ignored != 2 {
		t.Errorf("%d of the events through the unrelated key were recorded as ignored, want 2", ignored)
	}

	// The alert carries the dedup key, the routing key's integration and
	// the incident; GET one and filter by alert_key.
	alerts := e.alerts(str(first, "id"), "alert_key=disk")
	if len(alerts) != 1 || alerts[0]["alert_key"] != "disk" || alerts[0]["status"] != "triggered" ||
		str(obj(alerts[0], "integration"), "type") != "events_api_v2_inbound_integration_reference" ||
		str(obj(alerts[0], "incident"), "id") != first["id"] {
		t.Fatalf("alerts = %v", alerts)
	}
	one := obj(e.raw.want(200, "GET", "/incidents/"+str(first, "id")+"/alerts/"+str(alerts[0], "id"), nil, nil), "alert")
	if one["id"] != alerts[0]["id"] {
		t.Errorf("GET alert = %v", one)
	}
	e.raw.want(404, "GET", "/incidents/"+str(second, "id")+"/alerts/"+str(alerts[0], "id"), nil, nil) // not that incident's alert
	if n := len(e.alerts(str(first, "id"), "alert_key=other")); n != 0 {
		t.Errorf("alert_key=other matched %d alerts", n)
	}
}

// The spec: "Incidents with child alerts do not have an incident key";
// REST-created incidents keep theirs, and a second open one with the same
// key on the service is refused.
func TestIncidentKeys(t *testing.T) {
	e := newEnv(t)
	svc, key := e.service("keys")
	e.send(key, "trigger", "evt-1")
	inc := e.onlyIncident("incident_key=evt-1")
	if inc["incident_key"] != nil {
		t.Errorf("event-created incident has incident_key %v, want null", inc["incident_key"])
	}
	// The dedup key shows in the first trigger log entry's channel.
	withFirst := e.onlyIncident("incident_key=evt-1&include[]=first_trigger_log_entries")
	if got := str(obj(obj(withFirst, "first_trigger_log_entry"), "channel"), "incident_key"); got != "evt-1" {
		t.Errorf("first trigger log entry channel incident_key = %q, want the dedup key", got)
	}
	e.raw.want(400, "GET", "/incidents?include[]=everything", nil, nil)

	body := map[string]any{"incident": map[string]any{"type": "incident", "title": "manual",
		"service": map[string]any{"id": svc, "type": "service_reference"}, "incident_key": "rest-1"}}
	created := obj(e.raw.want(201, "POST", "/incidents", body, hdr{"From": from}), "incident")
	if created["incident_key"] != "rest-1" || counts(created) != "0/0/0" {
		t.Errorf("REST-created incident: key %v alert_counts %s, want its key and no alerts", created["incident_key"], counts(created))
	}
	code, out := e.raw.do("POST", "/incidents", body, hdr{"From": from})
	if code != 400 || !strings.Contains(fmt.Sprint(obj(out, "error")["errors"]), "Open incident with matching dedup key already exists on this service") {
		t.Errorf("second open incident with the key = %d %v", code, out)
	}
	// The event's dedup key is not an incident_key: a REST incident may use it.
	body["incident"] = map[string]any{"type": "incident", "title": "manual",
		"service": map[string]any{"id": svc, "type": "service_reference"}, "incident_key": "evt-1"}
	e.raw.want(201, "POST", "/incidents", body, hdr{"From": from})
}

// Events take effect EventDelay after their 202, in the order sent.
func TestEventsAreAsynchronous(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := New(Options{Now: clk.Now, EventDelay: 30 * time.Second})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := &env{t: t, s: s, url: srv.URL, clock: clk, raw: rawClient{t: t, base: srv.URL, http: &http.Client{Timeout: 10 * time.Second}}}
	svc, key := e.service("async")
	sent := clk.Now()
	e.send(key, "trigger", "a1")
	e.send(key, "acknowledge", "a1") // queued behind the trigger
	if n := len(e.incidents("")); n != 0 {
		t.Fatalf("%d incidents right after the 202, want none yet", n)
	}
	if got := e.s.Events(); len(got) != 2 || got[0].Outcome != OutcomeQueued {
		t.Fatalf("records before the delay = %+v, want two queued", got)
	}
	clk.Advance(29 * time.Second)
	if n := len(e.incidents("")); n != 0 {
		t.Fatalf("%d incidents 29 s after the 202, want none", n)
	}
	clk.Advance(2 * time.Second)
	inc := e.onlyIncident("service_ids[]=" + svc)
	if inc["status"] != "acknowledged" || inc["created_at"] != sent.Add(30*time.Second).Format(time.RFC3339) {
		t.Errorf("after the delay: status %v created_at %v, want acknowledged, created 30 s after the event", inc["status"], inc["created_at"])
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Settle(ctx); err != nil {
		t.Errorf("Settle with nothing queued: %v", err)
	}
}

// A user_reference's summary is the user's name; From must name a user of
// the account; event log entries are attributed to the integration; a
// triggered incident's last_status_change_by is its service.
func TestAttribution(t *testing.T) {
	e := newEnv(t)
	svc, key := e.service("who")
	e.send(key, "trigger", "w1")
	inc := e.onlyIncident("incident_key=w1")
	if by := obj(inc, "last_status_change_by"); by["type"] != "service_reference" || by["id"] != svc {
		t.Errorf("last_status_change_by of a triggered incident = %v, want the service", by)
	}
	id := str(inc, "id")

	users := func() int {
		r, err := http.Get(e.url + "/_sandbox/counts")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var c struct {
			Objects map[string]int `json:"objects"`
		}
		if err := jsonDecode(r, &c); err != nil {
			t.Fatal(err)
		}
		return c.Objects["users"]
	}
	before := users()
	code, out := e.raw.do("PUT", "/incidents/"+id, map[string]any{"incident": map[string]any{"type": "incident", "status": "acknowledged"}},
		hdr{"From": "stranger@example.com"})
	if code != 400 || errorCode(out) != 1008 || obj(out, "error")["message"] != "Requester User Not Found" {
		t.Errorf("write as an unknown From = %d %v, want 400 Requester User Not Found", code, out)
	}
	if users() != before {
		t.Errorf("an unknown From created a user")
	}
	// Users are added through the sandbox's controls (or Options.Users).
	resp, err := http.Post(e.url+"/_sandbox/users", "application/json", strings.NewReader(`{"name":"Jane Doe","email":"jane@example.com"}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("POST /_sandbox/users = %v, %v", resp, err)
	}
	resp.Body.Close()
	if _, err := e.s.AddUser("Jane Again", "jane@example.com"); err == nil {
		t.Errorf("a second user with the same email was added")
	}
	e.raw.want(200, "PUT", "/incidents/"+id, map[string]any{"incident": map[string]any{"type": "incident", "status": "acknowledged"}},
		hdr{"From": "jane@example.com"})
	inc = e.incident(id)
	if by := obj(inc, "last_status_change_by"); by["type"] != "user_reference" || by["summary"] != "Jane Doe" {
		t.Errorf("last_status_change_by after Jane's acknowledge = %v, want her user_reference named Jane Doe", by)
	}
	les := e.raw.want(200, "GET", "/incidents/"+id+"/log_entries", nil, nil)
	agents := map[string]string{}
	for _, le := range as[[]any](t, les["log_entries"]) {
		m := as[map[string]any](t, le)
		agents[str(m, "type")] = str(obj(m, "agent"), "type") + " " + str(obj(m, "agent"), "summary")
	}
	if agents["trigger_log_entry"] != "events_api_v2_inbound_integration_reference events" ||
		agents["acknowledge_log_entry"] != "user_reference Jane Doe" {
		t.Errorf("log entry agents = %v", agents)
	}
}

// Timestamps render in the request's time_zone, else the account's (GET
// /incidents: UTC), with their offset; since/until without an offset are
// read in that zone.
func TestTimeZones(t *testing.T) {
	newYork, _ := time.LoadLocation("America/New_York")
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := New(Options{Now: clk.Now, TimeZone: newYork})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := &env{t: t, s: s, url: srv.URL, clock: clk, raw: rawClient{t: t, base: srv.URL, http: &http.Client{Timeout: 10 * time.Second}}}
	svc, key := e.service("zones")
	e.send(key, "trigger", "z1")

	inc := e.onlyIncident("")
	if inc["created_at"] != "2026-03-01T12:00:00Z" {
		t.Errorf("GET /incidents created_at = %v, want UTC by default", inc["created_at"])
	}
	zoned := e.onlyIncident("time_zone=Asia/Tokyo")
	if zoned["created_at"] != "2026-03-01T21:00:00+09:00" || str(as[map[string]any](t, as[[]any](t, zoned["assignments"])[0]), "at") != "2026-03-01T21:00:00+09:00" {
		t.Errorf("time_zone=Asia/Tokyo: created_at %v, assignments %v", zoned["created_at"], zoned["assignments"])
	}
	if got := e.incident(str(inc, "id"))["created_at"]; got != "2026-03-01T07:00:00-05:00" {
		t.Errorf("GET /incidents/{id} created_at = %v, want the account's zone", got)
	}
	le := as[map[string]any](t, as[[]any](t, e.raw.want(200, "GET", "/log_entries", nil, nil)["log_entries"])[0])
	if le["created_at"] != "2026-03-01T07:00:00-05:00" {
		t.Errorf("log entry created_at = %v, want the account's zone", le["created_at"])
	}
	svcOut := obj(e.raw.want(200, "GET", "/services/"+svc+"?time_zone=UTC", nil, nil), "service")
	if !strings.HasSuffix(str(svcOut, "created_at"), "Z") {
		t.Errorf("service created_at with time_zone=UTC = %v", svcOut["created_at"])
	}
	// 06:59 New York is before the incident (07:00 there); 07:01 after it.
	ranged := func(q string) int {
		return len(as[[]any](t, e.raw.want(200, "GET", "/incidents?"+q, nil, nil)["incidents"]))
	}
	if n := ranged("since=2026-03-01T06:59:00&until=2026-03-01T07:01:00"); n != 1 {
		t.Errorf("since/until without an offset read in the account's zone found %d incidents, want 1", n)
	}
	if n := ranged("since=2026-03-01T07:01:00"); n != 0 {
		t.Errorf("since 07:01 New York found %d incidents, want 0", n)
	}
	if n := ranged("since=2026-03-01T07:01:00&time_zone=UTC"); n != 1 {
		t.Errorf("since 07:01 UTC found %d incidents, want 1", n)
	}
	if code, _ := e.raw.do("GET", "/incidents?time_zone=Nowhere/Special", nil, nil); code != 400 {
		t.Errorf("an unknown time_zone = %d, want 400", code)
	}
}

// The Events API limits each routing key (about 120 a minute) and answers
// 429 beyond; other keys are unaffected; the next minute is fresh.
func TestEnforcedEventsRateLimit(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := New(Options{Now: clk.Now, EventsRateLimitPerMinute: 3, Users: []User{{Name: fromName, Email: from}}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := &env{t: t, s: s, url: srv.URL, clock: clk, raw: rawClient{t: t, base: srv.URL, http: &http.Client{Timeout: 10 * time.Second}}}
	svc, k1 := e.service("limited")
	k2 := e.integration(svc, "other")
	for i := range 3 {
		e.send(k1, "trigger", fmt.Sprint("r", i))
	}
	ev := map[string]any{"routing_key": k1, "event_action": "trigger", "dedup_key": "r3",
		"payload": map[string]any{"summary": "one too many", "source": "h", "severity": "info"}}
	if code, out := e.event(ev); code != 429 || out["status"] != "throttle event" {
		t.Errorf("4th event in a minute through one key = %d %v, want 429", code, out)
	}
	e.send(k2, "trigger", "elsewhere")
	clk.Advance(time.Minute)
	if code, out := e.event(ev); code != 202 {
		t.Errorf("after the minute = %d %v, want 202", code, out)
	}
	if n := len(e.incidents("")); n != 5 {
		t.Errorf("%d incidents, want 5 (the throttled event made none)", n)
	}
}

// Time-based alert grouping puts the alerts of a window on one incident;
// each alert resolves on its own, and the incident with its last alert.
func TestAlertGroupingAndAlertResolution(t *testing.T) {
	e := newEnv(t)
	ep := map[string]any{"id": e.s.DefaultEscalationPolicyID(), "type": "escalation_policy_reference"}
	out := e.raw.want(201, "POST", "/services", map[string]any{"service": map[string]any{"name": "grouped", "type": "service",
		"escalation_policy": ep, "alert_grouping_parameters": map[string]any{"type": "time", "config": map[string]any{"timeout": 5}}}}, nil)
	svc := str(obj(out, "service"), "id")
	key := e.integration(svc, "events")
	for _, bad := range []map[string]any{{"type": "time", "config": map[string]any{"timeout": 2000}}, {"type": "sideways"}} {
		if code, _ := e.raw.do("POST", "/services", map[string]any{"service": map[string]any{"name": "bad grouping", "type": "service",
			"escalation_policy": ep, "alert_grouping_parameters": bad}}, nil); code != 400 {
			t.Errorf("alert_grouping_parameters %v = %d, want 400", bad, code)
		}
	}

	e.send(key, "trigger", "g1")
	e.clock.Advance(2 * time.Minute)
	e.send(key, "trigger", "g2")
	inc := e.onlyIncident("service_ids[]=" + svc)
	if counts(inc) != "2/0/2" {
		t.Fatalf("two alerts within the window: alert_counts %s, want both on one incident", counts(inc))
	}
	id := str(inc, "id")
	e.clock.Advance(4 * time.Minute) // 6 minutes after the first alert: the window has closed
	e.send(key, "trigger", "g3")
	if n := len(e.incidents("service_ids[]=" + svc)); n != 2 {
		t.Fatalf("an alert after the window: %d incidents, want a new one (2)", n)
	}

	e.send(key, "resolve", "g1")
	if inc := e.incident(id); inc["status"] != "triggered" || counts(inc) != "1/1/2" {
		t.Errorf("after resolving one of two alerts: status %v alert_counts %s, want triggered 1/1/2", inc["status"], counts(inc))
	}
	g2 := e.alerts(id, "alert_key=g2")[0]
	e.raw.want(400, "PUT", "/incidents/"+id+"/alerts/"+str(g2, "id"), map[string]any{"alert": map[string]any{"type": "alert",
		"incident": map[string]any{"id": "PELSEWHERE", "type": "incident_reference"}}}, hdr{"From": from})
	resolved := obj(e.raw.want(200, "PUT", "/incidents/"+id+"/alerts/"+str(g2, "id"), map[string]any{"alert": map[string]any{"type": "alert", "status": "resolved"}},
		hdr{"From": from}), "alert")
	if resolved["status"] != "resolved" {
		t.Errorf("PUT alert status resolved = %v", resolved)
	}
	if inc := e.incident(id); inc["status"] != "resolved" || counts(inc) != "0/2/2" {
		t.Errorf("after resolving the last alert: status %v alert_counts %s, want resolved 0/2/2", inc["status"], counts(inc))
	}
	if n := len(e.alerts(id, "statuses[]=triggered")); n != 0 {
		t.Errorf("%d triggered alerts on a resolved incident", n)
	}
	// Resolving an incident through REST resolves its open alerts.
	third := e.onlyIncident("incident_key=g3")
	e.raw.want(200, "PUT", "/incidents/"+str(third, "id"), map[string]any{"incident": map[string]any{"type": "incident", "status": "resolved"}}, hdr{"From": from})
	if a := e.alerts(str(third, "id"), ""); len(a) != 1 || a[0]["status"] != "resolved" {
		t.Errorf("alerts of a REST-resolved incident = %v", a)
	}
	// The alert's key is free again: a new trigger opens a new alert.
	e.send(key, "trigger", "g3")
	if n := len(e.incidents("incident_key=g3")); n != 2 {
		t.Errorf("a trigger after the alert resolved found %d incidents for the key, want 2", n)
	}
}

// acknowledgement_timeout returns an acknowledged incident to triggered;
// auto_resolve_timeout resolves an open one; both on the sandbox's clock,
// both shown as pending_actions, both attributed to the service.
func TestAcknowledgementAndAutoResolveTimeouts(t *testing.T) {
	e := newEnv(t)
	ep := map[string]any{"id": e.s.DefaultEscalationPolicyID(), "type": "escalation_policy_reference"}
	out := e.raw.want(201, "POST", "/services", map[string]any{"service": map[string]any{"name": "timeouts", "type": "service",
		"escalation_policy": ep, "acknowledgement_timeout": 600, "auto_resolve_timeout": 3600}}, nil)
	svc := str(obj(out, "service"), "id")
	key := e.integration(svc, "events")
	e.send(key, "trigger", "t1")
	id := str(e.onlyIncident("incident_key=t1"), "id")
	e.clock.Advance(5 * time.Minute)
	e.raw.want(200, "PUT", "/incidents/"+id, map[string]any{"incident": map[string]any{"type": "incident", "status": "acknowledged"}}, hdr{"From": from})
	inc := e.incident(id)
	pending := fmt.Sprint(inc["pending_actions"])
	if !strings.Contains(pending, "unacknowledge") || !strings.Contains(pending, "resolve") {
		t.Errorf("pending_actions of an acknowledged incident = %v, want unacknowledge and resolve", inc["pending_actions"])
	}
	e.clock.Advance(9 * time.Minute)
	if got := e.incident(id)["status"]; got != "acknowledged" {
		t.Fatalf("9 minutes after the acknowledge: %v", got)
	}
	e.clock.Advance(2 * time.Minute)
	inc = e.incident(id)
	if inc["status"] != "triggered" || str(obj(inc, "last_status_change_by"), "type") != "service_reference" {
		t.Fatalf("after the acknowledgement timeout: status %v by %v, want triggered by the service", inc["status"], inc["last_status_change_by"])
	}
	les := fmt.Sprint(e.raw.want(200, "GET", "/incidents/"+id+"/log_entries", nil, nil))
	if !strings.Contains(les, "unacknowledge_log_entry") || !strings.Contains(les, "timeout") {
		t.Errorf("log entries lack the timed-out unacknowledge: %s", les)
	}
	// An acknowledge resolved in time never times out.
	e.send(key, "trigger", "t2")
	id2 := str(e.onlyIncident("incident_key=t2"), "id")
	e.raw.want(200, "PUT", "/incidents/"+id2, map[string]any{"incident": map[string]any{"type": "incident", "status": "acknowledged"}}, hdr{"From": from})
	e.raw.want(200, "PUT", "/incidents/"+id2, map[string]any{"incident": map[string]any{"type": "incident", "status": "resolved"}}, hdr{"From": from})
	e.clock.Advance(15 * time.Minute)
	if got := e.incident(id2)["status"]; got != "resolved" {
		t.Errorf("a resolved incident's stale timeout moved it to %v", got)
	}
	// The first incident has been open 5+9+2+15 = 31 minutes; it resolves at 60.
	e.clock.Advance(30 * time.Minute)
	inc = e.incident(id)
	if inc["status"] != "resolved" || str(obj(inc, "last_status_change_by"), "type") != "service_reference" {
		t.Errorf("after auto_resolve_timeout: status %v by %v, want resolved by the service", inc["status"], inc["last_status_change_by"])
	}
	if a := e.alerts(id, ""); a[0]["status"] != "resolved" {
		t.Errorf("auto-resolve left the alert %v", a[0]["status"])
	}
}

// PUT /incidents/{id}/merge moves the sources' alerts to the target and
// resolves the sources with a merge resolve_reason; later events with the
// moved alert's key act on the target.
func TestMergeIncidents(t *testing.T) {
	e := newEnv(t)
	_, key := e.service("merge")
	e.send(key, "trigger", "m1")
	e.send(key, "trigger", "m2")
	target := str(e.onlyIncident("incident_key=m1"), "id")
	source := str(e.onlyIncident("incident_key=m2"), "id")
	out := e.raw.want(200, "PUT", "/incidents/"+target+"/merge", map[string]any{"source_incidents": []any{
		map[string]any{"id": source, "type": "incident_reference"}}}, hdr{"From": from})
	if ref := obj(out, "incident"); ref["type"] != "incident_reference" || ref["id"] != target {
		t.Errorf("merge response = %v, want a reference to the target", out)
	}
	src := e.incident(source)
	if src["status"] != "resolved" || str(obj(src, "resolve_reason"), "type") != "merge_resolve_reason" ||
		str(obj(obj(src, "resolve_reason"), "incident"), "id") != target || counts(src) != "0/0/0" {
		t.Fatalf("merged source = status %v resolve_reason %v alerts %s", src["status"], src["resolve_reason"], counts(src))
	}
	if tgt := e.incident(target); counts(tgt) != "2/0/2" {
		t.Fatalf("merge target alert_counts %s, want both alerts open", counts(tgt))
	}
	if got := e.onlyIncident("incident_key=m2")["id"]; got != target {
		t.Errorf("incident_key=m2 finds %v after the merge, want the target", got)
	}
	e.send(key, "resolve", "m2") // the moved alert resolves on the target
	if tgt := e.incident(target); tgt["status"] != "triggered" || counts(tgt) != "1/1/2" {
		t.Errorf("after resolving the moved alert: status %v alerts %s", tgt["status"], counts(tgt))
	}
	sources := func(ids ...string) map[string]any {
		list := []any{}
		for _, id := range ids {
			list = append(list, map[string]any{"id": id, "type": "incident_reference"})
		}
		return map[string]any{"source_incidents": list}
	}
	for _, tc := range []struct {
		name, into string
		body       map[string]any
		h          hdr
	}{
		{"into itself", target, sources(target), hdr{"From": from}},
		{"an unknown source", target, sources("PNOPE"), hdr{"From": from}},
		{"no sources", target, sources(), hdr{"From": from}},
		{"into a resolved incident", source, sources(target), hdr{"From": from}},
		{"without From", target, sources(source), nil},
	} {
		if code, out := e.raw.do("PUT", "/incidents/"+tc.into+"/merge", tc.body, tc.h); code != 400 {
			t.Errorf("merge %s = %d %v, want 400", tc.name, code, out)
		}
	}
}

func jsonDecode(r *http.Response, v any) error { return json.NewDecoder(r.Body).Decode(v) }
