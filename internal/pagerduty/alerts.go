package pagerduty

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// Alert is one alert of an incident: what an Events API trigger created.
type Alert struct {
	ID       string
	Key      string // alert_key: the event's dedup key
	Status   string // triggered or resolved
	Incident string
}

// ListAlerts returns an incident's alerts, only those with alertKey when it
// is not empty.
func (c *Client) ListAlerts(ctx context.Context, incidentID, alertKey string) ([]Alert, error) {
	var out []Alert
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		q := url.Values{"limit": {strconv.Itoa(int(limit))}, "offset": {strconv.Itoa(int(offset))}}
		if alertKey != "" {
			q.Set("alert_key", alertKey)
		}
		var page struct {
			Alerts []struct {
				ID       string        `json:"id"`
				AlertKey string        `json:"alert_key"`
				Status   string        `json:"status"`
				Incident referenceJSON `json:"incident"`
			} `json:"alerts"`
			More bool `json:"more"`
		}
		if err := c.doJSON(ctx, "listing alerts of incident "+incidentID, "GET",
			"/incidents/"+url.PathEscape(incidentID)+"/alerts?"+q.Encode(), nil, &page); err != nil {
			return false, err
		}
		for _, a := range page.Alerts {
			out = append(out, Alert{ID: a.ID, Key: a.AlertKey, Status: a.Status, Incident: a.Incident.ID})
		}
		return page.More, nil
	})
	return out, err
}

// ResolveAlerts resolves alerts of one incident with bulk PUTs of at most
// MaxBulkIncidents (PagerDuty's limit for alerts too), as the From user;
// the incident resolves with its last open alert.
func (c *Client) ResolveAlerts(ctx context.Context, incidentID string, alertIDs []string) error {
	for start := 0; start < len(alertIDs); start += MaxBulkIncidents {
		end := min(start+MaxBulkIncidents, len(alertIDs))
		items := make([]map[string]any, 0, end-start)
		for _, id := range alertIDs[start:end] {
			items = append(items, map[string]any{"id": id, "type": "alert", "status": "resolved"})
		}
		if err := c.doJSON(ctx, fmt.Sprintf("resolving %d alerts of incident %s", end-start, incidentID), "PUT",
			"/incidents/"+url.PathEscape(incidentID)+"/alerts", map[string]any{"alerts": items}, nil); err != nil {
			return err
		}
	}
	return nil
}
