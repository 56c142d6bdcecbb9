package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
)

var (
	_ datasource.DataSource                     = &RouteDataSource{}
	_ datasource.DataSourceWithConfigValidators = &RouteDataSource{}
	_ datasource.DataSourceWithValidateConfig   = &RouteDataSource{}
)

// RouteDataSource evaluates a routing transform on a sample event, locally:
// it needs no PagerDuty access, so terraform test can assert routing.
type RouteDataSource struct{}

// NewRouteDataSource returns the pdbridge_route data source.
func NewRouteDataSource() datasource.DataSource { return &RouteDataSource{} }

type routeModel struct {
	Transform   *routeTransformModel `tfsdk:"transform"`
	Event       *routeEventModel     `tfsdk:"event"`
	EventJSON   types.String         `tfsdk:"event_json"`
	Rule        types.String         `tfsdk:"rule"`
	Routed      types.Bool           `tfsdk:"routed"`
	ConnectorID types.String         `tfsdk:"connector_id"`
	ServiceID   types.String         `tfsdk:"service_id"`
	Dropped     types.Bool           `tfsdk:"dropped"`
	Suppressed  types.Bool           `tfsdk:"suppressed"`
	Priority    types.String         `tfsdk:"priority"`
	DedupKey    types.String         `tfsdk:"dedup_key"`
	Payload     types.Object         `tfsdk:"payload"`
	PayloadJSON types.String         `tfsdk:"payload_json"`
}

// routeTransformModel is the part of a pdbridge_routing_transform that
// routing needs; Terraform drops the resource's other attributes when the
// resource object is assigned to this attribute.
type routeTransformModel struct {
	Rules    []routingRuleModel `tfsdk:"rule"`
	CatchAll *catchAllModel     `tfsdk:"catch_all"`
}

type routeEventModel struct {
	Summary       types.String `tfsdk:"summary"`
	Severity      types.String `tfsdk:"severity"`
	Source        types.String `tfsdk:"source"`
	Component     types.String `tfsdk:"component"`
	Group         types.String `tfsdk:"group"`
	Class         types.String `tfsdk:"class"`
	Timestamp     types.String `tfsdk:"timestamp"`
	DedupKey      types.String `tfsdk:"dedup_key"`
	CustomDetails types.Map    `tfsdk:"custom_details"`
}

var payloadAttrTypes = map[string]attr.Type{
	"summary": types.StringType, "severity": types.StringType, "source": types.StringType, "component": types.StringType,
	"group": types.StringType, "class": types.StringType, "timestamp": types.StringType, "custom_details": types.MapType{ElemType: types.StringType},
}

func (d *RouteDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_route"
}

func (d *RouteDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	optString := func(doc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: doc, Optional: true}
	}
	computedString := func(doc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: doc, Computed: true}
	}
	eventField := func(field string) schema.StringAttribute {
		return optString("The event's `" + field + "` (`event." + field + "` in conditions).")
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Evaluates a routing transform on a sample event, the way pdbridge routes the events it sends, and returns the rule that matched, the connector, and the final PagerDuty payload. " +
			"It runs locally, without PagerDuty, so that `terraform test` can assert routing. Give the transform as `transform = pdbridge_routing_transform.<name>` and the event as `event` attributes or as `event_json`.",
		Attributes: map[string]schema.Attribute{
			"transform": schema.SingleNestedAttribute{
				MarkdownDescription: "The transform to evaluate: usually `pdbridge_routing_transform.<name>` (its other attributes are ignored), or the same `rule` and `catch_all` written inline as an object.",
				Required:            true,
				Attributes: map[string]schema.Attribute{
					"rule": schema.ListNestedAttribute{
						MarkdownDescription: "The rules, in order, as in `pdbridge_routing_transform`.",
						Optional:            true,
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"label":          schema.StringAttribute{MarkdownDescription: ruleLabelDoc, Required: true},
							"condition":      schema.StringAttribute{MarkdownDescription: ruleConditionDoc, Required: true},
							"route_to":       optString(ruleRouteToDoc),
							"severity":       optString("Severity override. " + templateDoc),
							"summary":        optString("Summary override. " + templateDoc),
							"dedup_key":      optString("Dedup key override. " + templateDoc),
							"custom_details": schema.MapAttribute{MarkdownDescription: "Custom details to set. " + templateDoc, Optional: true, ElementType: types.StringType},
							"priority":       optString("Incident priority to set."),
							"suppress":       schema.BoolAttribute{MarkdownDescription: "Send as a suppressed alert.", Optional: true},
							"drop":           schema.BoolAttribute{MarkdownDescription: "Do not send.", Optional: true},
						}},
					},
					"catch_all": schema.SingleNestedAttribute{
						MarkdownDescription: "Where unmatched events go, as in `pdbridge_routing_transform`.",
						Optional:            true,
						Attributes: map[string]schema.Attribute{
							"route_to": optString(catchAllRouteDoc),
							"drop":     schema.BoolAttribute{MarkdownDescription: "Do not send unmatched events.", Optional: true},
						},
					},
				},
			},
			"event": schema.SingleNestedAttribute{
				MarkdownDescription: "The sample event, as pdbridge would send it. Set this or `event_json`.",
				Optional:            true,
				Attributes: map[string]schema.Attribute{
					"summary": eventField("summary"), "severity": eventField("severity"), "source": eventField("source"),
					"component": eventField("component"), "group": eventField("group"), "class": eventField("class"),
					"timestamp": eventField("timestamp"),
					"dedup_key": optString("The event's dedup key (`raw_event.dedup_key`)."),
					"custom_details": schema.MapAttribute{
						MarkdownDescription: "The event's custom details (`event.custom_details.<key>`), where sources put their own fields, e.g. Zenoss's `device_class`. Strings only; use `event_json` for numbers or nested values.",
						Optional:            true,
						ElementType:         types.StringType,
					},
				},
			},
			"event_json": optString("The sample event as JSON: an Events API v2 `payload` object (`{\"summary\": …, \"source\": …, \"custom_details\": {…}}`) or a whole event body (`{\"dedup_key\": …, \"payload\": {…}}`). Set this or `event`."),
			"rule":       computedString("Label of the rule that matched, `catch_all`, or null when nothing matched and there is no catch-all."),
			"routed":     schema.BoolAttribute{MarkdownDescription: "Whether the event is sent to a connector.", Computed: true},
			"connector_id": computedString(
				"The connector (`SERVICE_ID/INTEGRATION_ID`) the event is sent to; null when it is dropped or not routed."),
			"service_id": computedString("The PagerDuty service of that connector."),
			"dropped":    schema.BoolAttribute{MarkdownDescription: "Whether the event is dropped (not sent).", Computed: true},
			"suppressed": schema.BoolAttribute{MarkdownDescription: "Whether the event is sent as a suppressed alert.", Computed: true},
			"priority":   computedString("The incident priority the matched rule sets, if any."),
			"dedup_key":  computedString("The final dedup key, if any."),
			"payload": schema.SingleNestedAttribute{
				MarkdownDescription: "The final Events API v2 payload, after the matched rule's overrides. Custom details that are not strings are given as JSON.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"summary": computedString("Summary."), "severity": computedString("Severity."), "source": computedString("Source."),
					"component": computedString("Component."), "group": computedString("Group."), "class": computedString("Class."),
					"timestamp":      computedString("Timestamp."),
					"custom_details": schema.MapAttribute{MarkdownDescription: "Custom details.", Computed: true, ElementType: types.StringType},
				},
			},
			"payload_json": computedString("The final Events API v2 payload as JSON, exactly as it would be sent (without the routing key)."),
		},
	}
}

func (d *RouteDataSource) ConfigValidators(_ context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("event"), path.MatchRoot("event_json"))}
}

// ValidateConfig checks an inline transform at plan time; a transform taken
// from a resource is checked by the resource.
func (d *RouteDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var tr types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("transform"), &tr)...)
	if resp.Diagnostics.HasError() || tr.IsNull() || tr.IsUnknown() {
		return
	}
	var rules types.List
	var catchAll types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("transform").AtName("rule"), &rules)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("transform").AtName("catch_all"), &catchAll)...)
	if resp.Diagnostics.HasError() || rules.IsUnknown() || catchAll.IsUnknown() {
		return
	}
	var m routeTransformModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("transform"), &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t, known := transformFromModel(m.Rules, m.CatchAll)
	addFieldErrors(&resp.Diagnostics, path.Root("transform"), routing.Check(t, false, known))
}

func (d *RouteDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m routeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t, _ := transformFromModel(m.Transform.Rules, m.Transform.CatchAll)
	if errs := routing.Check(t, false, routing.AllKnown); len(errs) > 0 {
		addFieldErrors(&resp.Diagnostics, path.Root("transform"), errs)
		return
	}
	compiled, err := routing.Compile(t, false)
	if err != nil {
		attrError(&resp.Diagnostics, path.Root("transform"), "Invalid Routing Transform", err.Error())
		return
	}
	ev, diags := m.event()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	dec, err := compiled.Route(ev)
	if err != nil {
		at := path.Root("transform")
		var re *routing.RenderError
		if errors.As(err, &re) {
			at = at.AtName("rule").AtListIndex(re.Rule).AtName(re.Field)
			if re.Key != "" {
				at = at.AtMapKey(re.Key)
			}
		}
		attrError(&resp.Diagnostics, at, "Cannot Route The Event", fmt.Sprintf("The matching rule cannot produce an event PagerDuty accepts: %v.", err))
		return
	}
	resp.Diagnostics.Append(m.setDecision(dec)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

func (m *routeModel) event() (routing.Event, diag.Diagnostics) {
	var diags diag.Diagnostics
	if !m.EventJSON.IsNull() {
		ev, err := routing.EventFromJSON([]byte(m.EventJSON.ValueString()))
		if err != nil {
			attrError(&diags, path.Root("event_json"), "Invalid Event JSON", fmt.Sprintf("Give an Events API v2 payload or event body as a JSON object: %v.", err))
		}
		return ev, diags
	}
	e := m.Event
	ev := routing.Event{
		Summary: e.Summary.ValueString(), Severity: e.Severity.ValueString(), Source: e.Source.ValueString(),
		Component: e.Component.ValueString(), Group: e.Group.ValueString(), Class: e.Class.ValueString(),
		Timestamp: e.Timestamp.ValueString(), DedupKey: e.DedupKey.ValueString(),
	}
	if !e.CustomDetails.IsNull() {
		ev.CustomDetails = map[string]any{}
		for k, v := range e.CustomDetails.Elements() {
			if s, ok := v.(types.String); ok && !s.IsNull() {
				ev.CustomDetails[k] = s.ValueString()
			}
		}
	}
	return ev, diags
}

func (m *routeModel) setDecision(dec routing.Decision) diag.Diagnostics {
	var diags diag.Diagnostics
	m.Rule = optionalString(dec.Label)
	m.Routed = types.BoolValue(dec.Routed())
	m.ConnectorID, m.ServiceID = optionalString(dec.ConnectorID), optionalString(dec.ServiceID)
	m.Dropped, m.Suppressed = types.BoolValue(dec.Drop), types.BoolValue(dec.Suppress)
	m.Priority, m.DedupKey = optionalString(dec.Priority), optionalString(dec.Event.DedupKey)

	payload := dec.Event.Payload()
	js, err := json.Marshal(payload)
	if err != nil {
		diags.AddError("Cannot Encode Payload", err.Error())
		return diags
	}
	m.PayloadJSON = types.StringValue(string(js))
	details := types.MapNull(types.StringType)
	if dec.Event.CustomDetails != nil {
		elems := map[string]attr.Value{}
		for k, v := range dec.Event.CustomDetails {
			if s, ok := v.(string); ok {
				elems[k] = types.StringValue(s)
			} else {
				b, _ := json.Marshal(v)
				elems[k] = types.StringValue(string(b))
			}
		}
		var d diag.Diagnostics
		details, d = types.MapValue(types.StringType, elems)
		diags.Append(d...)
	}
	ev := dec.Event
	obj, d := types.ObjectValue(payloadAttrTypes, map[string]attr.Value{
		"summary": types.StringValue(ev.Summary), "severity": types.StringValue(ev.Severity), "source": types.StringValue(ev.Source),
		"component": optionalString(ev.Component), "group": optionalString(ev.Group), "class": optionalString(ev.Class),
		"timestamp": optionalString(ev.Timestamp), "custom_details": details,
	})
	diags.Append(d...)
	m.Payload = obj
	return diags
}
