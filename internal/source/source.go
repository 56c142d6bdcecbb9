// Package source defines what pdbridge needs from an event console (Zenoss,
// Icinga 2, Alertmanager, ...) and nothing more: the sync engine reconciles
// PagerDuty incidents with any console through the Source interface, knowing
// nothing of the console behind it. Adapters live in subpackages
// (source/zenoss, source/icinga2, source/alertmanager); source/sourcetest
// is the conformance suite every adapter passes.
//
// # The contract
//
// Times. Every time an adapter returns is in UTC, converted from whatever
// the console speaks (local wall-clock strings, epoch seconds, epoch
// milliseconds). Event.StatusChanged is the time the status last changed,
// not the time of the last occurrence: it is what "the side that changed
// last wins" compares. Capabilities.TimePrecision says how fine it is.
//
// Listing. List returns the events that matter to a sync pass: every open
// event, plus, when ListOptions.ChangedSince is set, closed events whose
// status changed at or after it. Results come in pages; pass Page.Next back
// as ListOptions.Cursor (with the same other options) until it is empty. A
// listing is not a snapshot: an event that changes while pages are read may
// appear twice (the later copy is newer) or be missed until the next
// listing, so absence from a listing is never evidence that an event is
// gone (Get it), and the next pass should use ChangedSince at or before
// Page.AsOf, the console's own clock when the listing began. Listed events
// carry no log; Get returns one event with its log.
//
// Writes. Acknowledge, Close and Reopen are idempotent: asking for the
// status an event already has succeeds and reports changed == false. When
// the console declines a transition (Zenoss's reopen that silently does
// nothing while another open or aged event has the same dedupid, an
// acknowledge of a closed event) the error is a *RefusedError, which
// matches ErrRefused: the caller should record it once, not retry it every
// pass. A console may archive closed events (Zenoss does, days after their
// last occurrence): an archived event is still listed by ChangedSince,
// read by Get and takes AppendLog and SetIncidentRef, but its status is
// final, and a transition away from it is a *RefusedError whose Reason
// says so and whose ConflictID is empty. SetIncidentRef
// is idempotent. AppendLog is not: a retried request may add a line twice,
// so callers put a stable marker in the text and look for it in the log
// before writing. An event that does not exist gives an error matching
// ErrNotFound; an operation the console cannot do gives ErrUnsupported.
// A transition made to follow a PagerDuty incident carries it in its
// context (WithIncident), for consoles that keep a text with the change:
// an Icinga 2 acknowledgement's comment, an Alertmanager silence's.
//
// Capabilities describe what a console cannot do, so the engine can plan
// around it instead of failing: an Alertmanager has no log and nowhere to
// keep the reference (its acknowledgement is a silence), an Icinga 2
// problem cannot be reopened and closes only when its check is passive, a
// Zenoss 4.x server has nowhere to keep the incident reference.
package source

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Source is one event console.
type Source interface {
	// Kind names the console type, e.g. "zenoss".
	Kind() string
	// Capabilities reports what this console (and version) supports.
	Capabilities() Capabilities
	// List returns one page of the open events and, with ChangedSince, of
	// the closed ones whose status changed since then.
	List(ctx context.Context, opts ListOptions) (Page, error)
	// Get returns one event with its log.
	Get(ctx context.Context, id string) (Event, error)
	// Acknowledge moves an open event to acknowledged.
	Acknowledge(ctx context.Context, id string) (changed bool, err error)
	// Close closes an event.
	Close(ctx context.Context, id string) (changed bool, err error)
	// Reopen moves an acknowledged or closed event back to new. Consoles may
	// refuse (a *RefusedError); see Capabilities.Unacknowledge and Reopen.
	Reopen(ctx context.Context, id string) (changed bool, err error)
	// AppendLog adds a line to the event's log, as the adapter's user.
	AppendLog(ctx context.Context, id, text string) error
	// SetIncidentRef writes the PagerDuty incident reference onto the event,
	// where List and Get read it back as Event.Ref. A zero ref clears it.
	SetIncidentRef(ctx context.Context, id string, ref IncidentRef) error
}

type incidentKey struct{}

// WithIncident returns ctx carrying the PagerDuty incident (its IncidentID
// and URL) that a transition made with it follows.
func WithIncident(ctx context.Context, ref IncidentRef) context.Context {
	return context.WithValue(ctx, incidentKey{}, ref)
}

// IncidentFrom returns the incident WithIncident put in ctx, if any.
func IncidentFrom(ctx context.Context) (IncidentRef, bool) {
	ref, ok := ctx.Value(incidentKey{}).(IncidentRef)
	return ref, ok && ref.IncidentID != ""
}

// Capabilities describe what a console supports. The zero value supports
// nothing; adapters set what their console can do.
type Capabilities struct {
	// Acknowledge: open events can be acknowledged.
	Acknowledge bool
	// Unacknowledge: Reopen turns an acknowledged event back to new.
	Unacknowledge bool
	// Close: events can be closed from outside.
	Close bool
	// Reopen: Reopen turns a closed event back to new. The console may still
	// refuse a particular event (Zenoss does while another open or aged event
	// has the same dedupid, and once the event is archived).
	Reopen bool
	// AppendLog: lines can be added to an event's log.
	AppendLog bool
	// IncidentRef: the incident reference can be stored on the event.
	IncidentRef bool
	// ListClosed: closed events stay visible, so ChangedSince lists them and
	// Get reads them. Without it a closed event vanishes and Get reports
	// ErrNotFound, which then means "closed".
	ListClosed bool
	// NewIDOnRecurrence: a problem that recurs after its event was closed
	// gets a new event ID; relate occurrences through the DedupID. (Zenoss:
	// after a close or a clear; an aged event comes back under its own ID.)
	NewIDOnRecurrence bool
	// TimePrecision is the resolution of StatusChanged (e.g. a second for
	// consoles that report whole-second strings).
	TimePrecision time.Duration
}

// ListOptions select a page of events.
type ListOptions struct {
	// ChangedSince, when set, adds closed events whose status changed at or
	// after it. The zero time lists open events only.
	ChangedSince time.Time
	// MinSeverity drops less severe events; the zero value keeps all.
	MinSeverity Severity
	// PageSize bounds the events in one page; 0 lets the adapter choose.
	PageSize int
	// Cursor continues a listing from Page.Next; empty starts one.
	Cursor string
}

// Page is one page of a listing.
type Page struct {
	Events []Event
	// Next continues the listing; empty when this is the last page.
	Next string
	// AsOf is the console's clock when the listing began (the same on every
	// page of it), in UTC; zero if the console does not say.
	AsOf time.Time
}

// Event is one console event, normalised.
type Event struct {
	// ID is the console's identifier for this event (Zenoss evid).
	ID string

	// Dedup key material.

	// DedupID is the console's fingerprint: stable across occurrences of the
	// same problem, even when the problem recurs under a new ID.
	DedupID     string
	Device      string
	Component   string
	EventClass  string
	DeviceClass string
	Severity    Severity
	Summary     string
	Message     string
	// Details are the console's extra fields; multiple values are joined
	// with ", ". The incident reference is not repeated here (see Ref).
	Details map[string]string

	// Status and its history.

	Status Status
	// NativeStatus is the console's own name for the status (Zenoss
	// "Suppressed", "Cleared", "Aged"...), for policies that must tell a
	// human close from an automatic one.
	NativeStatus string
	// StatusChanged is when Status last changed, in UTC.
	StatusChanged time.Time
	// AcknowledgedBy is the console user who acknowledged the event, if any.
	AcknowledgedBy string
	FirstSeen      time.Time
	LastSeen       time.Time
	// Count is the number of occurrences.
	Count int

	// URL opens the event in the console, when the adapter can tell.
	URL string
	// Maintenance, when set, says the console holds the event's object in
	// maintenance (an Icinga 2 downtime), and names it.
	Maintenance string

	// Log is the event's log, oldest first; only Get fills it.
	Log []LogEntry
	// Ref is the PagerDuty incident reference read back from the event.
	Ref IncidentRef
}

// LogEntry is one line of an event's log, as plain text.
type LogEntry struct {
	Author string
	Time   time.Time
	Text   string
	// Audit marks lines the console wrote itself about a status change
	// ("state changed to Acknowledged"), as opposed to notes.
	Audit bool
}

// IncidentRef ties an event to the PagerDuty incident that represents it.
// The sync engine keeps nothing between runs: what it must remember about a
// pair lives here, on the event.
type IncidentRef struct {
	IncidentID  string
	URL         string
	Created     time.Time
	ConnectorID string
	// DedupKey is the Events API dedup key the event was sent with, so a
	// re-send goes through the same routing key and de-duplicates, even if
	// routing changed in between.
	DedupKey string
	// State is the engine's note of how it last left the pair (e.g.
	// "pending" before the incident exists, or the incident status it
	// last saw); adapters store it verbatim.
	State string
	// IncidentUpdated and EventChanged are the incident's updated_at and the
	// event's StatusChanged when the pair was last reconciled: watermarks
	// that let a pass skip pairs where neither side moved.
	IncidentUpdated time.Time
	EventChanged    time.Time
	// EventStatus is the event's status ("new", "acknowledged", "closed")
	// as the engine left it: a status change the engine made itself (an
	// acknowledgement on incident creation) is then not mistaken for a
	// person's on the next pass. Adapters store it verbatim.
	EventStatus string
}

// IsZero reports whether no reference is set.
func (r IncidentRef) IsZero() bool { return r == IncidentRef{} }

// Status is an event's status on the common scale.
type Status int

// Statuses. StatusUnknown is a state the adapter could not place; the
// engine should leave such events alone.
const (
	StatusUnknown Status = iota
	StatusNew
	StatusAcknowledged
	StatusClosed
)

func (s Status) String() string {
	switch s {
	case StatusNew:
		return "new"
	case StatusAcknowledged:
		return "acknowledged"
	case StatusClosed:
		return "closed"
	}
	return "unknown"
}

// Open reports whether the status is new or acknowledged.
func (s Status) Open() bool { return s == StatusNew || s == StatusAcknowledged }

// Severity is an event's severity on one scale, ordered from least to most
// severe. It follows the six Zenoss levels, which cover the others
// (PagerDuty's info, warning, error and critical are its top four).
type Severity int

// Severities. SeverityUnknown is for consoles without a severity, or a
// value the adapter could not place.
const (
	SeverityUnknown Severity = iota
	SeverityClear
	SeverityDebug
	SeverityInfo
	SeverityWarning
	SeverityError
	SeverityCritical
)

var severityNames = [...]string{"unknown", "clear", "debug", "info", "warning", "error", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name as String writes it.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if n == name {
			return Severity(i), nil
		}
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q", name)
}

// Errors shared by every adapter; match them with errors.Is.
var (
	// ErrNotFound: the console has no event with that ID.
	ErrNotFound = errors.New("event not found")
	// ErrRefused: the console declined a transition (see RefusedError).
	ErrRefused = errors.New("console refused the change")
	// ErrUnsupported: the console cannot do this (see Capabilities).
	ErrUnsupported = errors.New("not supported by this console")
	// ErrAuth: the console rejected the credentials, or the user lacks the
	// permission for the operation.
	ErrAuth = errors.New("not authorised by the console")
)

// RefusedError reports a transition the console declined.
type RefusedError struct {
	ID string
	// Op is "acknowledge", "close" or "reopen".
	Op string
	// Status is the status the event kept.
	Status Status
	// Reason says why, as far as the adapter could tell.
	Reason string
	// ConflictID is the event that blocks the change, when known (Zenoss:
	// the open or aged event with the same dedupid that blocks a reopen);
	// empty for other refusals, such as a change to an archived event.
	ConflictID string
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("%s of event %s refused, it stays %s", e.Op, e.ID, e.Status)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Is makes errors.Is(err, ErrRefused) true for a *RefusedError.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }
