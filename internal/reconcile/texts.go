package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Markers make every line and note the engine writes recognisable, so it
// is written once: "[pd:<log entry id>]" ends an event log line copied from
// PagerDuty, "[pdbridge:<what>:<key>]" everything else. Consoles may
// rewrite the text around them (Zenoss wraps log messages in HTML), never
// the marker itself; lines that carry one are never copied back.

func pdMarker(logEntryID string) string { return "[pd:" + logEntryID + "]" }

func marker(parts ...string) string { return "[pdbridge:" + strings.Join(parts, ":") + "]" }

func unix(t time.Time) string { return fmt.Sprint(t.Unix()) }

// isEngineText reports whether a log line or note was written by a sync.
func isEngineText(text string) bool {
	return strings.Contains(text, "[pdbridge:") || strings.Contains(text, "[pd:")
}

func logHas(log []source.LogEntry, m string) bool {
	for _, l := range log {
		if strings.Contains(l.Text, m) {
			return true
		}
	}
	return false
}

func notesHave(notes []pagerduty.Note, m string) bool {
	for _, n := range notes {
		if strings.Contains(n.Content, m) {
			return true
		}
	}
	return false
}

// noteMarker names an event note by what it is, not by where it is: the
// author, the time and the text as the console returns it.
func noteMarker(l source.LogEntry) string {
	h := sha256.Sum256([]byte(l.Author + "\x00" + unix(l.Time) + "\x00" + strings.TrimSpace(l.Text)))
	return marker("note", hex.EncodeToString(h[:6]))
}

// stamp renders a time for a log line: UTC, so that no daylight-saving
// change re-renders (and re-posts) a line.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// The custom_details key under which a trigger says which sync and event
// sent it; PagerDuty keeps it on the first trigger log entry, so the open
// incidents listing says which incidents are this sync's.
const detailsKey = "pdbridge"

// origin is what an incident's first trigger says about the event behind it.
type origin struct {
	Source, EventID, Signature, Flood string
}

func originOf(inc pagerduty.Incident) (origin, bool) {
	if inc.FirstTrigger == nil {
		return origin{}, false
	}
	m, ok := inc.FirstTrigger.Details[detailsKey].(map[string]any)
	if !ok {
		return origin{}, false
	}
	str := func(k string) string { v, _ := m[k].(string); return v }
	o := origin{Source: str("source"), EventID: str("event_id"), Signature: str("signature"), Flood: str("flood")}
	return o, o.Source != "" && o.EventID != ""
}

func (o origin) details() map[string]any {
	m := map[string]any{"source": o.Source, "event_id": o.EventID, "signature": o.Signature}
	if o.Flood != "" {
		m["flood"] = o.Flood
	}
	return m
}

// pdSeverity maps the common scale onto the Events API's four values.
func pdSeverity(s source.Severity) string {
	switch s {
	case source.SeverityCritical:
		return "critical"
	case source.SeverityError:
		return "error"
	case source.SeverityWarning:
		return "warning"
	}
	return "info"
}

func eventData(sourceName string, e source.Event) EventData {
	return EventData{Source: sourceName, ID: e.ID, DedupID: e.DedupID, Device: e.Device, Component: e.Component,
		EventClass: e.EventClass, Severity: e.Severity.String(), Summary: e.Summary, Details: e.Details}
}

func render(t *template.Template, d EventData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return b.String(), nil
}

// Events API limits (Events API v2 docs).
const (
	maxSummary  = 1024
	maxDedupKey = 255
)

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// outgoing is an event as routing sees it and PagerDuty receives it.
func (s Settings) outgoing(e source.Event) (routing.Event, error) {
	key, err := render(s.DedupKey, eventData(s.Source, e))
	if err != nil {
		return routing.Event{}, fmt.Errorf("dedup_key_template: %w", err)
	}
	if key == "" || len(key) > maxDedupKey {
		return routing.Event{}, fmt.Errorf("dedup_key_template gives a key of %d characters for event %s; PagerDuty takes 1 to %d", len(key), e.ID, maxDedupKey)
	}
	details := map[string]any{}
	for k, v := range e.Details {
		details[k] = v
	}
	for k, v := range map[string]string{"event_id": e.ID, "dedup_id": e.DedupID, "device": e.Device, "component": e.Component,
		"event_class": e.EventClass, "device_class": e.DeviceClass, "message": e.Message} {
		if v != "" {
			details[k] = v
		}
	}
	if e.Count > 0 {
		details["count"] = fmt.Sprint(e.Count)
	}
	if e.URL != "" {
		details["event_url"] = e.URL
	}
	src := e.Device
	if src == "" {
		src = s.Source
	}
	summary := e.Summary
	if strings.TrimSpace(summary) == "" {
		summary = "No summary provided."
	}
	ev := routing.Event{DedupKey: key, Summary: truncate(summary, maxSummary), Severity: pdSeverity(e.Severity), Source: src,
		Component: e.Component, Group: e.DeviceClass, Class: e.EventClass, CustomDetails: details}
	if !e.FirstSeen.IsZero() {
		ev.Timestamp = e.FirstSeen.UTC().Format(time.RFC3339)
	}
	return ev, nil
}

// floodKey is the event's suppression group, "" when it is exempt (no
// device, IncidentManagement 3.0.4) or suppression is off.
func (s Settings) floodKey(e source.Event) (string, error) {
	if s.Suppression == nil || strings.TrimSpace(e.Device) == "" {
		return "", nil
	}
	k, err := render(s.Suppression.DedupFormat, eventData(s.Source, e))
	if err != nil {
		return "", fmt.Errorf("suppression.dedup_format: %w", err)
	}
	return k, nil
}

// incidentText names an incident in a line: its number, title and page.
func incidentText(inc pagerduty.Incident) string {
	name := "PagerDuty incident " + inc.ID
	if inc.Number > 0 {
		name = fmt.Sprintf("PagerDuty incident #%d", inc.Number)
	}
	if inc.HTMLURL != "" {
		name += " (" + inc.HTMLURL + ")"
	}
	return name
}

func serviceText(svc pagerduty.Service, id string) string {
	name := "service " + id
	if svc.Name != "" {
		name = "service " + svc.Name
	}
	if svc.HTMLURL != "" {
		name += " (" + svc.HTMLURL + ")"
	}
	return name
}

func agentText(r pagerduty.Reference) string {
	name := r.Summary
	if name == "" {
		name = r.ID
	}
	if name == "" {
		return "PagerDuty"
	}
	if r.HTMLURL != "" && strings.HasPrefix(r.Type, "user") {
		name += " (" + r.HTMLURL + ")"
	}
	return name
}

// logLine renders a PagerDuty log entry for the event's log, as the
// ZenPack did (who, through what, when), or "" for entries not copied.
func logLine(le pagerduty.LogEntry, inc pagerduty.Incident) string {
	when := stamp(le.CreatedAt)
	via := le.ChannelType
	if via == "" {
		via = "PagerDuty"
	}
	var text string
	switch le.Type {
	case "acknowledge_log_entry":
		text = fmt.Sprintf("Acknowledged by %s via %s at %s", agentText(le.Agent), via, when)
	case "unacknowledge_log_entry":
		text = fmt.Sprintf("Unacknowledged due to %s at %s", via, when)
	case "resolve_log_entry":
		text = fmt.Sprintf("Resolved by %s via %s at %s", agentText(le.Agent), via, when)
		if le.Note != "" {
			text += ": " + le.Note
		}
	case "assign_log_entry", "escalate_log_entry":
		var names []string
		for _, a := range le.Assignees {
			names = append(names, agentText(a))
		}
		verb := "Assigned"
		if le.Type == "escalate_log_entry" {
			verb = "Escalated"
		}
		text = fmt.Sprintf("%s to %s by %s at %s", verb, strings.Join(names, ", "), agentText(le.Agent), when)
	case "notify_log_entry":
		n := le.Notification
		target := n.Address
		if target == "" {
			target = agentText(le.User)
		}
		status := n.Status
		if status == "" {
			status = "sent"
		}
		text = fmt.Sprintf("Notification to %s via %s was a %s at %s", target, firstNonEmpty(n.Type, via), status, when)
	case "annotate_log_entry":
		note := firstNonEmpty(le.Note, le.ChannelSummary)
		text = fmt.Sprintf("%q - note by %s at %s", note, agentText(le.Agent), when)
	default:
		return ""
	}
	return text + " on " + incidentText(inc) + " " + pdMarker(le.ID)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
