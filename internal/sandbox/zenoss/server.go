// Package zenoss is a stateful emulator of the Zenoss JSON API's
// EventsRouter (/zport/dmd/evconsole_router): the methods pdbridge's Zenoss
// adapter uses, with ZEP's event state machine, aging and archive, and the
// quirks a client must survive. It is a test double and a demo peer, not a
// Zenoss: it keeps no model beyond the events, and emulates only the
// filters it names (others are rejected, never silently ignored). Each
// modelled behaviour names, beside its code, the upstream file it follows
// (zenoss-prodbin, zenoss-zep, zenoss-protocols).
//
// Selecting events. acknowledge, close, reopen and the deprecated alias
// unacknowledge act on the events their evids and params select; with no
// evids, evids: [] or evids that are not a list (and no params) the filter
// is empty and they act on every live event the state machine allows, as
// zep.py's _buildRequestFilters does. asof is accepted and ignored.
//
// The state machine (ZEP's EventSummaryDaoImpl): acknowledge moves open
// events to Acknowledged (again by another user: new owner, stateChange and
// audit line; by the same user: nothing); close moves open events to
// Closed; reopen moves Acknowledged, Suppressed, Closed, Cleared and Aged
// events to New, except that it silently does nothing while another event
// holds the dedupid (an open or an aged one). Occurrences de-duplicate into
// the event holding their dedupid: count+1, and a newer occurrence rewrites
// severity, class, keys, agent, summary and message and moves the status
// (Suppressed <-> New, Aged -> New under the same evid; Acknowledged
// stays). A closed or cleared event gives the dedupid up, so a recurrence
// gets a new evid. A Clear occurrence clears the open events of its device,
// component and event key whose class is one of its clear classes and
// whose lastTime is not after it; it is stored Closed, or dropped if it
// clears nothing.
//
// Aging and archiving run on the server's clock (Options.Now), every
// SweepInterval from New: events below Error with no occurrence for
// AgeInterval (240 minutes) become Aged, and Closed, Cleared and Aged
// events last seen ArchiveInterval (4,320 minutes) ago move to the archive,
// within a SweepInterval (a minute) either way. Archived events are listed
// only by query with archive: true (or queryArchive), no state change finds
// them (total 0), and detail, write_log and updateDetails still work.
//
// Defaults: dedupid is device|component|eventClass|eventKey|severity, or
// device|component|eventClass|severity|summary without an event key; the
// message defaults to the summary; query with limit 0 returns no events
// and the real totalCount; empty eventState and severity lists filter
// nothing.
//
// Envelope and versions: method exceptions answer HTTP 200 with
// {"success": false, "type": "exception", "msg": "<Class>: <text>"} (a
// DirectResponse.fail, such as updateDetails of a missing evid, has type
// "error"); unknown query parameters are rejected; a malformed time range
// is silently ignored; Content-Type must be application/json (5.x on);
// bad credentials redirect to the login form, which answers 200 with HTML;
// add_event returns no evid; write_log stores clean_html(message) from
// 5.0; updateDetails (from 5.0) answers status "204". Timestamps are local
// strings (4.x), float seconds (5.x, 6.x); log times are local strings up
// to 5.2 and integer milliseconds from 5.3 (Options.Minor).
//
// Driving it from a test: give Options.Now a settable clock, add events
// with AddEvent, act as a console user with Acknowledge, Close and Reopen,
// and move the clock instead of sleeping. An event last seen at T is Aged
// by T + AgeInterval + SweepInterval, and a closed event by T +
// ArchiveInterval + SweepInterval is archived; Event and Events report
// Status, Archived and ArchivedAt. SetStatus forces a status as ZEP's own
// processes would.
package zenoss

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
)

// Version is the Zenoss major version to emulate: 4, 5 or 6 (Options.Minor
// refines it where a minor release changed what a client sees).
type Version int

// Versions.
const (
	Version4 Version = 4
	Version5 Version = 5
	Version6 Version = 6
)

// Options configure a Server.
type Options struct {
	// Username and Password are accepted as HTTP Basic credentials; the
	// Username is also the author of every change made through the API.
	Username, Password string
	// APIKey, when set, is accepted in the z-api-key header (Zenoss Cloud);
	// changes are then attributed to Username too.
	APIKey string
	// Version selects the timestamp formats and the methods offered; 0 means 6.
	Version Version
	// Minor is the minor release within Version: from 5.3 on, log times are
	// integer milliseconds (Products/Zuul/infos/event.py, ZEN-15837). 0
	// means x.0.
	Minor int
	// Location is the server's time zone, used by 4.x and 5.x local-time
	// strings; nil means UTC.
	Location *time.Location
	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
	// ReadOnly makes the user lack "Manage Events": state changes, logs and
	// detail updates fail as Zenoss's permission check does.
	ReadOnly bool
	// AgeInterval is ZEP's event_age_interval_minutes (default
	// DefaultAgeInterval); negative disables aging, as 0 does in ZEP.
	AgeInterval time.Duration
	// ArchiveInterval is event_archive_interval_minutes (default
	// DefaultArchiveInterval); negative disables archiving.
	ArchiveInterval time.Duration
	// SweepInterval is how often the ager and archiver run (default
	// DefaultSweepInterval).
	SweepInterval time.Duration
}

// Server is the emulator. It is safe for concurrent use.
type Server struct {
	opts   Options
	faults *fault.Injector
	routes map[string]http.Handler

	mu     sync.Mutex
	events map[string]*event // live and archived
	order  []*event          // creation order
	seq    int
	calls  int   // response uuids
	origin int64 // creation time: the ager and archiver run every SweepInterval from it
	swept  int64 // the clock when the ager and archiver last caught up
}

const (
	routerPath    = "/zport/dmd/evconsole_router"
	loginFormPath = "/zport/acl_users/cookieAuthHelper/login_form"
	maxBody       = 1 << 20
)

// methods the emulator serves; updateDetails exists from 5.0 (ZEN-6750).
var methods = []string{"query", "queryArchive", "detail", "acknowledge", "close", "reopen", "unacknowledge",
	"write_log", "add_event", "updateDetails"}

// Routes counted by Faults(): "EventsRouter.<method>" per method, plus
// "EventsRouter.batch" (a list of requests), "EventsRouter.invalid" (a body
// naming no known method) and "login_form".
const (
	RouteBatch     = "EventsRouter.batch"
	RouteInvalid   = "EventsRouter.invalid"
	RouteLoginForm = "login_form"
)

// New returns an empty Server.
func New(o Options) *Server {
	if o.Version == 0 {
		o.Version = Version6
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&o.AgeInterval, DefaultAgeInterval}, {&o.ArchiveInterval, DefaultArchiveInterval}, {&o.SweepInterval, DefaultSweepInterval}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.SweepInterval < time.Millisecond {
		o.SweepInterval = DefaultSweepInterval
	}
	now := o.Now().UnixMilli()
	s := &Server{opts: o, events: map[string]*event{}, routes: map[string]http.Handler{}, origin: now, swept: now}
	s.faults = fault.New(writeFault)
	rpc := http.HandlerFunc(s.serveRouter)
	for _, m := range methods {
		s.routes["EventsRouter."+m] = s.faults.Wrap("EventsRouter."+m, rpc)
	}
	s.routes[RouteBatch] = s.faults.Wrap(RouteBatch, rpc)
	s.routes[RouteInvalid] = s.faults.Wrap(RouteInvalid, rpc)
	s.routes[RouteLoginForm] = s.faults.Wrap(RouteLoginForm, http.HandlerFunc(s.serveLoginForm))
	return s
}

// Faults returns the fault injector and per-route request counts.
func (s *Server) Faults() *fault.Injector { return s.faults }

// ServeHTTP serves /zport/dmd/evconsole_router and the login form, under any
// path prefix (Zenoss Cloud puts a collection zone such as /cz0 first).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := strings.Index(r.URL.Path, "/zport/")
	if i < 0 {
		zopeError(w, http.StatusNotFound, "NotFound", "Resource not found")
		return
	}
	switch r.URL.Path[i:] {
	case routerPath:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			zopeError(w, http.StatusRequestEntityTooLarge, "BadRequest", "request body too large or unreadable")
			return
		}
		// Count and fault per method: Zenoss has one URL for everything.
		ctx := context.WithValue(r.Context(), bodyKey{}, body)
		s.routes[routeOf(body)].ServeHTTP(w, r.WithContext(ctx))
	case loginFormPath:
		s.routes[RouteLoginForm].ServeHTTP(w, r)
	default:
		zopeError(w, http.StatusNotFound, "NotFound", "Resource not found")
	}
}

type bodyKey struct{}

func routeOf(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		return RouteBatch
	}
	var head struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(body, &head) == nil && slices.Contains(methods, head.Method) {
		return "EventsRouter." + head.Method
	}
	return RouteInvalid
}

func (s *Server) serveRouter(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		zopeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "POST only")
		return
	}
	if !s.authenticated(r) {
		// Zope sends the browser to the login form; clients that follow the
		// redirect get a 200 HTML page instead of JSON.
		prefix := r.URL.Path[:strings.Index(r.URL.Path, "/zport/")]
		self := (&url.URL{Scheme: scheme(r), Host: r.Host, Path: r.URL.Path}).String()
		target := prefix + loginFormPath + "?came_from=" + url.QueryEscape(self)
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	// Products/ZenUtils/extdirect/zope/router.py has the check from tag
	// 5.1.2 on; the sandbox, which knows no patch releases, applies it to
	// all of 5.x (stricter for 5.0-5.1.1).
	if s.opts.Version >= Version5 {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if !strings.EqualFold(mt, "application/json") {
			zopeError(w, http.StatusInternalServerError, "DirectException", "Only 'application/json' is supported as content type.")
			return
		}
	}
	body, _ := r.Context().Value(bodyKey{}).([]byte)
	var reqs []json.RawMessage
	single := false
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &reqs); err != nil {
			zopeError(w, http.StatusInternalServerError, "ValueError", "No JSON object could be decoded")
			return
		}
	case len(trimmed) > 0 && trimmed[0] == '{':
		reqs, single = []json.RawMessage{trimmed}, true
	default:
		zopeError(w, http.StatusInternalServerError, "DirectException", "Body is not a supported type")
		return
	}
	out := []any{}
	for _, raw := range reqs {
		resp, err := s.direct(raw)
		if err != nil {
			zopeError(w, http.StatusInternalServerError, "DirectException", err.Error())
			return
		}
		out = append(out, resp)
	}
	w.Header().Set("Content-Type", "application/json")
	if single || len(out) == 1 {
		_ = json.NewEncoder(w).Encode(out[0])
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func (s *Server) authenticated(r *http.Request) bool {
	if s.opts.APIKey != "" {
		if k := r.Header.Get("z-api-key"); k != "" && subtle.ConstantTimeCompare([]byte(k), []byte(s.opts.APIKey)) == 1 {
			return true
		}
	}
	u, p, ok := r.BasicAuth()
	return ok && s.opts.Username != "" &&
		subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) == 1
}

func (s *Server) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!DOCTYPE html>
<html><head><title>Zenoss: Login</title></head>
<body><form name="loginform" method="post" action="/zport/acl_users/cookieAuthHelper/login">
<input type="hidden" name="came_from" value="%s">
<input type="text" name="__ac_name" id="username">
<input type="password" name="__ac_password" id="password">
<input type="hidden" name="submitted" value="true">
<input type="submit" value="Log in">
</form></body></html>
`, html.EscapeString(r.URL.Query().Get("came_from")))
}

// zopeError writes the HTML error page Zope gives for an exception raised
// outside a router method.
func zopeError(w http.ResponseWriter, status int, class, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><head><title>Site Error</title></head><body><h2>Site Error</h2>"+
		"<p>An error was encountered while publishing this resource.</p><p><strong>%s</strong></p><p>%s</p></body></html>\n",
		html.EscapeString(class), html.EscapeString(msg))
}

// writeFault writes injected failures as the proxy in front of Zope would:
// a short text body for 429, Zope's error page for 5xx.
func writeFault(w http.ResponseWriter, _ *http.Request, _ string, status int) {
	if status == http.StatusTooManyRequests {
		http.Error(w, "Too Many Requests", status)
		return
	}
	zopeError(w, status, http.StatusText(status), "injected fault")
}

// user is the author of changes made through the API.
func (s *Server) user() string {
	if s.opts.Username != "" {
		return s.opts.Username
	}
	return "admin"
}

func (s *Server) nowMS() int64 { return s.opts.Now().UnixMilli() }

// atLeast reports whether the emulated version is major.minor or later.
func (s *Server) atLeast(major Version, minor int) bool {
	return s.opts.Version > major || (s.opts.Version == major && s.opts.Minor >= minor)
}

// lock takes s.mu and lets the ager and archiver catch up with the clock,
// so that every request and helper sees ZEP as it would be now.
func (s *Server) lock() int64 {
	s.mu.Lock()
	now := s.nowMS()
	s.sweep(now)
	return now
}

// Go-side helpers for tests and the demo.

// AddEvent sends an occurrence as a monitoring daemon would, and returns
// the evid it landed in (unlike the add_event method, which returns none),
// or "" if it was dropped (a Clear that clears nothing, or Status Dropped).
func (s *Server) AddEvent(o Occurrence) string {
	now := s.lock()
	defer s.mu.Unlock()
	return s.occur(o, now)
}

// Event returns a snapshot of one event, live or archived.
func (s *Server) Event(evid string) (Event, bool) {
	s.lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	if !ok {
		return Event{}, false
	}
	return e.snapshot(), true
}

// Events returns snapshots of every event, live and archived, oldest first.
func (s *Server) Events() []Event {
	s.lock()
	defer s.mu.Unlock()
	out := make([]Event, 0, len(s.order))
	for _, e := range s.order {
		out = append(out, e.snapshot())
	}
	return out
}

// Acknowledge, Close and Reopen act on one event as the given console user
// would in the UI (a user other than the API's, e.g. an operator), with
// the API's rules; updated is false when the state machine left the event
// alone, or when it is archived. The error is for an unknown evid.
func (s *Server) Acknowledge(evid, user string) (updated bool, err error) {
	return s.actAs(evid, user, s.acknowledge)
}

// Close: see Acknowledge.
func (s *Server) Close(evid, user string) (updated bool, err error) {
	return s.actAs(evid, user, s.close)
}

// Reopen: see Acknowledge.
func (s *Server) Reopen(evid, user string) (updated bool, err error) {
	return s.actAs(evid, user, s.reopen)
}

func (s *Server) actAs(evid, user string, apply func(*event, string, int64) bool) (bool, error) {
	now := s.lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	if !ok {
		return false, fmt.Errorf("zenoss sandbox: no event %s", evid)
	}
	if e.archived() {
		return false, nil
	}
	return apply(e, user, now), nil
}

// WriteLog adds a note to an event's log as the given console user would in
// the UI ("Add log"), stored as write_log stores it (clean_html from 5.0).
func (s *Server) WriteLog(evid, user, message string) error {
	if s.opts.Version >= Version5 {
		message = cleanHTML(message)
	}
	now := s.lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	if !ok {
		return fmt.Errorf("zenoss sandbox: no event %s", evid)
	}
	e.log = append(e.log, note{user: user, ms: now, message: message})
	return nil
}

// SetStatus forces a live event's status, as zeneventd, aging or a clear
// would (e.g. StatusAged, StatusSuppressed), bypassing the API's transition
// rules: ZEP's own changes, audited without a user name. Like ZEP it cannot
// give a second event the dedupid an open or aged event holds.
func (s *Server) SetStatus(evid string, st Status) error {
	if st < StatusNew || st > StatusAged || st == StatusDropped {
		return fmt.Errorf("zenoss sandbox: invalid status %d", st)
	}
	now := s.lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	switch {
	case !ok:
		return fmt.Errorf("zenoss sandbox: no event %s", evid)
	case e.archived():
		return fmt.Errorf("zenoss sandbox: event %s is archived", evid)
	}
	if h := s.fingerprintHolder(e.dedupid); h != nil && h != e && (st.open() || st == StatusAged) {
		return fmt.Errorf("zenoss sandbox: event %s holds dedupid %q", h.evid, e.dedupid)
	}
	e.setStatus(st, "", now)
	return nil
}
