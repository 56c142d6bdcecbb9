package reconcile

import (
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Snapshot is what a pass knows of both sides. The observer fills it in
// rounds: listings first, then the details the planner asks for (Missing).
type Snapshot struct {
	// Now is the engine's clock when the pass began.
	Now time.Time
	// SourceKind and Caps describe the console.
	SourceKind string
	Caps       source.Capabilities

	// Events are the console's open events and those closed within the
	// lookback, as listed (no logs).
	Events []source.Event
	// Details are events read whole (with their log), by event id.
	Details map[string]source.Event
	// Gone are events the console says do not exist (ErrNotFound).
	Gone map[string]bool

	// Open lists every open incident (with its first trigger log entry), by id.
	Open map[string]pagerduty.Incident
	// Incidents are incidents read one by one (resolved or merged ones), by id.
	Incidents map[string]pagerduty.Incident
	// Lost are incidents PagerDuty answered 404 for: not there, or not
	// visible to the token.
	Lost map[string]bool
	// ByKey are incident_key lookups: which incidents hold an alert with
	// that dedup key (ids), for keys the planner asked about.
	ByKey map[string][]string
	// Logs are incidents' log entries since the pair's watermark, oldest
	// first, by incident id.
	Logs map[string][]pagerduty.LogEntry
	// Notes are incidents' notes, by incident id.
	Notes map[string][]pagerduty.Note
	// Alerts are incidents' alerts, by incident id.
	Alerts map[string][]pagerduty.Alert

	// Services are the services routing can send to, by id, and Windows the
	// maintenance windows in force, once Loaded.Services: a pass reads them
	// only when it has an event to send or a pair to announce.
	Services map[string]pagerduty.Service
	// Windows are the maintenance windows in force.
	Windows []pagerduty.MaintenanceWindow
	// Self is the PagerDuty user the sync writes as: its log entries and
	// notes are never copied back. Read once Loaded.Self: a pass reads it
	// only when it copies an incident's log.
	Self   pagerduty.User
	Loaded struct{ Services, Self bool }
}

// NewSnapshot returns an empty snapshot at now.
func NewSnapshot(now time.Time, kind string, caps source.Capabilities) *Snapshot {
	return &Snapshot{Now: now, SourceKind: kind, Caps: caps, Details: map[string]source.Event{}, Gone: map[string]bool{},
		Open: map[string]pagerduty.Incident{}, Incidents: map[string]pagerduty.Incident{}, Lost: map[string]bool{}, ByKey: map[string][]string{},
		Logs: map[string][]pagerduty.LogEntry{}, Notes: map[string][]pagerduty.Note{}, Alerts: map[string][]pagerduty.Alert{},
		Services: map[string]pagerduty.Service{}}
}

// incident returns what is known of an incident: from the open listing, or
// read one by one. ok is false when neither has it.
func (s *Snapshot) incident(id string) (pagerduty.Incident, bool) {
	if inc, ok := s.Open[id]; ok {
		return inc, true
	}
	inc, ok := s.Incidents[id]
	return inc, ok
}

// event returns the event read whole if the pass has it, else as listed.
func (s *Snapshot) event(e source.Event) (source.Event, bool) {
	if d, ok := s.Details[e.ID]; ok {
		return d, true
	}
	return e, false
}

// Missing is what the planner needs before it can decide about some pairs;
// the observer fetches it and the planner runs again.
type Missing struct {
	Events    map[string]bool      // read whole (Get)
	Incidents map[string]bool      // read one by one
	Keys      map[string]bool      // incident_key lookups
	Logs      map[string]time.Time // log entries since
	Notes     map[string]bool
	Alerts    map[string]bool
	// Services asks for the routed services and the maintenance windows;
	// Self for the user the sync writes as.
	Services, Self bool
}

func newMissing() Missing {
	return Missing{Events: map[string]bool{}, Incidents: map[string]bool{}, Keys: map[string]bool{},
		Logs: map[string]time.Time{}, Notes: map[string]bool{}, Alerts: map[string]bool{}}
}

// Empty reports whether nothing is missing.
func (m Missing) Empty() bool {
	return len(m.Events)+len(m.Incidents)+len(m.Keys)+len(m.Logs)+len(m.Notes)+len(m.Alerts) == 0 && !m.Services && !m.Self
}

func (m Missing) log(incidentID string, since time.Time) {
	if prev, ok := m.Logs[incidentID]; !ok || since.Before(prev) {
		m.Logs[incidentID] = since
	}
}
