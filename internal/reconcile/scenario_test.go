package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

func TestEventOpensAnIncidentAndIsPaired(t *testing.T) {
	w := newWorld(t, nil)
	unix := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	win := w.zevent("dc01", "/Server/Windows", "Service down", zsandbox.SeverityError)
	w.zevent("web02", "/Server/Linux", "Chatty", zsandbox.SeverityInfo) // below min severity

	first := w.pass()
	if got := first.Plan.Counts()[CreateIncident]; got != 2 {
		t.Fatalf("first pass planned %d triggers, want 2:\n%s", got, Describe(first.Plan.Ops))
	}
	if n := len(w.incidents()); n != 0 {
		t.Fatalf("%d incidents before the Events API applied the triggers", n)
	}
	if ref := w.event(unix).Ref; ref.State != statePending || ref.DedupKey != "zenoss_prod/"+unix || ref.ConnectorID != w.unixConn {
		t.Fatalf("pending reference = %+v", ref)
	}
	w.settle(4)

	inc := w.incidentOf(unix)
	if inc.ServiceID != w.unix || inc.Status != "triggered" || inc.Title != "Disk full" || inc.IncidentKey != "" {
		t.Errorf("Unix incident = %+v", inc)
	}
	if got := w.incidentOf(win); got.ServiceID != w.windows {
		t.Errorf("the Windows event went to service %s, want %s", got.ServiceID, w.windows)
	}
	lines := w.logLines(unix)
	if countContaining(lines, "[pdbridge:created:"+inc.ID+"]") != 1 || !strings.Contains(strings.Join(lines, "\n"), "Unix team") {
		t.Errorf("event log = %q, want one line saying the incident was created on the Unix service", lines)
	}
	if n := len(w.incidents()); n != 2 {
		t.Errorf("%d incidents, want 2", n)
	}
	// A quiet pass changes nothing and writes nothing.
	w.clock.Advance(time.Minute)
	quiet := w.pass()
	if len(quiet.Plan.Ops) != 0 {
		t.Errorf("a quiet pass planned:\n%s", Describe(quiet.Plan.Ops))
	}
}

func TestAcknowledgeInPagerDutyAcknowledgesTheEvent(t *testing.T) {
	w := newWorld(t, nil)
	id := w.zevent("web01", "/Server/Linux", "Load high", zsandbox.SeverityError)
	w.pass()
	w.settle(4)
	inc := w.incidentOf(id)
	w.clock.Advance(time.Minute)
	w.humanUpdate(inc.ID, "acknowledged")
	w.settle(4)
	e := w.event(id)
	if e.Status.String() != "acknowledged" {
		t.Fatalf("event status %s after the incident was acknowledged in PagerDuty", e.Status)
	}
	lines := w.logLines(id)
	if countContaining(lines, "Acknowledged by Jane Doe") != 1 {
		t.Errorf("event log = %q, want one line saying Jane Doe acknowledged", lines)
	}
	// Our own acknowledge of the event is not echoed back as a PagerDuty change.
	w.clock.Advance(time.Minute)
	if p := w.plan(); p.Pending() != 0 {
		t.Errorf("after the sync: %s", Describe(p.Ops))
	}
	if inc := w.incident(inc.ID); inc.Status != "acknowledged" {
		t.Errorf("incident %s", inc.Status)
	}
}

func TestCloseInZenossResolvesTheIncident(t *testing.T) {
	w := newWorld(t, nil)
	id := w.zevent("web01", "/Server/Linux", "Ping lost", zsandbox.SeverityCritical)
	w.pass()
	w.settle(4)
	inc := w.incidentOf(id)
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(id, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if got := w.incident(inc.ID); got.Status != "resolved" {
		t.Fatalf("incident %s after the event closed", got.Status)
	}
	les, err := w.sync.ListIncidentLogEntries(context.Background(), inc.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	resolvedBySync := false
	for _, le := range les {
		if le.Type == "resolve_log_entry" && strings.Contains(le.Note, "event "+id) {
			resolvedBySync = true
		}
	}
	if !resolvedBySync {
		t.Errorf("no resolve log entry whose resolution names the event: %+v", les)
	}
	// The sync's own resolve is not copied back to the event as news.
	w.clock.Advance(time.Minute)
	w.settle(4)
	if lines := w.logLines(id); countContaining(lines, "pdbridge sync") != 0 {
		t.Errorf("the sync's own PagerDuty writes were copied to the event: %q", lines)
	}
}

// paired raises an event and syncs until it has its incident.
func (w *world) paired(device, summary string) (string, string) {
	w.t.Helper()
	id := w.zevent(device, "/Server/Linux", summary, zsandbox.SeverityCritical)
	w.pass()
	w.settle(4)
	return id, w.incidentOf(id).ID
}

func TestResolveInPagerDutyClosesTheEventOnlyWhenEnabled(t *testing.T) {
	for _, closeIt := range []bool{false, true} {
		t.Run(map[bool]string{false: "off (default)", true: "on"}[closeIt], func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.CloseEventOnIncidentResolution = &closeIt })
			id, inc := w.paired("web01", "Disk full")
			w.clock.Advance(time.Minute)
			w.humanUpdate(inc, "resolved")
			w.settle(4)
			e := w.event(id)
			lines := w.logLines(id)
			if closeIt {
				if e.Status.String() != "closed" || countContaining(lines, "Closing the event") != 1 {
					t.Errorf("event %s, log %q; want closed with one line saying why", e.Status, lines)
				}
				return
			}
			if e.Status.String() != "new" || countContaining(lines, "the event stays open (close_event_on_incident_resolution is off)") != 1 {
				t.Errorf("event %s, log %q; want it left new with one line saying why", e.Status, lines)
			}
			// Recorded once, not every pass.
			for range 3 {
				w.clock.Advance(time.Minute)
				w.pass()
			}
			if n := countContaining(w.logLines(id), "stays open"); n != 1 {
				t.Errorf("the held resolution is recorded %d times, want once", n)
			}
		})
	}
}

func TestMaintenanceMeansNoIncidentAndAnAcknowledgedEvent(t *testing.T) {
	w := newWorld(t, nil)
	now := w.clock.Now()
	if _, err := w.human.CreateMaintenanceWindow(context.Background(), "kernel patching", now.Add(-time.Minute), now.Add(time.Hour), w.unix); err != nil {
		t.Fatal(err)
	}
	id := w.zevent("web01", "/Server/Linux", "Reboot", zsandbox.SeverityCritical)
	w.settle(4)
	if n := len(w.incidents()); n != 0 {
		t.Fatalf("%d incidents for an event on a service in maintenance", n)
	}
	e := w.event(id)
	lines := w.logLines(id)
	if e.Status.String() != "acknowledged" || countContaining(lines, `maintenance window "kernel patching"`) != 1 {
		t.Fatalf("event %s, log %q; want acknowledged with one line naming the window", e.Status, lines)
	}
	// After the window, the handled event stays handled: no incident, no new line.
	w.clock.Advance(2 * time.Hour)
	w.settle(4)
	if n := len(w.incidents()); n != 0 || countContaining(w.logLines(id), "maintenance") != 1 {
		t.Errorf("after the window: %d incidents, log %q", n, w.logLines(id))
	}
}

func TestDisabledServiceLeavesTheEventNewWithAMessage(t *testing.T) {
	w := newWorld(t, nil)
	w.disable(w.unix, true)
	id := w.zevent("web01", "/Server/Linux", "CPU", zsandbox.SeverityCritical)
	w.settle(4)
	w.settle(4)
	if n := len(w.incidents()); n != 0 {
		t.Fatalf("%d incidents on a disabled service", n)
	}
	if e := w.event(id); e.Status.String() != "new" || countContaining(w.logLines(id), "is disabled") != 1 {
		t.Fatalf("event %s, log %q; want new with one line", e.Status, w.logLines(id))
	}
	// Enabled again: the event, still open, is sent.
	w.disable(w.unix, false)
	w.clock.Advance(time.Minute)
	w.pass()
	w.settle(4)
	if inc := w.incidentOf(id); inc.ServiceID != w.unix {
		t.Errorf("after enabling: %+v", inc)
	}
}

func TestFloodOfFiftyEventsOpensAtMostMaxIncidents(t *testing.T) {
	w := newWorld(t, func(in *Input) {
		most := int64(3)
		in.Suppression = &SuppressionInput{MaxIncidents: &most, Window: "10m"}
	})
	var ids []string
	for i := range 50 {
		ids = append(ids, w.zevent("web01", "/Server/Linux", "Flapping link "+strings.Repeat("x", i), zsandbox.SeverityError))
	}
	w.pass()
	w.settle(4)
	if n := len(w.incidents()); n != 3 {
		t.Fatalf("a flood of 50 events opened %d incidents, want 3", n)
	}
	suppressed := 0
	for _, id := range ids {
		if countContaining(w.logLines(id), "flood suppression") == 1 {
			suppressed++
		}
	}
	if suppressed != 47 {
		t.Errorf("%d events carry the flood line, want 47", suppressed)
	}
	// Suppressed for good: later passes open nothing more.
	w.clock.Advance(30 * time.Minute)
	w.settle(4)
	if n := len(w.incidents()); n != 3 {
		t.Errorf("later passes opened more incidents: %d", n)
	}
	// Events without a device are exempt (IncidentManagement 3.0.4): five
	// of them, one signature, all open incidents.
	for i := range 5 {
		if id := w.zs.AddEvent(zsandbox.Occurrence{Summary: fmt.Sprintf("no device %d", i), Severity: zsandbox.SeverityError}); id == "" {
			t.Fatal("the Zenoss sandbox dropped the event")
		}
	}
	w.settle(4)
	if n := len(w.incidents()); n != 3+5 {
		t.Errorf("%d incidents after five events without a device, want 8 (exempt from the flood limit)", n)
	}
}

func TestRecurrenceWhileOpenKeepsTheIncident(t *testing.T) {
	w := newWorld(t, func(in *Input) { f := false; in.InitialOccurrenceOnly = &f })
	id, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	again := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	if again != id {
		t.Fatalf("Zenoss gave the recurrence evid %s, want %s", again, id)
	}
	w.settle(4)
	if list := w.incidents(); len(list) != 1 || list[0].ID != inc {
		t.Errorf("after a recurrence: %d incidents", len(list))
	}
}

func TestRecurrenceAfterCloseFollowsTheOption(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		t.Run(map[bool]string{false: "new incident", true: "reopen"}[reopen], func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.ReopenIncidentOnEventRecurrence = &reopen })
			id, inc := w.paired("web01", "Disk full")
			w.clock.Advance(time.Minute)
			if _, err := w.zs.Close(id, "alice"); err != nil {
				t.Fatal(err)
			}
			w.settle(4)
			w.clock.Advance(time.Minute)
			again := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
			if again == id {
				t.Fatal("Zenoss revived the closed event; a recurrence after close is a new evid")
			}
			w.pass()
			w.settle(4)
			got := w.incidentOf(again)
			if reopen {
				if got.ID != inc || got.Status != "triggered" || len(w.incidents()) != 1 {
					t.Errorf("recurrence with reopen: incident %s (%s), %d incidents; want %s re-opened", got.ID, got.Status, len(w.incidents()), inc)
				}
				return
			}
			if got.ID == inc || len(w.incidents()) != 2 {
				t.Errorf("recurrence without reopen: paired with %s, %d incidents; want a new incident", got.ID, len(w.incidents()))
			}
		})
	}
}

func TestMergedIncidentsAreFollowed(t *testing.T) {
	w := newWorld(t, nil)
	a, incA := w.paired("web01", "Disk full")
	b, incB := w.paired("web02", "Disk full too")
	w.clock.Advance(time.Minute)
	w.merge(incA, incB)
	w.settle(4)
	if got := w.event(b); got.Ref.IncidentID != incA || got.Status.String() != "new" {
		t.Fatalf("after the merge event b follows %s and is %s; want %s and still new", got.Ref.IncidentID, got.Status, incA)
	}
	if countContaining(w.logLines(b), "was merged into") != 1 {
		t.Errorf("log %q", w.logLines(b))
	}
	// Closing one event leaves the merged incident open for the other.
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(b, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if got := w.incident(incA); got.Status != "triggered" {
		t.Errorf("closing one of two events resolved the incident (%s)", got.Status)
	}
	if _, err := w.zs.Close(a, "alice"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	w.settle(4)
	if got := w.incident(incA); got.Status != "resolved" {
		t.Errorf("closing both events left the incident %s", got.Status)
	}
}

func TestAcknowledgementTimeoutReturnsTheEventToNew(t *testing.T) {
	w := newWorld(t, nil)
	id, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	w.humanUpdate(inc, "acknowledged")
	w.settle(4)
	if e := w.event(id); e.Status.String() != "acknowledged" {
		t.Fatalf("event %s after the acknowledge", e.Status)
	}
	w.clock.Advance(31 * time.Minute) // the service's acknowledgement_timeout is 30 minutes
	w.settle(4)
	if got := w.incident(inc); got.Status != "triggered" {
		t.Fatalf("incident %s after the timeout", got.Status)
	}
	if e := w.event(id); e.Status.String() != "new" || countContaining(w.logLines(id), "Unacknowledged due to timeout") != 1 {
		t.Errorf("event %s, log %q; want new with one line about the timeout", e.Status, w.logLines(id))
	}
}

func TestNotesAreCopiedBothWaysOnce(t *testing.T) {
	w := newWorld(t, nil)
	id, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	if err := w.zs.WriteLog(id, "alice", "<b>Looking</b> into it"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.human.AddNote(context.Background(), inc, "Restarting nginx"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	for range 3 {
		w.clock.Advance(time.Minute)
		w.pass()
	}
	notes := w.notes(inc)
	if countContaining(notes, "Looking into it") != 1 {
		t.Errorf("incident notes %q, want the event note once", notes)
	}
	lines := w.logLines(id)
	if countContaining(lines, "Restarting nginx") != 1 {
		t.Errorf("event log %q, want the incident note once", lines)
	}
	// Neither copy comes back: the copied note is not copied to the event,
	// the copied line is not copied to the incident.
	if countContaining(lines, "Looking into it") != 1 || countContaining(notes, "Restarting nginx") != 1 {
		t.Errorf("a copy was echoed back: log %q notes %q", lines, notes)
	}
}

func TestRateLimitsAndServerErrorsMidRunAreRetried(t *testing.T) {
	w := newWorld(t, nil)
	var ids []string
	for i := range 5 {
		ids = append(ids, w.zevent(fmt.Sprintf("web%02d", i), "/Server/Linux", "Disk full", zsandbox.SeverityCritical))
	}
	w.pass()
	w.settle(4)
	w.clock.Advance(time.Minute)
	for _, id := range ids {
		if _, err := w.zs.Close(id, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	// Every PagerDuty route answers 429 once (with a reset of 0 s), then
	// 503 once, and the Zenoss API 503 once.
	w.pd.Faults().Set(fault.Faults{RoutePrefix: "", RateLimit: 1, RateLimitReset: 0, ServerErrors: 1, ServerErrorStatus: 503})
	w.zs.Faults().Set(fault.Faults{ServerErrors: 1, ServerErrorStatus: 503})
	w.clock.Advance(eventDelay + time.Second)
	rep := w.pass()
	if got := rep.Result.Counts()["done"][ResolveIncident]; got != 5 {
		t.Errorf("under 429s and 5xx the pass resolved %d incidents, want 5:\n%s", got, Describe(rep.Plan.Ops))
	}
	if len(w.pd.Faults().Injected()) == 0 || len(w.zs.Faults().Injected()) == 0 {
		t.Fatalf("no fault was injected (PagerDuty %v, Zenoss %v)", w.pd.Faults().Injected(), w.zs.Faults().Injected())
	}
	w.pd.Faults().Clear()
	w.zs.Faults().Clear()
	for _, id := range ids {
		if got := w.incidentOf(id); got.Status != "resolved" {
			t.Errorf("incident of %s is %s", id, got.Status)
		}
	}
}

func TestARunCutOffConvergesOnTheNextRun(t *testing.T) {
	// Cut a pass after each of its first requests to PagerDuty (every
	// request after that has its connection reset, as a killed sandbox or a
	// lost network would), then let clean runs finish: the end state is the
	// same, with no duplicate incident and no line written twice. The cut
	// run cannot release its lock, so the next runs wait for it to expire.
	for cut := 1; cut <= 12; cut++ {
		t.Run(fmt.Sprintf("after %d requests", cut), func(t *testing.T) {
			w := newWorld(t, func(in *Input) { in.RunTimeout = "1m" })
			a := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
			b := w.zevent("dc01", "/Server/Windows", "Service down", zsandbox.SeverityCritical)
			cutRun := func() {
				w.pd.Faults().Set(fault.Faults{ResetAfter: cut, Resets: 1 << 20})
				_, _ = Run(context.Background(), w.settings, w.src, w.sync, Options{Now: w.clock.Now, FollowUp: -1})
				w.pd.Faults().Clear()
				w.clock.Advance(2 * time.Minute) // past the lock the cut run may have left behind
			}
			cutRun()
			w.settle(5)
			w.clock.Advance(time.Minute)
			if _, err := w.zs.Close(a, "alice"); err != nil {
				t.Fatal(err)
			}
			cutRun()
			w.settle(5)
			if n := len(w.incidents()); n != 2 {
				t.Fatalf("%d incidents, want 2", n)
			}
			if got := w.incidentOf(a); got.Status != "resolved" {
				t.Errorf("incident of the closed event is %s", got.Status)
			}
			if got := w.incidentOf(b); got.Status != "triggered" {
				t.Errorf("incident of the open event is %s", got.Status)
			}
			for _, id := range []string{a, b} {
				seen := map[string]int{}
				for _, l := range w.logLines(id) {
					seen[l]++
					if seen[l] > 1 {
						t.Errorf("event %s has a line twice: %q", id, l)
					}
				}
			}
		})
	}
}

func TestTwoRunsAtOnceDoNotDuplicate(t *testing.T) {
	w := newWorld(t, nil)
	var ids []string
	for i := range 20 {
		ids = append(ids, w.zevent(fmt.Sprintf("web%02d", i), "/Server/Linux", "Disk full", zsandbox.SeverityCritical))
	}
	w.pass()
	w.settle(4)
	w.clock.Advance(time.Minute)
	for _, id := range ids {
		inc := w.incidentOf(id)
		if _, err := w.human.AddNote(context.Background(), inc.ID, "checking "+id); err != nil {
			t.Fatal(err)
		}
	}
	// Slow PagerDuty down so that the two runs overlap.
	w.pd.Faults().Set(fault.Faults{Latency: 20 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Run(context.Background(), w.settings, w.src, w.sync, Options{Now: w.clock.Now, FollowUp: -1})
		}()
	}
	wg.Wait()
	w.pd.Faults().Clear()
	locked := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrLocked):
			locked++
		case err != nil:
			t.Fatalf("run: %v", err)
		}
	}
	if locked != 1 {
		t.Fatalf("%d of two concurrent runs found the lock held, want exactly 1 (errors %v)", locked, errs)
	}
	w.settle(4)
	for _, id := range ids {
		if n := countContaining(w.logLines(id), "checking "+id); n != 1 {
			t.Errorf("event %s has the incident note %d times, want 1", id, n)
		}
	}
	// The lock is released: a later run takes it.
	if _, err := Run(context.Background(), w.settings, w.src, w.sync, Options{Now: w.clock.Now, FollowUp: -1}); err != nil {
		t.Errorf("a run after both: %v", err)
	}
}

func TestAStaleLockIsBroken(t *testing.T) {
	w := newWorld(t, nil)
	w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical) // work to do, so the run wants the lock
	ep := w.pd.DefaultEscalationPolicyID()
	if _, err := Acquire(context.Background(), w.sync, "zenoss_prod", ep, w.clock.Now(), time.Minute); err != nil {
		t.Fatal(err) // a pass that then dies without releasing it
	}
	if _, err := Run(context.Background(), w.settings, w.src, w.sync, Options{Now: w.clock.Now, FollowUp: -1}); !errors.Is(err, ErrLocked) {
		t.Fatalf("a run while the lock holds = %v, want ErrLocked", err)
	}
	w.clock.Advance(2 * time.Minute)
	if _, err := Run(context.Background(), w.settings, w.src, w.sync, Options{Now: w.clock.Now, FollowUp: -1}); err != nil {
		t.Fatalf("a run after the lock expired = %v, want it broken and taken", err)
	}
}

func TestGroupedAlertsResolveOneByOne(t *testing.T) {
	w := newWorld(t, nil)
	w.put("/services/"+w.unix, `{"service":{"type":"service","escalation_policy":{"id":"`+w.pd.DefaultEscalationPolicyID()+
		`","type":"escalation_policy_reference"},"alert_grouping_parameters":{"type":"time","config":{"timeout":0}}}}`)
	a := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	b := w.zevent("web02", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	w.pass()
	w.settle(4)
	incA, incB := w.incidentOf(a), w.incidentOf(b)
	if incA.ID != incB.ID || incA.Alerts.All != 2 {
		t.Fatalf("grouping: events on %s and %s, %d alerts; want one incident with two alerts", incA.ID, incB.ID, incA.Alerts.All)
	}
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(a, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if got := w.incident(incA.ID); got.Status != "triggered" || got.Alerts.Triggered != 1 {
		t.Fatalf("after closing one event: incident %s with %d open alerts; want triggered with 1", got.Status, got.Alerts.Triggered)
	}
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(b, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if got := w.incident(incA.ID); got.Status != "resolved" {
		t.Errorf("after closing both: incident %s", got.Status)
	}
}

func TestARoutingChangeNeverStrandsAnIncident(t *testing.T) {
	w := newWorld(t, nil)
	id := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	w.pass() // sent through the Unix connector; the incident does not exist yet
	w.in.Routing.CatchAll.RouteTo = w.winConn
	w.reparse()
	w.pass() // not found yet: sent again, through the connector it was first sent through
	w.settle(4)
	if list := w.incidents(); len(list) != 1 || list[0].ServiceID != w.unix {
		t.Fatalf("after a routing change mid-creation: %d incidents (want 1, on the Unix service): %+v", len(list), list)
	}
	// Later events follow the new routing; this one's status still reaches
	// its incident, by id.
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(id, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if got := w.incidentOf(id); got.Status != "resolved" {
		t.Errorf("incident %s after the event closed", got.Status)
	}
}

func TestZenoss4PairsWithoutAReference(t *testing.T) {
	w := newWorld(t, nil)
	w.useZenoss(4)
	id, inc := "", ""
	id = w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	w.pass()
	w.settle(4)
	list := w.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents", len(list))
	}
	inc = list[0].ID
	for range 3 {
		w.clock.Advance(time.Minute)
		w.pass()
	}
	if n := len(w.incidents()); n != 1 {
		t.Fatalf("passes without a reference on the event opened %d incidents", n)
	}
	w.humanUpdate(inc, "acknowledged")
	w.settle(4)
	if e := w.event(id); e.Status.String() != "acknowledged" {
		t.Errorf("event %s after the incident was acknowledged", e.Status)
	}
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(id, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	if got := w.incident(inc); got.Status != "resolved" {
		t.Errorf("incident %s after the event closed", got.Status)
	}
	if n := countContaining(w.logLines(id), "Acknowledged by Jane Doe"); n != 1 {
		t.Errorf("the acknowledge line is in the log %d times", n)
	}
}

func TestAPassAfterADayLosesNothing(t *testing.T) {
	w := newWorld(t, nil)
	a, incA := w.paired("web01", "Disk full")
	b, incB := w.paired("web02", "Load high")
	c, incC := w.paired("web03", "Swap")
	// CI is down for a day; meanwhile people act on both sides.
	w.clock.Advance(2 * time.Hour)
	w.humanUpdate(incA, "acknowledged")
	w.clock.Advance(2 * time.Hour)
	if _, err := w.zs.Close(b, "alice"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(20 * time.Hour)
	if _, err := w.human.AddNote(context.Background(), incC, "seen at 9"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(2 * time.Hour)
	w.settle(5)
	// incA was acknowledged more than 30 minutes ago: PagerDuty's
	// acknowledgement timeout put it back to triggered, and both changes
	// reached the event's log.
	if lines := w.logLines(a); countContaining(lines, "Acknowledged by Jane Doe") != 1 || countContaining(lines, "Unacknowledged due to timeout") != 1 {
		t.Errorf("event a's log %q", lines)
	}
	if got := w.incident(incB); got.Status != "resolved" {
		t.Errorf("incident of the event closed during the gap: %s", got.Status)
	}
	if countContaining(w.logLines(c), "seen at 9") != 1 {
		t.Errorf("the note added during the gap: log %q", w.logLines(c))
	}
}

func TestARefusedTransitionIsRecordedOnceNotRetried(t *testing.T) {
	w := newWorld(t, func(in *Input) { in.Lookback = "120h" })
	id, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	if _, err := w.zs.Close(id, "alice"); err != nil {
		t.Fatal(err)
	}
	w.settle(4)
	// Three days later Zenoss has archived the closed event: its status is final.
	w.clock.Advance(73 * time.Hour)
	w.humanUpdate(inc, "triggered") // Jane re-opens the incident
	w.clock.Advance(time.Minute)
	rep := w.passAllowingFailures()
	if len(rep.Result.Failed) != 1 || rep.Result.Failed[0].Op.Kind != ReopenEvent {
		t.Fatalf("want the reopen of the archived event to fail once, got %+v", rep.Result.Failed)
	}
	for range 3 {
		w.clock.Advance(time.Minute)
		if again := w.pass(); again.Plan.Counts()[ReopenEvent] != 0 {
			t.Fatalf("the refused reopen is retried:\n%s", Describe(again.Plan.Ops))
		}
	}
	if n := countContaining(w.logLines(id), "Could not reopen the event"); n != 1 {
		t.Errorf("the refusal is recorded %d times, want once: %q", n, w.logLines(id))
	}
}
