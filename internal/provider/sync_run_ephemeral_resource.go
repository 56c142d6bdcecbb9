package provider

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/reconcile"
)

var (
	_ ephemeral.EphemeralResource                   = &SyncRunEphemeralResource{}
	_ ephemeral.EphemeralResourceWithConfigure      = &SyncRunEphemeralResource{}
	_ ephemeral.EphemeralResourceWithValidateConfig = &SyncRunEphemeralResource{}
)

// SyncRunEphemeralResource carries out one reconciliation pass each time
// Terraform opens it (Terraform 1.10 and later).
type SyncRunEphemeralResource struct{ data *providerData }

// NewSyncRunEphemeralResource returns the pdbridge_sync_run ephemeral resource.
func NewSyncRunEphemeralResource() ephemeral.EphemeralResource { return &SyncRunEphemeralResource{} }

type syncRunEphemeralModel struct {
	Settings          types.Object `tfsdk:"settings"`
	DryRun            types.Bool   `tfsdk:"dry_run"`
	Counts            types.Map    `tfsdk:"counts"`
	Operations        types.List   `tfsdk:"operations"`
	Errors            types.List   `tfsdk:"errors"`
	PendingOperations types.Int64  `tfsdk:"pending_operations"`
}

func (e *SyncRunEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync_run"
}

func (e *SyncRunEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	opAttrs := map[string]schema.Attribute{
		"kind":        schema.StringAttribute{MarkdownDescription: "What the operation did.", Computed: true},
		"event_id":    schema.StringAttribute{MarkdownDescription: "The console event it concerned, if any.", Computed: true},
		"incident_id": schema.StringAttribute{MarkdownDescription: "The PagerDuty incident it concerned, if any.", Computed: true},
		"reason":      schema.StringAttribute{MarkdownDescription: "Why, in words.", Computed: true},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Carries out one reconciliation pass between an event console and PagerDuty each time Terraform opens it, and returns what it did. " +
			"Terraform opens an ephemeral resource during plan and again during apply, so with `dry_run = false` every `terraform plan` and `terraform apply` runs a pass (twice for an apply without a saved plan); " +
			"with the default `dry_run = true` it only says what a pass would do. On Terraform 1.14 and later, `action.pdbridge_sync_run` runs a pass exactly when asked.",
		Attributes: map[string]schema.Attribute{
			"settings": schema.SingleNestedAttribute{MarkdownDescription: settingsDoc, Required: true, Attributes: buildAttributes(syncSettingsSpec, ephemeralBuilder)},
			"dry_run":  schema.BoolAttribute{MarkdownDescription: "Plan only, change nothing. Default `true`: a plan changes nothing unless asked.", Optional: true},
			"counts": schema.MapAttribute{MarkdownDescription: "Operations by outcome: `done`, `failed`, `skipped` (not attempted after an earlier failure on the same event); for a dry run, `planned`.",
				Computed: true, ElementType: types.Int64Type},
			"operations": schema.ListNestedAttribute{MarkdownDescription: "The operations done (for a dry run, those planned), without the bookkeeping the engine keeps on events.",
				Computed: true, NestedObject: schema.NestedAttributeObject{Attributes: opAttrs}},
			"errors":             schema.ListAttribute{MarkdownDescription: "Each failed operation and why.", Computed: true, ElementType: types.StringType},
			"pending_operations": schema.Int64Attribute{MarkdownDescription: "The operations that were pending when the pass began.", Computed: true},
		},
	}
}

func (e *SyncRunEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (e *SyncRunEphemeralResource) ValidateConfig(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	var m syncRunEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateSettingsObject(ctx, m.Settings, path.Root("settings"))...)
}

func (e *SyncRunEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m syncRunEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	sides, diags := openSync(ctx, e.data, m.Settings, path.Root("settings"))
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	dry := m.DryRun.IsNull() || m.DryRun.ValueBool()
	rep, err := reconcile.Run(ctx, sides.settings, sides.source, sides.pd, reconcile.Options{DryRun: dry, Now: e.data.clock.Now})
	if errors.Is(err, reconcile.ErrLocked) {
		resp.Diagnostics.AddWarning("Another Sync Run Is Running", err.Error()+". This run did nothing.")
	} else if err != nil {
		resp.Diagnostics.AddError("Sync Run Failed", err.Error())
		return
	}
	var done []reconcile.Op
	counts := map[string]int{}
	if dry {
		done = withoutBookkeeping(reconcile.InOrder(rep.Plan.Ops))
		counts["planned"] = len(done)
	} else {
		done = withoutBookkeeping(rep.Result.Done)
		counts["done"], counts["failed"], counts["skipped"] = len(done), len(rep.Result.Failed), len(rep.Result.Skipped)
	}
	var errs []string
	for _, f := range rep.Result.Failed {
		errs = append(errs, failureText(f))
		resp.Diagnostics.AddWarning("Sync Operation Failed", failureText(f))
	}
	ops, _, d1 := operationsValue(done, -1)
	cv, d2 := countsValue(counts)
	ev, d3 := types.ListValueFrom(ctx, types.StringType, nonNil(errs))
	resp.Diagnostics.Append(d1...)
	resp.Diagnostics.Append(d2...)
	resp.Diagnostics.Append(d3...)
	m.Counts, m.Operations, m.Errors = cv, ops, ev
	m.PendingOperations = types.Int64Value(int64(rep.Plan.Pending()))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
