package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/endpoint"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// validateProvider runs the checks that span several attributes (single
// attributes have their validators in the schema). Values not known yet are
// judged once they are; Configure runs it again with the environment's
// defaults.
func validateProvider(ctx context.Context, m providerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	allowHTTP := m.AllowInsecureHTTP.ValueBool()
	for _, u := range []struct {
		attr string
		v    types.String
	}{{"api_url", m.APIURL}, {"events_url", m.EventsURL}} {
		// An opt-in not known yet is judged once it is.
		if known(u.v) && !m.AllowInsecureHTTP.IsUnknown() {
			if _, err := endpoint.Check(u.v.ValueString(), allowHTTP); err != nil {
				attrError(&diags, path.Root(u.attr), "Invalid PagerDuty URL", fmt.Sprintf("%v.", err))
			}
		}
	}
	if hosts := allowedHosts(m.AllowedHosts); hosts != nil && known(m.EventsURL) {
		if err := events.CheckHostAllowed(m.EventsURL.ValueString(), hosts); err != nil {
			attrError(&diags, path.Root("events_url"), "Events URL Not Allowed", err.Error()+".")
		}
	}
	if r := m.retry(ctx); r != nil && known(r.MinDelay) && known(r.MaxDelay) {
		lo, err1 := config.ParseDuration(r.MinDelay.ValueString())
		hi, err2 := config.ParseDuration(r.MaxDelay.ValueString())
		if err1 == nil && err2 == nil && hi < lo {
			attrError(&diags, path.Root("retry").AtName("max_delay"), "Invalid Retry Delays", fmt.Sprintf("max_delay (%s) is shorter than min_delay (%s).", hi, lo))
		}
	}
	for name, s := range m.sources(ctx) {
		at := path.Root("sources").AtMapKey(name)
		fields := map[string]types.String{"kind": s.Kind, "url": s.URL, "username": s.Username, "password": s.Password, "api_key": s.APIKey, "ca_bundle": s.CABundle}
		knownField := func(f string) bool {
			if f == "url" && s.AllowInsecureHTTP.IsUnknown() {
				return false // the opt-in decides whether the URL is acceptable
			}
			return !fields[f].IsUnknown()
		}
		for _, fe := range config.CheckSource(sourceFrom(name, s), knownField) {
			attrError(&diags, at.AtName(fe.Field), fe.Summary, fe.Detail)
		}
	}
	return diags
}

// checkEnvironment runs the single-attribute checks on what the environment
// filled in (PAGERDUTY_USER_EMAIL), which validation never sees. Values
// computed by other resources need no second look here: Terraform validates
// the provider configuration again once they are known.
func checkEnvironment(m providerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	isEmail.recheck(&diags, path.Root("user_email"), m.UserEmail)
	return diags
}

// allowedHosts returns the allowed_hosts entries, or nil when the list is
// unset or not all known yet. The entries are checked by their validator.
func allowedHosts(list types.List) []string {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	var hosts []string
	for _, v := range list.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() {
			return nil
		}
		hosts = append(hosts, s.ValueString())
	}
	return hosts
}

// checkRegionEventsHost applies allowed_hosts to the service region's events
// host when no events_url is set: only known once the environment is read.
func checkRegionEventsHost(m providerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	hosts := allowedHosts(m.AllowedHosts)
	if hosts == nil || !m.EventsURL.IsNull() {
		return nil
	}
	if u, err := pagerduty.DefaultEventsURL(m.ServiceRegion.ValueString()); err == nil {
		if err := events.CheckHostAllowed(u, hosts); err != nil {
			attrError(&diags, path.Root("allowed_hosts"), "Events URL Not Allowed", err.Error()+".")
		}
	}
	return diags
}
