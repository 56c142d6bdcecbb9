// Package reconcile is pdbridge's sync engine: it keeps the events of one
// event console and the PagerDuty incidents that represent them in
// agreement. It observes both sides into a Snapshot, a pure planner turns
// the snapshot, the Settings and the time into operations, and an executor
// applies them. Only the executor has side effects; nothing here knows
// Terraform.
//
// Nothing is kept between runs: what the engine must remember about a pair
// lives on the event (source.IncidentRef: the incident, the dedup key, and
// watermarks of what was last reconciled) and as markers in the text it
// writes ("[pd:<log entry id>]" on event log lines copied from PagerDuty,
// "[pdbridge:…]" on everything else), so that every copy and every
// explanation is written exactly once, whatever rewrites the text around it.
package reconcile

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Direction says which side a pass may change.
type Direction string

// Directions.
const (
	Both          Direction = "both"           // each side follows the other
	ToPagerDuty   Direction = "to_pagerduty"   // events drive incidents; events are never changed
	FromPagerDuty Direction = "from_pagerduty" // incidents drive events; incidents are created but never changed
)

// Conflict says whose status wins when the two sides disagree.
type Conflict string

// Conflict policies.
const (
	MostRecent    Conflict = "most_recent"    // the side whose status changed last
	SourceWins    Conflict = "source_wins"    // the event's status always wins
	PagerDutyWins Conflict = "pagerduty_wins" // the incident's status always wins
)

// Side is one of the two systems.
type Side string

// Sides.
const (
	SourceSide    Side = "source"
	PagerDutySide Side = "pagerduty"
)

// Maintenance and disabled-service policies.
const (
	PolicyAcknowledgeEvent = "acknowledge_event" // on_service_maintenance: acknowledge with a log line
	PolicyAnnotateEvent    = "annotate_event"    // on_service_disabled: leave open with a log line
	PolicySkip             = "skip"              // leave the event alone; it is sent once the service takes incidents
)

// Settings is the policy of one source's sync. Build it with Parse.
type Settings struct {
	// Source names the console (the provider's sources key); it namespaces
	// dedup keys and marks the incidents this sync owns.
	Source  string
	Routing *routing.Compiled

	Direction Direction
	Conflict  Conflict
	// TieWinner takes a most_recent conflict when both sides changed within
	// ClockSkew of each other.
	TieWinner Side
	ClockSkew time.Duration
	// Lookback is how far back a pass looks for closed events and for
	// changes; it must exceed the longest gap between two passes.
	Lookback time.Duration
	// MaxEventsPerPass caps the events a pass sends to PagerDuty (new
	// incidents); the rest wait for the next pass.
	MaxEventsPerPass int
	// NoteScanPerPass is how many quiet pairs a pass reads in full to find
	// notes added to their events (a note changes nothing else a listing shows).
	NoteScanPerPass int
	MinSeverity     source.Severity
	// InitialOccurrenceOnly sends an event once; otherwise each new
	// occurrence of a paired event is sent again (PagerDuty de-duplicates it).
	InitialOccurrenceOnly bool
	DedupKey              *template.Template

	OnServiceMaintenance string // PolicyAcknowledgeEvent or PolicySkip
	OnServiceDisabled    string // PolicyAnnotateEvent or PolicySkip

	// IncidentManagement's options, with its defaults.
	AcknowledgeEventOnIncidentCreation   bool
	AcknowledgeEventOnIncidentAssignment bool
	CloseEventOnIncidentResolution       bool
	ResolveIncidentOnEventClose          bool
	ReopenIncidentOnEventReopen          bool
	ReopenIncidentOnEventRecurrence      bool
	CheckIncidentOpenBeforeAssociating   bool
	CopyEventNotesToIncident             bool
	CopyIncidentLogToEvent               bool

	// Suppression is flood control; nil is off.
	Suppression *Suppression
	// RunTimeout bounds a pass, and is how long its lock holds.
	RunTimeout time.Duration
}

// Suppression limits how many incidents events of one dedup format may open
// within a window (IncidentManagement's notification suppression). Events
// without a device are exempt, as in IncidentManagement 3.0.4.
type Suppression struct {
	MaxIncidents int
	Window       time.Duration
	DedupFormat  *template.Template
}

// Defaults, as documented on pdbridge_sync_settings.
const (
	DefaultClockSkew        = 30 * time.Second
	DefaultLookback         = 48 * time.Hour
	DefaultMaxEventsPerPass = 500
	DefaultNoteScanPerPass  = 100
	DefaultRunTimeout       = 10 * time.Minute
	DefaultDedupKey         = "{{.Source}}/{{.ID}}"
	DefaultFloodFormat      = "{{.Device}}|{{.Component}}|{{.Severity}}"
)

// Input is the settings as written: nil or empty values take the defaults.
type Input struct {
	Source                               string
	Routing                              *routing.Transform
	Direction, Conflict, TieWinner       string
	ClockSkewTolerance, Lookback         string
	MaxEventsPerPass, NoteScanPerPass    *int64
	MinSeverity                          string
	InitialOccurrenceOnly                *bool
	DedupKeyTemplate                     string
	OnServiceMaintenance                 string
	OnServiceDisabled                    string
	AcknowledgeEventOnIncidentCreation   *bool
	AcknowledgeEventOnIncidentAssignment *bool
	CloseEventOnIncidentResolution       *bool
	ResolveIncidentOnEventClose          *bool
	ReopenIncidentOnEventReopen          *bool
	ReopenIncidentOnEventRecurrence      *bool
	CheckIncidentOpenBeforeAssociating   *bool
	CopyEventNotesToIncident             *bool
	CopyIncidentLogToEvent               *bool
	Suppression                          *SuppressionInput
	RunTimeout                           string
}

// SuppressionInput is the suppression block as written.
type SuppressionInput struct {
	MaxIncidents *int64
	Window       string
	DedupFormat  string
}

// FieldError is a problem with one setting; Field is its attribute path
// (e.g. "suppression.window").
type FieldError struct {
	Field, Summary, Detail string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Detail }

// EventData is what the dedup key and suppression templates see.
type EventData struct {
	Source     string // the sources key
	ID         string
	DedupID    string
	Device     string
	Component  string
	EventClass string
	Severity   string
	Summary    string
	Details    map[string]string
}

// Parse checks in and applies the defaults; every problem names its field.
// A nil Routing is left nil (the settings resource may check before the
// transform is known); Run refuses settings without one.
func Parse(in Input) (Settings, []FieldError) {
	var errs []FieldError
	bad := func(field, summary, format string, a ...any) {
		errs = append(errs, FieldError{Field: field, Summary: summary, Detail: fmt.Sprintf(format, a...)})
	}
	s := Settings{Source: in.Source}
	if strings.TrimSpace(in.Source) == "" {
		bad("source", "Missing Source", "source must name one of the provider's sources.")
	}
	oneOf := func(field, v, def string, allowed ...string) string {
		if v == "" {
			return def
		}
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		bad(field, "Invalid "+title(field), "%q is not one of %s.", v, strings.Join(quoteAll(allowed), ", "))
		return def
	}
	s.Direction = Direction(oneOf("direction", in.Direction, string(Both), string(Both), string(ToPagerDuty), string(FromPagerDuty)))
	s.Conflict = Conflict(oneOf("conflict", in.Conflict, string(MostRecent), string(MostRecent), string(SourceWins), string(PagerDutyWins)))
	s.TieWinner = Side(oneOf("tie_winner", in.TieWinner, string(SourceSide), string(SourceSide), string(PagerDutySide)))
	s.OnServiceMaintenance = oneOf("on_service_maintenance", in.OnServiceMaintenance, PolicyAcknowledgeEvent, PolicyAcknowledgeEvent, PolicySkip)
	s.OnServiceDisabled = oneOf("on_service_disabled", in.OnServiceDisabled, PolicyAnnotateEvent, PolicyAnnotateEvent, PolicySkip)

	dur := func(field, v string, def, minimum time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad(field, "Invalid Duration", "%q is not a duration: write it like \"30s\", \"15m\" or \"48h\".", v)
			return def
		case d < minimum:
			bad(field, "Invalid Duration", "%s is too short: the least is %s.", v, minimum)
			return def
		}
		return d
	}
	s.ClockSkew = dur("clock_skew_tolerance", in.ClockSkewTolerance, DefaultClockSkew, 0)
	s.Lookback = dur("lookback", in.Lookback, DefaultLookback, 5*time.Minute)
	s.RunTimeout = dur("run_timeout", in.RunTimeout, DefaultRunTimeout, 10*time.Second)
	if s.ClockSkew >= s.Lookback {
		bad("clock_skew_tolerance", "Invalid Duration", "clock_skew_tolerance (%s) must be shorter than lookback (%s).", s.ClockSkew, s.Lookback)
	}

	count := func(field string, v *int64, def, minimum, maximum int) int {
		if v == nil {
			return def
		}
		if *v < int64(minimum) || *v > int64(maximum) {
			bad(field, "Invalid Number", "%d is out of range: use %d to %d.", *v, minimum, maximum)
			return def
		}
		return int(*v)
	}
	s.MaxEventsPerPass = count("max_events_per_pass", in.MaxEventsPerPass, DefaultMaxEventsPerPass, 1, 100000)
	s.NoteScanPerPass = count("note_scan_per_pass", in.NoteScanPerPass, DefaultNoteScanPerPass, 0, 100000)

	s.MinSeverity = source.SeverityWarning
	if in.MinSeverity != "" {
		sev, err := source.ParseSeverity(in.MinSeverity)
		if err != nil || sev == source.SeverityUnknown {
			bad("min_severity", "Invalid Severity", "%q is not a severity: use clear, debug, info, warning, error or critical.", in.MinSeverity)
		} else {
			s.MinSeverity = sev
		}
	}

	flag := func(v *bool, def bool) bool {
		if v == nil {
			return def
		}
		return *v
	}
	s.InitialOccurrenceOnly = flag(in.InitialOccurrenceOnly, true)
	s.AcknowledgeEventOnIncidentCreation = flag(in.AcknowledgeEventOnIncidentCreation, false)
	s.AcknowledgeEventOnIncidentAssignment = flag(in.AcknowledgeEventOnIncidentAssignment, false)
	s.CloseEventOnIncidentResolution = flag(in.CloseEventOnIncidentResolution, false)
	s.ResolveIncidentOnEventClose = flag(in.ResolveIncidentOnEventClose, true)
	s.ReopenIncidentOnEventReopen = flag(in.ReopenIncidentOnEventReopen, true)
	s.ReopenIncidentOnEventRecurrence = flag(in.ReopenIncidentOnEventRecurrence, false)
	s.CheckIncidentOpenBeforeAssociating = flag(in.CheckIncidentOpenBeforeAssociating, true)
	s.CopyEventNotesToIncident = flag(in.CopyEventNotesToIncident, true)
	s.CopyIncidentLogToEvent = flag(in.CopyIncidentLogToEvent, true)

	keyText := in.DedupKeyTemplate
	if keyText == "" {
		keyText = DefaultDedupKey
	}
	if t, err := parseEventTemplate("dedup_key_template", keyText); err != nil {
		bad("dedup_key_template", "Invalid Template", "%v", err)
	} else {
		s.DedupKey = t
	}

	if sup := in.Suppression; sup != nil {
		out := &Suppression{}
		if sup.MaxIncidents == nil {
			bad("suppression.max_incidents", "Missing Value", "suppression needs max_incidents, the most incidents one dedup format may open within window.")
		} else {
			out.MaxIncidents = count("suppression.max_incidents", sup.MaxIncidents, 1, 1, 100000)
		}
		if sup.Window == "" {
			bad("suppression.window", "Missing Value", "suppression needs window, e.g. \"5m\".")
		} else {
			out.Window = dur("suppression.window", sup.Window, time.Minute, time.Second)
		}
		format := sup.DedupFormat
		if format == "" {
			format = DefaultFloodFormat
		}
		if t, err := parseEventTemplate("suppression.dedup_format", format); err != nil {
			bad("suppression.dedup_format", "Invalid Template", "%v", err)
		} else {
			out.DedupFormat = t
		}
		s.Suppression = out
	}

	if in.Routing != nil {
		c, err := routing.Compile(*in.Routing, false)
		if err != nil {
			bad("routing", "Invalid Routing", "%v", err)
		}
		s.Routing = c
	}
	return s, errs
}

// eventFields are EventData's fields, for template checks.
var eventFields = routing.TemplateFields{Strings: []string{"Source", "ID", "DedupID", "Device", "Component", "EventClass", "Severity", "Summary"},
	Map: "Details", MapHint: "the event's details"}

// parseEventTemplate parses a template over EventData and checks, without
// running it, that it names only EventData's fields.
func parseEventTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "template: "))
	}
	if err := routing.CheckFields(t, eventFields); err != nil {
		return nil, err
	}
	return t, nil
}

func title(field string) string {
	words := strings.Split(field, "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
