package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sync"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// The orchestration and router calls are written with doJSON rather than
// go-pagerduty v1.8.0's: its router methods decode the body into
// map[string]OrchestrationPath, so the `warnings` array PagerDuty adds next
// to `orchestration_path` in a PUT response breaks decoding; its router
// types also drop rule fields they do not model, which a read-modify-write
// must send back untouched; and it has no orchestration-integration calls,
// which is where an orchestration's routing keys are.

// UnroutedServiceID is the router catch-all's default target: the
// orchestration's Unrouted path, not a service.
const UnroutedServiceID = "unrouted"

// Orchestration is a Global Event Orchestration.
type Orchestration struct {
	ID          string
	Name        string
	Description string
	// RoutingKeys are its integrations' routing keys: events sent with one
	// of them go through the orchestration's router.
	RoutingKeys []string
}

type orchestrationJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Integrations []struct {
		Parameters struct {
			RoutingKey string `json:"routing_key"`
		} `json:"parameters"`
	} `json:"integrations"`
}

func (o orchestrationJSON) orchestration() *Orchestration {
	out := &Orchestration{ID: o.ID, Name: o.Name, Description: o.Description}
	for _, in := range o.Integrations {
		if in.Parameters.RoutingKey != "" {
			out.RoutingKeys = append(out.RoutingKeys, in.Parameters.RoutingKey)
		}
	}
	return out
}

func orchestrationPath(id string) string { return "/event_orchestrations/" + url.PathEscape(id) }

// CreateOrchestration creates a Global Event Orchestration. PagerDuty gives
// it one integration, so it has a routing key straight away.
func (c *Client) CreateOrchestration(ctx context.Context, name, description string) (*Orchestration, error) {
	var out struct {
		Orchestration orchestrationJSON `json:"orchestration"`
	}
	in := map[string]any{"orchestration": map[string]any{"name": name, "description": description}}
	if err := c.doJSON(httpretry.NotIdempotent(ctx), fmt.Sprintf("creating event orchestration %q", name), "POST", "/event_orchestrations", in, &out); err != nil {
		return nil, err
	}
	return out.Orchestration.orchestration(), nil
}

// GetOrchestration reads a Global Event Orchestration.
func (c *Client) GetOrchestration(ctx context.Context, id string) (*Orchestration, error) {
	var out struct {
		Orchestration orchestrationJSON `json:"orchestration"`
	}
	if err := c.doJSON(ctx, "reading event orchestration "+id, "GET", orchestrationPath(id), nil, &out); err != nil {
		return nil, err
	}
	return out.Orchestration.orchestration(), nil
}

// DeleteOrchestration deletes a Global Event Orchestration, its router and
// its routing keys.
func (c *Client) DeleteOrchestration(ctx context.Context, id string) error {
	return c.doJSON(ctx, "deleting event orchestration "+id, "DELETE", orchestrationPath(id), nil, nil)
}

// Router is an orchestration's router: one ordered list of rules (PagerDuty
// allows exactly one rule set, "start") and a catch-all. The first enabled
// rule whose conditions match routes the event.
type Router struct {
	OrchestrationID string
	Rules           []RouterRule
	// CatchAllRouteTo is where events no rule matches go: a service ID or
	// UnroutedServiceID. It is read-only here: the catch-all is sent back
	// exactly as it was read.
	CatchAllRouteTo string
	catchAll        json.RawMessage
}

// RouterRule is one router rule. A rule matches when any of its conditions
// holds (or always, when it has none).
type RouterRule struct {
	ID         string // read-only in PagerDuty; sending an existing ID keeps it
	Label      string
	Disabled   bool
	Conditions []string // PCL expressions
	RouteTo    string   // a service ID
	// DynamicRouteTo is set when the rule routes with actions.dynamic_route_to,
	// which PagerDuty allows only in the first rule.
	DynamicRouteTo bool

	// raw is the rule as PagerDuty sent it, and read its fields as they were
	// then: a rule whose fields were not changed is sent back byte for byte,
	// so that the fields this type does not model (other actions, future
	// keys) survive a read-modify-write.
	raw  json.RawMessage
	read *RouterRule
}

type routerRuleJSON struct {
	ID         string `json:"id,omitempty"`
	Label      string `json:"label,omitempty"`
	Disabled   bool   `json:"disabled"`
	Conditions []struct {
		Expression string `json:"expression"`
	} `json:"conditions"`
	Actions map[string]json.RawMessage `json:"actions"`
}

// UnmarshalJSON keeps the rule's raw JSON next to the fields it models.
func (r *RouterRule) UnmarshalJSON(b []byte) error {
	var in routerRuleJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*r = RouterRule{ID: in.ID, Label: in.Label, Disabled: in.Disabled}
	for _, cond := range in.Conditions {
		r.Conditions = append(r.Conditions, cond.Expression)
	}
	if v, ok := in.Actions["route_to"]; ok {
		_ = json.Unmarshal(v, &r.RouteTo) // not a string: leave it unset, raw keeps it
	}
	if v, ok := in.Actions["dynamic_route_to"]; ok && string(v) != "null" {
		r.DynamicRouteTo = true
	}
	r.raw = slices.Clone(b)
	read := *r
	r.read = &read
	return nil
}

// MarshalJSON sends an unchanged rule back as it was read; otherwise it
// writes the modelled fields over the raw rule, keeping the rest.
func (r RouterRule) MarshalJSON() ([]byte, error) {
	if r.raw != nil && r.read != nil && r.sameFields(r.read) {
		return r.raw, nil
	}
	m := map[string]json.RawMessage{}
	if r.raw != nil {
		if err := json.Unmarshal(r.raw, &m); err != nil {
			return nil, err
		}
	}
	actions := map[string]json.RawMessage{}
	if a, ok := m["actions"]; ok {
		_ = json.Unmarshal(a, &actions)
	}
	set := func(dst map[string]json.RawMessage, k string, v any) {
		b, _ := json.Marshal(v)
		dst[k] = b
	}
	delete(m, "id")
	if r.ID != "" {
		set(m, "id", r.ID)
	}
	set(m, "label", r.Label)
	set(m, "disabled", r.Disabled)
	conds := make([]map[string]string, len(r.Conditions))
	for i, x := range r.Conditions {
		conds[i] = map[string]string{"expression": x}
	}
	set(m, "conditions", conds)
	delete(actions, "route_to")
	if r.RouteTo != "" {
		set(actions, "route_to", r.RouteTo)
	}
	set(m, "actions", actions)
	return json.Marshal(m)
}

func (r *RouterRule) sameFields(o *RouterRule) bool {
	return r.ID == o.ID && r.Label == o.Label && r.Disabled == o.Disabled && r.RouteTo == o.RouteTo &&
		r.DynamicRouteTo == o.DynamicRouteTo && slices.Equal(r.Conditions, o.Conditions)
}

// Equal reports whether two rules would be written the same.
func (r RouterRule) Equal(o RouterRule) bool {
	a, errA := json.Marshal(r)
	b, errB := json.Marshal(o)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// RouterWarning is a warning PagerDuty returns with an updated router, one
// per rule that uses a feature the account's plan lacks.
type RouterWarning struct {
	RuleID      string `json:"rule_id"`
	Feature     string `json:"feature"`
	FeatureType string `json:"feature_type"`
	WarningType string `json:"warning_type"`
	Message     string `json:"message"`
}

func (w RouterWarning) String() string {
	s := w.Message
	if s == "" {
		s = fmt.Sprintf("%s (%s)", w.WarningType, w.Feature)
	}
	if w.RuleID != "" {
		s = "rule " + w.RuleID + ": " + s
	}
	return s
}

type routerPathJSON struct {
	Sets []struct {
		ID    string       `json:"id"`
		Rules []RouterRule `json:"rules"`
	} `json:"sets"`
	CatchAll json.RawMessage `json:"catch_all"`
}

func (p routerPathJSON) router(orchestrationID string) *Router {
	r := &Router{OrchestrationID: orchestrationID, catchAll: p.CatchAll, CatchAllRouteTo: UnroutedServiceID}
	for _, s := range p.Sets {
		r.Rules = append(r.Rules, s.Rules...)
	}
	var ca struct {
		Actions struct {
			RouteTo string `json:"route_to"`
		} `json:"actions"`
	}
	if json.Unmarshal(p.CatchAll, &ca) == nil && ca.Actions.RouteTo != "" {
		r.CatchAllRouteTo = ca.Actions.RouteTo
	}
	return r
}

// GetRouter reads an orchestration's router.
func (c *Client) GetRouter(ctx context.Context, orchestrationID string) (*Router, error) {
	var out struct {
		Path routerPathJSON `json:"orchestration_path"`
	}
	if err := c.doJSON(ctx, "reading the router of event orchestration "+orchestrationID, "GET", orchestrationPath(orchestrationID)+"/router", nil, &out); err != nil {
		return nil, err
	}
	return out.Path.router(orchestrationID), nil
}

// PutRouter replaces the router's rules (PagerDuty deletes any rule the body
// omits) and keeps its catch-all. It returns the router PagerDuty stored and
// its warnings.
func (c *Client) PutRouter(ctx context.Context, r *Router) (*Router, []RouterWarning, error) {
	rules := r.Rules
	if rules == nil {
		rules = []RouterRule{}
	}
	path := map[string]any{
		"type":   "router",
		"parent": map[string]any{"id": r.OrchestrationID, "type": "event_orchestration_reference"},
		"sets":   []any{map[string]any{"id": "start", "rules": rules}},
	}
	if len(r.catchAll) > 0 && string(r.catchAll) != "null" {
		path["catch_all"] = r.catchAll
	}
	var out struct {
		Path     routerPathJSON  `json:"orchestration_path"`
		Warnings []RouterWarning `json:"warnings"`
	}
	op := "updating the router of event orchestration " + r.OrchestrationID
	if err := c.doJSON(ctx, op, "PUT", orchestrationPath(r.OrchestrationID)+"/router", map[string]any{"orchestration_path": path}, &out); err != nil {
		return nil, nil, err
	}
	return out.Path.router(r.OrchestrationID), out.Warnings, nil
}

// routerLocks serialises the read-modify-writes of one router within this
// process. PagerDuty stores a router as one document that a PUT replaces
// whole, so two writers that read the same version lose each other's rules;
// Terraform applies independent resources in parallel, and several routing
// transforms may share one orchestration. Keyed by API root and
// orchestration, so provider aliases on one account share a lock.
var routerLocks sync.Map // string -> *sync.Mutex

func (c *Client) lockRouter(orchestrationID string) func() {
	v, _ := routerLocks.LoadOrStore(c.apiURL+"\x00"+orchestrationID, &sync.Mutex{})
	mu, _ := v.(*sync.Mutex) // the map holds nothing else
	mu.Lock()
	return mu.Unlock
}

// ModifyRouter reads the router, lets mutate change its rules, and writes it
// back if anything changed, all while holding this process's lock on that
// router, so the read is the freshest one before the write. It returns the
// router as stored and PagerDuty's warnings (none when nothing was written).
func (c *Client) ModifyRouter(ctx context.Context, orchestrationID string, mutate func(*Router) error) (*Router, []RouterWarning, error) {
	unlock := c.lockRouter(orchestrationID)
	defer unlock()
	r, err := c.GetRouter(ctx, orchestrationID)
	if err != nil {
		return nil, nil, err
	}
	before := slices.Clone(r.Rules)
	if err := mutate(r); err != nil {
		return nil, nil, err
	}
	if slices.EqualFunc(before, r.Rules, RouterRule.Equal) {
		return r, nil, nil
	}
	return c.PutRouter(ctx, r)
}

// ServiceEventsV2Integrations lists the integrations of a service that take
// Events API v2 events with their routing key: Events API v2 integrations,
// and those PagerDuty gave a vendor's events type (see
// CreateVendorIntegration).
func (c *Client) ServiceEventsV2Integrations(ctx context.Context, serviceID string) ([]Integration, error) {
	all, err := c.serviceIntegrations(ctx, serviceID)
	if err != nil {
		return nil, err
	}
	var out []Integration
	for _, i := range all {
		if i.Type == EventsV2IntegrationType || i.Vendor != nil && i.Type == genericEventsIntegrationType {
			out = append(out, i)
		}
	}
	return out, nil
}
