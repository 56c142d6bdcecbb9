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

// closed is ZepConstants.CLOSED_STATUSES: Closed, Cleared and Aged.
func (s Status) closed() bool {
	return s == StatusClosed || s == StatusCleared || s == StatusAged
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

// Occurrence is one event as a monitoring daemon (or add_event) sends it,
// after zeneventd's pipeline. It re-occurs into the live event that holds
// its dedupid (an open or aged one), if there is one.
type Occurrence struct {
	Device    string
	Component string
	// Summary defaults to the first 255 characters of Message, and Message
	// to Summary (zeneventd's CheckInputPipe).
	Summary  string
	Message  string
	Severity Severity
	// EventClass defaults to "/Unknown".
	EventClass    string
	EventClassKey string
	EventKey      string
	Agent         string
	Monitor       string
	// DedupID defaults to Zenoss's fingerprint (zeneventd's FingerprintPipe):
	// device|component|eventClass|eventKey|severity, or
	// device|component|eventClass|severity|summary without an event key.
	DedupID string
	// DeviceClass (e.g. "/Server/Linux") puts the device in the model: it
	// gets a uid and uuid, and the detail zenoss.device.device_class.
	DeviceClass string
	Details     map[string]string
	// Status is the status zeneventd gives the occurrence: New (the zero
	// value), or what a transform or suppression set (Suppressed,
	// Acknowledged, Closed); Dropped drops it.
	Status Status
	// ClearClasses are the event class's zEventClearClasses: a Clear
	// occurrence clears events of these classes as well as of its own.
	ClearClasses []string
	// Time is when the occurrence was created (rcvtime); zero means now.
	// An occurrence older than the event's lastTime only adds to its count
	// and details (EventSummaryDaoImpl.merge).
	Time time.Time
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
	// Archived events have moved to the event archive: query lists them
	// only with archive (or queryArchive), state changes no longer find
	// them, and detail, write_log and updateDetails still work.
	Archived   bool
	ArchivedAt time.Time
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
	archivedAt                   int64  // 0: live (in event_summary)
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
		Archived: e.archived(),
	}
	if e.archived() {
		out.ArchivedAt = msTime(e.archivedAt)
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

func (e *event) archived() bool { return e.archivedAt != 0 }

// holdsFingerprint reports whether the event holds its dedupid's live
// fingerprint hash, so that occurrences de-duplicate into it and no other
// event with that dedupid can be reopened. ZEP gives an event a unique
// hash when it is closed or cleared (EventSummaryDaoImpl.update), but aging
// leaves the hash alone (EventSummaryDaoImpl.ageEvents), and archiving
// moves the row out of event_summary.
func (e *event) holdsFingerprint() bool {
	return !e.archived() && (e.status.open() || e.status == StatusAged)
}

// setStatus is a status change as EventSummaryDaoImpl.update makes it:
// stateChange moves, and New, Acknowledged, Closed and Cleared get an
// audit line by the user (empty for ZEP's own changes, e.g. a clear).
// Every status but Acknowledged clears the owner, except that Closed and
// Cleared keep it (their UPDATE does not set current_user_name).
func (e *event) setStatus(st Status, user string, now int64) {
	e.status = st
	e.changed = now
	if st.audited() {
		e.log = append(e.log, note{user: user, ms: now, message: "state changed to " + st.String()})
	}
	if st == StatusNew || st == StatusSuppressed {
		e.ownerid = ""
	}
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// The state machine, after ZEP's EventSummaryDaoImpl (acknowledge, close,
// reopen, which all go through update). Each returns whether the event
// was updated. The caller holds s.mu; archived events never get here.

// acknowledge: NEW | ACKNOWLEDGED | SUPPRESSED -> ACKNOWLEDGED, except that
// a re-acknowledge by the same user is a no-op. One by another user is a
// full update: new owner, stateChange and an audit line.
func (s *Server) acknowledge(e *event, user string, now int64) bool {
	if !e.status.open() || (e.status == StatusAcknowledged && e.ownerid == user) {
		return false
	}
	e.ownerid = user
	e.setStatus(StatusAcknowledged, user, now)
	return true
}

// close: NEW | ACKNOWLEDGED | SUPPRESSED -> CLOSED.
func (s *Server) close(e *event, user string, now int64) bool {
	if !e.status.open() {
		return false
	}
	e.setStatus(StatusClosed, user, now)
	return true
}

// reopen: CLOSED | CLEARED | AGED | ACKNOWLEDGED | SUPPRESSED -> NEW. The
// event takes back its true fingerprint hash; while another event holds
// it (an open or an aged one) the UPDATE hits a duplicate key, which ZEP
// swallows: nothing happens, updated 0.
func (s *Server) reopen(e *event, user string, now int64) bool {
	switch e.status {
	case StatusClosed, StatusCleared, StatusAged, StatusAcknowledged, StatusSuppressed:
	default:
		return false
	}
	if h := s.fingerprintHolder(e.dedupid); h != nil && h != e {
		return false
	}
	e.setStatus(StatusNew, user, now)
	return true
}

// fingerprintHolder is the live event holding dedupid's fingerprint hash.
func (s *Server) fingerprintHolder(dedupid string) *event {
	for _, e := range s.order {
		if e.dedupid == dedupid && e.holdsFingerprint() {
			return e
		}
	}
	return nil
}

// occur stores an occurrence as zeneventd and ZEP would, and returns the
// evid it landed in, or "" if it was dropped.
func (s *Server) occur(o Occurrence, now int64) string {
	// zeneventd's CheckInputPipe: summary and message fill each other.
	switch {
	case o.Message == "" && o.Summary != "":
		o.Message = o.Summary
	case o.Summary == "" && o.Message != "":
		o.Summary = truncateRunes(o.Message, 255)
	}
	if o.EventClass == "" {
		o.EventClass = "/Unknown"
	}
	if o.DedupID == "" {
		o.DedupID = fingerprint(o)
	}
	created := now
	if !o.Time.IsZero() {
		created = o.Time.UnixMilli()
	}
	details := map[string][]string{}
	for k, v := range o.Details {
		details[k] = []string{v}
	}
	if o.DeviceClass != "" {
		details[deviceClassDetail] = []string{o.DeviceClass}
	}

	switch {
	case o.Status == StatusDropped:
		return ""
	case o.Severity == SeverityClear:
		return s.clear(o, details, created, now)
	case o.Status.closed():
		// A closed occurrence gets a unique fingerprint hash: always a new
		// row, never de-duplicated (EventSummaryDaoImpl.create).
		return s.newEvent(o, details, created).evid
	}
	if e := s.fingerprintHolder(o.DedupID); e != nil {
		s.merge(e, o, details, created)
		return e.evid
	}
	return s.newEvent(o, details, created).evid
}

// fingerprint is zeneventd's FingerprintPipe: device, component,
// eventClass, eventKey and severity, or without an event key device,
// component, eventClass, severity and summary.
func fingerprint(o Occurrence) string {
	sev := strconv.Itoa(int(o.Severity))
	if o.EventKey == "" {
		return strings.Join([]string{o.Device, o.Component, o.EventClass, sev, o.Summary}, "|")
	}
	return strings.Join([]string{o.Device, o.Component, o.EventClass, o.EventKey, sev}, "|")
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// merge de-duplicates an occurrence into the event holding its
// fingerprint, as EventSummaryDaoImpl.merge does: the count grows; an
// occurrence at or after lastTime also rewrites lastTime, severity, class,
// keys, agent, monitor, summary and message, merges its details over the
// event's, and moves the status to the occurrence's (New, Suppressed, ...,
// which revives an aged event under its own evid), except that an
// acknowledged event stays acknowledged. No audit line is written.
func (s *Server) merge(e *event, o Occurrence, details map[string][]string, created int64) {
	e.count++
	e.firstTime = min(e.firstTime, created)
	if created < e.lastTime {
		// An older occurrence: only details the event lacks are added.
		for k, v := range details {
			if _, ok := e.details[k]; !ok {
				e.details[k] = v
			}
		}
		return
	}
	e.lastTime = created
	e.severity, e.eventClass, e.summary, e.message = o.Severity, o.EventClass, o.Summary, o.Message
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&e.eventClassKey, o.EventClassKey}, {&e.eventKey, o.EventKey}, {&e.agent, o.Agent}, {&e.monitor, o.Monitor},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	maps.Copy(e.details, details)
	sticky := e.status == StatusAcknowledged && (o.Status == StatusNew || o.Status == StatusSuppressed)
	if !sticky && e.status != o.Status {
		e.status, e.changed = o.Status, created
	}
}

// clear handles a Clear occurrence as EventSummaryDaoImpl.create and
// clearEvents do: it clears the live open events whose clear fingerprint
// (device|component|eventClass|eventKey, EventDaoUtils.DEFAULT_GENERATOR)
// matches one of its clear classes (its own class and zEventClearClasses)
// and whose lastTime is at or before its creation. A clear that matches
// nothing is dropped; one that matches is stored Closed, and the events it
// clears become Cleared, with an audit line without a user name.
func (s *Server) clear(o Occurrence, details map[string][]string, created, now int64) string {
	classes := append([]string{o.EventClass}, o.ClearClasses...)
	var cleared []*event
	for _, e := range s.order {
		if o.Device != "" && !e.archived() && e.status.open() && e.lastTime <= created &&
			e.device == o.Device && e.component == o.Component && e.eventKey == o.EventKey &&
			slices.Contains(classes, e.eventClass) {
			cleared = append(cleared, e)
		}
	}
	if len(cleared) == 0 {
		return ""
	}
	o.Status = StatusClosed
	ce := s.newEvent(o, details, created)
	for _, e := range cleared {
		e.clearid = ce.evid
		e.setStatus(StatusCleared, "", now)
	}
	return ce.evid
}

func (s *Server) newEvent(o Occurrence, details map[string][]string, created int64) *event {
	s.seq++
	e := &event{
		evid:    fmt.Sprintf("0242ac11-0002-8%03x-11ee-%012x", (s.seq>>48)&0xfff, s.seq&0xffffffffffff),
		dedupid: o.DedupID, device: o.Device, component: o.Component,
		eventClass: o.EventClass, eventClassKey: o.EventClassKey, eventKey: o.EventKey,
		agent: o.Agent, monitor: o.Monitor, severity: o.Severity, summary: o.Summary,
		message: o.Message, status: o.Status, firstTime: created, lastTime: created, changed: created, count: 1,
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
