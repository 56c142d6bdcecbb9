package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ ephemeral.EphemeralResource                   = &EventEphemeralResource{}
	_ ephemeral.EphemeralResourceWithConfigure      = &EventEphemeralResource{}
	_ ephemeral.EphemeralResourceWithValidateConfig = &EventEphemeralResource{}
)

// EventEphemeralResource sends an alert event each time Terraform opens it,
// for Terraform 1.10 to 1.13, which have no actions.
type EventEphemeralResource struct {
	data *providerData
}

// NewEventEphemeralResource returns the pdbridge_event ephemeral resource.
func NewEventEphemeralResource() ephemeral.EphemeralResource { return &EventEphemeralResource{} }

type eventResultModel struct {
	eventModel
	Status  types.String `tfsdk:"status"`
	Message types.String `tfsdk:"message"`
}

func (r *EventEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_event"
}

func (r *EventEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	str := func(name string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: eventDocs[name], Optional: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends an alert event (`trigger`, `acknowledge` or `resolve`) to PagerDuty's Events API v2 **every time Terraform opens it: on every `plan` and every `apply`**, with the defaults and limits of Kibana's PagerDuty connector. For Terraform 1.10 to 1.13; with Terraform 1.14 or later use the `pdbridge_event` action, which sends only when invoked.",
		Attributes: map[string]schema.Attribute{
			"routing_key": schema.StringAttribute{
				MarkdownDescription: eventDocs["routing_key"],
				Required:            true,
				Sensitive:           true,
			},
			"event_action": str("event_action"),
			"dedup_key": schema.StringAttribute{
				MarkdownDescription: eventDocs["dedup_key"] + " After the event is sent, the dedup key PagerDuty answered with.",
				Optional:            true,
				Computed:            true,
			},
			"summary":        str("summary"),
			"source":         str("source"),
			"severity":       str("severity"),
			"timestamp":      str("timestamp"),
			"class":          str("class"),
			"component":      str("component"),
			"group":          str("group"),
			"custom_details": schema.DynamicAttribute{MarkdownDescription: eventDocs["custom_details"], Optional: true},
			"links": schema.ListNestedAttribute{
				MarkdownDescription: eventDocs["links"],
				Optional:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"href": schema.StringAttribute{MarkdownDescription: eventDocs["links.href"], Required: true},
					"text": schema.StringAttribute{MarkdownDescription: eventDocs["links.text"], Optional: true},
				}},
			},
			"images": schema.ListNestedAttribute{
				MarkdownDescription: eventDocs["images"],
				Optional:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"src":  schema.StringAttribute{MarkdownDescription: eventDocs["images.src"], Required: true},
					"href": schema.StringAttribute{MarkdownDescription: eventDocs["images.href"], Optional: true},
					"alt":  schema.StringAttribute{MarkdownDescription: eventDocs["images.alt"], Optional: true},
				}},
			},
			"client":     str("client"),
			"client_url": str("client_url"),
			"status": schema.StringAttribute{
				MarkdownDescription: "PagerDuty's status for the event (`success`).",
				Computed:            true,
			},
			"message": schema.StringAttribute{
				MarkdownDescription: "PagerDuty's message for the event (e.g. `Event processed`).",
				Computed:            true,
			},
		},
	}
}

func (r *EventEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *EventEphemeralResource) ValidateConfig(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	var m eventResultModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	alert, known := m.alert(&resp.Diagnostics)
	addEventFieldErrors(&resp.Diagnostics, alert.Check(known), true)
}

func (r *EventEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m eventResultModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	c := eventsClient(r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	res, _ := sendAlertEvent(ctx, c, m.eventModel, &resp.Diagnostics, func(string) {})
	if res == nil {
		return
	}
	m.DedupKey = types.StringValue(res.DedupKey)
	m.Status = types.StringValue(res.Status)
	m.Message = types.StringValue(res.Message)
	resp.Diagnostics.Append(resp.Result.Set(ctx, m)...)
}
