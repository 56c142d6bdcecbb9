package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// PagerDuty is what the engine needs of PagerDuty; *pagerduty.Client has it.
type PagerDuty interface {
	ListIncidents(ctx context.Context, f pagerduty.IncidentFilter) ([]pagerduty.Incident, error)
	GetIncident(ctx context.Context, id string) (pagerduty.Incident, error)
	ListIncidentLogEntries(ctx context.Context, incidentID string, since time.Time) ([]pagerduty.LogEntry, error)
	ListNotes(ctx context.Context, incidentID string) ([]pagerduty.Note, error)
	AddNote(ctx context.Context, incidentID, content string) (pagerduty.Note, error)
	ListAlerts(ctx context.Context, incidentID, alertKey string) ([]pagerduty.Alert, error)
	ResolveAlerts(ctx context.Context, incidentID string, alertIDs []string) error
	UpdateIncidents(ctx context.Context, updates []pagerduty.IncidentUpdate) (int, error)
	SendAlertEvent(ctx context.Context, ev pagerduty.AlertEvent) (*pagerduty.EventResult, error)
	GetIntegration(ctx context.Context, serviceID, integrationID string) (*pagerduty.Integration, error)
	GetService(ctx context.Context, id string) (*pagerduty.Service, error)
	OngoingMaintenance(ctx context.Context) ([]pagerduty.MaintenanceWindow, error)
	FindUserByEmail(ctx context.Context, email string) (pagerduty.User, error)
	UserEmail() string
	CreateService(ctx context.Context, name, description, escalationPolicyID string) (*pagerduty.Service, error)
	FindServiceByName(ctx context.Context, name string) (*pagerduty.Service, error)
	DeleteService(ctx context.Context, id string) error
}

var _ PagerDuty = (*pagerduty.Client)(nil)

// maxRounds bounds the observe/plan rounds of one pass: listings, then the
// details pairs need, then what those details reveal (a merge target, the
// notes of an event with new notes).
const maxRounds = 5

// Observe reads both sides into a snapshot and plans from it: the
// listings, then, round by round, what the planner says it is missing.
// It writes nothing.
func Observe(ctx context.Context, s Settings, src source.Source, pd PagerDuty, now time.Time) (*Snapshot, Plan, error) {
	if s.Routing == nil {
		return nil, Plan{}, errors.New("the sync settings have no routing")
	}
	snap := NewSnapshot(now, src.Kind(), src.Capabilities())
	// The two listings are independent, and each is many pages: read them
	// side by side.
	var open []pagerduty.Incident
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return listEvents(gctx, src, s, snap) })
	g.Go(func() error {
		// Only the services routing sends to: other teams' incidents are not
		// this sync's business, and not its cost.
		var err error
		open, err = pd.ListIncidents(gctx, pagerduty.IncidentFilter{Statuses: []string{"triggered", "acknowledged"}, AllDates: true,
			WithFirstTrigger: true, ServiceIDs: routedServices(s.Routing)})
		if err != nil {
			return fmt.Errorf("reading PagerDuty's open incidents: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, Plan{}, err
	}
	for _, inc := range open {
		snap.Open[inc.ID] = inc
	}
	var plan Plan
	for round := 0; round < maxRounds; round++ {
		plan = s.Plan(snap)
		if plan.Missing.Empty() {
			return snap, plan, nil
		}
		if plan.Missing.Services {
			if err := loadServices(ctx, s, pd, snap); err != nil {
				return nil, Plan{}, err
			}
		}
		if plan.Missing.Self {
			if email := pd.UserEmail(); email != "" {
				var err error
				if snap.Self, err = pd.FindUserByEmail(ctx, email); err != nil {
					return nil, Plan{}, fmt.Errorf("finding the user the sync writes as (user_email %s): %w", email, err)
				}
			}
			snap.Loaded.Self = true
		}
		if err := fetch(ctx, src, pd, snap, plan.Missing); err != nil {
			return nil, Plan{}, err
		}
	}
	return snap, s.Plan(snap), nil
}

// loadServices reads the routed services and the maintenance windows in force.
func loadServices(ctx context.Context, s Settings, pd PagerDuty, snap *Snapshot) error {
	for _, id := range routedServices(s.Routing) {
		svc, err := pd.GetService(ctx, id)
		if err != nil {
			if pagerduty.IsNotFound(err) {
				continue // a connector on a deleted service: sending through it fails and says so
			}
			return fmt.Errorf("reading service %s: %w", id, err)
		}
		snap.Services[id] = *svc
	}
	var err error
	if snap.Windows, err = pd.OngoingMaintenance(ctx); err != nil {
		return fmt.Errorf("reading PagerDuty's maintenance windows: %w", err)
	}
	snap.Loaded.Services = true
	return nil
}

// listEvents reads the open events and those closed within the lookback.
func listEvents(ctx context.Context, src source.Source, s Settings, snap *Snapshot) error {
	opts := source.ListOptions{ChangedSince: snap.Now.Add(-s.Lookback), PageSize: 1000}
	seen := map[string]int{}
	for range 100000 {
		page, err := src.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("listing %s events: %w", src.Kind(), err)
		}
		for _, e := range page.Events {
			// A listing is not a snapshot: an event that changed while pages
			// were read may come twice; the later copy is newer.
			if i, ok := seen[e.ID]; ok {
				snap.Events[i] = e
				continue
			}
			seen[e.ID] = len(snap.Events)
			snap.Events = append(snap.Events, e)
		}
		if page.Next == "" {
			return nil
		}
		opts.Cursor = page.Next
	}
	return fmt.Errorf("listing %s events: too many pages", src.Kind())
}

// routedServices are the services the transform can send to.
func routedServices(c *routing.Compiled) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range c.ConnectorIDs() {
		svc, _, err := routing.SplitConnectorID(id)
		if err == nil && !seen[svc] {
			seen[svc] = true
			out = append(out, svc)
		}
	}
	sort.Strings(out)
	return out
}

// fetch reads what the planner is missing.
func fetch(ctx context.Context, src source.Source, pd PagerDuty, snap *Snapshot, m Missing) error {
	for _, id := range sortedKeys(m.Events) {
		e, err := src.Get(ctx, id)
		switch {
		case errors.Is(err, source.ErrNotFound):
			snap.Gone[id] = true
		case err != nil:
			return fmt.Errorf("reading %s event %s: %w", src.Kind(), id, err)
		default:
			snap.Details[id] = e
		}
	}
	for _, id := range sortedKeys(m.Incidents) {
		inc, err := pd.GetIncident(ctx, id)
		switch {
		case pagerduty.IsNotFound(err):
			snap.Lost[id] = true // its pair is skipped, not the whole pass
			continue
		case err != nil:
			return fmt.Errorf("reading incident %s: %w", id, err)
		}
		snap.Incidents[id] = inc
	}
	for _, key := range sortedKeys(m.Keys) {
		list, err := pd.ListIncidents(ctx, pagerduty.IncidentFilter{IncidentKey: key, AllDates: true})
		if err != nil {
			return fmt.Errorf("looking up the incident of dedup key %q: %w", key, err)
		}
		ids := []string{}
		for _, inc := range list {
			ids = append(ids, inc.ID)
			if _, open := snap.Open[inc.ID]; !open {
				snap.Incidents[inc.ID] = inc
			}
		}
		snap.ByKey[key] = ids
	}
	for _, id := range sortedKeys(m.Logs) {
		les, err := pd.ListIncidentLogEntries(ctx, id, m.Logs[id])
		if err != nil {
			return fmt.Errorf("reading the log of incident %s: %w", id, err)
		}
		snap.Logs[id] = les
	}
	for _, id := range sortedKeys(m.Notes) {
		notes, err := pd.ListNotes(ctx, id)
		if err != nil {
			return fmt.Errorf("reading the notes of incident %s: %w", id, err)
		}
		snap.Notes[id] = notes
	}
	for _, id := range sortedKeys(m.Alerts) {
		alerts, err := pd.ListAlerts(ctx, id, "")
		if err != nil {
			return fmt.Errorf("reading the alerts of incident %s: %w", id, err)
		}
		snap.Alerts[id] = alerts
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
