// Package sourcekind says how a connector's source kind (what feeds it:
// zenoss, kibana, generic, ...) is kept in PagerDuty, so that an imported
// connector gets its kind back: as the vendor its integration is made for,
// which PagerDuty keeps for the integration's life and returns on every
// read. Generic connectors have no vendor.
package sourcekind

import (
	"slices"
	"strings"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/events"
)

// Generic is the kind of any other sender of Events API v2 events.
const Generic = "generic"

// Kinds are the tools a connector can be fed by: the consoles pdbridge
// synchronises with, and push-only sources.
var Kinds = slices.Concat(config.SourceKinds, events.PushSourceKinds)

// vendors names the PagerDuty vendor of each kind that has one. Prometheus
// (P1S0PW6) and Elastic Alerts (PULN1LU, whose integration guide is
// Kibana's PagerDuty connector) are names PagerDuty lists; the others are
// the tools' own names, looked up by name in the account's vendor list.
var vendors = map[string]string{
	"zenoss":       "Zenoss",
	"icinga2":      "Icinga2",
	"alertmanager": "Prometheus",
	"kibana":       "Elastic Alerts",
	"device42":     "Device42",
	"rudderstack":  "RudderStack",
}

// VendorName returns the name of the PagerDuty vendor that marks a
// connector of this kind, and false for kinds without one (generic).
func VendorName(kind string) (string, bool) {
	name, ok := vendors[kind]
	return name, ok
}

// OfVendor returns the kind a PagerDuty vendor marks (names compare
// ignoring case), and false for vendors of no kind.
func OfVendor(vendor string) (string, bool) {
	for kind, name := range vendors {
		if strings.EqualFold(vendor, name) {
			return kind, true
		}
	}
	return "", false
}

// Read returns the kind of a connector whose integration names vendor
// (empty for none). A vendor of one of the kinds is that kind. Otherwise
// PagerDuty says nothing about the kind, so the kind already known (prior,
// from state) is kept, and an integration seen for the first time (an
// import) is generic.
func Read(vendor, prior string) string {
	if kind, ok := OfVendor(vendor); ok {
		return kind
	}
	if prior != "" {
		return prior
	}
	return Generic
}

// ChangeNeedsNewIntegration reports whether going from one kind to another
// takes a new integration: when PagerDuty keeps the old kind as the
// integration's vendor, since an integration's vendor does not change (the
// official provider forces a new integration for it, and a new routing key
// comes with it). Integrations without one of the kinds' vendors (generic,
// or made elsewhere) keep their key and change kind in state only.
func ChangeNeedsNewIntegration(vendorInPagerDuty bool, from, to string) bool {
	return vendorInPagerDuty && from != to
}
