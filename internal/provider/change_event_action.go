package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
)

var (
	_ action.Action                   = &ChangeEventAction{}
	_ action.ActionWithConfigure      = &ChangeEventAction{}
	_ action.ActionWithValidateConfig = &ChangeEventAction{}
	_ action.ActionWithModifyPlan     = &ChangeEventAction{}
)

// ChangeEventAction sends a change event, such as a deployment marker.
type ChangeEventAction struct {
	data *providerData
}

// NewChangeEventAction returns the pdbridge_change_event action.
func NewChangeEventAction() action.Action { return &ChangeEventAction{} }

type changeEventModel struct {
	RoutingKey    types.String  `tfsdk:"routing_key"`
	Summary       types.String  `tfsdk:"summary"`
	Source        types.String  `tfsdk:"source"`
	Timestamp     types.String  `tfsdk:"timestamp"`
	CustomDetails types.Dynamic `tfsdk:"custom_details"`
	Links         types.List    `tfsdk:"links"`
	Images        types.List    `tfsdk:"images"`
}

func (a *ChangeEventAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_change_event"
}

func (a *ChangeEventAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends a change event to PagerDuty's Events API v2: it opens no incident and notifies no one, but shows on the service's timeline next to its incidents. Trigger it from a resource's `action_trigger` after apply so that every deployment is there.",
		Attributes: map[string]schema.Attribute{
			"routing_key": actionRoutingKey(),
			"summary": schema.StringAttribute{
				MarkdownDescription: "What changed, e.g. `Deployed web v42`. At most 1,024 characters.",
				Required:            true,
			},
			"source":         schema.StringAttribute{MarkdownDescription: "Where the change was made, e.g. the CI system.", Optional: true},
			"timestamp":      schema.StringAttribute{MarkdownDescription: "When the change happened (default: when PagerDuty receives the event). " + eventDocs["timestamp"], Optional: true},
			"custom_details": schema.DynamicAttribute{MarkdownDescription: eventDocs["custom_details"], Optional: true},
			"links":          eventLinksAttribute(),
			"images":         eventImagesAttribute(),
		},
	}
}

func (a *ChangeEventAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (a *ChangeEventAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m changeEventModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	change, known := m.change(&resp.Diagnostics)
	addEventFieldErrors(&resp.Diagnostics, change.Check(known), true)
}

func (a *ChangeEventAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m changeEventModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	change, known := m.change(&resp.Diagnostics)
	addEventFieldErrors(&resp.Diagnostics, change.Check(known), false)
	eventsClient(a.data, &resp.Diagnostics)
}

func (a *ChangeEventAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m changeEventModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	c := eventsClient(a.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	change, _ := m.change(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ev, errs := change.Event(m.RoutingKey.ValueString())
	if len(errs) > 0 {
		addEventFieldErrors(&resp.Diagnostics, errs, false)
		return
	}
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Sending a change event to %s.", c.ChangeEnqueueURL())})
	res, err := c.SendChangeEvent(ctx, ev)
	if err != nil {
		addEventSendError(&resp.Diagnostics, err)
		return
	}
	tflog.Info(ctx, "PagerDuty accepted a change event", map[string]any{"status": res.Status})
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("PagerDuty accepted the change event: status %q (%s).", res.Status, res.Message)})
}

// change converts the configuration to the domain's change event, with
// which of its fields are known yet.
func (m changeEventModel) change(diags *diag.Diagnostics) (events.Change, events.Known) {
	unknown := map[string]bool{}
	str := func(field string, v types.String) string {
		if v.IsUnknown() {
			unknown[field] = true
		}
		return v.ValueString()
	}
	c := events.Change{Summary: str("summary", m.Summary), Source: str("source", m.Source), Timestamp: str("timestamp", m.Timestamp)}
	var ok bool
	if c.CustomDetails, ok = dynamicJSON(m.CustomDetails); !ok {
		unknown["custom_details"] = true
	}
	if c.Links, ok = eventLinks(m.Links, diags); !ok {
		unknown["links"] = true
	}
	if c.Images, ok = eventImages(m.Images, diags); !ok {
		unknown["images"] = true
	}
	return c, func(field string) bool { return !unknown[field] }
}
