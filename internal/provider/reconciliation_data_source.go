package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/reconcile"
)

var (
	_ datasource.DataSource              = &ReconciliationDataSource{}
	_ datasource.DataSourceWithConfigure = &ReconciliationDataSource{}
)

// ReconciliationDataSource says what a sync run would do, without doing
// it: in terraform plan, and in check blocks.
type ReconciliationDataSource struct{ data *providerData }

// NewReconciliationDataSource returns the pdbridge_reconciliation data source.
func NewReconciliationDataSource() datasource.DataSource { return &ReconciliationDataSource{} }

type reconciliationModel struct {
	Settings          types.Object `tfsdk:"settings"`
	MaxItems          types.Int64  `tfsdk:"max_items"`
	InSync            types.Bool   `tfsdk:"in_sync"`
	PendingOperations types.Int64  `tfsdk:"pending_operations"`
	Counts            types.Map    `tfsdk:"counts"`
	Operations        types.List   `tfsdk:"operations"`
	Truncated         types.Bool   `tfsdk:"truncated"`
	Skipped           types.Map    `tfsdk:"skipped"`
}

const defaultMaxItems = 100

func (d *ReconciliationDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_reconciliation"
}

func (d *ReconciliationDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "What a sync run would do now to bring one event console and PagerDuty into agreement, read from both and planned, with nothing written: " +
			"in `terraform plan`, and in a `check` block that fails when they are out of sync. `pending_operations` counts what would change something; `counts` are always complete, `operations` capped by `max_items`.",
		Attributes: map[string]schema.Attribute{
			"settings":  schema.SingleNestedAttribute{MarkdownDescription: settingsDoc, Required: true, Attributes: buildAttributes(syncSettingsSpec, dataSourceBuilder)},
			"max_items": schema.Int64Attribute{MarkdownDescription: "The most operations listed in `operations` (default 100); `counts` and `pending_operations` count them all.", Optional: true},
			"in_sync":   schema.BoolAttribute{MarkdownDescription: "Whether a run would change nothing.", Computed: true},
			"pending_operations": schema.Int64Attribute{
				MarkdownDescription: "How many operations a run would do that change something (bookkeeping the engine keeps on events is not counted).", Computed: true},
			"counts": schema.MapAttribute{MarkdownDescription: "The pending operations by kind (`create_incident`, `resolve_incident`, `acknowledge_event`, `copy_log_to_event`, …).",
				Computed: true, ElementType: types.Int64Type},
			"operations": schema.ListNestedAttribute{
				MarkdownDescription: "The pending operations, in the order a run applies them, at most `max_items`.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"kind":        schema.StringAttribute{MarkdownDescription: "What the operation does.", Computed: true},
					"event_id":    schema.StringAttribute{MarkdownDescription: "The console event it concerns, if any.", Computed: true},
					"incident_id": schema.StringAttribute{MarkdownDescription: "The PagerDuty incident it concerns, if any.", Computed: true},
					"reason":      schema.StringAttribute{MarkdownDescription: "Why, in words.", Computed: true},
				}},
			},
			"truncated": schema.BoolAttribute{MarkdownDescription: "Whether `operations` leaves some out.", Computed: true},
			"skipped": schema.MapAttribute{MarkdownDescription: "Events a run leaves alone, by reason (`below_min_severity`, `dropped_by_routing`, `unrouted`, `maintenance`, `flood_suppressed`, `deferred`, …).",
				Computed: true, ElementType: types.Int64Type},
		},
	}
}

func (d *ReconciliationDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *ReconciliationDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m reconciliationModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	sides, diags := openSync(ctx, d.data, m.Settings, path.Root("settings"))
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	rep, err := reconcile.Run(ctx, sides.settings, sides.source, sides.pd, reconcile.Options{DryRun: true, Now: d.data.clock.Now})
	if err != nil {
		resp.Diagnostics.AddError("Cannot Read Both Sides", "Planning the sync failed: "+err.Error())
		return
	}
	limit := defaultMaxItems
	if !m.MaxItems.IsNull() {
		limit = int(max(m.MaxItems.ValueInt64(), 0))
	}
	pending := withoutBookkeeping(reconcile.InOrder(rep.Plan.Ops))
	ops, truncated, d1 := operationsValue(pending, limit)
	counts, d2 := countsValue(pendingCounts(rep.Plan))
	skipped, d3 := countsValue(rep.Plan.Skipped)
	resp.Diagnostics.Append(d1...)
	resp.Diagnostics.Append(d2...)
	resp.Diagnostics.Append(d3...)
	m.InSync = types.BoolValue(len(pending) == 0)
	m.PendingOperations = types.Int64Value(int64(len(pending)))
	m.Operations, m.Truncated, m.Counts, m.Skipped = ops, types.BoolValue(truncated), counts, skipped
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
