package pagerduty

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// LogEntry is an incident log entry as the sync copies it into an event's
// log: who (agent), through what (channel), when, and the type-specific
// parts (a note's text, assignees, a notification's target).
type LogEntry struct {
	ID         string
	Type       string // acknowledge_log_entry, annotate_log_entry, …
	CreatedAt  time.Time
	IncidentID string
	Summary    string
	Agent      Reference
	// ChannelType is how it happened (api, web_ui, timeout, email, sms, …);
	// ChannelSummary is the channel's summary (for notes, their text).
	ChannelType, ChannelSummary string
	Note                        string // annotate: the note; resolve: the resolution
	Assignees                   []Reference
	// User and Notification are set on notify entries.
	User         Reference
	Notification Notification
}

// Notification is a notify log entry's notification.
type Notification struct {
	Type, Status, Address string
}

type logEntryJSON struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Summary      string          `json:"summary"`
	CreatedAt    string          `json:"created_at"`
	Agent        referenceJSON   `json:"agent"`
	Channel      map[string]any  `json:"channel"`
	Note         string          `json:"note"`
	Incident     referenceJSON   `json:"incident"`
	Assignees    []referenceJSON `json:"assignees"`
	User         referenceJSON   `json:"user"`
	Notification *struct {
		Type    string `json:"type"`
		Status  string `json:"status"`
		Address string `json:"address"`
	} `json:"notification"`
}

func (j logEntryJSON) entry() (LogEntry, error) {
	at, err := parseTime(j.CreatedAt)
	if err != nil {
		return LogEntry{}, err
	}
	le := LogEntry{ID: j.ID, Type: j.Type, CreatedAt: at, IncidentID: j.Incident.ID, Summary: j.Summary,
		Agent: j.Agent.ref(), Note: j.Note, User: j.User.ref()}
	le.ChannelType, _ = j.Channel["type"].(string)
	le.ChannelSummary, _ = j.Channel["summary"].(string)
	for _, a := range j.Assignees {
		le.Assignees = append(le.Assignees, a.ref())
	}
	if n := j.Notification; n != nil {
		le.Notification = Notification{Type: n.Type, Status: n.Status, Address: n.Address}
	}
	return le, nil
}

// ListIncidentLogEntries returns an incident's log entries created at or
// after since (zero: all), oldest first.
func (c *Client) ListIncidentLogEntries(ctx context.Context, incidentID string, since time.Time) ([]LogEntry, error) {
	var out []LogEntry
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		q := url.Values{"limit": {strconv.Itoa(int(limit))}, "offset": {strconv.Itoa(int(offset))}, "include[]": {"channels"}}
		if !since.IsZero() {
			q.Set("since", since.UTC().Format(time.RFC3339))
		}
		var page struct {
			LogEntries []logEntryJSON `json:"log_entries"`
			More       bool           `json:"more"`
		}
		if err := c.doJSON(ctx, "listing log entries of incident "+incidentID, "GET",
			"/incidents/"+url.PathEscape(incidentID)+"/log_entries?"+q.Encode(), nil, &page); err != nil {
			return false, err
		}
		for _, j := range page.LogEntries {
			le, err := j.entry()
			if err != nil {
				return false, err
			}
			out = append(out, le)
		}
		return page.More, nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out) // PagerDuty lists newest first
	return out, nil
}
