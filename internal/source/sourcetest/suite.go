package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Fixture is one console behind the adapter under test, driven from the
// console's side.
type Fixture struct {
	// Source is the adapter under test.
	Source source.Source
	// Raise starts a new problem on the console, one of its own, that the
	// adapter reports as an open event.
	Raise func(t *testing.T) Problem
	// RaiseUnclosable, when set, starts a problem whose event Close cannot
	// close (an Icinga 2 check that is not passive): Close must then
	// report source.ErrUnsupported and leave it open.
	RaiseUnclosable func(t *testing.T) Problem
	// UnknownID is a well-formed event ID that names no event.
	UnknownID string
}

// Problem is one problem raised on the console.
type Problem struct {
	// Is recognises the problem's event among listed ones.
	Is func(source.Event) bool
	// Recover ends the problem on the console's side, as the monitoring
	// would (an OK result, a clear event, a resolved alert).
	Recover func(t *testing.T)
	// Recur raises the same problem again, after it recovered.
	Recur func(t *testing.T)
	// Note adds a note by a console user, for consoles with a log.
	Note func(t *testing.T, text string)
}

// bound is how long the suite waits for a console to show a change.
const bound = 10 * time.Second

// Run drives the fixture's source through the contract of source.Source,
// for what its Capabilities say it can do, and checks that it refuses,
// with source.ErrUnsupported, what they say it cannot.
func Run(t *testing.T, f Fixture) {
	caps := f.Source.Capabilities()
	if caps.TimePrecision <= 0 {
		t.Errorf("Capabilities().TimePrecision = %v, want the resolution of StatusChanged", caps.TimePrecision)
	}
	if f.Source.Kind() == "" {
		t.Error("Kind() is empty")
	}
	ctx := context.Background()

	t.Run("list and get", func(t *testing.T) {
		p := f.Raise(t)
		e := find(t, f.Source, p)
		if e.ID == "" || e.DedupID == "" || e.Status != source.StatusNew {
			t.Errorf("listed event %+v: want an ID, a dedup id and status new", e)
		}
		if e.Log != nil {
			t.Errorf("a listed event carries a log: %+v", e.Log)
		}
		utc(t, "StatusChanged", e.StatusChanged, true)
		utc(t, "FirstSeen", e.FirstSeen, false)
		utc(t, "LastSeen", e.LastSeen, false)
		g, err := f.Source.Get(ctx, e.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", e.ID, err)
		}
		if g.ID != e.ID || g.DedupID != e.DedupID || g.Status != e.Status || !g.StatusChanged.Equal(e.StatusChanged) || g.Summary != e.Summary {
			t.Errorf("Get(%s) = %+v, want what List said: %+v", e.ID, g, e)
		}
		// A page of one still reaches the event, and the listing ends.
		found := false
		opts := source.ListOptions{PageSize: 1}
		for i := 0; ; i++ {
			if i > 10000 {
				t.Fatal("a listing by pages of one does not end")
			}
			page, err := f.Source.List(ctx, opts)
			if err != nil {
				t.Fatalf("List page %d: %v", i, err)
			}
			if len(page.Events) > 1 {
				t.Fatalf("page of size 1 holds %d events", len(page.Events))
			}
			for _, x := range page.Events {
				found = found || x.ID == e.ID
			}
			if page.Next == "" {
				break
			}
			opts.Cursor = page.Next
		}
		if !found {
			t.Errorf("paged listing misses event %s", e.ID)
		}
		// Severity filters keep it (it is at least a warning) or drop it.
		if e.Severity >= source.SeverityWarning {
			if !listed(t, f.Source, source.ListOptions{MinSeverity: e.Severity}, e.ID) {
				t.Errorf("MinSeverity %s drops event %s of that severity", e.Severity, e.ID)
			}
		}
		if e.Severity < source.SeverityCritical && e.Severity > source.SeverityUnknown {
			if listed(t, f.Source, source.ListOptions{MinSeverity: e.Severity + 1}, e.ID) {
				t.Errorf("MinSeverity %s keeps event %s of severity %s", e.Severity+1, e.ID, e.Severity)
			}
		}
	})

	t.Run("unknown event", func(t *testing.T) {
		if _, err := f.Source.Get(ctx, f.UnknownID); !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", f.UnknownID, err)
		}
		for op, call := range transitions(f.Source) {
			if _, err := call(ctx, f.UnknownID); !errors.Is(err, source.ErrNotFound) && !errors.Is(err, source.ErrUnsupported) {
				t.Errorf("%s(%q) = %v, want ErrNotFound (or ErrUnsupported)", op, f.UnknownID, err)
			}
		}
		if err := f.Source.AppendLog(ctx, f.UnknownID, "hello"); !errors.Is(err, source.ErrNotFound) && !errors.Is(err, source.ErrUnsupported) {
			t.Errorf("AppendLog(%q) = %v, want ErrNotFound (or ErrUnsupported)", f.UnknownID, err)
		}
	})

	t.Run("acknowledge and unacknowledge", func(t *testing.T) {
		p := f.Raise(t)
		e := find(t, f.Source, p)
		changed, err := f.Source.Acknowledge(ctx, e.ID)
		if !caps.Acknowledge {
			unsupported(t, "Acknowledge", err)
			return
		}
		if err != nil || !changed {
			t.Fatalf("Acknowledge(%s) = %v, %v; want changed", e.ID, changed, err)
		}
		got := get(t, f.Source, e.ID)
		if got.Status != source.StatusAcknowledged || got.StatusChanged.Before(e.StatusChanged) {
			t.Errorf("after Acknowledge: %s since %s (was %s since %s)", got.Status, got.StatusChanged, e.Status, e.StatusChanged)
		}
		if l := find(t, f.Source, p); l.Status != source.StatusAcknowledged {
			t.Errorf("listed as %s after Acknowledge", l.Status)
		}
		if changed, err := f.Source.Acknowledge(ctx, e.ID); err != nil || changed {
			t.Errorf("second Acknowledge = %v, %v; want unchanged, no error", changed, err)
		}
		changed, err = f.Source.Reopen(ctx, e.ID)
		if !caps.Unacknowledge {
			if err == nil {
				t.Errorf("Reopen of an acknowledged event succeeded without Capabilities.Unacknowledge")
			}
			return
		}
		if err != nil || !changed {
			t.Fatalf("Reopen(%s) of the acknowledged event = %v, %v; want changed", e.ID, changed, err)
		}
		if got := get(t, f.Source, e.ID); got.Status != source.StatusNew {
			t.Errorf("after Reopen: %s", got.Status)
		}
		if changed, err := f.Source.Reopen(ctx, e.ID); err != nil || changed {
			t.Errorf("second Reopen = %v, %v; want unchanged, no error", changed, err)
		}
	})

	t.Run("log", func(t *testing.T) {
		p := f.Raise(t)
		e := find(t, f.Source, p)
		text := fmt.Sprintf("a line from the conformance suite [sourcetest:%d]", time.Now().UnixNano())
		err := f.Source.AppendLog(ctx, e.ID, text)
		if !caps.AppendLog {
			unsupported(t, "AppendLog", err)
			return
		}
		if err != nil {
			t.Fatalf("AppendLog: %v", err)
		}
		got := get(t, f.Source, e.ID)
		n := 0
		for _, l := range got.Log {
			if strings.Contains(l.Text, text) {
				n++
				utc(t, "log time", l.Time, true)
			}
		}
		if n != 1 {
			t.Errorf("the appended line is in the log %d times, want once: %+v", n, got.Log)
		}
		if p.Note != nil {
			p.Note(t, "looked at it, rebooting")
			found := false
			for _, l := range get(t, f.Source, e.ID).Log {
				if strings.Contains(l.Text, "looked at it, rebooting") {
					found = true
					if l.Audit || l.Author == "" {
						t.Errorf("a console user's note reads as %+v: want a note (not audit) with its author", l)
					}
				}
			}
			if !found {
				t.Error("a console user's note is not in the log")
			}
		}
	})

	t.Run("incident reference", func(t *testing.T) {
		p := f.Raise(t)
		e := find(t, f.Source, p)
		now := time.Now().UTC()
		ref := source.IncidentRef{IncidentID: "PINC123", URL: "https://example.pagerduty.com/incidents/PINC123", Created: now.Add(-time.Minute),
			ConnectorID: "PSVC/PINT", DedupKey: "src/" + e.ID, State: "acknowledged", IncidentUpdated: now, EventChanged: e.StatusChanged,
			EventStatus: "acknowledged"}
		err := f.Source.SetIncidentRef(ctx, e.ID, ref)
		if !caps.IncidentRef {
			unsupported(t, "SetIncidentRef", err)
			return
		}
		if err != nil {
			t.Fatalf("SetIncidentRef: %v", err)
		}
		if err := f.Source.SetIncidentRef(ctx, e.ID, ref); err != nil {
			t.Fatalf("SetIncidentRef again (it is idempotent): %v", err)
		}
		sameRef(t, "Get", get(t, f.Source, e.ID).Ref, ref, caps.TimePrecision)
		sameRef(t, "List", find(t, f.Source, p).Ref, ref, caps.TimePrecision)
		if err := f.Source.SetIncidentRef(ctx, e.ID, source.IncidentRef{}); err != nil {
			t.Fatalf("clearing the reference: %v", err)
		}
		if got := get(t, f.Source, e.ID).Ref; !got.IsZero() {
			t.Errorf("reference after clearing: %+v", got)
		}
	})

	t.Run("close", func(t *testing.T) {
		p := f.Raise(t)
		e := find(t, f.Source, p)
		changed, err := f.Source.Close(ctx, e.ID)
		if !caps.Close {
			unsupported(t, "Close", err)
			return
		}
		if err != nil || !changed {
			t.Fatalf("Close(%s) = %v, %v; want changed", e.ID, changed, err)
		}
		closedNow(t, f, caps, e)
		if changed, err := f.Source.Close(ctx, e.ID); changed || (err != nil && (caps.ListClosed || !errors.Is(err, source.ErrNotFound))) {
			t.Errorf("second Close = %v, %v; want unchanged", changed, err)
		}
		reopened, err := f.Source.Reopen(ctx, e.ID)
		switch {
		case caps.Reopen:
			var refused *source.RefusedError
			if err != nil && !errors.As(err, &refused) {
				t.Errorf("Reopen of the closed event: %v", err)
			} else if err == nil && (!reopened || get(t, f.Source, e.ID).Status != source.StatusNew) {
				t.Errorf("Reopen of the closed event = %v but the event is not new", reopened)
			}
		case err == nil:
			t.Errorf("Reopen of a closed event succeeded without Capabilities.Reopen")
		}
	})

	if f.RaiseUnclosable != nil {
		t.Run("close refused for this event", func(t *testing.T) {
			p := f.RaiseUnclosable(t)
			e := find(t, f.Source, p)
			if changed, err := f.Source.Close(ctx, e.ID); changed || !errors.Is(err, source.ErrUnsupported) {
				t.Errorf("Close(%s) = %v, %v; want ErrUnsupported", e.ID, changed, err)
			}
			if got := get(t, f.Source, e.ID); got.Status != source.StatusNew {
				t.Errorf("after a refused Close: %s", got.Status)
			}
		})
	}

	t.Run("recovery and recurrence", func(t *testing.T) {
		p := f.Raise(t)
		before := time.Now().Add(-time.Minute)
		e := find(t, f.Source, p)
		p.Recover(t)
		closedNow(t, f, caps, e)
		if caps.ListClosed && !listed(t, f.Source, source.ListOptions{ChangedSince: before}, e.ID) {
			t.Errorf("the recovered event is missing from a listing with ChangedSince")
		}
		p.Recur(t)
		again := find(t, f.Source, p)
		if again.Status != source.StatusNew {
			t.Errorf("the recurrence is %s, want new", again.Status)
		}
		if caps.NewIDOnRecurrence != (again.ID != e.ID) {
			t.Errorf("the recurrence has ID %s (first occurrence %s), but Capabilities.NewIDOnRecurrence = %v", again.ID, e.ID, caps.NewIDOnRecurrence)
		}
		if again.DedupID != e.DedupID {
			t.Errorf("the recurrence has dedup id %q, the first occurrence %q", again.DedupID, e.DedupID)
		}
	})
}

// closedNow checks a closed event as the capabilities say it must look:
// read back as closed, or gone (ErrNotFound) and not listed.
func closedNow(t *testing.T, f Fixture, caps source.Capabilities, e source.Event) {
	t.Helper()
	got, err := f.Source.Get(context.Background(), e.ID)
	switch {
	case caps.ListClosed && (err != nil || got.Status != source.StatusClosed):
		t.Errorf("closed event: Get = %s, %v; want closed", got.Status, err)
	case !caps.ListClosed && !errors.Is(err, source.ErrNotFound):
		t.Errorf("closed event of a console whose closed events vanish: Get = %+v, %v; want ErrNotFound", got, err)
	}
	if listed(t, f.Source, source.ListOptions{}, e.ID) {
		t.Errorf("closed event %s is listed among the open ones", e.ID)
	}
}

func transitions(s source.Source) map[string]func(context.Context, string) (bool, error) {
	return map[string]func(context.Context, string) (bool, error){"Acknowledge": s.Acknowledge, "Close": s.Close, "Reopen": s.Reopen}
}

func unsupported(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, source.ErrUnsupported) {
		t.Errorf("%s without the capability = %v, want ErrUnsupported", op, err)
	}
}

func utc(t *testing.T, what string, v time.Time, required bool) {
	t.Helper()
	if v.IsZero() {
		if required {
			t.Errorf("%s is zero", what)
		}
		return
	}
	if v.Location() != time.UTC {
		t.Errorf("%s %v is not in UTC", what, v)
	}
	if d := time.Since(v); d < -time.Minute || d > 24*time.Hour {
		t.Errorf("%s %v is not about now", what, v)
	}
}

func sameRef(t *testing.T, where string, got, want source.IncidentRef, precision time.Duration) {
	t.Helper()
	times := func(r source.IncidentRef) [3]time.Time {
		return [3]time.Time{r.Created.Truncate(precision), r.IncidentUpdated.Truncate(precision), r.EventChanged.Truncate(precision)}
	}
	g, w := got, want
	g.Created, g.IncidentUpdated, g.EventChanged = time.Time{}, time.Time{}, time.Time{}
	w.Created, w.IncidentUpdated, w.EventChanged = time.Time{}, time.Time{}, time.Time{}
	if g != w || times(got) != times(want) {
		t.Errorf("%s reads the reference back as %+v, want %+v", where, got, want)
	}
}

// find waits (bounded) for the problem's event to be listed as open.
func find(t *testing.T, s source.Source, p Problem) source.Event {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		var hits []source.Event
		for _, e := range listAll(t, s, source.ListOptions{}) {
			if p.Is(e) && e.Status.Open() {
				hits = append(hits, e)
			}
		}
		switch {
		case len(hits) == 1:
			return hits[0]
		case len(hits) > 1:
			t.Fatalf("the problem is listed as %d open events: %+v", len(hits), hits)
		case time.Now().After(deadline):
			t.Fatalf("the problem is not listed within %s", bound)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func listed(t *testing.T, s source.Source, opts source.ListOptions, id string) bool {
	t.Helper()
	for _, e := range listAll(t, s, opts) {
		if e.ID == id {
			return true
		}
	}
	return false
}

func listAll(t *testing.T, s source.Source, opts source.ListOptions) []source.Event {
	t.Helper()
	var out []source.Event
	for range 1000 {
		page, err := s.List(context.Background(), opts)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		out = append(out, page.Events...)
		if page.Next == "" {
			return out
		}
		opts.Cursor = page.Next
	}
	t.Fatal("the listing does not end")
	return nil
}

func get(t *testing.T, s source.Source, id string) source.Event {
	t.Helper()
	e, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return e
}
