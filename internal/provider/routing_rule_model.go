package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
)

// routingRuleModel and catchAllModel are routing rules as Terraform holds
// them, shared by pdbridge_routing_transform (rule and catch_all blocks) and
// pdbridge_route (whose transform attribute takes the resource's object).
type routingRuleModel struct {
	Label         types.String `tfsdk:"label"`
	Condition     types.String `tfsdk:"condition"`
	RouteTo       types.String `tfsdk:"route_to"`
	Severity      types.String `tfsdk:"severity"`
	Summary       types.String `tfsdk:"summary"`
	DedupKey      types.String `tfsdk:"dedup_key"`
	CustomDetails types.Map    `tfsdk:"custom_details"`
	Priority      types.String `tfsdk:"priority"`
	Suppress      types.Bool   `tfsdk:"suppress"`
	Drop          types.Bool   `tfsdk:"drop"`
}

type catchAllModel struct {
	RouteTo types.String `tfsdk:"route_to"`
	Drop    types.Bool   `tfsdk:"drop"`
}

// Descriptions shared with pdbridge_route.
const (
	ruleLabelDoc     = "Names the rule: in routing decisions (`pdbridge_route.rule`) and, when published, in the router rule's label. Unique within the transform; `catch_all` is reserved."
	ruleConditionDoc = "One [PCL](https://developer.pagerduty.com/docs/ZG9jOjM1NTE0MDc0-pcl-overview) expression, evaluated on the event as it would be sent (`event.summary`, `event.source`, `event.severity`, `event.component`, `event.group`, `event.class`, `event.custom_details.<key>`, `raw_event.<path>`); the rule matches when it holds. Source fields (for Zenoss, `device_class`, `prod_state`, …) are under `event.custom_details`. Checked at plan time; published verbatim."
	ruleRouteToDoc   = "The `pdbridge_connector` id (`SERVICE_ID/INTEGRATION_ID`) matching events go to. Set this or `drop`."
	templateDoc      = "A Go text/template over the source event, e.g. `{{.Device}}` or `{{.Details.device_class}}` (see *Field overrides*), checked at plan time. Not allowed when publishing."
	catchAllRouteDoc = "The `pdbridge_connector` id events no rule matches go to. Set this or `drop`."
)

// transformFromModel converts rules as Terraform holds them; known says
// which of their values are known yet.
func transformFromModel(rules []routingRuleModel, catchAll *catchAllModel) (routing.Transform, routing.Known) {
	t := routing.Transform{}
	unknown := map[int]map[string]bool{}
	mark := func(i int, field string, u bool) {
		if u {
			if unknown[i] == nil {
				unknown[i] = map[string]bool{}
			}
			unknown[i][field] = true
		}
	}
	for i, m := range rules {
		rule := routing.Rule{
			Label: m.Label.ValueString(), Condition: m.Condition.ValueString(), RouteTo: m.RouteTo.ValueString(),
			Severity: m.Severity.ValueString(), Summary: m.Summary.ValueString(), DedupKey: m.DedupKey.ValueString(),
			Priority: m.Priority.ValueString(), Suppress: m.Suppress.ValueBool(), Drop: m.Drop.ValueBool(),
		}
		for field, u := range map[string]bool{"label": m.Label.IsUnknown(), "condition": m.Condition.IsUnknown(), "route_to": m.RouteTo.IsUnknown(),
			"severity": m.Severity.IsUnknown(), "summary": m.Summary.IsUnknown(), "dedup_key": m.DedupKey.IsUnknown(),
			"custom_details": m.CustomDetails.IsUnknown(), "priority": m.Priority.IsUnknown(), "suppress": m.Suppress.IsUnknown(), "drop": m.Drop.IsUnknown()} {
			mark(i, field, u)
		}
		if !m.CustomDetails.IsNull() && !m.CustomDetails.IsUnknown() {
			rule.CustomDetails = map[string]string{}
			for k, v := range m.CustomDetails.Elements() {
				if s, ok := v.(types.String); ok && !s.IsUnknown() && !s.IsNull() {
					rule.CustomDetails[k] = s.ValueString() // unknown entries are checked once known
				}
			}
		}
		t.Rules = append(t.Rules, rule)
	}
	if catchAll != nil {
		t.CatchAll = &routing.CatchAll{RouteTo: catchAll.RouteTo.ValueString(), Drop: catchAll.Drop.ValueBool()}
		mark(routing.CatchAllIndex, "route_to", catchAll.RouteTo.IsUnknown())
		mark(routing.CatchAllIndex, "drop", catchAll.Drop.IsUnknown())
	}
	return t, func(i int, field string) bool { return !unknown[i][field] }
}

// addFieldErrors reports routing's findings against their attributes, under
// root (the transform's own path in the configuration).
func addFieldErrors(diags *diag.Diagnostics, root path.Path, errs []routing.FieldError) {
	for _, e := range errs {
		var at path.Path
		switch e.Rule {
		case routing.TransformWide:
			at = root.AtName("rule")
		case routing.CatchAllIndex:
			at = root.AtName("catch_all")
		default:
			at = root.AtName("rule").AtListIndex(e.Rule)
		}
		if e.Field != "" {
			at = at.AtName(e.Field)
		}
		if e.Key != "" {
			at = at.AtMapKey(e.Key)
		}
		attrError(diags, at, e.Summary, e.Detail) // names the attribute: Terraform shows only the line
	}
}
