// Package provider is the Terraform glue of pdbridge: schemas, plan-time
// diagnostics and the mapping between Terraform values and the domain
// packages under internal/. It holds no domain logic of its own.
package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

var (
	_ provider.Provider                       = &PdbridgeProvider{}
	_ provider.ProviderWithValidateConfig     = &PdbridgeProvider{}
	_ provider.ProviderWithEphemeralResources = &PdbridgeProvider{}
	_ provider.ProviderWithActions            = &PdbridgeProvider{}
)

// PdbridgeProvider is the pdbridge provider.
type PdbridgeProvider struct {
	version string
	clock   clock.Clock // handed to every object; tests set it
}

// New returns the provider factory for a release version.
func New(version string) func() provider.Provider {
	return newWithClock(version, clock.System)
}

// newWithClock is New with the clock every object takes "now" from.
func newWithClock(version string, c clock.Clock) func() provider.Provider {
	return func() provider.Provider { return &PdbridgeProvider{version: version, clock: c} }
}

func (p *PdbridgeProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "pdbridge"
	resp.Version = p.version
}

func (p *PdbridgeProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Declares the integration between monitoring tools (Zenoss, Icinga 2, Alertmanager, and push sources such as Device42, RudderStack and Kibana) and PagerDuty as code.",
		Attributes: map[string]schema.Attribute{
			"token": schema.StringAttribute{
				MarkdownDescription: "PagerDuty REST API token. Defaults to the `" + envToken + "` environment variable. Never written to state or logs. Everything but sending events needs it (events carry their routing key).",
				Optional:            true,
				Sensitive:           true,
			},
			"user_email": schema.StringAttribute{
				MarkdownDescription: "Email of the PagerDuty user every write is made as (the `From` header). Defaults to `" + envUserEmail + "`.",
				Optional:            true,
				Validators:          []validator.String{isEmail},
			},
			"api_url": schema.StringAttribute{
				MarkdownDescription: "PagerDuty REST API root, overriding `service_region` (e.g. the pdbridge sandbox). Defaults to `" + envAPIURL + "`.",
				Optional:            true,
			},
			"events_url": schema.StringAttribute{
				MarkdownDescription: "PagerDuty Events API host root (pdbridge appends `/v2/enqueue`), overriding `service_region`. Defaults to `" + envEventsURL + "`.",
				Optional:            true,
			},
			"service_region": schema.StringAttribute{
				MarkdownDescription: "PagerDuty service region: `us` (default) or `eu`. Defaults to `" + envRegion + "`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(pagerduty.Regions()...)},
			},
			"allow_insecure_http": schema.BoolAttribute{
				MarkdownDescription: "Allow `api_url` and `events_url` to use plain `http` to a host that is not a loopback address. Off by default: the token would cross the network in clear text.",
				Optional:            true,
			},
			"allowed_hosts": schema.ListAttribute{
				MarkdownDescription: "Hosts events may be sent to, as Kibana's `xpack.actions.allowedHosts`: bare host names or IP addresses, `*` for any. When set, an events URL (`events_url`, or the `service_region`'s) whose host is not listed is an error at plan time, before any request. Unset, any host is allowed.",
				Optional:            true,
				ElementType:         types.StringType,
				Validators:          []validator.List{listvalidator.ValueStringsAre(isAllowedHost)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Timeout of each PagerDuty request attempt, as a duration (`30s` by default).",
				Optional:            true,
				Validators:          []validator.String{isDuration},
			},
			"retry": schema.SingleNestedAttribute{
				MarkdownDescription: "How PagerDuty requests are retried on 429 (after the announced rate-limit reset), 5xx and timeouts.",
				Optional:            true,
				Attributes: map[string]schema.Attribute{
					"max_retries": schema.Int64Attribute{
						MarkdownDescription: "Retries after the first attempt (0 to 10, default 4).",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.Between(0, 10)},
					},
					"min_delay": schema.StringAttribute{
						MarkdownDescription: "First backoff delay, as a duration (default `500ms`); it doubles with each retry, with jitter.",
						Optional:            true,
						Validators:          []validator.String{isDuration},
					},
					"max_delay": schema.StringAttribute{
						MarkdownDescription: "Longest backoff delay, as a duration (default `30s`).",
						Optional:            true,
						Validators:          []validator.String{isDuration},
					},
				},
			},
			"sources": schema.MapNestedAttribute{
				MarkdownDescription: "Event consoles pdbridge synchronises with, by a name of your choice. Their secrets live here, in provider configuration, and never in state.",
				Optional:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"kind": schema.StringAttribute{
							MarkdownDescription: "Console type: `zenoss`, `icinga2` or `alertmanager`.",
							Required:            true,
						},
						"url": schema.StringAttribute{
							MarkdownDescription: "Base URL of the console (for Zenoss Cloud, including the collection zone, e.g. `https://tenant.zenoss.io/cz0`). Plain `http` is accepted only to a loopback address unless `allow_insecure_http` is set.",
							Required:            true,
						},
						"username": schema.StringAttribute{
							MarkdownDescription: "User for HTTP Basic authentication: required for Zenoss (unless `api_key`) and Icinga 2 (an ApiUser, also the author of the sync's acknowledgements and comments); optional for Alertmanager (behind a web config or a proxy that asks for it; also the `createdBy` of the sync's silences, `pdbridge` without one).",
							Optional:            true,
						},
						"password": schema.StringAttribute{
							MarkdownDescription: "Password for HTTP Basic authentication. Sent only in the Authorization header.",
							Optional:            true,
							Sensitive:           true,
						},
						"api_key": schema.StringAttribute{
							MarkdownDescription: "API key (Zenoss Cloud's `z-api-key`), instead of username and password.",
							Optional:            true,
							Sensitive:           true,
						},
						"ca_bundle": schema.StringAttribute{
							MarkdownDescription: "PEM certificates to trust for this console, instead of the system roots.",
							Optional:            true,
						},
						"insecure_skip_verify": schema.BoolAttribute{
							MarkdownDescription: "Skip TLS certificate verification. An explicit opt-in for test consoles; prefer `ca_bundle`.",
							Optional:            true,
						},
						"allow_insecure_http": schema.BoolAttribute{
							MarkdownDescription: "Allow a plain `http` URL to a host that is not a loopback address.",
							Optional:            true,
						},
						"timeout": schema.StringAttribute{
							MarkdownDescription: "Timeout of each request attempt, as a duration (default `30s`).",
							Optional:            true,
							Validators:          []validator.String{isDuration},
						},
						"time_zone": schema.StringAttribute{
							MarkdownDescription: "IANA time zone the console writes local times in (Zenoss 4.x), e.g. `Europe/Berlin`. Default `UTC`.",
							Optional:            true,
							Validators:          []validator.String{isTimeZone},
						},
						"version": schema.Int64Attribute{
							MarkdownDescription: "Zenoss only: the major version, `4`, `5` or `6` (Zenoss Cloud is 6). Default `6`. Zenoss 4 writes local times (set `time_zone`) and has nowhere to keep the incident reference, so the sync pairs its events by dedup key; Zenoss 5.3 and later log times in milliseconds.",
							Optional:            true,
						},
						"sticky_acknowledgement": schema.BoolAttribute{
							MarkdownDescription: "Icinga 2 only: acknowledgements the sync makes last until the problem recovers (default `true`). With `false` Icinga clears them on any state change, CRITICAL to WARNING included, and the sync then takes the incident back to triggered.",
							Optional:            true,
						},
					},
				},
			},
		},
	}
}

// ValidateConfig reports bad combinations of values at plan time, against
// the attribute at fault; single values have their validators. Values not
// known yet (computed elsewhere) are checked in Configure.
func (p *PdbridgeProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateProvider(ctx, m)...)
}

// Configure checks what validation could not see (the environment's
// defaults), then hands every object the clients (client_config.go builds
// their configuration).
func (p *PdbridgeProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.withEnvironment() // validation saw the configuration alone
	resp.Diagnostics.Append(checkEnvironment(m)...)
	resp.Diagnostics.Append(validateProvider(ctx, m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := &providerData{version: p.version, clock: p.clock, sources: map[string]config.Source{}}
	if unknown := m.unknownSettings(); len(unknown) > 0 {
		// Building a client from half a configuration would fall back to
		// PagerDuty's production endpoints (and send the token there).
		data.pagerdutyErr = fmt.Errorf("its settings %s are not known until apply; PagerDuty is reached only once they are", strings.Join(unknown, ", "))
		data.sourcesUnknown = true
		resp.DataSourceData, resp.ResourceData, resp.EphemeralResourceData, resp.ActionData = data, data, data, data
		return
	}
	resp.Diagnostics.Append(checkRegionEventsHost(m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "token", "password", "api_key")
	cfg := m.pagerDutyConfig(ctx, p.version)
	data.pagerduty, data.pagerdutyErr = pagerduty.New(cfg)
	data.retry = cfg.Retry
	data.sourcesUnknown = m.Sources.IsUnknown()
	data.sources = m.sourceConfigs(ctx)
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.EphemeralResourceData = data
	resp.ActionData = data
}

func (p *PdbridgeProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewConnectorResource, NewRoutingTransformResource, NewSyncSettingsResource}
}

func (p *PdbridgeProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewServiceDataSource, NewRouteDataSource, NewReconciliationDataSource}
}

func (p *PdbridgeProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewEventEphemeralResource, NewSyncRunEphemeralResource}
}

func (p *PdbridgeProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{NewEventAction, NewChangeEventAction, NewSyncRunAction}
}
