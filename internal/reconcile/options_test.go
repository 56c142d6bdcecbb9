package reconcile

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

// One test per option of pdbridge_sync_settings not already exercised by
// scenario_test.go, each against its default.

func ptr[T any](v T) *T { return &v }

func TestANewEventForAnOpenIncidentIsAssociated(t *testing.T) {
	// With resolve_incident_on_event_close off, a closed event's incident
	// stays open; the problem recurring (a new evid, the same dedupid) joins it.
	w := newWorld(t, func(in *Input) { in.ResolveIncidentOnEventClose = ptr(false) })
	a, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(a, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if got := w.incident(inc); got.Status != "triggered" || countContaining(w.logLines(a), "resolve_incident_on_event_close is off") != 1 {
		t.Fatalf("incident %s, log %q; want it left open with one line saying why", got.Status, w.logLines(a))
	}
	w.clock.Advance(time.Minute)
	b := w.zevent("web01", "/Server/Linux", "Disk full", zenoss.SeverityCritical)
	if b == a {
		t.Fatal("Zenoss revived the closed event")
	}
	w.settle(4)
	if got := w.incidentOf(b); got.ID != inc || len(w.incidents()) != 1 {
		t.Fatalf("the recurrence paired with %s, %d incidents; want %s alone", got.ID, len(w.incidents()), inc)
	}
	if n := countContaining(w.notes(inc), "New event for existing incident: event "+b); n != 1 {
		t.Errorf("incident notes %q, want one naming event %s", w.notes(inc), b)
	}
	if n := countContaining(w.logLines(b), "Associated with"); n != 1 {
		t.Errorf("event log %q, want one line saying it joined the incident", w.logLines(b))
	}
}

func TestCheckIncidentOpenBeforeAssociating(t *testing.T) {
	for _, check := range []bool{true, false} {
		t.Run(fmt.Sprint(check), func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.CheckIncidentOpenBeforeAssociating = &check })
			a, inc := w.paired("web01", "Disk full")
			w.clock.Advance(time.Minute)
			if _, err := w.zs.Close(a, "alice"); err != nil {
				t.Fatal(err)
			}
			w.settle(4)
			w.clock.Advance(time.Minute)
			b := w.zevent("web01", "/Server/Linux", "Disk full", zenoss.SeverityCritical)
			w.settle(4)
			got := w.incidentOf(b)
			if check && (got.ID == inc || len(w.incidents()) != 2) {
				t.Errorf("checking: paired with %s, %d incidents; want a new incident, %s being resolved", got.ID, len(w.incidents()), inc)
			}
			if !check && (got.ID != inc || len(w.incidents()) != 1 || countContaining(w.logLines(b), "Associated with") != 1) {
				t.Errorf("not checking: paired with %s, %d incidents, log %q; want associated with %s", got.ID, len(w.incidents()), w.logLines(b), inc)
			}
		})
	}
}

func TestReopenIncidentOnEventReopen(t *testing.T) {
	for _, reopen := range []bool{true, false} {
		t.Run(fmt.Sprint(reopen), func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.ReopenIncidentOnEventReopen = &reopen })
			a, inc := w.paired("web01", "Disk full")
			w.clock.Advance(time.Minute)
			if _, err := w.zs.Close(a, "alice"); err != nil {
				t.Fatal(err)
			}
			w.settle(4)
			w.clock.Advance(time.Minute)
			if _, err := w.zs.Reopen(a, "alice"); err != nil {
				t.Fatal(err)
			}
			w.settle(4)
			got := w.incident(inc)
			if reopen && (got.Status != "triggered" || countContaining(w.logLines(a), "Re-opening") != 1) {
				t.Errorf("incident %s, log %q; want re-opened with one line", got.Status, w.logLines(a))
			}
			if !reopen && (got.Status != "resolved" || countContaining(w.logLines(a), "reopen_incident_on_event_reopen is off") != 1) {
				t.Errorf("incident %s, log %q; want left resolved with one line saying why", got.Status, w.logLines(a))
			}
		})
	}
}

func TestAcknowledgeEventOnIncidentCreation(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.AcknowledgeEventOnIncidentCreation = ptr(true) })
	id, inc := w.paired("web01", "Disk full")
	if e := w.event(id); e.Status.String() != "acknowledged" {
		t.Fatalf("event %s once its incident exists", e.Status)
	}
	// The sync's own acknowledgement of the event is not a person's: the
	// incident stays triggered, pass after pass.
	for range 2 {
		w.clock.Advance(time.Minute)
		w.pass()
	}
	if got := w.incident(inc); got.Status != "triggered" {
		t.Errorf("incident %s after the event was acknowledged on creation", got.Status)
	}
}

// reassign gives the incident to Jane, as Jane would in PagerDuty.
func (w *world) reassign(incidentID string) {
	w.t.Helper()
	jane, err := w.sync.FindUserByEmail(context.Background(), humanEmail)
	if err != nil {
		w.t.Fatal(err)
	}
	w.put("/incidents/"+incidentID, `{"incident":{"type":"incident_reference","assignments":[{"assignee":{"id":"`+jane.ID+`","type":"user_reference"}}]}}`)
}

func TestAssignmentsEscalationsAndNotificationsAreCopiedOnce(t *testing.T) {
	for _, ackOnAssign := range []bool{false, true} {
		t.Run(fmt.Sprintf("acknowledge_event_on_incident_assignment=%t", ackOnAssign), func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.AcknowledgeEventOnIncidentAssignment = &ackOnAssign })
			id, inc := w.paired("web01", "Disk full")
			w.clock.Advance(time.Minute)
			w.reassign(inc)
			w.settle(4)
			lines := w.logLines(id)
			if countContaining(lines, "Assigned to Jane Doe") != 1 || countContaining(lines, "Notification to jane@example.com") != 1 {
				t.Errorf("event log %q, want the assignment once and the notification it sent", lines)
			}
			status := w.event(id).Status.String()
			if ackOnAssign && (status != "acknowledged" || countContaining(lines, "acknowledge_event_on_incident_assignment") != 1) {
				t.Errorf("event %s, want acknowledged with one line saying why", status)
			}
			if !ackOnAssign && status != "new" {
				t.Errorf("event %s after an assignment, want new", status)
			}
			if got := w.incident(inc); got.Status != "triggered" {
				t.Errorf("incident %s: the sync's acknowledgement of the event went back to PagerDuty", got.Status)
			}
			w.clock.Advance(time.Minute)
			w.put("/incidents/"+inc, `{"incident":{"type":"incident_reference","escalation_level":1}}`)
			for range 3 {
				w.clock.Advance(time.Minute)
				w.pass()
			}
			lines = w.logLines(id)
			if countContaining(lines, "Escalated to") != 1 || countContaining(lines, "Assigned to Jane Doe") != 1 {
				t.Errorf("event log %q, want the escalation once and the assignment still once", lines)
			}
		})
	}
}

func TestCopyIncidentLogToEventOff(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.CopyIncidentLogToEvent = ptr(false) })
	id, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	w.humanUpdate(inc, "acknowledged")
	if _, err := w.human.AddNote(context.Background(), inc, "Restarting nginx"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if e := w.event(id); e.Status.String() != "acknowledged" {
		t.Errorf("event %s: status still follows with the log copy off", e.Status)
	}
	if lines := w.logLines(id); countContaining(lines, "Acknowledged by") != 0 || countContaining(lines, "Restarting nginx") != 0 {
		t.Errorf("event log %q: PagerDuty's log was copied although copy_incident_log_to_event is off", lines)
	}
}

func TestCopyEventNotesToIncidentOff(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.CopyEventNotesToIncident = ptr(false) })
	id, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	if err := w.zs.WriteLog(id, "alice", "Looking into it"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		w.clock.Advance(time.Minute)
		w.pass()
	}
	if notes := w.notes(inc); countContaining(notes, "Looking into it") != 0 {
		t.Errorf("incident notes %q: the event's note was copied although copy_event_notes_to_incident is off", notes)
	}
}

func TestDirectionToPagerDutyNeverChangesEvents(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.Direction = "to_pagerduty" })
	a, incA := w.paired("web01", "Disk full")
	b, incB := w.paired("web02", "Load high")
	w.clock.Advance(time.Minute)
	w.humanUpdate(incA, "acknowledged")
	if _, err := w.zs.Close(b, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if e := w.event(a); e.Status.String() != "new" || countContaining(w.logLines(a), "Acknowledged by") != 0 {
		t.Errorf("event %s, log %q: to_pagerduty changed the event", e.Status, w.logLines(a))
	}
	if got := w.incident(incB); got.Status != "resolved" {
		t.Errorf("incident %s after its event closed, want resolved", got.Status)
	}
}

func TestDirectionFromPagerDutyNeverChangesIncidents(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.Direction = "from_pagerduty" })
	a, incA := w.paired("web01", "Disk full") // incidents are still created
	b, incB := w.paired("web02", "Load high")
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(a, "alice"); err != nil {
		t.Fatal(err)
	}
	w.humanUpdate(incB, "acknowledged")
	w.settle(4)
	if got := w.incident(incA); got.Status != "triggered" {
		t.Errorf("incident %s: from_pagerduty changed it when its event closed", got.Status)
	}
	if e := w.event(b); e.Status.String() != "acknowledged" {
		t.Errorf("event %s after its incident was acknowledged, want acknowledged", e.Status)
	}
}

func TestConflictPolicies(t *testing.T) {
	// Between two passes Jane acknowledges the incident and alice closes
	// the event, apart or within the clock skew: who wins is the policy.
	cases := []struct {
		conflict, tie string
		pdFirst       bool          // Jane acts first
		gap           time.Duration // between the two changes
		wantIncident  string        // the incident's status after the pass
		wantEvent     string
	}{
		{"most_recent", "", true, time.Minute, "resolved", "closed"},            // the event moved last
		{"most_recent", "", false, time.Minute, "acknowledged", "acknowledged"}, // the incident moved last
		{"most_recent", "", true, 10 * time.Second, "resolved", "closed"},       // a tie: tie_winner source
		{"most_recent", "pagerduty", true, 10 * time.Second, "acknowledged", "acknowledged"},
		{"source_wins", "", false, time.Minute, "resolved", "closed"},
		{"pagerduty_wins", "", true, time.Minute, "acknowledged", "acknowledged"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s tie=%s pagerduty first=%t gap=%s", c.conflict, c.tie, c.pdFirst, c.gap), func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.Conflict, in.TieWinner = c.conflict, c.tie })
			id, inc := w.paired("web01", "Disk full")
			w.clock.Advance(time.Minute)
			ack := func() { w.humanUpdate(inc, "acknowledged") }
			closeEvent := func() {
				if _, err := w.zs.Close(id, "alice"); err != nil {
					t.Fatal(err)
				}
			}
			first, second := closeEvent, ack
			if c.pdFirst {
				first, second = ack, closeEvent
			}
			first()
			w.clock.Advance(c.gap)
			second()
			w.settle(4)
			if got, e := w.incident(inc), w.event(id); got.Status != c.wantIncident || e.Status.String() != c.wantEvent {
				t.Errorf("incident %s, event %s; want %s and %s (log %q)", got.Status, e.Status, c.wantIncident, c.wantEvent, w.logLines(id))
			}
		})
	}
}

func TestMinSeverity(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.MinSeverity = "critical" })
	errorEvent := w.zevent("web01", "/Server/Linux", "Load high", zenoss.SeverityError)
	critical := w.zevent("web02", "/Server/Linux", "Disk full", zenoss.SeverityCritical)
	w.pass()
	w.settle(4)
	if list := w.incidents(); len(list) != 1 || w.incidentOf(critical).ID != list[0].ID {
		t.Errorf("%d incidents, want one, for the critical event only", len(list))
	}
	if ref := w.event(errorEvent).Ref; ref.IncidentID != "" || ref.DedupKey != "" {
		t.Errorf("the error event was sent: %+v", ref)
	}
}

func TestDedupKeyTemplate(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.DedupKeyTemplate = "{{.Source}}/{{.Device}}/{{.Summary}}" })
	id, _ := w.paired("web01", "Disk full")
	sent := w.pd.Events()
	if len(sent) != 1 || sent[0].DedupKey != "zenoss_prod/web01/Disk full" {
		t.Fatalf("events sent %+v, want one with dedup key zenoss_prod/web01/Disk full", sent)
	}
	if ref := w.event(id).Ref; ref.DedupKey != "zenoss_prod/web01/Disk full" {
		t.Errorf("the event's reference keeps dedup key %q", ref.DedupKey)
	}
}

func TestMaintenanceAndDisabledPoliciesSkip(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.OnServiceMaintenance, in.OnServiceDisabled = "skip", "skip" })
	now := w.clock.Now()
	if _, err := w.human.CreateMaintenanceWindow(context.Background(), "kernel patching", now.Add(-time.Minute), now.Add(time.Hour), w.unix); err != nil {
		t.Fatal(err)
	}
	w.disable(w.windows, true)
	inMaintenance := w.zevent("web01", "/Server/Linux", "Reboot", zenoss.SeverityCritical)
	onDisabled := w.zevent("dc01", "/Server/Windows", "Service down", zenoss.SeverityCritical)
	w.settle(4)
	if n := len(w.incidents()); n != 0 {
		t.Errorf("%d incidents", n)
	}
	for _, id := range []string{inMaintenance, onDisabled} {
		if e := w.event(id); e.Status.String() != "new" || len(e.Log) != 0 {
			t.Errorf("event %s is %s with log %q; skip leaves it untouched", id, e.Status, w.logLines(id))
		}
	}
	// Skipped, not settled: after the window the event is sent.
	w.clock.Advance(2 * time.Hour)
	w.pass()
	w.settle(4)
	if inc := w.incidentOf(inMaintenance); inc.ServiceID != w.unix {
		t.Errorf("after the window: %+v", inc)
	}
}

func TestInitialOccurrenceOnly(t *testing.T) {
	for _, only := range []bool{true, false} {
		t.Run(fmt.Sprint(only), func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.InitialOccurrenceOnly = &only })
			w.paired("web01", "Disk full")
			w.clock.Advance(time.Minute)
			w.zevent("web01", "/Server/Linux", "Disk full", zenoss.SeverityCritical) // the same evid, count 2
			w.settle(4)
			triggers := 0
			for _, ev := range w.pd.Events() {
				if ev.EventAction == "trigger" {
					triggers++
				}
			}
			if want := map[bool]int{true: 1, false: 2}[only]; triggers != want {
				t.Errorf("%d triggers sent for an event that occurred twice, want %d", triggers, want)
			}
			if n := len(w.incidents()); n != 1 {
				t.Errorf("%d incidents", n)
			}
		})
	}
}

func TestMaxEventsPerPassDefersTheRest(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.MaxEventsPerPass = ptr(int64(2)) })
	for i := range 5 {
		w.zevent(fmt.Sprintf("web%02d", i), "/Server/Linux", "Disk full", zenoss.SeverityCritical)
	}
	rep := w.pass()
	if got := rep.Plan.Counts()[CreateIncident]; got != 2 || rep.Plan.Skipped["deferred"] != 3 {
		t.Fatalf("first pass: %d triggers, %d deferred; want 2 and 3:\n%s", got, rep.Plan.Skipped["deferred"], Describe(rep.Plan.Ops))
	}
	w.settle(6)
	if n := len(w.incidents()); n != 5 {
		t.Errorf("%d incidents after the later passes, want 5", n)
	}
	if strings.Contains(Describe(w.plan().Ops), "create_incident") {
		t.Error("still triggers to send")
	}
}
