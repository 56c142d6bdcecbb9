package events

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestKibanaConnector(t *testing.T) {
	k := KibanaConnector("https://events.pagerduty.com/v2/enqueue", key)
	if k.ConnectorTypeID != ".pagerduty" || k.APIURL != "https://events.pagerduty.com/v2/enqueue" {
		t.Errorf("connector %+v", k)
	}
	var config, secrets map[string]any
	if err := json.Unmarshal([]byte(k.Config), &config); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(k.Secrets), &secrets); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(config, map[string]any{"apiUrl": "https://events.pagerduty.com/v2/enqueue"}) {
		t.Errorf("config %s", k.Config)
	}
	if !reflect.DeepEqual(secrets, map[string]any{"routingKey": key}) {
		t.Errorf("secrets %s", k.Secrets)
	}
}

func TestRudderStackDestination(t *testing.T) {
	r := RudderStackDestination(key)
	var config map[string]any
	if err := json.Unmarshal([]byte(r.DestinationConfig), &config); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(config, map[string]any{"routingKey": key, "dedupKeyFieldIdentifier": "properties.dedupKey"}) {
		t.Errorf("destination config %s", r.DestinationConfig)
	}
	if r.RoutingKey != key || r.DedupKeyFieldIdentifier != "properties.dedupKey" {
		t.Errorf("settings %+v", r)
	}
	// The dedup key field RudderStack is told to read must be the one the mapping documents.
	if r.AlertEventMapping[r.DedupKeyFieldIdentifier] != "dedup_key" {
		t.Errorf("alert mapping does not map %s to dedup_key: %v", r.DedupKeyFieldIdentifier, r.AlertEventMapping)
	}
	for field, target := range r.ChangeEventMapping {
		if r.AlertEventMapping[field] != target {
			t.Errorf("change events map %s to %s, alert events to %s", field, target, r.AlertEventMapping[field])
		}
	}
	for _, alertOnly := range []string{"properties.action", "properties.severity", "properties.dedupKey", "properties.clientUrl"} {
		if _, ok := r.ChangeEventMapping[alertOnly]; ok {
			t.Errorf("change events have no %s", alertOnly)
		}
	}
	if r.AlertEventMapping["event"] != "payload.summary" || r.AlertEventMapping["properties.source"] != "payload.source" {
		t.Errorf("alert mapping %v", r.AlertEventMapping)
	}
}

func TestDevice42Integration(t *testing.T) {
	d := Device42Integration("https://events.eu.pagerduty.com/v2/enqueue", key)
	if d != (Device42{IntegrationType: "PagerDuty", URL: "https://events.eu.pagerduty.com/v2/enqueue", IntegrationKey: key}) {
		t.Errorf("integration %+v", d)
	}
}
