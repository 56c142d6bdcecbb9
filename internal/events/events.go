// Package events holds the rules and defaults of the events pdbridge sends
// to PagerDuty's Events API v2: alert events (trigger, acknowledge,
// resolve) with the validation and defaults users know from Kibana's
// PagerDuty connector, and change events. It turns what a user wrote into
// the event PagerDuty receives, and says which field breaks which rule, so
// that callers can report problems before anything is sent.
//
// It knows nothing of Terraform.
package events

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// Event actions.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Limits documented for the Events API v2 (Kibana's connector applies the
// same two length limits).
const (
	MaxSummaryLength  = 1024
	MaxDedupKeyLength = 255
	MaxEventBytes     = 512 * 1024
)

// Defaults, as Kibana's PagerDuty connector applies them (its source default
// names the Kibana action; ours names pdbridge).
const (
	DefaultAction   = ActionTrigger
	DefaultSummary  = "No summary provided."
	DefaultSeverity = "info"
	DefaultSource   = "pdbridge"
)

// Actions are the event actions, Severities the payload severities.
var (
	Actions    = []string{ActionTrigger, ActionAcknowledge, ActionResolve}
	Severities = []string{"critical", "error", "warning", "info"}
)

// Alert is an alert event as a user describes it. Empty strings are unset;
// unset fields get the defaults above.
type Alert struct {
	Action        string // trigger (default), acknowledge or resolve
	DedupKey      string
	Summary       string
	Source        string
	Severity      string
	Timestamp     string // ISO 8601, with a time zone
	Class         string
	Component     string
	Group         string
	CustomDetails any // nil, or a JSON object (map[string]any)
	Links         []Link
	Images        []Image
	Client        string
	ClientURL     string
}

// Change is a change event as a user describes it.
type Change struct {
	Summary       string
	Source        string
	Timestamp     string
	CustomDetails any
	Links         []Link
	Images        []Image
}

// Link is a link attached to an event.
type Link struct{ Href, Text string }

// Image is an image attached to an event.
type Image struct{ Src, Href, Alt string }

// FieldError is a rule an event breaks, against the field that breaks it.
// Warnings do not stop the event.
type FieldError struct {
	Field   string // e.g. "summary" or "links"
	Index   int    // the element of a list field, or -1
	Attr    string // the attribute of that element (e.g. "href"), or ""
	Summary string
	Detail  string
	Warning bool
}

func (e FieldError) Error() string { return e.Path() + ": " + e.Detail }

// Path names the field as a user writes it, e.g. summary or links[0].href.
func (e FieldError) Path() string {
	if e.Index < 0 {
		return e.Field
	}
	return fmt.Sprintf("%s[%d].%s", e.Field, e.Index, e.Attr)
}

// Known reports whether a field's value is known yet. At plan time some
// values come from resources not created yet; their rules are checked once
// they are known. Fields are the top-level names (summary, links, ...).
type Known func(field string) bool

// AllKnown is a Known for fully known values.
func AllKnown(string) bool { return true }

func fieldErr(field, summary, detail string) FieldError {
	return FieldError{Field: field, Index: -1, Summary: summary, Detail: detail}
}

// Check returns every rule a breaks, for the fields known so far.
func (a Alert) Check(known Known) []FieldError {
	var errs []FieldError
	action := a.Action
	actionKnown := known("event_action")
	if actionKnown && action != "" && !slices.Contains(Actions, action) {
		errs = append(errs, fieldErr("event_action", "Invalid Event Action",
			fmt.Sprintf("event_action %q is not one of %s.", action, quoteList(Actions))))
	}
	if action == "" {
		action = DefaultAction
	}
	ackOrResolve := action == ActionAcknowledge || action == ActionResolve
	if known("dedup_key") {
		if n := utf8.RuneCountInString(a.DedupKey); n > MaxDedupKeyLength {
			errs = append(errs, fieldErr("dedup_key", "Dedup Key Too Long",
				fmt.Sprintf("dedup_key is %d characters long; PagerDuty accepts at most %d.", n, MaxDedupKeyLength)))
		}
		if actionKnown && ackOrResolve && strings.TrimSpace(a.DedupKey) == "" {
			errs = append(errs, fieldErr("dedup_key", "Missing Dedup Key",
				fmt.Sprintf("dedup_key is required to %s an alert: it names the alert (the dedup key its trigger was sent with, or the one PagerDuty returned).", action)))
		}
	}
	if known("summary") {
		errs = append(errs, checkSummary(a.Summary, false)...)
	}
	if known("severity") && a.Severity != "" && !slices.Contains(Severities, a.Severity) {
		errs = append(errs, fieldErr("severity", "Invalid Severity",
			fmt.Sprintf("severity %q is not one of %s.", a.Severity, quoteList(Severities))))
	}
	if known("timestamp") {
		errs = append(errs, checkTimestamp(a.Timestamp)...)
	}
	if known("client_url") && a.ClientURL != "" {
		if err := checkAbsoluteURL(a.ClientURL, false); err != nil {
			errs = append(errs, fieldErr("client_url", "Invalid Client URL", "client_url "+err.Error()+"."))
		}
	}
	errs = append(errs, checkAttachments(known, a.CustomDetails, a.Links, a.Images)...)
	if actionKnown && ackOrResolve {
		errs = append(errs, ignoredFields(action, a)...)
	}
	if len(errs) == 0 && allKnown(known, alertFields) {
		ev, _ := a.build(sizingKey)
		errs = append(errs, checkSize(ev)...)
	}
	return errs
}

// sizingKey stands for the routing key when sizing an event at plan time:
// the Events API's keys are 32 characters.
const sizingKey = "00000000000000000000000000000000"

var alertFields = []string{"event_action", "dedup_key", "summary", "source", "severity", "timestamp", "class", "component", "group", "custom_details", "links", "images", "client", "client_url"}

// ignoredFields warns about trigger-only fields set on an acknowledge or
// resolve, which PagerDuty (and Kibana) drop.
func ignoredFields(action string, a Alert) []FieldError {
	set := map[string]bool{
		"summary": a.Summary != "", "source": a.Source != "", "severity": a.Severity != "", "timestamp": a.Timestamp != "",
		"class": a.Class != "", "component": a.Component != "", "group": a.Group != "", "custom_details": a.CustomDetails != nil,
		"links": len(a.Links) > 0, "images": len(a.Images) > 0, "client": a.Client != "", "client_url": a.ClientURL != "",
	}
	var out []FieldError
	for _, f := range alertFields {
		if set[f] {
			e := fieldErr(f, "Field Ignored", fmt.Sprintf("%s is sent only with trigger events; an %s event carries only the dedup_key, so it is ignored.", f, action))
			e.Warning = true
			out = append(out, e)
		}
	}
	return out
}

// Event is the event PagerDuty receives for a: defaults applied, timestamp
// in UTC. It returns the rules a breaks instead when there are any (values
// unknown at plan time are checked here at the latest).
func (a Alert) Event(routingKey string) (pagerduty.AlertEvent, []FieldError) {
	if errs := onlyErrors(a.Check(AllKnown)); len(errs) > 0 {
		return pagerduty.AlertEvent{}, errs
	}
	ev, _ := a.build(routingKey)
	return ev, nil
}

// build applies the defaults; the timestamp has been checked by the caller.
func (a Alert) build(routingKey string) (pagerduty.AlertEvent, error) {
	ev := pagerduty.AlertEvent{RoutingKey: routingKey, EventAction: or(a.Action, DefaultAction), DedupKey: a.DedupKey}
	if ev.EventAction != ActionTrigger {
		return ev, nil // acknowledge and resolve carry only the dedup key
	}
	ts, err := normalizeTimestamp(a.Timestamp)
	ev.Payload = &pagerduty.AlertPayload{
		Summary: or(a.Summary, DefaultSummary), Source: or(a.Source, DefaultSource), Severity: or(a.Severity, DefaultSeverity),
		Timestamp: ts, Class: a.Class, Component: a.Component, Group: a.Group, CustomDetails: a.CustomDetails,
	}
	ev.Client, ev.ClientURL = a.Client, a.ClientURL
	ev.Links, ev.Images = wireLinks(a.Links), wireImages(a.Images)
	return ev, err
}

// Check returns every rule c breaks, for the fields known so far.
func (c Change) Check(known Known) []FieldError {
	var errs []FieldError
	if known("summary") {
		errs = append(errs, checkSummary(c.Summary, true)...)
	}
	if known("timestamp") {
		errs = append(errs, checkTimestamp(c.Timestamp)...)
	}
	errs = append(errs, checkAttachments(known, c.CustomDetails, c.Links, c.Images)...)
	if len(errs) == 0 && allKnown(known, []string{"summary", "source", "timestamp", "custom_details", "links", "images"}) {
		ev, _ := c.build(sizingKey)
		errs = append(errs, checkSize(ev)...)
	}
	return errs
}

// Event is the change event PagerDuty receives for c, or the rules c breaks.
func (c Change) Event(routingKey string) (pagerduty.ChangeEvent, []FieldError) {
	if errs := onlyErrors(c.Check(AllKnown)); len(errs) > 0 {
		return pagerduty.ChangeEvent{}, errs
	}
	ev, _ := c.build(routingKey)
	return ev, nil
}

func (c Change) build(routingKey string) (pagerduty.ChangeEvent, error) {
	ts, err := normalizeTimestamp(c.Timestamp)
	return pagerduty.ChangeEvent{
		RoutingKey: routingKey,
		Payload:    pagerduty.ChangePayload{Summary: c.Summary, Source: c.Source, Timestamp: ts, CustomDetails: c.CustomDetails},
		Links:      wireLinks(c.Links), Images: wireImages(c.Images),
	}, err
}

func checkSummary(s string, required bool) []FieldError {
	if required && strings.TrimSpace(s) == "" {
		return []FieldError{fieldErr("summary", "Missing Summary", "summary must not be empty: it is the line PagerDuty shows on the service's timeline.")}
	}
	if n := utf8.RuneCountInString(s); n > MaxSummaryLength {
		return []FieldError{fieldErr("summary", "Summary Too Long",
			fmt.Sprintf("summary is %d characters long; PagerDuty accepts at most %d.", n, MaxSummaryLength))}
	}
	return nil
}

func checkTimestamp(ts string) []FieldError {
	if ts == "" {
		return nil
	}
	if _, err := normalizeTimestamp(ts); err != nil {
		return []FieldError{fieldErr("timestamp", "Invalid Timestamp", err.Error())}
	}
	return nil
}

// Timestamp layouts accepted: ISO 8601 date-times with a time zone, and
// dates (midnight UTC). A date-time without a zone is refused rather than
// guessed.
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"}

func normalizeTimestamp(ts string) (string, error) {
	if ts == "" {
		return "", nil
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, ts); err == nil {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if _, err := time.Parse(layout, ts); err == nil {
			return "", fmt.Errorf("timestamp %q has no time zone: add Z (UTC) or an offset such as +02:00", ts)
		}
	}
	return "", fmt.Errorf("timestamp %q is not an ISO 8601 date-time such as 2025-06-01T12:00:00Z", ts)
}

func checkAttachments(known Known, details any, links []Link, images []Image) []FieldError {
	var errs []FieldError
	if known("custom_details") && details != nil {
		if _, ok := details.(map[string]any); !ok {
			errs = append(errs, fieldErr("custom_details", "Invalid Custom Details",
				fmt.Sprintf("custom_details must be an object, such as { build = 42 }, not %s.", jsonKind(details))))
		}
	}
	if known("links") {
		for i, l := range links {
			if strings.TrimSpace(l.Href) == "" {
				errs = append(errs, FieldError{Field: "links", Index: i, Attr: "href", Summary: "Missing Link", Detail: fmt.Sprintf("links[%d].href must not be empty.", i)})
			}
		}
	}
	if known("images") {
		for i, img := range images {
			if err := checkAbsoluteURL(img.Src, true); err != nil {
				errs = append(errs, FieldError{Field: "images", Index: i, Attr: "src", Summary: "Invalid Image Source",
					Detail: fmt.Sprintf("images[%d].src %s (PagerDuty shows only images served over HTTPS).", i, err)})
			}
		}
	}
	return errs
}

// checkAbsoluteURL requires an absolute http(s) URL, or https only.
func checkAbsoluteURL(raw string, httpsOnly bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		if httpsOnly {
			return fmt.Errorf("%q is not an https URL", raw)
		}
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if httpsOnly && u.Scheme != "https" {
		return fmt.Errorf("%q is not an https URL", raw)
	}
	return nil
}

func checkSize(ev any) []FieldError {
	data, err := json.Marshal(ev)
	if err != nil {
		return []FieldError{fieldErr("custom_details", "Invalid Custom Details", "custom_details cannot be encoded as JSON: "+err.Error())}
	}
	if len(data) > MaxEventBytes {
		return []FieldError{fieldErr("custom_details", "Event Too Large",
			fmt.Sprintf("The event is %d bytes of JSON; PagerDuty accepts at most %d (512 KB). Trim custom_details.", len(data), MaxEventBytes))}
	}
	return nil
}

func wireLinks(links []Link) []pagerduty.Link {
	var out []pagerduty.Link
	for _, l := range links {
		out = append(out, pagerduty.Link{Href: l.Href, Text: l.Text})
	}
	return out
}

func wireImages(images []Image) []pagerduty.Image {
	var out []pagerduty.Image
	for _, i := range images {
		out = append(out, pagerduty.Image{Src: i.Src, Href: i.Href, Alt: i.Alt})
	}
	return out
}

func onlyErrors(errs []FieldError) []FieldError {
	var out []FieldError
	for _, e := range errs {
		if !e.Warning {
			out = append(out, e)
		}
	}
	return out
}

func allKnown(known Known, fields []string) bool {
	for _, f := range fields {
		if !known(f) {
			return false
		}
	}
	return true
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a bool"
	case []any:
		return "a list"
	case nil:
		return "null"
	default:
		return "a number"
	}
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
