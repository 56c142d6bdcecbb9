package pagerduty

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Events API v2 limits (PagerDuty docs, Events API v2 overview and trigger events).
const (
	maxEventBytes    = 512 * 1024
	routingKeyLength = 32
	maxDedupKeyLen   = 255
	maxSummaryLen    = 1024
	// maxRecorded bounds the event records kept for the admin endpoints,
	// so that a long-running sandbox does not grow without limit.
	maxRecorded = 10000
)

// Outcomes of an alert event, as recorded in EventRecord.Outcome.
const (
	OutcomeQueued                = "queued"                 // accepted, not applied yet (Options.EventDelay)
	OutcomeTriggered             = "triggered"              // a new alert was created (on a new or, grouped, an existing incident)
	OutcomeDeduplicated          = "deduplicated"           // de-duplicated into the open alert with the same routing and dedup key
	OutcomeAcknowledged          = "acknowledged"           // the open alert's incident was acknowledged
	OutcomeResolved              = "resolved"               // the open alert was resolved (and its incident, if it was the last)
	OutcomeIgnored               = "ignored"                // acknowledge/resolve with no open alert for this routing key, or nothing to do
	OutcomeSuppressedMaintenance = "suppressed_maintenance" // trigger while the service is in maintenance
	OutcomeSuppressedDisabled    = "suppressed_disabled"    // trigger while the service is disabled
	OutcomeUnrouted              = "unrouted"               // orchestration routed it to "unrouted" (or to a deleted service)
)

// EventRecord is an alert event accepted on /v2/enqueue and what the
// sandbox did with it.
type EventRecord struct {
	ReceivedAt      time.Time `json:"received_at"`
	RoutingKey      string    `json:"routing_key"`
	EventAction     string    `json:"event_action"`
	DedupKey        string    `json:"dedup_key"`
	ServiceID       string    `json:"service_id,omitempty"`
	OrchestrationID string    `json:"orchestration_id,omitempty"`
	RuleID          string    `json:"rule_id,omitempty"` // the router rule that matched, if any
	IncidentID      string    `json:"incident_id,omitempty"`
	AlertID         string    `json:"alert_id,omitempty"`
	Outcome         string    `json:"outcome"`
	// AppliedAt is when the event took effect (zero while queued).
	AppliedAt time.Time      `json:"applied_at,omitzero"`
	Event     map[string]any `json:"event"` // the event as received
}

// ChangeEvent is a change event accepted on /v2/change/enqueue. Change
// events create no incidents; PagerDuty shows them next to the service's
// incidents.
type ChangeEvent struct {
	ReceivedAt      time.Time      `json:"received_at"`
	RoutingKey      string         `json:"routing_key"`
	ServiceID       string         `json:"service_id,omitempty"`
	OrchestrationID string         `json:"orchestration_id,omitempty"`
	Summary         string         `json:"summary"`
	Source          string         `json:"source,omitempty"`
	Timestamp       string         `json:"timestamp,omitempty"`
	CustomDetails   any            `json:"custom_details,omitempty"`
	Links           []any          `json:"links,omitempty"`
	Images          []any          `json:"images,omitempty"`
	Event           map[string]any `json:"event"`
}

// Events returns the alert events accepted so far (the latest 10,000
// applied, then those still queued, with Outcome "queued").
func (s *Server) Events() []EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.advance(s.now())
	out := slices.Clone(s.st.events)
	for _, q := range s.st.queued {
		out = append(out, q.rec)
	}
	return out
}

// UnroutedEvents returns the accepted alert events that an orchestration
// sent to "unrouted", which create no incident.
func (s *Server) UnroutedEvents() []EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.advance(s.now())
	var out []EventRecord
	for _, e := range s.st.events {
		if e.Outcome == OutcomeUnrouted {
			out = append(out, e)
		}
	}
	return out
}

// ChangeEvents returns the change events accepted so far (the latest 10,000).
func (s *Server) ChangeEvents() []ChangeEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.changeEvents)
}

func appendBounded[T any](list []T, v T) []T {
	if len(list) >= maxRecorded {
		list = slices.Delete(list, 0, len(list)-maxRecorded+1)
	}
	return append(list, v)
}

// eventsError writes the Events API's 400 body.
func eventsError(w http.ResponseWriter, errs []string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
}

// readEvent reads and decodes an Events API body, writing the error
// response itself when it cannot.
func readEvent(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxEventBytes+1))
	if err != nil {
		eventsError(w, []string{"Could not read the request body"})
		return nil, false
	}
	if len(data) > maxEventBytes {
		eventsError(w, []string{"Event object is too large (the limit is 512 KB)"})
		return nil, false
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil || ev == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": "Unrecognized object",
			"message": "Event object format is unrecognized", "errors": []string{"JSON parse error"}})
		return nil, false
	}
	return ev, true
}

// checkRoutingKey returns the errors PagerDuty gives for a malformed key.
func checkRoutingKey(v any) (string, []string) {
	k, ok := v.(string)
	if !ok || k == "" {
		return "", []string{"'routing_key' is missing or blank"}
	}
	var errs []string
	if len(k) != routingKeyLength {
		errs = append(errs, fmt.Sprintf("Length of 'routing_key' is incorrect (should be %d characters)", routingKeyLength))
	}
	for _, r := range k {
		if !isAlnum(r) {
			errs = append(errs, "'routing_key' cannot contain non-alphanumeric characters.")
			break
		}
	}
	return k, errs
}

// isAlnum reports whether r is an ASCII letter or digit, the only
// characters a routing key may hold.
func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// checkString adds an error if m[key] is present but not a string, or
// longer than maxLen (when maxLen > 0), or missing/blank when required.
func checkString(m map[string]any, key, name string, required bool, maxLen int, errs *[]string) string {
	v, present := m[key]
	if !present || v == nil {
		if required {
			*errs = append(*errs, "'"+name+"' is missing or blank")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		*errs = append(*errs, "'"+name+"' must be a string")
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		*errs = append(*errs, "'"+name+"' is missing or blank")
	}
	if maxLen > 0 && len([]rune(s)) > maxLen {
		*errs = append(*errs, fmt.Sprintf("Length of '%s' is incorrect (should be %d characters or less)", name, maxLen))
	}
	return s
}

func checkTimestamp(m map[string]any, name string, errs *[]string) {
	if ts := checkString(m, "timestamp", name, false, 0, errs); ts != "" {
		if _, ok := parseTime(ts); !ok {
			*errs = append(*errs, "'"+name+"' is invalid (must be a valid ISO 8601 timestamp)")
		}
	}
}

// checkLinks validates links[] ({href, text}) and images[] ({src, href, alt}).
func checkLinks(ev map[string]any, errs *[]string) {
	for _, f := range []struct{ key, required string }{{"links", "href"}, {"images", "src"}} {
		v, ok := ev[f.key]
		if !ok || v == nil {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			*errs = append(*errs, "'"+f.key+"' must be an array")
			continue
		}
		for i, item := range list {
			obj, ok := item.(map[string]any)
			if !ok {
				*errs = append(*errs, fmt.Sprintf("'%s[%d]' must be an object", f.key, i))
				continue
			}
			checkString(obj, f.required, fmt.Sprintf("%s[%d].%s", f.key, i, f.required), true, 0, errs)
		}
	}
}

var severities = []string{"critical", "error", "warning", "info"}

// validateAlertEvent returns the event's routing key, action and payload,
// and every problem PagerDuty would report.
func validateAlertEvent(ev map[string]any) (key, action, dedup string, payload map[string]any, errs []string) {
	key, errs = checkRoutingKey(ev["routing_key"])
	action = checkString(ev, "event_action", "event_action", true, 0, &errs)
	if action != "" && !contains([]string{"trigger", "acknowledge", "resolve"}, action) {
		errs = append(errs, "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
	}
	dedup = checkString(ev, "dedup_key", "dedup_key", action == "acknowledge" || action == "resolve", maxDedupKeyLen, &errs)
	checkString(ev, "client", "client", false, 0, &errs)
	checkString(ev, "client_url", "client_url", false, 0, &errs)
	checkLinks(ev, &errs)
	if action != "trigger" {
		return key, action, dedup, nil, errs
	}
	p, ok := ev["payload"].(map[string]any)
	if !ok {
		errs = append(errs, "'payload' is missing or blank")
		return key, action, dedup, nil, errs
	}
	checkString(p, "summary", "payload.summary", true, maxSummaryLen, &errs)
	checkString(p, "source", "payload.source", true, 0, &errs)
	if sev := checkString(p, "severity", "payload.severity", true, 0, &errs); sev != "" && !contains(severities, sev) {
		errs = append(errs, "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
	}
	checkTimestamp(p, "payload.timestamp", &errs)
	for _, f := range []string{"component", "group", "class"} {
		checkString(p, f, "payload."+f, false, 0, &errs)
	}
	return key, action, dedup, p, errs
}

func (s *Server) handleEnqueue(w http.ResponseWriter, r *http.Request) {
	ev, ok := readEvent(w, r)
	if !ok {
		return
	}
	key, action, dedup, payload, errs := validateAlertEvent(ev)
	if len(errs) > 0 {
		eventsError(w, errs)
		return
	}
	if action == "trigger" && dedup == "" {
		dedup = newHexKey()
	}
	s.mu.Lock()
	now := s.now()
	st := s.st
	st.advance(now)
	if st.integrationsByKey[key] == nil && st.orchByKey[key] == nil {
		s.mu.Unlock()
		eventsError(w, []string{"Invalid routing key"})
		return
	}
	if s.eventsLimited(key, now) {
		s.mu.Unlock()
		writeEventsThrottled(w)
		return
	}
	rec := EventRecord{ReceivedAt: now, RoutingKey: key, EventAction: action, DedupKey: dedup, Event: ev, Outcome: OutcomeQueued}
	st.queued = append(st.queued, &queuedEvent{at: now.Add(s.opts.EventDelay), rec: rec, payload: payload})
	st.advance(now) // without a delay the event applies at once
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": dedup})
}

// applyQueued applies an accepted alert event, at the time it falls due.
// The routing key is looked up again: an integration deleted in the
// meantime drops the event.
func (st *state) applyQueued(q *queuedEvent) {
	rec, now := q.rec, q.at
	rec.AppliedAt = now
	defer func() { st.events = appendBounded(st.events, rec) }()
	integ, orchInteg := st.integrationsByKey[rec.RoutingKey], st.orchByKey[rec.RoutingKey]
	open := st.openAlerts[dedupIndexKey(rec.RoutingKey, rec.DedupKey)]
	var svc *service
	var agent ref
	switch {
	case integ != nil:
		svc = st.services[integ.serviceID]
		// Event log entries are attributed to the integration, typed as
		// PagerDuty types it (captured payloads:
		// "events_api_v2_inbound_integration_reference").
		agent = ref{ID: integ.id, Type: integ.typ + "_reference", Summary: integ.name, Path: integ.path(), HTMLPath: integ.path()}
	case orchInteg != nil:
		rec.OrchestrationID = orchInteg.orchID
		switch {
		case open != nil:
			// PagerDuty applies an event to the open alert with the same
			// routing_key and dedup_key, wherever the router would send it now.
			svc = st.services[open.serviceID]
		case rec.EventAction == "trigger":
			var serviceID string
			serviceID, rec.RuleID = st.route(st.orchestrations[orchInteg.orchID], rec.Event, q.payload)
			svc = st.services[serviceID]
		}
		if svc != nil {
			agent = svc.ref()
		}
	default:
		rec.Outcome = OutcomeIgnored // the integration was deleted after the 202
		return
	}
	switch {
	case open == nil && rec.EventAction != "trigger":
		rec.Outcome = OutcomeIgnored // acknowledge/resolve with no open alert for this routing key
	case svc == nil:
		rec.Outcome = OutcomeUnrouted
	default:
		rec.ServiceID = svc.id
		var integRef ref
		if integ != nil {
			integRef = integ.ref()
		}
		rec.Outcome, rec.IncidentID, rec.AlertID = st.applyAlertEvent(svc, open, rec, q.payload, agent, integRef, now)
	}
}

// applyAlertEvent applies an event to open, the open alert with the same
// routing key and dedup key (nil if none). A trigger with an open alert is
// de-duplicated into it; otherwise it creates an alert, unless the service
// is disabled or in maintenance ("no new incidents will be triggered",
// spec: Service.status), on a new incident or, under time-based alert
// grouping, on the service's grouping incident. Acknowledge acts on the
// open alert's incident; resolve resolves the alert, and the incident with
// its last open alert (Events API v2 docs).
func (st *state) applyAlertEvent(svc *service, open *alert, rec EventRecord, payload map[string]any, agent, integ ref, now time.Time) (outcome, incidentID, alertID string) {
	ev, dedup := rec.Event, rec.DedupKey
	channel := map[string]any{"type": "api", "service_key": rec.RoutingKey, "incident_key": dedup}
	switch rec.EventAction {
	case "trigger":
		if open != nil {
			return OutcomeDeduplicated, open.incidentID, open.id
		}
		if svc.disabled {
			return OutcomeSuppressedDisabled, "", ""
		}
		if st.inMaintenance(svc, now) {
			return OutcomeSuppressedMaintenance, "", ""
		}
		summary, _ := payload["summary"].(string)
		severity, _ := payload["severity"].(string)
		channel["summary"] = summary
		channel["description"] = summary
		channel["details"] = payload["custom_details"]
		if channel["details"] == nil {
			channel["details"] = map[string]any{}
		}
		channel["cef_details"] = payload
		for _, k := range []string{"client", "client_url"} {
			if v, ok := ev[k]; ok {
				channel[k] = v
			}
		}
		inc := st.groupingTarget(svc, now)
		var logID string
		if inc == nil {
			inc = st.trigger(svc, svc.epID, summary, "", svc.urgencyFor(severity), agent, channel, now)
			logID = inc.firstTriggerLogID
			if _, grouped := svc.groupingTimeout(); grouped {
				svc.groupingIncidentID = inc.id
			}
		} else {
			le := st.addLog(inc, "trigger_log_entry", agent, channel, "Alert added through the API.", now)
			le.eventDetails = map[string]string{"description": summary}
			logID = le.id
		}
		a := st.newAlert(inc, rec.RoutingKey, dedup, integ, severity, summary, payload["custom_details"], logID, now)
		return OutcomeTriggered, inc.id, a.id
	case "acknowledge":
		inc := st.incidentsByID[open.incidentID]
		if inc.status != "triggered" {
			return OutcomeIgnored, inc.id, open.id
		}
		channel["summary"] = "Acknowledged through the Events API"
		st.acknowledge(inc, agent, channel, now)
		return OutcomeAcknowledged, inc.id, open.id
	default: // resolve
		channel["summary"] = "Resolved through the Events API"
		st.resolveAlertAs(open, agent, channel, now)
		return OutcomeResolved, open.incidentID, open.id
	}
}

func (s *Server) handleChangeEnqueue(w http.ResponseWriter, r *http.Request) {
	ev, ok := readEvent(w, r)
	if !ok {
		return
	}
	key, errs := checkRoutingKey(ev["routing_key"])
	p, isObj := ev["payload"].(map[string]any)
	var summary, source string
	if !isObj {
		errs = append(errs, "'payload' is missing or blank")
	} else {
		summary = checkString(p, "summary", "payload.summary", true, maxSummaryLen, &errs)
		source = checkString(p, "source", "payload.source", false, 0, &errs)
		checkTimestamp(p, "payload.timestamp", &errs)
	}
	checkLinks(ev, &errs)
	if len(errs) > 0 {
		eventsError(w, errs)
		return
	}
	s.mu.Lock()
	integ, orchInteg := s.st.integrationsByKey[key], s.st.orchByKey[key]
	if integ == nil && orchInteg == nil {
		s.mu.Unlock()
		eventsError(w, []string{"Invalid routing key"})
		return
	}
	// Change events count against the same per-key limit as alert events.
	if s.eventsLimited(key, s.now()) {
		s.mu.Unlock()
		writeEventsThrottled(w)
		return
	}
	ce := ChangeEvent{ReceivedAt: s.now(), RoutingKey: key, Summary: summary, Source: source, CustomDetails: p["custom_details"], Event: ev}
	ce.Timestamp, _ = p["timestamp"].(string)
	ce.Links, _ = ev["links"].([]any)
	ce.Images, _ = ev["images"].([]any)
	if integ != nil {
		ce.ServiceID = integ.serviceID
	} else {
		ce.OrchestrationID = orchInteg.orchID
	}
	s.st.changeEvents = appendBounded(s.st.changeEvents, ce)
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Change event processed"})
}
