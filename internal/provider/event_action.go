package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

var (
	_ action.Action                   = &EventAction{}
	_ action.ActionWithConfigure      = &EventAction{}
	_ action.ActionWithValidateConfig = &EventAction{}
	_ action.ActionWithModifyPlan     = &EventAction{}
)

// EventAction sends an alert event (trigger, acknowledge, resolve).
type EventAction struct {
	data *providerData
}

// NewEventAction returns the pdbridge_event action.
func NewEventAction() action.Action { return &EventAction{} }

// eventModel is the configuration of an alert event, shared by the action
// and the ephemeral resource.
type eventModel struct {
	RoutingKey    types.String  `tfsdk:"routing_key"`
	EventAction   types.String  `tfsdk:"event_action"`
	DedupKey      types.String  `tfsdk:"dedup_key"`
	Summary       types.String  `tfsdk:"summary"`
	Source        types.String  `tfsdk:"source"`
	Severity      types.String  `tfsdk:"severity"`
	Timestamp     types.String  `tfsdk:"timestamp"`
	Class         types.String  `tfsdk:"class"`
	Component     types.String  `tfsdk:"component"`
	Group         types.String  `tfsdk:"group"`
	CustomDetails types.Dynamic `tfsdk:"custom_details"`
	Links         types.List    `tfsdk:"links"`
	Images        types.List    `tfsdk:"images"`
	Client        types.String  `tfsdk:"client"`
	ClientURL     types.String  `tfsdk:"client_url"`
}

type eventLinkModel struct {
	Href types.String `tfsdk:"href"`
	Text types.String `tfsdk:"text"`
}

type eventImageModel struct {
	Src  types.String `tfsdk:"src"`
	Href types.String `tfsdk:"href"`
	Alt  types.String `tfsdk:"alt"`
}

// eventDocs describes the event attributes once for the action and the
// ephemeral resource, whose schema types differ.
var eventDocs = map[string]string{
	"routing_key":    "The 32-character routing key of the integration the event goes to: pass a connector's `integration_key` (e.g. `pdbridge_connector.app.integration_key`), or any Events API v2 integration or orchestration key.",
	"event_action":   "`trigger` (default), `acknowledge` or `resolve`. Acknowledge and resolve act on the open alert with the same `dedup_key` and routing key, and carry only the `dedup_key`: the other fields are ignored.",
	"dedup_key":      "Identifies the alert: triggers with the same key while it is open are grouped into it. At most 255 characters. Required to acknowledge or resolve; on a trigger without one PagerDuty generates a key.",
	"summary":        "The alert's title. At most 1,024 characters; defaults to `No summary provided.`",
	"source":         "The affected system, preferably a host name. Defaults to `pdbridge`.",
	"severity":       "`critical`, `error`, `warning` or `info` (default).",
	"timestamp":      "When the problem was detected, as an ISO 8601 date-time with a time zone (e.g. `2025-06-01T12:00:00Z` or `...+02:00`) or a date; sent in UTC.",
	"class":          "The class or type of the event, e.g. `ping failure`.",
	"component":      "The part of the source that is responsible, e.g. `mysql`.",
	"group":          "A logical grouping of components, e.g. `app-stack`.",
	"custom_details": "Additional details, as an object of any shape (e.g. `{ build = 42, tags = [\"a\"] }`). The event, as JSON, may not exceed 512 KB.",
	"links":          "Links to attach.",
	"links.href":     "The URL of the link.",
	"links.text":     "The text shown for the link.",
	"images":         "Images to attach.",
	"images.src":     "The image's URL; PagerDuty requires HTTPS.",
	"images.href":    "Where the image links to.",
	"images.alt":     "Alternative text for the image.",
	"client":         "The name of the monitoring client that sent the event.",
	"client_url":     "The URL of the monitoring client, as an absolute http(s) URL.",
}

func (a *EventAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_event"
}

func (a *EventAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends an alert event (`trigger`, `acknowledge` or `resolve`) to PagerDuty's Events API v2, with the defaults and limits of Kibana's PagerDuty connector. Invoke it from a resource's `action_trigger` or with `terraform apply -invoke`; it reports PagerDuty's status and dedup key.",
		Attributes: map[string]schema.Attribute{
			"routing_key":    actionRoutingKey(),
			"event_action":   schema.StringAttribute{MarkdownDescription: eventDocs["event_action"], Optional: true},
			"dedup_key":      schema.StringAttribute{MarkdownDescription: eventDocs["dedup_key"], Optional: true},
			"summary":        schema.StringAttribute{MarkdownDescription: eventDocs["summary"], Optional: true},
			"source":         schema.StringAttribute{MarkdownDescription: eventDocs["source"], Optional: true},
			"severity":       schema.StringAttribute{MarkdownDescription: eventDocs["severity"], Optional: true},
			"timestamp":      schema.StringAttribute{MarkdownDescription: eventDocs["timestamp"], Optional: true},
			"class":          schema.StringAttribute{MarkdownDescription: eventDocs["class"], Optional: true},
			"component":      schema.StringAttribute{MarkdownDescription: eventDocs["component"], Optional: true},
			"group":          schema.StringAttribute{MarkdownDescription: eventDocs["group"], Optional: true},
			"custom_details": schema.DynamicAttribute{MarkdownDescription: eventDocs["custom_details"], Optional: true},
			"links":          eventLinksAttribute(),
			"images":         eventImagesAttribute(),
			"client":         schema.StringAttribute{MarkdownDescription: eventDocs["client"], Optional: true},
			"client_url":     schema.StringAttribute{MarkdownDescription: eventDocs["client_url"], Optional: true},
		},
	}
}

// actionRoutingKey is the routing key of the actions. Actions cannot mark
// an attribute Sensitive, and framework v1.19.0 refuses every non-null
// value of a WriteOnly action attribute in ValidateActionConfig (it
// validates action schemas as if the client did not support write-only
// attributes), so the key is a plain attribute: pass a sensitive value, such
// as a connector's integration_key, for Terraform to redact it.
func actionRoutingKey() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: eventDocs["routing_key"] + " Actions keep no state; pass a sensitive value (a connector's `integration_key` is one, or a `sensitive` variable) so that Terraform redacts it in its output.",
		Required:            true,
	}
}

func eventLinksAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: eventDocs["links"],
		Optional:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"href": schema.StringAttribute{MarkdownDescription: eventDocs["links.href"], Required: true},
			"text": schema.StringAttribute{MarkdownDescription: eventDocs["links.text"], Optional: true},
		}},
	}
}

func eventImagesAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: eventDocs["images"],
		Optional:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"src":  schema.StringAttribute{MarkdownDescription: eventDocs["images.src"], Required: true},
			"href": schema.StringAttribute{MarkdownDescription: eventDocs["images.href"], Optional: true},
			"alt":  schema.StringAttribute{MarkdownDescription: eventDocs["images.alt"], Optional: true},
		}},
	}
}

func (a *EventAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (a *EventAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m eventModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	alert, known := m.alert(&resp.Diagnostics)
	addEventFieldErrors(&resp.Diagnostics, alert.Check(known), true)
}

// ModifyPlan checks, before anything is sent, what validation could not:
// values known only at plan time, and that the provider can send at all.
func (a *EventAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m eventModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	alert, known := m.alert(&resp.Diagnostics)
	addEventFieldErrors(&resp.Diagnostics, alert.Check(known), false)
	eventsClient(a.data, &resp.Diagnostics)
}

func (a *EventAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m eventModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	c := eventsClient(a.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	res, ev := sendAlertEvent(ctx, c, m, &resp.Diagnostics, func(msg string) { resp.SendProgress(action.InvokeProgressEvent{Message: msg}) })
	if res != nil {
		resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("PagerDuty accepted the %s event: status %q, dedup_key %q (%s).", ev.EventAction, res.Status, res.DedupKey, res.Message)})
	}
}

// sendAlertEvent builds the event from the configuration and sends it, telling
// progress where it goes. It returns nil after adding the diagnostics.
func sendAlertEvent(ctx context.Context, c *pagerduty.Client, m eventModel, diags *diag.Diagnostics, progress func(string)) (*pagerduty.EventResult, pagerduty.AlertEvent) {
	alert, _ := m.alert(diags)
	if diags.HasError() {
		return nil, pagerduty.AlertEvent{}
	}
	ev, errs := alert.Event(m.RoutingKey.ValueString())
	if len(errs) > 0 {
		addEventFieldErrors(diags, errs, false)
		return nil, ev
	}
	progress(fmt.Sprintf("Sending a %s event to %s.", ev.EventAction, c.EnqueueURL()))
	res, err := c.SendAlertEvent(ctx, ev)
	if err != nil {
		addEventSendError(diags, err)
		return nil, ev
	}
	// The routing key is a secret: never logged.
	tflog.Info(ctx, "PagerDuty accepted an event", map[string]any{"event_action": ev.EventAction, "dedup_key": res.DedupKey, "status": res.Status})
	return res, ev
}

func addEventSendError(diags *diag.Diagnostics, err error) {
	if pagerduty.IsEventRejected(err) {
		diags.AddError("PagerDuty Rejected the Event", fmt.Sprintf("PagerDuty refused the event; fix it and try again.\n\nOriginal Error: %v", err))
		return
	}
	diags.AddError("Send Event Error", fmt.Sprintf("The event could not be delivered to PagerDuty (retries included).\n\nOriginal Error: %v", err))
}

// addEventFieldErrors reports rule violations against their attributes;
// warnings only when asked, so that they are not repeated at each step.
func addEventFieldErrors(diags *diag.Diagnostics, errs []events.FieldError, warnings bool) {
	for _, e := range errs {
		at := path.Root(e.Field)
		if e.Index >= 0 {
			at = at.AtListIndex(e.Index).AtName(e.Attr)
		}
		switch {
		case !e.Warning:
			diags.AddAttributeError(at, e.Summary, e.Detail)
		case warnings:
			diags.AddAttributeWarning(at, e.Summary, e.Detail)
		}
	}
}

// alert converts the configuration to the domain's alert, with which of its
// fields are known yet.
func (m eventModel) alert(diags *diag.Diagnostics) (events.Alert, events.Known) {
	unknown := map[string]bool{}
	str := func(field string, v types.String) string {
		if v.IsUnknown() {
			unknown[field] = true
		}
		return v.ValueString()
	}
	a := events.Alert{
		Action: str("event_action", m.EventAction), DedupKey: str("dedup_key", m.DedupKey), Summary: str("summary", m.Summary),
		Source: str("source", m.Source), Severity: str("severity", m.Severity), Timestamp: str("timestamp", m.Timestamp),
		Class: str("class", m.Class), Component: str("component", m.Component), Group: str("group", m.Group),
		Client: str("client", m.Client), ClientURL: str("client_url", m.ClientURL),
	}
	var ok bool
	if a.CustomDetails, ok = dynamicJSON(m.CustomDetails); !ok {
		unknown["custom_details"] = true
	}
	if a.Links, ok = eventLinks(m.Links, diags); !ok {
		unknown["links"] = true
	}
	if a.Images, ok = eventImages(m.Images, diags); !ok {
		unknown["images"] = true
	}
	return a, func(field string) bool { return !unknown[field] }
}

// eventLinks converts a links list; ok is false while any of it is unknown.
func eventLinks(list types.List, diags *diag.Diagnostics) ([]events.Link, bool) {
	if list.IsUnknown() {
		return nil, false
	}
	var ms []eventLinkModel
	diags.Append(list.ElementsAs(context.Background(), &ms, false)...)
	var out []events.Link
	for _, l := range ms {
		if l.Href.IsUnknown() || l.Text.IsUnknown() {
			return nil, false
		}
		out = append(out, events.Link{Href: l.Href.ValueString(), Text: l.Text.ValueString()})
	}
	return out, true
}

// eventImages converts an images list; ok is false while any of it is unknown.
func eventImages(list types.List, diags *diag.Diagnostics) ([]events.Image, bool) {
	if list.IsUnknown() {
		return nil, false
	}
	var ms []eventImageModel
	diags.Append(list.ElementsAs(context.Background(), &ms, false)...)
	var out []events.Image
	for _, i := range ms {
		if i.Src.IsUnknown() || i.Href.IsUnknown() || i.Alt.IsUnknown() {
			return nil, false
		}
		out = append(out, events.Image{Src: i.Src.ValueString(), Href: i.Href.ValueString(), Alt: i.Alt.ValueString()})
	}
	return out, true
}

// dynamicJSON converts a Terraform value of any type to what encoding/json
// writes: objects and maps become objects, lists, sets and tuples arrays,
// numbers keep their exact digits. ok is false while any of it is unknown.
func dynamicJSON(v attr.Value) (any, bool) {
	if v == nil || v.IsNull() {
		return nil, true
	}
	if v.IsUnknown() {
		return nil, false
	}
	switch v := v.(type) {
	case basetypes.DynamicValue:
		return dynamicJSON(v.UnderlyingValue())
	case basetypes.StringValue:
		return v.ValueString(), true
	case basetypes.BoolValue:
		return v.ValueBool(), true
	case basetypes.NumberValue:
		return json.Number(v.ValueBigFloat().Text('g', -1)), true
	case basetypes.ObjectValue:
		return dynamicJSONObject(v.Attributes())
	case basetypes.MapValue:
		return dynamicJSONObject(v.Elements())
	case basetypes.ListValue:
		return dynamicJSONArray(v.Elements())
	case basetypes.SetValue:
		return dynamicJSONArray(v.Elements())
	case basetypes.TupleValue:
		return dynamicJSONArray(v.Elements())
	default:
		// Configuration values are only of the kinds above; anything else is
		// sent as Terraform renders it rather than dropped.
		return v.String(), true
	}
}

func dynamicJSONObject(attrs map[string]attr.Value) (any, bool) {
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		j, ok := dynamicJSON(v)
		if !ok {
			return nil, false
		}
		out[k] = j
	}
	return out, true
}

func dynamicJSONArray(elems []attr.Value) (any, bool) {
	out := make([]any, 0, len(elems))
	for _, v := range elems {
		j, ok := dynamicJSON(v)
		if !ok {
			return nil, false
		}
		out = append(out, j)
	}
	return out, true
}
