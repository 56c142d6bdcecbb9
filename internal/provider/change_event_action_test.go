package provider

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
)

const changeRoute = "POST /v2/change/enqueue"

func TestAccChangeEventActionPutsADeploymentOnTheServiceTimeline(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "checkout", `
action "pdbridge_change_event" "deployed" {
  config {
    routing_key = var.routing_key
    summary     = "Deployed checkout v42"
    source      = "github-actions"
    timestamp   = "2025-06-01T09:30:00-04:00"
    custom_details = {
      version = "v42"
      commit  = "9f2c1e0"
    }
    links  = [{ href = "https://ci.example.com/runs/42", text = "CI run" }]
    images = [{ src = "https://ci.example.com/badge.png" }]
  }
}
`)
	out, ok := f.invoke("pdbridge_change_event.deployed")
	if !ok {
		t.Fatal("the change event failed")
	}
	want := []string{"Sending a change event to " + f.URL + "/v2/change/enqueue.", `PagerDuty accepted the change event: status "success" (Change event processed).`}
	if got := progress(out, "pdbridge_change_event.deployed"); !reflect.DeepEqual(got, want) {
		t.Errorf("progress %q, want %q", got, want)
	}
	changes := f.ChangeEvents()
	if len(changes) != 1 {
		t.Fatalf("%d change events", len(changes))
	}
	ce := changes[0]
	if ce.ServiceID != f.svc.ID || ce.Summary != "Deployed checkout v42" || ce.Source != "github-actions" || ce.Timestamp != "2025-06-01T13:30:00Z" {
		t.Errorf("change event %+v", ce)
	}
	if !reflect.DeepEqual(ce.CustomDetails, map[string]any{"version": "v42", "commit": "9f2c1e0"}) {
		t.Errorf("custom details %v", ce.CustomDetails)
	}
	if !reflect.DeepEqual(ce.Links, []any{map[string]any{"href": "https://ci.example.com/runs/42", "text": "CI run"}}) ||
		!reflect.DeepEqual(ce.Images, []any{map[string]any{"src": "https://ci.example.com/badge.png"}}) {
		t.Errorf("links %v, images %v", ce.Links, ce.Images)
	}
	// A change event opens no incident.
	if len(f.Events()) != 0 {
		t.Error("the change event went to the alert events route")
	}
}

func TestChangeEventActionRejectsBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "rules")
	p := configuredActions(t, sb, nil)
	typ := p.actionType("pdbridge_change_event")
	cases := []struct {
		name  string
		attrs map[string]tftypes.Value
		at    []any
		want  string
	}{
		{"empty summary", map[string]tftypes.Value{"summary": tfString("")}, []any{"summary"}, "Missing Summary"},
		{"summary over 1024", map[string]tftypes.Value{"summary": tfString(strings.Repeat("s", 1025))}, []any{"summary"}, "Summary Too Long"},
		{"bad timestamp", map[string]tftypes.Value{"summary": tfString("s"), "timestamp": tfString("06/01/2025")}, []any{"timestamp"}, "Invalid Timestamp"},
		{"custom details a list", map[string]tftypes.Value{"summary": tfString("s"),
			"custom_details": tftypes.NewValue(tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.String}}, []tftypes.Value{tfString("x")})}, []any{"custom_details"}, "Invalid Custom Details"},
		{"empty link", map[string]tftypes.Value{"summary": tfString("s"), "links": tfObjectList(typ, "links", map[string]tftypes.Value{"href": tfString(" ")})}, []any{"links", 0, "href"}, "Missing Link"},
		{"image not https", map[string]tftypes.Value{"summary": tfString("s"), "images": tfObjectList(typ, "images",
			map[string]tftypes.Value{"src": tfString("https://ok.example.com/a.png")}, map[string]tftypes.Value{"src": tfString("badge.png")})}, []any{"images", 1, "src"}, "Invalid Image Source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.attrs["routing_key"] = tfString(key)
			// Refused at validation: Terraform never plans, let alone invokes.
			if d := errorDiagAt(t, p.validate("pdbridge_change_event", c.attrs), c.at...); d.Summary != c.want {
				t.Errorf("error %q, want %q", d.Summary, c.want)
			}
		})
	}
	if n := sb.Faults().Count(changeRoute); n != 0 {
		t.Errorf("%d change events reached PagerDuty", n)
	}
}

func TestAccChangeEventActionRetriesAThrottledEventAfterTheReset(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "throttled", `
action "pdbridge_change_event" "deployed" {
  config {
    routing_key = var.routing_key
    summary     = "Deployed"
  }
}
`)
	f.Faults().Set(fault.Faults{RoutePrefix: changeRoute, RateLimit: 1, RateLimitReset: time.Second})
	if _, ok := f.invoke("pdbridge_change_event.deployed"); !ok {
		t.Fatal("the throttled change event failed")
	}
	if at := f.arrivedAt(changeRoute); len(at) != 2 || at[1].Sub(at[0]) < time.Second {
		t.Errorf("requests at %v: want the retry at least the announced 1s after the 429", at)
	}
	if n := f.Faults().Count(changeRoute); n != 2 || len(f.ChangeEvents()) != 1 {
		t.Errorf("%d requests and %d change events, want 2 and 1", n, len(f.ChangeEvents()))
	}
}

func TestChangeEventActionSchema(t *testing.T) {
	t.Parallel()
	attrs := providerSchema(t).ActionSchemas["pdbridge_change_event"].Schema.Block.Attributes
	rk := attrs[indexOf(t, attrs, "routing_key")]
	if !rk.Required {
		t.Error("routing_key is optional")
	}
	if s := attrs[indexOf(t, attrs, "summary")]; !s.Required {
		t.Error("summary is optional; PagerDuty requires it on change events")
	}
}

// With Terraform 1.14 or later, every apply that changes the release marks
// the service's timeline.
func TestAccChangeEventActionAfterApply(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "deploys")
	config := func(version string) string {
		return sb.providerConfig() + fmt.Sprintf(`
resource "terraform_data" "release" {
  input = %[2]q
  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.pdbridge_change_event.deployed]
    }
  }
}

action "pdbridge_change_event" "deployed" {
  config {
    routing_key = %[1]q
    summary     = "Deployed ${terraform_data.release.input}"
    source      = "terraform"
  }
}
`, key, version)
	}
	deployed := func(want ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			var got []string
			for _, ce := range sb.ChangeEvents() {
				got = append(got, ce.Summary)
			}
			if !reflect.DeepEqual(got, want) {
				return fmt.Errorf("change events %v, want %v", got, want)
			}
			return nil
		}
	}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("v1"), Check: deployed("Deployed v1")},
			{Config: config("v2"), Check: deployed("Deployed v1", "Deployed v2")},
		},
	})
}
