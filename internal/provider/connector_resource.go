package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sourcekind"
)

var (
	_ resource.Resource                = &ConnectorResource{}
	_ resource.ResourceWithConfigure   = &ConnectorResource{}
	_ resource.ResourceWithImportState = &ConnectorResource{}
	_ resource.ResourceWithModifyPlan  = &ConnectorResource{}
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
	Kibana         types.Object `tfsdk:"kibana"`
	RudderStack    types.Object `tfsdk:"rudderstack"`
	Device42       types.Object `tfsdk:"device42"`
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
				MarkdownDescription: "What feeds this connector: `" + strings.Join(sourcekind.Kinds, "`, `") + "`. PagerDuty keeps it as the integration's vendor (Zenoss, Icinga2, Prometheus for `alertmanager`, Elastic Alerts for `kibana`, Device42, RudderStack; `generic` has none), so an imported connector gets it back. An integration's vendor cannot change: changing `source_kind` of a connector that has one replaces the integration, with a new `integration_key`, and the plan says so. Integrations without one of these vendors (`generic`, or made outside pdbridge) keep their key and change `source_kind` in state only.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(sourcekind.Kinds...)},
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
			"kibana": schema.SingleNestedAttribute{
				MarkdownDescription: "For `source_kind = \"kibana\"` (null otherwise): a Kibana PagerDuty connector for this integration, ready for Kibana's connector API or `elasticstack_kibana_action_connector`.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"connector_type_id": schema.StringAttribute{MarkdownDescription: "The Kibana connector type, `.pagerduty`.", Computed: true},
					"api_url":           schema.StringAttribute{MarkdownDescription: "The connector's API URL: the Events API v2 enqueue URL. With Kibana's `xpack.actions.allowedHosts`, its host must be allowed there.", Computed: true},
					"config":            schema.StringAttribute{MarkdownDescription: "The connector's `config` as JSON: `{\"apiUrl\": ...}`.", Computed: true},
					"secrets":           schema.StringAttribute{MarkdownDescription: "The connector's `secrets` as JSON: `{\"routingKey\": ...}`.", Computed: true, Sensitive: true},
				},
			},
			"rudderstack": schema.SingleNestedAttribute{
				MarkdownDescription: "For `source_kind = \"rudderstack\"` (null otherwise): the settings of a RudderStack PagerDuty destination, and which track-call field becomes which Events API field.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"routing_key":                schema.StringAttribute{MarkdownDescription: "The destination's *PagerDuty Routing Key*.", Computed: true, Sensitive: true},
					"dedup_key_field_identifier": schema.StringAttribute{MarkdownDescription: "The destination's *dedup_key Field Identifier*: `" + events.RudderStackDedupKeyField + "`, so that track calls carry the dedup key there (RudderStack otherwise uses the message id on triggers, and refuses acknowledge and resolve).", Computed: true},
					"destination_config":         schema.StringAttribute{MarkdownDescription: "The destination's config as JSON: `{\"routingKey\": ..., \"dedupKeyFieldIdentifier\": ...}`.", Computed: true, Sensitive: true},
					"alert_event_mapping":        schema.MapAttribute{MarkdownDescription: "Track-call field → Events API field for alert events (the default): `event` is the summary, `properties.action` the event action (default `trigger`), `properties.severity` the severity (default `critical`), and so on.", Computed: true, ElementType: types.StringType},
					"change_event_mapping":       schema.MapAttribute{MarkdownDescription: "Track-call field → Events API field for change events (track calls whose `integrations` object sets `pagerduty.type = \"changeEvent\"`).", Computed: true, ElementType: types.StringType},
				},
			},
			"device42": schema.SingleNestedAttribute{
				MarkdownDescription: "For `source_kind = \"device42\"` (null otherwise): the values of a Device42 PagerDuty external integration (Device42 16.14.00 or later), which Device42 alert rules send events through.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"integration_type": schema.StringAttribute{MarkdownDescription: "The external integration type, `PagerDuty`.", Computed: true},
					"url":              schema.StringAttribute{MarkdownDescription: "The Events API v2 enqueue URL.", Computed: true},
					"integration_key":  schema.StringAttribute{MarkdownDescription: "The integration key (routing key).", Computed: true, Sensitive: true},
				},
			},
		},
	}
}

var (
	kibanaType = map[string]attr.Type{
		"connector_type_id": types.StringType, "api_url": types.StringType, "config": types.StringType, "secrets": types.StringType,
	}
	rudderStackType = map[string]attr.Type{
		"routing_key": types.StringType, "dedup_key_field_identifier": types.StringType, "destination_config": types.StringType,
		"alert_event_mapping": types.MapType{ElemType: types.StringType}, "change_event_mapping": types.MapType{ElemType: types.StringType},
	}
	device42Type = map[string]attr.Type{
		"integration_type": types.StringType, "url": types.StringType, "integration_key": types.StringType,
	}
)

// ModifyPlan derives the push-source exports in the plan, so that they show
// their real values (or unknown, until a new integration has its key) and
// follow changes of source_kind without a perpetual diff.
func (r *ConnectorResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan connectorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !req.State.Raw.IsNull() && !plan.SourceKind.IsUnknown() {
		var state connectorModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		kept, diags := kindKeptInPagerDuty(ctx, req.Private)
		resp.Diagnostics.Append(diags...)
		if sourcekind.ChangeNeedsNewIntegration(kept, state.SourceKind.ValueString(), plan.SourceKind.ValueString()) {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("source_kind"))
		}
	}
	// What Create and Update will set: the provider's events URL may have
	// changed since the state was written.
	if r.data != nil && r.data.pagerduty != nil {
		plan.EventsURL = types.StringValue(r.data.pagerduty.EnqueueURL())
	}
	plan.setExports(plan.EventsURL)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
}

// setExports derives the push-source exports from source_kind, the key and
// eventsURL: null for other kinds, unknown parts where an input is unknown.
func (m *connectorModel) setExports(eventsURL types.String) {
	m.Kibana, m.RudderStack, m.Device42 = types.ObjectNull(kibanaType), types.ObjectNull(rudderStackType), types.ObjectNull(device42Type)
	if m.SourceKind.IsUnknown() {
		m.Kibana, m.RudderStack, m.Device42 = types.ObjectUnknown(kibanaType), types.ObjectUnknown(rudderStackType), types.ObjectUnknown(device42Type)
		return
	}
	url, key := eventsURL.ValueString(), m.IntegrationKey.ValueString()
	// value is v, unless one of what it is derived from is not known yet.
	value := func(v string, from ...types.String) attr.Value {
		for _, f := range from {
			if f.IsUnknown() {
				return types.StringUnknown()
			}
		}
		return types.StringValue(v)
	}
	switch m.SourceKind.ValueString() {
	case "kibana":
		k := events.KibanaConnector(url, key)
		m.Kibana = types.ObjectValueMust(kibanaType, map[string]attr.Value{
			"connector_type_id": types.StringValue(k.ConnectorTypeID), "api_url": value(k.APIURL, eventsURL),
			"config": value(k.Config, eventsURL), "secrets": value(k.Secrets, m.IntegrationKey),
		})
	case "rudderstack":
		d := events.RudderStackDestination(key)
		m.RudderStack = types.ObjectValueMust(rudderStackType, map[string]attr.Value{
			"routing_key": value(d.RoutingKey, m.IntegrationKey), "dedup_key_field_identifier": types.StringValue(d.DedupKeyFieldIdentifier),
			"destination_config":  value(d.DestinationConfig, m.IntegrationKey),
			"alert_event_mapping": exportMap(d.AlertEventMapping), "change_event_mapping": exportMap(d.ChangeEventMapping),
		})
	case "device42":
		d := events.Device42Integration(url, key)
		m.Device42 = types.ObjectValueMust(device42Type, map[string]attr.Value{
			"integration_type": types.StringValue(d.IntegrationType), "url": value(d.URL, eventsURL), "integration_key": value(d.IntegrationKey, m.IntegrationKey),
		})
	}
}

func exportMap(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

func (r *ConnectorResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *ConnectorResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan connectorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	c := pagerDutyClient(r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	vendorID := r.vendorID(ctx, c, plan.SourceKind.ValueString(), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	i, err := c.CreateVendorIntegration(ctx, plan.ServiceID.ValueString(), plan.Name.ValueString(), vendorID)
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
		got, err := c.GetIntegration(ctx, i.ServiceID, i.ID)
		if err != nil || got.IntegrationKey == "" {
			// Keep the integration in state, so that it is not orphaned; the
			// next refresh reads the key.
			resp.Diagnostics.AddWarning("Connector Created Without Its Key", fmt.Sprintf("Integration %s/%s was created but its integration_key could not be read yet; run terraform apply -refresh-only (or plan) to read it.\n\nOriginal Error: %v", i.ServiceID, i.ID, err))
		} else {
			i = got
		}
	}
	plan.fill(i, c)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	resp.Diagnostics.Append(setVendorPrivate(ctx, resp.Private, i)...)
}

// vendorID returns the id of the vendor that marks a connector of kind in
// PagerDuty, or "" for kinds without one. When the account's vendor list
// lacks it, or the token may not read that list, the connector is made
// without one, with a warning: it works the same, but an import will not
// know its kind.
func (r *ConnectorResource) vendorID(ctx context.Context, c *pagerduty.Client, kind string, diags *diag.Diagnostics) string {
	name, ok := sourcekind.VendorName(kind)
	if !ok {
		return ""
	}
	v, err := c.VendorNamed(ctx, name)
	var apiErr *pagerduty.Error
	switch {
	case err == nil:
		return v.ID
	case errors.Is(err, pagerduty.ErrNoSuchVendor) || errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden:
		diags.AddAttributeWarning(path.Root("source_kind"), "Connector Made Without a Vendor",
			fmt.Sprintf("PagerDuty's vendor %q is not in the account's vendor list, or the token may not read that list, so the integration is made without a vendor. It works the same, but PagerDuty will not record that %s feeds it, and an import will read its source_kind as %q.\n\nOriginal Error: %v", name, kind, sourcekind.Generic, err))
		return ""
	default:
		diags.AddError("Create Connector Error", fmt.Sprintf("Unable to look up PagerDuty's vendor %q for source_kind %q.\n\nOriginal Error: %v", name, kind, err))
		return ""
	}
}

// Whether PagerDuty keeps a connector's kind (its integration names one of
// the kinds' vendors) is kept in private state, as the vendor reference: it
// decides whether a change of source_kind needs a new integration, and it
// is there for plans made without refreshing too.
const privateVendorKey = "vendor"

type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

type privateVendor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func setVendorPrivate(ctx context.Context, p privateState, i *pagerduty.Integration) diag.Diagnostics {
	var value []byte // removes the key
	if _, ok := sourcekind.OfVendor(vendorName(i)); ok {
		value, _ = json.Marshal(privateVendor{ID: i.Vendor.ID, Name: i.Vendor.Name})
	}
	return p.SetKey(ctx, privateVendorKey, value)
}

func kindKeptInPagerDuty(ctx context.Context, p privateState) (bool, diag.Diagnostics) {
	b, diags := p.GetKey(ctx, privateVendorKey)
	return len(b) > 0, diags
}

func vendorName(i *pagerduty.Integration) string {
	if i.Vendor == nil {
		return ""
	}
	return i.Vendor.Name
}

func (m *connectorModel) fill(i *pagerduty.Integration, c *pagerduty.Client) {
	m.ID = types.StringValue(i.ServiceID + "/" + i.ID)
	m.ServiceID = types.StringValue(i.ServiceID)
	m.IntegrationID = types.StringValue(i.ID)
	m.Name = types.StringValue(i.Name)
	m.IntegrationKey = types.StringValue(i.IntegrationKey)
	m.EventsURL = types.StringValue(c.EnqueueURL())
	m.setExports(m.EventsURL)
}

func (r *ConnectorResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state connectorModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := pagerDutyClient(r.data, &resp.Diagnostics)
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
	state.SourceKind = types.StringValue(sourcekind.Read(vendorName(i), state.SourceKind.ValueString()))
	state.fill(i, c)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	resp.Diagnostics.Append(setVendorPrivate(ctx, resp.Private, i)...)
}

func (r *ConnectorResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state connectorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := pagerDutyClient(r.data, &resp.Diagnostics)
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
	c := pagerDutyClient(r.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	if err := c.DeleteIntegration(ctx, state.ServiceID.ValueString(), state.IntegrationID.ValueString()); err != nil {
		resp.Diagnostics.AddError("Delete Connector Error", fmt.Sprintf("Unable to delete integration %s.\n\nOriginal Error: %v", state.ID.ValueString(), err))
	}
}

func (r *ConnectorResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	serviceID, integrationID, err := routing.SplitConnectorID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Unexpected Format of ID",
			fmt.Sprintf("Cannot import %q: a connector is imported as SERVICE_ID/INTEGRATION_ID, e.g. PSVC123/PINT456 (both from the integration's URL in PagerDuty).", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_id"), serviceID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("integration_id"), integrationID)...)
}
