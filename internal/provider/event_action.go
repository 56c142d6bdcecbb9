package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
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
