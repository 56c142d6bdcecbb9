package reconcile

import (
	"slices"
	"sort"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Kind is what an operation does.
type Kind string

// Operation kinds. Each changes one thing on one side, except Link and
// Watermark, which only write what the engine keeps on the event.
const (
	CreateIncident        Kind = "create_incident"        // send a trigger for an unpaired event
	ResendEvent           Kind = "resend_event"           // a new occurrence of a paired event, sent again to its incident's alert
	Associate             Kind = "associate"              // pair a new event with an open incident of the same signature, with a note
	Link                  Kind = "link"                   // write the incident reference onto an event (a pair found, or a merge followed)
	AcknowledgeIncident   Kind = "acknowledge_incident"   //
	UnacknowledgeIncident Kind = "unacknowledge_incident" // back to triggered
	ResolveIncident       Kind = "resolve_incident"       //
	ReopenIncident        Kind = "reopen_incident"        // a resolved incident back to triggered or acknowledged
	ResolveAlerts         Kind = "resolve_alerts"         // the alerts of closed events, when the incident has others
	AcknowledgeEvent      Kind = "acknowledge_event"      //
	UnacknowledgeEvent    Kind = "unacknowledge_event"    // back to new
	CloseEvent            Kind = "close_event"            //
	ReopenEvent           Kind = "reopen_event"           //
	CopyLogToEvent        Kind = "copy_log_to_event"      // a PagerDuty log entry as an event log line
	CopyNoteToIncident    Kind = "copy_note_to_incident"  // an event note as an incident note
	AnnotateEvent         Kind = "annotate_event"         // one log line saying why nothing (more) happens
	Watermark             Kind = "watermark"              // bookkeeping: what the pair was reconciled up to
)

// Kinds lists every kind, in the order the executor applies them.
var Kinds = []Kind{AnnotateEvent, CreateIncident, ResendEvent, Associate, Link, AcknowledgeIncident, UnacknowledgeIncident, ReopenIncident,
	ResolveIncident, ResolveAlerts, CopyNoteToIncident, ReopenEvent, UnacknowledgeEvent, AcknowledgeEvent, CloseEvent,
	CopyLogToEvent, Watermark}

// InOrder returns ops in the order the executor applies them (kind by kind,
// as Kinds lists them).
func InOrder(ops []Op) []Op {
	out := slices.Clone(ops)
	sort.SliceStable(out, func(i, j int) bool { return slices.Index(Kinds, out[i].Kind) < slices.Index(Kinds, out[j].Kind) })
	return out
}

// Op is one operation of a plan.
type Op struct {
	Kind       Kind
	EventID    string
	IncidentID string
	// Reason says, for people, what the operation does and why.
	Reason string

	// Line is the text written to the event's log: by AnnotateEvent and
	// CopyLogToEvent, and before a status change to say why (it carries its
	// marker, so a pass cut off after writing it does not write it again).
	Line string
	// Note is an incident note (CopyNoteToIncident, Associate).
	Note string
	// Status is the target status: an incident status for incident
	// operations (with Resolution when resolving), an event status for
	// event operations.
	Status     string
	Resolution string
	// AlertKeys are the alert keys ResolveAlerts resolves.
	AlertKeys []string
	// Trigger is the event CreateIncident sends.
	Trigger *pagerduty.AlertEvent
	// Ref is what Link, Associate, CreateIncident and Watermark write onto
	// the event (CreateIncident writes it, as pending, before it sends).
	Ref *source.IncidentRef
	// Refusal is the marker the executor records when the console refuses
	// an event status change, so the planner does not retry it.
	Refusal string
	// IncidentURL is the incident's page, for event status changes: the
	// console may keep it with the change (see source.WithIncident).
	IncidentURL string
}

// Bookkeeping reports whether the operation only records what the engine
// keeps (watermarks): it changes nothing a person sees, and a plan made of
// such operations alone is in sync.
func (o Op) Bookkeeping() bool { return o.Kind == Watermark }

// Plan is what a pass would do.
type Plan struct {
	Ops []Op
	// Skipped counts events left alone, by reason (below_min_severity,
	// dropped_by_routing, unrouted, deferred, …).
	Skipped map[string]int
	// Missing is what the planner still needs to decide about some pairs.
	Missing Missing
}

// Pending counts the operations that change something (not bookkeeping).
func (p Plan) Pending() int {
	n := 0
	for _, o := range p.Ops {
		if !o.Bookkeeping() {
			n++
		}
	}
	return n
}

// Counts returns the number of operations of each kind.
func (p Plan) Counts() map[Kind]int {
	c := map[Kind]int{}
	for _, o := range p.Ops {
		c[o.Kind]++
	}
	return c
}
