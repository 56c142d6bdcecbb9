package pagerduty

import (
	"context"
	"fmt"
	"time"

	gopd "github.com/PagerDuty/go-pagerduty"
)

// MaxBulkIncidents is PagerDuty's limit of incidents per bulk update (more is a 413).
const MaxBulkIncidents = 250

// Incident is the part of an incident the sync reads.
type Incident struct {
	ID               string
	Number           uint
	Title            string
	Status           string // triggered, acknowledged, resolved
	IncidentKey      string
	ServiceID        string
	HTMLURL          string
	CreatedAt        time.Time
	LastStatusChange time.Time
}

func incidentFrom(i gopd.Incident) Incident {
	created, _ := time.Parse(time.RFC3339, i.CreatedAt)
	changed, _ := time.Parse(time.RFC3339, i.LastStatusChangeAt)
	return Incident{
		ID: i.ID, Number: i.IncidentNumber, Title: i.Title, Status: i.Status, IncidentKey: i.IncidentKey,
		ServiceID: i.Service.ID, HTMLURL: i.HTMLURL, CreatedAt: created.UTC(), LastStatusChange: changed.UTC(),
	}
}

// IncidentFilter narrows ListIncidents.
type IncidentFilter struct {
	Statuses    []string
	ServiceIDs  []string
	IncidentKey string
	Since       time.Time // zero: PagerDuty's default range
	Until       time.Time
	AllDates    bool // date_range=all
}

// ListIncidents returns every incident matching f, oldest first, page by page.
func (c *Client) ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	opts := gopd.ListIncidentsOptions{
		Statuses: f.Statuses, ServiceIDs: f.ServiceIDs, IncidentKey: f.IncidentKey, SortBy: "created_at:asc",
	}
	if f.AllDates {
		opts.DateRange = "all"
	}
	if !f.Since.IsZero() {
		opts.Since = f.Since.UTC().Format(time.RFC3339)
	}
	if !f.Until.IsZero() {
		opts.Until = f.Until.UTC().Format(time.RFC3339)
	}
	var out []Incident
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		opts.Offset, opts.Limit = offset, limit
		resp, err := c.api.ListIncidentsWithContext(ctx, opts)
		if err != nil {
			return false, err
		}
		for _, i := range resp.Incidents {
			out = append(out, incidentFrom(i))
		}
		return resp.More, nil
	})
	if err != nil {
		return nil, wrap(ctx, "listing incidents", err)
	}
	return out, nil
}

// IncidentUpdate is one incident's new status (and resolution note when resolving).
type IncidentUpdate struct {
	ID         string
	Status     string
	Resolution string
}

// UpdateIncidents applies updates with bulk PUTs of at most MaxBulkIncidents
// each, as the From user. It stops at the first failed batch and reports how
// many updates were applied before it.
func (c *Client) UpdateIncidents(ctx context.Context, updates []IncidentUpdate) (applied int, err error) {
	for start := 0; start < len(updates); start += MaxBulkIncidents {
		end := min(start+MaxBulkIncidents, len(updates))
		batch := make([]gopd.ManageIncidentsOptions, 0, end-start)
		for _, u := range updates[start:end] {
			batch = append(batch, gopd.ManageIncidentsOptions{ID: u.ID, Status: u.Status, Resolution: u.Resolution}) // go-pagerduty sets type
		}
		if _, err := c.api.ManageIncidentsWithContext(ctx, c.from, batch); err != nil {
			return applied, wrap(ctx, fmt.Sprintf("updating incidents %d-%d of %d", start+1, end, len(updates)), err)
		}
		applied = end
	}
	return applied, nil
}
