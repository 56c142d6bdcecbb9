package reconcile

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/zenoss"
)

// A world is a PagerDuty sandbox and a Zenoss sandbox on one fake clock,
// with two services (Unix, Windows), a connector on each, routing by
// device class, and clients as the sync sees them. Humans act through the
// sandboxes' own controls (Zenoss) or REST calls as another user (PagerDuty).

const (
	syncEmail  = "pdbridge@example.com"
	humanEmail = "jane@example.com"
	zenossUser = "pdbridge"
	eventDelay = 2 * time.Second
)

type world struct {
	t        testing.TB
	clock    *clock.Fake
	pd       *pdsandbox.Server
	pdURL    string
	sync     *pagerduty.Client // as the sync
	human    *pagerduty.Client // as Jane
	zs       *zsandbox.Server
	src      *zenoss.Client
	unix     string // service ids
	windows  string
	unixConn string // connector ids
	winConn  string
	in       Input
	settings Settings
}

var fastRetry = httpretry.Policy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}

func newWorld(t testing.TB, edit func(*Input)) *world {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	pd := pdsandbox.New(pdsandbox.Options{Now: clk.Now, EventDelay: eventDelay, TimeZone: newYork,
		Users: []pdsandbox.User{{Name: "pdbridge sync", Email: syncEmail}, {Name: "Jane Doe", Email: humanEmail}}})
	pdSrv := httptest.NewServer(pd)
	t.Cleanup(pdSrv.Close)
	zs := zsandbox.New(zsandbox.Options{Username: zenossUser, Password: "secret", Now: clk.Now})
	zSrv := httptest.NewServer(zs)
	t.Cleanup(zSrv.Close)
	w := &world{t: t, clock: clk, pd: pd, pdURL: pdSrv.URL, zs: zs}
	client := func(email string) *pagerduty.Client {
		c, err := pagerduty.New(pagerduty.Config{Token: "t", UserEmail: email, APIURL: pdSrv.URL, EventsURL: pdSrv.URL, Retry: fastRetry})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	w.sync, w.human = client(syncEmail), client(humanEmail)
	if w.src, err = zenoss.New(zenoss.Config{URL: zSrv.URL, Username: zenossUser, Password: "secret", Retry: fastRetry}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []struct {
		name      string
		svc, conn *string
	}{{"Unix team", &w.unix, &w.unixConn}, {"Windows team", &w.windows, &w.winConn}} {
		svc, err := w.sync.CreateService(ctx, s.name, "", pd.DefaultEscalationPolicyID())
		if err != nil {
			t.Fatal(err)
		}
		in, err := w.sync.CreateEventsV2Integration(ctx, svc.ID, "Zenoss: "+s.name)
		if err != nil {
			t.Fatal(err)
		}
		*s.svc, *s.conn = svc.ID, svc.ID+"/"+in.ID
	}
	w.in = Input{Source: "zenoss_prod", Routing: &routing.Transform{
		Rules:    []routing.Rule{{Label: "windows", Condition: "event.group matches part 'Windows'", RouteTo: w.winConn}},
		CatchAll: &routing.CatchAll{RouteTo: w.unixConn},
	}}
	if edit != nil {
		edit(&w.in)
	}
	w.reparse()
	return w
}

func (w *world) reparse() {
	w.t.Helper()
	s, errs := Parse(w.in)
	if len(errs) > 0 {
		w.t.Fatalf("settings: %v", errs)
	}
	w.settings = s
}

// pass runs one reconciliation pass now (no follow-up: the test moves
// the clock itself) and fails the test on any failed operation.
func (w *world) pass() Report {
	w.t.Helper()
	rep := w.passAllowingFailures()
	for _, f := range rep.Result.Failed {
		w.t.Errorf("operation failed: %s (%s): %v", f.Op.Kind, f.Op.Reason, f.Err)
	}
	return rep
}

func (w *world) passAllowingFailures() Report {
	w.t.Helper()
	rep, err := Run(context.Background(), w.settings, w.src, w.sync, Options{Now: w.clock.Now, FollowUp: -1})
	if err != nil {
		w.t.Fatalf("run: %v", err)
	}
	return rep
}

// settle moves the clock past the Events API's delay and runs passes
// until one has nothing to do (at most n).
func (w *world) settle(n int) {
	w.t.Helper()
	var last Report
	for range n {
		w.clock.Advance(eventDelay + time.Second)
		last = w.pass()
		if last.Plan.Pending() == 0 {
			return
		}
	}
	w.t.Fatalf("still %d operations to do after %d passes:\n%s", last.Plan.Pending(), n, Describe(last.Plan.Ops))
}

// plan observes and plans without writing.
func (w *world) plan() Plan {
	w.t.Helper()
	rep, err := Run(context.Background(), w.settings, w.src, w.sync, Options{Now: w.clock.Now, DryRun: true})
	if err != nil {
		w.t.Fatalf("dry run: %v", err)
	}
	return rep.Plan
}

func (w *world) zevent(device, class, summary string, sev zsandbox.Severity) string {
	w.t.Helper()
	id := w.zs.AddEvent(zsandbox.Occurrence{Device: device, DeviceClass: class, Summary: summary, Severity: sev})
	if id == "" {
		w.t.Fatal("the Zenoss sandbox dropped the event")
	}
	return id
}

func (w *world) event(id string) source.Event {
	w.t.Helper()
	e, err := w.src.Get(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}

func (w *world) incident(id string) pagerduty.Incident {
	w.t.Helper()
	inc, err := w.sync.GetIncident(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return inc
}

// incidentOf is the incident the event's reference names, failing if none.
func (w *world) incidentOf(eventID string) pagerduty.Incident {
	w.t.Helper()
	e := w.event(eventID)
	if e.Ref.IncidentID == "" {
		w.t.Fatalf("event %s has no incident reference: %+v", eventID, e.Ref)
	}
	return w.incident(e.Ref.IncidentID)
}

func (w *world) incidents() []pagerduty.Incident {
	w.t.Helper()
	list, err := w.sync.ListIncidents(context.Background(), pagerduty.IncidentFilter{AllDates: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

// humanUpdate changes an incident's status as Jane.
func (w *world) humanUpdate(incidentID, status string) {
	w.t.Helper()
	if _, err := w.human.UpdateIncidents(context.Background(), []pagerduty.IncidentUpdate{{ID: incidentID, Status: status}}); err != nil {
		w.t.Fatal(err)
	}
}

// logLines are the event's log texts.
func (w *world) logLines(eventID string) []string {
	w.t.Helper()
	var out []string
	for _, l := range w.event(eventID).Log {
		out = append(out, l.Text)
	}
	return out
}

func countContaining(lines []string, sub string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

func (w *world) notes(incidentID string) []string {
	w.t.Helper()
	notes, err := w.sync.ListNotes(context.Background(), incidentID)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, n := range notes {
		out = append(out, n.Content)
	}
	return out
}

// disable turns a service off or on, as a person would in PagerDuty.
func (w *world) disable(serviceID string, off bool) {
	w.t.Helper()
	status := "active"
	if off {
		status = "disabled"
	}
	body := `{"service":{"type":"service","status":"` + status + `","escalation_policy":{"id":"` + w.pd.DefaultEscalationPolicyID() + `","type":"escalation_policy_reference"}}}`
	w.put("/services/"+serviceID, body)
}

// merge merges source into target, as Jane.
func (w *world) merge(target, source string) {
	w.t.Helper()
	w.put("/incidents/"+target+"/merge", `{"source_incidents":[{"id":"`+source+`","type":"incident_reference"}]}`)
}

// put sends a REST PUT as Jane, for what the client does not do; it must
// succeed.
func (w *world) put(path, body string) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodPut, w.pdURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Token token=t")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("From", humanEmail)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		w.t.Fatalf("PUT %s = %d %s", path, resp.StatusCode, b)
	}
}

// useZenoss points the sync at a fresh Zenoss sandbox of another version.
func (w *world) useZenoss(version int) {
	w.t.Helper()
	newYork, _ := time.LoadLocation("America/New_York")
	w.zs = zsandbox.New(zsandbox.Options{Username: zenossUser, Password: "secret", Now: w.clock.Now,
		Version: zsandbox.Version(version), Location: newYork})
	srv := httptest.NewServer(w.zs)
	w.t.Cleanup(srv.Close)
	c, err := zenoss.New(zenoss.Config{URL: srv.URL, Username: zenossUser, Password: "secret", Version: version, Location: newYork, Retry: fastRetry})
	if err != nil {
		w.t.Fatal(err)
	}
	w.src = c
}
