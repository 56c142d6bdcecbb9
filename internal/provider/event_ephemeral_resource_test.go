package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
)

// The echo provider copies the ephemeral result into the state of
// echo.test, where the test can read it.
var testAccEchoFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"pdbridge": providerserver.NewProtocol6WithError(New("test")()),
	"echo":     echoprovider.NewProviderServer(),
}

func ephemeralEventConfig(sb *sandbox, body string) string {
	return sb.providerConfig() + `
ephemeral "pdbridge_event" "page" {
` + body + `
}

provider "echo" {
  data = ephemeral.pdbridge_event.page
}

resource "echo" "test" {}
`
}

func TestAccEventEphemeralResourceSendsOnEveryOpen(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "web")
	incidentIs := func(status string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if inc := sb.incident(t, "web-01/cpu"); inc.Status != status || inc.Title != "CPU at 100% on web-01" {
				return fmt.Errorf("incident %+v, want %s", inc, status)
			}
			return nil
		}
	}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{
			{
				Config: ephemeralEventConfig(sb, fmt.Sprintf(`
  routing_key = %q
  dedup_key   = "web-01/cpu"
  summary     = "CPU at 100%% on web-01"
  source      = "web-01"
  severity    = "critical"
  custom_details = {
    load = [4.2, 3.9]
  }`, key)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("dedup_key"), knownvalue.StringExact("web-01/cpu")),
					statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("status"), knownvalue.StringExact("success")),
					statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("message"), knownvalue.StringExact("Event processed")),
				},
				Check: resource.ComposeTestCheckFunc(incidentIs("triggered"), func(*terraform.State) error {
					// Opened at plan and again at apply: each open sent the trigger,
					// and PagerDuty grouped the repeats into the one incident.
					evs := sb.Events()
					if len(evs) < 2 {
						return fmt.Errorf("%d events sent; the resource is opened at plan and at apply", len(evs))
					}
					for _, e := range evs[1:] {
						if e.Outcome != pdsandbox.OutcomeDeduplicated {
							return fmt.Errorf("a repeated trigger was %s", e.Outcome)
						}
					}
					return nil
				}),
			},
			{
				Config: ephemeralEventConfig(sb, fmt.Sprintf(`
  routing_key  = %q
  event_action = "acknowledge"
  dedup_key    = "web-01/cpu"`, key)),
				Check: incidentIs("acknowledged"),
			},
			{
				Config: ephemeralEventConfig(sb, fmt.Sprintf(`
  routing_key  = %q
  event_action = "resolve"
  dedup_key    = "web-01/cpu"`, key)),
				Check: incidentIs("resolved"),
			},
		},
	})
}

func TestAccEventEphemeralResourceReturnsTheGeneratedDedupKey(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "generated")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			Config: ephemeralEventConfig(sb, fmt.Sprintf("  routing_key = %q", key)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("dedup_key"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{32}$`))),
			},
			Check: func(s *terraform.State) error {
				last := sb.Events()[len(sb.Events())-1]
				if got := s.RootModule().Resources["echo.test"].Primary.Attributes["data.dedup_key"]; got != last.DedupKey {
					return fmt.Errorf("result dedup_key %q, PagerDuty's %q", got, last.DedupKey)
				}
				if p, _ := last.Event["payload"].(map[string]any); p["summary"] != "No summary provided." || p["severity"] != "info" {
					return fmt.Errorf("defaults not applied: %v", last.Event)
				}
				return nil
			},
		}},
	})
}

func TestAccEventEphemeralResourceRejectsBadInput(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "rules")
	step := func(body, want string) resource.TestStep {
		return resource.TestStep{Config: ephemeralEventConfig(sb, fmt.Sprintf("  routing_key = %q\n", key)+body), ExpectError: regexp.MustCompile(want)}
	}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{
			step(`  event_action = "resolve"`, `(?s)Missing Dedup Key.*ephemeral.pdbridge_event.page.*dedup_key\s+is\s+required\s+to\s+resolve`),
			step(`  summary = "`+strings.Repeat("s", 1025)+`"`, `(?s)Summary Too Long.*summary\s+is\s+1025\s+characters\s+long`),
			step(`  dedup_key = "`+strings.Repeat("k", 256)+`"`, `(?s)Dedup Key Too Long.*dedup_key\s+is\s+256\s+characters\s+long`),
			step(`  severity = "fatal"`, `(?s)Invalid Severity.*severity = "fatal"`),
			step(`  timestamp = "2025-06-01 12:00"`, `(?s)Invalid Timestamp.*timestamp = "2025-06-01 12:00"`),
			step(`  custom_details = "text"`, `(?s)Invalid Custom Details.*custom_details = "text"`),
			step(`  images = [{ src = "http://graphs.example.com/a.png" }]`, `(?s)Invalid Image Source.*images\[0\].src`),
			step(`  links = [{ href = "" }]`, `(?s)Missing Link.*links\[0\].href\s+must\s+not\s+be\s+empty`),
		},
	})
	if n := sb.Faults().Count(enqueueRoute); n != 0 {
		t.Errorf("%d events reached PagerDuty", n)
	}
}

func TestAccEventEphemeralResourceRefusesAHostNotInAllowedHosts(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "allowed")
	config := strings.Replace(ephemeralEventConfig(sb, fmt.Sprintf("  routing_key = %q", key)),
		`provider "pdbridge" {`, `provider "pdbridge" {
  allowed_hosts = ["events.pagerduty.com"]`, 1)
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: regexp.MustCompile(`(?s)Events URL Not Allowed.*events_url = .*"127.0.0.1" is\s+not\s+in\s+allowed_hosts`),
		}},
	})
	if n := sb.Faults().Count(enqueueRoute); n != 0 {
		t.Errorf("%d events were sent to a host not allowed", n)
	}
}

func TestEventEphemeralResourceRoutingKeyIsSensitive(t *testing.T) {
	t.Parallel()
	attrs := providerSchema(t).EphemeralResourceSchemas["pdbridge_event"].Block.Attributes
	if rk := attrs[indexOf(t, attrs, "routing_key")]; !rk.Sensitive || !rk.Required {
		t.Errorf("routing_key: sensitive %v, required %v", rk.Sensitive, rk.Required)
	}
	for _, name := range []string{"status", "message"} {
		if a := attrs[indexOf(t, attrs, name)]; !a.Computed || a.Optional {
			t.Errorf("%s is not a computed result", name)
		}
	}
	if dk := attrs[indexOf(t, attrs, "dedup_key")]; !dk.Optional || !dk.Computed {
		t.Error("dedup_key must be optional (input) and computed (PagerDuty's answer)")
	}
}

// A pipeline that only sends events holds a routing key, not a REST token.
func TestAccEventEphemeralResourceNeedsNoAPIToken(t *testing.T) {
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "token-less")
	t.Setenv("PAGERDUTY_TOKEN", "")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "pdbridge" {
  events_url = %q
}
ephemeral "pdbridge_event" "page" {
  routing_key = %q
  dedup_key   = "tokenless/1"
  summary     = "sent without a REST token"
}
provider "echo" {
  data = ephemeral.pdbridge_event.page
}
resource "echo" "test" {}
`, sb.URL, key),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("status"), knownvalue.StringExact("success")),
			},
			Check: func(*terraform.State) error {
				if inc := sb.incident(t, "tokenless/1"); inc.Title != "sent without a REST token" {
					return fmt.Errorf("incident %+v", inc)
				}
				return nil
			},
		}},
	})
}
