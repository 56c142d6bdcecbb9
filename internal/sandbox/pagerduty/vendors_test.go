package pagerduty

import (
	"context"
	"fmt"
	"strings"
	"testing"

	pd "github.com/PagerDuty/go-pagerduty"
)

// objects returns the objects of a list in a response body.
func objects(body map[string]any, key string) []map[string]any {
	list, _ := body[key].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

func TestVendorsArePagedAndFilteredByName(t *testing.T) {
	e := newEnv(t)
	var names []string
	for offset := 0; ; offset += 100 {
		page := e.raw.want(200, "GET", fmt.Sprintf("/vendors?limit=500&offset=%d", offset), nil, nil)
		if page["limit"] != float64(100) {
			t.Fatalf("limit %v: PagerDuty caps it at 100", page["limit"])
		}
		for _, v := range objects(page, "vendors") {
			names = append(names, str(v, "name"))
		}
		if page["more"] != true {
			break
		}
	}
	if len(names) != len(vendorList) || len(names) <= 100 {
		t.Fatalf("paged through %d vendors, want all %d (more than one page)", len(names), len(vendorList))
	}
	got := objects(e.raw.want(200, "GET", "/vendors?query=ELASTIC", nil, nil), "vendors")
	if len(got) != 1 || str(got[0], "id") != "PULN1LU" {
		t.Fatalf("query=ELASTIC found %v", got)
	}
	e.raw.want(400, "GET", "/vendors?offset=9950&limit=100", nil, nil) // offset+limit > 10,000
}

func TestIntegrationsMadeForAVendorNameItAndTakeItsType(t *testing.T) {
	e := newEnv(t)
	svc, _ := e.service("vendors")
	create := func(status int, integration map[string]any) map[string]any {
		t.Helper()
		return obj(e.raw.want(status, "POST", "/services/"+svc+"/integrations", map[string]any{"integration": integration}, nil), "integration")
	}
	in := create(201, map[string]any{"type": "events_api_v2_inbound_integration", "name": "am",
		"vendor": map[string]any{"id": "P1S0PW6", "type": "vendor_reference"}})
	if in["type"] != "generic_events_api_inbound_integration" || len(str(in, "integration_key")) != 32 {
		t.Fatalf("made for Prometheus: %v", in)
	}
	ref := obj(in, "vendor")
	if ref["id"] != "P1S0PW6" || ref["type"] != "vendor_reference" || ref["summary"] != "Prometheus" || !strings.HasSuffix(str(ref, "self"), "/vendors/P1S0PW6") {
		t.Fatalf("vendor reference %v", ref)
	}
	// Read back, alone and with its service, it still names the vendor.
	got, err := e.client.GetIntegrationWithContext(context.Background(), svc, str(in, "id"), pd.GetIntegrationOptions{})
	if err != nil || got.Vendor == nil || got.Vendor.Summary != "Prometheus" {
		t.Fatalf("GetIntegration = %+v, %v", got, err)
	}
	full, err := e.client.GetServiceWithContext(context.Background(), svc, &pd.GetServiceOptions{Includes: []string{"integrations"}})
	if err != nil || len(full.Integrations) != 2 || full.Integrations[1].Vendor == nil || full.Integrations[1].Vendor.ID != "P1S0PW6" {
		t.Fatalf("service with integrations = %+v, %v", full, err)
	}
	// The official provider sends the reference type "vendor"; PagerDuty takes it.
	create(201, map[string]any{"type": "events_api_v2_inbound_integration", "vendor": map[string]any{"id": "PVND0001", "type": "vendor"}})

	for name, v := range map[string]any{
		"an unknown vendor":      map[string]any{"id": "PNOSUCH", "type": "vendor_reference"},
		"another reference type": map[string]any{"id": "P1S0PW6", "type": "service_reference"},
		"not a reference":        "P1S0PW6",
	} {
		t.Run(name, func(t *testing.T) {
			create(400, map[string]any{"type": "events_api_v2_inbound_integration", "vendor": v})
		})
	}
	// A Custom Event Transformer needs a vendor.
	if got := e.raw.want(400, "POST", "/services/"+svc+"/integrations", map[string]any{"integration": map[string]any{
		"type": "event_transformer_api_inbound_integration"}}, nil); !strings.Contains(fmt.Sprint(got), "Vendor can't be blank") {
		t.Fatalf("transformer without vendor: %v", got)
	}
	create(201, map[string]any{"type": "event_transformer_api_inbound_integration", "vendor": map[string]any{"id": "PZQ6AUS", "type": "vendor_reference"}})
}

func TestAnIntegrationsVendorCannotChange(t *testing.T) {
	e := newEnv(t)
	svc, _ := e.service("vendor change")
	in := obj(e.raw.want(201, "POST", "/services/"+svc+"/integrations", map[string]any{"integration": map[string]any{
		"type": "events_api_v2_inbound_integration", "name": "zenoss", "vendor": map[string]any{"id": "PVND0001", "type": "vendor_reference"}}}, nil), "integration")
	path := "/services/" + svc + "/integrations/" + str(in, "id")
	for name, v := range map[string]any{
		"to another vendor": map[string]any{"id": "P1S0PW6", "type": "vendor_reference"},
		"to an unknown one": map[string]any{"id": "PNOSUCH", "type": "vendor_reference"},
	} {
		t.Run(name, func(t *testing.T) {
			e.raw.want(400, "PUT", path, map[string]any{"integration": map[string]any{"name": "x", "vendor": v}}, nil)
		})
	}
	// go-pagerduty sends the whole integration back, vendor included.
	got, err := e.client.GetIntegrationWithContext(context.Background(), svc, str(in, "id"), pd.GetIntegrationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Name = "renamed"
	if got, err = e.client.UpdateIntegrationWithContext(context.Background(), svc, *got); err != nil || got.Name != "renamed" || got.Vendor.ID != "PVND0001" {
		t.Fatalf("UpdateIntegration with its own vendor = %+v, %v", got, err)
	}
	after := obj(e.raw.want(200, "GET", path, nil, nil), "integration")
	if str(obj(after, "vendor"), "id") != "PVND0001" || after["integration_key"] != in["integration_key"] {
		t.Fatalf("after the refused changes: %v", after)
	}
}
