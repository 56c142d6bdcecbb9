package pagerduty

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gopd "github.com/PagerDuty/go-pagerduty"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
)

// Service is the part of a PagerDuty service pdbridge reads.
type Service struct {
	ID                 string
	Name               string
	Description        string
	Status             string // active, warning, critical, maintenance, disabled
	HTMLURL            string
	EscalationPolicyID string
}

func serviceFrom(s gopd.Service) Service {
	return Service{ID: s.ID, Name: s.Name, Description: s.Description, Status: s.Status, HTMLURL: s.HTMLURL, EscalationPolicyID: s.EscalationPolicy.ID}
}

// GetService reads one service.
func (c *Client) GetService(ctx context.Context, id string) (*Service, error) {
	s, err := c.api.GetServiceWithContext(ctx, url.PathEscape(id), nil)
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("reading service %s", id), err)
	}
	out := serviceFrom(*s)
	return &out, nil
}

// FindServiceByName returns the service whose name is exactly name. PagerDuty
// service names are unique, but its `query` filter matches substrings, so
// every page is checked for the exact name.
func (c *Client) FindServiceByName(ctx context.Context, name string) (*Service, error) {
	var found *Service
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		resp, err := c.api.ListServicesWithContext(ctx, gopd.ListServiceOptions{Query: name, Limit: limit, Offset: offset})
		if err != nil {
			return false, err
		}
		for _, s := range resp.Services {
			if s.Name == name {
				svc := serviceFrom(s)
				found = &svc
				return false, nil
			}
		}
		return resp.More, nil
	})
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("listing services named %q", name), err)
	}
	if found == nil {
		return nil, fmt.Errorf("no PagerDuty service is named %q: %w", name, &Error{Status: 404, Message: "Not Found"})
	}
	return found, nil
}

// CreateService creates a service on an escalation policy (used by the demo and tests).
func (c *Client) CreateService(ctx context.Context, name, description, escalationPolicyID string) (*Service, error) {
	s, err := c.api.CreateServiceWithContext(httpretry.NotIdempotent(ctx), gopd.Service{
		Name:             name,
		Description:      description,
		EscalationPolicy: gopd.EscalationPolicy{APIObject: gopd.APIObject{ID: escalationPolicyID, Type: "escalation_policy_reference"}},
	})
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("creating service %q", name), err)
	}
	out := serviceFrom(*s)
	return &out, nil
}

// MaintenanceWindow is an ongoing or planned window on a service.
type MaintenanceWindow struct {
	ID          string
	Description string
	HTMLURL     string
	Start, End  time.Time
	ServiceIDs  []string // set by OngoingMaintenance
}

// OngoingMaintenanceWindows lists the windows in force on a service now.
func (c *Client) OngoingMaintenanceWindows(ctx context.Context, serviceID string) ([]MaintenanceWindow, error) {
	var out []MaintenanceWindow
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		resp, err := c.api.ListMaintenanceWindowsWithContext(ctx, gopd.ListMaintenanceWindowsOptions{
			ServiceIDs: []string{serviceID}, Filter: "ongoing", Limit: limit, Offset: offset,
		})
		if err != nil {
			return false, err
		}
		for _, w := range resp.MaintenanceWindows {
			start, err1 := time.Parse(time.RFC3339, w.StartTime)
			end, err2 := time.Parse(time.RFC3339, w.EndTime)
			if err1 != nil || err2 != nil {
				return false, fmt.Errorf("maintenance window %s has unreadable times %q, %q", w.ID, w.StartTime, w.EndTime)
			}
			out = append(out, MaintenanceWindow{ID: w.ID, Description: w.Description, Start: start.UTC(), End: end.UTC()})
		}
		return resp.More, nil
	})
	if err != nil {
		return nil, wrap(ctx, fmt.Sprintf("listing maintenance windows of service %s", serviceID), err)
	}
	return out, nil
}

// CreateMaintenanceWindow puts services in maintenance from start to end.
func (c *Client) CreateMaintenanceWindow(ctx context.Context, description string, start, end time.Time, serviceIDs ...string) (*MaintenanceWindow, error) {
	refs := make([]gopd.APIObject, len(serviceIDs))
	for i, id := range serviceIDs {
		refs[i] = gopd.APIObject{ID: id, Type: "service_reference"}
	}
	w, err := c.api.CreateMaintenanceWindowWithContext(httpretry.NotIdempotent(ctx), c.from, gopd.MaintenanceWindow{
		StartTime: start.UTC().Format(time.RFC3339), EndTime: end.UTC().Format(time.RFC3339),
		Description: description, Services: refs,
	})
	if err != nil {
		return nil, wrap(ctx, "creating maintenance window", err)
	}
	s, _ := time.Parse(time.RFC3339, w.StartTime)
	e, _ := time.Parse(time.RFC3339, w.EndTime)
	return &MaintenanceWindow{ID: w.ID, Description: w.Description, Start: s.UTC(), End: e.UTC()}, nil
}

// OngoingMaintenance lists every maintenance window in force now, with the
// services it covers.
func (c *Client) OngoingMaintenance(ctx context.Context) ([]MaintenanceWindow, error) {
	var out []MaintenanceWindow
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		q := url.Values{"filter": {"ongoing"}, "limit": {strconv.Itoa(int(limit))}, "offset": {strconv.Itoa(int(offset))}}
		var page struct {
			Windows []struct {
				ID          string          `json:"id"`
				Description string          `json:"description"`
				HTMLURL     string          `json:"html_url"`
				StartTime   string          `json:"start_time"`
				EndTime     string          `json:"end_time"`
				Services    []referenceJSON `json:"services"`
			} `json:"maintenance_windows"`
			More bool `json:"more"`
		}
		if err := c.doJSON(ctx, "listing ongoing maintenance windows", "GET", "/maintenance_windows?"+q.Encode(), nil, &page); err != nil {
			return false, err
		}
		for _, w := range page.Windows {
			start, err := parseTime(w.StartTime)
			if err != nil {
				return false, err
			}
			end, err := parseTime(w.EndTime)
			if err != nil {
				return false, err
			}
			mw := MaintenanceWindow{ID: w.ID, Description: w.Description, HTMLURL: w.HTMLURL, Start: start, End: end}
			for _, s := range w.Services {
				mw.ServiceIDs = append(mw.ServiceIDs, s.ID)
			}
			out = append(out, mw)
		}
		return page.More, nil
	})
	return out, err
}

// DeleteService deletes a service (its incidents stay readable).
func (c *Client) DeleteService(ctx context.Context, id string) error {
	return c.doJSON(ctx, "deleting service "+id, "DELETE", "/services/"+url.PathEscape(id), nil, nil)
}
