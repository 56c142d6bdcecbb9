package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// The ephemeral resource through plugin-testing, its result echoed into
// state. Every behaviour of the sync runs through it on Terraform before
// 1.14 in sync_scenarios_test.go.

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
