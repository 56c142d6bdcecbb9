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

// genericEventsIntegrationType is the type PagerDuty gives the integrations
// of many vendors (Prometheus, Datadog): their routing keys take Events API
// v2 events, as Alertmanager sends with a Prometheus integration's key.
const genericEventsIntegrationType = "generic_events_api_inbound_integration"

// Integration is a service integration.
type Integration struct {
	ID             string
	ServiceID      string
	Name           string
	Type           string
	IntegrationKey string // the 32-character routing key events are sent with
	HTMLURL        string
	// Vendor is the tool PagerDuty says sends to the integration; nil for
	// generic integrations.
	Vendor *VendorRef
}

// VendorRef is the vendor an integration names: its id, and its name as
// PagerDuty summarises it.
type VendorRef struct {
	ID, Name string
}

func integrationFrom(serviceID string, i gopd.Integration) Integration {
	if i.Service != nil && i.Service.ID != "" {
		serviceID = i.Service.ID
	}
	out := Integration{ID: i.ID, ServiceID: serviceID, Name: i.Name, Type: i.Type, IntegrationKey: i.IntegrationKey, HTMLURL: i.HTMLURL}
	if i.Vendor != nil && i.Vendor.ID != "" {
		out.Vendor = &VendorRef{ID: i.Vendor.ID, Name: i.Vendor.Summary}
	}
	return out
}

// CreateEventsV2Integration adds a generic Events API v2 integration named
// name to a service.
func (c *Client) CreateEventsV2Integration(ctx context.Context, serviceID, name string) (*Integration, error) {
	return c.CreateVendorIntegration(ctx, serviceID, name, "")
}

// CreateVendorIntegration adds an Events API v2 integration named name to a
// service, marked with a vendor unless vendorID is empty; PagerDuty then
// gives it the vendor's integration type. Only a 429 is retried: after a
// 5xx or a timeout the integration may exist, and a second one would be an
// orphan with a live routing key.
func (c *Client) CreateVendorIntegration(ctx context.Context, serviceID, name, vendorID string) (*Integration, error) {
	defer c.forgetService(serviceID)
	in := gopd.Integration{
		APIObject: gopd.APIObject{Type: EventsV2IntegrationType},
		Name:      name,
		Service:   &gopd.APIObject{ID: serviceID, Type: "service_reference"},
	}
	if vendorID != "" {
		in.Vendor = &gopd.APIObject{ID: vendorID, Type: "vendor_reference"}
	}
	i, err := c.api.CreateIntegrationWithContext(httpretry.NotIdempotent(ctx), url.PathEscape(serviceID), in)
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("creating integration %q on service %s", name, serviceID), err)
	}
	out := integrationFrom(serviceID, *i)
	return &out, nil
}

// GetIntegration reads a service integration; with Config.ShareReads, from
// a read of its service shared with the other callers.
func (c *Client) GetIntegration(ctx context.Context, serviceID, integrationID string) (*Integration, error) {
	if c.reads != nil {
		return c.reads.integration(ctx, c, serviceID, integrationID)
	}
	i, err := c.api.GetIntegrationWithContext(ctx, url.PathEscape(serviceID), url.PathEscape(integrationID), gopd.GetIntegrationOptions{})
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("reading integration %s of service %s", integrationID, serviceID), err)
	}
	out := integrationFrom(serviceID, *i)
	return &out, nil
}

// RenameIntegration changes an integration's name. Written by hand because
// go-pagerduty v1.8.0's UpdateIntegration sends the integration unwrapped,
// where the API takes {"integration": {...}}. The type sent is the one the
// integration has, read first: PagerDuty gives a vendor's integration the
// vendor's type, and the type of an integration does not change.
func (c *Client) RenameIntegration(ctx context.Context, serviceID, integrationID, name string) (*Integration, error) {
	current, err := c.GetIntegration(ctx, serviceID, integrationID)
	if err != nil {
		return nil, err
	}
	defer c.forgetService(serviceID)
	var out struct {
		Integration gopd.Integration `json:"integration"`
	}
	in := map[string]any{"integration": map[string]any{"type": firstNonEmpty(current.Type, EventsV2IntegrationType), "name": name}}
	path := fmt.Sprintf("/services/%s/integrations/%s", url.PathEscape(serviceID), url.PathEscape(integrationID))
	if err := c.doJSON(ctx, fmt.Sprintf("renaming integration %s of service %s", integrationID, serviceID), "PUT", path, in, &out); err != nil {
		return nil, err
	}
	i := integrationFrom(serviceID, out.Integration)
	return &i, nil
}

// DeleteIntegration removes a service integration; one already gone is not an error.
func (c *Client) DeleteIntegration(ctx context.Context, serviceID, integrationID string) error {
	defer c.forgetService(serviceID)
	err := wrap(ctx, fmt.Sprintf("deleting integration %s of service %s", integrationID, serviceID),
		c.api.DeleteIntegrationWithContext(ctx, url.PathEscape(serviceID), url.PathEscape(integrationID)))
	if IsNotFound(err) {
		return nil
	}
	return err
}

// forgetService drops shared reads of a service after a write on it.
func (c *Client) forgetService(serviceID string) {
	if c.reads != nil {
		c.reads.forget(serviceID)
	}
}
