package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Kind implements source.Source.
func (c *Client) Kind() string { return "alertmanager" }

// Capabilities implements source.Source: acknowledgement (as a silence)
// and its removal, and nothing else; a resolved alert vanishes, and the
// same labels firing again are a new event.
func (c *Client) Capabilities() source.Capabilities {
	return source.Capabilities{
		Acknowledge:       true,
		Unacknowledge:     true,
		NewIDOnRecurrence: true,
		TimePrecision:     time.Millisecond,
	}
}

// List implements source.Source: every firing alert (the API has no
// paging, so each page reads them all and returns its slice, in ID order).
// ChangedSince adds nothing: resolved alerts vanish.
func (c *Client) List(ctx context.Context, opts source.ListOptions) (source.Page, error) {
	offset := 0
	if opts.Cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(opts.Cursor, "a1."))
		if !strings.HasPrefix(opts.Cursor, "a1.") || err != nil || n < 0 {
			return source.Page{}, fmt.Errorf("alertmanager: invalid cursor %.40q", opts.Cursor)
		}
		offset = n
	}
	size := opts.PageSize
	if size <= 0 {
		size = c.pageSize
	}
	snap, err := c.read(ctx)
	if err != nil {
		return source.Page{}, err
	}
	var events []source.Event
	for _, a := range snap.alerts {
		if e := c.event(a, snap); opts.MinSeverity <= source.SeverityClear || e.Severity >= opts.MinSeverity {
			events = append(events, e)
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].ID < events[j].ID })
	offset = min(offset, len(events))
	page := source.Page{Events: events[offset:min(offset+size, len(events))]}
	if offset+size < len(events) {
		page.Next = "a1." + strconv.Itoa(offset+size)
	}
	return page, nil
}

// Get implements source.Source. Alertmanager keeps no log: Log is empty.
func (c *Client) Get(ctx context.Context, id string) (source.Event, error) {
	snap, err := c.read(ctx)
	if err != nil {
		return source.Event{}, err
	}
	a, err := snap.find(id)
	if err != nil {
		return source.Event{}, err
	}
	e := c.event(a, snap)
	e.Log = []source.LogEntry{}
	return e, nil
}

// Acknowledge implements source.Source: a silence matching exactly the
// alert's labels, for AckSilence, created by the sync's user, its comment
// naming the incident it follows and the event. The sync's silences of
// earlier firings of the same labels are expired. Creating a silence is
// not retried once Alertmanager may have made it (a retry would make a
// second one).
func (c *Client) Acknowledge(ctx context.Context, id string) (bool, error) {
	snap, err := c.read(ctx)
	if err != nil {
		return false, err
	}
	a, err := snap.find(id)
	if err != nil {
		return false, err
	}
	if c.event(a, snap).Status == source.StatusAcknowledged {
		return false, nil
	}
	for _, s := range snap.silences {
		if s.CreatedBy == c.author && s.Status.State != "expired" && strings.Contains(s.Comment, "[pdbridge:event:"+a.Fingerprint+"@") && !c.ours(s, id) {
			if err := c.expire(ctx, s.ID); err != nil {
				return false, err
			}
		}
	}
	comment := "Acknowledged by pdbridge, the PagerDuty sync"
	if ref, ok := source.IncidentFrom(ctx); ok {
		comment = "Acknowledged in PagerDuty: incident " + ref.IncidentID
		if ref.URL != "" {
			comment += " " + ref.URL
		}
	}
	comment += " " + ackMarker(id)
	matchers := make([]matcher, 0, len(a.Labels))
	for k, v := range a.Labels {
		matchers = append(matchers, matcher{Name: k, Value: v, IsEqual: true})
	}
	sort.Slice(matchers, func(i, j int) bool { return matchers[i].Name < matchers[j].Name })
	now := c.now().UTC()
	body := map[string]any{"matchers": matchers, "startsAt": now.Format(time.RFC3339Nano), "endsAt": now.Add(c.ackFor).Format(time.RFC3339Nano),
		"createdBy": c.author, "comment": comment}
	var out struct {
		ID string `json:"silenceID"`
	}
	if err := c.call(httpretry.NotIdempotent(ctx), "creating a silence for alert "+id, http.MethodPost, "/api/v2/silences", body, &out); err != nil {
		return false, err
	}
	if out.ID == "" {
		return false, fmt.Errorf("alertmanager: creating a silence for alert %s: %w: no silenceID", id, ErrMalformed)
	}
	return true, nil
}

// Reopen implements source.Source for acknowledged alerts: it expires the
// sync's silences of the alert. A resolved alert is gone
// (source.ErrNotFound): Alertmanager cannot fire it again.
func (c *Client) Reopen(ctx context.Context, id string) (bool, error) {
	snap, err := c.read(ctx)
	if err != nil {
		return false, err
	}
	if _, err := snap.find(id); err != nil {
		return false, err
	}
	changed := false
	for _, s := range snap.silences {
		if c.ours(s, id) && s.Status.State != "expired" {
			if err := c.expire(ctx, s.ID); err != nil {
				return changed, err
			}
			changed = true
		}
	}
	return changed, nil
}

// expire ends a silence now; one Alertmanager no longer knows is done.
func (c *Client) expire(ctx context.Context, silenceID string) error {
	err := c.call(ctx, "expiring silence "+silenceID, http.MethodDelete, "/api/v2/silence/"+url.PathEscape(silenceID), nil, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// Close implements source.Source: an alert resolves only when its sender
// says so.
func (c *Client) Close(context.Context, string) (bool, error) {
	return false, fmt.Errorf("alertmanager: an alert resolves only when the sender that fired it says so: %w", source.ErrUnsupported)
}

// AppendLog implements source.Source: alerts have no log.
func (c *Client) AppendLog(context.Context, string, string) error {
	return fmt.Errorf("alertmanager: alerts have no log: %w", source.ErrUnsupported)
}

// SetIncidentRef implements source.Source: there is nowhere to keep it
// (annotations belong to the sender and are overwritten on its next send).
func (c *Client) SetIncidentRef(context.Context, string, source.IncidentRef) error {
	return fmt.Errorf("alertmanager: an alert cannot keep the incident reference: %w", source.ErrUnsupported)
}
