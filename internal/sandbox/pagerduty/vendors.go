package pagerduty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// vendor is a PagerDuty vendor: a kind of tool integrations are made for.
// Vendors are PagerDuty's own, the same in every account, and read-only.
type vendor struct {
	id, name string
	// integrationType is the type PagerDuty gives an integration made for
	// this vendor, whatever type the request asked for (the official
	// provider's PR #12357: with both set "the API responds with another
	// type"; its acceptance test creates a Datadog integration and reads
	// back generic_events_api_inbound_integration).
	integrationType string
}

// vendorList is the sandbox's vendor catalogue, in the order GET /vendors
// lists it (by name).
//
// Real ids and names, with where they come from: Amazon CloudWatch
// PZQ6AUS (the spec's listVendors example; event-transformer type as a
// real service lists it in IBM's SOAR PagerDuty app docs), Datadog PAM4FGS
// (the official provider's tests), Prometheus P1S0PW6 (hard-coded in
// ministryofjustice/analytical-platform; a real service lists its
// integration as generic_events_api), Elastic Alerts PULN1LU (GET
// /vendors/PULN1LU quoted in the official provider's issue #1007:
// generic_service_type "api", its guide Kibana's PagerDuty connector),
// SolarWinds Orion P4B29MM (a user's script; listed as an Events API v2
// integration), Sentry PKAPG94 (the official provider's tests).
//
// Zenoss, Icinga2, Device42 and RudderStack: no source gives their ids, so
// the sandbox makes them up (PVND…); their type is Events API v2, what
// those tools send. PagerDuty lists several hundred vendors (the official
// provider reads them a hundred at a time), so the catalogue is filled up
// with made-up "Sandbox Vendor" entries that clients have to page past.
var vendorList = func() []*vendor {
	const v1, v2, transformer = "generic_events_api_inbound_integration", "events_api_v2_inbound_integration", "event_transformer_api_inbound_integration"
	named := []*vendor{
		{"PZQ6AUS", "Amazon CloudWatch", transformer},
		{"PAM4FGS", "Datadog", v1},
		{"PVND0003", "Device42", v2},
		{"PULN1LU", "Elastic Alerts", v1},
		{"PVND0002", "Icinga2", v2},
		{"P1S0PW6", "Prometheus", v1},
		{"PVND0004", "RudderStack", v2},
	}
	var list []*vendor
	list = append(list, named...)
	for i := 1; i <= 240; i++ {
		list = append(list, &vendor{fmt.Sprintf("PSBV%04d", i), fmt.Sprintf("Sandbox Vendor %03d", i), v1})
	}
	list = append(list,
		&vendor{"PKAPG94", "Sentry", v1},
		&vendor{"P4B29MM", "SolarWinds Orion", v2},
		&vendor{"PVND0001", "Zenoss", v2},
	)
	return list
}()

var vendorsByID = func() map[string]*vendor {
	m := make(map[string]*vendor, len(vendorList))
	for _, v := range vendorList {
		m[v.id] = v
	}
	return m
}()

// ref is the reference integrations carry (spec VendorReference; its
// summary is the vendor's name, as in the integration examples of
// PagerDuty's own client libraries).
func (v *vendor) ref() ref {
	return ref{ID: v.id, Type: "vendor_reference", Summary: v.name, Path: "/vendors/" + v.id}
}

// render is the Vendor object, with the fields the spec names and those
// GET /vendors/{id} returns in the official provider's issue #1007.
func (v *vendor) render(base string) map[string]any {
	return map[string]any{
		"id": v.id, "type": "vendor", "summary": v.name, "self": base + "/vendors/" + v.id, "html_url": nil,
		"name": v.name, "description": "", "generic_service_type": "api", "connectable": false,
		"alert_creation_default": "create_alerts_and_incidents", "alert_creation_editable": true,
		"is_pd_cef": v.integrationType == "events_api_v2_inbound_integration",
	}
}

// listVendors is GET /vendors with classic pagination. `query` is not in
// the spec but the real API filters names with it (curl output in the
// official provider's issue #675): a case-insensitive substring match, as
// for services.
func listVendors(c *reqCtx) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	query := strings.ToLower(c.r.URL.Query().Get("query"))
	var list []*vendor
	for _, v := range vendorList {
		if query == "" || strings.Contains(strings.ToLower(v.name), query) {
			list = append(list, v)
		}
	}
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, v := range list[lo:hi] {
		items = append(items, v.render(c.base))
	}
	return http.StatusOK, pg.list("vendors", items, len(list)), nil
}

// integrationVendor resolves the vendor of an integration write: nil when
// the body names none. A vendor must be a reference to a vendor PagerDuty
// lists. The official provider sends the type "vendor", the spec
// "vendor_reference"; both are taken.
func integrationVendor(raw json.RawMessage) (*vendor, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var r idRef
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, errInvalid("Vendor must be a vendor reference")
	}
	if r.Type != "" && r.Type != "vendor_reference" && r.Type != "vendor" {
		return nil, errInvalid("Vendor type must be vendor_reference")
	}
	v := vendorsByID[r.ID]
	if v == nil {
		return nil, errInvalid("Vendor not found")
	}
	return v, nil
}

// applyVendor sets the vendor of an integration being written. On create,
// a vendor decides the integration's type; a Custom Event Transformer
// needs one (PagerDuty answers "Vendor can't be blank" without, the
// official provider's issue #173). An integration's vendor cannot be
// changed afterwards: the official provider forces a new integration for a
// new vendor, and users saw that regenerate the routing key
// (ministryofjustice/analytical-platform#556). Naming the vendor it already
// has is fine, as go-pagerduty's update sends the whole integration back.
func applyVendor(in *integration, raw json.RawMessage, creating bool) *apiError {
	v, e := integrationVendor(raw)
	if e != nil {
		return e
	}
	switch {
	case !creating:
		if v != nil && v.id != in.vendorID {
			return errInvalid("Vendor cannot be changed")
		}
	case v != nil:
		in.vendorID, in.typ = v.id, v.integrationType
	case in.typ == "event_transformer_api_inbound_integration":
		return errInvalid("Vendor can't be blank")
	}
	return nil
}
