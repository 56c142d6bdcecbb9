package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
)

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
