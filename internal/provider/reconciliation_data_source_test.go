package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

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

// A check block only warns: the plan succeeds and says how far apart the
// two sides are, until a sync brings them together.
func TestAccReconciliationCheckBlockWarnsWhileOutOfSync(t *testing.T) {
	w := newSyncWorldWith(t, worldOptions{extra: `
check "zenoss_in_sync" {
  data "pdbridge_reconciliation" "zenoss" {
    settings = pdbridge_sync_settings.zenoss
  }

  assert {
    condition     = data.pdbridge_reconciliation.zenoss.in_sync
    error_message = "Zenoss and PagerDuty disagree (${data.pdbridge_reconciliation.zenoss.pending_operations} operations pending): run the sync."
  }
}
`})
	warning := "Zenoss and PagerDuty disagree (1 operations pending): run the sync."
	if out := w.tf.mustRun("plan", "-input=false"); strings.Contains(out, "Check block assertion failed") {
		t.Fatalf("the check warned with nothing to sync:\n%s", out)
	}
	w.raise("web01", "Disk full")
	out := w.tf.mustRun("plan", "-input=false")
	if !strings.Contains(out, "Warning: Check block assertion failed") || !strings.Contains(strings.Join(strings.Fields(out), " "), warning) {
		t.Errorf("plan with an unsynced event, want the check's warning %q:\n%s", warning, out)
	}
	w.syncOnce()
	if out := w.tf.mustRun("plan", "-input=false"); strings.Contains(out, "Check block assertion failed") {
		t.Errorf("the check still warns after the sync:\n%s", out)
	}
}
