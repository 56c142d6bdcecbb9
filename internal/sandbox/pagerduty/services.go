package pagerduty

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

type service struct {
	id, name, description string
	epID                  string
	// nil means the timeout is disabled, which PagerDuty shows as null.
	autoResolveTimeout, ackTimeout *int
	disabled                       bool
	createdAt                      time.Time
	lastIncidentAt                 time.Time // zero: never had one
	alertCreation                  string
	alertGrouping                  string
	alertGroupingTimeout           *int
	// Settings the sandbox stores and echoes but does not act on, except
	// incident_urgency_rule for the urgency of new incidents.
	urgencyRule, supportHours, scheduledActions, autoPause, alertGroupingParams json.RawMessage

	integrationIDs []string
	windowIDs      []string
	// Open incident counts, kept up to date so that status is cheap to derive.
	triggered, acknowledged int
	// groupingIncidentID is the incident that new alerts join under
	// time-based alert grouping (see groupingTarget).
	groupingIncidentID string
}

func (s *service) ref() ref {
	return ref{ID: s.id, Type: "service_reference", Summary: s.name, Path: "/services/" + s.id, HTMLPath: "/service-directory/" + s.id}
}

// status derives the service status as PagerDuty defines it: disabled if
// disabled; maintenance while an ongoing window covers it; critical with
// any triggered incident; warning with any acknowledged one; else active.
func (st *state) serviceStatus(s *service, now time.Time) string {
	switch {
	case s.disabled:
		return "disabled"
	case st.inMaintenance(s, now):
		return "maintenance"
	case s.triggered > 0:
		return "critical"
	case s.acknowledged > 0:
		return "warning"
	}
	return "active"
}

func (st *state) inMaintenance(s *service, now time.Time) bool {
	for _, id := range s.windowIDs {
		if w := st.windows[id]; w != nil && w.ongoing(now) {
			return true
		}
	}
	return false
}

const defaultUrgencyRule = `{"type":"constant","urgency":"high"}`

func (st *state) renderService(s *service, c *reqCtx, includes []string) map[string]any {
	integrations := []any{}
	for _, id := range s.integrationIDs {
		in := st.integrations[id]
		if contains(includes, "integrations") {
			integrations = append(integrations, st.renderIntegration(in, c.base))
		} else {
			integrations = append(integrations, in.ref().render(c.base))
		}
	}
	var ep any = st.policies[s.epID].ref().render(c.base)
	if contains(includes, "escalation_policies") {
		ep = st.renderPolicy(st.policies[s.epID], c.base)
	}
	m := map[string]any{
		"id": s.id, "type": "service", "summary": s.name, "self": c.base + "/services/" + s.id,
		"html_url": c.base + "/service-directory/" + s.id, "name": s.name, "description": s.description,
		"auto_resolve_timeout": intOrNil(s.autoResolveTimeout), "acknowledgement_timeout": intOrNil(s.ackTimeout),
		"created_at": fmtTime(s.createdAt), "status": st.serviceStatus(s, c.now),
		"escalation_policy": ep, "teams": []any{}, "integrations": integrations, "addons": []any{},
		"incident_urgency_rule": rawOr(s.urgencyRule, rawOr(json.RawMessage(defaultUrgencyRule), nil)),
		"scheduled_actions":     rawOr(s.scheduledActions, []any{}),
		"alert_creation":        s.alertCreation,
	}
	if !s.lastIncidentAt.IsZero() {
		m["last_incident_timestamp"] = fmtTime(s.lastIncidentAt)
	}
	if len(s.supportHours) > 0 && string(s.supportHours) != "null" {
		m["support_hours"] = rawOr(s.supportHours, nil)
	}
	if len(s.autoPause) > 0 && string(s.autoPause) != "null" {
		m["auto_pause_notifications_parameters"] = rawOr(s.autoPause, nil)
	}
	if len(s.alertGroupingParams) > 0 && string(s.alertGroupingParams) != "null" {
		m["alert_grouping_parameters"] = rawOr(s.alertGroupingParams, nil)
	}
	if s.alertGrouping != "" {
		m["alert_grouping"] = s.alertGrouping
	}
	if s.alertGroupingTimeout != nil {
		m["alert_grouping_timeout"] = *s.alertGroupingTimeout
	}
	return m
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// serviceInput is the writable part of a Service.
type serviceInput struct {
	Type                   *string     `json:"type"`
	Name                   *string     `json:"name"`
	Description            *string     `json:"description"`
	Status                 *string     `json:"status"`
	EscalationPolicy       *idRef      `json:"escalation_policy"`
	AutoResolveTimeout     nullableInt `json:"auto_resolve_timeout"`
	AcknowledgementTimeout nullableInt `json:"acknowledgement_timeout"`
	AlertCreation          *string     `json:"alert_creation"`
	AlertGrouping          *string     `json:"alert_grouping"`
	AlertGroupingTimeout   nullableInt `json:"alert_grouping_timeout"`

	IncidentUrgencyRule              json.RawMessage `json:"incident_urgency_rule"`
	SupportHours                     json.RawMessage `json:"support_hours"`
	ScheduledActions                 json.RawMessage `json:"scheduled_actions"`
	AutoPauseNotificationsParameters json.RawMessage `json:"auto_pause_notifications_parameters"`
	AlertGroupingParameters          json.RawMessage `json:"alert_grouping_parameters"`
}

// idRef is a reference as clients send it.
type idRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// apply validates in and copies it onto s. creating selects the POST rules.
func (st *state) applyService(s *service, in serviceInput, creating bool) *apiError {
	var errs []string
	if in.Type != nil && *in.Type != "service" && *in.Type != "service_reference" {
		errs = append(errs, "Type must be service")
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			errs = append(errs, "Name can't be blank")
		}
		for _, other := range st.services {
			if other != s && strings.EqualFold(other.name, name) {
				errs = append(errs, "Name has already been taken")
				break
			}
		}
	} else if creating {
		errs = append(errs, "Name can't be blank")
	}
	if in.EscalationPolicy == nil {
		errs = append(errs, "Escalation policy can't be blank")
	} else if st.policies[in.EscalationPolicy.ID] == nil {
		errs = append(errs, "Escalation policy not found")
	}
	if in.Status != nil {
		switch *in.Status {
		case "active":
		case "disabled":
			if creating {
				// PagerDuty: "active" is the only status a service can be created with.
				errs = append(errs, "Status must be active when creating a service")
			}
		case "warning", "critical", "maintenance":
			// Derived statuses: creating with them is an error; on update they
			// are ignored, so that a read-modify-write of a service works.
			if creating {
				errs = append(errs, "Status must be active when creating a service")
			}
		default:
			errs = append(errs, "Status is invalid")
		}
	}
	if in.AlertCreation != nil && *in.AlertCreation != "create_incidents" && *in.AlertCreation != "create_alerts_and_incidents" {
		errs = append(errs, "Alert creation is invalid")
	}
	for _, t := range []nullableInt{in.AutoResolveTimeout, in.AcknowledgementTimeout} {
		if t.Set && !t.Null && t.V <= 0 {
			errs = append(errs, "Timeouts must be positive numbers of seconds, or null to disable them")
		}
	}
	errs = append(errs, checkAlertGrouping(in.AlertGroupingParameters)...)
	if in.AlertGrouping != nil && *in.AlertGrouping != "" && *in.AlertGrouping != "time" && *in.AlertGrouping != "intelligent" {
		errs = append(errs, "Alert grouping must be time or intelligent")
	}
	if in.AlertGroupingTimeout.Set && !in.AlertGroupingTimeout.Null && (in.AlertGroupingTimeout.V < 0 || in.AlertGroupingTimeout.V > 1440) {
		errs = append(errs, "Alert grouping timeout must be between 0 and 1440 minutes")
	}
	if len(in.IncidentUrgencyRule) > 0 && string(in.IncidentUrgencyRule) != "null" {
		var rule struct {
			Type, Urgency string
		}
		if json.Unmarshal(in.IncidentUrgencyRule, &rule) != nil || (rule.Type != "constant" && rule.Type != "use_support_hours") ||
			(rule.Type == "constant" && rule.Urgency != "high" && rule.Urgency != "low" && rule.Urgency != "severity_based") {
			errs = append(errs, "Incident urgency rule is invalid")
		}
	}
	if len(errs) > 0 {
		return errInvalid(errs...)
	}

	if in.Name != nil {
		s.name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		s.description = *in.Description
	}
	s.epID = in.EscalationPolicy.ID
	if in.Status != nil {
		switch *in.Status {
		case "active":
			s.disabled = false
		case "disabled":
			s.disabled = true
		}
	}
	if in.AutoResolveTimeout.Set {
		s.autoResolveTimeout = in.AutoResolveTimeout.ptr()
	}
	if in.AcknowledgementTimeout.Set {
		s.ackTimeout = in.AcknowledgementTimeout.ptr()
	}
	if in.AlertCreation != nil {
		s.alertCreation = *in.AlertCreation
	}
	if in.AlertGrouping != nil {
		s.alertGrouping = *in.AlertGrouping
	}
	if in.AlertGroupingTimeout.Set {
		s.alertGroupingTimeout = in.AlertGroupingTimeout.ptr()
	}
	setRaw := func(dst *json.RawMessage, v json.RawMessage) {
		if len(v) > 0 {
			*dst = append(json.RawMessage(nil), v...)
		}
	}
	setRaw(&s.urgencyRule, in.IncidentUrgencyRule)
	setRaw(&s.supportHours, in.SupportHours)
	setRaw(&s.scheduledActions, in.ScheduledActions)
	setRaw(&s.autoPause, in.AutoPauseNotificationsParameters)
	setRaw(&s.alertGroupingParams, in.AlertGroupingParameters)
	return nil
}

func listServices(c *reqCtx) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	q := c.r.URL.Query()
	query := strings.ToLower(q.Get("query"))
	name := q.Get("name")
	desc := false
	switch q.Get("sort_by") {
	case "", "name", "name:asc":
	case "name:desc":
		desc = true
	default:
		return 0, nil, errInvalid("Sort by must be one of name, name:asc, name:desc")
	}
	teamFilter := len(queryList(c, "team_ids")) > 0 // the sandbox has no teams
	var list []*service
	for _, s := range c.st.services {
		if teamFilter || (query != "" && !strings.Contains(strings.ToLower(s.name), query)) || (name != "" && s.name != name) {
			continue
		}
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := strings.ToLower(list[i].name), strings.ToLower(list[j].name)
		if a == b {
			return (list[i].id < list[j].id) != desc
		}
		return (a < b) != desc
	})
	includes := queryList(c, "include")
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, s := range list[lo:hi] {
		items = append(items, c.st.renderService(s, c, includes))
	}
	return http.StatusOK, pg.list("services", items, len(list)), nil
}

func createService(c *reqCtx) (int, any, *apiError) {
	var in serviceInput
	if e := decodeWrapped(c, "service", &in); e != nil {
		return 0, nil, e
	}
	ack, resolve := 1800, 14400 // the spec's defaults
	s := &service{createdAt: c.now, alertCreation: "create_alerts_and_incidents", ackTimeout: &ack, autoResolveTimeout: &resolve}
	if e := c.st.applyService(s, in, true); e != nil {
		return 0, nil, e
	}
	s.id = c.st.newID("PSVC")
	c.st.services[s.id] = s
	return http.StatusCreated, map[string]any{"service": c.st.renderService(s, c, nil)}, nil
}

func getService(c *reqCtx) (int, any, *apiError) {
	s := c.st.services[c.r.PathValue("id")]
	if s == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, map[string]any{"service": c.st.renderService(s, c, queryList(c, "include"))}, nil
}

// updateService follows the spec strictly: the body's service must carry
// type and escalation_policy (allOf required), even for a status change.
func updateService(c *reqCtx) (int, any, *apiError) {
	s := c.st.services[c.r.PathValue("id")]
	if s == nil {
		return 0, nil, errNotFound()
	}
	var in serviceInput
	if e := decodeWrapped(c, "service", &in); e != nil {
		return 0, nil, e
	}
	if in.Type == nil {
		return 0, nil, errInvalid("Type can't be blank")
	}
	if e := c.st.applyService(s, in, false); e != nil {
		return 0, nil, e
	}
	return http.StatusOK, map[string]any{"service": c.st.renderService(s, c, nil)}, nil
}

// deleteService removes the service and its integrations. Its incidents
// stay readable, as in PagerDuty.
func deleteService(c *reqCtx) (int, any, *apiError) {
	s := c.st.services[c.r.PathValue("id")]
	if s == nil {
		return 0, nil, errNotFound()
	}
	// A copy: removeIntegration compacts s.integrationIDs in place.
	for _, id := range slices.Clone(s.integrationIDs) {
		c.st.removeIntegration(c.st.integrations[id])
	}
	delete(c.st.services, s.id)
	return http.StatusNoContent, nil, nil
}

// ---- service integrations ----

type integration struct {
	id, typ, name, serviceID string
	key                      string // empty for email integrations
	email                    string
	createdAt                time.Time
	vendorID                 string // empty: no vendor
	// Email settings, stored and echoed for email integrations only.
	emailIncidentCreation, emailFilterMode, emailParsingFallback string
	emailParsers, emailFilters                                   json.RawMessage
}

var integrationTypes = map[string]string{ // type -> default name
	"aws_cloudwatch_inbound_integration":        "Amazon CloudWatch",
	"cloudkick_inbound_integration":             "Cloudkick",
	"event_transformer_api_inbound_integration": "Custom Event Transformer",
	"generic_email_inbound_integration":         "Email",
	"generic_events_api_inbound_integration":    "Events API V1",
	"keynote_inbound_integration":               "Keynote",
	"nagios_inbound_integration":                "Nagios",
	"pingdom_inbound_integration":               "Pingdom",
	"sql_monitor_inbound_integration":           "SQL Monitor",
	"events_api_v2_inbound_integration":         "Events API V2",
}

func (in *integration) isEmail() bool { return in.typ == "generic_email_inbound_integration" }

func (in *integration) path() string { return "/services/" + in.serviceID + "/integrations/" + in.id }

func (in *integration) ref() ref {
	return ref{ID: in.id, Type: in.typ + "_reference", Summary: in.name, Path: in.path(), HTMLPath: in.path()}
}

func (st *state) renderIntegration(in *integration, base string) map[string]any {
	m := map[string]any{
		"id": in.id, "type": in.typ, "summary": in.name, "self": base + in.path(), "html_url": base + in.path(),
		"name": in.name, "created_at": fmtTime(in.createdAt),
	}
	if s := st.services[in.serviceID]; s != nil {
		m["service"] = s.ref().render(base)
	}
	if in.key != "" {
		m["integration_key"] = in.key
	}
	if v := vendorsByID[in.vendorID]; v != nil {
		m["vendor"] = v.ref().render(base)
	}
	// go-pagerduty rejects email_filter_mode null or unknown, so email
	// fields appear only on email integrations and only when set.
	if in.isEmail() {
		m["integration_email"] = in.email
		for k, v := range map[string]string{"email_incident_creation": in.emailIncidentCreation,
			"email_filter_mode": in.emailFilterMode, "email_parsing_fallback": in.emailParsingFallback} {
			if v != "" {
				m[k] = v
			}
		}
		for k, v := range map[string]json.RawMessage{"email_parsers": in.emailParsers, "email_filters": in.emailFilters} {
			if len(v) > 0 && string(v) != "null" {
				m[k] = rawOr(v, nil)
			}
		}
	}
	return m
}

type integrationInput struct {
	Type                  *string         `json:"type"`
	Name                  *string         `json:"name"`
	Vendor                json.RawMessage `json:"vendor"`
	IntegrationEmail      *string         `json:"integration_email"`
	EmailIncidentCreation *string         `json:"email_incident_creation"`
	EmailFilterMode       *string         `json:"email_filter_mode"`
	EmailParsingFallback  *string         `json:"email_parsing_fallback"`
	EmailParsers          json.RawMessage `json:"email_parsers"`
	EmailFilters          json.RawMessage `json:"email_filters"`
}

// applyIntegration validates v and copies it onto in, all or nothing.
func (st *state) applyIntegration(dst *integration, v integrationInput, creating bool) *apiError {
	cp := *dst
	in := &cp
	if v.Type != nil {
		t := strings.TrimSuffix(*v.Type, "_reference")
		if _, ok := integrationTypes[t]; !ok {
			return errInvalid("Type is invalid")
		}
		if !creating && t != in.typ {
			return errInvalid("Type cannot be changed")
		}
		in.typ = t
	} else if creating {
		return errInvalid("Type can't be blank")
	}
	if v.Name != nil {
		in.name = *v.Name
	}
	if in.name == "" {
		in.name = integrationTypes[in.typ]
	}
	if e := applyVendor(in, v.Vendor, creating); e != nil {
		return e
	}
	if in.isEmail() {
		if v.IntegrationEmail != nil {
			in.email = *v.IntegrationEmail
		}
		if !strings.Contains(in.email, "@") {
			return errInvalid("Integration email must be a valid email address")
		}
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&in.emailIncidentCreation, v.EmailIncidentCreation)
		set(&in.emailFilterMode, v.EmailFilterMode)
		set(&in.emailParsingFallback, v.EmailParsingFallback)
		if len(v.EmailParsers) > 0 {
			in.emailParsers = append(json.RawMessage(nil), v.EmailParsers...)
		}
		if len(v.EmailFilters) > 0 {
			in.emailFilters = append(json.RawMessage(nil), v.EmailFilters...)
		}
	}
	*dst = cp
	return nil
}

func (st *state) removeIntegration(in *integration) {
	if in == nil {
		return
	}
	delete(st.integrations, in.id)
	if in.key != "" {
		delete(st.integrationsByKey, in.key)
	}
	if s := st.services[in.serviceID]; s != nil {
		ids := s.integrationIDs[:0]
		for _, id := range s.integrationIDs {
			if id != in.id {
				ids = append(ids, id)
			}
		}
		s.integrationIDs = ids
	}
}

func createIntegration(c *reqCtx) (int, any, *apiError) {
	s := c.st.services[c.r.PathValue("id")]
	if s == nil {
		return 0, nil, errNotFound()
	}
	var v integrationInput
	if e := decodeWrapped(c, "integration", &v); e != nil {
		return 0, nil, e
	}
	in := &integration{serviceID: s.id, createdAt: c.now}
	if e := c.st.applyIntegration(in, v, true); e != nil {
		return 0, nil, e
	}
	in.id = c.st.newID("PINT")
	if !in.isEmail() {
		in.key = c.st.newIntegrationKey()
		c.st.integrationsByKey[in.key] = in
	}
	c.st.integrations[in.id] = in
	s.integrationIDs = append(s.integrationIDs, in.id)
	return http.StatusCreated, map[string]any{"integration": c.st.renderIntegration(in, c.base)}, nil
}

func (c *reqCtx) serviceIntegration() (*integration, *apiError) {
	in := c.st.integrations[c.r.PathValue("integration_id")]
	if in == nil || in.serviceID != c.r.PathValue("id") {
		return nil, errNotFound()
	}
	return in, nil
}

func getIntegration(c *reqCtx) (int, any, *apiError) {
	in, e := c.serviceIntegration()
	if e != nil {
		return 0, nil, e
	}
	m := c.st.renderIntegration(in, c.base)
	if contains(queryList(c, "include"), "services") {
		m["service"] = c.st.renderService(c.st.services[in.serviceID], c, nil)
	}
	return http.StatusOK, map[string]any{"integration": m}, nil
}

// updateIntegration takes the spec's {"integration": {...}} and also the
// bare object go-pagerduty v1.8.0 sends (see unwrap). integration_key and
// service are read-only and ignored.
func updateIntegration(c *reqCtx) (int, any, *apiError) {
	in, e := c.serviceIntegration()
	if e != nil {
		return 0, nil, e
	}
	var v integrationInput
	if e := decodeWrapped(c, "integration", &v); e != nil {
		return 0, nil, e
	}
	if e := c.st.applyIntegration(in, v, false); e != nil {
		return 0, nil, e
	}
	return http.StatusOK, map[string]any{"integration": c.st.renderIntegration(in, c.base)}, nil
}

// deleteIntegration is absent from the spec but real (go-pagerduty calls it).
func deleteIntegration(c *reqCtx) (int, any, *apiError) {
	in, e := c.serviceIntegration()
	if e != nil {
		return 0, nil, e
	}
	c.st.removeIntegration(in)
	return http.StatusNoContent, nil, nil
}
