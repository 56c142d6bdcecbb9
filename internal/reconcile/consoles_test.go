package reconcile

import (
	"context"
	"testing"
	"time"

	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// What the engine does for consoles unlike Zenoss 5+ (Icinga 2,
// Alertmanager): no reference kept on the event, and a console that keeps
// a text with a status change.

// Without a reference on the event the pair has no watermark, so both
// sides count as changed within the lookback. An incident acknowledged
// seconds after the event began (within the clock skew of it) must still
// win: only PagerDuty moved since the incident was created.
func TestWithoutAReferenceAQuickAcknowledgementInPagerDutyWins(t *testing.T) {
	w := newWorld(t, nil)
	w.useZenoss(4)
	id := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	w.pass()
	w.clock.Advance(eventDelay + time.Second)
	w.pass()
	list := w.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents", len(list))
	}
	inc := list[0].ID
	w.clock.Advance(5 * time.Second) // well within the 30 s clock skew of the event's start
	w.humanUpdate(inc, "acknowledged")
	w.settle(4)
	if got := w.incident(inc); got.Status != "acknowledged" {
		t.Errorf("incident %s: the sync undid the acknowledgement made in PagerDuty", got.Status)
	}
	if e := w.event(id); e.Status != source.StatusAcknowledged {
		t.Errorf("event %s after its incident was acknowledged in PagerDuty", e.Status)
	}
}

// recordingSource notes the incident each transition was told it follows.
type recordingSource struct {
	source.Source
	seen map[string]source.IncidentRef // op -> incident
}

func (r *recordingSource) Acknowledge(ctx context.Context, id string) (bool, error) {
	ref, _ := source.IncidentFrom(ctx)
	r.seen["acknowledge"] = ref
	return r.Source.Acknowledge(ctx, id)
}

func (r *recordingSource) Reopen(ctx context.Context, id string) (bool, error) {
	ref, _ := source.IncidentFrom(ctx)
	r.seen["reopen"] = ref
	return r.Source.Reopen(ctx, id)
}

// A status change that follows an incident carries the incident, so a
// console can keep it with the change (an Alertmanager silence's comment).
func TestEventTransitionsCarryTheIncidentTheyFollow(t *testing.T) {
	w := newWorld(t, nil)
	_, incID := w.paired("web01", "Disk full")
	rec := &recordingSource{Source: w.src, seen: map[string]source.IncidentRef{}}
	w.src = nil
	run := func() {
		t.Helper()
		w.clock.Advance(eventDelay + time.Second)
		rep, err := Run(context.Background(), w.settings, rec, w.sync, Options{Now: w.clock.Now, FollowUp: -1})
		if err != nil || len(rep.Result.Failed) > 0 {
			t.Fatalf("run: %v %+v", err, rep.Result.Failed)
		}
	}
	w.clock.Advance(time.Minute)
	w.humanUpdate(incID, "acknowledged")
	run()
	w.clock.Advance(time.Minute)
	w.humanUpdate(incID, "triggered")
	run()
	inc := w.incident(incID)
	for _, op := range []string{"acknowledge", "reopen"} {
		if got := rec.seen[op]; got.IncidentID != incID || got.URL != inc.HTMLURL || got.URL == "" {
			t.Errorf("%s was told it follows %+v, want incident %s at %s", op, got, incID, inc.HTMLURL)
		}
	}
	if _, ok := source.IncidentFrom(context.Background()); ok {
		t.Error("a bare context names an incident")
	}
}

// vanishingSource is the Zenoss adapter made to behave like a console
// whose closed events vanish (Icinga 2, Alertmanager): closed events are
// not listed, and reading or writing one is source.ErrNotFound.
type vanishingSource struct{ source.Source }

func (v vanishingSource) Capabilities() source.Capabilities {
	c := v.Source.Capabilities()
	c.ListClosed, c.Reopen = false, false
	return c
}

func (v vanishingSource) List(ctx context.Context, opts source.ListOptions) (source.Page, error) {
	opts.ChangedSince = time.Time{}
	page, err := v.Source.List(ctx, opts)
	open := page.Events[:0]
	for _, e := range page.Events {
		if e.Status.Open() {
			open = append(open, e)
		}
	}
	page.Events = open
	return page, err
}

func (v vanishingSource) gone(ctx context.Context, id string) error {
	e, err := v.Source.Get(ctx, id)
	if err == nil && !e.Status.Open() {
		return source.ErrNotFound
	}
	return err
}

func (v vanishingSource) Get(ctx context.Context, id string) (source.Event, error) {
	if err := v.gone(ctx, id); err != nil {
		return source.Event{}, err
	}
	return v.Source.Get(ctx, id)
}

func (v vanishingSource) AppendLog(ctx context.Context, id, text string) error {
	if err := v.gone(ctx, id); err != nil {
		return err
	}
	return v.Source.AppendLog(ctx, id, text)
}

// An event that vanished is closed: its incident resolves, and the engine
// writes no line to it (there is nowhere to write one).
func TestAVanishedEventResolvesItsIncident(t *testing.T) {
	w := newWorld(t, nil)
	id, inc := w.paired("web01", "Disk full")
	w.clock.Advance(time.Minute)
	w.humanUpdate(inc, "acknowledged")
	w.settle(4)
	if _, err := w.zs.Close(id, "alice"); err != nil {
		t.Fatal(err)
	}
	src := vanishingSource{w.src}
	for range 3 {
		w.clock.Advance(eventDelay + time.Second)
		rep, err := Run(context.Background(), w.settings, src, w.sync, Options{Now: w.clock.Now, FollowUp: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Result.Failed {
			t.Errorf("failed: %s (%s): %v", f.Op.Kind, f.Op.Reason, f.Err)
		}
	}
	if got := w.incident(inc); got.Status != "resolved" {
		t.Errorf("incident %s after its event vanished", got.Status)
	}
}

// A reference to an incident PagerDuty does not have (another sync's, on a
// console two syncs share, or one the token cannot see) leaves that pair
// alone; it does not stop the pass.
func TestAReferenceToAnUnknownIncidentSkipsOnlyItsPair(t *testing.T) {
	w := newWorld(t, nil)
	stranger := w.zevent("web09", "/Server/Linux", "Someone else's", zsandbox.SeverityCritical)
	ref := source.IncidentRef{IncidentID: "PNOSUCH", DedupKey: "other/" + stranger, State: "triggered"}
	if err := w.src.SetIncidentRef(context.Background(), stranger, ref); err != nil {
		t.Fatal(err)
	}
	mine := w.zevent("web01", "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
	rep := w.pass()
	w.settle(4)
	if rep.Plan.Skipped["incident_not_found"] != 1 {
		t.Errorf("skipped %v, want the pair of the unknown incident skipped once", rep.Plan.Skipped)
	}
	if got := w.incidentOf(mine); got.Status != "triggered" {
		t.Errorf("the other event's incident: %+v", got)
	}
	e := w.event(stranger)
	if e.Ref != ref || len(e.Log) != 0 {
		t.Errorf("the event with the unknown incident was touched: ref %+v, log %+v", e.Ref, e.Log)
	}
	if n := len(w.incidents()); n != 1 {
		t.Errorf("%d incidents, want 1", n)
	}
}
