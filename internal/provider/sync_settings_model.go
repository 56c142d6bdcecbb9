package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/reconcile"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
)

// syncRoutingSpec is the routing a sync sends by: a pdbridge_routing_transform
// passed whole (its other attributes are dropped), or rules written inline.
var syncRoutingSpec = attrSpec{kind: specObject, required: true,
	doc: "The routing transform events are sent by: `pdbridge_routing_transform.<name>`, passed whole (Terraform drops the attributes this one does not declare).",
	attrs: map[string]attrSpec{
		"rule": {kind: specList, doc: "The rules, in order, as in `pdbridge_routing_transform`.", attrs: map[string]attrSpec{
			"label": {kind: specString, required: true, doc: ruleLabelDoc}, "condition": {kind: specString, required: true, doc: ruleConditionDoc},
			"route_to": {kind: specString, doc: ruleRouteToDoc}, "severity": {kind: specString, doc: "Severity override. " + templateDoc},
			"summary": {kind: specString, doc: "Summary override. " + templateDoc}, "dedup_key": {kind: specString, doc: "Dedup key override. " + templateDoc},
			"custom_details": {kind: specStringMap, doc: "Custom details to set. " + templateDoc}, "priority": {kind: specString, doc: "Incident priority (not applied by the sync yet)."},
			"suppress": {kind: specBool, doc: "Open no incident for matching events (one log line on the event says so)."},
			"drop":     {kind: specBool, doc: "Leave matching events alone."},
		}},
		"catch_all": {kind: specObject, doc: "Where events no rule matches go, as in `pdbridge_routing_transform`.", attrs: map[string]attrSpec{
			"route_to": {kind: specString, doc: catchAllRouteDoc}, "drop": {kind: specBool, doc: "Leave unmatched events alone."},
		}},
	}}

// syncSettingsSpec is pdbridge_sync_settings, and the settings object the
// reconciliation data source, the sync run ephemeral resource and the sync
// run action take.
var syncSettingsSpec = map[string]attrSpec{
	"id":      {kind: specString, computed: true, doc: "A random id; the settings live in state only."},
	"source":  {kind: specString, required: true, doc: "The key in the provider's `sources` of the event console to synchronise."},
	"routing": syncRoutingSpec,
	"direction": {kind: specString, defStr: strDefault(string(reconcile.Both)),
		doc: "Which way status, logs and notes flow: `both`; `to_pagerduty` (events drive incidents; event statuses are never changed and the incident log is not copied); `from_pagerduty` (incidents drive events; incidents are created but never changed). Default `both`."},
	"conflict": {kind: specString, defStr: strDefault(string(reconcile.MostRecent)),
		doc: "Whose status wins when both sides disagree: `most_recent` (the side that changed since the last pass; when both did, the later status change, beyond `clock_skew_tolerance`), `source_wins`, `pagerduty_wins`. Default `most_recent`."},
	"tie_winner": {kind: specString, defStr: strDefault(string(reconcile.SourceSide)),
		doc: "Under `most_recent`, who wins when both sides changed within `clock_skew_tolerance` of each other: `source` or `pagerduty`. Default `source` (as the Zenoss PagerDuty ZenPack did)."},
	"clock_skew_tolerance": {kind: specString, defStr: strDefault("30s"), doc: "How far apart the two systems' clocks may be, e.g. `30s`. Default `30s`."},
	"lookback": {kind: specString, defStr: strDefault("48h"),
		doc: "How far back a pass looks for closed events and changes, e.g. `48h`. It must exceed the longest gap between two passes (CI down for a day loses nothing with the default). Default `48h`."},
	"max_events_per_pass": {kind: specInt, defInt: intDefault(reconcile.DefaultMaxEventsPerPass),
		doc: "The most events a pass sends to PagerDuty as new incidents; the rest wait for the next pass. Default 500."},
	"note_scan_per_pass": {kind: specInt, defInt: intDefault(reconcile.DefaultNoteScanPerPass),
		doc: "How many quiet pairs a pass reads whole to find notes added to their events (a note changes nothing else a console's listing shows, so every pair is read within pairs / this many minutes of passes). Default 100; 0 turns the scan off."},
	"min_severity": {kind: specString, defStr: strDefault("warning"),
		doc: "The least severe events that open incidents: `clear`, `debug`, `info`, `warning`, `error` or `critical`. Default `warning`."},
	"send_on_initial_occurrence_only": {kind: specBool, defBool: boolDefault(true),
		doc: "Send an event once (IncidentManagement's *Send only on Initial Occurrence*); when off, every new occurrence of a paired event is sent again and PagerDuty de-duplicates it into its alert. Default `true`."},
	"dedup_key_template": {kind: specString, defStr: strDefault(reconcile.DefaultDedupKey),
		doc: "The Events API dedup key of each event, a Go text/template over `.Source` (the sources key), `.ID`, `.DedupID`, `.Device`, `.Component`, `.EventClass`, `.Severity`, `.Summary` and `.Details.<name>`. Default `{{.Source}}/{{.ID}}`: the event's id, namespaced by source."},
	"on_service_maintenance": {kind: specString, defStr: strDefault(reconcile.PolicyAcknowledgeEvent),
		doc: "When the event's service is in a maintenance window (or the console holds the event in maintenance): `acknowledge_event` (no incident; the event is acknowledged, with a log line naming the window) or `skip` (leave the event alone; it is sent once the window ends). Default `acknowledge_event`."},
	"on_service_disabled": {kind: specString, defStr: strDefault(reconcile.PolicyAnnotateEvent),
		doc: "When the event's service is disabled: `annotate_event` (no incident; the event stays open with one log line, and is sent once the service is enabled) or `skip` (the same without the line). Default `annotate_event`."},
	"acknowledge_event_on_incident_creation": {kind: specBool, defBool: boolDefault(false),
		doc: "Acknowledge the event once its incident exists (IncidentManagement's *Acknowledge event on incident creation*). Default `false`."},
	"acknowledge_event_on_incident_assignment": {kind: specBool, defBool: boolDefault(false),
		doc: "Acknowledge the event when a person assigns its incident (IncidentManagement's *Acknowledge event on incident assignment*). Default `false`."},
	"close_event_on_incident_resolution": {kind: specBool, defBool: boolDefault(false),
		doc: "Close the event when its incident is resolved in PagerDuty (IncidentManagement's *Close event on incident resolution*); when off, the event stays open with one log line. Default `false`."},
	"resolve_incident_on_event_close": {kind: specBool, defBool: boolDefault(true),
		doc: "Resolve the incident when its event closes (IncidentManagement's *Close incident when the event is closed*); an incident with several alerts resolves with its last. Default `true`."},
	"reopen_incident_on_event_reopen": {kind: specBool, defBool: boolDefault(true),
		doc: "Re-open a resolved incident when its event is re-opened (IncidentManagement's *Re-open incident when the event is re-opened*). Default `true`."},
	"reopen_incident_on_event_recurrence": {kind: specBool, defBool: boolDefault(false),
		doc: "When a closed problem recurs as a new event (Zenoss gives a recurrence after close a new id), re-open its resolved incident instead of opening a new one (IncidentManagement's *Re-open incident when the event re-occurs*). Default `false`."},
	"check_incident_open_before_associating": {kind: specBool, defBool: boolDefault(true),
		doc: "Associate a new event with an existing incident of the same dedup signature only while that incident is open (IncidentManagement's *Check if incident already closed before assigning incidents to events*). Default `true`."},
	"copy_event_notes_to_incident": {kind: specBool, defBool: boolDefault(true),
		doc: "Copy notes people add to events to their incidents, each once (IncidentManagement's *Add notes added to the event to the incident*). Default `true`."},
	"copy_incident_log_to_event": {kind: specBool, defBool: boolDefault(true),
		doc: "Copy the incident's log (acknowledged, resolved, assigned, escalated, notified, notes) to the event's log, each entry once, as the Zenoss PagerDuty ZenPack did. Default `true`."},
	"suppression": {kind: specObject,
		doc: "Flood control (IncidentManagement's notification suppression): at most `max_incidents` incidents for events of one `dedup_format` within `window`; the rest get one log line and no incident. Events without a device are exempt. Off when unset.",
		attrs: map[string]attrSpec{
			"max_incidents": {kind: specInt, required: true, doc: "The most incidents one dedup format may open within the window."},
			"window":        {kind: specString, required: true, doc: "The window, e.g. `5m`."},
			"dedup_format": {kind: specString, defStr: strDefault(reconcile.DefaultFloodFormat),
				doc: "What makes events the same flood, a template as `dedup_key_template`. Default `{{.Device}}|{{.Component}}|{{.Severity}}`."},
		}},
	"run_timeout": {kind: specString, defStr: strDefault("10m"),
		doc: "The longest a sync run may take, and so how long its lock holds. Default `10m`."},
}

// syncSettingsModel is the settings as Terraform holds them. The nested
// objects stay framework values: at plan time they may be unknown.
type syncSettingsModel struct {
	ID                                   types.String `tfsdk:"id"`
	Source                               types.String `tfsdk:"source"`
	Routing                              types.Object `tfsdk:"routing"`
	Direction                            types.String `tfsdk:"direction"`
	Conflict                             types.String `tfsdk:"conflict"`
	TieWinner                            types.String `tfsdk:"tie_winner"`
	ClockSkewTolerance                   types.String `tfsdk:"clock_skew_tolerance"`
	Lookback                             types.String `tfsdk:"lookback"`
	MaxEventsPerPass                     types.Int64  `tfsdk:"max_events_per_pass"`
	NoteScanPerPass                      types.Int64  `tfsdk:"note_scan_per_pass"`
	MinSeverity                          types.String `tfsdk:"min_severity"`
	SendOnInitialOccurrenceOnly          types.Bool   `tfsdk:"send_on_initial_occurrence_only"`
	DedupKeyTemplate                     types.String `tfsdk:"dedup_key_template"`
	OnServiceMaintenance                 types.String `tfsdk:"on_service_maintenance"`
	OnServiceDisabled                    types.String `tfsdk:"on_service_disabled"`
	AcknowledgeEventOnIncidentCreation   types.Bool   `tfsdk:"acknowledge_event_on_incident_creation"`
	AcknowledgeEventOnIncidentAssignment types.Bool   `tfsdk:"acknowledge_event_on_incident_assignment"`
	CloseEventOnIncidentResolution       types.Bool   `tfsdk:"close_event_on_incident_resolution"`
	ResolveIncidentOnEventClose          types.Bool   `tfsdk:"resolve_incident_on_event_close"`
	ReopenIncidentOnEventReopen          types.Bool   `tfsdk:"reopen_incident_on_event_reopen"`
	ReopenIncidentOnEventRecurrence      types.Bool   `tfsdk:"reopen_incident_on_event_recurrence"`
	CheckIncidentOpenBeforeAssociating   types.Bool   `tfsdk:"check_incident_open_before_associating"`
	CopyEventNotesToIncident             types.Bool   `tfsdk:"copy_event_notes_to_incident"`
	CopyIncidentLogToEvent               types.Bool   `tfsdk:"copy_incident_log_to_event"`
	Suppression                          types.Object `tfsdk:"suppression"`
	RunTimeout                           types.String `tfsdk:"run_timeout"`
}

type suppressionModel struct {
	MaxIncidents types.Int64  `tfsdk:"max_incidents"`
	Window       types.String `tfsdk:"window"`
	DedupFormat  types.String `tfsdk:"dedup_format"`
}

// settingsInput reads the settings for the engine. Values not known yet are
// left out of checks; known reports whether everything was known. Problems
// with the nested objects themselves are in diags, under root.
func (m syncSettingsModel) settingsInput(ctx context.Context, root path.Path) (in reconcile.Input, known bool, diags diag.Diagnostics) {
	known = true
	str := func(v types.String) string {
		if v.IsUnknown() {
			known = false
		}
		return v.ValueString()
	}
	flag := func(v types.Bool) *bool {
		if v.IsUnknown() {
			known = false
		}
		if v.IsNull() || v.IsUnknown() {
			return nil
		}
		b := v.ValueBool()
		return &b
	}
	num := func(v types.Int64) *int64 {
		if v.IsUnknown() {
			known = false
		}
		if v.IsNull() || v.IsUnknown() {
			return nil
		}
		n := v.ValueInt64()
		return &n
	}
	in = reconcile.Input{Source: str(m.Source), Direction: str(m.Direction), Conflict: str(m.Conflict), TieWinner: str(m.TieWinner),
		ClockSkewTolerance: str(m.ClockSkewTolerance), Lookback: str(m.Lookback), MaxEventsPerPass: num(m.MaxEventsPerPass),
		NoteScanPerPass: num(m.NoteScanPerPass), MinSeverity: str(m.MinSeverity), InitialOccurrenceOnly: flag(m.SendOnInitialOccurrenceOnly),
		DedupKeyTemplate: str(m.DedupKeyTemplate), OnServiceMaintenance: str(m.OnServiceMaintenance), OnServiceDisabled: str(m.OnServiceDisabled),
		AcknowledgeEventOnIncidentCreation: flag(m.AcknowledgeEventOnIncidentCreation), AcknowledgeEventOnIncidentAssignment: flag(m.AcknowledgeEventOnIncidentAssignment),
		CloseEventOnIncidentResolution: flag(m.CloseEventOnIncidentResolution), ResolveIncidentOnEventClose: flag(m.ResolveIncidentOnEventClose),
		ReopenIncidentOnEventReopen: flag(m.ReopenIncidentOnEventReopen), ReopenIncidentOnEventRecurrence: flag(m.ReopenIncidentOnEventRecurrence),
		CheckIncidentOpenBeforeAssociating: flag(m.CheckIncidentOpenBeforeAssociating), CopyEventNotesToIncident: flag(m.CopyEventNotesToIncident),
		CopyIncidentLogToEvent: flag(m.CopyIncidentLogToEvent), RunTimeout: str(m.RunTimeout)}
	if m.Source.IsNull() {
		in.Source = ""
	}
	switch {
	case m.Suppression.IsUnknown():
		known = false
	case !m.Suppression.IsNull():
		var s suppressionModel
		diags.Append(m.Suppression.As(ctx, &s, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
		in.Suppression = &reconcile.SuppressionInput{MaxIncidents: num(s.MaxIncidents), Window: str(s.Window), DedupFormat: str(s.DedupFormat)}
	}
	switch {
	case m.Routing.IsUnknown():
		known = false
	case !m.Routing.IsNull():
		var r routeTransformModel
		diags.Append(m.Routing.As(ctx, &r, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
		for _, v := range m.Routing.Attributes() {
			if v.IsUnknown() {
				known = false // a whole rule list or catch-all not known yet
			}
		}
		t, routingKnown := transformFromModel(r.Rules, r.CatchAll)
		for _, fe := range routing.Check(t, false, routingKnown) {
			diags.AddAttributeError(routingPath(root, fe), fe.Summary, fe.Detail)
		}
		if !known || !allKnown(routingKnown, t) {
			known = false
		} else if !diags.HasError() {
			in.Routing = &t
		}
	}
	return in, known, diags
}

// allKnown reports whether every field of t is known.
func allKnown(k routing.Known, t routing.Transform) bool {
	fields := []string{"label", "condition", "route_to", "severity", "summary", "dedup_key", "custom_details", "priority", "suppress", "drop"}
	for i := range t.Rules {
		for _, f := range fields {
			if !k(i, f) {
				return false
			}
		}
	}
	return t.CatchAll == nil || (k(routing.CatchAllIndex, "route_to") && k(routing.CatchAllIndex, "drop"))
}

func routingPath(root path.Path, fe routing.FieldError) path.Path {
	p := root.AtName("routing")
	switch fe.Rule {
	case routing.CatchAllIndex:
		p = p.AtName("catch_all")
	case routing.TransformWide:
		return p
	default:
		p = p.AtName("rule").AtListIndex(fe.Rule)
	}
	if fe.Field != "" {
		p = p.AtName(fe.Field)
	}
	return p
}

// settingsPath turns a reconcile field ("suppression.window") into the
// attribute path under root.
func settingsPath(root path.Path, field string) path.Path {
	p := root
	for _, part := range strings.Split(field, ".") {
		p = p.AtName(part)
	}
	return p
}

// parseSettings checks the settings and returns them for the engine;
// every problem is an attribute error under root.
func parseSettings(ctx context.Context, m syncSettingsModel, root path.Path) (reconcile.Settings, bool, diag.Diagnostics) {
	in, known, diags := m.settingsInput(ctx, root)
	if diags.HasError() {
		return reconcile.Settings{}, known, diags
	}
	s, errs := reconcile.Parse(in)
	for _, fe := range errs {
		if !known && (fe.Field == "source" && in.Source == "") {
			continue // not known yet
		}
		diags.AddAttributeError(settingsPath(root, fe.Field), fe.Summary, fmt.Sprintf("%s (%s)", fe.Detail, fe.Field))
	}
	return s, known, diags
}

// validateSettingsObject checks a settings object given to a run, as the
// resource checks its own: values not known yet (the whole object, or some
// of its attributes) are checked once known.
func validateSettingsObject(ctx context.Context, obj types.Object, root path.Path) diag.Diagnostics {
	if obj.IsNull() || obj.IsUnknown() {
		return nil
	}
	var m syncSettingsModel
	diags := obj.As(ctx, &m, basetypes.ObjectAsOptions{UnhandledNullAsEmpty: true, UnhandledUnknownAsEmpty: true})
	if diags.HasError() {
		return diags
	}
	_, _, ds := parseSettings(ctx, m, root)
	return append(diags, ds...)
}
