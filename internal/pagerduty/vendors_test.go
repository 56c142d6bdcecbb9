package pagerduty

import (
	"context"
	"errors"
	"testing"
)

func TestVendorsAreLookedUpByNameOnceAcrossEveryPage(t *testing.T) {
	sb, c := startSandbox(t)
	ctx := context.Background()
	sb.Faults().ResetCounts()
	v, err := c.VendorNamed(ctx, "zenoss") // on the last page, names compare ignoring case
	if err != nil || v.Name != "Zenoss" || v.ID == "" {
		t.Fatalf("VendorNamed(zenoss) = %+v, %v", v, err)
	}
	pages := sb.Faults().Count("GET /vendors")
	if pages < 2 {
		t.Fatalf("read %d pages of vendors; the sandbox lists more than one", pages)
	}
	if p, err := c.VendorNamed(ctx, "Prometheus"); err != nil || p.ID != "P1S0PW6" {
		t.Fatalf("VendorNamed(Prometheus) = %+v, %v", p, err)
	}
	if _, err := c.VendorNamed(ctx, "Nagios XI 2099"); !errors.Is(err, ErrNoSuchVendor) {
		t.Fatalf("unknown vendor: %v", err)
	}
	if n := sb.Faults().Count("GET /vendors"); n != pages {
		t.Fatalf("later lookups read the vendor list again (%d pages, then %d)", pages, n)
	}
}

func TestAnIntegrationMadeForAVendorNamesIt(t *testing.T) {
	sb, c := startSandbox(t)
	ctx := context.Background()
	svc, err := c.CreateService(ctx, "Monitoring", "", sb.DefaultEscalationPolicyID())
	if err != nil {
		t.Fatal(err)
	}
	made, err := c.CreateVendorIntegration(ctx, svc.ID, "Alertmanager", "P1S0PW6")
	if err != nil || made.Vendor == nil || made.Vendor.Name != "Prometheus" || len(made.IntegrationKey) != 32 {
		t.Fatalf("CreateVendorIntegration = %+v, %v", made, err)
	}
	got, err := c.GetIntegration(ctx, svc.ID, made.ID)
	if err != nil || got.Vendor == nil || got.Vendor.ID != "P1S0PW6" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	// Renaming keeps the type PagerDuty gave it (the vendor's), which it
	// would refuse to change.
	renamed, err := c.RenameIntegration(ctx, svc.ID, made.ID, "Alertmanager (prod)")
	if err != nil || renamed.Name != "Alertmanager (prod)" || renamed.Type != made.Type {
		t.Fatalf("RenameIntegration = %+v, %v", renamed, err)
	}
	// It is one of the service's integrations that take Events API v2 events.
	ints, err := c.ServiceEventsV2Integrations(ctx, svc.ID)
	if err != nil || len(ints) != 1 || ints[0].ID != made.ID {
		t.Fatalf("ServiceEventsV2Integrations = %+v, %v", ints, err)
	}
	generic, err := c.CreateEventsV2Integration(ctx, svc.ID, "generic")
	if err != nil || generic.Vendor != nil {
		t.Fatalf("generic integration %+v, %v", generic, err)
	}
}
