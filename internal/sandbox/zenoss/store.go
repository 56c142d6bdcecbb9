package zenoss

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Status is a ZEP event status, numbered as in zep.proto.
type Status int

// Event statuses. New, Acknowledged and Suppressed are open; Closed, Cleared
// and Aged are closed.
const (
	StatusNew Status = iota
	StatusAcknowledged
	StatusSuppressed
	StatusClosed
	StatusCleared
	StatusDropped
	StatusAged
)

var statusNames = [...]string{"New", "Acknowledged", "Suppressed", "Closed", "Cleared", "Dropped", "Aged"}

// String returns the name the API uses for eventState.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "Unknown"
	}
	return statusNames[s]
}

func (s Status) open() bool {
	return s == StatusNew || s == StatusAcknowledged || s == StatusSuppressed
}

// audited statuses get a "state changed to ..." line in the log (ZEP audits
// these four only).
func (s Status) audited() bool {
	return s == StatusNew || s == StatusAcknowledged || s == StatusClosed || s == StatusCleared
}

// Severity is a Zenoss severity, 0 (Clear) to 5 (Critical).
type Severity int

// Severities.
const (
	SeverityClear Severity = iota
	SeverityDebug
	SeverityInfo
	SeverityWarning
	SeverityError
	SeverityCritical
)

var severityNames = [...]string{"Clear", "Debug", "Info", "Warning", "Error", "Critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return strconv.Itoa(int(s))
	}
	return severityNames[s]
}

// Occurrence is one event as a monitoring daemon (or add_event) sends it.
// It re-occurs into the open event with the same dedupid, if there is one.
type Occurrence struct {
	Device    string
	Component string
	Summary   string
	Message   string
	Severity  Severity
	// EventClass defaults to "/Unknown".
	EventClass    string
	EventClassKey string
	EventKey      string
	Agent         string
	Monitor       string
	// DedupID defaults to Zenoss's fingerprint:
	// device|component|eventClass|eventKey|severity, plus |summary when
	// there is no event key.
	DedupID string
	// DeviceClass (e.g. "/Server/Linux") puts the device in the model: it
	// gets a uid and uuid, and the detail zenoss.device.device_class.
	DeviceClass string
	Details     map[string]string
}

// LogEntry is one line of an event's log: a note or a status audit.
type LogEntry struct {
	User    string
	Time    time.Time
	Message string
}

// Event is a snapshot of one event summary.
type Event struct {
	Evid          string
	DedupID       string
	Device        string
	Component     string
	EventClass    string
	EventClassKey string
	EventKey      string
	Agent         string
	Monitor       string
	Severity      Severity
	Summary       string
	Message       string
	Status        Status
	FirstTime     time.Time
	LastTime      time.Time
	StateChange   time.Time
	Count         int
	OwnerID       string
	ClearID       string
	Details       map[string][]string
	// Log is newest first, as Zenoss shows it.
	Log []LogEntry
}

// event is the stored form; times are epoch milliseconds, as ZEP keeps them.
type event struct {
	evid, dedupid                string
	device, component            string
	eventClass, eventClassKey    string
	eventKey, agent, monitor     string
	severity                     Severity
	summary, message             string
	status                       Status
	firstTime, lastTime, changed int64
	count                        int
	ownerid, clearid             string
	details                      map[string][]string
	log                          []note // in the order written
}

type note struct {
	user    string
	ms      int64
	message string
}

const deviceClassDetail = "zenoss.device.device_class"

func (e *event) snapshot() Event {
	out := Event{
		Evid: e.evid, DedupID: e.dedupid, Device: e.device, Component: e.component,
		EventClass: e.eventClass, EventClassKey: e.eventClassKey, EventKey: e.eventKey,
		Agent: e.agent, Monitor: e.monitor, Severity: e.severity, Summary: e.summary,
		Message: e.message, Status: e.status, FirstTime: msTime(e.firstTime),
		LastTime: msTime(e.lastTime), StateChange: msTime(e.changed), Count: e.count,
		OwnerID: e.ownerid, ClearID: e.clearid, Details: make(map[string][]string, len(e.details)),
	}
	for k, v := range e.details {
		out.Details[k] = slices.Clone(v)
	}
	for _, n := range e.newestFirst() {
		out.Log = append(out.Log, LogEntry{User: n.user, Time: msTime(n.ms), Message: n.message})
	}
	return out
}

// newestFirst returns the log sorted as the detail view shows it.
func (e *event) newestFirst() []note {
	l := slices.Clone(e.log)
	slices.Reverse(l)
	slices.SortStableFunc(l, func(a, b note) int { return cmp.Compare(b.ms, a.ms) })
	return l
}

func (e *event) setStatus(st Status, user string, now int64) {
	e.status = st
	e.changed = now
	if st.audited() {
		e.log = append(e.log, note{user: user, ms: now, message: "state changed to " + st.String()})
	}
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// The state machine, after ZEP's EventSummaryDaoImpl. Each returns whether
// the event was updated. The caller holds s.mu.

func (s *Server) acknowledge(e *event, user string, now int64) bool {
	if !e.status.open() || (e.status == StatusAcknowledged && e.ownerid == user) {
		return false
	}
	e.ownerid = user
	if e.status != StatusAcknowledged {
		e.setStatus(StatusAcknowledged, user, now)
	}
	return true
}

func (s *Server) close(e *event, user string, now int64) bool {
	if !e.status.open() {
		return false
	}
	e.setStatus(StatusClosed, user, now)
	return true
}

func (s *Server) reopen(e *event, user string, now int64) bool {
	switch {
	case e.status == StatusNew || e.status == StatusDropped:
		return false
	case !e.status.open() && s.openByDedupID(e.dedupid) != nil:
		// ZEP swallows the duplicate-key error: nothing happens, updated 0.
		return false
	}
	e.ownerid = ""
	e.setStatus(StatusNew, user, now)
	return true
}

func (s *Server) openByDedupID(dedupid string) *event {
	for _, e := range s.order {
		if e.status.open() && e.dedupid == dedupid {
			return e
		}
	}
	return nil
}

// occur stores an occurrence as zeneventd and ZEP would, and returns the
// evid it landed in.
func (s *Server) occur(o Occurrence, now int64) string {
	if o.EventClass == "" {
		o.EventClass = "/Unknown"
	}
	if o.DedupID == "" {
		parts := []string{o.Device, o.Component, o.EventClass, o.EventKey, strconv.Itoa(int(o.Severity))}
		if o.EventKey == "" {
			parts = append(parts, o.Summary)
		}
		o.DedupID = strings.Join(parts, "|")
	}
	details := map[string][]string{}
	for k, v := range o.Details {
		details[k] = []string{v}
	}
	if o.DeviceClass != "" {
		details[deviceClassDetail] = []string{o.DeviceClass}
	}

	if o.Severity == SeverityClear {
		return s.clear(o, details, now)
	}
	if e := s.openByDedupID(o.DedupID); e != nil {
		// De-duplication: only while open. The status (acknowledged too) stays.
		e.count++
		e.lastTime = now
		e.summary, e.message = o.Summary, o.Message
		maps.Copy(e.details, details)
		return e.evid
	}
	e := s.newEvent(o, details, now)
	e.status = StatusNew
	return e.evid
}

// clear closes the open events a Clear event matches (same device,
// component, event class and key) and stores the clear event itself as
// Cleared.
func (s *Server) clear(o Occurrence, details map[string][]string, now int64) string {
	ce := s.newEvent(o, details, now)
	ce.status = StatusCleared
	for _, e := range s.order {
		if e.status.open() && e.device == o.Device && e.component == o.Component &&
			e.eventClass == o.EventClass && e.eventKey == o.EventKey {
			e.clearid = ce.evid
			e.setStatus(StatusCleared, "zenoss", now)
		}
	}
	return ce.evid
}

func (s *Server) newEvent(o Occurrence, details map[string][]string, now int64) *event {
	s.seq++
	e := &event{
		evid: fmt.Sprintf("0242ac11-0002-8%03x-11ee-%012x", (s.seq>>48)&0xfff, s.seq&0xffffffffffff),
		// ZEP gives a closed summary's fingerprint a unique hash, so a
		// recurrence after close is a new summary with a new evid.
		dedupid: o.DedupID, device: o.Device, component: o.Component,
		eventClass: o.EventClass, eventClassKey: o.EventClassKey, eventKey: o.EventKey,
		agent: o.Agent, monitor: o.Monitor, severity: o.Severity, summary: o.Summary,
		message: o.Message, firstTime: now, lastTime: now, changed: now, count: 1,
		details: details,
	}
	s.events[e.evid] = e
	s.order = append(s.order, e)
	return e
}

// guid makes a stable uuid for a model object, as the device and component
// uuids of a real model are: a name-based (SHA-1) UUID of kind and name.
func guid(kind, name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("pdbridge-sandbox:zenoss/"+kind+"/"+name)).String()
}
