package pagerduty

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gopd "github.com/PagerDuty/go-pagerduty"
)

// Incidents are read by hand rather than through go-pagerduty v1.8.0, whose
// log entry decoding panics on a channel without a string type and fails on
// event_details that are not all strings; the sync reads the first trigger
// log entry of every open incident, where both occur in real payloads.

// MaxBulkIncidents is PagerDuty's limit of incidents per bulk update (more is a 413).
const MaxBulkIncidents = 250

// Incident is the part of an incident the sync reads.
type Incident struct {
	ID               string
	Number           uint
	Title            string
	Status           string // triggered, acknowledged, resolved
	IncidentKey      string // empty for incidents created by events (their alerts carry the key)
	ServiceID        string
	HTMLURL          string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LastStatusChange time.Time
	// LastStatusChangeBy is who last changed the status: a user, the
	// service (timeouts, new incidents) or an integration (events).
	LastStatusChangeBy Reference
	Alerts             AlertCounts
	// MergedInto is the incident this one was merged into (its
	// resolve_reason), or empty.
	MergedInto string
	// FirstTrigger is the first trigger log entry, when the listing asked
	// for it (include[]=first_trigger_log_entries).
	FirstTrigger *TriggerEntry
}

// Reference is an object PagerDuty names by reference: its id, type
// (user_reference, service_reference, …), summary (a user's name) and page.
type Reference struct {
	ID, Type, Summary, HTMLURL string
}

// AlertCounts are an incident's alerts by status.
type AlertCounts struct {
	Triggered, Resolved, All int
}

// TriggerEntry is what the sync reads from an incident's first trigger log
// entry: the dedup key of the event that opened it (channel.incident_key)
// and, of the event's custom details, what pdbridge put there ("pdbridge").
type TriggerEntry struct {
	ID       string
	DedupKey string
	Details  map[string]any
}

type incidentJSON struct {
	ID                 string        `json:"id"`
	Number             uint          `json:"incident_number"`
	Title              string        `json:"title"`
	Status             string        `json:"status"`
	IncidentKey        *string       `json:"incident_key"`
	HTMLURL            string        `json:"html_url"`
	CreatedAt          string        `json:"created_at"`
	UpdatedAt          string        `json:"updated_at"`
	LastStatusChangeAt string        `json:"last_status_change_at"`
	LastStatusChangeBy referenceJSON `json:"last_status_change_by"`
	Service            referenceJSON `json:"service"`
	AlertCounts        struct {
		Triggered int `json:"triggered"`
		Resolved  int `json:"resolved"`
		All       int `json:"all"`
	} `json:"alert_counts"`
	ResolveReason *struct {
		Type     string        `json:"type"`
		Incident referenceJSON `json:"incident"`
	} `json:"resolve_reason"`
	FirstTriggerLogEntry *triggerEntryJSON `json:"first_trigger_log_entry"`
}

// triggerEntryJSON is the part of a first trigger log entry the sync reads.
// Decoding only it keeps a listing of thousands of open incidents cheap:
// the rest of the channel (the whole event, twice) is skipped, not built.
type triggerEntryJSON struct {
	ID      string `json:"id"`
	Channel *struct {
		IncidentKey string `json:"incident_key"`
		Details     struct {
			Pdbridge map[string]any `json:"pdbridge"`
		} `json:"details"`
	} `json:"channel"`
}

type referenceJSON struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	HTMLURL string `json:"html_url"`
}

func (r referenceJSON) ref() Reference {
	return Reference(r)
}

// parseTime reads a PagerDuty timestamp, which carries the offset of the
// time zone it is rendered in (the account's unless time_zone says), as UTC.
func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("unreadable timestamp %q", v)
	}
	return t.UTC(), nil
}

func (j incidentJSON) incident() (Incident, error) {
	inc := Incident{ID: j.ID, Number: j.Number, Title: j.Title, Status: j.Status, ServiceID: j.Service.ID, HTMLURL: j.HTMLURL,
		LastStatusChangeBy: j.LastStatusChangeBy.ref(),
		Alerts:             AlertCounts{Triggered: j.AlertCounts.Triggered, Resolved: j.AlertCounts.Resolved, All: j.AlertCounts.All}}
	if j.IncidentKey != nil {
		inc.IncidentKey = *j.IncidentKey
	}
	var err error
	for _, f := range []struct {
		dst *time.Time
		v   string
	}{{&inc.CreatedAt, j.CreatedAt}, {&inc.UpdatedAt, j.UpdatedAt}, {&inc.LastStatusChange, j.LastStatusChangeAt}} {
		if *f.dst, err = parseTime(f.v); err != nil {
			return inc, fmt.Errorf("incident %s: %w", j.ID, err)
		}
	}
	if rr := j.ResolveReason; rr != nil && rr.Type == "merge_resolve_reason" {
		inc.MergedInto = rr.Incident.ID
	}
	if le := j.FirstTriggerLogEntry; le != nil && le.Channel != nil {
		te := &TriggerEntry{ID: le.ID, DedupKey: le.Channel.IncidentKey}
		if le.Channel.Details.Pdbridge != nil {
			te.Details = map[string]any{"pdbridge": le.Channel.Details.Pdbridge}
		}
		inc.FirstTrigger = te
	}
	return inc, nil
}

// IncidentFilter narrows ListIncidents.
type IncidentFilter struct {
	Statuses    []string
	ServiceIDs  []string
	IncidentKey string
	Since       time.Time // zero: PagerDuty's default range
	Until       time.Time
	AllDates    bool // date_range=all
	// WithFirstTrigger adds each incident's first trigger log entry.
	WithFirstTrigger bool
}

func (f IncidentFilter) query(offset int) url.Values {
	q := url.Values{"sort_by": {"created_at:asc"}, "limit": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(offset)}}
	for _, s := range f.Statuses {
		q.Add("statuses[]", s)
	}
	for _, s := range f.ServiceIDs {
		q.Add("service_ids[]", s)
	}
	if f.IncidentKey != "" {
		q.Set("incident_key", f.IncidentKey)
	}
	if f.WithFirstTrigger {
		q.Add("include[]", "first_trigger_log_entries")
	}
	switch {
	case !f.Since.IsZero() || !f.Until.IsZero():
		if !f.Since.IsZero() {
			q.Set("since", f.Since.UTC().Format(time.RFC3339))
		}
		if !f.Until.IsZero() {
			q.Set("until", f.Until.UTC().Format(time.RFC3339))
		}
	case f.AllDates:
		q.Set("date_range", "all")
	}
	return q
}

// ListIncidents returns every incident matching f, oldest first. Past
// PagerDuty's ceiling of 10,000 results per query it carries on from the
// creation time of the last incident read (keyset paging), so that an
// account with more open incidents is still read whole.
func (c *Client) ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	var out []Incident
	seen := map[string]bool{}
	for round := 0; round < 1000; round++ {
		var last time.Time
		err := paginate(ctx, func(offset, _ uint) (bool, error) {
			var page struct {
				Incidents []incidentJSON `json:"incidents"`
				More      bool           `json:"more"`
			}
			if err := c.doJSON(ctx, "listing incidents", "GET", "/incidents?"+f.query(int(offset)).Encode(), nil, &page); err != nil {
				return false, err
			}
			for _, j := range page.Incidents {
				inc, err := j.incident()
				if err != nil {
					return false, err
				}
				last = inc.CreatedAt
				if !seen[inc.ID] {
					seen[inc.ID] = true
					out = append(out, inc)
				}
			}
			return page.More, nil
		})
		var full *errTooManyResults
		switch {
		case err == nil:
			return out, nil
		case asTooMany(err, &full) && !last.IsZero():
			// Carry on from the last creation time read; that instant is read
			// again, and the incidents already seen are skipped.
			f.Since, f.AllDates = last, false
			if f.Until.IsZero() || f.Until.Sub(f.Since) > maxRange {
				f.Until = f.Since.Add(maxRange)
			}
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("listing incidents: more than %d results", len(out))
}

// maxRange is the longest since/until range PagerDuty accepts (6 months;
// 180 days keeps clear of the edge).
const maxRange = 180 * 24 * time.Hour

// GetIncident reads one incident.
func (c *Client) GetIncident(ctx context.Context, id string) (Incident, error) {
	var body struct {
		Incident incidentJSON `json:"incident"`
	}
	if err := c.doJSON(ctx, "reading incident "+id, "GET", "/incidents/"+url.PathEscape(id), nil, &body); err != nil {
		return Incident{}, err
	}
	return body.Incident.incident()
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
