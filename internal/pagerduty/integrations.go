package pagerduty

import (
	"context"
	"fmt"
	"net/url"

	gopd "github.com/PagerDuty/go-pagerduty"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// EventsV2IntegrationType is the integration type of an Events API v2 integration.
const EventsV2IntegrationType = "events_api_v2_inbound_integration"

// Integration is a service integration.
type Integration struct {
	ID             string
	ServiceID      string
	Name           string
	Type           string
	IntegrationKey string // the 32-character routing key events are sent with
	HTMLURL        string
}

func integrationFrom(serviceID string, i gopd.Integration) Integration {
	if i.Service != nil && i.Service.ID != "" {
		serviceID = i.Service.ID
	}
	return Integration{ID: i.ID, ServiceID: serviceID, Name: i.Name, Type: i.Type, IntegrationKey: i.IntegrationKey, HTMLURL: i.HTMLURL}
}

// CreateEventsV2Integration adds an Events API v2 integration named name to a
// service. Only a 429 is retried: after a 5xx or a timeout the integration
// may exist, and a second one would be an orphan with a live routing key.
func (c *Client) CreateEventsV2Integration(ctx context.Context, serviceID, name string) (*Integration, error) {
	i, err := c.api.CreateIntegrationWithContext(httpretry.NotIdempotent(ctx), url.PathEscape(serviceID), gopd.Integration{
		APIObject: gopd.APIObject{Type: EventsV2IntegrationType},
		Name:      name,
		Service:   &gopd.APIObject{ID: serviceID, Type: "service_reference"},
	})
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("creating integration %q on service %s", name, serviceID), err)
	}
	out := integrationFrom(serviceID, *i)
	return &out, nil
}

// GetIntegration reads a service integration.
func (c *Client) GetIntegration(ctx context.Context, serviceID, integrationID string) (*Integration, error) {
	i, err := c.api.GetIntegrationWithContext(ctx, url.PathEscape(serviceID), url.PathEscape(integrationID), gopd.GetIntegrationOptions{})
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("reading integration %s of service %s", integrationID, serviceID), err)
	}
	out := integrationFrom(serviceID, *i)
	return &out, nil
}

// RenameIntegration changes an integration's name. Written by hand because
// go-pagerduty v1.8.0's UpdateIntegration sends the integration unwrapped,
// where the API takes {"integration": {...}}.
func (c *Client) RenameIntegration(ctx context.Context, serviceID, integrationID, name string) (*Integration, error) {
	var out struct {
		Integration gopd.Integration `json:"integration"`
	}
	in := map[string]any{"integration": map[string]any{"type": EventsV2IntegrationType, "name": name}}
	path := fmt.Sprintf("/services/%s/integrations/%s", url.PathEscape(serviceID), url.PathEscape(integrationID))
	if err := c.doJSON(ctx, fmt.Sprintf("renaming integration %s of service %s", integrationID, serviceID), "PUT", path, in, &out); err != nil {
		return nil, err
	}
	i := integrationFrom(serviceID, out.Integration)
	return &i, nil
}

// DeleteIntegration removes a service integration; one already gone is not an error.
func (c *Client) DeleteIntegration(ctx context.Context, serviceID, integrationID string) error {
	err := wrap(ctx, fmt.Sprintf("deleting integration %s of service %s", integrationID, serviceID),
		c.api.DeleteIntegrationWithContext(ctx, url.PathEscape(serviceID), url.PathEscape(integrationID)))
	if IsNotFound(err) {
		return nil
	}
	return err
}
