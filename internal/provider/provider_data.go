package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// providerData is what Configure hands to every resource, data source,
// ephemeral resource and action.
type providerData struct {
	version      string
	clock        clock.Clock // where objects take "now" from (the reconcile planner will)
	pagerduty    *pagerduty.Client
	pagerdutyErr error // why there is no client; reported only by objects that need one
	sources      map[string]config.Source
	// sourcesUnknown: the sources map is not known yet (plan time).
	sourcesUnknown bool
	// retry is the provider's retry policy, for the sources too.
	retry httpretry.Policy
}

// PagerDuty returns the REST client, or a diagnostic saying why there is none.
func (d *providerData) PagerDuty() (*pagerduty.Client, diag.Diagnostics) {
	c, diags := d.Events()
	if c != nil && !c.HasToken() {
		diags.AddError("PagerDuty Not Configured", "The provider has no PagerDuty API token: set token in the provider configuration or PAGERDUTY_TOKEN.")
		return nil, diags
	}
	return c, diags
}

// Events returns the client for the Events API, which needs no token: events
// carry their routing key.
func (d *providerData) Events() (*pagerduty.Client, diag.Diagnostics) {
	var diags diag.Diagnostics
	if d.pagerduty == nil {
		diags.AddError("PagerDuty Not Configured", fmt.Sprintf("The provider cannot reach PagerDuty: %v.", d.pagerdutyErr))
	}
	return d.pagerduty, diags
}

// pagerDutyClient returns the REST client for an object, or adds to diags
// why there is none (the provider not configured, or configured without a
// usable token or endpoints).
func pagerDutyClient(d *providerData, diags *diag.Diagnostics) *pagerduty.Client {
	if d == nil {
		diags.AddError("Provider Not Configured", "The pdbridge provider was not configured before this object was used. Please report this issue to the provider developers.")
		return nil
	}
	c, ds := d.PagerDuty()
	diags.Append(ds...)
	return c
}

// eventsClient is pagerDutyClient for objects that only send events, which
// need no REST token.
func eventsClient(d *providerData, diags *diag.Diagnostics) *pagerduty.Client {
	if d == nil {
		diags.AddError("Provider Not Configured", "The pdbridge provider was not configured before sending an event. Please report this issue to the provider developers.")
		return nil
	}
	c, ds := d.Events()
	diags.Append(ds...)
	return c
}

// configureData is the shared Configure of every object: it accepts a nil
// ProviderData (Terraform validates before configuring) and rejects any other type.
func configureData(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil
	}
	d, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data Type", fmt.Sprintf("Expected *providerData, got: %T. Please report this issue to the provider developers.", raw))
		return nil
	}
	return d
}
