package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ resource.Resource                   = &SyncSettingsResource{}
	_ resource.ResourceWithConfigure      = &SyncSettingsResource{}
	_ resource.ResourceWithValidateConfig = &SyncSettingsResource{}
	_ resource.ResourceWithModifyPlan     = &SyncSettingsResource{}
)

// SyncSettingsResource is the policy of one source's sync. It has no home
// but state: the reconciliation data source, the sync run ephemeral resource
// and the sync run action take it whole, by value.
type SyncSettingsResource struct{ data *providerData }

// NewSyncSettingsResource returns the pdbridge_sync_settings resource.
func NewSyncSettingsResource() resource.Resource { return &SyncSettingsResource{} }

func (r *SyncSettingsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync_settings"
}

func (r *SyncSettingsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := resourceAttributes(syncSettingsSpec)
	if id, ok := attrs["id"].(schema.StringAttribute); ok {
		id.PlanModifiers = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
		attrs["id"] = id
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The policy for keeping one event console's events and their PagerDuty incidents in agreement: which routing sends them, " +
			"which way statuses flow and who wins a conflict, how maintenance, disabled services and floods are handled, and every option of Zenoss's " +
			"IncidentManagement with its default. Every value is checked at plan time. It is stored in state only: " +
			"`data.pdbridge_reconciliation`, `ephemeral.pdbridge_sync_run` and `action.pdbridge_sync_run` take it whole (`settings = pdbridge_sync_settings.<name>`).",
		Attributes: attrs,
	}
}

func (r *SyncSettingsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *SyncSettingsResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m syncSettingsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, _, diags := parseSettings(ctx, m, path.Empty())
	resp.Diagnostics.Append(diags...)
}

// ModifyPlan checks what needs the provider's configuration: that source
// names one of its sources, of a kind the sync supports.
func (r *SyncSettingsResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var src types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("source"), &src)...)
	if src.IsUnknown() || src.IsNull() || r.data.sourcesUnknown {
		return
	}
	resp.Diagnostics.Append(checkSyncSource(r.data, src.ValueString(), path.Root("source"))...)
}

func (r *SyncSettingsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m syncSettingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.ID = types.StringValue(uuid.NewString())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read keeps the state: it is the settings' only home.
func (r *SyncSettingsResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *SyncSettingsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m syncSettingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *SyncSettingsResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// syncableKinds are the consoles the sync engine has adapters for.
var syncableKinds = []string{"zenoss", "icinga2", "alertmanager"}

// checkSyncSource checks that name is one of the provider's sources, of a
// kind the sync can work with.
func checkSyncSource(d *providerData, name string, at path.Path) (diags diag.Diagnostics) {
	src, ok := d.sources[name]
	if !ok {
		names := make([]string, 0, len(d.sources))
		for n := range d.sources {
			names = append(names, n)
		}
		sort.Strings(names)
		have := "the provider declares no sources"
		if len(names) > 0 {
			have = "the provider's sources are " + strings.Join(names, ", ")
		}
		diags.AddAttributeError(at, "Unknown Source", fmt.Sprintf("source %q is not a key of the provider's sources: %s.", name, have))
		return diags
	}
	if !slices.Contains(syncableKinds, src.Kind) {
		diags.AddAttributeError(at, "Source Kind Not Synchronised Yet",
			fmt.Sprintf("source %q is a %s console; pdbridge synchronises %s consoles so far.", name, src.Kind, strings.Join(syncableKinds, ", ")))
	}
	return diags
}
