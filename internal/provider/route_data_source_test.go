package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
)

// routeHCL is a pdbridge_route of the transform "zenoss" on an event.
func routeHCL(name, event string) string {
	return fmt.Sprintf(`
data "pdbridge_route" %q {
  transform = pdbridge_routing_transform.zenoss
  %s
}
`, name, event)
}

func TestAccRouteDataSource(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	windows := tfRule{"windows", condWindows, f.windows, `    severity  = "{{if eq .Severity \"info\"}}warning{{else}}critical{{end}}"
    summary   = "[{{.Details.device_class}}] {{.Summary}}"
    dedup_key = "{{.Device}}|{{.Component}}|{{.Severity}}"
    custom_details = {
      team = "windows"
    }
    priority = "P2"
    suppress = true
`}
	drop := tfRule{label: "test systems", condition: "event.custom_details.prod_state matches 'Test'", extra: "    drop = true\n"}
	config := f.providerConfig() + transformHCL("zenoss", catchAllHCL(f.other), drop, tfRule{"unix", condUnix, f.unix, ""}, windows) +
		routeHCL("linux", `event = {
    summary        = "disk full"
    severity       = "error"
    source         = "lnx01"
    custom_details = { device_class = "/Server/Linux" }
  }`) +
		routeHCL("windows", `event_json = jsonencode({
    dedup_key = "zen-7"
    payload = {
      summary        = "CPU high"
      severity       = "info"
      source         = "win01"
      component      = "cpu"
      custom_details = { device_class = "/Server/Microsoft/Windows", load = 97.5 }
    }
  })`) +
		routeHCL("test_system", `event = {
    summary        = "x"
    custom_details = { device_class = "/Server/Linux", prod_state = "Test" }
  }`) +
		routeHCL("network", `event = {
    summary        = "link down"
    severity       = "critical"
    source         = "sw01"
    custom_details = { device_class = "/Network/Switch" }
  }`) + fmt.Sprintf(`
data "pdbridge_route" "inline" {
  transform = {
    rule = [{ label = "db", condition = "event.source matches part 'db'", route_to = %q }]
  }
  event = { summary = "s", severity = "info", source = "web01" }
}
`, f.unix)
	route := func(name string) string { return "data.pdbridge_route." + name }
	str := knownvalue.StringExact
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				// A plain rule: routed, payload unchanged.
				statecheck.ExpectKnownValue(route("linux"), tfjsonpath.New("rule"), str("unix")),
				statecheck.ExpectKnownValue(route("linux"), tfjsonpath.New("connector_id"), str(f.unix)),
				statecheck.ExpectKnownValue(route("linux"), tfjsonpath.New("service_id"), str(f.unixSvc)),
				statecheck.ExpectKnownValue(route("linux"), tfjsonpath.New("routed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(route("linux"), tfjsonpath.New("suppressed"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(route("linux"), tfjsonpath.New("dedup_key"), knownvalue.Null()),
				statecheck.ExpectKnownValue(route("linux"), tfjsonpath.New("payload_json"),
					str(`{"custom_details":{"device_class":"/Server/Linux"},"severity":"error","source":"lnx01","summary":"disk full"}`)),
				// Overrides render over the source event; details keep their JSON type.
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("rule"), str("windows")),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("connector_id"), str(f.windows)),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("suppressed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("priority"), str("P2")),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("dedup_key"), str("win01|cpu|info")),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("payload").AtMapKey("summary"), str("[/Server/Microsoft/Windows] CPU high")),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("payload").AtMapKey("severity"), str("warning")),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("payload").AtMapKey("custom_details"), knownvalue.MapExact(map[string]knownvalue.Check{
					"device_class": str("/Server/Microsoft/Windows"), "load": str("97.5"), "team": str("windows"),
				})),
				statecheck.ExpectKnownValue(route("windows"), tfjsonpath.New("payload_json"),
					str(`{"component":"cpu","custom_details":{"device_class":"/Server/Microsoft/Windows","load":97.5,"team":"windows"},"severity":"warning","source":"win01","summary":"[/Server/Microsoft/Windows] CPU high"}`)),
				// The first matching rule wins, even before the device-class rules.
				statecheck.ExpectKnownValue(route("test_system"), tfjsonpath.New("rule"), str("test systems")),
				statecheck.ExpectKnownValue(route("test_system"), tfjsonpath.New("dropped"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(route("test_system"), tfjsonpath.New("routed"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(route("test_system"), tfjsonpath.New("connector_id"), knownvalue.Null()),
				// Unmatched: the catch-all.
				statecheck.ExpectKnownValue(route("network"), tfjsonpath.New("rule"), str("catch_all")),
				statecheck.ExpectKnownValue(route("network"), tfjsonpath.New("connector_id"), str(f.other)),
				// Inline transform without a catch-all: nothing matched, not routed.
				statecheck.ExpectKnownValue(route("inline"), tfjsonpath.New("rule"), knownvalue.Null()),
				statecheck.ExpectKnownValue(route("inline"), tfjsonpath.New("routed"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(route("inline"), tfjsonpath.New("service_id"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccRouteDataSourceRejectsBadInput(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	inline := func(rule, event string) string {
		return f.providerConfig() + fmt.Sprintf(`
data "pdbridge_route" "r" {
  transform = {
    rule = [%s]
  }
  %s
}
`, rule, event)
	}
	okRule := fmt.Sprintf(`{ label = "unix", condition = %q, route_to = %q }`, condUnix, f.unix)
	okEvent := `event = { summary = "s", severity = "info", source = "h" }`
	for _, tc := range []struct{ name, config, want string }{
		{"bad condition", inline(okRule+`, { label = "x", condition = "event.source matches", route_to = "A/B" }`, okEvent),
			`(?s)Invalid Condition.*transform\.rule\[1\]\.condition: Rule "x": column 21`},
		{"bad template", inline(fmt.Sprintf(`{ label = "unix", condition = %q, route_to = %q, summary = "{{.Title}}" }`, condUnix, f.unix), okEvent),
			`(?s)Invalid Template.*transform\.rule\[0\]\.summary: Rule "unix": summary:1:2: the event has\s+no\s+field\s+\.Title`},
		{"event and event_json", inline(okRule, okEvent+"\n  event_json = \"{}\""), `(?s)Invalid Attribute Combination.*event`},
		{"neither event nor event_json", inline(okRule, ""), `(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured: \[event,event_json\]`},
		{"bad event_json", inline(okRule, `event_json = "[1, 2]"`), `(?s)Invalid Event JSON.*` + wrapped("event_json: Give an Events API v2 payload or event body as a JSON object: not a JSON object.")},
		{"template that cannot render this event", inline(fmt.Sprintf(`{ label = "unix", condition = "event.source exists", route_to = %q, summary = "{{.Details.site}}" }`, f.unix), okEvent),
			`(?s)Cannot Route The Event.*` + wrapped(`transform.rule[0].summary: The matching rule cannot produce an event PagerDuty accepts: rule[0] ("unix") summary:`) +
				`.*` + wrapped(`map has no entry for key "site"`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resource.UnitTest(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, ExpectError: regexp.MustCompile(tc.want)}},
			})
		})
	}
}

// The end-to-end test: the routing is applied with connectors and published
// into an orchestration; events sent to the orchestration's routing key land
// in the sandbox on the service pdbridge_route predicted for them.
func TestAccRoutingEndToEnd(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	orch := f.orchestration(t, "Zenoss")
	o, err := f.Client.GetOrchestration(context.Background(), orch)
	if err != nil || len(o.RoutingKeys) == 0 {
		t.Fatalf("orchestration %+v, %v", o, err)
	}
	samples := []struct{ name, class, wantService string }{
		{"linux", "/Server/Linux/RHEL", f.unixSvc},
		{"aix", "/Server/AIX", f.unixSvc},
		{"wmi", "/Server/Windows/WMI", f.windowsSvc},
		{"windows", "/Server/Microsoft/Windows", f.windowsSvc},
		{"network", "/Network/Switch/Cisco", f.otherSvc},
	}
	var config strings.Builder
	config.WriteString(f.providerConfig())
	for _, c := range []struct{ name, service string }{{"unix", f.unixSvc}, {"windows", f.windowsSvc}, {"other", f.otherSvc}} {
		fmt.Fprintf(&config, `
resource "pdbridge_connector" %q {
  name        = "Zenoss: %s"
  service_id  = %q
  source_kind = "zenoss"
}
`, c.name, c.name, c.service)
	}
	config.WriteString(transformHCL("zenoss", published(orch, "  catch_all {\n    route_to = pdbridge_connector.other.id\n  }"),
		tfRule{"unix", condUnix, "${pdbridge_connector.unix.id}", ""}, tfRule{"windows", condWindows, "${pdbridge_connector.windows.id}", ""}))
	for _, s := range samples {
		config.WriteString(routeHCL(s.name, fmt.Sprintf(`event = {
    summary        = "%s event"
    severity       = "critical"
    source         = "%s.example.com"
    custom_details = { device_class = %q }
  }`, s.name, s.name, s.class)))
	}

	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config.String(),
			Check: func(s *terraform.State) error {
				for _, sample := range samples {
					attrs := s.RootModule().Resources["data.pdbridge_route."+sample.name].Primary.Attributes
					if attrs["service_id"] != sample.wantService {
						return fmt.Errorf("%s: pdbridge_route predicts service %s (rule %q), want %s", sample.name, attrs["service_id"], attrs["rule"], sample.wantService)
					}
					rec, err := sendToOrchestration(f.URL, f.Server, o.RoutingKeys[0], "e2e-"+sample.name, attrs["payload_json"])
					if err != nil {
						return err
					}
					if rec.ServiceID != attrs["service_id"] || rec.Outcome != pdsandbox.OutcomeTriggered || rec.OrchestrationID != orch {
						return fmt.Errorf("%s: sent through the orchestration, the event landed on %q (%s), pdbridge_route predicted %s", sample.name, rec.ServiceID, rec.Outcome, attrs["service_id"])
					}
				}
				return nil
			},
		}},
	})
}

// wrapped matches text in Terraform's output, which wraps long lines.
func wrapped(text string) string {
	return strings.Join(strings.Fields(regexp.QuoteMeta(text)), `\s+`)
}

// sendToOrchestration sends a trigger with payload to the orchestration's
// routing key and returns what the sandbox did with it.
func sendToOrchestration(url string, sb *pdsandbox.Server, routingKey, dedupKey, payload string) (*pdsandbox.EventRecord, error) {
	body, err := json.Marshal(map[string]any{"routing_key": routingKey, "event_action": "trigger", "dedup_key": dedupKey, "payload": json.RawMessage(payload)})
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Post(url+"/v2/enqueue", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("event %s: Events API answered %d", dedupKey, resp.StatusCode)
	}
	if err := settle(sb); err != nil {
		return nil, err
	}
	for _, rec := range sb.Events() {
		if rec.DedupKey == dedupKey {
			return &rec, nil
		}
	}
	return nil, fmt.Errorf("event %s: not recorded by the sandbox", dedupKey)
}
