package pagerduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pcl"
)

type orchestration struct {
	id, name, description, teamID string
	createdAt, updatedAt          time.Time
	createdBy, updatedBy          string // user IDs
	version                       int
	integrations                  []*orchIntegration
	router                        routerPath
}

type orchIntegration struct {
	id, label, key, orchID string
}

// routerPath is an orchestration's router: one set ("start") of rules and
// a catch-all.
type routerPath struct {
	rules                []*routerRule
	catchAll             string // a service ID or "unrouted"
	createdAt, updatedAt time.Time
	createdBy, updatedBy string
	version              int
}

type routerRule struct {
	id, label  string
	disabled   bool
	conditions []string
	compiled   []*pcl.Expr
	routeTo    string
	dynamic    *dynamicRoute
}

// dynamicRoute is actions.dynamic_route_to: take the value at source,
// extract with regex (first capture group, else the whole match) and look
// the result up as a service name or ID.
type dynamicRoute struct {
	Source   string `json:"source"`
	Regex    string `json:"regex"`
	LookupBy string `json:"lookup_by"`
	re       *regexp.Regexp
}

const unrouted = "unrouted"

func (o *orchestration) path() string { return "/event_orchestrations/" + o.id }

func (o *orchestration) routes() int {
	n := 0
	for _, r := range o.router.rules {
		if r.routeTo != "" || r.dynamic != nil {
			n++
		}
	}
	return n
}

func userStub(base, id string) map[string]any {
	return map[string]any{"id": id, "type": "user_reference", "self": base + "/users/" + id}
}

func renderOrchIntegration(in *orchIntegration) map[string]any {
	return map[string]any{"id": in.id, "label": in.label, "parameters": map[string]any{"routing_key": in.key, "type": "global"}}
}

func (o *orchestration) render(base string) map[string]any {
	integrations := []any{}
	for _, in := range o.integrations {
		integrations = append(integrations, renderOrchIntegration(in))
	}
	m := map[string]any{
		"id": o.id, "self": base + o.path(), "name": o.name, "description": o.description,
		"integrations": integrations, "routes": o.routes(),
		"created_at": fmtTime(o.createdAt), "created_by": userStub(base, o.createdBy),
		"updated_at": fmtTime(o.updatedAt), "updated_by": userStub(base, o.updatedBy),
		"version": "v" + strconv.Itoa(o.version),
	}
	if o.teamID != "" {
		m["team"] = map[string]any{"id": o.teamID, "type": "team_reference", "self": base + "/teams/" + o.teamID}
	}
	return m
}

type orchestrationInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Team        *struct {
		ID string `json:"id"`
	} `json:"team"`
}

func (o *orchestration) apply(in orchestrationInput, creating bool) *apiError {
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" || creating && in.Name == nil {
		return errInvalid("Name can't be blank")
	}
	if in.Name != nil {
		o.name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		o.description = *in.Description
	}
	if in.Team != nil {
		o.teamID = in.Team.ID
	}
	return nil
}

func listOrchestrations(c *reqCtx) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	list := make([]*orchestration, 0, len(c.st.orchestrations))
	for _, o := range c.st.orchestrations {
		list = append(list, o)
	}
	field, dir, _ := strings.Cut(c.r.URL.Query().Get("sort_by"), ":")
	if field == "" {
		field = "name"
	}
	if dir != "" && dir != "asc" && dir != "desc" {
		return 0, nil, errInvalid("Sort direction must be asc or desc")
	}
	var cmp func(a, b *orchestration) int
	switch field {
	case "name":
		cmp = func(a, b *orchestration) int {
			return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
		}
	case "routes":
		cmp = func(a, b *orchestration) int { return a.routes() - b.routes() }
	case "created_at":
		cmp = func(a, b *orchestration) int { return a.createdAt.Compare(b.createdAt) }
	default:
		return 0, nil, errInvalid("Sort by must be one of name, routes, created_at, with :asc or :desc")
	}
	sort.Slice(list, func(i, j int) bool {
		d := cmp(list[i], list[j])
		if dir == "desc" {
			d = -d
		}
		if d == 0 {
			return list[i].id < list[j].id
		}
		return d < 0
	})
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, o := range list[lo:hi] {
		items = append(items, o.render(c.base))
	}
	return http.StatusOK, pg.list("orchestrations", items, len(list)), nil
}

// createOrchestration answers 201 with a UUID and one default integration,
// whose routing key can be used with the Events API straight away.
func createOrchestration(c *reqCtx) (int, any, *apiError) {
	var in orchestrationInput
	if e := decodeWrapped(c, "orchestration", &in); e != nil {
		return 0, nil, e
	}
	o := &orchestration{createdAt: c.now, updatedAt: c.now, createdBy: seedUserID, updatedBy: seedUserID, version: 1}
	if e := o.apply(in, true); e != nil {
		return 0, nil, e
	}
	o.id = newUUID()
	o.router = routerPath{catchAll: unrouted, createdAt: c.now, updatedAt: c.now, createdBy: seedUserID, updatedBy: seedUserID, version: 1}
	c.st.orchestrations[o.id] = o
	c.st.addOrchIntegration(o, "Default Integration")
	return http.StatusCreated, map[string]any{"orchestration": o.render(c.base)}, nil
}

func (st *state) addOrchIntegration(o *orchestration, label string) *orchIntegration {
	in := &orchIntegration{id: newUUID(), label: label, key: st.newRoutingKey(), orchID: o.id}
	o.integrations = append(o.integrations, in)
	st.orchByKey[in.key] = in
	return in
}

func (c *reqCtx) orchestration() (*orchestration, *apiError) {
	o := c.st.orchestrations[c.r.PathValue("id")]
	if o == nil {
		return nil, errNotFound()
	}
	return o, nil
}

func getOrchestration(c *reqCtx) (int, any, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, map[string]any{"orchestration": o.render(c.base)}, nil
}

func updateOrchestration(c *reqCtx) (int, any, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return 0, nil, e
	}
	var in orchestrationInput
	if e := decodeWrapped(c, "orchestration", &in); e != nil {
		return 0, nil, e
	}
	if e := o.apply(in, false); e != nil {
		return 0, nil, e
	}
	o.updatedAt, o.updatedBy = c.now, seedUserID
	o.version++
	return http.StatusOK, map[string]any{"orchestration": o.render(c.base)}, nil
}

func deleteOrchestration(c *reqCtx) (int, any, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return 0, nil, e
	}
	for _, in := range o.integrations {
		delete(c.st.orchByKey, in.key)
	}
	delete(c.st.orchestrations, o.id)
	return http.StatusNoContent, nil, nil
}

// ---- router ----

func (o *orchestration) renderRouter(base string) map[string]any {
	rules := []any{}
	for _, r := range o.router.rules {
		conds := []any{}
		for _, x := range r.conditions {
			conds = append(conds, map[string]any{"expression": x})
		}
		actions := map[string]any{}
		if r.routeTo != "" {
			actions["route_to"] = r.routeTo
		}
		if r.dynamic != nil {
			actions["dynamic_route_to"] = map[string]any{"source": r.dynamic.Source, "regex": r.dynamic.Regex, "lookup_by": r.dynamic.LookupBy}
		}
		rule := map[string]any{"id": r.id, "conditions": conds, "actions": actions, "disabled": r.disabled}
		if r.label != "" {
			rule["label"] = r.label
		}
		rules = append(rules, rule)
	}
	rp := o.router
	return map[string]any{"orchestration_path": map[string]any{
		"type":       "router",
		"parent":     map[string]any{"id": o.id, "type": "event_orchestration_reference", "self": base + o.path()},
		"sets":       []any{map[string]any{"id": "start", "rules": rules}},
		"catch_all":  map[string]any{"actions": map[string]any{"route_to": rp.catchAll}},
		"created_at": fmtTime(rp.createdAt), "created_by": userStub(base, rp.createdBy),
		"updated_at": fmtTime(rp.updatedAt), "updated_by": userStub(base, rp.updatedBy),
		"version": "v" + strconv.Itoa(rp.version),
	}}
}

func getRouter(c *reqCtx) (int, any, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, o.renderRouter(c.base), nil
}

type routerInput struct {
	Sets []struct {
		ID    string `json:"id"`
		Rules []struct {
			ID         string `json:"id"`
			Label      string `json:"label"`
			Disabled   bool   `json:"disabled"`
			Conditions []struct {
				Expression string `json:"expression"`
			} `json:"conditions"`
			Actions map[string]json.RawMessage `json:"actions"`
		} `json:"rules"`
	} `json:"sets"`
	CatchAll *struct {
		Actions struct {
			RouteTo *string `json:"route_to"`
		} `json:"actions"`
	} `json:"catch_all"`
}

// updateRouter replaces the whole router, as PagerDuty does ("omitted rules
// are deleted"). Rule IDs are read-only: a rule keeps its ID if the body
// names an ID the router already has, and gets a new one otherwise. The
// response is the router alone, with no "warnings" key, because
// go-pagerduty decodes the body into map[string]OrchestrationPath.
func updateRouter(c *reqCtx) (int, any, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return 0, nil, e
	}
	var in routerInput
	if e := decodeWrapped(c, "orchestration_path", &in); e != nil {
		return 0, nil, e
	}
	if len(in.Sets) != 1 || (in.Sets[0].ID != "" && in.Sets[0].ID != "start") {
		return 0, nil, errInvalid("A router has exactly one set, with id \"start\"")
	}
	existing := map[string]bool{}
	for _, r := range o.router.rules {
		existing[r.id] = true
	}
	used := map[string]bool{}
	var rules []*routerRule
	var errs []string
	for i, ri := range in.Sets[0].Rules {
		name := fmt.Sprintf("Rule %d", i+1)
		if ri.Label != "" {
			name += fmt.Sprintf(" (%q)", ri.Label)
		}
		r := &routerRule{label: ri.Label, disabled: ri.Disabled}
		if ri.ID != "" && existing[ri.ID] && !used[ri.ID] {
			r.id = ri.ID
		}
		for _, cond := range ri.Conditions {
			x, err := pcl.Parse(cond.Expression)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: condition %q is invalid: %v", name, cond.Expression, err))
				continue
			}
			r.conditions = append(r.conditions, cond.Expression)
			r.compiled = append(r.compiled, x)
		}
		for k, v := range ri.Actions {
			switch k {
			case "route_to":
				if json.Unmarshal(v, &r.routeTo) != nil || c.st.services[r.routeTo] == nil {
					errs = append(errs, fmt.Sprintf("%s: route_to %s is not the ID of an existing service", name, v))
				}
			case "dynamic_route_to":
				d := &dynamicRoute{}
				if json.Unmarshal(v, d) != nil {
					errs = append(errs, name+": dynamic_route_to must be an object")
					break
				}
				var err error
				if d.re, err = regexp.Compile(d.Regex); err != nil {
					errs = append(errs, fmt.Sprintf("%s: dynamic_route_to.regex is invalid: %v", name, err))
				}
				if d.LookupBy != "service_name" && d.LookupBy != "service_id" {
					errs = append(errs, name+": dynamic_route_to.lookup_by must be service_name or service_id")
				}
				if !strings.HasPrefix(d.Source, "event.") && !strings.HasPrefix(d.Source, "raw_event.") {
					errs = append(errs, name+": dynamic_route_to.source must be an event. or raw_event. path")
				}
				r.dynamic = d
			default:
				errs = append(errs, fmt.Sprintf("%s: action %q is not available on the router (only route_to and dynamic_route_to)", name, k))
			}
		}
		switch {
		case r.dynamic != nil && (i != 0 || len(ri.Conditions) > 0 || r.routeTo != ""):
			errs = append(errs, name+": dynamic_route_to is allowed only in the first rule, without conditions or route_to")
		case r.dynamic == nil && r.routeTo == "":
			errs = append(errs, name+": actions.route_to is required")
		}
		if r.id != "" {
			used[r.id] = true
		}
		rules = append(rules, r)
	}
	catchAll := unrouted
	if in.CatchAll != nil && in.CatchAll.Actions.RouteTo != nil {
		catchAll = *in.CatchAll.Actions.RouteTo
		if catchAll != unrouted && c.st.services[catchAll] == nil {
			errs = append(errs, fmt.Sprintf("catch_all: route_to %q is neither \"unrouted\" nor the ID of an existing service", catchAll))
		}
	}
	if len(errs) > 0 {
		return 0, nil, errInvalid(errs...)
	}
	for _, r := range rules {
		if r.id == "" {
			r.id = uniqueKey(func() string { return randomString("0123456789abcdef", 8) },
				func(id string) bool { return used[id] || existing[id] })
			used[r.id] = true
		}
	}
	o.router.rules = rules
	o.router.catchAll = catchAll
	o.router.updatedAt, o.router.updatedBy = c.now, seedUserID
	o.router.version++
	return http.StatusOK, o.renderRouter(c.base), nil
}

// route picks the service for an event sent to the orchestration: the
// first enabled rule that matches (any of its conditions holds; no
// conditions always holds), else the catch-all. "" means unrouted. It
// returns the ID of the rule that matched, if any.
func (st *state) route(o *orchestration, ev, payload map[string]any) (serviceID, ruleID string) {
	in := pcl.Input{Event: cefEvent(payload), RawEvent: ev}
	for _, r := range o.router.rules {
		if r.disabled || !r.matches(in) {
			continue
		}
		if r.dynamic != nil {
			if id := st.dynamicTarget(r.dynamic, in); id != "" {
				return id, r.id
			}
			continue // PagerDuty evaluates the next rule when dynamic routing finds nothing
		}
		return r.routeTo, r.id
	}
	if o.router.catchAll == unrouted {
		return "", ""
	}
	return o.router.catchAll, ""
}

func (r *routerRule) matches(in pcl.Input) bool {
	if len(r.compiled) == 0 {
		return true
	}
	for _, x := range r.compiled {
		if x.Eval(in) {
			return true
		}
	}
	return false
}

// cefEvent is the PD-CEF view of an event that conditions read as event.*.
func cefEvent(payload map[string]any) map[string]any {
	ev := map[string]any{}
	for _, k := range []string{"summary", "severity", "source", "component", "group", "class", "custom_details", "timestamp"} {
		if v, ok := payload[k]; ok {
			ev[k] = v
		}
	}
	return ev
}

// dynamicTarget resolves dynamic_route_to to a service ID, or "".
func (st *state) dynamicTarget(d *dynamicRoute, in pcl.Input) string {
	root, rest := in.Event, strings.TrimPrefix(d.Source, "event.")
	if strings.HasPrefix(d.Source, "raw_event.") {
		root, rest = in.RawEvent, strings.TrimPrefix(d.Source, "raw_event.")
	}
	var cur any = root
	for _, part := range strings.Split(rest, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[part]
	}
	s, ok := cur.(string)
	if !ok || d.re == nil {
		return ""
	}
	match := d.re.FindStringSubmatch(s)
	if match == nil {
		return ""
	}
	value := match[0]
	if len(match) > 1 {
		value = match[1]
	}
	if d.LookupBy == "service_id" {
		if st.services[value] != nil {
			return value
		}
		return ""
	}
	for id, svc := range st.services {
		if svc.name == value {
			return id
		}
	}
	return ""
}

// ---- orchestration integrations ----

func listOrchIntegrations(c *reqCtx) (int, any, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return 0, nil, e
	}
	items := []any{}
	for _, in := range o.integrations {
		items = append(items, renderOrchIntegration(in))
	}
	return http.StatusOK, map[string]any{"integrations": items, "total": nil}, nil
}

type orchIntegrationInput struct {
	Label *string `json:"label"`
}

func (in orchIntegrationInput) check() *apiError {
	if in.Label == nil || strings.TrimSpace(*in.Label) == "" {
		return errInvalid("Label can't be blank")
	}
	return nil
}

func createOrchIntegration(c *reqCtx) (int, any, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return 0, nil, e
	}
	var in orchIntegrationInput
	if e := decodeWrapped(c, "integration", &in); e != nil {
		return 0, nil, e
	}
	if e := in.check(); e != nil {
		return 0, nil, e
	}
	oi := c.st.addOrchIntegration(o, *in.Label)
	return http.StatusCreated, map[string]any{"integration": renderOrchIntegration(oi)}, nil
}

func (c *reqCtx) orchIntegration() (*orchestration, *orchIntegration, *apiError) {
	o, e := c.orchestration()
	if e != nil {
		return nil, nil, e
	}
	for _, in := range o.integrations {
		if in.id == c.r.PathValue("integration_id") {
			return o, in, nil
		}
	}
	return nil, nil, errNotFound()
}

func getOrchIntegration(c *reqCtx) (int, any, *apiError) {
	_, oi, e := c.orchIntegration()
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, map[string]any{"integration": renderOrchIntegration(oi)}, nil
}

func updateOrchIntegration(c *reqCtx) (int, any, *apiError) {
	_, oi, e := c.orchIntegration()
	if e != nil {
		return 0, nil, e
	}
	var in orchIntegrationInput
	if e := decodeWrapped(c, "integration", &in); e != nil {
		return 0, nil, e
	}
	if e := in.check(); e != nil {
		return 0, nil, e
	}
	oi.label = *in.Label
	return http.StatusOK, map[string]any{"integration": renderOrchIntegration(oi)}, nil
}

func deleteOrchIntegration(c *reqCtx) (int, any, *apiError) {
	o, oi, e := c.orchIntegration()
	if e != nil {
		return 0, nil, e
	}
	var keep []*orchIntegration
	for _, in := range o.integrations {
		if in != oi {
			keep = append(keep, in)
		}
	}
	o.integrations = keep
	delete(c.st.orchByKey, oi.key)
	return http.StatusNoContent, nil, nil
}
