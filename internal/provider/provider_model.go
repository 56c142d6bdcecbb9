package provider

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
)

// providerModel is the provider configuration as Terraform holds it.
type providerModel struct {
	Token             types.String `tfsdk:"token"`
	UserEmail         types.String `tfsdk:"user_email"`
	APIURL            types.String `tfsdk:"api_url"`
	EventsURL         types.String `tfsdk:"events_url"`
	ServiceRegion     types.String `tfsdk:"service_region"`
	AllowInsecureHTTP types.Bool   `tfsdk:"allow_insecure_http"`
	AllowedHosts      types.List   `tfsdk:"allowed_hosts"`
	RequestTimeout    types.String `tfsdk:"request_timeout"`
	Retry             types.Object `tfsdk:"retry"`   // retryModel; may be unknown at plan
	Sources           types.Map    `tfsdk:"sources"` // of sourceModel; may be unknown at plan
}

type retryModel struct {
	MaxRetries types.Int64  `tfsdk:"max_retries"`
	MinDelay   types.String `tfsdk:"min_delay"`
	MaxDelay   types.String `tfsdk:"max_delay"`
}

type sourceModel struct {
	Kind               types.String `tfsdk:"kind"`
	URL                types.String `tfsdk:"url"`
	Username           types.String `tfsdk:"username"`
	Password           types.String `tfsdk:"password"`
	APIKey             types.String `tfsdk:"api_key"`
	CABundle           types.String `tfsdk:"ca_bundle"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	AllowInsecureHTTP  types.Bool   `tfsdk:"allow_insecure_http"`
	Timeout            types.String `tfsdk:"timeout"`
	TimeZone           types.String `tfsdk:"time_zone"`
	Version            types.Int64  `tfsdk:"version"`
	StickyAck          types.Bool   `tfsdk:"sticky_acknowledgement"`
}

// retry returns the retry block, or nil when it is unset or not known yet.
func (m providerModel) retry(ctx context.Context) *retryModel {
	if m.Retry.IsNull() || m.Retry.IsUnknown() {
		return nil
	}
	var r retryModel
	if diags := m.Retry.As(ctx, &r, basetypes.ObjectAsOptions{}); diags.HasError() {
		return nil
	}
	return &r
}

// sources returns the sources that are known so far (all of them once the
// plan is complete).
func (m providerModel) sources(ctx context.Context) map[string]sourceModel {
	out := map[string]sourceModel{}
	if m.Sources.IsNull() || m.Sources.IsUnknown() {
		return out
	}
	for name, v := range m.Sources.Elements() {
		obj, ok := v.(types.Object)
		if !ok || obj.IsNull() || obj.IsUnknown() {
			continue
		}
		var s sourceModel
		if diags := obj.As(ctx, &s, basetypes.ObjectAsOptions{}); !diags.HasError() {
			out[name] = s
		}
	}
	return out
}

// unknownSettings names the PagerDuty settings not known until apply.
func (m providerModel) unknownSettings() []string {
	var names []string
	for name, v := range map[string]attr.Value{
		"token": m.Token, "user_email": m.UserEmail, "api_url": m.APIURL, "events_url": m.EventsURL,
		"service_region": m.ServiceRegion, "allow_insecure_http": m.AllowInsecureHTTP, "allowed_hosts": m.AllowedHosts,
		"request_timeout": m.RequestTimeout, "retry": m.Retry,
	} {
		if v.IsUnknown() {
			names = append(names, name)
		}
	}
	if !m.Retry.IsNull() && !m.Retry.IsUnknown() {
		for name, v := range m.Retry.Attributes() {
			if v.IsUnknown() {
				names = append(names, "retry."+name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// sourceFrom converts a source as configured to the domain's.
func sourceFrom(name string, s sourceModel) config.Source {
	return config.Source{
		Name: name, Kind: s.Kind.ValueString(), URL: s.URL.ValueString(),
		Username: s.Username.ValueString(), Password: s.Password.ValueString(), APIKey: s.APIKey.ValueString(),
		CABundle: s.CABundle.ValueString(), InsecureSkipVerify: s.InsecureSkipVerify.ValueBool(), AllowInsecureHTTP: s.AllowInsecureHTTP.ValueBool(),
		StickyAcknowledgement: s.StickyAck.ValueBoolPointer(), Version: int(s.Version.ValueInt64()),
	}
}
