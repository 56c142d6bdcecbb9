package provider

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/reconcile"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/connect"
)

// What the reconciliation data source, the sync run ephemeral resource and
// the sync run action share: reading the settings object they are given,
// opening both sides, and rendering what the engine planned or did.

const settingsDoc = "The sync settings: `pdbridge_sync_settings.<name>`, passed whole. Terraform passes a resource's object by value, so every attribute of the settings is here too; written inline, omitted attributes take the resource's defaults."

// syncSides is a sync ready to run.
type syncSides struct {
	settings reconcile.Settings
	source   source.Source
	pd       *pagerduty.Client
}

// openSync reads the settings object and opens both sides; every problem
// is a diagnostic, on the attribute when it is one.
func openSync(ctx context.Context, d *providerData, obj types.Object, root path.Path) (*syncSides, diag.Diagnostics) {
	var diags diag.Diagnostics
	if d == nil {
		diags.AddError("Provider Not Configured", "The pdbridge provider was not configured before the sync ran. Please report this issue to the provider developers.")
		return nil, diags
	}
	if obj.IsNull() || obj.IsUnknown() {
		diags.AddAttributeError(root, "Settings Not Known", "The sync settings are not known yet: they are known once pdbridge_sync_settings is applied.")
		return nil, diags
	}
	var m syncSettingsModel
	diags.Append(obj.As(ctx, &m, basetypes.ObjectAsOptions{UnhandledNullAsEmpty: true, UnhandledUnknownAsEmpty: true})...)
	if diags.HasError() {
		return nil, diags
	}
	s, known, ds := parseSettings(ctx, m, root)
	diags.Append(ds...)
	if diags.HasError() {
		return nil, diags
	}
	if !known || s.Routing == nil {
		diags.AddAttributeError(root, "Settings Not Known", "Some sync settings (or the routing transform's rules) are not known yet: they are known once applied.")
		return nil, diags
	}
	diags.Append(checkSyncSource(d, s.Source, root.AtName("source"))...)
	pd := pagerDutyClient(d, &diags)
	if diags.HasError() {
		return nil, diags
	}
	src, err := connect.Open(d.sources[s.Source], d.retry)
	if err != nil {
		diags.AddAttributeError(root.AtName("source"), "Cannot Open Source", err.Error())
		return nil, diags
	}
	return &syncSides{settings: s, source: src, pd: pd}, diags
}

var operationAttrTypes = map[string]attr.Type{
	"kind": types.StringType, "event_id": types.StringType, "incident_id": types.StringType, "reason": types.StringType,
}

// operationsValue renders operations as a list of objects, at most limit of
// them (negative: all); truncated says whether some were left out.
func operationsValue(ops []reconcile.Op, limit int) (types.List, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	elemType := types.ObjectType{AttrTypes: operationAttrTypes}
	var elems []attr.Value
	for _, o := range ops {
		if limit >= 0 && len(elems) >= limit {
			break
		}
		v, ds := types.ObjectValue(operationAttrTypes, map[string]attr.Value{
			"kind": types.StringValue(string(o.Kind)), "event_id": types.StringValue(o.EventID),
			"incident_id": types.StringValue(o.IncidentID), "reason": types.StringValue(o.Reason)})
		diags.Append(ds...)
		elems = append(elems, v)
	}
	list, ds := types.ListValue(elemType, elems)
	diags.Append(ds...)
	return list, limit >= 0 && len(ops) > limit, diags
}

// countsValue renders counts as a map of numbers.
func countsValue[K ~string](counts map[K]int) (types.Map, diag.Diagnostics) {
	elems := map[string]attr.Value{}
	for k, n := range counts {
		elems[string(k)] = types.Int64Value(int64(n))
	}
	return types.MapValue(types.Int64Type, elems)
}

// withoutBookkeeping leaves out the operations that change nothing anyone
// sees (watermarks), in the order the executor applies the rest.
func withoutBookkeeping(ops []reconcile.Op) []reconcile.Op {
	var out []reconcile.Op
	for _, o := range ops {
		if !o.Bookkeeping() {
			out = append(out, o)
		}
	}
	return out
}

// pendingCounts counts the operations that change something, by kind.
func pendingCounts(p reconcile.Plan) map[reconcile.Kind]int {
	c := map[reconcile.Kind]int{}
	for _, o := range withoutBookkeeping(p.Ops) {
		c[o.Kind]++
	}
	return c
}

// failureText says, for a diagnostic, which operation failed and why.
func failureText(f reconcile.Failure) string {
	return fmt.Sprintf("%s (%s): %v", f.Op.Kind, f.Op.Reason, f.Err)
}

// summary is one line of what a run did.
func summary(rep reconcile.Report) string {
	counts := rep.Result.Counts()
	var done []string
	for k, n := range counts["done"] {
		if k != reconcile.Watermark {
			done = append(done, fmt.Sprintf("%d %s", n, k))
		}
	}
	sort.Strings(done)
	text := "Sync complete: nothing to do."
	if len(done) > 0 {
		text = fmt.Sprintf("Sync complete in %d pass(es): %v", rep.Passes, done)
	}
	if n := len(rep.Result.Failed); n > 0 {
		text += fmt.Sprintf("; %d operations failed", n)
	}
	return text
}
