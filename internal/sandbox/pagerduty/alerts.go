package pagerduty

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// An alert is what an Events API v2 trigger creates: every trigger creates
// or updates an alert, and alerts belong to incidents (spec: Alert;
// Events API v2 docs, "Alerts"). Incidents created through the REST API
// have no alerts.
type alert struct {
	id         string
	key        string // alert_key: the event's dedup_key
	routingKey string // the routing key it came through; de-duplication is scoped to it
	// integrationRef is the service integration it came through; zero for
	// an orchestration routing key.
	integrationRef    ref
	serviceID         string
	incidentID        string
	status            string // triggered or resolved (spec: Alert.status)
	severity, summary string
	details           any
	createdAt         time.Time
	resolvedAt        time.Time
	firstTriggerLogID string
}

// maxAlertsPerIncident is the most alerts an incident may hold (spec,
// PUT /incidents/{id}/merge: "An incident cannot have more than 1000 alerts").
const maxAlertsPerIncident = 1000

func (a *alert) open() bool { return a.status == "triggered" }

func (a *alert) path() string { return "/incidents/" + a.incidentID + "/alerts/" + a.id }

func (st *state) renderAlert(a *alert, c *reqCtx, includes []string) map[string]any {
	inc := st.incidentsByID[a.incidentID]
	var svc any = ref{ID: a.serviceID, Type: "service_reference", Path: "/services/" + a.serviceID, HTMLPath: "/service-directory/" + a.serviceID}.render(c.base)
	if s := st.services[a.serviceID]; s != nil {
		svc = s.ref().render(c.base)
		if contains(includes, "services") {
			svc = st.renderService(s, c, nil)
		}
	}
	var incident any = inc.ref().render(c.base)
	if contains(includes, "incidents") {
		incident = st.renderIncident(inc, c, nil)
	}
	details := a.details
	if details == nil {
		details = map[string]any{}
	}
	m := map[string]any{
		"id": a.id, "type": "alert", "summary": a.summary, "self": c.base + a.path(),
		"html_url": c.base + "/alerts/" + a.id, "created_at": fmtTime(a.createdAt), "status": a.status,
		"alert_key": a.key, "service": svc, "incident": incident, "suppressed": false, "severity": a.severity,
		"body": map[string]any{"type": "alert_body", "contexts": []any{}, "details": details},
	}
	if a.integrationRef.ID != "" {
		m["integration"] = a.integrationRef.render(c.base)
	}
	if le := st.logByID[a.firstTriggerLogID]; le != nil {
		if contains(includes, "first_trigger_log_entries") {
			m["first_trigger_log_entry"] = st.renderLogEntry(le, c)
		} else {
			m["first_trigger_log_entry"] = le.ref(inc).render(c.base)
		}
	}
	return m
}

// alertCounts derives alert_counts, which PagerDuty keeps
// in step with the incident's alerts.
func (st *state) alertCounts(inc *incident) (triggered, resolved int) {
	for _, id := range inc.alertIDs {
		if st.alerts[id].open() {
			triggered++
		} else {
			resolved++
		}
	}
	return triggered, resolved
}

// newAlert records a triggered alert on inc.
func (st *state) newAlert(inc *incident, routingKey, key string, integ ref, severity, summary string, details any, logID string, now time.Time) *alert {
	a := &alert{id: st.newID("QALR"), key: key, routingKey: routingKey, integrationRef: integ, serviceID: inc.serviceID,
		incidentID: inc.id, status: "triggered", severity: severity, summary: summary, details: details,
		createdAt: now, firstTriggerLogID: logID}
	st.alerts[a.id] = a
	st.openAlerts[dedupIndexKey(routingKey, key)] = a
	st.alertsByKey[key] = append(st.alertsByKey[key], a)
	inc.alertIDs = append(inc.alertIDs, a.id)
	inc.updatedAt = now
	return a
}

// resolveAlert resolves one alert; it reports whether it was the last open
// alert of its incident (Events API v2 docs: an incident resolves when all
// of its alerts are resolved).
func (st *state) resolveAlert(a *alert, now time.Time) (lastOpen bool) {
	if !a.open() {
		return false
	}
	a.status = "resolved"
	a.resolvedAt = now
	if k := dedupIndexKey(a.routingKey, a.key); st.openAlerts[k] == a {
		delete(st.openAlerts, k)
	}
	inc := st.incidentsByID[a.incidentID]
	inc.updatedAt = now
	triggered, _ := st.alertCounts(inc)
	return triggered == 0
}

// groupingTimeout says whether svc groups alerts by time, and for how long
// a new incident keeps taking alerts (0: until it is resolved). It reads
// alert_grouping_parameters {type: time, config: {timeout}} and the
// deprecated alert_grouping "time" with alert_grouping_timeout (spec:
// Service, TimeBasedAlertGroupingConfiguration). Intelligent and
// content-based grouping are stored but not modelled: each alert then
// opens its own incident.
func (s *service) groupingTimeout() (time.Duration, bool) {
	if len(s.alertGroupingParams) > 0 {
		var p struct {
			Type   *string `json:"type"`
			Config struct {
				Timeout *int `json:"timeout"`
			} `json:"config"`
		}
		if json.Unmarshal(s.alertGroupingParams, &p) == nil && p.Type != nil {
			if *p.Type != "time" {
				return 0, false
			}
			if p.Config.Timeout == nil {
				return 0, true
			}
			return time.Duration(*p.Config.Timeout) * time.Minute, true
		}
	}
	if s.alertGrouping == "time" {
		if s.alertGroupingTimeout == nil {
			return 0, true
		}
		return time.Duration(*s.alertGroupingTimeout) * time.Minute, true
	}
	return 0, false
}

// groupingTarget returns the open incident a new alert on svc joins under
// time-based grouping, or nil when it opens its own.
func (st *state) groupingTarget(svc *service, now time.Time) *incident {
	timeout, ok := svc.groupingTimeout()
	if !ok || svc.groupingIncidentID == "" {
		return nil
	}
	inc := st.incidentsByID[svc.groupingIncidentID]
	if inc == nil || !inc.open() || (timeout > 0 && !now.Before(inc.createdAt.Add(timeout))) {
		return nil
	}
	if len(inc.alertIDs) >= maxAlertsPerIncident {
		return nil
	}
	return inc
}

// checkAlertGrouping validates alert_grouping_parameters as the spec
// describes them (type time|intelligent|content_based|null; a time
// timeout of 0 to 1440 minutes).
func checkAlertGrouping(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var p struct {
		Type   *string         `json:"type"`
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return []string{"Alert grouping parameters must be an object"}
	}
	if p.Type == nil {
		return nil
	}
	switch *p.Type {
	case "time":
		var cfg struct {
			Timeout *int `json:"timeout"`
		}
		if len(p.Config) > 0 && string(p.Config) != "null" {
			if err := json.Unmarshal(p.Config, &cfg); err != nil {
				return []string{"Alert grouping parameters config is invalid"}
			}
		}
		// The schema says 1-1440, its description that 0 groups until the
		// incident resolves; both are accepted.
		if cfg.Timeout != nil && (*cfg.Timeout < 0 || *cfg.Timeout > 1440) {
			return []string{"Alert grouping timeout must be between 0 and 1440 minutes"}
		}
	case "intelligent", "content_based":
	default:
		return []string{"Alert grouping type must be time, intelligent or content_based"}
	}
	return nil
}

// ---- REST: /incidents/{id}/alerts ----

var alertStatuses = []string{"triggered", "resolved"}

func listIncidentAlerts(c *reqCtx) (int, any, *apiError) {
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	statuses := queryList(c, "statuses")
	for _, s := range statuses {
		if !contains(alertStatuses, s) {
			return 0, nil, errInvalid("Statuses must be triggered or resolved")
		}
	}
	includes := queryList(c, "include")
	for _, in := range includes {
		if !contains([]string{"services", "first_trigger_log_entries", "incidents"}, in) {
			return 0, nil, errInvalid("Include must be services, first_trigger_log_entries or incidents")
		}
	}
	q := c.r.URL.Query()
	_, byKey := q["alert_key"]
	var list []*alert
	for _, id := range inc.alertIDs {
		a := c.st.alerts[id]
		if (len(statuses) > 0 && !contains(statuses, a.status)) || (byKey && a.key != q.Get("alert_key")) {
			continue
		}
		list = append(list, a)
	}
	less, e := alertOrder(c)
	if e != nil {
		return 0, nil, e
	}
	sort.SliceStable(list, func(i, j int) bool { return less(list[i], list[j]) })
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, a := range list[lo:hi] {
		items = append(items, c.st.renderAlert(a, c, includes))
	}
	return http.StatusOK, pg.list("alerts", items, len(list)), nil
}

// alertOrder parses sort_by (created_at or resolved_at, asc or desc, at
// most two terms, spec: sort_by_incident_alerts); the default is creation order.
func alertOrder(c *reqCtx) (func(a, b *alert) bool, *apiError) {
	terms := queryList(c, "sort_by")
	if len(terms) > 2 {
		return nil, errInvalid("Sort by accepts at most 2 fields")
	}
	type key struct {
		cmp  func(a, b *alert) int
		desc bool
	}
	var keys []key
	for _, t := range terms {
		field, dir, _ := strings.Cut(t, ":")
		k := key{desc: dir == "desc"}
		if dir != "" && dir != "asc" && dir != "desc" {
			return nil, errInvalid("Sort direction must be asc or desc")
		}
		switch field {
		case "created_at":
			k.cmp = func(a, b *alert) int { return a.createdAt.Compare(b.createdAt) }
		case "resolved_at":
			k.cmp = func(a, b *alert) int { return a.resolvedAt.Compare(b.resolvedAt) }
		default:
			return nil, errInvalid("Sort by field must be created_at or resolved_at")
		}
		keys = append(keys, k)
	}
	return func(a, b *alert) bool {
		for _, k := range keys {
			d := k.cmp(a, b)
			if k.desc {
				d = -d
			}
			if d != 0 {
				return d < 0
			}
		}
		return a.id < b.id
	}, nil
}

func (c *reqCtx) incidentAlert(inc *incident, id string) (*alert, *apiError) {
	a := c.st.alerts[id]
	if a == nil || a.incidentID != inc.id {
		return nil, errNotFound()
	}
	return a, nil
}

func getIncidentAlert(c *reqCtx) (int, any, *apiError) {
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	a, e := c.incidentAlert(inc, c.r.PathValue("alert_id"))
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, map[string]any{"alert": c.st.renderAlert(a, c, queryList(c, "include"))}, nil
}

// alertUpdateInput is AlertUpdate (spec): a status and/or a new parent.
type alertUpdateInput struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Status   string `json:"status"`
	Incident *idRef `json:"incident"`
}

// checkAlertUpdate validates one alert change. Resolving is modelled;
// moving an alert to another incident is refused rather than faked.
func checkAlertUpdate(a *alert, in alertUpdateInput) *apiError {
	if in.Type != "" && in.Type != "alert" {
		return errInvalid("Type must be alert")
	}
	switch in.Status {
	case "", "resolved":
	case "triggered":
		if !a.open() {
			return errInvalid("Alert " + a.id + " is resolved and cannot be triggered again; send a new event instead")
		}
	default:
		return errInvalid("Status must be resolved or triggered")
	}
	if in.Incident != nil && in.Incident.ID != a.incidentID {
		return errInvalid("Moving an alert to another incident is not supported by the sandbox")
	}
	if in.Status == "" && in.Incident == nil {
		return errInvalid("Nothing to update: give a status or an incident")
	}
	return nil
}

// resolveAlertAs resolves a and, when it was the incident's last open
// alert, the incident too, as agent.
func (st *state) resolveAlertAs(a *alert, agent ref, channel map[string]any, now time.Time) {
	if st.resolveAlert(a, now) {
		if inc := st.incidentsByID[a.incidentID]; inc.open() {
			st.resolve(inc, agent, channel, "", now)
		}
	}
}

func updateIncidentAlert(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	a, e := c.incidentAlert(inc, c.r.PathValue("alert_id"))
	if e != nil {
		return 0, nil, e
	}
	var in alertUpdateInput
	if e := decodeWrapped(c, "alert", &in); e != nil {
		return 0, nil, e
	}
	if e := checkAlertUpdate(a, in); e != nil {
		return 0, nil, e
	}
	if in.Status == "resolved" {
		c.st.resolveAlertAs(a, actor.ref(), map[string]any{"type": "api", "summary": "Alert resolved through the REST API"}, c.now)
	}
	return http.StatusOK, map[string]any{"alert": c.st.renderAlert(a, c, nil)}, nil
}

// updateIncidentAlerts is the bulk PUT /incidents/{id}/alerts: at most 250
// alerts (413 beyond, spec), all checked before any is changed.
func updateIncidentAlerts(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	inc, e := c.incident()
	if e != nil {
		return 0, nil, e
	}
	var body struct {
		Alerts []alertUpdateInput `json:"alerts"`
	}
	if e := decodeBody(c, &body); e != nil {
		return 0, nil, e
	}
	if e := checkBulkSize("alerts", len(body.Alerts)); e != nil {
		return 0, nil, e
	}
	targets := make([]*alert, len(body.Alerts))
	for i, in := range body.Alerts {
		a, e := c.incidentAlert(inc, in.ID)
		if e != nil {
			return 0, nil, errInvalid("Alert " + in.ID + " not found on incident " + inc.id)
		}
		if e := checkAlertUpdate(a, in); e != nil {
			return 0, nil, e
		}
		targets[i] = a
	}
	items := []any{}
	for i, a := range targets {
		if body.Alerts[i].Status == "resolved" {
			c.st.resolveAlertAs(a, actor.ref(), map[string]any{"type": "api", "summary": "Alert resolved through the REST API"}, c.now)
		}
		items = append(items, c.st.renderAlert(a, c, nil))
	}
	pg := page{limit: len(items)}
	return http.StatusOK, pg.list("alerts", items, len(items)), nil
}
