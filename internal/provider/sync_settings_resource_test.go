package provider

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

// syncFixture is a PagerDuty sandbox with a service, a Zenoss sandbox, and
// the provider configuration that names the Zenoss one as source
// zenoss_prod.
type syncFixture struct {
	*sandbox
	zs      *zsandbox.Server
	zURL    string
	service string
}

const zenossTestUser, zenossTestPassword = "pdbridge", "zenoss-secret"

func startSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	sb := startSandbox(t)
	zs := zsandbox.New(zsandbox.Options{Username: zenossTestUser, Password: zenossTestPassword})
	srv := httptest.NewServer(zs)
	t.Cleanup(srv.Close)
	return &syncFixture{sandbox: sb, zs: zs, zURL: srv.URL, service: sb.service(t, "Unix team").ID}
}

func (f *syncFixture) providerConfig() string {
	return providerBlock(f.URL, fmt.Sprintf(`    zenoss_prod = {
      kind                = "zenoss"
      url                 = %q
      username            = %q
      password            = %q
      allow_insecure_http = true
    }`, f.zURL, zenossTestUser, zenossTestPassword))
}

// syncConfig is a connector, an unpublished routing transform to it and
// sync settings with extra (HCL) settings.
func (f *syncFixture) syncConfig(extra string) string {
	return f.providerConfig() + fmt.Sprintf(`
resource "pdbridge_connector" "unix" {
  name        = "Zenoss: Unix team"
  service_id  = %q
  source_kind = "zenoss"
}

resource "pdbridge_routing_transform" "zenoss" {
  rule {
    label     = "unix"
    condition = "event.group matches part '/Server/Linux'"
    route_to  = pdbridge_connector.unix.id
  }
  catch_all {
    drop = true
  }
}

resource "pdbridge_sync_settings" "zenoss" {
  source  = "zenoss_prod"
  routing = pdbridge_routing_transform.zenoss
%s
}
`, f.service, extra)
}

func TestAccSyncSettingsKeepTheirDefaultsAndTakeTheTransformWhole(t *testing.T) {
	f := startSyncFixture(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: f.syncConfig(`  close_event_on_incident_resolution = true
  suppression = {
    max_incidents = 3
    window        = "5m"
  }`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("pdbridge_sync_settings.zenoss", tfjsonpath.New("direction"), knownvalue.StringExact("both")),
				statecheck.ExpectKnownValue("pdbridge_sync_settings.zenoss", tfjsonpath.New("lookback"), knownvalue.StringExact("48h")),
				statecheck.ExpectKnownValue("pdbridge_sync_settings.zenoss", tfjsonpath.New("resolve_incident_on_event_close"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("pdbridge_sync_settings.zenoss", tfjsonpath.New("close_event_on_incident_resolution"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("pdbridge_sync_settings.zenoss", tfjsonpath.New("suppression").AtMapKey("dedup_format"),
					knownvalue.StringExact("{{.Device}}|{{.Component}}|{{.Severity}}")),
				statecheck.ExpectKnownValue("pdbridge_sync_settings.zenoss", tfjsonpath.New("routing").AtMapKey("rule").AtSliceIndex(0).AtMapKey("label"),
					knownvalue.StringExact("unix")),
				statecheck.ExpectKnownValue("pdbridge_sync_settings.zenoss", tfjsonpath.New("routing").AtMapKey("catch_all").AtMapKey("drop"), knownvalue.Bool(true)),
			},
		}, {
			// The same configuration plans nothing: no perpetual diff.
			Config:   f.syncConfig("  close_event_on_incident_resolution = true\n  suppression = {\n    max_incidents = 3\n    window        = \"5m\"\n  }"),
			PlanOnly: true,
		}},
	})
}

func TestAccSyncSettingsRejectBadValuesAtPlan(t *testing.T) {
	f := startSyncFixture(t)
	for name, tc := range map[string]struct{ extra, want string }{
		"direction":      {`  direction = "sideways"`, `(?s)direction.*"sideways" is not one of "both", "to_pagerduty", "from_pagerduty"`},
		"lookback":       {`  lookback = "a while"`, `(?s)lookback.*"a while" is not a duration`},
		"short lookback": {`  lookback = "1m"`, `(?s)lookback.*too short`},
		"severity":       {`  min_severity = "bad"`, `(?s)min_severity.*"bad" is not a severity`},
		"template":       {`  dedup_key_template = "{{.Nope}}"`, `(?s)dedup_key_template.*no field .Nope`},
		"suppression":    {"  suppression = {\n    max_incidents = 0\n    window = \"5m\"\n  }", `(?s)0 is out of range: use 1 to 100000. \(suppression.max_incidents\)`},
		"maintenance":    {`  on_service_maintenance = "panic"`, `(?s)on_service_maintenance.*"panic" is not one of`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: f.syncConfig(tc.extra), ExpectError: regexp.MustCompile(tc.want), PlanOnly: true}},
			})
		})
	}
	t.Run("unknown source", func(t *testing.T) {
		config := regexp.MustCompile(`source  = "zenoss_prod"`).ReplaceAllString(f.syncConfig(""), `source  = "zenoss_test"`)
		resource.Test(t, resource.TestCase{
			PreCheck:                 func() { testAccPreCheck(t) },
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{Config: config, PlanOnly: true,
				ExpectError: regexp.MustCompile(`(?s)source "zenoss_test" is not a key of the provider's sources: the provider's\s+sources are zenoss_prod`)}},
		})
	})
}
