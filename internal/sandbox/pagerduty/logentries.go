package pagerduty

import (
	"encoding/json"
	"net/http"
	"time"
)

type logEntry struct {
	id         string
	typ        string
	at         time.Time
	incidentID string
	serviceID  string
	agent      ref
	// channel always has a string "type": go-pagerduty v1.8.0 decodes it
	// with an unchecked type assertion and panics otherwise. It never
	// changes once written, so it is kept encoded: listings of thousands of
	// incidents embed it (first_trigger_log_entries).
	channel json.RawMessage
	summary string
	note    string
	// eventDetails must map strings to strings (go-pagerduty decodes it
	// into map[string]string).
	eventDetails map[string]string
	assignees    []string // assign_log_entry, escalate_log_entry
	ackTimeout   *int     // acknowledge_log_entry
	user         string   // notify_log_entry: the user notified
}

// overviewTypes are the entries is_overview=true keeps: the status changes.
var overviewTypes = map[string]bool{
	"trigger_log_entry": true, "acknowledge_log_entry": true, "unacknowledge_log_entry": true,
	"resolve_log_entry": true, "escalate_log_entry": true,
}

func (st *state) addLog(inc *incident, typ string, agent ref, channel map[string]any, summary string, now time.Time) *logEntry {
	if _, ok := channel["type"].(string); !ok {
		channel["type"] = "api"
	}
	encoded, err := json.Marshal(channel)
	if err != nil {
		encoded = []byte(`{"type":"api"}`) // channels are built from decoded JSON; this cannot happen
	}
	le := &logEntry{id: st.newID("PLOG"), typ: typ, at: now, incidentID: inc.id, serviceID: inc.serviceID,
		agent: agent, channel: encoded, summary: summary}
	st.logEntries = append(st.logEntries, le)
	st.logByID[le.id] = le
	inc.logIDs = append(inc.logIDs, le.id)
	return le
}

func (le *logEntry) ref(inc *incident) ref {
	return ref{ID: le.id, Type: le.typ + "_reference", Summary: le.summary,
		Path: "/log_entries/" + le.id + "?incident_id=" + inc.id, HTMLPath: "/incidents/" + inc.id + "/log_entries/" + le.id}
}

func (st *state) renderLogEntry(le *logEntry, c *reqCtx) map[string]any {
	inc := st.incidentsByID[le.incidentID]
	svcRef := ref{ID: le.serviceID, Type: "service_reference", Path: "/services/" + le.serviceID, HTMLPath: "/service-directory/" + le.serviceID}
	if s := st.services[le.serviceID]; s != nil {
		svcRef = s.ref()
	}
	m := map[string]any{
		"id": le.id, "type": le.typ, "summary": le.summary, "self": c.base + "/log_entries/" + le.id,
		"html_url":   c.base + "/incidents/" + le.incidentID + "/log_entries/" + le.id,
		"created_at": fmtTime(le.at), "agent": le.agent.render(c.base), "channel": le.channel,
		"service": svcRef.render(c.base), "incident": inc.ref().render(c.base),
		"teams": []any{}, "contexts": []any{},
	}
	if le.eventDetails != nil {
		m["event_details"] = le.eventDetails
	}
	if le.note != "" {
		m["note"] = le.note
	}
	if u := st.users[le.user]; u != nil {
		m["user"] = u.ref().render(c.base)
	}
	if le.typ == "assign_log_entry" || le.typ == "escalate_log_entry" {
		assignees := []any{}
		for _, id := range le.assignees {
			assignees = append(assignees, st.users[id].ref().render(c.base))
		}
		m["assignees"] = assignees
	}
	if le.ackTimeout != nil {
		m["acknowledgement_timeout"] = *le.ackTimeout
	}
	return m
}

// logEntryFilter applies since/until (created_at, since inclusive, until
// exclusive) and is_overview.
type logEntryFilter struct {
	since, until time.Time
	overview     bool
}

func parseLogEntryFilter(c *reqCtx) (logEntryFilter, *apiError) {
	var f logEntryFilter
	q := c.r.URL.Query()
	for _, k := range []string{"since", "until"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		t, ok := parseTimeIn(v, c.zone)
		if !ok {
			return f, &apiError{Status: http.StatusBadRequest, Code: codeInvalidTimes, Message: "Invalid time values in since/until",
				Errors: []string{k + " is not a valid date-time"}}
		}
		if k == "since" {
			f.since = t
		} else {
			f.until = t
		}
	}
	if !f.since.IsZero() && !f.until.IsZero() && f.until.Before(f.since) {
		return f, &apiError{Status: http.StatusBadRequest, Code: codeInvalidDateRange, Message: "Invalid Query Date Range",
			Errors: []string{"until must not be before since"}}
	}
	var e *apiError
	f.overview, e = queryBool(c, "is_overview")
	return f, e
}

func (f logEntryFilter) keep(le *logEntry) bool {
	return !le.at.Before(f.since) && (f.until.IsZero() || le.at.Before(f.until)) && (!f.overview || overviewTypes[le.typ])
}

// listLogEntryIDs pages through ids newest first, as PagerDuty lists log entries.
func (st *state) listLogEntryIDs(c *reqCtx, ids func(yield func(*logEntry) bool)) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	f, e := parseLogEntryFilter(c)
	if e != nil {
		return 0, nil, e
	}
	var list []*logEntry
	ids(func(le *logEntry) bool {
		if f.keep(le) {
			list = append(list, le)
		}
		return true
	})
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, le := range list[lo:hi] {
		items = append(items, st.renderLogEntry(le, c))
	}
	return http.StatusOK, pg.list("log_entries", items, len(list)), nil
}

func listIncidentLogEntries(c *reqCtx) (int, any, *apiError) {
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	return c.st.listLogEntryIDs(c, func(yield func(*logEntry) bool) {
		for i := len(inc.logIDs) - 1; i >= 0; i-- {
			if !yield(c.st.logByID[inc.logIDs[i]]) {
				return
			}
		}
	})
}

func listLogEntries(c *reqCtx) (int, any, *apiError) {
	if len(queryList(c, "team_ids")) > 0 { // the sandbox has no teams
		return c.st.listLogEntryIDs(c, func(func(*logEntry) bool) {})
	}
	return c.st.listLogEntryIDs(c, func(yield func(*logEntry) bool) {
		for i := len(c.st.logEntries) - 1; i >= 0; i-- {
			if !yield(c.st.logEntries[i]) {
				return
			}
		}
	})
}

func getLogEntry(c *reqCtx) (int, any, *apiError) {
	le := c.st.logByID[c.r.PathValue("id")]
	if le == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, map[string]any{"log_entry": c.st.renderLogEntry(le, c)}, nil
}
