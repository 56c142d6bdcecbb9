// Package routing holds pdbridge's routing transforms: ordered rules whose
// conditions are PagerDuty Condition Language (PCL) expressions, evaluated
// locally on the event pdbridge would send, so a routing decision is known
// before anything is sent; and their publication into the router of a
// PagerDuty Event Orchestration (publish.go), so events that monitoring tools
// push straight to PagerDuty are routed the same way.
//
// A rule matches when its condition holds for the event; the first matching
// rule wins, then the catch-all. A rule routes to a connector (a PagerDuty
// Events API v2 integration, "SERVICE_ID/INTEGRATION_ID"), may override
// fields of the event with templates (template.go), and may suppress or drop
// the event.
//
// It knows nothing of Terraform.
package routing

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pcl"
)

// CatchAllLabel names the catch-all in decisions and in published rules, so
// no rule may use it.
const CatchAllLabel = "catch_all"

// Rule indexes in FieldError and Decision that are not rules.
const (
	CatchAllIndex = -1 // the catch-all
	TransformWide = -2 // the transform as a whole
	NoMatch       = -3 // nothing matched and there is no catch-all
)

// Event is a PagerDuty alert event as pdbridge would send it: the Events API
// v2 payload (PD-CEF fields, which PCL reads as event.*) and its dedup key.
type Event struct {
	DedupKey      string
	Summary       string
	Severity      string
	Source        string
	Component     string
	Group         string
	Class         string
	Timestamp     string
	CustomDetails map[string]any
}

// Payload is the event's Events API v2 payload: what PCL's event.* paths
// read and what PagerDuty receives. Empty optional fields are left out.
func (e Event) Payload() map[string]any {
	p := map[string]any{"summary": e.Summary, "severity": e.Severity, "source": e.Source}
	for k, v := range map[string]string{"component": e.Component, "group": e.Group, "class": e.Class, "timestamp": e.Timestamp} {
		if v != "" {
			p[k] = v
		}
	}
	if e.CustomDetails != nil {
		p["custom_details"] = e.CustomDetails
	}
	return p
}

// body is the Events API v2 trigger body without its routing key, which is
// what PCL's raw_event.* paths read for an event pdbridge sends.
func (e Event) body() map[string]any {
	b := map[string]any{"event_action": "trigger", "payload": e.Payload()}
	if e.DedupKey != "" {
		b["dedup_key"] = e.DedupKey
	}
	return b
}

// EventFromJSON reads an event from a JSON object: either an Events API v2
// payload ({"summary": …, "custom_details": {…}}) or a whole event body
// ({"payload": {…}, "dedup_key": …}). Numbers keep their JSON text.
func EventFromJSON(data []byte) (Event, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return Event{}, errors.New("not a JSON object")
	}
	if dec.More() {
		return Event{}, errors.New("trailing data after the JSON object")
	}
	var e Event
	if p, ok := m["payload"]; ok {
		payload, ok := p.(map[string]any)
		if !ok {
			return Event{}, errors.New(`"payload" is not an object`)
		}
		if err := str(m, "dedup_key", &e.DedupKey); err != nil {
			return Event{}, err
		}
		m = payload
	} else if err := str(m, "dedup_key", &e.DedupKey); err != nil {
		return Event{}, err
	}
	for k, dst := range map[string]*string{"summary": &e.Summary, "severity": &e.Severity, "source": &e.Source,
		"component": &e.Component, "group": &e.Group, "class": &e.Class, "timestamp": &e.Timestamp} {
		if err := str(m, k, dst); err != nil {
			return Event{}, err
		}
	}
	if cd, ok := m["custom_details"]; ok && cd != nil {
		details, ok := cd.(map[string]any)
		if !ok {
			return Event{}, errors.New(`"custom_details" is not an object`)
		}
		e.CustomDetails = details
	}
	return e, nil
}

func str(m map[string]any, key string, dst *string) error {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%q is not a string", key)
	}
	*dst = s
	return nil
}

// Rule is one routing rule as written. Empty strings are unset.
type Rule struct {
	Label     string
	Condition string // PCL; the rule matches when it holds
	RouteTo   string // a connector id, SERVICE_ID/INTEGRATION_ID
	// Field overrides: templates over the source event (see TemplateData).
	Severity      string
	Summary       string
	DedupKey      string
	CustomDetails map[string]string // merged over the event's custom_details
	// Priority is the PagerDuty incident priority (name or ID) the sync
	// engine sets on the incident; the Events API has no priority field.
	Priority string
	Suppress bool // send it, but as a suppressed alert: no incident
	Drop     bool // do not send it at all
}

// CatchAll is where events no rule matches go.
type CatchAll struct {
	RouteTo string
	Drop    bool
}

// Transform is an ordered list of rules and an optional catch-all.
type Transform struct {
	Rules    []Rule
	CatchAll *CatchAll
}

// FieldError is a problem with one field of a transform.
type FieldError struct {
	Rule    int    // index into Rules, CatchAllIndex or TransformWide
	Field   string // e.g. "condition", "custom_details"; "" for the rule itself
	Key     string // the custom_details key, for custom_details
	Summary string
	Detail  string
}

func (e FieldError) Error() string {
	at := fmt.Sprintf("rule[%d]", e.Rule)
	switch e.Rule {
	case CatchAllIndex:
		at = CatchAllLabel
	case TransformWide:
		at = "transform"
	}
	if e.Field != "" {
		at += "." + e.Field
	}
	if e.Key != "" {
		at += fmt.Sprintf("[%q]", e.Key)
	}
	return fmt.Sprintf("%s: %s: %s", at, e.Summary, e.Detail)
}

// Known reports whether a rule's field (CatchAllIndex for the catch-all's)
// is known yet; at plan time some values are computed elsewhere.
type Known func(rule int, field string) bool

// AllKnown is Known for a transform whose every value is known.
func AllKnown(int, string) bool { return true }

// Check validates a transform and says which field breaks which rule;
// unknown fields are skipped. publishing is true when the rules are also
// published into an orchestration's router, which can only route: then any
// rule that would do something else is refused, rather than routing
// differently in PagerDuty than here.
func Check(t Transform, publishing bool, known Known) []FieldError {
	var errs []FieldError
	add := func(rule int, field, key, summary, detail string, args ...any) {
		errs = append(errs, FieldError{Rule: rule, Field: field, Key: key, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
	}
	if len(t.Rules) == 0 && t.CatchAll == nil {
		add(TransformWide, "", "", "Empty Routing Transform", "A routing transform needs at least one rule block or a catch_all block.")
	}
	labels := map[string]int{}
	for i, r := range t.Rules {
		if known(i, "label") {
			switch {
			case strings.TrimSpace(r.Label) == "":
				add(i, "label", "", "Missing Rule Label", "Rule %d has an empty label; labels name the rule in decisions and in PagerDuty.", i)
			case r.Label == CatchAllLabel:
				add(i, "label", "", "Reserved Rule Label", "The label %q names the catch_all block; give rule %d another label.", CatchAllLabel, i)
			default:
				if j, dup := labels[r.Label]; dup {
					add(i, "label", "", "Duplicate Rule Label", "Rules %d and %d are both labelled %q; labels must be unique within a transform.", j, i, r.Label)
				} else {
					labels[r.Label] = i
				}
			}
		}
		if known(i, "condition") {
			if _, err := pcl.Parse(r.Condition); err != nil {
				add(i, "condition", "", "Invalid Condition", "Rule %q: %s", r.Label, describePCLError(r.Condition, err))
			}
		}
		checkTarget(i, r.RouteTo, r.Drop, known, add)
		if known(i, "drop") && r.Drop {
			for _, f := range []struct {
				name string
				set  bool
			}{{"severity", r.Severity != ""}, {"summary", r.Summary != ""}, {"dedup_key", r.DedupKey != ""},
				{"custom_details", len(r.CustomDetails) > 0}, {"priority", r.Priority != ""}, {"suppress", r.Suppress}} {
				if f.set && known(i, f.name) {
					add(i, f.name, "", "Override On A Dropped Event", "Rule %q drops the event, so it sends nothing whose %s could be set; remove %s or drop.", r.Label, f.name, f.name)
				}
			}
		}
		for _, f := range []struct{ name, text string }{{"severity", r.Severity}, {"summary", r.Summary}, {"dedup_key", r.DedupKey}} {
			if f.text != "" && known(i, f.name) {
				if err := checkTemplate(f.name, f.text); err != nil {
					add(i, f.name, "", "Invalid Template", "Rule %q: %v.", r.Label, err)
				}
			}
		}
		if r.Severity != "" && known(i, "severity") && isConstantTemplate(r.Severity) && !slices.Contains(events.Severities, r.Severity) {
			add(i, "severity", "", "Invalid Severity", "Rule %q sets severity %q; PagerDuty's severities are %s.", r.Label, r.Severity, strings.Join(events.Severities, ", "))
		}
		if known(i, "custom_details") {
			for _, k := range slices.Sorted(maps.Keys(r.CustomDetails)) {
				if strings.TrimSpace(k) == "" {
					add(i, "custom_details", k, "Invalid Custom Details Key", "Rule %q sets a custom_details entry with an empty key.", r.Label)
				} else if err := checkTemplate("custom_details."+k, r.CustomDetails[k]); err != nil {
					add(i, "custom_details", k, "Invalid Template", "Rule %q: %v.", r.Label, err)
				}
			}
		}
		if publishing {
			for _, f := range []struct {
				name string
				set  bool
				what string
			}{
				{"severity", r.Severity != "", "change an event's severity"},
				{"summary", r.Summary != "", "change an event's summary"},
				{"dedup_key", r.DedupKey != "", "change an event's dedup key"},
				{"custom_details", len(r.CustomDetails) > 0, "change an event's custom details"},
				{"priority", r.Priority != "", "set an incident priority"},
				{"suppress", r.Suppress, "suppress an event"},
				{"drop", r.Drop, "drop an event"},
			} {
				if f.set && known(i, f.name) {
					add(i, f.name, "", "Not Expressible In PagerDuty's Router",
						"Rule %q sets %s, but an Event Orchestration router can only route, not %s; with event_orchestration_id set the rules are published there and must route the same in PagerDuty as in pdbridge. Remove %s, or leave event_orchestration_id unset.",
						r.Label, f.name, f.what, f.name)
				}
			}
		}
	}
	if ca := t.CatchAll; ca != nil {
		checkTarget(CatchAllIndex, ca.RouteTo, ca.Drop, known, add)
		if publishing && ca.Drop && known(CatchAllIndex, "drop") {
			add(CatchAllIndex, "drop", "", "Not Expressible In PagerDuty's Router",
				"The catch_all drops events, but an Event Orchestration router can only route; with event_orchestration_id set, route the catch_all to a connector or remove it (events then fall through to the router's own catch-all).")
		}
	}
	return errs
}

func checkTarget(i int, routeTo string, drop bool, known Known, add func(int, string, string, string, string, ...any)) {
	what := fmt.Sprintf("Rule %d", i)
	if i == CatchAllIndex {
		what = "The catch_all"
	}
	if known(i, "route_to") && routeTo != "" {
		if _, _, err := SplitConnectorID(routeTo); err != nil {
			add(i, "route_to", "", "Invalid Connector ID", "%s: %v.", what, err)
		}
	}
	if known(i, "route_to") && known(i, "drop") {
		switch {
		case routeTo == "" && !drop:
			add(i, "route_to", "", "Missing Route", "%s needs route_to (a pdbridge_connector id) or drop = true.", what)
		case routeTo != "" && drop:
			add(i, "drop", "", "Conflicting Route", "%s sets both route_to and drop = true; set one.", what)
		}
	}
}

// describePCLError says where a condition breaks, with a caret under it.
func describePCLError(src string, err error) string {
	var se *pcl.SyntaxError
	if !errors.As(err, &se) {
		return err.Error() + "."
	}
	line := strings.ReplaceAll(src, "\n", " ")
	col := max(se.Column, 1)
	if n := utf8.RuneCountInString(line); col > n+1 {
		col = n + 1
	}
	return fmt.Sprintf("%v.\n\n  %s\n  %s^", se, line, strings.Repeat(" ", col-1))
}

// SplitConnectorID splits a connector id, SERVICE_ID/INTEGRATION_ID.
func SplitConnectorID(id string) (serviceID, integrationID string, err error) {
	s, i, ok := strings.Cut(id, "/")
	if !ok || s == "" || i == "" || strings.Contains(i, "/") || strings.TrimSpace(id) != id {
		return "", "", fmt.Errorf("%q is not a connector id: route_to takes a pdbridge_connector's id, SERVICE_ID/INTEGRATION_ID (e.g. pdbridge_connector.unix.id)", id)
	}
	return s, i, nil
}

// Compiled is a checked transform, ready to route events. It is immutable
// and safe for concurrent use.
type Compiled struct {
	t     Transform
	conds []*pcl.Expr
	tmpls []ruleTemplates
}

type ruleTemplates struct {
	severity, summary, dedupKey *template.Template
	details                     map[string]*template.Template
}

// Compile checks a transform (as Check does, with every value known) and
// compiles its conditions and templates.
func Compile(t Transform, publishing bool) (*Compiled, error) {
	if errs := Check(t, publishing, AllKnown); len(errs) > 0 {
		es := make([]error, len(errs))
		for i, e := range errs {
			es[i] = e
		}
		return nil, errors.Join(es...)
	}
	c := &Compiled{t: t}
	for _, r := range t.Rules {
		c.conds = append(c.conds, pcl.MustParse(r.Condition)) // Check parsed it
		rt := ruleTemplates{details: map[string]*template.Template{}}
		rt.severity, rt.summary, rt.dedupKey = mustTemplate("severity", r.Severity), mustTemplate("summary", r.Summary), mustTemplate("dedup_key", r.DedupKey)
		for k, v := range r.CustomDetails {
			rt.details[k] = mustTemplate("custom_details."+k, v)
		}
		c.tmpls = append(c.tmpls, rt)
	}
	return c, nil
}

// Decision is what a transform does with one event.
type Decision struct {
	Rule        int    // index of the rule that matched, CatchAllIndex, or NoMatch
	Label       string // its label, CatchAllLabel, or "" for NoMatch
	ConnectorID string // where the event goes; "" when dropped or unmatched
	ServiceID   string
	Drop        bool
	Suppress    bool
	Priority    string
	Event       Event // the event after the rule's overrides
}

// ConnectorIDs are the connectors the transform can send to, in rule order.
func (c *Compiled) ConnectorIDs() []string {
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, r := range c.t.Rules {
		add(r.RouteTo)
	}
	if c.t.CatchAll != nil {
		add(c.t.CatchAll.RouteTo)
	}
	return out
}

// Routed reports whether the event is sent to a connector.
func (d Decision) Routed() bool { return d.ConnectorID != "" }

// Route evaluates the transform on an event. Conditions see the event as it
// would be sent; templates render over the same event (not over each other's
// results). An error is a template that cannot render this event, or an
// override PagerDuty would refuse.
func (c *Compiled) Route(ev Event) (Decision, error) {
	in := pcl.Input{Event: ev.Payload(), RawEvent: ev.body()}
	for i, r := range c.t.Rules {
		if !c.conds[i].Eval(in) {
			continue
		}
		d := Decision{Rule: i, Label: r.Label, Drop: r.Drop, Suppress: r.Suppress, Priority: r.Priority, Event: ev}
		if r.Drop {
			return d, nil
		}
		d.ConnectorID = r.RouteTo
		d.ServiceID, _, _ = SplitConnectorID(r.RouteTo)
		out, err := c.override(i, ev)
		if err != nil {
			return Decision{}, err
		}
		d.Event = out
		return d, nil
	}
	if ca := c.t.CatchAll; ca != nil {
		d := Decision{Rule: CatchAllIndex, Label: CatchAllLabel, Drop: ca.Drop, Event: ev}
		if !ca.Drop {
			d.ConnectorID = ca.RouteTo
			d.ServiceID, _, _ = SplitConnectorID(ca.RouteTo)
		}
		return d, nil
	}
	return Decision{Rule: NoMatch, Event: ev}, nil
}

// RenderError is an override that cannot give an event PagerDuty accepts.
type RenderError struct {
	Rule  int
	Label string
	Field string // severity, summary, dedup_key or custom_details
	Key   string // the custom_details key
	Err   error
}

func (e *RenderError) Error() string {
	field := e.Field
	if e.Key != "" {
		field += fmt.Sprintf("[%q]", e.Key)
	}
	return fmt.Sprintf("rule[%d] (%q) %s: %v", e.Rule, e.Label, field, e.Err)
}

func (e *RenderError) Unwrap() error { return e.Err }

// override applies rule i's field overrides to ev. Errors are *RenderError.
func (c *Compiled) override(i int, ev Event) (Event, error) {
	r, t := c.t.Rules[i], c.tmpls[i]
	data := templateData(ev)
	out := ev
	fail := func(field string, err error) (Event, error) {
		return Event{}, &RenderError{Rule: i, Label: r.Label, Field: field, Err: err}
	}
	var err error
	if t.severity != nil {
		if out.Severity, err = render(t.severity, data); err != nil {
			return fail("severity", err)
		}
		if !slices.Contains(events.Severities, out.Severity) {
			return fail("severity", fmt.Errorf("rendered %q, which is not a PagerDuty severity (%s)", out.Severity, strings.Join(events.Severities, ", ")))
		}
	}
	if t.summary != nil {
		if out.Summary, err = render(t.summary, data); err != nil {
			return fail("summary", err)
		}
		if strings.TrimSpace(out.Summary) == "" {
			return fail("summary", errors.New("rendered an empty summary, which PagerDuty refuses"))
		}
		if n := utf8.RuneCountInString(out.Summary); n > events.MaxSummaryLength {
			return fail("summary", fmt.Errorf("rendered %d characters; PagerDuty takes at most %d", n, events.MaxSummaryLength))
		}
	}
	if t.dedupKey != nil {
		if out.DedupKey, err = render(t.dedupKey, data); err != nil {
			return fail("dedup_key", err)
		}
		if n := utf8.RuneCountInString(out.DedupKey); n > events.MaxDedupKeyLength {
			return fail("dedup_key", fmt.Errorf("rendered %d characters; PagerDuty takes at most %d", n, events.MaxDedupKeyLength))
		}
	}
	if len(t.details) > 0 {
		details := maps.Clone(ev.CustomDetails)
		if details == nil {
			details = map[string]any{}
		}
		keys := make([]string, 0, len(t.details))
		for k := range t.details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if details[k], err = render(t.details[k], data); err != nil {
				return Event{}, &RenderError{Rule: i, Label: r.Label, Field: "custom_details", Key: k, Err: err}
			}
		}
		out.CustomDetails = details
	}
	return out, nil
}

// NewTransformID returns a new transform id, a random (version 4) UUID.
func NewTransformID() string { return uuid.NewString() }
