package provider

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// Building the clients' configuration from a provider configuration that
// passed its checks (as terraform-provider-tfe keeps it apart from the schema).

// Environment variables, named as the official PagerDuty provider names them where it has one.
const (
	envToken     = "PAGERDUTY_TOKEN"
	envUserEmail = "PAGERDUTY_USER_EMAIL"
	envRegion    = "PAGERDUTY_SERVICE_REGION"
	envAPIURL    = "PAGERDUTY_API_URL_OVERRIDE"
	envEventsURL = "PAGERDUTY_EVENTS_URL_OVERRIDE"
)

// Defaults of request_timeout and a source's timeout.
const (
	defaultRequestTimeout = 30 * time.Second
	defaultSourceTimeout  = 30 * time.Second
)

// withEnvironment fills the settings left unset from the environment.
func (m *providerModel) withEnvironment() {
	fromEnv(&m.Token, envToken)
	fromEnv(&m.UserEmail, envUserEmail)
	fromEnv(&m.ServiceRegion, envRegion)
	fromEnv(&m.APIURL, envAPIURL)
	fromEnv(&m.EventsURL, envEventsURL)
}

func fromEnv(v *types.String, env string) {
	if v.IsNull() {
		if s := os.Getenv(env); s != "" {
			*v = types.StringValue(s)
		}
	}
}

// pagerDutyConfig is the PagerDuty client's configuration; retries are
// logged through ctx.
func (m providerModel) pagerDutyConfig(ctx context.Context, version string) pagerduty.Config {
	cfg := pagerduty.Config{
		Token: m.Token.ValueString(), UserEmail: m.UserEmail.ValueString(), Region: m.ServiceRegion.ValueString(),
		APIURL: m.APIURL.ValueString(), EventsURL: m.EventsURL.ValueString(),
		UserAgent: "terraform-provider-pdbridge/" + version,
		Timeout:   durationOr(m.RequestTimeout, defaultRequestTimeout),
		Retry:     httpretry.DefaultPolicy,
		// Resources read in one run share reads of their service (plans
		// cost a call per service, not per connector), and every object
		// of the process spends one budget below PagerDuty's limit.
		ShareReads:        true,
		RequestsPerMinute: pagerduty.DefaultRequestsPerMinute,
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
	return cfg
}

// sourceConfigs are the event consoles' configurations, by name.
func (m providerModel) sourceConfigs(ctx context.Context) map[string]config.Source {
	out := map[string]config.Source{}
	for name, s := range m.sources(ctx) {
		src := sourceFrom(name, s)
		src.Timeout = durationOr(s.Timeout, defaultSourceTimeout)
		src.TimeZone = time.UTC
		if known(s.TimeZone) {
			src.TimeZone, _ = time.LoadLocation(s.TimeZone.ValueString()) // checked by isTimeZone
		}
		out[name] = src
	}
	return out
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
