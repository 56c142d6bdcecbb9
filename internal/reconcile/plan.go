package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Ref states the engine writes (source.IncidentRef.State).
const (
	statePending = "pending" // the trigger is sent (or about to be); the incident may not exist yet
	// "triggered", "acknowledged", "resolved": the incident's status when last reconciled.
	stateMaintenance = "maintenance:" // + window id(s): no incident, the event was handled for maintenance
	stateDisabled    = "disabled:"    // + service id: no incident while the service is disabled
	stateFlood       = "flood:"       // + group hash: suppressed as a flood, for good
	stateSuppressed  = "suppressed:"  // + rule label: a routing rule suppresses it
)

// Plan decides what a pass does, from the snapshot alone: it has no side
// effects and reads no clock but snap.Now. Pairs it cannot decide about yet
// are left out, and what it needs for them is in Plan.Missing.
func (s Settings) Plan(snap *Snapshot) Plan {
	p := &planner{s: s, snap: snap, skipped: map[string]int{}, missing: newMissing(),
		byFirstKey: map[string]string{}, byEventID: map[string]string{}, bySignature: map[string][]string{},
		pairs: map[string][]source.Event{}, floodPlanned: map[string]int{}, listed: map[string]bool{}, eventStatus: map[string]string{}}
	p.index()
	events := slices.Clone(snap.Events)
	sort.Slice(events, func(i, j int) bool { return events[i].ID < events[j].ID })
	for _, e := range events {
		p.listed[e.ID] = true
	}
	for _, e := range events {
		p.event(e)
	}
	p.orphans()
	ids := make([]string, 0, len(p.pairs))
	for id := range p.pairs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	sweep := p.sweepSet(ids)
	for _, id := range ids {
		p.pair(id, p.pairs[id], sweep)
	}
	return Plan{Ops: p.ops, Skipped: p.skipped, Missing: p.missing}
}

type planner struct {
	s       Settings
	snap    *Snapshot
	ops     []Op
	skipped map[string]int
	missing Missing

	byFirstKey  map[string]string   // open incident by its first alert's dedup key
	byEventID   map[string]string   // open incident of this sync by the event behind it
	bySignature map[string][]string // open incidents of this sync by the event's signature (dedupid)
	listed      map[string]bool     // event ids the listing holds

	pairs        map[string][]source.Event // incident id -> its events
	eventStatus  map[string]string         // event id -> the status this plan's operations leave it in
	triggers     int
	floodPlanned map[string]int
}

func (p *planner) add(o Op) {
	p.ops = append(p.ops, o)
	switch o.Kind {
	case AcknowledgeEvent, UnacknowledgeEvent, CloseEvent, ReopenEvent:
		p.eventStatus[o.EventID] = o.Status
	}
}

func (p *planner) skip(reason string) { p.skipped[reason]++ }

func (p *planner) index() {
	ids := make([]string, 0, len(p.snap.Open))
	for id := range p.snap.Open {
		ids = append(ids, id)
	}
	sort.Strings(ids) // oldest id first, so ties resolve the same way every pass
	for _, id := range ids {
		inc := p.snap.Open[id]
		if inc.FirstTrigger != nil && inc.FirstTrigger.DedupKey != "" {
			if _, dup := p.byFirstKey[inc.FirstTrigger.DedupKey]; !dup {
				p.byFirstKey[inc.FirstTrigger.DedupKey] = id
			}
		}
		if o, ok := originOf(inc); ok && o.Source == p.s.Source {
			if _, dup := p.byEventID[o.EventID]; !dup {
				p.byEventID[o.EventID] = id
			}
			if o.Signature != "" {
				p.bySignature[o.Signature] = append(p.bySignature[o.Signature], id)
			}
		}
	}
}

// ---- pairing and creation ----

func (p *planner) event(e source.Event) {
	if e.Status == source.StatusUnknown {
		p.skip("unknown_status")
		return
	}
	ref := e.Ref
	switch {
	case ref.IncidentID != "":
		p.pairs[ref.IncidentID] = append(p.pairs[ref.IncidentID], e)
		return
	case ref.DedupKey != "" && ref.State == statePending:
		if id, ok := p.find(e, ref.DedupKey); ok {
			p.link(e, id, ref)
			return
		} else if !p.looked(ref.DedupKey) {
			return
		}
		// Not there: PagerDuty may have dropped it (or not processed it
		// yet). Send it again through the same connector with the same key;
		// PagerDuty de-duplicates.
		if e.Status.Open() {
			p.create(e, &ref)
		}
		return
	}
	if id, ok := p.byEventID[e.ID]; ok {
		// Ours, but the reference was never written (a pass cut off, or a
		// console that keeps none).
		p.link(e, id, source.IncidentRef{})
		return
	}
	if !e.Status.Open() {
		p.skip("closed_unpaired")
		return
	}
	if e.Severity < p.s.MinSeverity {
		p.skip("below_min_severity")
		return
	}
	if settled(ref.State) {
		p.skip("settled")
		return
	}
	if !p.snap.Caps.IncidentRef {
		// Nowhere to keep the reference: the incident, if any, is found by
		// the dedup key every pass.
		ev, err := p.s.outgoing(e)
		if err == nil {
			if id, ok := p.find(e, ev.DedupKey); ok {
				p.link(e, id, source.IncidentRef{DedupKey: ev.DedupKey})
				return
			} else if !p.looked(ev.DedupKey) {
				return
			}
		}
	}
	p.create(e, nil)
}

// settled reports ref states that keep an unpaired event from being sent.
func settled(state string) bool {
	return strings.HasPrefix(state, stateMaintenance) || strings.HasPrefix(state, stateFlood) || strings.HasPrefix(state, stateSuppressed)
}

// find looks for the open incident of a dedup key: the first alert of an
// open incident, else an incident_key lookup (which also finds later
// alerts of grouped incidents), asked for when not done yet.
func (p *planner) find(e source.Event, key string) (string, bool) {
	if id, ok := p.byFirstKey[key]; ok {
		return id, true
	}
	if id, ok := p.byEventID[e.ID]; ok {
		return id, true
	}
	ids, looked := p.snap.ByKey[key]
	if !looked {
		p.missing.Keys[key] = true
		return "", false
	}
	// Prefer an open incident, then the newest.
	best := ""
	for _, id := range ids {
		inc, ok := p.snap.incident(id)
		if !ok {
			continue
		}
		if best == "" || inc.Status != "resolved" {
			best = id
		}
	}
	return best, best != ""
}

// askIncident asks for an incident to be read, unless PagerDuty already
// said it does not exist.
func (p *planner) askIncident(id string) {
	if !p.snap.Lost[id] {
		p.missing.Incidents[id] = true
	}
}

func (p *planner) looked(key string) bool {
	_, ok := p.snap.ByKey[key]
	return ok
}

// link writes the reference of a pair just found (the incident a trigger
// opened), with the line that says so, and reconciles the pair in the
// same pass.
func (p *planner) link(e source.Event, incidentID string, ref source.IncidentRef) {
	inc, ok := p.snap.incident(incidentID)
	if !ok {
		p.askIncident(incidentID)
		return
	}
	if !p.snap.Loaded.Services {
		p.missing.Services = true // the line names the service
		return
	}
	if ref.ConnectorID == "" || ref.DedupKey == "" {
		if ev, err := p.s.outgoing(e); err == nil && p.s.Routing != nil {
			if d, err := p.s.Routing.Route(ev); err == nil {
				ref.ConnectorID = firstNonEmpty(ref.ConnectorID, d.ConnectorID)
				ref.DedupKey = firstNonEmpty(ref.DedupKey, d.Event.DedupKey)
			}
		}
	}
	newRef := source.IncidentRef{IncidentID: inc.ID, URL: inc.HTMLURL, Created: inc.CreatedAt, ConnectorID: ref.ConnectorID,
		DedupKey: ref.DedupKey, State: inc.Status}
	line := fmt.Sprintf("%s created on %s for this event", incidentText(inc), serviceText(p.snap.Services[inc.ServiceID], inc.ServiceID))
	if ref.ConnectorID != "" {
		line += " through connector " + ref.ConnectorID
	}
	line += " " + marker("created", inc.ID)
	reason := fmt.Sprintf("event %s is paired with incident %s, which its trigger opened", e.ID, inc.ID)
	if p.snap.Caps.IncidentRef {
		p.add(Op{Kind: Link, EventID: e.ID, IncidentID: inc.ID, Ref: &newRef, Line: p.lineUnlessLogged(e, line), Reason: reason})
	} else {
		// Nowhere to keep the reference: the pair is found again by its key
		// every pass, and only the line is written, once.
		p.annotate(e, inc.ID, line, reason)
	}
	if p.s.AcknowledgeEventOnIncidentCreation && p.s.Direction != ToPagerDuty && e.Status == source.StatusNew && inc.Status != "resolved" {
		p.eventOp(e, inc, AcknowledgeEvent, "acknowledged", marker("ack-on-create", inc.ID),
			fmt.Sprintf("Acknowledging the event: %s was created (acknowledge_event_on_incident_creation)", incidentText(inc)))
	}
	e.Ref = newRef
	p.pairs[inc.ID] = append(p.pairs[inc.ID], e)
}

// lineUnlessLogged returns line, or "" when the event's log already has
// its marker or the event is gone. Without the event's log it returns
// line: a console without a log takes no line, and the executor skips it there.
func (p *planner) lineUnlessLogged(e source.Event, line string) string {
	if d, ok := p.snap.Details[e.ID]; (ok && logHas(d.Log, lineMarker(line))) || p.snap.Gone[e.ID] {
		return "" // logged already, or the event is gone: nowhere to write it
	}
	return line
}

// lineMarker is the marker a line ends with.
func lineMarker(line string) string {
	if i := strings.LastIndex(line, "["); i >= 0 {
		return line[i:]
	}
	return line
}

// annotate plans one explanatory log line, once: it needs the event's log
// to know, and asks for it.
func (p *planner) annotate(e source.Event, incidentID, line, reason string) {
	if !p.snap.Caps.AppendLog || p.snap.Gone[e.ID] {
		return
	}
	d, ok := p.snap.Details[e.ID]
	if !ok {
		p.missing.Events[e.ID] = true
		return
	}
	if logHas(d.Log, lineMarker(line)) {
		return
	}
	p.add(Op{Kind: AnnotateEvent, EventID: e.ID, IncidentID: incidentID, Line: line, Reason: reason})
}

// create handles an unpaired open event: routing, maintenance, disabled
// services, association, flood suppression, then a trigger. pinned is the
// pending reference of an event already sent once: it is sent again
// through the same connector with the same key.
func (p *planner) create(e source.Event, pinned *source.IncidentRef) {
	ev, err := p.s.outgoing(e)
	if err != nil {
		p.annotate(e, "", "No PagerDuty incident: "+err.Error()+" "+marker("error", shortHash(err.Error())), "the event cannot be sent")
		p.skip("cannot_send")
		return
	}
	if p.s.Routing == nil {
		p.skip("no_routing")
		return
	}
	d, err := p.s.Routing.Route(ev)
	if err != nil {
		p.annotate(e, "", "No PagerDuty incident: "+err.Error()+" "+marker("error", shortHash(err.Error())), "routing cannot render the event")
		p.skip("cannot_send")
		return
	}
	if !p.snap.Loaded.Services {
		p.missing.Services = true
		return
	}
	if pinned != nil {
		// The first send's connector and key stand, whatever routing says now.
		d.ConnectorID, d.Event.DedupKey = pinned.ConnectorID, pinned.DedupKey
		d.ServiceID, _, _ = routing.SplitConnectorID(pinned.ConnectorID)
		d.Drop, d.Suppress = false, false
	}
	switch {
	case d.Drop:
		p.skip("dropped_by_routing")
		return
	case !d.Routed():
		p.skip("unrouted")
		return
	case d.Suppress:
		p.settle(e, stateSuppressed+d.Label, fmt.Sprintf("No PagerDuty incident: routing rule %q suppresses this event %s", d.Label, marker("suppressed", d.Label)),
			"a routing rule suppresses the event")
		return
	}
	svc := p.snap.Services[d.ServiceID]

	// Maintenance, on the console's side (a downtime) or PagerDuty's.
	windows := p.windowsOf(d.ServiceID)
	if e.Maintenance != "" || len(windows) > 0 {
		if p.s.OnServiceMaintenance == PolicySkip {
			p.skip("maintenance")
			return
		}
		var what, key string
		if e.Maintenance != "" {
			what = "the event is in maintenance in " + p.snap.SourceKind + " (" + e.Maintenance + ")"
			key = "source-" + shortHash(e.Maintenance)
		} else {
			var names, ids []string
			for _, w := range windows {
				text := fmt.Sprintf("maintenance window %q", firstNonEmpty(w.Description, w.ID))
				if w.HTMLURL != "" {
					text += " (" + w.HTMLURL + ")"
				}
				names = append(names, text+" from "+stamp(w.Start)+" to "+stamp(w.End))
				ids = append(ids, w.ID)
			}
			what = serviceText(svc, d.ServiceID) + " is in " + strings.Join(names, " and ")
			key = strings.Join(ids, ",")
		}
		line := "No PagerDuty incident: " + what
		if p.s.Direction != ToPagerDuty && e.Status == source.StatusNew {
			line += "; event acknowledged"
		}
		line += " " + marker("maintenance", key)
		p.settle(e, stateMaintenance+key, line, "the service is in maintenance")
		if p.s.Direction != ToPagerDuty && e.Status == source.StatusNew && p.snap.Caps.Acknowledge {
			p.add(Op{Kind: AcknowledgeEvent, EventID: e.ID, Status: "acknowledged", Reason: "acknowledged for maintenance: " + what})
		}
		return
	}
	if svc.Status == "disabled" {
		if p.s.OnServiceDisabled == PolicySkip {
			p.skip("service_disabled")
			return
		}
		if e.Ref.State == stateDisabled+d.ServiceID {
			p.skip("service_disabled")
			return
		}
		p.settle(e, stateDisabled+d.ServiceID, "No PagerDuty incident: "+serviceText(svc, d.ServiceID)+" is disabled; the event is left open and is sent once it is enabled "+
			marker("disabled", d.ServiceID), "the service is disabled")
		return
	}

	if pinned == nil && p.associate(e, d) {
		return
	}

	flood, err := p.s.floodKey(e)
	if err != nil {
		p.annotate(e, "", "No PagerDuty incident: "+err.Error()+" "+marker("error", shortHash(err.Error())), "suppression cannot render the event")
		p.skip("cannot_send")
		return
	}
	if flood != "" && pinned == nil {
		n := p.floodPlanned[flood]
		since := p.snap.Now.Add(-p.s.Suppression.Window)
		for _, inc := range p.snap.Open {
			if o, ok := originOf(inc); ok && o.Source == p.s.Source && o.Flood == flood && !inc.CreatedAt.Before(since) {
				n++
			}
		}
		if n >= p.s.Suppression.MaxIncidents {
			p.settle(e, stateFlood+shortHash(flood), fmt.Sprintf("No PagerDuty incident: flood suppression, %d incidents for %q within %s already %s",
				n, flood, p.s.Suppression.Window, marker("flood", shortHash(flood))), "flood suppression")
			p.skip("flood_suppressed")
			return
		}
	}
	if p.triggers >= p.s.MaxEventsPerPass {
		p.skip("deferred")
		return
	}
	p.triggers++
	if flood != "" {
		p.floodPlanned[flood]++
	}
	trigger := p.trigger(e, d, flood)
	reason := fmt.Sprintf("event %s (%s) opens an incident through connector %s", e.ID, e.Severity, d.ConnectorID)
	if d.Label != "" {
		reason += fmt.Sprintf(", routed by rule %q", d.Label)
	}
	if pinned != nil {
		reason = fmt.Sprintf("event %s was sent but no incident has its key %q yet: sent again through connector %s", e.ID, d.Event.DedupKey, d.ConnectorID)
	}
	p.add(Op{Kind: CreateIncident, EventID: e.ID, Trigger: trigger, Reason: reason,
		Ref: &source.IncidentRef{ConnectorID: d.ConnectorID, DedupKey: d.Event.DedupKey, State: statePending, Created: p.snap.Now}})
}

// trigger is the Events API trigger for an event as routing decided it.
func (p *planner) trigger(e source.Event, d routing.Decision, flood string) *pagerduty.AlertEvent {
	o := origin{Source: p.s.Source, EventID: e.ID, Signature: e.DedupID, Flood: flood}
	details := d.Event.CustomDetails
	if details == nil {
		details = map[string]any{}
	}
	details[detailsKey] = o.details()
	payload := &pagerduty.AlertPayload{Summary: d.Event.Summary, Source: d.Event.Source, Severity: d.Event.Severity,
		Timestamp: d.Event.Timestamp, Component: d.Event.Component, Group: d.Event.Group, Class: d.Event.Class, CustomDetails: details}
	trigger := &pagerduty.AlertEvent{EventAction: "trigger", DedupKey: d.Event.DedupKey, Payload: payload, Client: "pdbridge"}
	if e.URL != "" {
		trigger.ClientURL = e.URL
		trigger.Links = []pagerduty.Link{{Href: e.URL, Text: "Event in " + p.snap.SourceKind}}
	}
	return trigger
}

// resend sends a new occurrence of a paired, open event again, through the
// connector and with the dedup key of its first send, so PagerDuty adds
// it to the same alert (send_on_initial_occurrence_only off).
func (p *planner) resend(e source.Event, inc pagerduty.Incident) {
	if p.s.InitialOccurrenceOnly || !e.Status.Open() || inc.Status == "resolved" || e.Ref.ConnectorID == "" || e.Ref.DedupKey == "" ||
		e.Ref.EventChanged.IsZero() || !e.LastSeen.After(e.Ref.EventChanged.Add(p.snap.Caps.TimePrecision)) || p.s.Routing == nil {
		return
	}
	ev, err := p.s.outgoing(e)
	if err != nil {
		return
	}
	d, err := p.s.Routing.Route(ev)
	if err != nil {
		return
	}
	d.ConnectorID, d.Event.DedupKey = e.Ref.ConnectorID, e.Ref.DedupKey
	flood, _ := p.s.floodKey(e)
	p.add(Op{Kind: ResendEvent, EventID: e.ID, IncidentID: inc.ID, Trigger: p.trigger(e, d, flood), Ref: &e.Ref,
		Reason: fmt.Sprintf("event %s occurred again (count %d): sent again with dedup key %q, joining incident %s", e.ID, e.Count, e.Ref.DedupKey, inc.ID)})
}

// settle writes a state that keeps an unpaired event from being sent (or,
// for a disabled service, from being announced again), with its line.
func (p *planner) settle(e source.Event, state, line, reason string) {
	p.annotate(e, "", line, reason)
	if p.snap.Caps.IncidentRef && e.Ref.State != state {
		ref := e.Ref
		ref.State = state
		p.add(Op{Kind: Watermark, EventID: e.ID, Ref: &ref, Reason: "remember: " + reason})
	}
}

func (p *planner) windowsOf(serviceID string) []pagerduty.MaintenanceWindow {
	var out []pagerduty.MaintenanceWindow
	for _, w := range p.snap.Windows {
		if slices.Contains(w.ServiceIDs, serviceID) && !p.snap.Now.Before(w.Start) && p.snap.Now.Before(w.End) {
			out = append(out, w)
		}
	}
	return out
}

// associate pairs a new event with an incident of the same signature
// (IncidentManagement: "an existing open incident associated with an event
// of the same dedupid"): an open one, or with check_incident_open_before_associating
// off one of a sibling's whatever its status; a resolved sibling incident
// is re-opened when reopen_incident_on_event_recurrence is on.
func (p *planner) associate(e source.Event, d routing.Decision) bool {
	if e.DedupID == "" {
		return false
	}
	target := ""
	for _, id := range p.bySignature[e.DedupID] {
		if o, _ := originOf(p.snap.Open[id]); o.EventID != e.ID {
			target = id // the newest open one
		}
	}
	reopen := false
	if target == "" && (!p.s.CheckIncidentOpenBeforeAssociating || p.s.ReopenIncidentOnEventRecurrence) {
		// A sibling's incident: another listed event with the signature.
		for _, other := range p.snap.Events {
			if other.ID == e.ID || other.DedupID != e.DedupID || other.Ref.IncidentID == "" {
				continue
			}
			inc, ok := p.snap.incident(other.Ref.IncidentID)
			if !ok {
				if other.Ref.State == "resolved" {
					p.askIncident(other.Ref.IncidentID)
				}
				continue
			}
			if inc.Status == "resolved" && inc.MergedInto == "" {
				if !p.s.CheckIncidentOpenBeforeAssociating || p.s.ReopenIncidentOnEventRecurrence {
					target, reopen = inc.ID, p.s.ReopenIncidentOnEventRecurrence
				}
			}
		}
	}
	if target == "" {
		return false
	}
	inc, _ := p.snap.incident(target)
	ref := source.IncidentRef{IncidentID: inc.ID, URL: inc.HTMLURL, Created: p.snap.Now, ConnectorID: d.ConnectorID,
		DedupKey: d.Event.DedupKey, State: inc.Status}
	eventText := "event " + e.ID
	if e.URL != "" {
		eventText += " (" + e.URL + ")"
	}
	note := ""
	if p.s.Direction != FromPagerDuty {
		note = fmt.Sprintf("New event for existing incident: %s, %q %s", eventText, e.Summary, marker("associated", e.ID))
	}
	line := fmt.Sprintf("Associated with %s, which already represents this problem (dedup id %q) %s", incidentText(inc), e.DedupID, marker("associated", inc.ID))
	if reopen {
		line = fmt.Sprintf("The problem recurred: re-opening %s and associating this event with it (reopen_incident_on_event_recurrence) %s", incidentText(inc), marker("associated", inc.ID))
		p.add(Op{Kind: ReopenIncident, EventID: e.ID, IncidentID: inc.ID, Status: "triggered",
			Reason: fmt.Sprintf("event %s recurs the problem of resolved incident %s", e.ID, inc.ID)})
	}
	reason := fmt.Sprintf("event %s has the signature of incident %s", e.ID, inc.ID)
	if p.snap.Caps.IncidentRef {
		p.add(Op{Kind: Associate, EventID: e.ID, IncidentID: inc.ID, Ref: &ref, Note: note, Line: p.lineUnlessLogged(e, line), Reason: reason})
		return true
	}
	// Nowhere to keep the reference: associated again every pass by its
	// signature, with the note and the line written once each.
	p.annotate(e, inc.ID, line, reason)
	if note != "" {
		if notes, ok := p.snap.Notes[inc.ID]; !ok {
			p.missing.Notes[inc.ID] = true
		} else if !notesHave(notes, lineMarker(note)) {
			p.add(Op{Kind: CopyNoteToIncident, EventID: e.ID, IncidentID: inc.ID, Note: note, Reason: reason})
		}
	}
	e.Ref = ref
	p.pairs[inc.ID] = append(p.pairs[inc.ID], e)
	return true
}

// orphans are this sync's open incidents whose event the listing lacks
// (closed before the lookback, archived, or gone): read the event when the
// incident moved recently, so its closure is not missed.
func (p *planner) orphans() {
	paired := map[string]bool{}
	for id := range p.pairs {
		paired[id] = true
	}
	for _, op := range p.ops {
		paired[op.IncidentID] = true
	}
	for eventID, incID := range p.byEventID {
		if p.listed[eventID] || paired[incID] {
			continue
		}
		inc := p.snap.Open[incID]
		if p.snap.Caps.ListClosed && inc.UpdatedAt.Before(p.snap.Now.Add(-p.s.Lookback)) {
			// The console lists what closed within the lookback: an event it
			// does not list, of an incident quiet for longer, was settled long ago.
			// A console whose closed events vanish (Alertmanager's resolved
			// alerts) is asked every pass.
			continue
		}
		if d, ok := p.snap.Details[eventID]; ok {
			if d.Ref.IncidentID == "" || d.Ref.IncidentID == incID {
				d.Ref.IncidentID = incID
				p.pairs[incID] = append(p.pairs[incID], d)
			}
			continue
		}
		if p.snap.Gone[eventID] {
			// The console no longer has it: it is closed for good.
			p.pairs[incID] = append(p.pairs[incID], source.Event{ID: eventID, Status: source.StatusClosed,
				StatusChanged: p.snap.Now, Ref: source.IncidentRef{IncidentID: incID}})
			continue
		}
		p.missing.Events[eventID] = true
	}
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// sweepSet picks the quiet pairs this pass reads in full to find new event
// notes: a window of NoteScanPerPass events that moves every minute, so
// every pair is read within ceil(pairs / NoteScanPerPass) minutes of passes.
func (p *planner) sweepSet(incidentIDs []string) map[string]bool {
	out := map[string]bool{}
	if !p.s.CopyEventNotesToIncident || p.s.NoteScanPerPass == 0 || p.s.Direction == FromPagerDuty || !p.snap.Caps.AppendLog {
		return out
	}
	var ids []string
	for _, inc := range incidentIDs {
		for _, e := range p.pairs[inc] {
			if e.Status.Open() {
				ids = append(ids, e.ID)
			}
		}
	}
	if len(ids) == 0 {
		return out
	}
	sort.Strings(ids)
	k := min(p.s.NoteScanPerPass, len(ids))
	start := int((p.snap.Now.Unix() / 60 * int64(k)) % int64(len(ids)))
	for i := range k {
		out[ids[(start+i)%len(ids)]] = true
	}
	return out
}

// ---- pairs ----

// pairView is an incident with its events, as far as the pass knows them.
type pairView struct {
	inc    pagerduty.Incident
	events []source.Event // with details where read
	// changedE and changedI say which side moved since it was last reconciled.
	changedE, changedI bool
}

func (p *planner) pair(incidentID string, events []source.Event, sweep map[string]bool) {
	if p.snap.Lost[incidentID] {
		// PagerDuty says there is no such incident (to this token): the
		// reference is another account's, or the incident is hidden from
		// this user. The pair is left alone; the rest of the pass goes on.
		p.skip("incident_not_found")
		return
	}
	inc, ok := p.snap.incident(incidentID)
	if !ok {
		allResolved := true
		for _, e := range events {
			allResolved = allResolved && e.Ref.State == "resolved"
		}
		if !allResolved {
			p.askIncident(incidentID)
			return
		}
		// Last seen resolved, and not in the open listing: still resolved,
		// unchanged since.
		inc = pagerduty.Incident{ID: incidentID, Status: "resolved", UpdatedAt: events[0].Ref.IncidentUpdated,
			LastStatusChange: events[0].Ref.IncidentUpdated, HTMLURL: events[0].Ref.URL}
		for _, e := range events {
			if e.Ref.IncidentUpdated.Before(inc.UpdatedAt) {
				inc.UpdatedAt, inc.LastStatusChange = e.Ref.IncidentUpdated, e.Ref.IncidentUpdated
			}
		}
	}
	if inc.MergedInto != "" {
		p.followMerge(inc, events)
		return
	}
	v := pairView{inc: inc}
	needDetail := false
	for _, e := range events {
		if p.eventChanged(e) {
			v.changedE = true
		}
		if p.incidentChanged(inc, e) {
			v.changedI = true
		}
		needDetail = needDetail || sweep[e.ID]
	}
	if !v.changedE && !v.changedI && !needDetail {
		return
	}
	// Decisions need the events' logs (markers) and the incident's recent log.
	complete := true
	for _, e := range events {
		if p.snap.Caps.AppendLog && !p.snap.Gone[e.ID] {
			if _, ok := p.snap.Details[e.ID]; !ok {
				p.missing.Events[e.ID] = true
				complete = false
			}
		}
	}
	since := p.logSince(inc, events)
	if _, ok := p.snap.Logs[inc.ID]; !ok && v.changedI {
		p.missing.log(inc.ID, since)
		complete = false
	}
	if !complete {
		return
	}
	for _, e := range events {
		d, _ := p.snap.event(e)
		d.Ref = e.Ref // the pairing decided here wins over what the event said
		v.events = append(v.events, d)
	}
	before := len(p.ops)
	for _, e := range v.events {
		p.resend(e, inc)
	}
	p.status(v)
	p.copyLog(v)
	p.copyNotes(v)
	// Watermarks only after everything else on the pair: the executor skips
	// them for events whose other operations failed.
	for _, e := range v.events {
		p.watermark(e, inc, len(p.ops) > before)
	}
}

func (p *planner) followMerge(inc pagerduty.Incident, events []source.Event) {
	target := inc
	for range 10 {
		next, ok := p.snap.incident(target.MergedInto)
		if !ok {
			p.askIncident(target.MergedInto)
			return
		}
		target = next
		if target.MergedInto == "" {
			break
		}
	}
	for _, e := range events {
		ref := e.Ref
		ref.IncidentID, ref.URL, ref.State = target.ID, target.HTMLURL, target.Status
		ref.IncidentUpdated = time.Time{} // reconcile with the target from scratch
		line := fmt.Sprintf("%s was merged into %s: the event now follows it %s", incidentText(inc), incidentText(target), marker("merged", inc.ID, target.ID))
		p.add(Op{Kind: Link, EventID: e.ID, IncidentID: target.ID, Ref: &ref, Line: p.lineUnlessLogged(e, line),
			Reason: fmt.Sprintf("incident %s was merged into %s; event %s follows the target", inc.ID, target.ID, e.ID)})
		e.Ref = ref
		p.pairs[target.ID] = append(p.pairs[target.ID], e)
	}
	if _, queued := p.pairs[target.ID]; queued && target.ID > inc.ID {
		return // the target's turn comes later in this plan
	}
	p.pair(target.ID, p.pairs[target.ID], nil)
}

// eventChanged reports whether the event moved since the pair was last
// reconciled: with a watermark on the event, past it; without one (a
// console that keeps no reference), within the lookback.
func (p *planner) eventChanged(e source.Event) bool {
	at := e.StatusChanged
	if !p.s.InitialOccurrenceOnly && e.LastSeen.After(at) {
		at = e.LastSeen
	}
	if !p.snap.Caps.IncidentRef || e.Ref.EventChanged.IsZero() {
		return p.snap.Caps.IncidentRef || !at.Before(p.snap.Now.Add(-p.s.Lookback))
	}
	if e.Ref.EventStatus != "" && !p.s.InitialOccurrenceOnly && e.LastSeen.After(e.Ref.EventChanged.Add(p.snap.Caps.TimePrecision)) {
		return true // a new occurrence
	}
	if e.Ref.EventStatus != "" {
		// The engine's own status changes move StatusChanged too: only a
		// status other than the one it left counts.
		return e.Status.String() != e.Ref.EventStatus
	}
	return at.After(e.Ref.EventChanged.Add(p.snap.Caps.TimePrecision))
}

// statusAfter is the status the event will have once this plan's
// operations on it are done.
func (p *planner) statusAfter(e source.Event) string {
	if s, ok := p.eventStatus[e.ID]; ok {
		return s
	}
	return e.Status.String()
}

func (p *planner) incidentChanged(inc pagerduty.Incident, e source.Event) bool {
	if !p.snap.Caps.IncidentRef || e.Ref.IncidentUpdated.IsZero() {
		return p.snap.Caps.IncidentRef || !inc.UpdatedAt.Before(p.snap.Now.Add(-p.s.Lookback))
	}
	return inc.UpdatedAt.After(e.Ref.IncidentUpdated)
}

// logSince is where a pair's copy of the incident log starts: the oldest
// watermark of its events, else when they were paired; never before the
// lookback.
func (p *planner) logSince(inc pagerduty.Incident, events []source.Event) time.Time {
	since := p.snap.Now
	for _, e := range events {
		t := e.Ref.IncidentUpdated
		if t.IsZero() {
			t = e.Ref.Created
		}
		if t.IsZero() {
			t = inc.CreatedAt
		}
		if t.Before(since) {
			since = t
		}
	}
	since = since.Add(-p.s.ClockSkew)
	if floor := p.snap.Now.Add(-p.s.Lookback); since.Before(floor) {
		since = floor
	}
	return since
}

// status reconciles the pair's status: the events' common status against
// the incident's, the winner's status applied to the other side.
func (p *planner) status(v pairView) {
	inc := v.inc
	agg, tE := aggregate(v.events)
	p.partialCloses(v, agg)
	if inc.Status == agg {
		return
	}
	winner := p.winner(v, tE)
	switch {
	case winner == SourceSide && p.s.Direction != FromPagerDuty:
		p.toIncident(v, agg, tE)
	case winner == PagerDutySide && p.s.Direction != ToPagerDuty:
		p.toEvents(v)
	}
}

// aggregate is the status the events ask of their incident, in PagerDuty's
// words: triggered while any is new, acknowledged while all open ones are,
// resolved once all are closed; and when the last of them changed.
func aggregate(events []source.Event) (string, time.Time) {
	var latest time.Time
	anyNew, anyAck := false, false
	for _, e := range events {
		if e.StatusChanged.After(latest) {
			latest = e.StatusChanged
		}
		switch e.Status {
		case source.StatusNew:
			anyNew = true
		case source.StatusAcknowledged:
			anyAck = true
		}
	}
	switch {
	case anyNew:
		return "triggered", latest
	case anyAck:
		return "acknowledged", latest
	}
	return "resolved", latest
}

// winner says whose status stands, or "" when neither may: the direction
// first, then the conflict policy. most_recent takes the side that moved
// since the pair was last reconciled; when both did, the later status
// change beyond the clock skew; when they are within it, TieWinner.
func (p *planner) winner(v pairView, tE time.Time) Side {
	switch {
	case p.s.Direction == ToPagerDuty:
		return SourceSide
	case p.s.Direction == FromPagerDuty:
		return PagerDutySide
	case p.s.Conflict == SourceWins:
		return SourceSide
	case p.s.Conflict == PagerDutyWins:
		return PagerDutySide
	}
	changedE, changedI := v.changedE, v.changedI
	if changedI {
		// A change of the incident's status, not merely of its notes.
		changedI = false
		for _, e := range v.events {
			if e.Ref.IncidentUpdated.IsZero() || v.inc.LastStatusChange.After(e.Ref.IncidentUpdated) {
				changedI = true
			}
		}
	}
	if changedE && changedI && !p.snap.Caps.IncidentRef {
		// Nothing on the event keeps what the pair was reconciled up to, so
		// both sides count as changed within the lookback: the incident's
		// creation, when both agreed, stands in for the watermark. When only
		// one side moved since, it wins, however close in time (an alert that
		// fired seconds before its incident was acknowledged). PagerDuty's
		// times are whole seconds: an event change within the second after
		// the creation does not count, and an incident that is no longer
		// triggered (as the Events API made it) has moved, whatever its times say.
		sinceE := tE.After(v.inc.CreatedAt.Add(time.Second + p.snap.Caps.TimePrecision))
		sinceI := v.inc.Status != "triggered" || v.inc.LastStatusChange.After(v.inc.CreatedAt)
		if sinceE != sinceI {
			changedE, changedI = sinceE, sinceI
		}
	}
	switch {
	case changedE && !changedI:
		return SourceSide
	case changedI && !changedE:
		return PagerDutySide
	case !changedE && !changedI:
		return ""
	}
	tI := v.inc.LastStatusChange
	switch {
	case tI.After(tE.Add(p.s.ClockSkew)):
		return PagerDutySide
	case tE.After(tI.Add(p.s.ClockSkew)):
		return SourceSide
	}
	return p.s.TieWinner
}

// toIncident applies the events' status to the incident.
func (p *planner) toIncident(v pairView, agg string, tE time.Time) {
	inc := v.inc
	latest := latestEvent(v.events)
	why := fmt.Sprintf("event %s is %s in %s", latest.ID, latest.NativeStatus, p.snap.SourceKind)
	if latest.NativeStatus == "" {
		why = fmt.Sprintf("event %s is %s", latest.ID, latest.Status)
	}
	key := func(what string) string { return marker(what, inc.ID, unix(tE)) }
	switch {
	case agg == "resolved":
		if !p.s.ResolveIncidentOnEventClose {
			for _, e := range v.events {
				p.annotate(e, inc.ID, fmt.Sprintf("The event is closed; %s stays open (resolve_incident_on_event_close is off) %s", incidentText(inc), key("held-open")),
					"the incident stays open by policy")
			}
			return
		}
		line := fmt.Sprintf("Resolving %s: the event was closed (%s) %s", incidentText(inc), firstNonEmpty(latest.NativeStatus, "closed"), key("resolve"))
		resolution := fmt.Sprintf("Resolved by pdbridge: %s.", why)
		if inc.Alerts.All > 1 {
			p.add(Op{Kind: ResolveAlerts, EventID: latest.ID, IncidentID: inc.ID, AlertKeys: alertKeys(v.events), Line: p.lineUnlessLogged(latest, line),
				Reason: fmt.Sprintf("incident %s has %d alerts: the closed events' alerts are resolved, and it resolves with its last", inc.ID, inc.Alerts.All)})
			return
		}
		p.add(Op{Kind: ResolveIncident, EventID: latest.ID, IncidentID: inc.ID, Status: "resolved", Resolution: resolution,
			Line: p.lineUnlessLogged(latest, line), Reason: why + ": the incident is resolved"})
	case inc.Status == "resolved":
		if !p.s.ReopenIncidentOnEventReopen {
			p.annotate(latest, inc.ID, fmt.Sprintf("The event is open again; %s stays resolved (reopen_incident_on_event_reopen is off) %s", incidentText(inc), key("held-resolved")),
				"the incident stays resolved by policy")
			return
		}
		p.add(Op{Kind: ReopenIncident, EventID: latest.ID, IncidentID: inc.ID, Status: agg,
			Line:   p.lineUnlessLogged(latest, fmt.Sprintf("Re-opening %s: the event is open again %s", incidentText(inc), key("reopen"))),
			Reason: why + ": the resolved incident is re-opened"})
	case agg == "acknowledged":
		p.add(Op{Kind: AcknowledgeIncident, EventID: latest.ID, IncidentID: inc.ID, Status: "acknowledged", Reason: why + ": the incident is acknowledged"})
	default:
		p.add(Op{Kind: UnacknowledgeIncident, EventID: latest.ID, IncidentID: inc.ID, Status: "triggered", Reason: why + ": the incident goes back to triggered"})
	}
}

// partialCloses resolves the alerts of closed events of a group that is
// still open, so the incident resolves with its last alert.
func (p *planner) partialCloses(v pairView, agg string) {
	if agg == "resolved" || v.inc.Status == "resolved" || v.inc.Alerts.All < 2 || !p.s.ResolveIncidentOnEventClose ||
		p.s.Direction == FromPagerDuty {
		return
	}
	var closed []source.Event
	for _, e := range v.events {
		if e.Status == source.StatusClosed && p.eventChanged(e) && e.Ref.DedupKey != "" {
			closed = append(closed, e)
		}
	}
	if len(closed) == 0 {
		return
	}
	p.add(Op{Kind: ResolveAlerts, EventID: closed[0].ID, IncidentID: v.inc.ID, AlertKeys: alertKeys(closed),
		Reason: fmt.Sprintf("%d of the events of incident %s closed: their alerts are resolved", len(closed), v.inc.ID)})
}

func alertKeys(events []source.Event) []string {
	var keys []string
	for _, e := range events {
		if e.Status == source.StatusClosed && e.Ref.DedupKey != "" && !slices.Contains(keys, e.Ref.DedupKey) {
			keys = append(keys, e.Ref.DedupKey)
		}
	}
	return keys
}

func latestEvent(events []source.Event) source.Event {
	latest := events[0]
	for _, e := range events[1:] {
		if e.StatusChanged.After(latest.StatusChanged) {
			latest = e
		}
	}
	return latest
}

// toEvents applies the incident's status to each event.
func (p *planner) toEvents(v pairView) {
	inc := v.inc
	by := agentText(inc.LastStatusChangeBy)
	when := stamp(inc.LastStatusChange)
	key := func(what string) string { return marker(what, inc.ID, unix(inc.LastStatusChange)) }
	for _, e := range v.events {
		switch inc.Status {
		case "resolved":
			if !e.Status.Open() {
				continue
			}
			if !p.s.CloseEventOnIncidentResolution {
				p.annotate(e, inc.ID, fmt.Sprintf("%s was resolved by %s at %s; the event stays open (close_event_on_incident_resolution is off) %s",
					incidentText(inc), by, when, key("held-event")), "the event stays open by policy")
				continue
			}
			p.eventOp(e, inc, CloseEvent, "closed", key("close"), fmt.Sprintf("Closing the event: %s was resolved by %s at %s", incidentText(inc), by, when))
		case "acknowledged":
			switch e.Status {
			case source.StatusClosed:
				p.eventOp(e, inc, ReopenEvent, "new", key("reopen"), fmt.Sprintf("Re-opening the event: %s is open again (acknowledged by %s at %s)", incidentText(inc), by, when))
				p.eventOp(e, inc, AcknowledgeEvent, "acknowledged", "", "")
			case source.StatusNew:
				p.eventOp(e, inc, AcknowledgeEvent, "acknowledged", "", fmt.Sprintf("acknowledged by %s at %s", by, when))
			}
		case "triggered":
			switch e.Status {
			case source.StatusClosed:
				p.eventOp(e, inc, ReopenEvent, "new", key("reopen"), fmt.Sprintf("Re-opening the event: %s was re-opened by %s at %s", incidentText(inc), by, when))
			case source.StatusAcknowledged:
				p.eventOp(e, inc, UnacknowledgeEvent, "new", "", fmt.Sprintf("%s went back to triggered (%s at %s)", incidentText(inc), by, when))
			}
		}
	}
}

// eventOp plans a status change of an event, unless the console cannot
// make it or refused this very change before (both recorded once on the
// event, never retried). lineKey, when set, is the marker of the line
// written before the change; the refusal marker is derived from it.
func (p *planner) eventOp(e source.Event, inc pagerduty.Incident, kind Kind, status, lineKey, why string) {
	can := map[Kind]bool{AcknowledgeEvent: p.snap.Caps.Acknowledge, UnacknowledgeEvent: p.snap.Caps.Unacknowledge,
		CloseEvent: p.snap.Caps.Close, ReopenEvent: p.snap.Caps.Reopen}[kind]
	opKey := marker(string(kind), inc.ID, unix(inc.LastStatusChange))
	if !can {
		p.annotate(e, inc.ID, fmt.Sprintf("%s cannot %s this event (%s) %s", p.snap.SourceKind, verb(kind), why, marker("unsupported", string(kind), inc.ID, unix(inc.LastStatusChange))),
			"the console cannot do it")
		return
	}
	if d, ok := p.snap.Details[e.ID]; ok && logHas(d.Log, refusedMarker(opKey)) {
		return // refused before: recorded then, not retried
	}
	op := Op{Kind: kind, EventID: e.ID, IncidentID: inc.ID, IncidentURL: inc.HTMLURL, Status: status, Reason: fmt.Sprintf("event %s: %s", e.ID, why),
		Refusal: refusedMarker(opKey)}
	if lineKey != "" {
		op.Line = p.lineUnlessLogged(e, why+" "+lineKey)
	}
	p.add(op)
}

// refusedMarker is the marker of the line recorded when the console
// refuses the change opKey names.
func refusedMarker(opKey string) string {
	return strings.Replace(opKey, "[pdbridge:", "[pdbridge:refused-", 1)
}

func verb(k Kind) string {
	return strings.ReplaceAll(strings.TrimSuffix(string(k), "_event"), "_", " ")
}

// copyLog copies the incident's log entries into the events' logs, each
// once, never the sync's own.
func (p *planner) copyLog(v pairView) {
	if !p.s.CopyIncidentLogToEvent || p.s.Direction == ToPagerDuty || !p.snap.Caps.AppendLog || len(p.snap.Logs[v.inc.ID]) == 0 {
		return
	}
	if !p.snap.Loaded.Self {
		p.missing.Self = true
		return
	}
	for _, le := range p.snap.Logs[v.inc.ID] {
		if le.Agent.ID != "" && le.Agent.ID == p.snap.Self.ID {
			continue
		}
		line := logLine(le, v.inc)
		if line == "" || (le.Type == "annotate_log_entry" && isEngineText(firstNonEmpty(le.Note, le.ChannelSummary))) {
			continue
		}
		for _, e := range v.events {
			if p.snap.Gone[e.ID] {
				continue
			}
			if !e.Ref.Created.IsZero() && le.CreatedAt.Before(e.Ref.Created.Add(-p.s.ClockSkew)) && e.Ref.Created.After(v.inc.CreatedAt.Add(p.s.ClockSkew)) {
				continue // history from before this event was associated
			}
			if d, ok := p.snap.Details[e.ID]; ok && !logHas(d.Log, pdMarker(le.ID)) {
				p.add(Op{Kind: CopyLogToEvent, EventID: e.ID, IncidentID: v.inc.ID, Line: line, Reason: fmt.Sprintf("incident %s log entry %s (%s)", v.inc.ID, le.ID, le.Type)})
			}
		}
		if le.Type == "assign_log_entry" && p.s.AcknowledgeEventOnIncidentAssignment && p.s.Direction != ToPagerDuty && strings.HasPrefix(le.Agent.Type, "user") {
			for _, e := range v.events {
				if e.Status == source.StatusNew {
					p.eventOp(e, v.inc, AcknowledgeEvent, "acknowledged", marker("ack-on-assign", le.ID),
						fmt.Sprintf("Acknowledging the event: %s was assigned by %s (acknowledge_event_on_incident_assignment)", incidentText(v.inc), agentText(le.Agent)))
				}
			}
		}
	}
}

// copyNotes copies the events' notes (their log lines a person wrote) to
// the incident as notes, each once.
func (p *planner) copyNotes(v pairView) {
	if !p.s.CopyEventNotesToIncident || p.s.Direction == FromPagerDuty || v.inc.Status == "resolved" && v.inc.ID == "" {
		return
	}
	var todo []Op
	for _, e := range v.events {
		d, ok := p.snap.Details[e.ID]
		if !ok {
			continue
		}
		for _, l := range d.Log {
			if l.Audit || strings.TrimSpace(l.Text) == "" || isEngineText(l.Text) {
				continue
			}
			m := noteMarker(l)
			author := firstNonEmpty(l.Author, "someone")
			note := fmt.Sprintf("%s note by %s at %s on event %s: %s %s", p.snap.SourceKind, author, stamp(l.Time), e.ID, l.Text, m)
			todo = append(todo, Op{Kind: CopyNoteToIncident, EventID: e.ID, IncidentID: v.inc.ID, Note: note,
				Reason: fmt.Sprintf("note by %s on event %s", author, e.ID)})
		}
	}
	if len(todo) == 0 {
		return
	}
	notes, ok := p.snap.Notes[v.inc.ID]
	if !ok {
		p.missing.Notes[v.inc.ID] = true
		return
	}
	for _, o := range todo {
		if !notesHave(notes, lineMarker(o.Note)) {
			p.add(o)
		}
	}
}

// watermark records, on the event, what the pair was reconciled up to.
func (p *planner) watermark(e source.Event, inc pagerduty.Incident, acted bool) {
	if !p.snap.Caps.IncidentRef || p.snap.Gone[e.ID] {
		return
	}
	at := e.StatusChanged
	if e.LastSeen.After(at) {
		at = e.LastSeen
	}
	ref := e.Ref
	ref.IncidentID, ref.URL = inc.ID, firstNonEmpty(inc.HTMLURL, ref.URL)
	ref.State, ref.IncidentUpdated, ref.EventChanged, ref.EventStatus = inc.Status, inc.UpdatedAt, at, p.statusAfter(e)
	if ref == e.Ref {
		return
	}
	reason := "pair reconciled"
	if acted {
		reason = "pair reconciled once the operations above succeed"
	}
	p.add(Op{Kind: Watermark, EventID: e.ID, IncidentID: inc.ID, Ref: &ref, Reason: reason})
}
