package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
)

var (
	_ resource.Resource                   = &RoutingTransformResource{}
	_ resource.ResourceWithConfigure      = &RoutingTransformResource{}
	_ resource.ResourceWithImportState    = &RoutingTransformResource{}
	_ resource.ResourceWithValidateConfig = &RoutingTransformResource{}
)

// RoutingTransformResource is an ordered set of routing rules, evaluated
// locally and optionally published into an Event Orchestration's router.
type RoutingTransformResource struct {
	data *providerData
}

// NewRoutingTransformResource returns the pdbridge_routing_transform resource.
func NewRoutingTransformResource() resource.Resource { return &RoutingTransformResource{} }

type routingTransformModel struct {
	ID                   types.String       `tfsdk:"id"`
	EventOrchestrationID types.String       `tfsdk:"event_orchestration_id"`
	Priority             types.Int64        `tfsdk:"priority"`
	Rules                []routingRuleModel `tfsdk:"rule"`
	CatchAll             *catchAllModel     `tfsdk:"catch_all"`
}

var orchestrationIDRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

func (r *RoutingTransformResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_routing_transform"
}

func (r *RoutingTransformResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	optString := func(doc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: doc, Optional: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Routing for monitoring events, as ordered rules whose conditions are written in PagerDuty's condition language (PCL). " +
			"The first rule whose `condition` holds routes the event to its connector (and may override fields, suppress or drop it); otherwise the `catch_all` does. " +
			"pdbridge evaluates the transform locally, so a routing decision is known before anything is sent (see the `pdbridge_route` data source). " +
			"With `event_orchestration_id`, the rules are also published into that Global Event Orchestration's router, so events pushed straight to the orchestration's routing key are routed the same way; several transforms can share one router.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The transform's id, a UUID generated on create. Published rules carry it in their label.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"event_orchestration_id": schema.StringAttribute{
				MarkdownDescription: "ID of a Global Event Orchestration to publish the rules into. Its router then becomes the transform's remote home: a published rule edited, disabled, reordered or removed in PagerDuty shows as drift, and apply restores it. " +
					"Rules made by hand in that router are kept (after pdbridge's rules), and other transforms' rules are left alone. " +
					"Only routing can be published: a rule with field overrides, `suppress` or `drop` is refused at plan time.",
				Optional: true,
				Validators: []validator.String{stringvalidator.RegexMatches(orchestrationIDRE,
					"must be an Event Orchestration ID, a UUID such as b02e973d-9620-4e0a-9edc-00fedf7d4694")},
			},
			"priority": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Where this transform's rules go among those of other transforms published into the same router: lower first, ties broken by id (default %d, from %d to %d). Only used when publishing.", routing.DefaultPriority, routing.MinPriority, routing.MaxPriority),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(routing.DefaultPriority),
				Validators:          []validator.Int64{int64validator.Between(routing.MinPriority, routing.MaxPriority)},
			},
		},
		Blocks: map[string]schema.Block{
			"rule": schema.ListNestedBlock{
				MarkdownDescription: "A routing rule. Rules are tried in order; the first whose condition holds wins.",
				NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
					"label":     schema.StringAttribute{MarkdownDescription: ruleLabelDoc, Required: true},
					"condition": schema.StringAttribute{MarkdownDescription: ruleConditionDoc, Required: true},
					"route_to":  optString(ruleRouteToDoc),
					"severity":  optString("Overrides the severity: `critical`, `error`, `warning` or `info`, or a template giving one. " + templateDoc),
					"summary":   optString("Overrides the summary (at most 1,024 characters). " + templateDoc),
					"dedup_key": optString("Overrides the dedup key (at most 255 characters), e.g. `{{.Device}}|{{.Component}}|{{.Severity}}`. " + templateDoc),
					"custom_details": schema.MapAttribute{
						MarkdownDescription: "Custom details to set, each a template, merged over the event's own. " + templateDoc,
						Optional:            true,
						ElementType:         types.StringType,
					},
					"priority": optString("The PagerDuty incident priority (e.g. `P1`) the sync sets on the incident. Not allowed when publishing."),
					"suppress": schema.BoolAttribute{MarkdownDescription: "Send the event as a suppressed alert: no incident, no notification. Not allowed when publishing.", Optional: true},
					"drop":     schema.BoolAttribute{MarkdownDescription: "Do not send matching events at all. Instead of `route_to`; not allowed when publishing.", Optional: true},
				}},
			},
			"catch_all": schema.SingleNestedBlock{
				MarkdownDescription: "Where events that no rule matches go. Without it they are not routed (and, when published, fall through to the next transform's rules and finally the router's own catch-all, which pdbridge never changes). " +
					"When published, it becomes the last rule of this transform's rules, with no condition: it then shadows every rule after it (other transforms with a higher priority, and hand-made rules), and apply warns about that.",
				Attributes: map[string]schema.Attribute{
					"route_to": optString(catchAllRouteDoc),
					"drop":     schema.BoolAttribute{MarkdownDescription: "Do not send unmatched events. Instead of `route_to`; not allowed when publishing.", Optional: true},
				},
			},
		},
	}
}

func (r *RoutingTransformResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks conditions, templates, connector ids and what can
// be published, at plan time, against the attribute at fault.
func (r *RoutingTransformResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var rules types.List
	var catchAll types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("rule"), &rules)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("catch_all"), &catchAll)...)
	if resp.Diagnostics.HasError() || rules.IsUnknown() || catchAll.IsUnknown() {
		return // a dynamic block over values not known yet: checked once they are
	}
	var m routingTransformModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t, known := transformFromModel(m.Rules, m.CatchAll)
	addFieldErrors(&resp.Diagnostics, path.Empty(), routing.Check(t, !m.EventOrchestrationID.IsNull(), known))
}

func (r *RoutingTransformResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan routingTransformModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = types.StringValue(routing.NewTransformID())
	if orch := plan.EventOrchestrationID.ValueString(); orch != "" {
		c := pagerDutyClient(r.data, &resp.Diagnostics)
		if c == nil {
			return
		}
		t, _ := transformFromModel(plan.Rules, plan.CatchAll)
		if !r.publish(ctx, c, orch, plan.ID.ValueString(), plan.Priority.ValueInt64(), &t, &resp.Diagnostics) {
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// publish writes a transform's rules into an orchestration's router (t nil
// removes them), reporting PagerDuty's warnings and a shadowing catch-all.
// It returns false when it failed.
func (r *RoutingTransformResource) publish(ctx context.Context, c *pagerduty.Client, orchestrationID, transformID string, priority int64, t *routing.Transform, diags *diag.Diagnostics) bool {
	var own []pagerduty.RouterRule
	if t != nil {
		var err error
		if own, err = routing.Publish(*t, transformID, priority); err != nil {
			diags.AddError("Cannot Publish Routing Transform", err.Error()) // ValidateConfig refuses this at plan time
			return false
		}
	}
	stored, warnings, err := c.ModifyRouter(ctx, orchestrationID, func(router *pagerduty.Router) error {
		router.Rules = routing.Place(router.Rules, transformID, priority, own)
		return nil
	})
	switch {
	case pagerduty.IsNotFound(err) && t == nil:
		return true // the orchestration is gone, and our rules with it
	case pagerduty.IsNotFound(err):
		attrError(diags, path.Root("event_orchestration_id"), "Event Orchestration Not Found",
			fmt.Sprintf("No Global Event Orchestration has id %q.\n\nOriginal Error: %v", orchestrationID, err))
		return false
	case err != nil:
		diags.AddError("Publish Routing Transform Error", fmt.Sprintf("Unable to update the router of event orchestration %s.\n\nOriginal Error: %v", orchestrationID, err))
		return false
	}
	for _, w := range warnings {
		diags.AddWarning("PagerDuty Router Warning", fmt.Sprintf("PagerDuty accepted the router of event orchestration %s with a warning: %s.", orchestrationID, w))
	}
	if other, ok := routing.ShadowingCatchAll(stored.Rules, transformID); ok && t != nil {
		diags.AddAttributeWarning(path.Root("priority"), "Rules Shadowed By Another Catch-All",
			fmt.Sprintf("Routing transform %s publishes a catch_all into event orchestration %s ahead of this transform's rules, which therefore never match events sent to the orchestration. Give this transform a lower priority than that one, or remove that catch_all.", other, orchestrationID))
	}
	if t != nil && t.CatchAll != nil {
		if n := routing.RulesAfterCatchAll(stored.Rules, transformID); n > 0 {
			diags.AddAttributeWarning(path.Root("catch_all"), "Catch-All Shadows Later Rules",
				fmt.Sprintf("The catch_all is published as an unconditional rule, and %d enabled rule(s) of event orchestration %s come after it (other transforms with a higher priority, or rules made by hand): they can never match. Remove the catch_all to let unmatched events fall through, or give this transform a higher priority than the others.", n, orchestrationID))
		}
	}
	tflog.Info(ctx, "published routing transform", map[string]any{"event_orchestration_id": orchestrationID, "id": transformID, "rules": len(own)})
	return true
}

func (r *RoutingTransformResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state routingTransformModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	orch := state.EventOrchestrationID.ValueString()
	if resp.Diagnostics.HasError() || orch == "" {
		return // unpublished: the state is the transform's only home
	}
	c := pagerDutyClient(r.data, &resp.Diagnostics)
	if c == nil {
		return
	}
	router, err := c.GetRouter(ctx, orch)
	if pagerduty.IsNotFound(err) {
		tflog.Warn(ctx, "event orchestration no longer exists; removing the routing transform from state", map[string]any{"event_orchestration_id": orch, "id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Read Routing Transform Error", fmt.Sprintf("Unable to read the router of event orchestration %s.\n\nOriginal Error: %v", orch, err))
		return
	}
	prev, _ := transformFromModel(state.Rules, state.CatchAll)
	owned := routing.Owned(router.Rules, state.ID.ValueString())
	rebuilt := routing.Rebuild(owned, prev, connectorLookup(ctx, c))
	state.applyRebuilt(rebuilt)
	if len(owned) > 0 {
		state.Priority = types.Int64Value(rebuilt.Priority)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// connectorLookup maps a service the router routes to back to a connector
// when the state cannot (after an import): the service's only Events API v2
// integration. With none or several, the route stays a bare service id.
func connectorLookup(ctx context.Context, c *pagerduty.Client) func(string) string {
	cache := map[string]string{}
	return func(serviceID string) string {
		if v, ok := cache[serviceID]; ok {
			return v
		}
		ints, err := c.ServiceEventsV2Integrations(ctx, serviceID)
		if err != nil {
			tflog.Warn(ctx, "cannot list a routed service's integrations", map[string]any{"service_id": serviceID, "error": err.Error()})
		}
		v := ""
		if err == nil && len(ints) == 1 {
			v = serviceID + "/" + ints[0].ID
		}
		cache[serviceID] = v
		return v
	}
}

// applyRebuilt puts what the router holds into the model, keeping each
// rule's other attributes (null when published) as they were.
func (m *routingTransformModel) applyRebuilt(b routing.Rebuilt) {
	prev := m.Rules
	m.Rules = make([]routingRuleModel, 0, len(b.Transform.Rules))
	for i, rule := range b.Transform.Rules {
		rm := routingRuleModel{CustomDetails: types.MapNull(types.StringType)}
		if p := b.Prev[i]; p >= 0 {
			rm = prev[p]
		}
		rm.Label, rm.Condition, rm.RouteTo = types.StringValue(rule.Label), types.StringValue(rule.Condition), optionalString(rule.RouteTo)
		m.Rules = append(m.Rules, rm)
	}
	if ca := b.Transform.CatchAll; ca == nil {
		m.CatchAll = nil
	} else {
		if m.CatchAll == nil {
			m.CatchAll = &catchAllModel{Drop: types.BoolNull()}
		}
		m.CatchAll.RouteTo = types.StringValue(ca.RouteTo)
	}
}

func (r *RoutingTransformResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state routingTransformModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	id, from, to := state.ID.ValueString(), state.EventOrchestrationID.ValueString(), plan.EventOrchestrationID.ValueString()
	if from != "" || to != "" {
		c := pagerDutyClient(r.data, &resp.Diagnostics)
		if c == nil {
			return
		}
		if from != "" && from != to && !r.publish(ctx, c, from, id, state.Priority.ValueInt64(), nil, &resp.Diagnostics) {
			return
		}
		if to != "" {
			t, _ := transformFromModel(plan.Rules, plan.CatchAll)
			if !r.publish(ctx, c, to, id, plan.Priority.ValueInt64(), &t, &resp.Diagnostics) {
				return
			}
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *RoutingTransformResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state routingTransformModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	orch := state.EventOrchestrationID.ValueString()
	if resp.Diagnostics.HasError() || orch == "" {
		return
	}
	if c := pagerDutyClient(r.data, &resp.Diagnostics); c != nil {
		r.publish(ctx, c, orch, state.ID.ValueString(), state.Priority.ValueInt64(), nil, &resp.Diagnostics)
	}
}

// ImportState takes ORCHESTRATION_ID/TRANSFORM_ID: only a published
// transform has a home outside Terraform's state to import from.
func (r *RoutingTransformResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	orch, id, ok := strings.Cut(req.ID, "/")
	if !ok || !orchestrationIDRE.MatchString(orch) || !routing.ValidTransformID(id) {
		resp.Diagnostics.AddError("Unexpected Format of ID", fmt.Sprintf(
			"Cannot import %q: a routing transform is imported as EVENT_ORCHESTRATION_ID/TRANSFORM_ID, e.g. b02e973d-9620-4e0a-9edc-00fedf7d4694/3f0c5a1e-8b1d-4c55-9a43-0e6f2d1b7c88. "+
				"The transform id is in the label of each rule it published, \"[pdbridge:PRIORITY:TRANSFORM_ID] label\". A transform that is not published has no home outside Terraform's state and cannot be imported.", req.ID))
		return
	}
	c := pagerDutyClient(r.data, &resp.Diagnostics)
	if c == nil {
		return
	}
	router, err := c.GetRouter(ctx, orch)
	if err != nil {
		resp.Diagnostics.AddError("Import Routing Transform Error", fmt.Sprintf("Unable to read the router of event orchestration %s.\n\nOriginal Error: %v", orch, err))
		return
	}
	owned := routing.Owned(router.Rules, id)
	if len(owned) == 0 {
		resp.Diagnostics.AddError("Routing Transform Not Found", fmt.Sprintf("The router of event orchestration %s has no rule of transform %s (no label starts with \"[pdbridge:PRIORITY:%s]\").", orch, id, id))
		return
	}
	p, _, _, _ := routing.ParseOwnedLabel(owned[0].Label)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("event_orchestration_id"), orch)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("priority"), p)...)
}
