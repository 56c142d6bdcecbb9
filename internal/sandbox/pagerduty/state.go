package pagerduty

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Seeded objects: the sandbox's one user and the escalation policy that
// pages them, so that services can be created straight away.
const (
	seedUserID     = "PUSR0001"
	seedUserEmail  = "sandbox-admin@example.com"
	seedUserName   = "Sandbox Admin"
	seedPolicyID   = "PEPL0001"
	seedPolicyName = "Default"
)

// state is everything the sandbox knows. Server.mu guards it.
type state struct {
	seq map[string]int // last number used per ID prefix

	users        map[string]*user
	usersByEmail map[string]*user
	userOrder    []string

	policies map[string]*escalationPolicy

	services          map[string]*service
	integrations      map[string]*integration
	integrationsByKey map[string]*integration

	incidents     []*incident // in creation (= incident_number) order
	incidentsByID map[string]*incident
	// incidentsByKey indexes REST-created incidents by incident_key, for
	// the incident_key filter; event-created incidents have none (their
	// alerts carry the key, see alertsByKey).
	incidentsByKey map[string][]*incident
	// openByKey finds the open REST-created incident of a service for an
	// incident_key (PagerDuty refuses a second one).
	openByKey map[string]*incident

	alerts map[string]*alert
	// openAlerts finds the open alert for a routing key and dedup key:
	// PagerDuty scopes de-duplication to the routing key (the integration),
	// not to the service (Events API v2 docs, "Alert De-duplication").
	openAlerts map[string]*alert
	// alertsByKey indexes every alert by alert_key, for the incident_key
	// filter ("querying by incident key will return incidents whose alerts
	// have alert_key matching the given incident key", spec).
	alertsByKey map[string][]*alert

	logEntries []*logEntry // in creation order
	logByID    map[string]*logEntry

	windows     map[string]*window
	windowOrder []string

	orchestrations map[string]*orchestration
	orchByKey      map[string]*orchIntegration

	changeEvents []ChangeEvent
	events       []EventRecord
	// queued holds accepted alert events not applied yet: the Events API is
	// asynchronous (Options.EventDelay).
	queued []*queuedEvent
	// timers are the pending acknowledgement and auto-resolve timeouts.
	timers timerQueue
	// eventWindows counts Events API requests per routing key per minute.
	eventWindows map[string]*rateWindow
}

// newState returns the seeded state: the admin user, the default
// escalation policy and the users of o.
func newState(now time.Time, o Options) *state {
	st := &state{
		seq:               map[string]int{},
		users:             map[string]*user{},
		usersByEmail:      map[string]*user{},
		policies:          map[string]*escalationPolicy{},
		services:          map[string]*service{},
		integrations:      map[string]*integration{},
		integrationsByKey: map[string]*integration{},
		incidentsByID:     map[string]*incident{},
		incidentsByKey:    map[string][]*incident{},
		openByKey:         map[string]*incident{},
		logByID:           map[string]*logEntry{},
		windows:           map[string]*window{},
		orchestrations:    map[string]*orchestration{},
		orchByKey:         map[string]*orchIntegration{},
		alerts:            map[string]*alert{},
		openAlerts:        map[string]*alert{},
		alertsByKey:       map[string][]*alert{},
		eventWindows:      map[string]*rateWindow{},
	}
	zone := time.UTC.String()
	if o.TimeZone != nil {
		zone = o.TimeZone.String()
	}
	u := &user{id: seedUserID, name: seedUserName, email: seedUserEmail, role: "admin", timeZone: zone, createdAt: now}
	st.addUser(u)
	st.seq["PUSR"] = 1
	st.policies[seedPolicyID] = &escalationPolicy{id: seedPolicyID, name: seedPolicyName,
		description: "Seeded by the sandbox: pages " + seedUserName + ".", userID: seedUserID, ruleID: "PERU0001"}
	st.seq["PEPL"] = 1
	for _, u := range o.Users {
		if _, err := st.newUser(u.Name, u.Email, zone, now); err != nil {
			panic("pagerduty sandbox: Options.Users: " + err.Error())
		}
	}
	return st
}

// newID returns the next ID for a kind, e.g. PSVC0001. PagerDuty's IDs are
// opaque upper-case strings; readable prefixes make test failures clearer.
func (st *state) newID(prefix string) string {
	st.seq[prefix]++
	return fmt.Sprintf("%s%04d", prefix, st.seq[prefix])
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomString returns n random characters of alphabet.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newIntegrationKey returns a 32-character key like PagerDuty's service
// integration keys ([a-z0-9]).
func (st *state) newIntegrationKey() string {
	return uniqueKey(func() string { return randomString(lowerAlnum, 32) }, st.keyTaken)
}

func (st *state) keyTaken(k string) bool {
	return st.integrationsByKey[k] != nil || st.orchByKey[k] != nil
}

// uniqueKey draws keys until one is not taken. Random keys practically
// never collide, so a few attempts suffice; the bound keeps the loop finite.
func uniqueKey(draw func() string, taken func(string) bool) string {
	k := draw()
	for i := 0; i < 100 && taken(k); i++ {
		k = draw()
	}
	return k
}

// newRoutingKey returns a 32-character orchestration routing key; real ones
// are upper-case alphanumerics starting with R.
func (st *state) newRoutingKey() string {
	return uniqueKey(func() string { return "R" + randomString(upperAlnum, 31) }, st.keyTaken)
}

// newUUID returns a random version-4 UUID (event orchestration IDs).
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newHexKey returns 32 hex characters, the shape of the incident and dedup
// keys PagerDuty generates.
func newHexKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ref is a reference to another object, rendered as {id, type, summary,
// self, html_url}.
type ref struct {
	ID, Type, Summary string
	Path              string // API path, for self
	HTMLPath          string // web path, for html_url
}

func (r ref) render(base string) refView {
	v := refView{ID: r.ID, Type: r.Type, Summary: r.Summary}
	if r.Path != "" {
		self := base + r.Path
		v.Self = &self
	}
	if r.HTMLPath != "" {
		page := base + r.HTMLPath
		v.HTMLURL = &page
	}
	return v
}

// refView is a rendered reference. Responses are rendered as structs where
// they are large (a listing of thousands of incidents), because encoding
// maps sorts their keys every time.
type refView struct {
	ID      string  `json:"id"`
	Type    string  `json:"type"`
	Summary string  `json:"summary"`
	Self    *string `json:"self"`
	HTMLURL *string `json:"html_url"`
}

// rawOr returns raw decoded as a generic value, or def if raw is empty.
func rawOr(raw json.RawMessage, def any) any {
	if len(raw) == 0 || string(raw) == "null" {
		return def
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return def
	}
	return v
}
