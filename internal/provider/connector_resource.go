package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// connectorSourceKinds are the tools a connector can be fed by: the consoles
// pdbridge synchronises with, and push-only sources.
var connectorSourceKinds = []string{"zenoss", "icinga2", "alertmanager", "device42", "rudderstack", "kibana", "generic"}

var (
	_ resource.Resource                = &ConnectorResource{}
	_ resource.ResourceWithConfigure   = &ConnectorResource{}
	_ resource.ResourceWithImportState = &ConnectorResource{}
)

// ConnectorResource is a PagerDuty Events API v2 integration on a service.
type ConnectorResource struct {
	data *providerData
}

// NewConnectorResource returns the pdbridge_connector resource.
func NewConnectorResource() resource.Resource { return &ConnectorResource{} }

type connectorModel struct {
	ID             types.String `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	ServiceID      types.String `tfsdk:"service_id"`
	SourceKind     types.String `tfsdk:"source_kind"`
	IntegrationID  types.String `tfsdk:"integration_id"`
	IntegrationKey types.String `tfsdk:"integration_key"`
	EventsURL      types.String `tfsdk:"events_url"`
}

func (r *ConnectorResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connector"
}

func (r *ConnectorResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A PagerDuty Events API v2 integration on a service, fed by one monitoring source. Its `integration_key` is the routing key the source sends events with.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`SERVICE_ID/INTEGRATION_ID`; routing transforms refer to connectors by it.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the integration in PagerDuty, e.g. `Zenoss: Unix team`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
			},
			"service_id": schema.StringAttribute{
				MarkdownDescription: "ID of the PagerDuty service the integration belongs to. Changing it creates a new integration (and a new key).",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"source_kind": schema.StringAttribute{
				MarkdownDescription: "What feeds this connector: `" + strings.Join(connectorSourceKinds, "`, `") + "`. It is pdbridge's own setting (PagerDuty does not store it), so changing it never touches the integration; after an import it is taken from configuration on the next apply.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(connectorSourceKinds...)},
			},
			"integration_id": schema.StringAttribute{
				MarkdownDescription: "ID of the PagerDuty integration.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"integration_key": schema.StringAttribute{
				MarkdownDescription: "The 32-character routing key (integration key) events are sent with.",
				Computed:            true,
				Sensitive:           true,
				PlanModifiers:       keep,
			},
			"events_url": schema.StringAttribute{
				MarkdownDescription: "The Events API v2 URL to send events to with `integration_key`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *ConnectorResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *ConnectorResource) client(resp interface{ AddError(string, string) }) *pagerduty.Client {
	if r.data == nil {
		resp.AddError("Provider Not Configured", "The pdbridge provider was not configured before this resource was used. Please report this issue to the provider developers.")
		return nil
	}
	c, diags := r.data.PagerDuty()
	for _, d := range diags {
		resp.AddError(d.Summary(), d.Detail())
	}
	return c
}

func (r *ConnectorResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan connectorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	i, err := c.CreateEventsV2Integration(ctx, plan.ServiceID.ValueString(), plan.Name.ValueString())
	if err != nil {
		if pagerduty.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("service_id"), "PagerDuty Service Not Found", fmt.Sprintf("No PagerDuty service has id %q.\n\nOriginal Error: %v", plan.ServiceID.ValueString(), err))
			return
		}
		resp.Diagnostics.AddError("Create Connector Error", fmt.Sprintf("Unable to create the integration.\n\nOriginal Error: %v", err))
		return
	}
	tflog.Info(ctx, "created PagerDuty integration", map[string]any{"service_id": i.ServiceID, "integration_id": i.ID})
	// The create response may omit the key on some accounts; read it back.
	if i.IntegrationKey == "" {
		if got, err := c.GetIntegration(ctx, i.ServiceID, i.ID); err == nil {
			i = got
		}
	}
	plan.fill(i, c)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (m *connectorModel) fill(i *pagerduty.Integration, c *pagerduty.Client) {
	m.ID = types.StringValue(i.ServiceID + "/" + i.ID)
	m.ServiceID = types.StringValue(i.ServiceID)
	m.IntegrationID = types.StringValue(i.ID)
	m.Name = types.StringValue(i.Name)
	m.IntegrationKey = types.StringValue(i.IntegrationKey)
	m.EventsURL = types.StringValue(c.EnqueueURL())
}

func (r *ConnectorResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state connectorModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	i, err := c.GetIntegration(ctx, state.ServiceID.ValueString(), state.IntegrationID.ValueString())
	if pagerduty.IsNotFound(err) {
		// Deleted in PagerDuty (or its service was): plan a new one.
		tflog.Warn(ctx, "integration no longer exists in PagerDuty; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Read Connector Error", fmt.Sprintf("Unable to read integration %s.\n\nOriginal Error: %v", state.ID.ValueString(), err))
		return
	}
	state.fill(i, c)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *ConnectorResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state connectorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	i := &pagerduty.Integration{ID: state.IntegrationID.ValueString(), ServiceID: state.ServiceID.ValueString(), Name: state.Name.ValueString(), IntegrationKey: state.IntegrationKey.ValueString()}
	if !plan.Name.Equal(state.Name) {
		got, err := c.RenameIntegration(ctx, i.ServiceID, i.ID, plan.Name.ValueString())
		if err != nil {
			resp.Diagnostics.AddError("Update Connector Error", fmt.Sprintf("Unable to rename integration %s.\n\nOriginal Error: %v", state.ID.ValueString(), err))
			return
		}
		i.Name = got.Name
		if got.IntegrationKey != "" {
			i.IntegrationKey = got.IntegrationKey
		}
	}
	plan.fill(i, c)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *ConnectorResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state connectorModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	if err := c.DeleteIntegration(ctx, state.ServiceID.ValueString(), state.IntegrationID.ValueString()); err != nil {
		resp.Diagnostics.AddError("Delete Connector Error", fmt.Sprintf("Unable to delete integration %s.\n\nOriginal Error: %v", state.ID.ValueString(), err))
	}
}

func (r *ConnectorResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	serviceID, integrationID, ok := parseConnectorID(req.ID)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Format of ID",
			fmt.Sprintf("Cannot import %q: a connector is imported as SERVICE_ID/INTEGRATION_ID, e.g. PSVC123/PINT456 (both from the integration's URL in PagerDuty).", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_id"), serviceID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("integration_id"), integrationID)...)
}

// parseConnectorID splits SERVICE_ID/INTEGRATION_ID.
func parseConnectorID(id string) (serviceID, integrationID string, ok bool) {
	parts := strings.Split(id, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" || strings.TrimSpace(id) != id {
		return "", "", false
	}
	return parts[0], parts[1], true
}
