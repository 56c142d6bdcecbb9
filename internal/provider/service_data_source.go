package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

var (
	_ datasource.DataSource                     = &ServiceDataSource{}
	_ datasource.DataSourceWithConfigure        = &ServiceDataSource{}
	_ datasource.DataSourceWithConfigValidators = &ServiceDataSource{}
)

// ServiceDataSource reads a PagerDuty service's status and ongoing maintenance.
type ServiceDataSource struct {
	data *providerData
}

// NewServiceDataSource returns the pdbridge_service data source.
func NewServiceDataSource() datasource.DataSource { return &ServiceDataSource{} }

type serviceModel struct {
	ID                 types.String             `tfsdk:"id"`
	Name               types.String             `tfsdk:"name"`
	Description        types.String             `tfsdk:"description"`
	Status             types.String             `tfsdk:"status"`
	HTMLURL            types.String             `tfsdk:"html_url"`
	EscalationPolicyID types.String             `tfsdk:"escalation_policy_id"`
	InMaintenance      types.Bool               `tfsdk:"in_maintenance"`
	MaintenanceWindows []maintenanceWindowModel `tfsdk:"maintenance_windows"`
}

type maintenanceWindowModel struct {
	ID          types.String `tfsdk:"id"`
	Description types.String `tfsdk:"description"`
	StartTime   types.String `tfsdk:"start_time"`
	EndTime     types.String `tfsdk:"end_time"`
}

func (d *ServiceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service"
}

func (d *ServiceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A PagerDuty service's status (active, warning, critical, maintenance, disabled) and its ongoing maintenance windows, looked up by `id` or by exact `name`. Read it to decide what the sync does for new events (no incident while a service is in maintenance or disabled).",
		Attributes: map[string]schema.Attribute{
			"id":   schema.StringAttribute{MarkdownDescription: "Service ID. Set exactly one of `id` and `name`.", Optional: true, Computed: true, Validators: nonEmpty},
			"name": schema.StringAttribute{MarkdownDescription: "Exact service name (PagerDuty service names are unique). Set exactly one of `id` and `name`.", Optional: true, Computed: true, Validators: nonEmpty},
			"description": schema.StringAttribute{
				MarkdownDescription: "Service description.", Computed: true,
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "`active`, `warning` (an acknowledged incident), `critical` (a triggered incident), `maintenance` (an ongoing maintenance window) or `disabled`.", Computed: true,
			},
			"html_url":             schema.StringAttribute{MarkdownDescription: "The service's page in PagerDuty.", Computed: true},
			"escalation_policy_id": schema.StringAttribute{MarkdownDescription: "ID of the service's escalation policy.", Computed: true},
			"in_maintenance":       schema.BoolAttribute{MarkdownDescription: "Whether a maintenance window is in force now.", Computed: true},
			"maintenance_windows": schema.ListNestedAttribute{
				MarkdownDescription: "Maintenance windows in force now.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":          schema.StringAttribute{MarkdownDescription: "Window ID.", Computed: true},
					"description": schema.StringAttribute{MarkdownDescription: "Window description.", Computed: true},
					"start_time":  schema.StringAttribute{MarkdownDescription: "Start, RFC 3339 in UTC.", Computed: true},
					"end_time":    schema.StringAttribute{MarkdownDescription: "End, RFC 3339 in UTC.", Computed: true},
				}},
			},
		},
	}
}

func (d *ServiceDataSource) ConfigValidators(_ context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name"))}
}

func (d *ServiceDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *ServiceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m serviceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := pagerDutyClient(d.data, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var svc *pagerduty.Service
	var err error
	if !m.ID.IsNull() {
		svc, err = c.GetService(ctx, m.ID.ValueString())
		if pagerduty.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "PagerDuty Service Not Found", fmt.Sprintf("No PagerDuty service has id %q.", m.ID.ValueString()))
			return
		}
	} else {
		svc, err = c.FindServiceByName(ctx, m.Name.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "PagerDuty Service Lookup Failed", err.Error())
			return
		}
	}
	if err != nil {
		resp.Diagnostics.AddError("Read Service Error", fmt.Sprintf("Unable to read the PagerDuty service.\n\nOriginal Error: %v", err))
		return
	}
	windows, err := c.OngoingMaintenanceWindows(ctx, svc.ID)
	if err != nil {
		resp.Diagnostics.AddError("Read Service Error", fmt.Sprintf("Unable to read the maintenance windows of service %s.\n\nOriginal Error: %v", svc.ID, err))
		return
	}
	m.ID = types.StringValue(svc.ID)
	m.Name = types.StringValue(svc.Name)
	m.Description = types.StringValue(svc.Description)
	m.Status = types.StringValue(svc.Status)
	m.HTMLURL = types.StringValue(svc.HTMLURL)
	m.EscalationPolicyID = types.StringValue(svc.EscalationPolicyID)
	m.InMaintenance = types.BoolValue(len(windows) > 0)
	m.MaintenanceWindows = make([]maintenanceWindowModel, 0, len(windows))
	for _, w := range windows {
		m.MaintenanceWindows = append(m.MaintenanceWindows, maintenanceWindowModel{
			ID: types.StringValue(w.ID), Description: types.StringValue(w.Description),
			StartTime: types.StringValue(w.Start.Format(time.RFC3339)), EndTime: types.StringValue(w.End.Format(time.RFC3339)),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}
