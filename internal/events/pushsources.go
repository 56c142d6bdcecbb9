package events

import "encoding/json"

// Push sources send events to PagerDuty themselves; what each needs from a
// PagerDuty integration is written here in that tool's own terms, so that
// it can be handed over as is.

// PushSourceKinds are the tools that push events to a connector themselves
// (generic: any other sender of Events API v2 events).
var PushSourceKinds = []string{"device42", "rudderstack", "kibana", "generic"}

// Kibana is a Kibana PagerDuty connector (type ".pagerduty"): its config
// {apiUrl} and secrets {routingKey}, as JSON, the form Kibana's connector
// API and elasticstack_kibana_action_connector take.
type Kibana struct {
	ConnectorTypeID string
	APIURL          string // the Events API v2 enqueue URL
	Config          string // JSON
	Secrets         string // JSON, holds the routing key
}

// KibanaConnector returns the Kibana connector for an integration.
func KibanaConnector(enqueueURL, routingKey string) Kibana {
	return Kibana{
		ConnectorTypeID: ".pagerduty",
		APIURL:          enqueueURL,
		Config: mustJSON(struct {
			APIURL string `json:"apiUrl"`
		}{enqueueURL}),
		Secrets: mustJSON(struct {
			RoutingKey string `json:"routingKey"`
		}{routingKey}),
	}
}

// RudderStack is a RudderStack PagerDuty destination: its connection
// settings (the keys of its destination config), and which track-call field
// becomes which Events API field.
type RudderStack struct {
	RoutingKey              string
	DedupKeyFieldIdentifier string
	DestinationConfig       string            // JSON {routingKey, dedupKeyFieldIdentifier}, holds the routing key
	AlertEventMapping       map[string]string // track-call field -> Events API field
	ChangeEventMapping      map[string]string
}

// RudderStackDedupKeyField is the track-call field pdbridge tells
// RudderStack to take the dedup key from (its "dedup_key Field Identifier").
const RudderStackDedupKeyField = "properties.dedupKey"

// RudderStackDestination returns the RudderStack destination for an
// integration. The mappings are those of RudderStack's PagerDuty destination:
// a track call is an alert event unless its integrations object says
// pagerduty.type = "changeEvent". On alert events RudderStack defaults the
// action to trigger, the severity to critical and the dedup key to the
// message id.
func RudderStackDestination(routingKey string) RudderStack {
	return RudderStack{
		RoutingKey:              routingKey,
		DedupKeyFieldIdentifier: RudderStackDedupKeyField,
		DestinationConfig: mustJSON(struct {
			RoutingKey              string `json:"routingKey"`
			DedupKeyFieldIdentifier string `json:"dedupKeyFieldIdentifier"`
		}{routingKey, RudderStackDedupKeyField}),
		AlertEventMapping: map[string]string{
			"event":                    "payload.summary",
			"timestamp":                "payload.timestamp",
			"properties.action":        "event_action",
			RudderStackDedupKeyField:   "dedup_key",
			"properties.severity":      "payload.severity",
			"properties.source":        "payload.source",
			"properties.component":     "payload.component",
			"properties.group":         "payload.group",
			"properties.class":         "payload.class",
			"properties.customDetails": "payload.custom_details",
			"properties.client":        "client",
			"properties.clientUrl":     "client_url",
			"properties.linkURLs":      "links",
			"properties.imageURLs":     "images",
		},
		ChangeEventMapping: map[string]string{
			"event":                    "payload.summary",
			"timestamp":                "payload.timestamp",
			"properties.source":        "payload.source",
			"properties.customDetails": "payload.custom_details",
			"properties.linkURLs":      "links",
			"properties.imageURLs":     "images",
		},
	}
}

// Device42 is a Device42 external integration of type PagerDuty (Device42
// 16.14.00 or later), which its alert rules send events through.
type Device42 struct {
	IntegrationType string
	URL             string // the Events API v2 enqueue URL
	IntegrationKey  string // the routing key
}

// Device42Integration returns the Device42 external integration for an
// integration.
func Device42Integration(enqueueURL, routingKey string) Device42 {
	return Device42{IntegrationType: "PagerDuty", URL: enqueueURL, IntegrationKey: routingKey}
}

// mustJSON encodes structs of strings, which cannot fail.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
