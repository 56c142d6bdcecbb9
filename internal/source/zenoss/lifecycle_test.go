package zenoss

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	sandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Zenoss applies a state change that selects no events to every event
// (the sandbox does too, see its TestEmptySelectorActsOnEveryEvent). The
// guard in call must make such a request impossible: refused before it
// reaches the server.
func TestGuardRefusesUnsafeRequestsBeforeSending(t *testing.T) {
	e := setup(t, 6, nil)
	ctx := context.Background()
	var ids []string
	for _, dev := range []string{"web01", "web02"} {
		ids = append(ids, e.sb.AddEvent(sandbox.Occurrence{Device: dev, Summary: "down", Severity: sandbox.SeverityCritical}))
	}
	for _, method := range []string{"acknowledge", "close", "reopen"} {
		for name, data := range map[string]any{
			"nil":                  nil,
			"no evids":             map[string]any{},
			"evids: []":            map[string]any{"evids": []string{}},
			"a map with evids":     map[string]any{"evids": ids[:1]},
			"params":               map[string]any{"params": map[string]any{"device": "web01"}},
			"empty selection":      selection{},
			"selection of nothing": selection{Evids: []string{}},
			"an empty evid":        selection{Evids: []string{ids[0], " "}},
		} {
			_, err := e.c.call(ctx, method, data)
			if !errors.Is(err, ErrUnsafeRequest) || !strings.Contains(err.Error(), "EventsRouter."+method) {
				t.Errorf("%s with %s: want ErrUnsafeRequest naming the method, got %v", method, name, err)
			}
		}
	}
	for _, method := range []string{"unacknowledge", "updateEventSummaries", "nextEventSummaryUpdate", "clear_heartbeats", "add_event", "nuke"} {
		if _, err := e.c.call(ctx, method, map[string]any{"evids": ids}); !errors.Is(err, ErrUnsafeRequest) {
			t.Errorf("%s: a method the adapter does not use must be refused, got %v", method, err)
		}
	}
	for name, op := range map[string]func(context.Context, string) (bool, error){"Acknowledge": e.c.Acknowledge, "Close": e.c.Close, "Reopen": e.c.Reopen} {
		for _, id := range []string{"", "  "} {
			if changed, err := op(ctx, id); err == nil || changed {
				t.Errorf("%s(%q): want an error, got changed=%v err=%v", name, id, changed, err)
			}
		}
	}
	if n := e.sb.Faults().Total(); n != 0 {
		t.Fatalf("%d requests reached the server; the guard must refuse before sending", n)
	}
	for _, id := range ids {
		if ev, _ := e.sb.Event(id); ev.Status != sandbox.StatusNew {
			t.Errorf("event %s changed to %s", id, ev.Status)
		}
	}
	// A proper selection goes through.
	if _, err := e.c.call(ctx, "close", selection{Evids: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if ev, _ := e.sb.Event(ids[1]); ev.Status != sandbox.StatusNew {
		t.Errorf("closing one event changed the other: %s", ev.Status)
	}
}

// What a state change puts on the wire: the evid and nothing else (no
// params, no asof, which Zenoss ignores anyway).
func TestStateChangeRequestBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]json.RawMessage
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var req struct {
			Data []map[string]json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(raw, &req)
		mu.Lock()
		bodies = append(bodies, req.Data...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"result":{"success":true,"data":{"updated":1,"total":1}}}`)
	}))
	defer hs.Close()
	c, err := New(Config{URL: hs.URL, Username: testUser, Password: testPassword, Retry: httpretry.Policy{MaxRetries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []func(context.Context, string) (bool, error){c.Acknowledge, c.Close, c.Reopen} {
		if _, err := op(context.Background(), "e1"); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 3 {
		t.Fatalf("want 3 requests, got %d", len(bodies))
	}
	for _, b := range bodies {
		if len(b) != 1 || string(b["evids"]) != `["e1"]` {
			t.Errorf("a state change must carry only evids, got %v", b)
		}
	}
}

// An archived event: listed (from the archive) by ChangedSince, read by
// Get, annotated and referenced, but its status is final, and a refusal
// says so instead of blaming a twin.
func TestArchivedEvent(t *testing.T) {
	for _, v := range versions {
		t.Run(versionName(v), func(t *testing.T) {
			e := setup(t, v, nil)
			ctx := context.Background()
			// Open for four days (Error does not age), then closed: archived
			// within a minute, since its last occurrence is over three days old.
			occ := sandbox.Occurrence{Device: "db01", Summary: "replication broken", Severity: sandbox.SeverityError}
			id := e.sb.AddEvent(occ)
			e.clk.Advance(4 * 24 * time.Hour)
			since := e.clk.Now()
			if changed, err := e.c.Close(ctx, id); err != nil || !changed {
				t.Fatalf("close: %v %v", changed, err)
			}
			twin := e.sb.AddEvent(occ) // the problem recurs: a new open event
			e.clk.Advance(sandbox.DefaultSweepInterval)
			if ev, _ := e.sb.Event(id); !ev.Archived {
				t.Fatal("setup: the closed event should be archived")
			}

			got, _ := listAll(t, e.c, source.ListOptions{ChangedSince: since})
			if !slices.Equal(ids(got), []string{twin, id}) {
				t.Fatalf("ChangedSince should list the archived close: got %v, want [%s %s]", ids(got), twin, id)
			}
			if got[1].Status != source.StatusClosed {
				t.Errorf("archived event listed as %s", got[1].Status)
			}
			if ev, err := e.c.Get(ctx, id); err != nil || ev.Status != source.StatusClosed {
				t.Fatalf("Get of an archived event: %+v %v", ev, err)
			}

			if changed, err := e.c.Close(ctx, id); err != nil || changed {
				t.Errorf("Close of an archived closed event is unchanged, got %v %v", changed, err)
			}
			queries := e.sb.Faults().Count("EventsRouter.query")
			for name, op := range map[string]func(context.Context, string) (bool, error){"Reopen": e.c.Reopen, "Acknowledge": e.c.Acknowledge} {
				changed, err := op(ctx, id)
				var refused *source.RefusedError
				if changed || !errors.As(err, &refused) {
					t.Fatalf("%s of an archived event: want a refusal, got %v %v", name, changed, err)
				}
				if refused.ConflictID != "" || !strings.Contains(refused.Reason, "archived") || strings.Contains(err.Error(), twin) {
					t.Errorf("%s: the refusal must say archived, not blame the open twin: %+v", name, refused)
				}
			}
			if n := e.sb.Faults().Count("EventsRouter.query"); n != queries {
				t.Errorf("an archived refusal should not look for a twin (%d queries)", n-queries)
			}

			if err := e.c.AppendLog(ctx, id, "[pdbridge] resolved in PagerDuty"); err != nil {
				t.Fatal(err)
			}
			if v >= 5 {
				if err := e.c.SetIncidentRef(ctx, id, source.IncidentRef{IncidentID: "Q1"}); err != nil {
					t.Fatal(err)
				}
			}
			ev, err := e.c.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if l := ev.Log[len(ev.Log)-1]; l.Text != "[pdbridge] resolved in PagerDuty" {
				t.Errorf("the note on an archived event: %+v", l)
			}
			if v >= 5 && ev.Ref.IncidentID != "Q1" {
				t.Errorf("the reference on an archived event: %+v", ev.Ref)
			}
		})
	}
}

// An event ZEP has stored but not yet indexed is not selected either
// (total 0) although detail reads it open: that is no refusal, and the
// caller should try again.
func TestUnindexedEventIsNotRefused(t *testing.T) {
	c, _ := cannedClient(t, func(w http.ResponseWriter, _ *http.Request, method string) error {
		body := `{"result":{"success":true,"data":{"updated":0,"total":0}}}`
		if method == "detail" {
			body = `{"result":{"success":true,"event":[{"evid":"e1","eventState":"New","severity":4}]}}`
		}
		return writeBody(jsonType, 200, body)(w, nil, method)
	})
	_, err := c.Acknowledge(context.Background(), "e1")
	if err == nil || errors.Is(err, source.ErrRefused) || !strings.Contains(err.Error(), "try again") {
		t.Fatalf("want a retryable error, not a refusal: %v", err)
	}
}

// An aged event keeps its dedupid: it blocks a reopen of a closed sibling
// (the refusal names it), and a recurrence revives it under its own evid.
func TestAgedEventRevival(t *testing.T) {
	e := setup(t, 6, nil)
	ctx := context.Background()
	occ := sandbox.Occurrence{Device: "web01", Summary: "disk 85% full", Severity: sandbox.SeverityWarning}
	closed := e.sb.AddEvent(occ)
	if _, err := e.c.Close(ctx, closed); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	since := e.clk.Now()
	aged := e.sb.AddEvent(occ)
	e.clk.Advance(sandbox.DefaultAgeInterval + sandbox.DefaultSweepInterval)

	got, _ := listAll(t, e.c, source.ListOptions{ChangedSince: since})
	if len(got) != 1 || got[0].ID != aged || got[0].Status != source.StatusClosed || got[0].NativeStatus != "Aged" {
		t.Fatalf("the aged event is listed closed (Aged): %+v", got)
	}

	_, err := e.c.Reopen(ctx, closed)
	var refused *source.RefusedError
	if !errors.As(err, &refused) || refused.ConflictID != aged || !strings.Contains(refused.Reason, "Aged") {
		t.Fatalf("reopen with an aged sibling: want a refusal naming %s, got %v", aged, err)
	}

	e.clk.Advance(time.Minute)
	if id := e.sb.AddEvent(occ); id != aged {
		t.Fatalf("the recurrence should revive %s, got %s", aged, id)
	}
	open, _ := listAll(t, e.c, source.ListOptions{})
	if len(open) != 1 || open[0].ID != aged || open[0].Status != source.StatusNew || open[0].Count != 2 ||
		!open[0].StatusChanged.Equal(e.clk.Now().Truncate(time.Millisecond)) {
		t.Fatalf("revived aged event: %+v", open)
	}
}

// Zenoss's defaults as the adapter reads them back.
func TestDefaultsReadBack(t *testing.T) {
	e := setup(t, 6, nil)
	id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net", Summary: "link down", Severity: sandbox.SeverityError})
	got, err := e.c.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.DedupID != "web01|eth0|/Net|4|link down" || got.Message != "link down" {
		t.Errorf("dedupid %q message %q", got.DedupID, got.Message)
	}
	// A cleared event: closed, its audit line without an author.
	if e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net", Summary: "link up", Severity: sandbox.SeverityClear}) == "" {
		t.Fatal("the clear should match")
	}
	got, _ = e.c.Get(context.Background(), id)
	last := got.Log[len(got.Log)-1]
	if got.Status != source.StatusClosed || got.NativeStatus != "Cleared" || !last.Audit || last.Author != "" {
		t.Errorf("cleared: %s (%s), last log %+v", got.Status, got.NativeStatus, last)
	}
}
