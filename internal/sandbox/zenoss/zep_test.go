package zenoss

import (
	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Tests of the behaviours reviewed in issue 8, each against Zenoss's own
// source (named in the code they test).

func statuses(s *Server, ids ...string) []Status {
	var out []Status
	for _, id := range ids {
		e, _ := s.Event(id)
		out = append(out, e.Status)
	}
	return out
}

// An empty selector is an empty filter: every event the state machine
// allows changes (zep.py _buildRequestFilters / _buildFilter).
func TestEmptySelectorActsOnEveryEvent(t *testing.T) {
	for name, sel := range map[string]map[string]any{
		"no evids":       {},
		"evids: []":      {"evids": []string{}},
		"evids: null":    {"evids": nil},
		"evids a string": {"evids": "0242ac11-0002-8000-11ee-000000000001"},
		"evids a dict":   {"evids": map[string]any{"x": true}},
		"params: {}":     {"evids": []string{}, "params": map[string]any{}},
		"excludeIds: []": {"excludeIds": []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			s, hs, _ := start(t, Options{})
			var ids []string
			for _, dev := range []string{"web01", "web02", "db01"} {
				ids = append(ids, s.AddEvent(Occurrence{Device: dev, Summary: "down", Severity: SeverityError}))
			}
			if u, n := updateCounts(t, call(t, hs, "acknowledge", sel)); u != 3 || n != 3 {
				t.Fatalf("acknowledge: updated %v total %v, want 3 of 3", u, n)
			}
			if u, n := updateCounts(t, call(t, hs, "close", sel)); u != 3 || n != 3 {
				t.Fatalf("close: updated %v total %v, want 3 of 3", u, n)
			}
			if got := statuses(s, ids...); !slices.Equal(got, []Status{StatusClosed, StatusClosed, StatusClosed}) {
				t.Fatalf("every event should be closed: %v", got)
			}
			if u, n := updateCounts(t, call(t, hs, "reopen", sel)); u != 3 || n != 3 {
				t.Fatalf("reopen: updated %v total %v, want 3 of 3", u, n)
			}
		})
	}

	// An empty evids list with params: the params alone select.
	s, hs, _ := start(t, Options{})
	a := s.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityError})
	b := s.AddEvent(Occurrence{Device: "db01", Summary: "down", Severity: SeverityError})
	if u, n := updateCounts(t, call(t, hs, "close", map[string]any{"evids": []string{}, "params": map[string]any{"device": "web"}})); u != 1 || n != 1 {
		t.Fatalf("evids [] with a device filter: updated %v total %v", u, n)
	}
	if got := statuses(s, a, b); !slices.Equal(got, []Status{StatusClosed, StatusNew}) {
		t.Fatalf("only web01 should be closed: %v", got)
	}
	// A list of evids overrides an evid in params.
	if u, _ := updateCounts(t, call(t, hs, "acknowledge", map[string]any{"evids": []string{b}, "params": map[string]any{"evid": a}})); u != 1 {
		t.Fatal("the evids list should select b")
	}
	if got := statuses(s, a, b); !slices.Equal(got, []Status{StatusClosed, StatusAcknowledged}) {
		t.Fatalf("evids should win over params.evid: %v", got)
	}
	// excludeIds is a dict (zep.py calls excludeIds.keys()).
	failedWith(t, call(t, hs, "close", map[string]any{"excludeIds": []string{a}}), "AttributeError: 'list' object has no attribute 'keys'")
	if u, n := updateCounts(t, call(t, hs, "reopen", map[string]any{"excludeIds": map[string]any{b: true}})); u != 1 || n != 1 {
		t.Fatalf("reopen of all but b: updated %v total %v", u, n)
	}
	// A device context would narrow the selection; the sandbox refuses it
	// rather than act on more than Zenoss would.
	failedWith(t, call(t, hs, "close", map[string]any{"uid": "/zport/dmd/Devices/Server/devices/web01"}), "NotImplementedError")
}

// asof is in the signature of close, acknowledge and reopen in every
// version, and used by none.
func TestAsofIsIgnored(t *testing.T) {
	for _, v := range []Version{Version4, Version6} {
		s, hs, clk := start(t, Options{Version: v, Location: time.UTC})
		id := s.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityError})
		stale := float64(t0.Unix()) - 60
		clk.Advance(time.Minute)
		updateCounts(t, call(t, hs, "acknowledge", map[string]any{"evids": []string{id}}))
		if u, _ := updateCounts(t, call(t, hs, "close", map[string]any{"evids": []string{id}, "asof": stale})); u != 1 {
			t.Fatalf("v%d: a stale asof must not stop the close", v)
		}
		if u, _ := updateCounts(t, call(t, hs, "reopen", map[string]any{"evids": []string{id}, "asof": "not a time"})); u != 1 {
			t.Fatalf("v%d: asof of any type is accepted and ignored", v)
		}
	}
}

// Aging (EventSummaryDaoImpl.ageEvents) on the server's clock: below
// Error, no occurrence for 240 minutes, within a minute.
func TestAging(t *testing.T) {
	s, hs, clk := start(t, Options{})
	warn := s.AddEvent(Occurrence{Device: "web01", Summary: "slow", Severity: SeverityWarning})
	acked := s.AddEvent(Occurrence{Device: "web02", Summary: "slow", Severity: SeverityInfo})
	suppressed := s.AddEvent(Occurrence{Device: "web03", Summary: "slow", Severity: SeverityDebug, Status: StatusSuppressed})
	errEvent := s.AddEvent(Occurrence{Device: "web04", Summary: "down", Severity: SeverityError})
	updateCounts(t, call(t, hs, "acknowledge", map[string]any{"evids": []string{acked}}))

	clk.Advance(DefaultAgeInterval)
	if got := statuses(s, warn); got[0] != StatusNew {
		t.Fatalf("not aged before the interval has passed: %v", got)
	}
	clk.Advance(DefaultSweepInterval)
	if got := statuses(s, warn, acked, suppressed, errEvent); !slices.Equal(got, []Status{StatusAged, StatusAged, StatusAged, StatusNew}) {
		t.Fatalf("events below Error age, Error does not: %v", got)
	}
	e, _ := s.Event(acked)
	if want := t0.Add(DefaultAgeInterval + DefaultSweepInterval).Truncate(time.Millisecond); !e.StateChange.Equal(want) {
		t.Errorf("stateChange is the ager's run, %v, got %v", want, e.StateChange)
	}
	if e.OwnerID != "pdbridge" || len(e.Log) != 1 {
		t.Errorf("aging keeps the owner and writes no audit line: owner %q log %v", e.OwnerID, e.Log)
	}
	// The state machine: nothing acknowledges or closes an aged event.
	for _, m := range []string{"acknowledge", "close"} {
		if u, n := updateCounts(t, call(t, hs, m, map[string]any{"evids": []string{warn}})); u != 0 || n != 1 {
			t.Errorf("%s of an aged event: updated %v total %v", m, u, n)
		}
	}

	// A reopened event that is still old ages again at the next run.
	updateCounts(t, call(t, hs, "reopen", map[string]any{"evids": []string{warn}}))
	clk.Advance(DefaultSweepInterval)
	if got := statuses(s, warn); got[0] != StatusAged {
		t.Fatalf("a reopened old event ages at the next run: %v", got)
	}

	// Configurable, and off when negative.
	s2, _, clk2 := start(t, Options{AgeInterval: 10 * time.Minute})
	id := s2.AddEvent(Occurrence{Device: "web01", Summary: "slow", Severity: SeverityWarning})
	clk2.Advance(11 * time.Minute)
	if got := statuses(s2, id); got[0] != StatusAged {
		t.Fatalf("a 10-minute interval: %v", got)
	}
	s3, _, clk3 := start(t, Options{AgeInterval: -1})
	id = s3.AddEvent(Occurrence{Device: "web01", Summary: "slow", Severity: SeverityWarning})
	clk3.Advance(30 * 24 * time.Hour)
	if got := statuses(s3, id); got[0] != StatusNew {
		t.Fatalf("aging disabled: %v", got)
	}
}

// An aged event keeps its fingerprint hash: a recurrence revives the same
// evid (EventSummaryDaoImpl.saveEventByFingerprint / merge), and reopening
// a closed sibling hits the duplicate key ZEP swallows.
func TestAgedEventKeepsItsDedupid(t *testing.T) {
	s, hs, clk := start(t, Options{})
	occ := Occurrence{Device: "web01", Summary: "slow", Severity: SeverityWarning}
	closed := s.AddEvent(occ)
	updateCounts(t, call(t, hs, "close", map[string]any{"evids": []string{closed}}))
	aged := s.AddEvent(occ)
	if aged == closed {
		t.Fatal("a recurrence after close is a new evid")
	}
	clk.Advance(DefaultAgeInterval + DefaultSweepInterval)
	if got := statuses(s, closed, aged); !slices.Equal(got, []Status{StatusClosed, StatusAged}) {
		t.Fatalf("setup: %v", got)
	}

	if u, n := updateCounts(t, call(t, hs, "reopen", map[string]any{"evids": []string{closed}})); u != 0 || n != 1 {
		t.Fatalf("reopen of a closed sibling of an aged event: updated %v total %v, want 0 of 1", u, n)
	}
	if err := s.SetStatus(closed, StatusNew); err == nil {
		t.Error("SetStatus must not give a second event the aged event's dedupid")
	}

	clk.Advance(time.Second)
	if got := s.AddEvent(occ); got != aged {
		t.Fatalf("a recurrence should revive the aged evid %s, landed in %s", aged, got)
	}
	e, _ := s.Event(aged)
	if e.Status != StatusNew || e.Count != 2 || !e.StateChange.Equal(clk.Now().Truncate(time.Millisecond)) {
		t.Fatalf("revived: %s count %d stateChange %v", e.Status, e.Count, e.StateChange)
	}
	if len(e.Log) != 0 {
		t.Errorf("a revival by occurrence writes no audit line: %v", e.Log)
	}
}

// Archiving (EventSummaryDaoImpl.archive): closed, cleared and aged events
// last seen 4,320 minutes ago leave the summary within a minute; detail,
// write_log and updateDetails still find them (EventStoreDaoImpl).
func TestArchive(t *testing.T) {
	s, hs, clk := start(t, Options{})
	closed := s.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityCritical})
	open := s.AddEvent(Occurrence{Device: "web02", Summary: "down", Severity: SeverityCritical})
	aged := s.AddEvent(Occurrence{Device: "web03", Summary: "slow", Severity: SeverityWarning})
	clk.Advance(time.Hour)
	updateCounts(t, call(t, hs, "close", map[string]any{"evids": []string{closed}}))

	clk.Advance(DefaultArchiveInterval - time.Hour)
	if e, _ := s.Event(closed); e.Archived {
		t.Fatal("archived before the interval has passed")
	}
	clk.Advance(DefaultSweepInterval)
	for id, want := range map[string]bool{closed: true, aged: true, open: false} {
		if e, _ := s.Event(id); e.Archived != want {
			t.Errorf("%s (%s): archived %v, want %v", id, e.Status, e.Archived, want)
		}
	}

	live := queryEvents(t, hs, map[string]any{"keys": []string{"evid"}})
	if len(live) != 1 || live[0]["evid"] != open {
		t.Fatalf("query lists live events only: %v", live)
	}
	for _, req := range []struct {
		method string
		data   map[string]any
	}{
		{"query", map[string]any{"archive": true, "keys": []string{"evid"}, "limit": 10, "sort": "firstTime", "dir": "ASC"}},
		{"queryArchive", map[string]any{"keys": []string{"evid"}, "limit": 10, "sort": "firstTime", "dir": "ASC"}},
	} {
		res := succeeded(t, call(t, hs, req.method, req.data))
		evs := as[[]any](t, res["events"])
		if len(evs) != 2 || as[map[string]any](t, evs[0])["evid"] != closed || as[map[string]any](t, evs[1])["evid"] != aged {
			t.Errorf("%s: %v", req.method, evs)
		}
	}

	for _, m := range []string{"acknowledge", "close", "reopen"} {
		if u, n := updateCounts(t, call(t, hs, m, map[string]any{"evids": []string{closed}})); u != 0 || n != 0 {
			t.Errorf("%s of an archived event: updated %v total %v, want 0 of 0", m, u, n)
		}
	}
	if u, n := updateCounts(t, call(t, hs, "reopen", map[string]any{})); u != 0 || n != 1 {
		t.Errorf("an empty selector reaches only live events: updated %v total %v", u, n)
	}
	d := as[map[string]any](t, as[[]any](t, succeeded(t, call(t, hs, "detail", map[string]any{"evid": closed}))["event"])[0])
	if d["eventState"] != "Closed" {
		t.Errorf("detail of an archived event: %v", d["eventState"])
	}
	succeeded(t, call(t, hs, "write_log", map[string]any{"evid": closed, "message": "late note"}))
	succeeded(t, call(t, hs, "updateDetails", map[string]any{"evid": closed, "pd": "Q1"}))
	e, _ := s.Event(closed)
	if e.Log[0].Message != "<p>late note</p>" || !slices.Equal(e.Details["pd"], []string{"Q1"}) {
		t.Errorf("archived events take notes and details: %v %v", e.Log[0], e.Details)
	}

	// The archived aged event no longer holds the dedupid: a recurrence is new.
	if id := s.AddEvent(Occurrence{Device: "web03", Summary: "slow", Severity: SeverityWarning}); id == aged {
		t.Error("a recurrence after archiving must get a new evid")
	}

	s2, hs2, clk2 := start(t, Options{ArchiveInterval: 30 * time.Minute})
	id := s2.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityCritical})
	updateCounts(t, call(t, hs2, "close", map[string]any{"evids": []string{id}}))
	clk2.Advance(31 * time.Minute)
	if e, _ := s2.Event(id); !e.Archived || !e.ArchivedAt.Equal(t0.Add(31*time.Minute)) {
		t.Errorf("a 30-minute archive interval: archived %v at %v", e.Archived, e.ArchivedAt)
	}
}

// Clear events (EventSummaryDaoImpl.create / clearEvents).
func TestClearEvents(t *testing.T) {
	s, hs, clk := start(t, Options{})
	link := Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net/Link", EventKey: "carrier", Summary: "link down", Severity: SeverityError}
	a := s.AddEvent(link)
	updateCounts(t, call(t, hs, "acknowledge", map[string]any{"evids": []string{a}}))
	otherKey := link
	otherKey.EventKey, otherKey.Summary = "speed", "slow link"
	b := s.AddEvent(otherKey)
	ping := s.AddEvent(Occurrence{Device: "web01", Component: "eth0", EventClass: "/Status/Ping", EventKey: "carrier", Summary: "no ping", Severity: SeverityError})
	before := len(s.Events())

	// A clear that matches nothing is dropped: not stored at all.
	if id := s.AddEvent(Occurrence{Device: "db01", Component: "eth0", EventClass: "/Net/Link", EventKey: "carrier", Severity: SeverityClear, Summary: "up"}); id != "" {
		t.Fatalf("a clear matching nothing should be dropped, landed in %s", id)
	}
	res := succeeded(t, call(t, hs, "add_event", map[string]any{"summary": "up", "device": "nope", "component": "", "severity": "Clear", "evclasskey": "", "evclass": "/Net/Link"}))
	if res["msg"] != "Created event" || len(s.Events()) != before {
		t.Fatalf("add_event of an unmatched clear says Created event and stores nothing: %v, %d events", res, len(s.Events()))
	}
	// Matching needs lastTime <= the clear's time.
	clk.Advance(time.Minute)
	early := Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net/Link", EventKey: "carrier", Severity: SeverityClear, Summary: "up", Time: t0.Add(-time.Second)}
	if id := s.AddEvent(early); id != "" {
		t.Fatalf("a clear older than the event's lastTime clears nothing, landed in %s", id)
	}

	clk.Advance(time.Minute)
	clearAt := clk.Now().Truncate(time.Millisecond)
	c := s.AddEvent(Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net/Link", EventKey: "carrier", Severity: SeverityClear,
		Summary: "link up", ClearClasses: []string{"/Status/Ping"}})
	if c == "" {
		t.Fatal("the clear should be stored")
	}
	ce, _ := s.Event(c)
	if ce.Status != StatusClosed || len(ce.Log) != 0 {
		t.Fatalf("a clear event is stored Closed without audit: %s %v", ce.Status, ce.Log)
	}
	for _, id := range []string{a, ping} {
		e, _ := s.Event(id)
		if e.Status != StatusCleared || e.ClearID != c || !e.StateChange.Equal(clearAt) {
			t.Errorf("%s should be Cleared by %s at %v: %s %q %v", e.Summary, c, clearAt, e.Status, e.ClearID, e.StateChange)
		}
		if l := e.Log[0]; l.User != "" || l.Message != "state changed to Cleared" {
			t.Errorf("%s: the clear's audit line has no user name: %+v", e.Summary, l)
		}
	}
	if e, _ := s.Event(a); e.OwnerID != "pdbridge" {
		t.Errorf("a cleared event keeps its owner, got %q", e.OwnerID)
	}
	if got := statuses(s, b); got[0] != StatusNew {
		t.Errorf("another event key is not cleared: %v", got)
	}
}

// A re-acknowledge by another user is a real update
// (EventSummaryDaoImpl.update's acknowledge condition).
func TestReacknowledgeByAnotherUser(t *testing.T) {
	s, hs, clk := start(t, Options{})
	id := s.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityCritical})
	ids := map[string]any{"evids": []string{id}}
	updateCounts(t, call(t, hs, "acknowledge", ids))

	clk.Advance(time.Minute)
	if ok, err := s.Acknowledge(id, "alice"); err != nil || !ok {
		t.Fatalf("alice's acknowledge: %v %v", ok, err)
	}
	e, _ := s.Event(id)
	if e.OwnerID != "alice" || !e.StateChange.Equal(clk.Now().Truncate(time.Millisecond)) {
		t.Fatalf("owner %q stateChange %v", e.OwnerID, e.StateChange)
	}
	if l := e.Log[0]; l.User != "alice" || l.Message != "state changed to Acknowledged" || len(e.Log) != 2 {
		t.Fatalf("audit: %+v", e.Log)
	}
	if ok, _ := s.Acknowledge(id, "alice"); ok {
		t.Error("alice again: a no-op")
	}
	if u, _ := updateCounts(t, call(t, hs, "acknowledge", ids)); u != 1 {
		t.Error("the API user acknowledging after alice is an update")
	}
	if _, err := s.Acknowledge("nope", "alice"); err == nil {
		t.Error("an unknown evid is an error")
	}
}

// A newer occurrence rewrites the event's fields and status
// (EventSummaryDaoImpl.merge); only Acknowledged is sticky.
func TestRecurrenceMerge(t *testing.T) {
	s, _, clk := start(t, Options{})
	first := Occurrence{Device: "web01", EventClass: "/App/A", EventKey: "k1", Agent: "zenperfsnmp", Summary: "high load",
		Severity: SeverityWarning, DedupID: "web01|load", Status: StatusSuppressed}
	id := s.AddEvent(first)
	clk.Advance(time.Minute)
	again := Occurrence{Device: "web01", EventClass: "/App/B", EventKey: "k2", Agent: "zencommand", Summary: "very high load",
		Severity: SeverityError, DedupID: "web01|load"}
	if got := s.AddEvent(again); got != id {
		t.Fatalf("same dedupid should merge, landed in %s", got)
	}
	e, _ := s.Event(id)
	if e.Severity != SeverityError || e.EventClass != "/App/B" || e.EventKey != "k2" || e.Agent != "zencommand" || e.Summary != "very high load" || e.Count != 2 {
		t.Fatalf("a newer occurrence rewrites the fields: %+v", e)
	}
	if e.Status != StatusNew || !e.StateChange.Equal(clk.Now().Truncate(time.Millisecond)) {
		t.Fatalf("Suppressed -> New at the occurrence: %s %v", e.Status, e.StateChange)
	}
	clk.Advance(time.Minute)
	again.Status = StatusSuppressed
	s.AddEvent(again)
	if got := statuses(s, id); got[0] != StatusSuppressed {
		t.Fatalf("New -> Suppressed: %v", got)
	}

	if ok, _ := s.Acknowledge(id, "alice"); !ok {
		t.Fatal("acknowledge")
	}
	for _, st := range []Status{StatusNew, StatusSuppressed} {
		again.Status = st
		s.AddEvent(again)
		if got := statuses(s, id); got[0] != StatusAcknowledged {
			t.Fatalf("Acknowledged is sticky against %s: %v", st, got)
		}
	}

	// An occurrence older than lastTime only counts.
	old := again
	old.Summary, old.Time = "stale", t0
	s.AddEvent(old)
	if e, _ := s.Event(id); e.Summary != "very high load" || e.Count != 6 {
		t.Fatalf("an older occurrence: summary %q count %d", e.Summary, e.Count)
	}
	if s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError, Status: StatusDropped}) != "" {
		t.Error("a dropped occurrence is not stored")
	}
}

// Defaults from zeneventd (FingerprintPipe, CheckInputPipe), the facade
// (createEventFilter) and ZEP (query limits).
func TestDefaults(t *testing.T) {
	s, hs, _ := start(t, Options{})
	noKey := s.AddEvent(Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net", Summary: "down", Severity: SeverityError})
	withKey := s.AddEvent(Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net", EventKey: "k", Summary: "down", Severity: SeverityError})
	fromMessage := s.AddEvent(Occurrence{Device: "web02", Message: "only a message", Severity: SeverityInfo})
	for id, want := range map[string]string{noKey: "web01|eth0|/Net|4|down", withKey: "web01|eth0|/Net|k|4"} {
		if e, _ := s.Event(id); e.DedupID != want {
			t.Errorf("dedupid %q, want %q", e.DedupID, want)
		}
	}
	if e, _ := s.Event(noKey); e.Message != "down" {
		t.Errorf("the message defaults to the summary, got %q", e.Message)
	}
	if e, _ := s.Event(fromMessage); e.Summary != "only a message" {
		t.Errorf("the summary defaults to the message, got %q", e.Summary)
	}
	succeeded(t, call(t, hs, "add_event", map[string]any{"summary": "api", "device": "web03", "component": "", "severity": "Warning", "evclasskey": ""}))
	if evs := s.Events(); evs[3].Message != "api" || evs[3].DedupID != "web03||/Unknown|3|api" {
		t.Errorf("add_event defaults: message %q dedupid %q", evs[3].Message, evs[3].DedupID)
	}

	res := succeeded(t, call(t, hs, "query", map[string]any{"keys": nil, "limit": 0}))
	if evs := as[[]any](t, res["events"]); len(evs) != 0 || as[float64](t, res["totalCount"]) != 4 {
		t.Errorf("limit 0: %d events, totalCount %v; want none and 4", len(evs), res["totalCount"])
	}
	res = succeeded(t, call(t, hs, "query", map[string]any{"keys": nil}))
	if evs := as[[]any](t, res["events"]); len(evs) != 0 {
		t.Errorf("query's default limit is 0, got %d events", len(evs))
	}
	for name, params := range map[string]map[string]any{
		"empty eventState": {"eventState": []int{}},
		"empty severity":   {"severity": []int{}},
		"eventState 0":     {"eventState": 0},
	} {
		if got := queryEvents(t, hs, map[string]any{"params": params}); len(got) != 4 {
			t.Errorf("%s filters nothing: got %d events", name, len(got))
		}
	}
	if got := queryEvents(t, hs, map[string]any{"params": map[string]any{"eventState": []int{}, "eventStateText": []int{1}}}); len(got) != 0 {
		t.Errorf("eventStateText still filters: %d", len(got))
	}
}

// unacknowledge is reopen's deprecated alias (zep.py).
func TestUnacknowledgeIsReopen(t *testing.T) {
	for _, v := range []Version{Version4, Version6} {
		s, hs, _ := start(t, Options{Version: v, Location: time.UTC})
		id := s.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityError})
		ids := map[string]any{"evids": []string{id}, "keys": nil}
		delete(ids, "keys")
		updateCounts(t, call(t, hs, "close", ids))
		if u, _ := updateCounts(t, call(t, hs, "unacknowledge", ids)); u != 1 {
			t.Fatalf("v%d: unacknowledge should reopen the closed event", v)
		}
		if e, _ := s.Event(id); e.Status != StatusNew || e.Log[0].Message != "state changed to New" {
			t.Fatalf("v%d: %s %v", v, e.Status, e.Log)
		}
		failedWith(t, call(t, hs, "unacknowledge", map[string]any{"evid": id}), "reopen() got an unexpected keyword argument 'evid'")
	}
}

// Log times are integer milliseconds from 5.3 (Products/Zuul/infos/event.py).
func TestLogTimesByMinorVersion(t *testing.T) {
	for _, tc := range []struct {
		minor int
		want  any
	}{{0, "2024-01-15 14:30:00"}, {2, "2024-01-15 14:30:00"}, {3, float64(1705329000250)}} {
		s, hs, _ := start(t, Options{Version: Version5, Minor: tc.minor, Location: time.UTC})
		id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
		succeeded(t, call(t, hs, "write_log", map[string]any{"evid": id, "message": "note"}))
		d := as[map[string]any](t, as[[]any](t, succeeded(t, call(t, hs, "detail", map[string]any{"evid": id}))["event"])[0])
		if got := as[[]any](t, as[[]any](t, d["log"])[0])[1]; got != tc.want {
			t.Errorf("5.%d: log time %v (%T), want %v", tc.minor, got, got, tc.want)
		}
	}
}

// BenchmarkSweep measures what aging and archiving add to a request: each
// iteration moves the clock by one sweep interval over 10,000 live events
// (the worst case: a run is due every time) and reads one event.
func BenchmarkSweep(b *testing.B) {
	clk := clock.NewFake(t0)
	s := New(Options{Username: "u", Password: "p", Now: clk.Now})
	var last string
	for i := range 10_000 {
		last = s.AddEvent(Occurrence{Device: "dev", Summary: "event " + strconv.Itoa(i), Severity: Severity(1 + i%5)})
	}
	b.ResetTimer()
	for range b.N {
		clk.Advance(DefaultSweepInterval)
		if _, ok := s.Event(last); !ok {
			b.Fatal("event lost")
		}
	}
}
