package zenoss

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
	sandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

const (
	testUser     = "pdbridge"
	testPassword = "correct-horse-battery"
)

// t0 is a winter instant with milliseconds: 09:30:00.250 in New York.
var t0 = time.Date(2024, 1, 15, 14, 30, 0, 250e6, time.UTC)

func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fastRetry keeps retry tests quick.
var fastRetry = httpretry.Policy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRateLimitWait: time.Second}

type env struct {
	sb  *sandbox.Server
	hs  *httptest.Server
	clk *clock.Fake
	c   *Client
}

// setup starts a sandbox of the given version (in New York time) and a
// client for it; edit adjusts the client's configuration.
func setup(t *testing.T, v int, edit func(*Config)) env {
	t.Helper()
	return setupSandbox(t, v, nil, edit)
}

// setupSandbox is setup with sbEdit adjusting the sandbox's options.
func setupSandbox(t *testing.T, v int, sbEdit func(*sandbox.Options), edit func(*Config)) env {
	t.Helper()
	clk := clock.NewFake(t0)
	ny := newYork(t)
	opts := sandbox.Options{Username: testUser, Password: testPassword, APIKey: "cloud-key",
		Version: sandbox.Version(v), Location: ny, Now: clk.Now}
	if sbEdit != nil {
		sbEdit(&opts)
	}
	sb := sandbox.New(opts)
	hs := httptest.NewServer(sb)
	t.Cleanup(hs.Close)
	cfg := Config{URL: hs.URL, Username: testUser, Password: testPassword, Version: v, Location: ny, Retry: fastRetry}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return env{sb: sb, hs: hs, clk: clk, c: c}
}

func listAll(t *testing.T, c *Client, opts source.ListOptions) ([]source.Event, []source.Page) {
	t.Helper()
	var events []source.Event
	var pages []source.Page
	for range 100 {
		p, err := c.List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		events = append(events, p.Events...)
		if p.Next == "" {
			return events, pages
		}
		opts.Cursor = p.Next
	}
	t.Fatal("listing did not end")
	return nil, nil
}

func ids(events []source.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}

var versions = []int{4, 5, 6}

func TestListOpenAndRecentlyClosed(t *testing.T) {
	for _, v := range versions {
		t.Run(versionName(v), func(t *testing.T) {
			e := setup(t, v, nil)
			ctx := context.Background()
			old := e.sb.AddEvent(sandbox.Occurrence{Device: "db01", Summary: "closed long ago", Severity: sandbox.SeverityError})
			if _, err := e.c.Close(ctx, old); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(time.Hour)
			since := e.clk.Now()
			open := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "open", Severity: sandbox.SeverityCritical})
			acked := e.sb.AddEvent(sandbox.Occurrence{Device: "web02", Summary: "acked", Severity: sandbox.SeverityWarning})
			closed := e.sb.AddEvent(sandbox.Occurrence{Device: "web03", Summary: "closed recently", Severity: sandbox.SeverityError})
			aged := e.sb.AddEvent(sandbox.Occurrence{Device: "web04", Summary: "aged", Severity: sandbox.SeverityInfo})
			e.clk.Advance(time.Minute)
			if _, err := e.c.Acknowledge(ctx, acked); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.Close(ctx, closed); err != nil {
				t.Fatal(err)
			}
			if err := e.sb.SetStatus(aged, sandbox.StatusAged); err != nil {
				t.Fatal(err)
			}

			got, _ := listAll(t, e.c, source.ListOptions{})
			if want := []string{open, acked}; !slices.Equal(ids(got), want) {
				t.Fatalf("open events = %v, want %v", ids(got), want)
			}
			got, pages := listAll(t, e.c, source.ListOptions{ChangedSince: since})
			if want := []string{open, acked, closed, aged}; !slices.Equal(ids(got), want) {
				t.Fatalf("open + changed since = %v, want %v (the event closed before %v must not appear)", ids(got), want, since)
			}
			if pages[0].AsOf.IsZero() || pages[0].AsOf.Location() != time.UTC {
				t.Errorf("AsOf should be the console clock in UTC, got %v", pages[0].AsOf)
			}
			byID := map[string]source.Event{}
			for _, ev := range got {
				byID[ev.ID] = ev
			}
			if s := byID[acked]; s.Status != source.StatusAcknowledged || s.AcknowledgedBy != testUser {
				t.Errorf("acked: %s by %q", s.Status, s.AcknowledgedBy)
			}
			if s := byID[aged]; s.Status != source.StatusClosed || s.NativeStatus != "Aged" {
				t.Errorf("aged should be closed (Aged), got %s (%s)", s.Status, s.NativeStatus)
			}
			if s := byID[open]; s.Severity != source.SeverityCritical || s.Device != "web01" || s.Count != 1 || s.Summary != "open" {
				t.Errorf("open event fields: %+v", s)
			}
		})
	}
}

func versionName(v int) string { return "zenoss" + string(rune('0'+v)) }

// Each version's timestamps decode to the same UTC instants, to the
// precision the version reports.
func TestTimestampsByVersion(t *testing.T) {
	for _, tc := range []struct {
		v, minor int
	}{{4, 0}, {5, 0}, {5, 3}, {6, 0}} {
		v := tc.v
		t.Run(fmt.Sprintf("zenoss%d.%d", v, tc.minor), func(t *testing.T) {
			e := setupSandbox(t, v, func(o *sandbox.Options) { o.Minor = tc.minor }, nil)
			ctx := context.Background()
			id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})
			e.clk.Advance(90*time.Second + 333*time.Millisecond)
			if _, err := e.c.Acknowledge(ctx, id); err != nil {
				t.Fatal(err)
			}
			ackAt := e.clk.Now()
			if err := e.c.AppendLog(ctx, id, "hello"); err != nil {
				t.Fatal(err)
			}

			precision := e.c.Capabilities().TimePrecision
			logPrecision := time.Second // local strings up to 5.2
			if v == 6 || (v == 5 && tc.minor >= 3) {
				logPrecision = time.Millisecond
			}
			got, err := e.c.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, got, want time.Time, p time.Duration) {
				t.Helper()
				if want = want.Truncate(p); !got.Equal(want) || got.Location() != time.UTC {
					t.Errorf("%s = %v, want %v (UTC, precision %v)", name, got, want, p)
				}
			}
			check("FirstSeen", got.FirstSeen, t0, precision)
			check("StatusChanged", got.StatusChanged, ackAt, precision)
			if len(got.Log) != 2 {
				t.Fatalf("want the audit line and the note, got %+v", got.Log)
			}
			check("log time", got.Log[1].Time, ackAt, logPrecision)
			if !got.Log[0].Audit || got.Log[0].Text != "state changed to Acknowledged" || got.Log[1].Audit {
				t.Errorf("log should be oldest first with the audit line marked: %+v", got.Log)
			}
			listed, _ := listAll(t, e.c, source.ListOptions{})
			check("listed StatusChanged", listed[0].StatusChanged, ackAt, precision)
		})
	}
}

// Zenoss <= 5 reads a closed-since bound as local wall time, which is
// ambiguous in the hour a DST change repeats (the sandbox then takes the
// later instant, as mktime may). Events closed in that hour must be found.
func TestChangedSinceInRepeatedDSTHour(t *testing.T) {
	for _, v := range []int{4, 5} {
		t.Run(versionName(v), func(t *testing.T) {
			e := setup(t, v, nil)
			// 01:30 EDT on the night clocks go back; 01:30 comes again an hour later.
			e.clk.Advance(time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC).Sub(t0))
			id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})
			since := e.clk.Now()
			if _, err := e.c.Close(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			got, _ := listAll(t, e.c, source.ListOptions{ChangedSince: since})
			if !slices.Equal(ids(got), []string{id}) {
				t.Fatalf("event closed at %v missing from ChangedSince %v: %v", e.clk.Now(), since, ids(got))
			}
		})
	}
}

func TestListPaging(t *testing.T) {
	e := setup(t, 6, nil)
	var open, closed []string
	for i := range 7 {
		open = append(open, e.sb.AddEvent(sandbox.Occurrence{Device: "web", Summary: "open " + string(rune('a'+i)), Severity: sandbox.SeverityError}))
		e.clk.Advance(time.Second)
	}
	since := e.clk.Now()
	for i := range 4 {
		id := e.sb.AddEvent(sandbox.Occurrence{Device: "db", Summary: "closed " + string(rune('a'+i)), Severity: sandbox.SeverityError})
		if err := e.sb.SetStatus(id, sandbox.StatusClosed); err != nil {
			t.Fatal(err)
		}
		closed = append(closed, id)
		e.clk.Advance(time.Second)
	}

	got, pages := listAll(t, e.c, source.ListOptions{ChangedSince: since, PageSize: 3})
	if want := append(slices.Clone(open), closed...); !slices.Equal(ids(got), want) {
		t.Fatalf("paged listing = %v, want %v", ids(got), want)
	}
	var sizes []int
	for _, p := range pages {
		sizes = append(sizes, len(p.Events))
		if !p.AsOf.Equal(pages[0].AsOf) {
			t.Errorf("AsOf changed within a listing: %v then %v", pages[0].AsOf, p.AsOf)
		}
	}
	// A page that ends a phase is filled from the next: open 3, 3, then 1
	// open and 2 closed, then 2 closed and the (empty) archive.
	if want := []int{3, 3, 3, 2}; !slices.Equal(sizes, want) {
		t.Errorf("page sizes = %v, want %v", sizes, want)
	}
	if n := e.sb.Faults().Count("EventsRouter.query"); n != 6 {
		t.Errorf("the listing cost %d queries, want 6 (one more where a page spans two phases)", n)
	}

	// Events that arrive mid-listing land at the end, not in pages already read.
	p1, err := e.c.List(context.Background(), source.ListOptions{PageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	late := e.sb.AddEvent(sandbox.Occurrence{Device: "late", Summary: "late", Severity: sandbox.SeverityError})
	rest, _ := listAll(t, e.c, source.ListOptions{PageSize: 4, Cursor: p1.Next})
	if all := ids(append(p1.Events, rest...)); !slices.Equal(all, append(slices.Clone(open), late)) {
		t.Errorf("listing with a late arrival = %v", all)
	}

	if _, err := e.c.List(context.Background(), source.ListOptions{Cursor: "garbage"}); err == nil {
		t.Error("a bad cursor should fail")
	}
}

func TestListMinSeverityAndEmptyOpenPhase(t *testing.T) {
	e := setup(t, 6, nil)
	since := e.clk.Now()
	info := e.sb.AddEvent(sandbox.Occurrence{Device: "a", Summary: "info", Severity: sandbox.SeverityInfo})
	crit := e.sb.AddEvent(sandbox.Occurrence{Device: "b", Summary: "crit", Severity: sandbox.SeverityCritical})
	for _, id := range []string{info, crit} {
		if err := e.sb.SetStatus(id, sandbox.StatusClosed); err != nil {
			t.Fatal(err)
		}
	}

	// No open events: the first page already holds the closed ones.
	p, err := e.c.List(context.Background(), source.ListOptions{ChangedSince: since})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(p.Events), []string{info, crit}) || p.Next != "" {
		t.Fatalf("got %v next %q", ids(p.Events), p.Next)
	}
	p, err = e.c.List(context.Background(), source.ListOptions{ChangedSince: since, MinSeverity: source.SeverityError})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(p.Events), []string{crit}) {
		t.Fatalf("MinSeverity error: got %v", ids(p.Events))
	}
}

func TestGetNormalisesDetail(t *testing.T) {
	e := setup(t, 6, nil)
	id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net/Link", Summary: "link down",
		Message: "eth0 lost carrier", Severity: sandbox.SeverityError, DeviceClass: "/Server/Linux", EventKey: "link",
		Details: map[string]string{"runbook": "https://wiki/link?a=1&b=2"}})
	got, err := e.c.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := source.Event{ID: id, DedupID: "web01|eth0|/Net/Link|link|4", Device: "web01", Component: "eth0",
		EventClass: "/Net/Link", DeviceClass: "/Server/Linux", Severity: source.SeverityError, Summary: "link down",
		Message: "eth0 lost carrier", Status: source.StatusNew, NativeStatus: "New", Count: 1}
	if got.ID != want.ID || got.DedupID != want.DedupID || got.Device != want.Device || got.Component != want.Component ||
		got.EventClass != want.EventClass || got.DeviceClass != want.DeviceClass || got.Severity != want.Severity ||
		got.Summary != want.Summary || got.Message != want.Message || got.Status != want.Status ||
		got.NativeStatus != want.NativeStatus || got.Count != want.Count {
		t.Errorf("Get =\n%+v\nwant\n%+v", got, want)
	}
	// detail escapes values as HTML on 6.x; the event must not show it.
	if got.Details["runbook"] != "https://wiki/link?a=1&b=2" {
		t.Errorf("runbook detail = %q", got.Details["runbook"])
	}
	// The same event listed (query shape) normalises the same way.
	listed, _ := listAll(t, e.c, source.ListOptions{})
	l := listed[0]
	if l.Device != got.Device || l.Component != got.Component || l.EventClass != got.EventClass ||
		l.DeviceClass != got.DeviceClass || l.Details["runbook"] != got.Details["runbook"] || !l.StatusChanged.Equal(got.StatusChanged) {
		t.Errorf("List and Get disagree:\n%+v\n%+v", l, got)
	}
}

func TestTransitions(t *testing.T) {
	for _, v := range versions {
		t.Run(versionName(v), func(t *testing.T) {
			e := setup(t, v, nil)
			ctx := context.Background()
			id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "down", Severity: sandbox.SeverityCritical})
			step := func(name string, op func(context.Context, string) (bool, error), wantChanged bool, want sandbox.Status) {
				t.Helper()
				changed, err := op(ctx, id)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if changed != wantChanged {
					t.Errorf("%s: changed = %v, want %v", name, changed, wantChanged)
				}
				if ev, _ := e.sb.Event(id); ev.Status != want {
					t.Errorf("%s: status %s, want %s", name, ev.Status, want)
				}
			}
			step("acknowledge", e.c.Acknowledge, true, sandbox.StatusAcknowledged)
			step("acknowledge again", e.c.Acknowledge, false, sandbox.StatusAcknowledged)
			step("reopen (unacknowledge)", e.c.Reopen, true, sandbox.StatusNew)
			step("reopen again", e.c.Reopen, false, sandbox.StatusNew)
			step("close", e.c.Close, true, sandbox.StatusClosed)
			step("close again", e.c.Close, false, sandbox.StatusClosed)

			_, err := e.c.Acknowledge(ctx, id)
			var refused *source.RefusedError
			if !errors.As(err, &refused) || !errors.Is(err, source.ErrRefused) || refused.Status != source.StatusClosed || refused.Op != "acknowledge" {
				t.Fatalf("acknowledging a closed event: want a refusal, got %v", err)
			}

			step("reopen closed", e.c.Reopen, true, sandbox.StatusNew)
			step("close", e.c.Close, true, sandbox.StatusClosed)
			// The problem recurs: a new open event with the same dedupid.
			twin := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "down", Severity: sandbox.SeverityCritical})
			if twin == id {
				t.Fatal("a recurrence after close should get a new evid")
			}
			changed, err := e.c.Reopen(ctx, id)
			if !errors.As(err, &refused) || changed {
				t.Fatalf("reopen with an open twin: want a refusal, got changed=%v err=%v", changed, err)
			}
			if refused.ConflictID != twin || refused.Status != source.StatusClosed || !strings.Contains(err.Error(), twin) {
				t.Errorf("the refusal should name the open twin %s: %+v", twin, refused)
			}
		})
	}
}

func TestAppendLogRoundTrip(t *testing.T) {
	texts := []string{
		"[pdbridge:PLE1] Acknowledged by Alice via website",
		"a < b && c > d, \"quoted\" 'single'",
		"two\nlines",
		"&amp; stays literal",
		"ünïcødé ✓",
	}
	for _, v := range versions {
		t.Run(versionName(v), func(t *testing.T) {
			e := setup(t, v, nil)
			id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})
			for _, text := range texts {
				if err := e.c.AppendLog(context.Background(), id, text); err != nil {
					t.Fatal(err)
				}
				e.clk.Advance(time.Second)
			}
			got, err := e.c.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			var read []string
			for _, l := range got.Log {
				read = append(read, l.Text)
				if l.Author != testUser {
					t.Errorf("author %q, want %q", l.Author, testUser)
				}
			}
			if !slices.Equal(read, texts) {
				t.Errorf("log read back as\n%q\nwant\n%q", read, texts)
			}
			if v >= 5 {
				stored, _ := e.sb.Event(id)
				if m := stored.Log[len(stored.Log)-1].Message; !strings.HasPrefix(m, "<p>") {
					t.Errorf("the sandbox should have stored clean_html output, got %q", m)
				}
			}
		})
	}
	e := setup(t, 6, nil)
	if err := e.c.AppendLog(context.Background(), "x", "  "); err == nil {
		t.Error("empty text should be refused")
	}
}

func TestIncidentRef(t *testing.T) {
	e := setup(t, 6, nil)
	ctx := context.Background()
	id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})
	ref := source.IncidentRef{IncidentID: "Q1ABCD", URL: "https://acme.pagerduty.com/incidents/Q1ABCD?x=1&y=2",
		Created: time.Date(2024, 1, 15, 14, 31, 2, 123e6, time.FixedZone("CET", 3600)), ConnectorID: "PCONN1",
		DedupKey: "zenoss_prod/evid-1", State: "acknowledged",
		IncidentUpdated: time.Date(2024, 1, 15, 14, 40, 0, 0, time.UTC), EventChanged: time.Date(2024, 1, 15, 14, 39, 59, 5e8, time.UTC),
		EventStatus: "acknowledged"}
	if err := e.c.SetIncidentRef(ctx, id, ref); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	listed, _ := listAll(t, e.c, source.ListOptions{})
	for name, r := range map[string]source.IncidentRef{"Get": got.Ref, "List": listed[0].Ref} {
		want := ref
		want.Created = ref.Created.UTC()
		if r != want {
			t.Errorf("%s read back %+v, want %+v", name, r, ref)
		}
	}
	if want := e.hs.URL + "/zport/dmd/Events/viewDetail?evid=" + id; got.URL != want || listed[0].URL != want {
		t.Errorf("event URL = %q (Get), %q (List), want %q", got.URL, listed[0].URL, want)
	}
	for k := range got.Details {
		if strings.HasPrefix(k, "pdbridge.") {
			t.Errorf("the reference should not be repeated in Details: %q", k)
		}
	}
	stored, _ := e.sb.Event(id)
	if stored.Details[DetailIncidentID][0] != "Q1ABCD" {
		t.Errorf("stored details: %v", stored.Details)
	}

	if err := e.c.SetIncidentRef(ctx, id, source.IncidentRef{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.c.Get(ctx, id); !got.Ref.IsZero() {
		t.Errorf("a zero ref should clear it, got %+v", got.Ref)
	}
	if err := e.c.SetIncidentRef(ctx, "no-such-evid", ref); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown evid: want ErrNotFound, got %v", err)
	}

	e4 := setup(t, 4, nil)
	if e4.c.Capabilities().IncidentRef {
		t.Error("Zenoss 4 cannot store details")
	}
	if err := e4.c.SetIncidentRef(ctx, id, ref); !errors.Is(err, source.ErrUnsupported) {
		t.Errorf("Zenoss 4: want ErrUnsupported, got %v", err)
	}
	if n := e4.sb.Faults().Total(); n != 0 {
		t.Errorf("an unsupported call should not reach the server, made %d requests", n)
	}
}

func TestNotFound(t *testing.T) {
	e := setup(t, 6, nil)
	ctx := context.Background()
	const missing = "0242ac11-0002-8000-11ee-00000000ffff"
	_, err := e.c.Get(ctx, missing)
	checkNotFound(t, "Get", err)
	for name, op := range map[string]func(context.Context, string) (bool, error){"Acknowledge": e.c.Acknowledge, "Close": e.c.Close, "Reopen": e.c.Reopen} {
		changed, err := op(ctx, missing)
		if changed {
			t.Errorf("%s: changed", name)
		}
		checkNotFound(t, name, err)
	}
	checkNotFound(t, "AppendLog", e.c.AppendLog(ctx, missing, "x"))
}

func checkNotFound(t *testing.T, name string, err error) {
	t.Helper()
	if !errors.Is(err, source.ErrNotFound) {
		t.Errorf("%s: want ErrNotFound, got %v", name, err)
	}
}

func TestBadCredentials(t *testing.T) {
	for name, edit := range map[string]func(*Config){
		"wrong password": func(c *Config) { c.Password = "Tr0ub4dor&3" },
		"wrong api key":  func(c *Config) { c.Password, c.APIKey = "", "stolen-api-key" },
	} {
		t.Run(name, func(t *testing.T) {
			e := setup(t, 6, edit)
			_, err := e.c.List(context.Background(), source.ListOptions{})
			if !errors.Is(err, source.ErrAuth) || !strings.Contains(err.Error(), "login form") {
				t.Fatalf("want a clear auth error, got %v", err)
			}
			for _, secret := range []string{"Tr0ub4dor&3", "stolen-api-key", testPassword} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error echoes a credential: %v", err)
				}
			}
		})
	}
	e := setup(t, 6, func(c *Config) { c.Password, c.APIKey = "", "cloud-key" })
	if _, err := e.c.List(context.Background(), source.ListOptions{}); err != nil {
		t.Fatalf("the right api key should work: %v", err)
	}
}

func TestPermissionDenied(t *testing.T) {
	clk := clock.NewFake(t0)
	sb := sandbox.New(sandbox.Options{Username: testUser, Password: testPassword, ReadOnly: true, Now: clk.Now})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c, err := New(Config{URL: hs.URL, Username: testUser, Password: testPassword, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	id := sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})
	_, err = c.Acknowledge(context.Background(), id)
	// Zenoss >= 5 names the check function ("manage_events"), 4.x the
	// permission ("Manage Events").
	if !errors.Is(err, source.ErrAuth) || !strings.Contains(err.Error(), `requires "manage_events" permission`) {
		t.Fatalf("want a permission error, got %v", err)
	}
}

// The credentials go only to the configured origin: a redirect to another
// host must not carry them.
func TestCredentialsStayOnTheirHost(t *testing.T) {
	var leaked []string
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range []string{"Authorization", "Z-Api-Key"} {
			if v := r.Header.Get(h); v != "" {
				leaked = append(leaked, h)
			}
		}
		http.Error(w, "nope", http.StatusNotFound)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	for _, cfg := range []Config{
		{URL: redirector.URL, Username: testUser, Password: testPassword, Retry: httpretry.Policy{MaxRetries: -1}},
		{URL: redirector.URL, APIKey: "cloud-key", Retry: httpretry.Policy{MaxRetries: -1}},
	} {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(context.Background(), "x"); err == nil {
			t.Fatal("expected an error from the other host")
		}
	}
	if len(leaked) > 0 {
		t.Fatalf("credentials sent to another host: %v", leaked)
	}
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no url":              {Username: "u", Password: "p"},
		"relative url":        {URL: "zenoss.example.com", Username: "u", Password: "p"},
		"credentials in url":  {URL: "https://u:hunter22@zenoss.example.com", Username: "u", Password: "p"},
		"no credentials":      {URL: "https://zenoss.example.com"},
		"password and key":    {URL: "https://zenoss.example.com", Username: "u", Password: "hunter22", APIKey: "k"},
		"version 3":           {URL: "https://zenoss.example.com", Username: "u", Password: "p", Version: 3},
		"4.x without zone":    {URL: "https://zenoss.example.com", Username: "u", Password: "p", Version: 4},
		"page size too large": {URL: "https://zenoss.example.com", Username: "u", Password: "p", PageSize: 5000},
	} {
		_, err := New(cfg)
		if err == nil {
			t.Errorf("%s: want an error", name)
			continue
		}
		if strings.Contains(err.Error(), "hunter22") {
			t.Errorf("%s: the error echoes the password: %v", name, err)
		}
	}
	cfg := Config{URL: "https://tenant.zenoss.io/cz0/", APIKey: "key-hunter22"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "https://tenant.zenoss.io/cz0/zport/dmd/evconsole_router" {
		t.Errorf("endpoint = %q", c.endpoint)
	}
	// Printed into a log by mistake, neither shows a secret.
	basic := Config{URL: "https://z", Username: "u", Password: "pw-hunter22"}
	cb, err := New(basic)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{cfg, &cfg, basic, c, cb} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := fmt.Sprintf(format, v); strings.Contains(out, "hunter22") {
				t.Errorf("%s printed a secret: %s", format, out)
			}
		}
	}
}

func TestRetriesRateLimitThenSucceeds(t *testing.T) {
	var retries []int
	var mu sync.Mutex
	e := setup(t, 6, func(c *Config) {
		c.OnRetry = func(_, url string, status int, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			retries = append(retries, status)
			if strings.Contains(url, testPassword) {
				t.Errorf("retry URL carries the password: %s", url)
			}
		}
	})
	id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})
	e.sb.Faults().Set(fault.Faults{RoutePrefix: "EventsRouter.query", RateLimit: 2})
	got, _ := listAll(t, e.c, source.ListOptions{})
	if !slices.Equal(ids(got), []string{id}) {
		t.Fatalf("after the rate limit: %v", ids(got))
	}
	if n := e.sb.Faults().Count("EventsRouter.query"); n != 3 {
		t.Errorf("query attempts = %d, want 3 (two 429s, then success)", n)
	}
	if inj := e.sb.Faults().Injected()["429"]; inj != 2 {
		t.Errorf("429s injected = %d, want 2", inj)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(retries, []int{429, 429}) {
		t.Errorf("OnRetry saw %v", retries)
	}
}

func TestRetriesServerErrorsAndResets(t *testing.T) {
	e := setup(t, 6, nil)
	id := e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})
	e.sb.Faults().Set(fault.Faults{RoutePrefix: "EventsRouter.acknowledge", ServerErrors: 1, ServerErrorStatus: 503, Resets: 1})
	changed, err := e.c.Acknowledge(context.Background(), id)
	if err != nil || !changed {
		t.Fatalf("after a reset and a 503: changed=%v err=%v", changed, err)
	}
	if n := e.sb.Faults().Count("EventsRouter.acknowledge"); n != 3 {
		t.Errorf("acknowledge attempts = %d, want 3", n)
	}

	e.sb.Faults().Set(fault.Faults{RoutePrefix: "EventsRouter.detail", ServerErrors: 100})
	_, err = e.c.Get(context.Background(), id)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "EventsRouter.detail") {
		t.Fatalf("persistent 500s: want a clear HTTP error, got %v", err)
	}
	if n := e.sb.Faults().Count("EventsRouter.detail"); n != fastRetry.MaxRetries+1 {
		t.Errorf("detail attempts = %d, want %d", n, fastRetry.MaxRetries+1)
	}
}

func TestCancellation(t *testing.T) {
	e := setup(t, 6, nil)
	e.sb.AddEvent(sandbox.Occurrence{Device: "web01", Summary: "x", Severity: sandbox.SeverityError})

	// A slow server: the deadline ends the wait.
	e.sb.Faults().Set(fault.Faults{Latency: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	startAt := time.Now()
	_, err := e.c.List(ctx, source.ListOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	if d := time.Since(startAt); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}

	// A long rate-limit wait: cancelling ends the backoff.
	e.sb.Faults().Set(fault.Faults{RateLimit: 5, RateLimitReset: 30 * time.Second})
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	startAt = time.Now()
	_, err = e.c.Get(ctx, "x")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want Canceled, got %v", err)
	}
	if d := time.Since(startAt); d > 2*time.Second {
		t.Errorf("cancellation during backoff took %v", d)
	}
}

func TestCapabilities(t *testing.T) {
	e := setup(t, 6, nil)
	c := e.c.Capabilities()
	if e.c.Kind() != "zenoss" || !c.Acknowledge || !c.Unacknowledge || !c.Close || !c.Reopen || !c.AppendLog ||
		!c.IncidentRef || !c.ListClosed || !c.NewIDOnRecurrence || c.TimePrecision != time.Millisecond {
		t.Errorf("Zenoss 6 capabilities: %+v", c)
	}
	if p := setup(t, 4, nil).c.Capabilities().TimePrecision; p != time.Second {
		t.Errorf("Zenoss 4 reports whole seconds, got precision %v", p)
	}
}
