package pagerduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

type incident struct {
	id     string
	number int
	title  string
	// key is the incident_key of a REST-created incident. Incidents created
	// by events have none: "Incidents with child alerts do not have an
	// incident key" (spec: Incident.incident_key); their alerts carry it.
	key                string
	serviceID, epID    string
	status             string // triggered, acknowledged or resolved
	urgency            string
	createdAt          time.Time
	updatedAt          time.Time
	lastStatusChangeAt time.Time
	lastStatusChangeBy ref
	resolvedAt         time.Time // zero while open
	// mergedInto is the incident this one was merged into (resolve_reason).
	mergedInto        string
	assignedVia       string
	assignees         []assignment
	acks              []acknowledgement
	alertIDs          []string // in creation order; none for REST-created incidents
	firstTriggerLogID string
	logIDs            []string
	notes             []*note
	conferenceBridge  json.RawMessage
	// unackAt and autoResolveAt are the pending timeouts (zero: none).
	unackAt, autoResolveAt time.Time
}

type assignment struct {
	userID string
	at     time.Time
}

type acknowledgement struct {
	by ref
	at time.Time
}

type note struct {
	id      string
	userID  string
	content string
	at      time.Time
}

// maxNotesPerIncident is PagerDuty's documented limit (POST notes).
const maxNotesPerIncident = 2000

// maxBulkIncidents is the most incidents one PUT /incidents may change
// (and the most alerts one PUT /incidents/{id}/alerts may).
const maxBulkIncidents = 250

// checkBulkSize refuses a bulk update of n items (a plural noun: "incidents",
// "alerts") that is empty or above maxBulkIncidents (413, spec).
func checkBulkSize(items string, n int) *apiError {
	if n > maxBulkIncidents {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Message: "Request Entity Too Large",
			Errors: []string{fmt.Sprintf("At most %d %s can be updated at once; this request has %d", maxBulkIncidents, items, n)}}
	}
	if n == 0 {
		return &apiError{Status: http.StatusBadRequest, Code: codeMissingArguments, Message: "Missing Arguments",
			Errors: []string{items + " must be a non-empty array"}}
	}
	return nil
}

func (inc *incident) open() bool { return inc.status != "resolved" }

func (inc *incident) ref() ref {
	return ref{ID: inc.id, Type: "incident_reference", Summary: inc.summary(), Path: "/incidents/" + inc.id, HTMLPath: "/incidents/" + inc.id}
}

func (inc *incident) summary() string { return fmt.Sprintf("[#%d] %s", inc.number, inc.title) }

func dedupIndexKey(scope, key string) string { return scope + "\x00" + key }

// setStatus moves inc to status, keeping the service counters (for status
// derivation), the open-incident index of REST incident keys and the
// pending timeouts in step.
func (st *state) setStatus(inc *incident, status string, by ref, now time.Time) {
	svc := st.services[inc.serviceID]
	count := func(s string, d int) {
		if svc == nil {
			return
		}
		switch s {
		case "triggered":
			svc.triggered += d
		case "acknowledged":
			svc.acknowledged += d
		}
	}
	count(inc.status, -1)
	count(status, +1)
	if inc.key != "" {
		k := dedupIndexKey(inc.serviceID, inc.key)
		if status == "resolved" {
			if st.openByKey[k] == inc {
				delete(st.openByKey, k)
			}
		} else {
			st.openByKey[k] = inc
		}
	}
	if status != "acknowledged" {
		inc.unackAt = time.Time{}
	}
	if status == "resolved" {
		inc.autoResolveAt = time.Time{}
	}
	inc.status = status
	inc.lastStatusChangeAt = now
	inc.lastStatusChangeBy = by
	inc.updatedAt = now
}

// trigger opens a new incident on svc. The caller has checked that the
// service may take it (and, for REST incidents, that the key is free).
// A newly triggered incident's last_status_change_by is its service,
// whoever triggered it (captured payloads).
func (st *state) trigger(svc *service, epID, title, key, urgency string, agent ref, channel map[string]any, now time.Time) *incident {
	ep := st.policies[epID]
	inc := &incident{
		id: st.newID("PINC"), number: len(st.incidents) + 1, title: title, key: key,
		serviceID: svc.id, epID: epID, urgency: urgency, createdAt: now, assignedVia: "escalation_policy",
	}
	st.incidents = append(st.incidents, inc)
	st.incidentsByID[inc.id] = inc
	if key != "" {
		st.incidentsByKey[key] = append(st.incidentsByKey[key], inc)
	}
	st.setStatus(inc, "triggered", svc.ref(), now)
	st.scheduleAutoResolve(inc, now)
	svc.lastIncidentAt = now
	le := st.addLog(inc, "trigger_log_entry", agent, channel, "Triggered through the API.", now)
	le.eventDetails = map[string]string{"description": title}
	inc.firstTriggerLogID = le.id
	if ep != nil {
		st.assign(inc, []string{ep.userID}, svc.ref(), now)
	}
	return inc
}

func (st *state) scheduleAutoResolve(inc *incident, now time.Time) {
	if svc := st.services[inc.serviceID]; svc != nil && svc.autoResolveTimeout != nil {
		st.schedule(timerAutoResolve, inc, now.Add(time.Duration(*svc.autoResolveTimeout)*time.Second))
	}
}

// assign replaces the incident's assignees and logs it.
func (st *state) assign(inc *incident, userIDs []string, agent ref, now time.Time) {
	inc.assignees = inc.assignees[:0:0]
	var names []string
	for _, id := range userIDs {
		inc.assignees = append(inc.assignees, assignment{userID: id, at: now})
		names = append(names, st.users[id].name)
	}
	le := st.addLog(inc, "assign_log_entry", agent, map[string]any{"type": "auto"}, "Assigned to "+strings.Join(names, ", ")+".", now)
	le.assignees = append([]string(nil), userIDs...)
	inc.updatedAt = now
	// PagerDuty notifies the assignees, and logs each notification
	// (NotifyLogEntry: the user notified). The channel's shape is not in
	// the spec (Channel is defect 4); the sandbox says how and to whom.
	for _, id := range userIDs {
		if inc.open() {
			u := st.users[id]
			n := st.addLog(inc, "notify_log_entry", st.services[inc.serviceID].ref(), map[string]any{"type": "email",
				"summary": "Email to " + u.email, "notification": map[string]any{"type": "email", "status": "success", "address": u.email}},
				"Notified "+u.name+" by email.", now)
			n.user = id
		}
	}
}

func (st *state) acknowledge(inc *incident, agent ref, channel map[string]any, now time.Time) {
	by := agent
	if by.Type != "user_reference" {
		// Acknowledgers are users or services (AcknowledgerReference).
		by = st.services[inc.serviceID].ref()
	}
	inc.acks = append(inc.acks, acknowledgement{by: by, at: now})
	st.setStatus(inc, "acknowledged", agent, now)
	le := st.addLog(inc, "acknowledge_log_entry", agent, channel, "Acknowledged by "+agent.Summary+".", now)
	if svc := st.services[inc.serviceID]; svc != nil && svc.ackTimeout != nil {
		t := *svc.ackTimeout
		le.ackTimeout = &t
		st.schedule(timerUnacknowledge, inc, now.Add(time.Duration(t)*time.Second))
	}
}

func (st *state) unacknowledge(inc *incident, agent ref, channel map[string]any, now time.Time) {
	inc.acks = nil
	st.setStatus(inc, "triggered", agent, now)
	st.addLog(inc, "unacknowledge_log_entry", agent, channel, "Unacknowledged by "+agent.Summary+".", now)
}

// resolve resolves the incident and every alert still open on it.
func (st *state) resolve(inc *incident, agent ref, channel map[string]any, resolution string, now time.Time) {
	for _, id := range inc.alertIDs {
		st.resolveAlert(st.alerts[id], now)
	}
	inc.acks = nil
	inc.assignees = nil
	inc.resolvedAt = now
	st.setStatus(inc, "resolved", agent, now)
	le := st.addLog(inc, "resolve_log_entry", agent, channel, "Resolved by "+agent.Summary+".", now)
	le.note = resolution
}

// reopen re-opens a resolved incident as triggered (assigned through its
// escalation policy) or as acknowledged (assigned to the acting user), as
// the spec describes for PUT /incidents. Its alerts stay resolved: a
// trigger with one of their keys opens a new alert.
func (st *state) reopen(inc *incident, status string, actor *user, channel map[string]any, now time.Time) {
	agent := actor.ref()
	inc.resolvedAt = time.Time{}
	inc.mergedInto = ""
	st.setStatus(inc, "triggered", agent, now)
	st.scheduleAutoResolve(inc, now)
	st.addLog(inc, "trigger_log_entry", agent, channel, "Reopened by "+agent.Summary+".", now)
	if status == "acknowledged" {
		st.assign(inc, []string{actor.id}, agent, now)
		st.acknowledge(inc, agent, channel, now)
	} else if ep := st.policies[inc.epID]; ep != nil {
		st.assign(inc, []string{ep.userID}, agent, now)
	}
}

// incidentView is a rendered incident (a struct: see refView).
type incidentView struct {
	ID                  string          `json:"id"`
	Type                string          `json:"type"`
	Summary             string          `json:"summary"`
	Self                string          `json:"self"`
	HTMLURL             string          `json:"html_url"`
	IncidentNumber      int             `json:"incident_number"`
	Title               string          `json:"title"`
	Description         string          `json:"description"`
	CreatedAt           string          `json:"created_at"`
	UpdatedAt           string          `json:"updated_at"`
	Status              string          `json:"status"`
	IncidentKey         *string         `json:"incident_key"` // null for incidents with alerts
	Service             any             `json:"service"`
	Assignments         []assignView    `json:"assignments"`
	AssignedVia         string          `json:"assigned_via"`
	LastStatusChangeAt  string          `json:"last_status_change_at"`
	LastStatusChangeBy  refView         `json:"last_status_change_by"`
	ResolvedAt          *string         `json:"resolved_at"` // null while open
	AlertCounts         alertCountsView `json:"alert_counts"`
	IsMergeable         bool            `json:"is_mergeable"`
	IncidentType        map[string]any  `json:"incident_type"`
	Teams               []any           `json:"teams"`
	PendingActions      []pendingView   `json:"pending_actions"`
	Acknowledgements    []ackView       `json:"acknowledgements"`
	Urgency             string          `json:"urgency"`
	ResolveReason       any             `json:"resolve_reason"`
	IncidentsResponders []any           `json:"incidents_responders"`
	ResponderRequests   []any           `json:"responder_requests"`
	EscalationPolicy    any             `json:"escalation_policy,omitempty"`
	FirstTrigger        any             `json:"first_trigger_log_entry,omitempty"`
	ConferenceBridge    any             `json:"conference_bridge,omitempty"`
}

type assignView struct {
	At       string `json:"at"`
	Assignee any    `json:"assignee"`
}

type ackView struct {
	At           string  `json:"at"`
	Acknowledger refView `json:"acknowledger"`
}

type pendingView struct {
	Type string `json:"type"`
	At   string `json:"at"`
}

type alertCountsView struct {
	All       int `json:"all"`
	Triggered int `json:"triggered"`
	Resolved  int `json:"resolved"`
}

func (st *state) renderIncident(inc *incident, c *reqCtx, includes []string) incidentView {
	var svc any = ref{ID: inc.serviceID, Type: "service_reference", Path: "/services/" + inc.serviceID, HTMLPath: "/service-directory/" + inc.serviceID}.render(c.base)
	if s := st.services[inc.serviceID]; s != nil {
		svc = s.ref().render(c.base)
		if contains(includes, "services") {
			svc = localize(st.renderService(s, c, nil), c.out)
		}
	}
	v := incidentView{
		ID: inc.id, Type: "incident", Summary: inc.summary(), Self: c.base + "/incidents/" + inc.id,
		HTMLURL: c.base + "/incidents/" + inc.id, IncidentNumber: inc.number, Title: inc.title, Description: inc.title,
		CreatedAt: c.ts(inc.createdAt), UpdatedAt: c.ts(inc.updatedAt), Status: inc.status, Service: svc,
		Assignments: []assignView{}, AssignedVia: inc.assignedVia, LastStatusChangeAt: c.ts(inc.lastStatusChangeAt),
		LastStatusChangeBy: inc.lastStatusChangeBy.render(c.base), IsMergeable: true,
		IncidentType: map[string]any{"name": "incident_default"}, Teams: []any{}, PendingActions: []pendingView{},
		Acknowledgements: []ackView{}, Urgency: inc.urgency, IncidentsResponders: []any{}, ResponderRequests: []any{},
	}
	if p := st.policies[inc.epID]; p != nil {
		v.EscalationPolicy = p.ref().render(c.base)
		if contains(includes, "escalation_policies") {
			v.EscalationPolicy = localize(st.renderPolicy(p, c.base), c.out)
		}
	}
	for _, a := range inc.assignees {
		u := st.users[a.userID]
		var who any = u.ref().render(c.base)
		if contains(includes, "assignees") || contains(includes, "users") {
			who = u.render(c.base)
		}
		v.Assignments = append(v.Assignments, assignView{At: c.ts(a.at), Assignee: who})
	}
	for _, a := range inc.acks {
		v.Acknowledgements = append(v.Acknowledgements, ackView{At: c.ts(a.at), Acknowledger: a.by.render(c.base)})
	}
	if !inc.resolvedAt.IsZero() {
		at := c.ts(inc.resolvedAt)
		v.ResolvedAt = &at
	}
	if inc.key != "" {
		key := inc.key
		v.IncidentKey = &key
	}
	if target := st.incidentsByID[inc.mergedInto]; target != nil {
		v.ResolveReason = map[string]any{"type": "merge_resolve_reason", "incident": target.ref().render(c.base)}
	}
	triggered, resolved := st.alertCounts(inc)
	v.AlertCounts = alertCountsView{All: triggered + resolved, Triggered: triggered, Resolved: resolved}
	if inc.status == "acknowledged" && !inc.unackAt.IsZero() {
		v.PendingActions = append(v.PendingActions, pendingView{Type: "unacknowledge", At: c.ts(inc.unackAt)})
	}
	if inc.open() && !inc.autoResolveAt.IsZero() {
		v.PendingActions = append(v.PendingActions, pendingView{Type: "resolve", At: c.ts(inc.autoResolveAt)})
	}
	if first := st.logByID[inc.firstTriggerLogID]; first != nil {
		if contains(includes, "first_trigger_log_entries") {
			v.FirstTrigger = localize(st.renderLogEntry(first, c), c.out)
		} else {
			v.FirstTrigger = first.ref(inc).render(c.base)
		}
	}
	if len(inc.conferenceBridge) > 0 && string(inc.conferenceBridge) != "null" {
		v.ConferenceBridge = rawOr(inc.conferenceBridge, nil)
	}
	return v
}

// ---- list and get ----

var incidentStatuses = []string{"triggered", "acknowledged", "resolved"}

// incidentIncludes are GET /incidents' include[] values (spec: include_incident).
var incidentIncludes = []string{"acknowledgers", "agents", "assignees", "conference_bridge", "escalation_policies",
	"first_trigger_log_entries", "priorities", "services", "teams", "users"}

func listIncidents(c *reqCtx) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	q := c.r.URL.Query()
	statuses := queryList(c, "statuses")
	for _, s := range statuses {
		if !contains(incidentStatuses, s) {
			return 0, nil, errInvalid("Statuses must be triggered, acknowledged or resolved")
		}
	}
	urgencies := queryList(c, "urgencies")
	for _, u := range urgencies {
		if u != "high" && u != "low" {
			return 0, nil, errInvalid("Urgencies must be high or low")
		}
	}
	serviceIDs := queryList(c, "service_ids")
	userIDs := queryList(c, "user_ids")
	teamFilter := len(queryList(c, "team_ids")) > 0 // the sandbox has no teams
	since, until, e := incidentRange(c)
	if e != nil {
		return 0, nil, e
	}
	less, e := incidentOrder(c)
	if e != nil {
		return 0, nil, e
	}

	candidates := c.st.incidents
	if _, ok := q["incident_key"]; ok {
		candidates = c.st.incidentsWithKey(q.Get("incident_key"))
	}
	var list []*incident
	for _, inc := range candidates {
		if teamFilter || inc.createdAt.Before(since) || (!until.IsZero() && !inc.createdAt.Before(until)) ||
			(len(statuses) > 0 && !contains(statuses, inc.status)) ||
			(len(urgencies) > 0 && !contains(urgencies, inc.urgency)) ||
			(len(serviceIDs) > 0 && !contains(serviceIDs, inc.serviceID)) ||
			(len(userIDs) > 0 && !inc.assignedToAny(userIDs)) {
			continue
		}
		list = append(list, inc)
	}
	// Incidents are kept in creation order, which is the order most
	// listings ask for: checking is linear, a stable sort of every page is not.
	if less != nil && !sort.SliceIsSorted(list, func(i, j int) bool { return less(list[i], list[j]) }) {
		sort.SliceStable(list, func(i, j int) bool { return less(list[i], list[j]) })
	}
	includes := queryList(c, "include")
	for _, in := range includes {
		if !contains(incidentIncludes, in) {
			return 0, nil, errInvalid("Include must be one of " + strings.Join(incidentIncludes, ", "))
		}
	}
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, inc := range list[lo:hi] {
		items = append(items, c.st.renderIncident(inc, c, includes))
	}
	return http.StatusOK, pg.list("incidents", items, len(list)), nil
}

// incidentsWithKey returns the incidents whose incident_key is key or that
// hold an alert whose alert_key is key (spec, GET /incidents incident_key),
// in incident_number order.
func (st *state) incidentsWithKey(key string) []*incident {
	seen := map[string]bool{}
	var out []*incident
	for _, inc := range st.incidentsByKey[key] {
		seen[inc.id] = true
		out = append(out, inc)
	}
	for _, a := range st.alertsByKey[key] {
		if !seen[a.incidentID] {
			seen[a.incidentID] = true
			out = append(out, st.incidentsByID[a.incidentID])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out
}

func (inc *incident) assignedToAny(ids []string) bool {
	for _, a := range inc.assignees {
		if contains(ids, a.userID) {
			return true
		}
	}
	return false
}

// incidentRange applies since/until/date_range: by created_at, since
// inclusive and until exclusive; without since, the last month; at most
// six months; date_range=all lifts the range.
func incidentRange(c *reqCtx) (since, until time.Time, e *apiError) {
	q := c.r.URL.Query()
	if dr := q.Get("date_range"); dr != "" {
		if dr != "all" {
			return since, until, errInvalid("Date range must be all")
		}
		return time.Time{}, time.Time{}, nil
	}
	parse := func(k string) (time.Time, *apiError) {
		v := q.Get(k)
		if v == "" {
			return time.Time{}, nil
		}
		t, ok := parseTimeIn(v, c.zone)
		if !ok {
			return t, &apiError{Status: http.StatusBadRequest, Code: codeInvalidTimes, Message: "Invalid time values in since/until",
				Errors: []string{k + " is not a valid date-time"}}
		}
		return t, nil
	}
	if since, e = parse("since"); e != nil {
		return
	}
	if until, e = parse("until"); e != nil {
		return
	}
	if since.IsZero() {
		ref := c.now
		if !until.IsZero() {
			ref = until
		}
		since = ref.AddDate(0, -1, 0)
	}
	if !until.IsZero() {
		if until.Before(since) {
			return since, until, &apiError{Status: http.StatusBadRequest, Code: codeInvalidDateRange,
				Message: "Invalid Query Date Range", Errors: []string{"until must not be before since"}}
		}
		if until.After(since.AddDate(0, 6, 0)) {
			return since, until, &apiError{Status: http.StatusBadRequest, Code: codeInvalidDateRange,
				Message: "Invalid Query Date Range", Errors: []string{"The date range may not exceed 6 months; use date_range=all for everything"}}
		}
	}
	return since, until, nil
}

// incidentOrder parses sort_by (at most two field[:asc|desc] terms); nil
// means the default order, incident_number ascending.
func incidentOrder(c *reqCtx) (func(a, b *incident) bool, *apiError) {
	terms := queryList(c, "sort_by")
	if len(terms) == 0 {
		return nil, nil
	}
	if len(terms) > 2 {
		return nil, errInvalid("Sort by accepts at most 2 fields")
	}
	type key struct {
		cmp  func(a, b *incident) int
		desc bool
	}
	var keys []key
	for _, t := range terms {
		field, dir, _ := strings.Cut(t, ":")
		k := key{}
		switch dir {
		case "", "asc":
		case "desc":
			k.desc = true
		default:
			return nil, errInvalid("Sort direction must be asc or desc")
		}
		switch field {
		case "incident_number":
			k.cmp = func(a, b *incident) int { return a.number - b.number }
		case "created_at":
			k.cmp = func(a, b *incident) int { return a.createdAt.Compare(b.createdAt) }
		case "resolved_at":
			k.cmp = func(a, b *incident) int { return a.resolvedAt.Compare(b.resolvedAt) }
		case "urgency":
			k.cmp = func(a, b *incident) int { return strings.Compare(a.urgency, b.urgency) }
		default:
			return nil, errInvalid("Sort by field must be one of incident_number, created_at, resolved_at, urgency")
		}
		keys = append(keys, k)
	}
	return func(a, b *incident) bool {
		for _, k := range keys {
			d := k.cmp(a, b)
			if k.desc {
				d = -d
			}
			if d != 0 {
				return d < 0
			}
		}
		return a.number < b.number
	}, nil
}

func (c *reqCtx) incident() (*incident, *apiError) {
	inc := c.st.incidentsByID[c.r.PathValue("id")]
	if inc == nil {
		return nil, errNotFound()
	}
	return inc, nil
}

func getIncident(c *reqCtx) (int, any, *apiError) {
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, map[string]any{"incident": c.st.renderIncident(inc, c, queryList(c, "include"))}, nil
}

// ---- create ----

type assigneeInput struct {
	Assignee idRef `json:"assignee"`
}

type incidentCreateInput struct {
	Type             string          `json:"type"`
	Title            string          `json:"title"`
	Service          *idRef          `json:"service"`
	Urgency          string          `json:"urgency"`
	IncidentKey      string          `json:"incident_key"`
	Body             json.RawMessage `json:"body"`
	Assignments      []assigneeInput `json:"assignments"`
	EscalationPolicy *idRef          `json:"escalation_policy"`
	ConferenceBridge json.RawMessage `json:"conference_bridge"`
}

func createIncident(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	var in incidentCreateInput
	if e := decodeWrapped(c, "incident", &in); e != nil {
		return 0, nil, e
	}
	var errs []string
	if in.Type != "incident" {
		errs = append(errs, "Type must be incident")
	}
	if strings.TrimSpace(in.Title) == "" {
		errs = append(errs, "Title can't be blank")
	}
	if in.Urgency != "" && in.Urgency != "high" && in.Urgency != "low" {
		errs = append(errs, "Urgency must be high or low")
	}
	var svc *service
	if in.Service == nil {
		errs = append(errs, "Service can't be blank")
	} else if svc = c.st.services[in.Service.ID]; svc == nil {
		errs = append(errs, "Service not found")
	} else if svc.disabled {
		errs = append(errs, "Service is disabled; incidents cannot be triggered on it")
	}
	var ep *escalationPolicy
	if in.EscalationPolicy != nil {
		if ep = c.st.policies[in.EscalationPolicy.ID]; ep == nil {
			errs = append(errs, "Escalation policy not found")
		}
	}
	var assignees []string
	for _, a := range in.Assignments {
		if c.st.users[a.Assignee.ID] == nil {
			errs = append(errs, "Assignee "+a.Assignee.ID+" not found")
		}
		assignees = append(assignees, a.Assignee.ID)
	}
	if len(assignees) > 0 && ep != nil {
		errs = append(errs, "Specify either assignments or an escalation policy, not both")
	}
	if svc != nil && in.IncidentKey != "" && c.st.openByKey[dedupIndexKey(svc.id, in.IncidentKey)] != nil {
		// PagerDuty's wording (spec, POST /incidents: "subsequent requests
		// referencing the same service and with the same incident_key will
		// result in those requests being rejected if an open incident matches").
		errs = append(errs, "Open incident with matching dedup key already exists on this service")
	}
	if len(errs) > 0 {
		return 0, nil, errInvalid(errs...)
	}

	key := in.IncidentKey
	if key == "" {
		key = newHexKey() // PagerDuty gives every incident a key
	}
	urgency := in.Urgency
	if urgency == "" {
		urgency = svc.urgencyFor("")
	}
	details := ""
	var body struct{ Details any }
	if json.Unmarshal(in.Body, &body) == nil {
		if s, ok := body.Details.(string); ok {
			details = s
		} else if body.Details != nil {
			b, _ := json.Marshal(body.Details)
			details = string(b)
		}
	}
	channel := map[string]any{"type": "web_trigger", "summary": in.Title, "subject": in.Title, "details": details}
	epID := svc.epID
	if ep != nil {
		epID = ep.id
	}
	inc := c.st.trigger(svc, epID, in.Title, key, urgency, actor.ref(), channel, c.now)
	if len(assignees) > 0 {
		inc.assignedVia = "direct_assignment"
		c.st.assign(inc, assignees, actor.ref(), c.now)
	}
	if len(in.ConferenceBridge) > 0 {
		inc.conferenceBridge = append(json.RawMessage(nil), in.ConferenceBridge...)
	}
	return http.StatusCreated, map[string]any{"incident": c.st.renderIncident(inc, c, nil)}, nil
}

// urgencyFor applies the service's incident urgency rule to an event of
// the given severity ("" for REST-created incidents).
func (s *service) urgencyFor(severity string) string {
	var rule struct {
		Type, Urgency       string
		DuringSupportHours  *struct{ Urgency string } `json:"during_support_hours"`
		OutsideSupportHours *struct{ Urgency string } `json:"outside_support_hours"`
	}
	if len(s.urgencyRule) == 0 || json.Unmarshal(s.urgencyRule, &rule) != nil {
		return "high"
	}
	u := rule.Urgency
	if rule.Type == "use_support_hours" && rule.DuringSupportHours != nil {
		u = rule.DuringSupportHours.Urgency // the sandbox is always in support hours
	}
	switch u {
	case "low":
		return "low"
	case "severity_based":
		if severity == "warning" || severity == "info" {
			return "low"
		}
	}
	return "high"
}

// ---- update ----

type incidentUpdateInput struct {
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	Status           string          `json:"status"`
	Resolution       string          `json:"resolution"`
	Title            *string         `json:"title"`
	Urgency          string          `json:"urgency"`
	EscalationLevel  *int            `json:"escalation_level"`
	EscalationPolicy *idRef          `json:"escalation_policy"`
	Assignments      []assigneeInput `json:"assignments"`
	ConferenceBridge json.RawMessage `json:"conference_bridge"`
	Service          *idRef          `json:"service"`
}

// checkUpdate validates one change against the incident's current state,
// without changing anything.
func (st *state) checkUpdate(inc *incident, in incidentUpdateInput) *apiError {
	if in.Type != "incident" && in.Type != "incident_reference" {
		return errInvalid("Type must be incident or incident_reference")
	}
	switch in.Status {
	case "", "triggered":
	case "acknowledged":
		if inc.status == "acknowledged" {
			return &apiError{Status: http.StatusBadRequest, Code: codeAlreadyAcknowledged, Message: "Incident Already Acknowledged",
				Errors: []string{"Incident " + inc.id + " is already acknowledged"}}
		}
	case "resolved":
		if inc.status == "resolved" {
			return &apiError{Status: http.StatusBadRequest, Code: codeAlreadyResolved, Message: "Incident Already Resolved",
				Errors: []string{"Incident " + inc.id + " is already resolved"}}
		}
	default:
		return &apiError{Status: http.StatusBadRequest, Code: codeInvalidStatus, Message: "Invalid Status Provided",
			Errors: []string{"Status must be triggered, acknowledged or resolved"}}
	}
	if !inc.open() && inc.key != "" && (in.Status == "triggered" || in.Status == "acknowledged") {
		if other := st.openByKey[dedupIndexKey(inc.serviceID, inc.key)]; other != nil && other != inc {
			return errInvalid("Open incident with matching dedup key already exists on this service")
		}
	}
	if in.Title != nil && strings.TrimSpace(*in.Title) == "" {
		return errInvalid("Title can't be blank")
	}
	if in.Urgency != "" && in.Urgency != "high" && in.Urgency != "low" {
		return errInvalid("Urgency must be high or low")
	}
	if in.EscalationPolicy != nil && st.policies[in.EscalationPolicy.ID] == nil {
		return errInvalid("Escalation policy not found")
	}
	if in.EscalationLevel != nil && *in.EscalationLevel != 1 {
		return errInvalid("Escalation level must be between 1 and the number of escalation rules (1)")
	}
	for _, a := range in.Assignments {
		if st.users[a.Assignee.ID] == nil {
			return errInvalid("Assignee " + a.Assignee.ID + " not found")
		}
	}
	if in.Service != nil && in.Service.ID != inc.serviceID {
		return errInvalid("Moving an incident to another service is not supported by the sandbox")
	}
	return nil
}

// applyUpdate performs a change checked by checkUpdate.
func (st *state) applyUpdate(inc *incident, in incidentUpdateInput, actor *user, now time.Time) {
	agent := actor.ref()
	channel := map[string]any{"type": "api", "summary": "Changed through the REST API"}
	if in.Title != nil && *in.Title != inc.title {
		inc.title = *in.Title
		inc.updatedAt = now
	}
	if in.Urgency != "" && in.Urgency != inc.urgency {
		inc.urgency = in.Urgency
		inc.updatedAt = now
	}
	if len(in.ConferenceBridge) > 0 {
		inc.conferenceBridge = append(json.RawMessage(nil), in.ConferenceBridge...)
		inc.updatedAt = now
	}
	if in.EscalationLevel != nil && inc.open() {
		// Escalating (re-)assigns the level's targets (the sandbox's
		// policies have one level) and logs the escalation.
		le := st.addLog(inc, "escalate_log_entry", agent, map[string]any{"type": "api", "summary": "Escalated through the REST API"},
			fmt.Sprintf("Escalated to level %d.", *in.EscalationLevel), now)
		if ep := st.policies[inc.epID]; ep != nil {
			le.assignees = []string{ep.userID}
		}
		inc.updatedAt = now
	}
	if in.EscalationPolicy != nil {
		inc.epID = in.EscalationPolicy.ID
		inc.assignedVia = "escalation_policy"
		if inc.open() {
			st.assign(inc, []string{st.policies[inc.epID].userID}, agent, now)
		}
	}
	if len(in.Assignments) > 0 && inc.open() {
		var ids []string
		for _, a := range in.Assignments {
			ids = append(ids, a.Assignee.ID)
		}
		inc.assignedVia = "direct_assignment"
		st.assign(inc, ids, agent, now)
	}
	switch {
	case in.Status == "resolved":
		st.resolve(inc, agent, channel, in.Resolution, now)
	case !inc.open() && (in.Status == "triggered" || in.Status == "acknowledged"):
		st.reopen(inc, in.Status, actor, channel, now)
	case in.Status == "acknowledged":
		st.acknowledge(inc, agent, channel, now)
	case in.Status == "triggered" && inc.status == "acknowledged":
		st.unacknowledge(inc, agent, channel, now)
	}
}

// updateIncidents is the bulk PUT /incidents. Every item is checked before
// any is applied, so a request either changes all its incidents or none.
func updateIncidents(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	var body struct {
		Incidents []incidentUpdateInput `json:"incidents"`
	}
	if e := decodeBody(c, &body); e != nil {
		return 0, nil, e
	}
	if e := checkBulkSize("incidents", len(body.Incidents)); e != nil {
		return 0, nil, e
	}
	targets := make([]*incident, len(body.Incidents))
	seen := map[string]bool{}
	for i, in := range body.Incidents {
		inc := c.st.incidentsByID[in.ID]
		if inc == nil {
			return 0, nil, &apiError{Status: http.StatusBadRequest, Code: 1004, Message: "Invalid ID Provided",
				Errors: []string{"Incident " + in.ID + " not found"}}
		}
		if seen[in.ID] {
			return 0, nil, errInvalid("Incident " + in.ID + " appears more than once")
		}
		seen[in.ID] = true
		if e := c.st.checkUpdate(inc, in); e != nil {
			return 0, nil, e
		}
		targets[i] = inc
	}
	items := []any{}
	for i, inc := range targets {
		c.st.applyUpdate(inc, body.Incidents[i], actor, c.now)
		items = append(items, c.st.renderIncident(inc, c, nil))
	}
	pg := page{limit: len(items), total: c.r.URL.Query().Get("total") == "true"}
	return http.StatusOK, pg.list("incidents", items, len(items)), nil
}

func updateIncident(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	var in incidentUpdateInput
	if e := decodeWrapped(c, "incident", &in); e != nil {
		return 0, nil, e
	}
	if e := c.st.checkUpdate(inc, in); e != nil {
		return 0, nil, e
	}
	c.st.applyUpdate(inc, in, actor, c.now)
	return http.StatusOK, map[string]any{"incident": c.st.renderIncident(inc, c, nil)}, nil
}

// ---- notes ----

func (st *state) renderNote(n *note, base string) map[string]any {
	return map[string]any{
		"id": n.id, "user": st.users[n.userID].ref().render(base), "content": n.content,
		"created_at": fmtTime(n.at), "updated_at": fmtTime(n.at),
		"channel": map[string]any{"summary": "The PagerDuty website or APIs"},
	}
}

func listNotes(c *reqCtx) (int, any, *apiError) {
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	notes := []any{}
	for _, n := range inc.notes {
		notes = append(notes, c.st.renderNote(n, c.base))
	}
	return http.StatusOK, map[string]any{"notes": notes}, nil
}

// createNote answers 201, as PagerDuty does, although the spec declares
// only 200; the note's user is the From user, and an annotate log entry
// records it.
func createNote(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	var in struct {
		Content *string `json:"content"`
	}
	if e := decodeWrapped(c, "note", &in); e != nil {
		return 0, nil, e
	}
	if in.Content == nil || strings.TrimSpace(*in.Content) == "" {
		return 0, nil, errInvalid("Content can't be blank")
	}
	if len(inc.notes) >= maxNotesPerIncident {
		return 0, nil, errInvalid(fmt.Sprintf("An incident can have at most %d notes", maxNotesPerIncident))
	}
	n := &note{id: c.st.newID("PNOT"), userID: actor.id, content: *in.Content, at: c.now}
	inc.notes = append(inc.notes, n)
	inc.updatedAt = c.now
	le := c.st.addLog(inc, "annotate_log_entry", actor.ref(), map[string]any{"type": "api", "summary": *in.Content}, "Note added", c.now)
	le.note = *in.Content
	return http.StatusCreated, map[string]any{"note": c.st.renderNote(n, c.base)}, nil
}

// ---- merge ----

// mergeIncidents is PUT /incidents/{id}/merge (spec: "After the merge is
// performed the target incident will contain the source incidents'
// alerts, and the source incidents will be resolved"; "The target
// incident must be open"; at most 1000 alerts on the target). Each source
// is resolved with resolve_reason merge_resolve_reason pointing at the
// target. All sources are checked before any is merged.
func mergeIncidents(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	target, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	var body struct {
		SourceIncidents []idRef `json:"source_incidents"`
	}
	if e := decodeBody(c, &body); e != nil {
		return 0, nil, e
	}
	if len(body.SourceIncidents) == 0 {
		return 0, nil, &apiError{Status: http.StatusBadRequest, Code: codeMissingArguments, Message: "Missing Arguments",
			Errors: []string{"source_incidents must be a non-empty array"}}
	}
	if !target.open() {
		return 0, nil, errInvalid("Open incidents cannot be merged into a resolved incident")
	}
	alerts := len(target.alertIDs)
	var sources []*incident
	seen := map[string]bool{}
	for _, r := range body.SourceIncidents {
		src := c.st.incidentsByID[r.ID]
		switch {
		case src == nil:
			return 0, nil, errInvalid("Incident " + r.ID + " not found")
		case src == target:
			return 0, nil, errInvalid("An incident cannot be merged into itself")
		case seen[src.id]:
			return 0, nil, errInvalid("Incident " + src.id + " appears more than once")
		}
		seen[src.id] = true
		alerts += len(src.alertIDs)
		sources = append(sources, src)
	}
	if alerts > maxAlertsPerIncident {
		return 0, nil, errInvalid(fmt.Sprintf("An incident cannot have more than %d alerts", maxAlertsPerIncident))
	}
	channel := map[string]any{"type": "api", "summary": "Merged through the REST API"}
	for _, src := range sources {
		for _, id := range src.alertIDs {
			a := c.st.alerts[id]
			a.incidentID = target.id
			target.alertIDs = append(target.alertIDs, id)
		}
		src.alertIDs = nil
		target.updatedAt = c.now
		if src.open() {
			c.st.resolve(src, actor.ref(), channel, "", c.now)
		}
		src.mergedInto = target.id
	}
	// The response is a reference to the target (spec: 200 {incident: IncidentReference}).
	return http.StatusOK, map[string]any{"incident": target.ref().render(c.base)}, nil
}
