package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
)

func connectorConfig(sb *sandbox, serviceID, name, kind string) string {
	return sb.providerConfig() + fmt.Sprintf(`
resource "pdbridge_connector" "unix" {
  name        = %q
  service_id  = %q
  source_kind = %q
}
`, name, serviceID, kind)
}

// importBlock imports an integration into pdbridge_connector.unix.
func importBlock(serviceID, integrationID string) string {
	return fmt.Sprintf(`
import {
  to = pdbridge_connector.unix
  id = "%s/%s"
}`, serviceID, integrationID)
}

// integrationWrites counts the sandbox's integration writes so far.
func integrationWrites(sb *sandbox) int {
	f := sb.Faults()
	return f.Count("POST /services/{id}/integrations") + f.Count("PUT /services/{id}/integrations/{integration_id}") +
		f.Count("DELETE /services/{id}/integrations/{integration_id}")
}

// keyOf reads an integration's routing key from PagerDuty.
func keyOf(t *testing.T, sb *sandbox, serviceID, integrationID string) string {
	t.Helper()
	i, err := sb.Client.GetIntegration(context.Background(), serviceID, integrationID)
	if err != nil {
		t.Fatal(err)
	}
	return i.IntegrationKey
}

// captureIDs records the connector's ids from state, for out-of-band changes.
func captureIDs(serviceID, integrationID *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources["pdbridge_connector.unix"]
		if !ok {
			return fmt.Errorf("pdbridge_connector.unix not in state")
		}
		*serviceID, *integrationID = rs.Primary.Attributes["service_id"], rs.Primary.Attributes["integration_id"]
		return nil
	}
}

func TestAccConnectorLifecycle(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "Unix team")
	var serviceID, integrationID string
	ctx := context.Background()
	var keyBefore string

	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{ // create
				Config: connectorConfig(sb, svc.ID, "Zenoss: Unix team", "zenoss"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("pdbridge_connector.unix", tfjsonpath.New("name"), knownvalue.StringExact("Zenoss: Unix team")),
					statecheck.ExpectKnownValue("pdbridge_connector.unix", tfjsonpath.New("integration_key"), knownvalue.StringRegexp(regexp.MustCompile(`^[a-z0-9]{32}$`))),
					statecheck.ExpectKnownValue("pdbridge_connector.unix", tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile("^"+svc.ID+"/P[A-Z0-9]+$"))),
					statecheck.ExpectKnownValue("pdbridge_connector.unix", tfjsonpath.New("events_url"), knownvalue.StringExact(sb.URL+"/v2/enqueue")),
				},
				Check: resource.ComposeTestCheckFunc(
					captureIDs(&serviceID, &integrationID),
					func(*terraform.State) error {
						i, err := sb.Client.GetIntegration(ctx, serviceID, integrationID)
						if err != nil {
							return err
						}
						if i.Name != "Zenoss: Unix team" || i.Type != "events_api_v2_inbound_integration" || i.Vendor == nil || i.Vendor.Name != "Zenoss" {
							return fmt.Errorf("integration in PagerDuty: %+v", i)
						}
						return nil
					},
				),
			},
			{ // rename in place, same integration and key
				Config: connectorConfig(sb, svc.ID, "Zenoss: Unix and AIX", "zenoss"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pdbridge_connector.unix", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					i, err := sb.Client.GetIntegration(ctx, serviceID, integrationID)
					if err != nil || i.Name != "Zenoss: Unix and AIX" {
						return fmt.Errorf("after rename: %+v, %v", i, err)
					}
					return nil
				},
			},
			{ // import by SERVICE_ID/INTEGRATION_ID: source_kind comes back from the vendor
				ResourceName:      "pdbridge_connector.unix",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{ // PagerDuty keeps source_kind as the vendor, which cannot change: the plan says replace
				PreConfig: func() { keyBefore = keyOf(t, sb, serviceID, integrationID) },
				Config:    connectorConfig(sb, svc.ID, "Zenoss: Unix and AIX", "generic"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pdbridge_connector.unix", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectUnknownValue("pdbridge_connector.unix", tfjsonpath.New("integration_key")),
				}},
				Check: func(s *terraform.State) error {
					old := integrationID
					if err := captureIDs(&serviceID, &integrationID)(s); err != nil {
						return err
					}
					if _, err := sb.Client.GetIntegration(ctx, serviceID, old); err == nil {
						return fmt.Errorf("replaced integration %s still exists", old)
					}
					i, err := sb.Client.GetIntegration(ctx, serviceID, integrationID)
					if err != nil || i.Vendor != nil || i.IntegrationKey == keyBefore {
						return fmt.Errorf("new generic integration %+v (old key %s), %v", i, keyBefore, err)
					}
					return nil
				},
			},
			{ // and a generic connector imports as generic
				ResourceName:      "pdbridge_connector.unix",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{ // renamed behind Terraform's back: plan an update that restores the name
				PreConfig: func() {
					if _, err := sb.Client.RenameIntegration(ctx, serviceID, integrationID, "renamed in the UI"); err != nil {
						t.Fatal(err)
					}
				},
				Config: connectorConfig(sb, svc.ID, "Zenoss: Unix and AIX", "generic"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pdbridge_connector.unix", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					i, err := sb.Client.GetIntegration(ctx, serviceID, integrationID)
					if err != nil || i.Name != "Zenoss: Unix and AIX" {
						return fmt.Errorf("name not restored: %+v, %v", i, err)
					}
					return nil
				},
			},
			{ // deleted behind Terraform's back: plan a create
				PreConfig: func() {
					if err := sb.Client.DeleteIntegration(ctx, serviceID, integrationID); err != nil {
						t.Fatal(err)
					}
				},
				Config: connectorConfig(sb, svc.ID, "Zenoss: Unix and AIX", "generic"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pdbridge_connector.unix", plancheck.ResourceActionCreate),
				}},
				Check: func(s *terraform.State) error {
					old := integrationID
					if err := captureIDs(&serviceID, &integrationID)(s); err != nil {
						return err
					}
					if integrationID == old {
						return fmt.Errorf("integration %s was not recreated", old)
					}
					_, err := sb.Client.GetIntegration(ctx, serviceID, integrationID)
					return err
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if _, err := sb.Client.GetIntegration(ctx, serviceID, integrationID); err == nil {
				return fmt.Errorf("integration %s still exists after destroy", integrationID)
			}
			return nil
		},
	})
}

func TestAccConnectorMovesToAnotherService(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	a, b := sb.service(t, "A"), sb.service(t, "B")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: connectorConfig(sb, a.ID, "c", "icinga2")},
			{
				Config: connectorConfig(sb, b.ID, "c", "icinga2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pdbridge_connector.unix", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("pdbridge_connector.unix", tfjsonpath.New("service_id"), knownvalue.StringExact(b.ID)),
				},
			},
		},
	})
}

func TestAccConnectorRejectsBadInput(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "bad input")
	step := func(config, want string) resource.TestStep {
		return resource.TestStep{Config: config, ExpectError: regexp.MustCompile(want)}
	}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step(connectorConfig(sb, svc.ID, "x", "nagios"), `(?s)source_kind.*value must be one of`),
			step(connectorConfig(sb, svc.ID, "", "zenoss"), `(?s)name.*string length must be between 1 and 255`),
			step(connectorConfig(sb, "PNOSUCH", "x", "zenoss"), `(?s)service_id.*No PagerDuty service has id "PNOSUCH"`),
		},
	})
}

func TestAccConnectorImportRejectsOtherIDForms(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "import")
	for _, id := range []string{"PINT1", svc.ID + ".PINT1", svc.ID + "/PINT1/extra", "/PINT1"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			resource.UnitTest(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:        connectorConfig(sb, svc.ID, "x", "zenoss"),
					ResourceName:  "pdbridge_connector.unix",
					ImportState:   true,
					ImportStateId: id,
					ExpectError:   regexp.MustCompile(`(?s)Unexpected Format of ID.*SERVICE_ID/INTEGRATION_ID`),
				}},
			})
		})
	}
}

// keyFrom checks an export that carries the connector's integration key.
func keyFrom(attr, format string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a := s.RootModule().Resources["pdbridge_connector.unix"].Primary.Attributes
		key := a["integration_key"]
		if len(key) != 32 {
			return fmt.Errorf("integration_key %q", key)
		}
		if want := fmt.Sprintf(format, key); a[attr] != want {
			return fmt.Errorf("%s = %q, want %q", attr, a[attr], want)
		}
		return nil
	}
}

func TestAccConnectorExportsWhatEachPushSourceNeeds(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "Push sources")
	const c = "pdbridge_connector.unix"
	at := func(attr string, more ...string) tfjsonpath.Path {
		p := tfjsonpath.New(attr)
		for _, m := range more {
			p = p.AtMapKey(m)
		}
		return p
	}
	enqueue := sb.URL + "/v2/enqueue"
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{ // Kibana: known at plan, except the secret of an integration not created yet
				Config: connectorConfig(sb, svc.ID, "Kibana alerts", "kibana"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(c, at("kibana", "connector_type_id"), knownvalue.StringExact(".pagerduty")),
					plancheck.ExpectKnownValue(c, at("kibana", "config"), knownvalue.StringExact(`{"apiUrl":"`+enqueue+`"}`)),
					plancheck.ExpectUnknownValue(c, at("kibana", "secrets")),
					plancheck.ExpectKnownValue(c, at("rudderstack"), knownvalue.Null()),
					plancheck.ExpectKnownValue(c, at("device42"), knownvalue.Null()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(c, at("kibana", "api_url"), knownvalue.StringExact(enqueue)),
				},
				Check: keyFrom("kibana.secrets", `{"routingKey":"%s"}`),
			},
			{ // Changing source_kind re-plans the exports; the vendor changes, so a new integration (and key)
				Config: connectorConfig(sb, svc.ID, "Kibana alerts", "rudderstack"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(c, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue(c, at("kibana"), knownvalue.Null()),
					plancheck.ExpectUnknownValue(c, at("rudderstack", "routing_key")),
					plancheck.ExpectKnownValue(c, at("rudderstack", "dedup_key_field_identifier"), knownvalue.StringExact("properties.dedupKey")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(c, at("rudderstack", "alert_event_mapping"), knownvalue.MapPartial(map[string]knownvalue.Check{
						"event":               knownvalue.StringExact("payload.summary"),
						"properties.dedupKey": knownvalue.StringExact("dedup_key"),
						"properties.action":   knownvalue.StringExact("event_action"),
						"properties.severity": knownvalue.StringExact("payload.severity"),
						"properties.linkURLs": knownvalue.StringExact("links"),
					})),
					statecheck.ExpectKnownValue(c, at("rudderstack", "change_event_mapping"), knownvalue.MapSizeExact(6)),
				},
				Check: resource.ComposeTestCheckFunc(
					keyFrom("rudderstack.routing_key", "%s"),
					keyFrom("rudderstack.destination_config", `{"routingKey":"%s","dedupKeyFieldIdentifier":"properties.dedupKey"}`),
				),
			},
			{ // No perpetual diff
				Config:           connectorConfig(sb, svc.ID, "Kibana alerts", "rudderstack"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config: connectorConfig(sb, svc.ID, "Kibana alerts", "device42"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(c, at("device42", "integration_type"), knownvalue.StringExact("PagerDuty")),
					statecheck.ExpectKnownValue(c, at("device42", "url"), knownvalue.StringExact(enqueue)),
					statecheck.ExpectKnownValue(c, at("rudderstack"), knownvalue.Null()),
				},
				Check: keyFrom("device42.integration_key", "%s"),
			},
			{ // Imported, the connector gets its source_kind back from the vendor, and with it its exports
				ResourceName:      c,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{ // Sensitive parts stay sensitive: Terraform refuses to output them unmarked
				Config: connectorConfig(sb, svc.ID, "Kibana alerts", "device42") + `
output "key" {
  value = pdbridge_connector.unix.device42.integration_key
}`,
				ExpectError: regexp.MustCompile(`Output refers to sensitive values`),
			},
		},
	})
}

func TestAccConnectorImportedGetsItsExportsOnTheFirstApply(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "Imported")
	i, err := sb.Client.CreateEventsV2Integration(context.Background(), svc.ID, "Device42 alerts")
	if err != nil {
		t.Fatal(err)
	}
	const c = "pdbridge_connector.unix"
	var writesBefore int
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: connectorConfig(sb, svc.ID, "Device42 alerts", "device42") + importBlock(svc.ID, i.ID),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(c, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(c, tfjsonpath.New("device42").AtMapKey("url"), knownvalue.StringExact(sb.URL+"/v2/enqueue")),
				plancheck.ExpectKnownValue(c, tfjsonpath.New("device42").AtMapKey("integration_key"), knownvalue.StringExact(i.IntegrationKey)),
			}},
			// Made without a vendor, it keeps its key: the kind changes in state only.
			PreConfig: func() { writesBefore = integrationWrites(sb) },
			Check: resource.ComposeTestCheckFunc(
				keyFrom("device42.integration_key", "%s"),
				func(*terraform.State) error {
					if n := integrationWrites(sb) - writesBefore; n != 0 {
						return fmt.Errorf("%d integration writes for a source_kind change, want 0", n)
					}
					return nil
				},
			),
		}},
	})
}

func TestConnectorExportsMarkSecretsSensitive(t *testing.T) {
	t.Parallel()
	attrs := providerSchema(t).ResourceSchemas["pdbridge_connector"].Block.Attributes
	want := map[string][]string{"kibana": {"secrets"}, "rudderstack": {"routing_key", "destination_config"}, "device42": {"integration_key"}}
	for obj, secrets := range want {
		a := attrs[indexOf(t, attrs, obj)]
		if !a.Computed || a.NestedType == nil {
			t.Fatalf("%s is not a computed nested object", obj)
		}
		for _, n := range a.NestedType.Attributes {
			if sensitive := slices.Contains(secrets, n.Name); n.Sensitive != sensitive {
				t.Errorf("%s.%s sensitive = %v, want %v", obj, n.Name, n.Sensitive, sensitive)
			}
		}
	}
}

// A connector made by pdbridge, forgotten by Terraform (as when another
// workspace adopts it) and imported again, plans no change: PagerDuty gives
// back everything the configuration says, source_kind included.
func TestAccConnectorImportThenPlanIsEmpty(t *testing.T) {
	for _, kind := range []string{"zenoss", "alertmanager", "kibana", "generic"} {
		t.Run(kind, func(t *testing.T) {
			sb := startSandbox(t)
			svc := sb.service(t, "import "+kind)
			config := connectorConfig(sb, svc.ID, "Imported "+kind, kind)
			var id string
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config: config,
						Check: func(s *terraform.State) error {
							id = s.RootModule().Resources["pdbridge_connector.unix"].Primary.ID
							return nil
						},
					},
					{ // forget it, keeping the integration
						Config: sb.providerConfig() + `
removed {
  from = pdbridge_connector.unix
  lifecycle {
    destroy = false
  }
}`,
					},
					{
						Config:             config,
						ResourceName:       "pdbridge_connector.unix",
						ImportState:        true,
						ImportStateIdFunc:  func(*terraform.State) (string, error) { return id, nil },
						ImportStatePersist: true,
					},
					{
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectEmptyPlan(),
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("pdbridge_connector.unix", tfjsonpath.New("source_kind"), knownvalue.StringExact(kind)),
							statecheck.ExpectKnownValue("pdbridge_connector.unix", tfjsonpath.New("id"), knownvalue.StringFunc(func(v string) error {
								if v != id {
									return fmt.Errorf("id %s, want the imported %s", v, id)
								}
								return nil
							})),
						},
					},
				},
			})
		})
	}
}

// An integration made outside pdbridge for a vendor (here Prometheus, which
// marks alertmanager connectors) imports as that kind and keeps its key; as
// any other kind it would be another integration, and the plan says replace.
func TestAccConnectorImportKeepsTheVendorsKind(t *testing.T) {
	sb := startSandbox(t)
	svc := sb.service(t, "Prometheus integration")
	i, err := sb.Client.CreateVendorIntegration(context.Background(), svc.ID, "Alertmanager", "P1S0PW6")
	if err != nil {
		t.Fatal(err)
	}
	const c = "pdbridge_connector.unix"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: connectorConfig(sb, svc.ID, "Alertmanager", "alertmanager") + importBlock(svc.ID, i.ID),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(c, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(c, tfjsonpath.New("integration_key"), knownvalue.StringExact(i.IntegrationKey)),
				},
			},
			{
				Config: connectorConfig(sb, svc.ID, "Alertmanager", "zenoss"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(c, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: func(s *terraform.State) error {
					a := s.RootModule().Resources[c].Primary.Attributes
					got, err := sb.Client.GetIntegration(context.Background(), svc.ID, a["integration_id"])
					if err != nil || got.Vendor == nil || got.Vendor.Name != "Zenoss" || got.IntegrationKey == i.IntegrationKey {
						return fmt.Errorf("replacement %+v, %v", got, err)
					}
					if _, err := sb.Client.GetIntegration(context.Background(), svc.ID, i.ID); err == nil {
						return fmt.Errorf("the Prometheus integration %s is still there", i.ID)
					}
					return nil
				},
			},
		},
	})
}

// Terraform refreshes every connector in a plan; connectors on one service
// share one read of it.
func TestAccConnectorPlanReadsEachServiceOnce(t *testing.T) {
	sb := startSandbox(t)
	a, b := sb.service(t, "plan cost A"), sb.service(t, "plan cost B")
	config := sb.providerConfig() + fmt.Sprintf(`
locals {
  services = [%q, %q]
}
resource "pdbridge_connector" "c" {
  count       = 6
  name        = "connector ${count.index}"
  service_id  = local.services[count.index %% 2]
  source_kind = "zenoss"
}
`, a.ID, b.ID)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{ // plugin-testing plans twice here; only the second refreshes
				PreConfig: func() { sb.Faults().ResetCounts() },
				Config:    config,
				PlanOnly:  true,
			},
			{
				PreConfig: func() {
					counts := sb.Faults().Counts()
					if counts["GET /services/{id}"] != 2 || sb.Faults().Total() != 2 {
						t.Errorf("a plan over 6 connectors on 2 services made %v, want one read per service", counts)
					}
				},
				Config:   config,
				PlanOnly: true,
			},
		},
	})
}

// When the token may not read PagerDuty's vendor list, a connector is made
// without a vendor: it works, its source_kind stays in state, and the next
// plan is empty. Other failures to read the list fail the create.
func TestAccConnectorWithoutAReadableVendorList(t *testing.T) {
	sb := startSandbox(t)
	svc := sb.service(t, "no vendors")
	const c = "pdbridge_connector.unix"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					sb.Faults().Set(fault.Faults{RoutePrefix: "GET /vendors", ServerErrors: 100, ServerErrorStatus: 503})
				},
				Config:      connectorConfig(sb, svc.ID, "Zenoss", "zenoss"),
				ExpectError: regexp.MustCompile(`(?s)Unable to look up PagerDuty's vendor "Zenoss".*503`),
			},
			{
				PreConfig: func() {
					sb.Faults().Set(fault.Faults{RoutePrefix: "GET /vendors", ServerErrors: 100, ServerErrorStatus: 403})
				},
				Config: connectorConfig(sb, svc.ID, "Zenoss", "zenoss"),
				Check: func(s *terraform.State) error {
					a := s.RootModule().Resources[c].Primary.Attributes
					i, err := sb.Client.GetIntegration(context.Background(), svc.ID, a["integration_id"])
					if err != nil || i.Vendor != nil || a["source_kind"] != "zenoss" {
						return fmt.Errorf("integration %+v, %v; source_kind %q", i, err, a["source_kind"])
					}
					return nil
				},
			},
			{
				PreConfig: func() { sb.Faults().Clear() },
				Config:    connectorConfig(sb, svc.ID, "Zenoss", "zenoss"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}
