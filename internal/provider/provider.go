// Package provider is the Terraform glue of pdbridge: schemas, plan-time
// diagnostics and the mapping between Terraform values and the domain
// packages under internal/. It holds no domain logic of its own.
package provider

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/endpoint"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// Environment variables, named as the official PagerDuty provider names them where it has one.
const (
	envToken     = "PAGERDUTY_TOKEN"
	envUserEmail = "PAGERDUTY_USER_EMAIL"
	envRegion    = "PAGERDUTY_SERVICE_REGION"
	envAPIURL    = "PAGERDUTY_API_URL_OVERRIDE"
	envEventsURL = "PAGERDUTY_EVENTS_URL_OVERRIDE"
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
}

// New returns the provider factory for a release version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &PdbridgeProvider{version: version} }
}

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
	StickyAck          types.Bool   `tfsdk:"sticky_acknowledgement"`
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
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Timeout of each PagerDuty request attempt, as a duration (`30s` by default).",
				Optional:            true,
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
					},
					"max_delay": schema.StringAttribute{
						MarkdownDescription: "Longest backoff delay, as a duration (default `30s`).",
						Optional:            true,
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
						},
						"time_zone": schema.StringAttribute{
							MarkdownDescription: "IANA time zone the console writes local times in (Zenoss 4.x), e.g. `Europe/Berlin`. Default `UTC`.",
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

// ValidateConfig reports every bad value at plan time, against its attribute.
// Values not known yet (computed elsewhere) are checked in Configure.
func (p *PdbridgeProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateProvider(ctx, m)...)
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
	if known(m.UserEmail) {
		if err := checkEmail(m.UserEmail.ValueString()); err != nil {
			attrError(&diags, path.Root("user_email"), "Invalid User Email", err.Error())
		}
	}
	if hosts := allowedHosts(&diags, m.AllowedHosts); hosts != nil && known(m.EventsURL) {
		if err := events.CheckHostAllowed(m.EventsURL.ValueString(), hosts); err != nil {
			attrError(&diags, path.Root("events_url"), "Events URL Not Allowed", err.Error()+".")
		}
	}
	checkDuration(&diags, path.Root("request_timeout"), m.RequestTimeout)
	if r := m.retry(ctx); r != nil {
		checkDuration(&diags, path.Root("retry").AtName("min_delay"), r.MinDelay)
		checkDuration(&diags, path.Root("retry").AtName("max_delay"), r.MaxDelay)
		if known(r.MinDelay) && known(r.MaxDelay) {
			lo, err1 := config.ParseDuration(r.MinDelay.ValueString())
			hi, err2 := config.ParseDuration(r.MaxDelay.ValueString())
			if err1 == nil && err2 == nil && hi < lo {
				attrError(&diags, path.Root("retry").AtName("max_delay"), "Invalid Retry Delays", fmt.Sprintf("max_delay (%s) is shorter than min_delay (%s).", hi, lo))
			}
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
		checkDuration(&diags, at.AtName("timeout"), s.Timeout)
		if known(s.TimeZone) {
			if _, err := time.LoadLocation(s.TimeZone.ValueString()); err != nil {
				attrError(&diags, at.AtName("time_zone"), "Unknown Time Zone", fmt.Sprintf("%q is not an IANA time zone such as \"Europe/Berlin\" or \"UTC\".", s.TimeZone.ValueString()))
			}
		}
	}
	return diags
}

// allowedHosts checks each allowed_hosts entry and returns the list, or nil
// when it is unset or not known yet.
func allowedHosts(diags *diag.Diagnostics, list types.List) []string {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	var hosts []string
	for i, v := range list.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() {
			return nil
		}
		if err := events.CheckAllowedHostEntry(s.ValueString()); err != nil {
			attrError(diags, path.Root("allowed_hosts").AtListIndex(i), "Invalid Allowed Host", err.Error()+".")
		}
		hosts = append(hosts, s.ValueString())
	}
	return hosts
}

// checkRegionEventsHost applies allowed_hosts to the service region's events
// host when no events_url is set: only known once the environment is read.
func checkRegionEventsHost(m providerModel) diag.Diagnostics {
	var diags, checked diag.Diagnostics // entries were checked by validateProvider
	hosts := allowedHosts(&checked, m.AllowedHosts)
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

// attrError reports a provider-configuration error against its attribute and
// names the attribute in the text too: Terraform can point only at the
// provider block when the value sits inside a map or object literal.
func attrError(diags *diag.Diagnostics, at path.Path, summary, detail string) {
	diags.AddAttributeError(at, summary, at.String()+": "+detail)
}

// known is true for a value that is set and known at this point of the plan.
func known(v types.String) bool { return !v.IsNull() && !v.IsUnknown() }

func checkDuration(diags *diag.Diagnostics, at path.Path, v types.String) {
	if !known(v) {
		return
	}
	if _, err := config.ParseDuration(v.ValueString()); err != nil {
		attrError(diags, at, "Invalid Duration", err.Error())
	}
}

func sourceFrom(name string, s sourceModel) config.Source {
	return config.Source{
		Name: name, Kind: s.Kind.ValueString(), URL: s.URL.ValueString(),
		Username: s.Username.ValueString(), Password: s.Password.ValueString(), APIKey: s.APIKey.ValueString(),
		CABundle: s.CABundle.ValueString(), InsecureSkipVerify: s.InsecureSkipVerify.ValueBool(), AllowInsecureHTTP: s.AllowInsecureHTTP.ValueBool(),
		StickyAcknowledgement: s.StickyAck.ValueBoolPointer(),
	}
}

func (p *PdbridgeProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Values computed from other resources are known only now: check them again, with the environment's defaults.
	fromEnv(&m.Token, envToken)
	fromEnv(&m.UserEmail, envUserEmail)
	fromEnv(&m.ServiceRegion, envRegion)
	fromEnv(&m.APIURL, envAPIURL)
	fromEnv(&m.EventsURL, envEventsURL)
	resp.Diagnostics.Append(validateProvider(ctx, m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := &providerData{version: p.version, sources: map[string]config.Source{}}
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

	cfg := pagerduty.Config{
		Token: m.Token.ValueString(), UserEmail: m.UserEmail.ValueString(), Region: m.ServiceRegion.ValueString(),
		APIURL: m.APIURL.ValueString(), EventsURL: m.EventsURL.ValueString(),
		UserAgent: "terraform-provider-pdbridge/" + p.version,
		Timeout:   durationOr(m.RequestTimeout, 30*time.Second),
		Retry:     httpretry.DefaultPolicy,
		OnRetry: func(method, url string, status int, wait time.Duration) {
			tflog.Warn(ctx, "retrying PagerDuty request", map[string]any{"method": method, "url": url, "status": status, "wait": wait.String()})
		},
	}
	if r := m.retry(ctx); r != nil {
		if !r.MaxRetries.IsNull() {
			cfg.Retry.MaxRetries = int(r.MaxRetries.ValueInt64())
			if cfg.Retry.MaxRetries == 0 {
				cfg.Retry.MaxRetries = -1 // an explicit 0 means no retry, not "default"
			}
		}
		cfg.Retry.MinWait = durationOr(r.MinDelay, cfg.Retry.MinWait)
		cfg.Retry.MaxWait = durationOr(r.MaxDelay, cfg.Retry.MaxWait)
		if !known(r.MinDelay) && cfg.Retry.MaxWait < cfg.Retry.MinWait {
			cfg.Retry.MinWait = cfg.Retry.MaxWait // a short max_delay given alone is honoured
		}
	}
	data.pagerduty, data.pagerdutyErr = pagerduty.New(cfg)
	data.retry = cfg.Retry
	data.sourcesUnknown = m.Sources.IsUnknown()
	for name, s := range m.sources(ctx) {
		src := sourceFrom(name, s)
		src.Timeout = durationOr(s.Timeout, 30*time.Second)
		src.TimeZone = time.UTC
		if known(s.TimeZone) {
			src.TimeZone, _ = time.LoadLocation(s.TimeZone.ValueString())
		}
		data.sources[name] = src
	}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.EphemeralResourceData = data
	resp.ActionData = data
}

func fromEnv(v *types.String, env string) {
	if v.IsNull() {
		if s := os.Getenv(env); s != "" {
			*v = types.StringValue(s)
		}
	}
}

func durationOr(v types.String, def time.Duration) time.Duration {
	if !known(v) {
		return def
	}
	d, err := config.ParseDuration(v.ValueString())
	if err != nil {
		return def
	}
	return d
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
