package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// sendAlertEvent builds the event from the configuration and sends it, telling
// progress where it goes. It returns nil after adding the diagnostics.
func sendAlertEvent(ctx context.Context, c *pagerduty.Client, m eventModel, diags *diag.Diagnostics, progress func(string)) (*pagerduty.EventResult, pagerduty.AlertEvent) {
	alert, _ := m.alert(diags)
	if diags.HasError() {
		return nil, pagerduty.AlertEvent{}
	}
	ev, errs := alert.Event(m.RoutingKey.ValueString())
	if len(errs) > 0 {
		addEventFieldErrors(diags, errs, false)
		return nil, ev
	}
	progress(fmt.Sprintf("Sending a %s event to %s.", ev.EventAction, c.EnqueueURL()))
	res, err := c.SendAlertEvent(ctx, ev)
	if err != nil {
		addEventSendError(diags, err)
		return nil, ev
	}
	// The routing key is a secret: never logged.
	tflog.Info(ctx, "PagerDuty accepted an event", map[string]any{"event_action": ev.EventAction, "dedup_key": res.DedupKey, "status": res.Status})
	return res, ev
}

func addEventSendError(diags *diag.Diagnostics, err error) {
	if pagerduty.IsEventRejected(err) {
		diags.AddError("PagerDuty Rejected the Event", fmt.Sprintf("PagerDuty refused the event; fix it and try again.\n\nOriginal Error: %v", err))
		return
	}
	diags.AddError("Send Event Error", fmt.Sprintf("The event could not be delivered to PagerDuty (retries included).\n\nOriginal Error: %v", err))
}

// addEventFieldErrors reports rule violations against their attributes;
// warnings only when asked, so that they are not repeated at each step.
func addEventFieldErrors(diags *diag.Diagnostics, errs []events.FieldError, warnings bool) {
	for _, e := range errs {
		at := path.Root(e.Field)
		if e.Index >= 0 {
			at = at.AtListIndex(e.Index).AtName(e.Attr)
		}
		switch {
		case !e.Warning:
			diags.AddAttributeError(at, e.Summary, e.Detail)
		case warnings:
			diags.AddAttributeWarning(at, e.Summary, e.Detail)
		}
	}
}
