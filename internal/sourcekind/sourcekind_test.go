package sourcekind

import "testing"

func TestEveryKindButGenericHasAVendorThatMapsBack(t *testing.T) {
	for _, kind := range Kinds {
		name, ok := VendorName(kind)
		if kind == Generic {
			if ok {
				t.Errorf("generic has vendor %q", name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s has no vendor", kind)
			continue
		}
		if back, ok := OfVendor(name); !ok || back != kind {
			t.Errorf("vendor %q of %s maps back to %q, %v", name, kind, back, ok)
		}
	}
	if kind, ok := OfVendor("PROMETHEUS"); !ok || kind != "alertmanager" {
		t.Errorf("vendor names compare ignoring case: %q, %v", kind, ok)
	}
}

func TestReadTakesTheKindFromTheVendorElseKeepsWhatIsKnown(t *testing.T) {
	for _, c := range []struct{ vendor, prior, want string }{
		{"Elastic Alerts", "", "kibana"},               // an import of a Kibana connector
		{"Elastic Alerts", "zenoss", "kibana"},         // PagerDuty says otherwise: drift
		{"", "", Generic},                              // an import of an integration without vendor
		{"", "device42", "device42"},                   // no vendor: the kind is the state's
		{"Datadog", "", Generic},                       // a vendor of no kind
		{"Datadog", "alertmanager", "alertmanager"},    // likewise
		{"Prometheus", "alertmanager", "alertmanager"}, // agreement
	} {
		if got := Read(c.vendor, c.prior); got != c.want {
			t.Errorf("Read(%q, %q) = %q, want %q", c.vendor, c.prior, got, c.want)
		}
	}
}

func TestOnlyAVendorInPagerDutyMakesAChangeOfKindNeedANewIntegration(t *testing.T) {
	if !ChangeNeedsNewIntegration(true, "zenoss", "generic") || !ChangeNeedsNewIntegration(true, "zenoss", "kibana") {
		t.Error("a kind PagerDuty keeps as the vendor changed in place")
	}
	if ChangeNeedsNewIntegration(true, "zenoss", "zenoss") {
		t.Error("no change needs a new integration")
	}
	if ChangeNeedsNewIntegration(false, "generic", "zenoss") || ChangeNeedsNewIntegration(false, "device42", "kibana") {
		t.Error("an integration without vendor needs a new one to change kind")
	}
}
