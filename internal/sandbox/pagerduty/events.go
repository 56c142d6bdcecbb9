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
	OutcomeTriggered             = "triggered"              // a new incident was opened
	OutcomeDeduplicated          = "deduplicated"           // added to the open incident with the same dedup_key
	OutcomeAcknowledged          = "acknowledged"           // the open incident was acknowledged
	OutcomeResolved              = "resolved"               // the open incident was resolved
	OutcomeIgnored               = "ignored"                // acknowledge/resolve with nothing to act on
	OutcomeSuppressedMaintenance = "suppressed_maintenance" // trigger while the service is in maintenance
	OutcomeSuppressedDisabled    = "suppressed_disabled"    // trigger while the service is disabled
	OutcomeUnrouted              = "unrouted"               // orchestration routed it to "unrouted" (or to a deleted service)
)

// EventRecord is an alert event accepted on /v2/enqueue and what the
// sandbox did with it.
type EventRecord struct {
	ReceivedAt      time.Time      `json:"received_at"`
	RoutingKey      string         `json:"routing_key"`
	EventAction     string         `json:"event_action"`
	DedupKey        string         `json:"dedup_key"`
	ServiceID       string         `json:"service_id,omitempty"`
	OrchestrationID string         `json:"orchestration_id,omitempty"`
	RuleID          string         `json:"rule_id,omitempty"` // the router rule that matched, if any
	IncidentID      string         `json:"incident_id,omitempty"`
	Outcome         string         `json:"outcome"`
	Event           map[string]any `json:"event"` // the event as received
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

// Events returns the alert events accepted so far (the latest 10,000).
func (s *Server) Events() []EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.events)
}

// UnroutedEvents returns the accepted alert events that an orchestration
// sent to "unrouted", which create no incident.
func (s *Server) UnroutedEvents() []EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	st := s.st
	integ, orchInteg := st.integrationsByKey[key], st.orchByKey[key]
	if integ == nil && orchInteg == nil {
		s.mu.Unlock()
		eventsError(w, []string{"Invalid routing key"})
		return
	}
	rec := EventRecord{ReceivedAt: s.now(), RoutingKey: key, EventAction: action, DedupKey: dedup, Event: ev}
	var agent ref
	var svc *service
	if integ != nil {
		svc = st.services[integ.serviceID]
		agent = ref{ID: integ.id, Type: "integration_reference", Summary: integ.name, Path: integ.path(), HTMLPath: integ.path()}
	} else {
		rec.OrchestrationID = orchInteg.orchID
		alertKey := dedupIndexKey(key, dedup)
		if inc := st.orchAlerts[alertKey]; inc != nil && inc.open() {
			svc = st.services[inc.serviceID]
		} else if action == "trigger" {
			var serviceID string
			serviceID, rec.RuleID = st.route(st.orchestrations[orchInteg.orchID], ev, payload)
			svc = st.services[serviceID]
		} else {
			rec.Outcome = OutcomeIgnored // acknowledge/resolve for no open alert of this key
		}
		if svc != nil {
			agent = svc.ref()
		}
	}
	switch {
	case rec.Outcome != "":
	case svc == nil:
		rec.Outcome = OutcomeUnrouted
	default:
		rec.ServiceID = svc.id
		rec.Outcome, rec.IncidentID = st.applyAlertEvent(svc, action, dedup, payload, ev, agent, rec.ReceivedAt)
		if orchInteg != nil && rec.IncidentID != "" {
			st.orchAlerts[dedupIndexKey(key, dedup)] = st.incidentsByID[rec.IncidentID]
		}
	}
	st.events = appendBounded(st.events, rec)
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": dedup})
}

// applyAlertEvent applies an event to the open alert (incident) with the
// same dedup key on svc. A trigger with an open key is de-duplicated into
// that incident; otherwise it opens a new one unless the service is
// disabled or in maintenance. Acknowledge and resolve with no open
// incident do nothing.
func (st *state) applyAlertEvent(svc *service, action, dedup string, payload, ev map[string]any, agent ref, now time.Time) (outcome, incidentID string) {
	inc := st.openByKey[dedupIndexKey(svc.id, dedup)]
	channel := map[string]any{"type": "api", "service_key": ev["routing_key"], "incident_key": dedup}
	switch action {
	case "trigger":
		if inc != nil {
			inc.alertsTriggered++
			inc.updatedAt = now
			return OutcomeDeduplicated, inc.id
		}
		if svc.disabled {
			return OutcomeSuppressedDisabled, ""
		}
		if st.inMaintenance(svc, now) {
			return OutcomeSuppressedMaintenance, ""
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
		inc = st.trigger(svc, svc.epID, summary, dedup, svc.urgencyFor(severity), agent, channel, now, 1)
		return OutcomeTriggered, inc.id
	case "acknowledge":
		if inc == nil || inc.status != "triggered" {
			return OutcomeIgnored, idOf(inc)
		}
		channel["summary"] = "Acknowledged through the Events API"
		st.acknowledge(inc, agent, channel, now)
		return OutcomeAcknowledged, inc.id
	default: // resolve
		if inc == nil {
			return OutcomeIgnored, ""
		}
		channel["summary"] = "Resolved through the Events API"
		st.resolve(inc, agent, channel, "", now)
		return OutcomeResolved, inc.id
	}
}

func idOf(inc *incident) string {
	if inc == nil {
		return ""
	}
	return inc.id
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
