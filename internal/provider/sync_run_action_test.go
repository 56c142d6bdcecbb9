package provider

import (
	"strings"
	"testing"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
)

// The action's own behaviour on Terraform 1.14: progress, failures as
// errors, dry runs and action_trigger. Every behaviour of the sync itself
// runs through the action in sync_scenarios_test.go.

func TestAccSyncRunActionReportsProgressAndFailsOnAFailedOperation(t *testing.T) {
	w := newSyncWorldWith(t, worldOptions{minTerraform: "1.14.0"})
	a, b := w.raise("web01", "Disk full"), w.raise("web02", "Load high")
	// PagerDuty's Events API answers 500 to every trigger: the job must go
	// red and say why, not skip the events quietly.
	w.pd.Faults().Set(fault.Faults{RoutePrefix: "POST /v2/enqueue", ServerErrors: 1 << 20})
	out, ok := w.tf.invoke("pdbridge_sync_run.zenoss")
	w.pd.Faults().Clear()
	if ok {
		t.Fatalf("the action succeeded although every trigger failed:\n%s", out)
	}
	_, diag, _ := strings.Cut(out, "Error: Error when invoking action")
	if n := strings.Count(diag, "- Sync Operation Failed: create_incident"); n != 2 {
		t.Errorf("%d failed-operation errors, want one for each of the 2 events:\n%s", n, out)
	}
	for _, id := range []string{a, b} {
		if !strings.Contains(diag, "sending the trigger for event "+id) && !strings.Contains(diag, id+": sending") {
			t.Errorf("no error names event %s:\n%s", id, diag)
		}
	}

	out, ok = w.tf.invoke("pdbridge_sync_run.zenoss")
	if !ok {
		t.Fatalf("the next run failed:\n%s", out)
	}
	lines := progress(out, "pdbridge_sync_run.zenoss")
	want := []string{"2 events: 2 operations to do", "create_incident: 2 done", "waiting up to", "link: 2 done", "Sync complete in 2 pass(es)"}
	next := 0
	for _, l := range lines {
		if next < len(want) && strings.Contains(l, want[next]) {
			next++
		}
	}
	if next != len(want) {
		t.Errorf("progress %q, want lines containing %q in that order", lines, want)
	}
	if n := len(w.incidents()); n != 2 {
		t.Errorf("%d incidents, want 2", n)
	}
}

func TestAccSyncRunActionDryRunChangesNothing(t *testing.T) {
	w := newSyncWorldWith(t, worldOptions{minTerraform: "1.14.0", extra: `
action "pdbridge_sync_run" "preview" {
  config {
    settings = pdbridge_sync_settings.zenoss
    dry_run  = true
  }
}
`})
	id := w.raise("web01", "Disk full")
	out, ok := w.tf.invoke("pdbridge_sync_run.preview")
	if !ok {
		t.Fatalf("dry run failed:\n%s", out)
	}
	lines := progress(out, "pdbridge_sync_run.preview")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "would create_incident: ") || lines[1] != "Dry run: 1 operations pending." {
		t.Errorf("progress %q, want the trigger it would send and the count", lines)
	}
	if n := len(w.pd.Events()); n != 0 {
		t.Errorf("a dry run sent %d events", n)
	}
	if e := w.event(id); len(e.Log) != 0 || len(e.Details["pdbridge.incident_id"]) != 0 {
		t.Errorf("a dry run wrote to the event: %+v", e)
	}
}

func TestAccSyncRunActionFromActionTrigger(t *testing.T) {
	w := newSyncWorldWith(t, worldOptions{minTerraform: "1.14.0", extra: `
variable "release" {
  type    = string
  default = "v1"
}

# Every deployment (a change of var.release) runs a sync when it is applied.
resource "terraform_data" "release" {
  input = var.release
  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.pdbridge_sync_run.zenoss]
    }
  }
}
`})
	id := w.raise("web01", "Disk full")
	out := w.tf.mustRun("apply", "-auto-approve", "-input=false", "-var", "release=v2")
	if !strings.Contains(out, "Action action.pdbridge_sync_run.zenoss (triggered by terraform_data.release)") {
		t.Errorf("the apply did not run the action from the trigger:\n%s", out)
	}
	if inc := w.incidentOf(id); inc.ServiceID != w.service {
		t.Errorf("incident %+v", inc)
	}
}
