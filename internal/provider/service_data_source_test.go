package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccServiceDataSource(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	web := sb.service(t, "web")
	db := sb.service(t, "db")
	sb.service(t, "web-canary") // the name query matches substrings; the lookup must not
	w, err := sb.Client.CreateMaintenanceWindow(context.Background(), "kernel upgrade", time.Now().Add(-time.Minute), time.Now().Add(time.Hour), db.ID)
	if err != nil {
		t.Fatal(err)
	}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: sb.providerConfig() + fmt.Sprintf(`
data "pdbridge_service" "by_name" {
  name = "web"
}
data "pdbridge_service" "by_id" {
  id = %q
}`, db.ID),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.pdbridge_service.by_name", tfjsonpath.New("id"), knownvalue.StringExact(web.ID)),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_name", tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_name", tfjsonpath.New("in_maintenance"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_name", tfjsonpath.New("maintenance_windows"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_id", tfjsonpath.New("name"), knownvalue.StringExact("db")),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_id", tfjsonpath.New("status"), knownvalue.StringExact("maintenance")),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_id", tfjsonpath.New("in_maintenance"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_id", tfjsonpath.New("maintenance_windows").AtSliceIndex(0).AtMapKey("id"), knownvalue.StringExact(w.ID)),
					statecheck.ExpectKnownValue("data.pdbridge_service.by_id", tfjsonpath.New("maintenance_windows").AtSliceIndex(0).AtMapKey("description"), knownvalue.StringExact("kernel upgrade")),
				},
			},
		},
	})
}

func TestAccServiceDataSourceRejectsBadLookups(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	cfg := func(body string) string { return sb.providerConfig() + body }
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg(`data "pdbridge_service" "s" {}`), ExpectError: regexp.MustCompile(`(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured: \[id,name\]`)},
			{Config: cfg(`data "pdbridge_service" "s" {
  id   = "P1"
  name = "x"
}`), ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination`)},
			{Config: cfg(`data "pdbridge_service" "s" { id = "PNOSUCH" }`), ExpectError: regexp.MustCompile(`(?s)with data.pdbridge_service.s.*id.*No PagerDuty service has id "PNOSUCH"`)},
			{Config: cfg(`data "pdbridge_service" "s" { name = "nobody" }`), ExpectError: regexp.MustCompile(`(?s)name.*no PagerDuty service is named "nobody"`)},
		},
	})
}
