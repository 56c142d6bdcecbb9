package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Executor applies plans. It is the only part of the engine that writes.
type Executor struct {
	Source source.Source
	PD     PagerDuty
	// Progress, when set, hears one line per batch of operations.
	Progress func(string)
}

// Result is what an execution did.
type Result struct {
	Done   []Op
	Failed []Failure
	// Skipped are operations not attempted because an earlier operation on
	// the same event failed (its watermark must not hide the failure).
	Skipped []Op
}

// Failure is an operation that failed, and why.
type Failure struct {
	Op  Op
	Err error
}

// Counts are the operations by outcome ("done", "failed", "skipped") and kind.
func (r Result) Counts() map[string]map[Kind]int {
	out := map[string]map[Kind]int{"done": {}, "failed": {}, "skipped": {}}
	for _, o := range r.Done {
		out["done"][o.Kind]++
	}
	for _, f := range r.Failed {
		out["failed"][f.Op.Kind]++
	}
	for _, o := range r.Skipped {
		out["skipped"][o.Kind]++
	}
	return out
}

type execution struct {
	x       *Executor
	caps    source.Capabilities
	res     *Result
	failed  map[string]bool   // event ids with a failed operation
	keys    map[string]string // connector id -> routing key
	written map[string]bool   // "event\x00line" already written this execution
}

// Execute applies plan's operations, kind by kind in the order of Kinds:
// explanations and creations, then incident status changes in bulk, notes,
// event status changes, copied log lines, and last the watermarks, which
// are written only for events whose every other operation succeeded. It
// stops early only when ctx ends; every failed operation is in the result.
func (x *Executor) Execute(ctx context.Context, plan Plan) Result {
	ex := &execution{x: x, caps: x.Source.Capabilities(), res: &Result{}, failed: map[string]bool{}, keys: map[string]string{}, written: map[string]bool{}}
	byKind := map[Kind][]Op{}
	for _, o := range plan.Ops {
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	for _, k := range Kinds {
		ops := byKind[k]
		if len(ops) == 0 {
			continue
		}
		if ctx.Err() != nil {
			for _, o := range ops {
				ex.res.Failed = append(ex.res.Failed, Failure{Op: o, Err: ctx.Err()})
			}
			continue
		}
		switch k {
		case AcknowledgeIncident, UnacknowledgeIncident, ReopenIncident, ResolveIncident:
			ex.incidentStatus(ctx, ops)
		default:
			for _, o := range ops {
				if o.EventID != "" && ex.failed[o.EventID] && dependsOnEarlier(k) {
					ex.res.Skipped = append(ex.res.Skipped, o)
					continue
				}
				ex.finish(o, ex.one(ctx, o))
			}
			ex.progress(k, len(ops))
		}
	}
	return *ex.res
}

// dependsOnEarlier reports kinds that must not run once an earlier
// operation on the same event failed: watermarks and references would hide
// the failure from the next pass, and a status change may need the one
// before it (an acknowledge after a re-open).
func dependsOnEarlier(k Kind) bool {
	switch k {
	case Watermark, Link, AcknowledgeEvent, UnacknowledgeEvent, CloseEvent:
		return true
	}
	return false
}

func (ex *execution) finish(o Op, err error) {
	if err != nil {
		ex.res.Failed = append(ex.res.Failed, Failure{Op: o, Err: err})
		if o.EventID != "" {
			ex.failed[o.EventID] = true
		}
		return
	}
	ex.res.Done = append(ex.res.Done, o)
}

func (ex *execution) progress(k Kind, n int) {
	if ex.x.Progress == nil || k == Watermark {
		return
	}
	failed := 0
	for _, f := range ex.res.Failed {
		if f.Op.Kind == k {
			failed++
		}
	}
	msg := fmt.Sprintf("%s: %d done", k, n-failed)
	if failed > 0 {
		msg += fmt.Sprintf(", %d failed", failed)
	}
	ex.x.Progress(msg)
}

// line writes an operation's line to its event's log, once per execution.
func (ex *execution) line(ctx context.Context, eventID, text string) error {
	if text == "" || !ex.caps.AppendLog {
		return nil
	}
	k := eventID + "\x00" + text
	if ex.written[k] {
		return nil
	}
	if err := ex.x.Source.AppendLog(ctx, eventID, text); err != nil {
		return fmt.Errorf("writing to the log of event %s: %w", eventID, err)
	}
	ex.written[k] = true
	return nil
}

func (ex *execution) setRef(ctx context.Context, eventID string, ref *source.IncidentRef) error {
	if ref == nil || !ex.caps.IncidentRef {
		return nil
	}
	if err := ex.x.Source.SetIncidentRef(ctx, eventID, *ref); err != nil {
		return fmt.Errorf("writing the incident reference onto event %s: %w", eventID, err)
	}
	return nil
}

func (ex *execution) one(ctx context.Context, o Op) error {
	pd := ex.x.PD
	switch o.Kind {
	case AnnotateEvent, CopyLogToEvent:
		return ex.line(ctx, o.EventID, o.Line)
	case CreateIncident:
		// The pending reference goes first: a pass cut off after the send
		// then re-sends through the same connector with the same key, and
		// PagerDuty de-duplicates, whatever routing says by then.
		if err := ex.setRef(ctx, o.EventID, o.Ref); err != nil {
			return err
		}
		return ex.send(ctx, o, "the trigger")
	case ResendEvent:
		return ex.send(ctx, o, "the new occurrence")
	case Associate:
		if err := ex.setRef(ctx, o.EventID, o.Ref); err != nil {
			return err
		}
		if o.Note != "" {
			if _, err := pd.AddNote(ctx, o.IncidentID, o.Note); err != nil {
				return fmt.Errorf("noting event %s on incident %s: %w", o.EventID, o.IncidentID, err)
			}
		}
		return ex.line(ctx, o.EventID, o.Line)
	case Link:
		if err := ex.setRef(ctx, o.EventID, o.Ref); err != nil {
			return err
		}
		return ex.line(ctx, o.EventID, o.Line)
	case Watermark:
		return ex.setRef(ctx, o.EventID, o.Ref)
	case ResolveAlerts:
		if err := ex.line(ctx, o.EventID, o.Line); err != nil {
			return err
		}
		alerts, err := pd.ListAlerts(ctx, o.IncidentID, "")
		if err != nil {
			return err
		}
		var ids []string
		for _, a := range alerts {
			if a.Status == "triggered" && slices.Contains(o.AlertKeys, a.Key) {
				ids = append(ids, a.ID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return pd.ResolveAlerts(ctx, o.IncidentID, ids)
	case CopyNoteToIncident:
		_, err := pd.AddNote(ctx, o.IncidentID, o.Note)
		return err
	case AcknowledgeEvent, UnacknowledgeEvent, CloseEvent, ReopenEvent:
		return ex.eventStatus(ctx, o)
	}
	return fmt.Errorf("unknown operation %q", o.Kind)
}

// send sends the op's trigger through the routing key of its reference's
// connector.
func (ex *execution) send(ctx context.Context, o Op, what string) error {
	key, err := ex.routingKey(ctx, o.Ref.ConnectorID)
	if err != nil {
		return err
	}
	ev := *o.Trigger
	ev.RoutingKey = key
	if _, err := ex.x.PD.SendAlertEvent(ctx, ev); err != nil {
		return fmt.Errorf("sending %s for event %s: %w", what, o.EventID, err)
	}
	return nil
}

// eventStatus changes an event's status; a refusal is recorded once on the
// event (the planner then does not retry this change) and reported.
func (ex *execution) eventStatus(ctx context.Context, o Op) error {
	if err := ex.line(ctx, o.EventID, o.Line); err != nil {
		return err
	}
	src := ex.x.Source
	if o.IncidentID != "" {
		ctx = source.WithIncident(ctx, source.IncidentRef{IncidentID: o.IncidentID, URL: o.IncidentURL})
	}
	var err error
	switch o.Kind {
	case AcknowledgeEvent:
		_, err = src.Acknowledge(ctx, o.EventID)
	case CloseEvent:
		_, err = src.Close(ctx, o.EventID)
	default: // ReopenEvent, UnacknowledgeEvent: both back to new
		_, err = src.Reopen(ctx, o.EventID)
	}
	var refused *source.RefusedError
	reason := ""
	switch {
	case errors.As(err, &refused):
		reason = refused.Reason
	case errors.Is(err, source.ErrUnsupported):
		// The console cannot do it for this event (an Icinga 2 check that is
		// not passive cannot be set OK): recorded once, like a refusal.
		reason = err.Error()
	}
	if reason != "" && o.Refusal != "" {
		text := fmt.Sprintf("Could not %s the event to follow PagerDuty incident %s: %s %s", verb(o.Kind), o.IncidentID, reason, o.Refusal)
		if lerr := ex.line(ctx, o.EventID, text); lerr != nil {
			return errors.Join(err, lerr)
		}
	}
	if err != nil {
		return fmt.Errorf("%s of event %s: %w", verb(o.Kind), o.EventID, err)
	}
	return nil
}

// incidentStatus writes the operations' lines, then changes the incidents'
// status in bulk (at most 250 a request).
func (ex *execution) incidentStatus(ctx context.Context, ops []Op) {
	var ready []Op
	for _, o := range ops {
		if err := ex.line(ctx, o.EventID, o.Line); err != nil {
			ex.finish(o, err)
			continue
		}
		ready = append(ready, o)
	}
	batches := (len(ready) + pagerduty.MaxBulkIncidents - 1) / pagerduty.MaxBulkIncidents
	for b := range batches {
		batch := ready[b*pagerduty.MaxBulkIncidents : min((b+1)*pagerduty.MaxBulkIncidents, len(ready))]
		updates := make([]pagerduty.IncidentUpdate, len(batch))
		for i, o := range batch {
			updates[i] = pagerduty.IncidentUpdate{ID: o.IncidentID, Status: o.Status, Resolution: o.Resolution}
		}
		applied, err := ex.x.PD.UpdateIncidents(ctx, updates)
		for i, o := range batch {
			if i < applied {
				ex.finish(o, nil)
			} else {
				ex.finish(o, err)
			}
		}
		if ex.x.Progress != nil {
			msg := fmt.Sprintf("%s: %d incidents updated in PagerDuty (batch %d of %d)", batch[0].Kind, applied, b+1, batches)
			if err != nil {
				msg += ": " + err.Error()
			}
			ex.x.Progress(msg)
		}
	}
}

// routingKey finds a connector's routing key (once per execution).
func (ex *execution) routingKey(ctx context.Context, connectorID string) (string, error) {
	if k, ok := ex.keys[connectorID]; ok {
		return k, nil
	}
	svc, integ, err := routing.SplitConnectorID(connectorID)
	if err != nil {
		return "", err
	}
	i, err := ex.x.PD.GetIntegration(ctx, svc, integ)
	if err != nil {
		return "", fmt.Errorf("reading connector %s: %w", connectorID, err)
	}
	if i.IntegrationKey == "" {
		return "", fmt.Errorf("connector %s has no routing key", connectorID)
	}
	ex.keys[connectorID] = i.IntegrationKey
	return i.IntegrationKey, nil
}

// Describe renders operations for people, one per line, in plan order.
func Describe(ops []Op) string {
	lines := make([]string, 0, len(ops))
	for _, o := range ops {
		lines = append(lines, string(o.Kind)+": "+o.Reason)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
