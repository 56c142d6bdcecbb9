package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/reconcile"
)

var (
	_ action.Action                   = &SyncRunAction{}
	_ action.ActionWithConfigure      = &SyncRunAction{}
	_ action.ActionWithValidateConfig = &SyncRunAction{}
)

// SyncRunAction carries out one reconciliation pass when invoked
// (terraform apply -invoke=action.pdbridge_sync_run.<name>, Terraform 1.14+).
type SyncRunAction struct{ data *providerData }

// NewSyncRunAction returns the pdbridge_sync_run action.
func NewSyncRunAction() action.Action { return &SyncRunAction{} }

type syncRunActionModel struct {
	Settings types.Object `tfsdk:"settings"`
	DryRun   types.Bool   `tfsdk:"dry_run"`
}

func (a *SyncRunAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync_run"
}

func (a *SyncRunAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Carries out one reconciliation pass between an event console and PagerDuty: " +
			"`terraform apply -invoke=action.pdbridge_sync_run.<name>` from a scheduled CI job, or from an `action_trigger`. " +
			"It reports its progress as it goes (a line per batch of operations and a summary); every operation that fails is an error diagnostic, so the job fails and says why. " +
			"A run that finds another one holding the source's lock does nothing and says so in a warning.",
		Attributes: map[string]schema.Attribute{
			"settings": schema.SingleNestedAttribute{MarkdownDescription: settingsDoc, Required: true, Attributes: buildAttributes(syncSettingsSpec, actionBuilder)},
			"dry_run":  schema.BoolAttribute{MarkdownDescription: "Say what a pass would do, and change nothing. Default `false`.", Optional: true},
		},
	}
}

func (a *SyncRunAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (a *SyncRunAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m syncRunActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateSettingsObject(ctx, m.Settings, path.Root("settings"))...)
}

func (a *SyncRunAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m syncRunActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	sides, diags := openSync(ctx, a.data, m.Settings, path.Root("settings"))
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	dry := m.DryRun.ValueBool() // null means false
	progress := func(msg string) { resp.SendProgress(action.InvokeProgressEvent{Message: msg}) }
	rep, err := reconcile.Run(ctx, sides.settings, sides.source, sides.pd, reconcile.Options{DryRun: dry, Now: a.data.clock.Now, Progress: progress})
	switch {
	case errors.Is(err, reconcile.ErrLocked):
		resp.Diagnostics.AddWarning("Another Sync Run Is Running", err.Error()+". This run did nothing.")
		return
	case err != nil:
		resp.Diagnostics.AddError("Sync Run Failed", err.Error())
		return
	}
	if dry {
		pending := withoutBookkeeping(reconcile.InOrder(rep.Plan.Ops))
		for _, o := range pending {
			progress(fmt.Sprintf("would %s: %s", o.Kind, o.Reason))
		}
		progress(fmt.Sprintf("Dry run: %d operations pending.", len(pending)))
		return
	}
	for _, f := range rep.Result.Failed {
		resp.Diagnostics.AddError("Sync Operation Failed", failureText(f))
	}
	progress(summary(rep))
}
