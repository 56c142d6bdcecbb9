// Package pagerduty is the PagerDuty sandbox: a stateful, in-memory emulator
// of the parts of PagerDuty's REST API v2 and Events API v2 that pdbridge
// uses. It is meant to be indistinguishable from PagerDuty for those
// endpoints, to a client such as go-pagerduty, and it conforms to PagerDuty's
// published OpenAPI files (see conformance_test.go).
//
// One http.Handler serves everything: the REST API at the root, the Events
// API at /v2/enqueue and /v2/change/enqueue, and an unauthenticated admin
// area under /_sandbox/ (faults, reset, counts, users, recorded events).
//
// It is never kinder than PagerDuty where a client's logic depends on it:
// every trigger creates or updates an alert, de-duplicated per routing key
// (alerts.go); event-created incidents have no incident_key; the Events API
// applies events after Options.EventDelay; From must name an account user
// and user references are summarised by name; timestamps render in the
// response's time zone with an offset; rate limits can be enforced
// (ratelimit.go); acknowledgement and auto-resolve timeouts run on the
// sandbox clock (clock.go); incidents can be merged.
package pagerduty

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
)

// Options configures a Server.
type Options struct {
	// Token, if non-empty, is the only API token accepted; otherwise any
	// non-empty token is.
	Token string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RateLimitPerMinute, if positive, makes the REST API answer 429 (code
	// 2020) once a token has made that many requests in the current minute,
	// as PagerDuty does at 960 (DefaultRateLimitPerMinute). Zero announces
	// PagerDuty's 960 in the ratelimit-* headers but never enforces it, so
	// that unit tests on a frozen clock are not throttled by accident;
	// pdbridge-sandbox enforces 960 unless told otherwise.
	RateLimitPerMinute int
	// EventsRateLimitPerMinute, if positive, makes the Events API answer
	// 429 once a routing key has sent that many alert events in the current
	// minute (PagerDuty: about 120, DefaultEventsRateLimitPerMinute). Zero
	// does not enforce it.
	EventsRateLimitPerMinute int
	// EventDelay is how long after its 202 an alert event takes effect: the
	// Events API is asynchronous, and a client that reads PagerDuty right
	// after sending an event may not see it yet. Zero applies events at once.
	EventDelay time.Duration
	// TimeZone is the account's time zone, in which responses render their
	// timestamps unless a request's time_zone says otherwise; nil is UTC.
	TimeZone *time.Location
	// Users are added to the account beside the seeded admin: writes that
	// need a From header must name one of them.
	Users []User
}

// PagerDuty's documented rate limits, for Options.
const (
	DefaultRateLimitPerMinute       = announcedRateLimit
	DefaultEventsRateLimitPerMinute = eventsRateLimit
)

// Server is the PagerDuty sandbox. It is safe for concurrent use.
type Server struct {
	opts   Options
	now    func() time.Time
	mux    *http.ServeMux
	faults *fault.Injector

	mu sync.Mutex // guards st and limits
	st *state
	// limits counts REST requests per token in the current minute window.
	limits map[string]*rateWindow
}

// New returns a sandbox seeded with one user and one escalation policy.
func New(o Options) *Server {
	s := &Server{opts: o, now: o.Now, limits: map[string]*rateWindow{}}
	if s.now == nil {
		s.now = time.Now
	}
	s.faults = fault.New(s.writeInjectedError)
	s.st = newState(s.now(), s.opts)
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// ServeHTTP serves the REST API at the root, the Events API under /v2/ and
// the admin area under /_sandbox/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Faults returns the fault injector every API route is wrapped in.
func (s *Server) Faults() *fault.Injector { return s.faults }

// DefaultEscalationPolicyID is the seeded escalation policy services can reference.
func (s *Server) DefaultEscalationPolicyID() string { return seedPolicyID }

// DefaultUserID is the seeded user, the target of the default escalation policy.
func (s *Server) DefaultUserID() string { return seedUserID }

// DefaultUserEmail is the seeded user's email, usable as a From header.
func (s *Server) DefaultUserEmail() string { return seedUserEmail }

// Reset drops every object and recorded event and re-seeds the sandbox.
// Fault settings and request counts are kept; clear them with Faults().
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newState(s.now(), s.opts)
	s.limits = map[string]*rateWindow{}
}

// restFunc is a REST handler body. It runs with the state lock held and
// returns the success status and body, or an API error.
type restFunc func(c *reqCtx) (int, any, *apiError)

// reqCtx carries what a REST handler needs besides the state.
type reqCtx struct {
	s    *Server
	st   *state
	r    *http.Request
	now  time.Time
	base string // scheme://host of this request, for self links
	// zone reads since/until values that carry no offset: the request's
	// time_zone, else the account's (spec: incident_list_time_zone).
	zone *time.Location
	// out is the zone the response renders its timestamps in.
	out *time.Location
}

// ts renders a timestamp of a struct-rendered response in its zone.
func (c *reqCtx) ts(t time.Time) string { return fmtTime(t).in(c.out) }

func (s *Server) routes() {
	rest := func(pattern string, h restFunc) {
		s.mux.Handle(pattern, s.faults.Wrap(pattern, s.restHandler(pattern, h)))
	}
	rest("GET /abilities", listAbilities)
	rest("GET /users", listUsers)
	rest("GET /users/me", getCurrentUser)
	rest("GET /users/{id}", getUser)
	rest("GET /escalation_policies", listEscalationPolicies)
	rest("GET /escalation_policies/{id}", getEscalationPolicy)

	rest("GET /services", listServices)
	rest("POST /services", createService)
	rest("GET /services/{id}", getService)
	rest("PUT /services/{id}", updateService)
	rest("DELETE /services/{id}", deleteService)
	rest("POST /services/{id}/integrations", createIntegration)
	rest("GET /services/{id}/integrations/{integration_id}", getIntegration)
	rest("PUT /services/{id}/integrations/{integration_id}", updateIntegration)
	rest("DELETE /services/{id}/integrations/{integration_id}", deleteIntegration)
	rest("GET /vendors", listVendors)

	rest("GET /incidents", listIncidents)
	rest("POST /incidents", createIncident)
	rest("PUT /incidents", updateIncidents)
	rest("GET /incidents/{id}", getIncident)
	rest("PUT /incidents/{id}", updateIncident)
	rest("GET /incidents/{id}/notes", listNotes)
	rest("POST /incidents/{id}/notes", createNote)
	rest("PUT /incidents/{id}/merge", mergeIncidents)
	rest("GET /incidents/{id}/alerts", listIncidentAlerts)
	rest("PUT /incidents/{id}/alerts", updateIncidentAlerts)
	rest("GET /incidents/{id}/alerts/{alert_id}", getIncidentAlert)
	rest("PUT /incidents/{id}/alerts/{alert_id}", updateIncidentAlert)
	rest("GET /incidents/{id}/log_entries", listIncidentLogEntries)
	rest("GET /log_entries", listLogEntries)
	rest("GET /log_entries/{id}", getLogEntry)

	rest("GET /maintenance_windows", listWindows)
	rest("POST /maintenance_windows", createWindow)
	rest("GET /maintenance_windows/{id}", getWindow)
	rest("PUT /maintenance_windows/{id}", updateWindow)
	rest("DELETE /maintenance_windows/{id}", deleteWindow)

	rest("GET /event_orchestrations", listOrchestrations)
	rest("POST /event_orchestrations", createOrchestration)
	rest("GET /event_orchestrations/{id}", getOrchestration)
	rest("PUT /event_orchestrations/{id}", updateOrchestration)
	rest("DELETE /event_orchestrations/{id}", deleteOrchestration)
	rest("GET /event_orchestrations/{id}/router", getRouter)
	rest("PUT /event_orchestrations/{id}/router", updateRouter)
	rest("GET /event_orchestrations/{id}/integrations", listOrchIntegrations)
	rest("POST /event_orchestrations/{id}/integrations", createOrchIntegration)
	rest("GET /event_orchestrations/{id}/integrations/{integration_id}", getOrchIntegration)
	rest("PUT /event_orchestrations/{id}/integrations/{integration_id}", updateOrchIntegration)
	rest("DELETE /event_orchestrations/{id}/integrations/{integration_id}", deleteOrchIntegration)

	// Unknown REST paths (and wrong methods) get PagerDuty's 404 envelope
	// rather than ServeMux's plain-text 404/405.
	rest("/", func(*reqCtx) (int, any, *apiError) { return 0, nil, errNotFound() })

	s.mux.Handle("POST /v2/enqueue", s.faults.Wrap("POST /v2/enqueue", http.HandlerFunc(s.handleEnqueue)))
	s.mux.Handle("POST /v2/change/enqueue", s.faults.Wrap("POST /v2/change/enqueue", http.HandlerFunc(s.handleChangeEnqueue)))

	s.adminRoutes()
}

// restHandler applies what every REST call shares: auth, the versioned
// Accept header, the rate-limit headers, the state lock, the clock's due
// work, and JSON output with timestamps in the response's time zone.
func (s *Server) restHandler(pattern string, h restFunc) http.Handler {
	// GET /incidents renders in UTC unless asked ("Rendering defaults to
	// UTC if omitted", spec: incident_list_time_zone); the other endpoints
	// in the account's zone ("This will default to the account time zone",
	// spec: time_zone).
	listsIncidents := pattern == "GET /incidents"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := parseToken(r.Header.Get("Authorization"))
		if !ok || (s.opts.Token != "" && token != s.opts.Token) {
			writeAPIError(w, &apiError{Status: http.StatusUnauthorized, Code: 2006, Message: "Authentication failed"})
			return
		}
		if e := checkAccept(r.Header.Get("Accept")); e != nil {
			writeAPIError(w, e)
			return
		}
		now := s.now()
		account := s.accountZone()
		render, zone := account, account
		if listsIncidents {
			render = time.UTC
		}
		if v := r.URL.Query().Get("time_zone"); v != "" {
			loc, err := loadZone(v)
			if err != nil {
				writeAPIError(w, errInvalid("Time zone "+strconv.Quote(v)+" is not a valid time zone"))
				return
			}
			render, zone = loc, loc
		}

		var (
			limited bool
			status  int
			body    any
			e       *apiError
			out     []byte
		)
		func() {
			// Deferred, so that a panicking handler cannot leave the state locked.
			s.mu.Lock()
			defer s.mu.Unlock()
			limited = s.countRequest(w, token, now)
			if !limited {
				s.st.advance(now)
				c := &reqCtx{s: s, st: s.st, r: r, now: now, base: baseURL(r), zone: zone, out: render}
				status, body, e = h(c)
			}
			if e == nil && body != nil {
				var err error
				if render != time.UTC {
					// A stamp renders itself in UTC; other zones need the walk.
					body = localize(body, render)
				}
				if out, err = json.Marshal(body); err != nil {
					e = &apiError{Status: http.StatusInternalServerError, Message: "Internal Server Error"}
				}
			}
		}()

		switch {
		case limited:
			writeAPIError(w, errRateLimited())
		case e != nil:
			writeAPIError(w, e)
		case body == nil:
			w.WriteHeader(status)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(out)
		}
	})
}

// parseToken accepts "Token token=<t>" (API keys) and "Bearer <t>" (OAuth).
func parseToken(h string) (string, bool) {
	h = strings.TrimSpace(h)
	var t string
	switch {
	case len(h) > 12 && strings.EqualFold(h[:12], "token token="):
		t = strings.Trim(h[12:], `"`)
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
		t = h[7:]
	default:
		return "", false
	}
	t = strings.TrimSpace(t)
	return t, t != ""
}

// checkAccept allows the versioned PagerDuty media type, plain JSON, */* or
// nothing, and rejects an explicit request for another API version.
func checkAccept(h string) *apiError {
	for _, part := range strings.Split(h, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(mt), "application/vnd.pagerduty+json") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "version") && strings.TrimSpace(v) != "2" {
				return &apiError{Status: http.StatusBadRequest, Code: 2001, Message: "Invalid Input Provided",
					Errors: []string{"Unsupported API version " + strconv.Quote(strings.TrimSpace(v)) + " requested in the Accept header; only version=2 is available"}}
			}
		}
	}
	return nil
}

// baseURL is the scheme and host the client used, so that self links
// point back at the sandbox.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// parseTime accepts the date-time forms clients send for timestamps: RFC
// 3339, offsets without a colon and plain dates (UTC when they carry no
// offset).
func parseTime(v string) (time.Time, bool) { return parseTimeIn(v, time.UTC) }

// parseTimeIn reads a since/until value; one without an offset is read in
// loc (the request's time_zone, else the account's).
func parseTimeIn(v string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// decodeBody reads a JSON request body into v (bounded, as PagerDuty
// rejects huge requests).
func decodeBody(c *reqCtx, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, c.r.Body, 2<<20))
	if err := dec.Decode(v); err != nil {
		return errInvalid("Request body is not valid JSON: " + err.Error())
	}
	return nil
}

// unwrap returns the object under key in body ({"service": {...}}), or, if
// the body has no such key, the body itself. PagerDuty is a Rails app whose
// JSON parameter wrapping accepts bare objects, and go-pagerduty v1.8.0
// sends some updates bare (integration and maintenance window PUTs), so
// the sandbox accepts both forms.
func unwrap(body map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := body[key]; ok {
		if len(v) > 0 && v[0] == '{' {
			return v, true
		}
		return nil, false
	}
	if len(body) == 0 {
		return nil, false
	}
	whole, _ := json.Marshal(body)
	return whole, true
}

// decodeWrapped decodes {"<key>": {...}} (or the bare object) into v.
func decodeWrapped(c *reqCtx, key string, v any) *apiError {
	var body map[string]json.RawMessage
	if e := decodeBody(c, &body); e != nil {
		return e
	}
	raw, ok := unwrap(body, key)
	if !ok {
		return errInvalid("The request body must contain a " + strconv.Quote(key) + " object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errInvalid(key + ": " + err.Error())
	}
	return nil
}

// nullableInt is an integer field that may be absent, null or a number.
type nullableInt struct {
	Set  bool
	Null bool
	V    int
}

func (n *nullableInt) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.V)
}

func (n nullableInt) ptr() *int {
	if n.Null {
		return nil
	}
	v := n.V
	return &v
}

// queryList returns the values of a set filter, accepting both "k[]" (what
// PagerDuty documents and clients send) and "k", and comma lists.
func queryList(c *reqCtx, key string) []string {
	q := c.r.URL.Query()
	var out []string
	for _, v := range append(q[key+"[]"], q[key]...) {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func queryBool(c *reqCtx, key string) (bool, *apiError) {
	v := c.r.URL.Query().Get(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errInvalid(key + " must be true or false")
	}
	return b, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
