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
	// incidentsByKey indexes every incident by incident_key (the Events
	// dedup_key), for the incident_key filter.
	incidentsByKey map[string][]*incident
	// openByKey finds the open incident of a service for a dedup key.
	openByKey map[string]*incident

	logEntries []*logEntry // in creation order
	logByID    map[string]*logEntry

	windows     map[string]*window
	windowOrder []string

	orchestrations map[string]*orchestration
	orchByKey      map[string]*orchIntegration

	// orchAlerts finds the open incident an orchestration routing key
	// opened for a dedup key: PagerDuty applies an event to the open alert
	// with the same routing_key and dedup_key, wherever the router would
	// send the event now.
	orchAlerts map[string]*incident

	changeEvents []ChangeEvent
	events       []EventRecord
}

func newState(now time.Time) *state {
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
		orchAlerts:        map[string]*incident{},
	}
	u := &user{id: seedUserID, name: seedUserName, email: seedUserEmail, role: "admin", createdAt: now}
	st.addUser(u)
	st.seq["PUSR"] = 1
	st.policies[seedPolicyID] = &escalationPolicy{id: seedPolicyID, name: seedPolicyName,
		description: "Seeded by the sandbox: pages " + seedUserName + ".", userID: seedUserID, ruleID: "PERU0001"}
	st.seq["PEPL"] = 1
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

func (r ref) render(base string) map[string]any {
	m := map[string]any{"id": r.ID, "type": r.Type, "summary": r.Summary, "self": nil, "html_url": nil}
	if r.Path != "" {
		m["self"] = base + r.Path
	}
	if r.HTMLPath != "" {
		m["html_url"] = base + r.HTMLPath
	}
	return m
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
