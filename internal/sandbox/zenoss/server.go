// Package zenoss is a stateful emulator of the Zenoss JSON API's
// EventsRouter (/zport/dmd/evconsole_router): the methods pdbridge's Zenoss
// adapter uses, with ZEP's event state machine and the quirks a client must
// survive. It is a test double and a demo peer, not a Zenoss: it keeps no
// model beyond the events, no archive, and emulates only the filters it
// names (others are rejected, never silently ignored).
//
// Quirks reproduced: method exceptions answer HTTP 200 with
// {"success": false, "type": "exception", "msg": "<Class>: <text>"}; unknown
// query parameters are rejected; a malformed time range is silently ignored
// (as Zenoss does); Content-Type must be application/json (Zenoss >= 5.2);
// bad credentials redirect to the login form, which answers 200 with HTML;
// add_event returns no evid; a closed event's recurrence gets a new evid;
// reopen does nothing while another open event has the same dedupid;
// write_log stores clean_html(message) on 5.x and later; timestamps are
// local strings (4.x), float seconds (5.x, 6.x) and, in logs, local strings
// (4.x, 5.x) or integer milliseconds (6.x).
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

// Version is the Zenoss major version to emulate: 4, 5 or 6.
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
	// Location is the server's time zone, used by 4.x and 5.x local-time
	// strings; nil means UTC.
	Location *time.Location
	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
	// ReadOnly makes the user lack "Manage Events": state changes, logs and
	// detail updates fail as Zenoss's permission check does.
	ReadOnly bool
}

// Server is the emulator. It is safe for concurrent use.
type Server struct {
	opts   Options
	faults *fault.Injector
	routes map[string]http.Handler

	mu     sync.Mutex
	events map[string]*event
	order  []*event // creation order
	seq    int
	calls  int // response uuids
}

const (
	routerPath    = "/zport/dmd/evconsole_router"
	loginFormPath = "/zport/acl_users/cookieAuthHelper/login_form"
	maxBody       = 1 << 20
)

// methods the emulator serves; updateDetails exists from 5.0 (ZEN-6750).
var methods = []string{"query", "detail", "acknowledge", "close", "reopen", "write_log", "add_event", "updateDetails"}

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
	s := &Server{opts: o, events: map[string]*event{}, routes: map[string]http.Handler{}}
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

// Go-side helpers for tests and the demo.

// AddEvent sends an occurrence as a monitoring daemon would, and returns
// the evid it landed in (unlike the add_event method, which returns none).
func (s *Server) AddEvent(o Occurrence) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.occur(o, s.nowMS())
}

// Event returns a snapshot of one event.
func (s *Server) Event(evid string) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	if !ok {
		return Event{}, false
	}
	return e.snapshot(), true
}

// Events returns snapshots of every event, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, 0, len(s.order))
	for _, e := range s.order {
		out = append(out, e.snapshot())
	}
	return out
}

// SetStatus forces an event's status, as zeneventd, aging or a clear would
// (e.g. StatusAged, StatusSuppressed), bypassing the API's transition rules.
// The change is attributed to "zenoss".
func (s *Server) SetStatus(evid string, st Status) error {
	if st < StatusNew || st > StatusAged {
		return fmt.Errorf("zenoss sandbox: invalid status %d", st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	if !ok {
		return fmt.Errorf("zenoss sandbox: no event %s", evid)
	}
	e.setStatus(st, "zenoss", s.nowMS())
	return nil
}
