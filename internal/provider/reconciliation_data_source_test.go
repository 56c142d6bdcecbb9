package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

func (f *syncFixture) raise(t *testing.T, device, class, summary string) string {
	t.Helper()
	id := f.zs.AddEvent(zsandbox.Occurrence{Device: device, DeviceClass: class, Summary: summary, Severity: zsandbox.SeverityCritical})
	if id == "" {
		t.Fatal("the Zenoss sandbox dropped the event")
	}
	return id
}

const reconciliationBlock = `
data "pdbridge_reconciliation" "zenoss" {
  settings  = pdbridge_sync_settings.zenoss
  max_items = 1
}
`

func TestAccReconciliationShowsWhatARunWouldDo(t *testing.T) {
	f := startSyncFixture(t)
	f.raise(t, "web01", "/Server/Linux", "Disk full")
	f.raise(t, "web02", "/Server/Linux", "Load high")
	f.raise(t, "dc01", "/Server/Windows", "Dropped by the catch-all")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: f.syncConfig("") + reconciliationBlock,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.pdbridge_reconciliation.zenoss", tfjsonpath.New("in_sync"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("data.pdbridge_reconciliation.zenoss", tfjsonpath.New("pending_operations"), knownvalue.Int64Exact(2)),
				statecheck.ExpectKnownValue("data.pdbridge_reconciliation.zenoss", tfjsonpath.New("counts"), knownvalue.MapExact(map[string]knownvalue.Check{
					"create_incident": knownvalue.Int64Exact(2)})),
				statecheck.ExpectKnownValue("data.pdbridge_reconciliation.zenoss", tfjsonpath.New("truncated"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.pdbridge_reconciliation.zenoss", tfjsonpath.New("operations"), knownvalue.ListSizeExact(1)),
				statecheck.ExpectKnownValue("data.pdbridge_reconciliation.zenoss", tfjsonpath.New("skipped").AtMapKey("dropped_by_routing"), knownvalue.Int64Exact(1)),
			},
			// The data source writes nothing.
			Check: func(*terraform.State) error {
				if n := len(f.Server.Events()); n != 0 {
					return fmt.Errorf("the reconciliation sent %d events", n)
				}
				for _, e := range f.zs.Events() {
					if len(e.Log) != 0 {
						return fmt.Errorf("the reconciliation wrote to event %s: %+v", e.Evid, e.Log)
					}
				}
				return nil
			},
		}},
	})
}

// A postcondition on the data source fails the plan while the two sides
// disagree (a check block with the same condition only warns).
func TestAccPostconditionFailsWhenOutOfSync(t *testing.T) {
	f := startSyncFixture(t)
	f.raise(t, "web01", "/Server/Linux", "Disk full")
	guard := `
data "pdbridge_reconciliation" "zenoss" {
  settings = pdbridge_sync_settings.zenoss
  lifecycle {
    postcondition {
      condition     = self.in_sync
      error_message = "Zenoss and PagerDuty disagree (${self.pending_operations} operations pending): run the sync."
    }
  }
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: f.syncConfig(""), Check: func(*terraform.State) error { return nil }},
			{Config: f.syncConfig("") + guard, PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)Zenoss and PagerDuty disagree \(1 operations pending\): run the sync`)},
		},
	})
}

func TestAccSyncRunEphemeralSyncsOnTerraform110(t *testing.T) {
	f := startSyncFixture(t)
	id := f.raise(t, "web01", "/Server/Linux", "Disk full")
	run := func(dry string) string {
		return f.syncConfig("") + fmt.Sprintf(`
ephemeral "pdbridge_sync_run" "zenoss" {
  settings = pdbridge_sync_settings.zenoss
  %s
}

provider "echo" {
  data = ephemeral.pdbridge_sync_run.zenoss
}

resource "echo" "run" {}
`, dry)
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			// By default a run changes nothing: it says what it would do.
			Config: run(""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.run", tfjsonpath.New("data").AtMapKey("counts"), knownvalue.MapExact(map[string]knownvalue.Check{"planned": knownvalue.Int64Exact(1)})),
				statecheck.ExpectKnownValue("echo.run", tfjsonpath.New("data").AtMapKey("operations").AtSliceIndex(0).AtMapKey("kind"), knownvalue.StringExact("create_incident")),
			},
			Check: func(*terraform.State) error {
				if n := len(f.Server.Events()); n != 0 {
					return fmt.Errorf("a dry run sent %d events", n)
				}
				return nil
			},
		}, {
			Config: run("dry_run = false"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.run", tfjsonpath.New("data").AtMapKey("errors"), knownvalue.ListSizeExact(0)),
			},
			Check: func(*terraform.State) error {
				ev, ok := f.zs.Event(id)
				if !ok {
					return fmt.Errorf("event %s is gone", id)
				}
				incID := ev.Details["pdbridge.incident_id"]
				if len(incID) == 0 || incID[0] == "" {
					return fmt.Errorf("the run left no incident reference on the event: %v", ev.Details)
				}
				inc, err := f.Client.GetIncident(context.Background(), incID[0])
				if err != nil || inc.ServiceID != f.service || inc.Title != "Disk full" {
					return fmt.Errorf("incident %+v, %v", inc, err)
				}
				list, err := f.Client.ListIncidents(context.Background(), pagerduty.IncidentFilter{AllDates: true})
				if err != nil || len(list) != 1 {
					return fmt.Errorf("%d incidents after runs at plan and apply, want 1 (%v)", len(list), err)
				}
				return nil
			},
		}},
	})
}
