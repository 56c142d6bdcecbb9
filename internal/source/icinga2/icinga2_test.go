package icinga2_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/icinga2"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcehttp"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcetest"
)

// These tests run against the real Icinga 2 that scripts/consoles.sh
// starts; every object they make has a name of its own.

var fastRetry = httpretry.Policy{MaxRetries: 2, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond}

func adapter(t *testing.T, d *sourcetest.Icinga2, edit func(*icinga2.Config)) *icinga2.Client {
	t.Helper()
	cfg := icinga2.Config{URL: d.URL, Username: d.User, Password: d.Password, StickyAcknowledgement: true,
		Connection: sourcehttp.Connection{TLS: d.TLS(), Retry: fastRetry, Timeout: 5 * time.Second}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := icinga2.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// problem raises a CRITICAL on a new service (passive unless active) and
// returns its full name.
func problem(t *testing.T, d *sourcetest.Icinga2, active bool) sourcetest.Problem {
	host := sourcetest.Unique("conformance")
	d.Host(t, host, false)
	name := d.Service(t, host, "http", active)
	d.Result(t, name, 2, "HTTP CRITICAL - 503\nsecond line")
	return sourcetest.Problem{
		Is:      func(e source.Event) bool { return e.DedupID == name },
		Recover: func(t *testing.T) { d.Result(t, name, 0, "HTTP OK") },
		Recur:   func(t *testing.T) { d.Result(t, name, 2, "HTTP CRITICAL - 503 again") },
		Note:    func(t *testing.T, text string) { d.Comment(t, name, "alice", text) },
	}
}

func TestConformance(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	sourcetest.Run(t, sourcetest.Fixture{
		Source:          adapter(t, d, nil),
		Raise:           func(t *testing.T) sourcetest.Problem { return problem(t, d, false) },
		RaiseUnclosable: func(t *testing.T) sourcetest.Problem { return problem(t, d, true) },
		UnknownID:       "no-such-host-" + sourcetest.Unique("x") + "!http@1700000000.000000",
	})
}

// listed returns the events of one object, all pages.
func listed(t *testing.T, c *icinga2.Client, name string) []source.Event {
	t.Helper()
	var out []source.Event
	opts := source.ListOptions{}
	for range 100 {
		page, err := c.List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if e.DedupID == name {
				out = append(out, e)
			}
		}
		if page.Next == "" {
			return out
		}
		opts.Cursor = page.Next
	}
	t.Fatal("listing does not end")
	return nil
}

func TestOnlyHardNonOKStatesAreProblems(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	c := adapter(t, d, nil)
	host := sourcetest.Unique("soft")
	d.Host(t, host, false)
	// Never checked: a service is UNKNOWN (3) and a host DOWN, both SOFT.
	never := d.Service(t, host, "never", false)
	if got := listed(t, c, never); len(got) != 0 {
		t.Errorf("a never-checked service is listed: %+v", got)
	}
	if got := listed(t, c, host); len(got) != 0 {
		t.Errorf("a never-checked host is listed: %+v", got)
	}
	// With the default max_check_attempts (3), a first CRITICAL is SOFT.
	name := host + "!soft"
	d.Call(t, "PUT", "/v1/objects/services/"+strings.ReplaceAll(name, "!", "%21"),
		map[string]any{"attrs": map[string]any{"check_command": "passive", "enable_active_checks": false}})
	d.Result(t, name, 2, "CRITICAL once")
	if got := listed(t, c, name); len(got) != 0 {
		t.Errorf("a SOFT CRITICAL is listed: %+v", got)
	}
	d.Result(t, name, 2, "CRITICAL twice")
	d.Result(t, name, 2, "CRITICAL three times")
	got := listed(t, c, name)
	if len(got) != 1 || got[0].Severity != source.SeverityCritical || got[0].Summary != "CRITICAL three times" {
		t.Fatalf("a HARD CRITICAL: %+v", got)
	}
	// A change of severity within the problem is the same event.
	d.Result(t, name, 1, "WARNING now")
	again := listed(t, c, name)
	if len(again) != 1 || again[0].ID != got[0].ID || again[0].Severity != source.SeverityWarning {
		t.Errorf("after CRITICAL to WARNING: %+v, want event %s as a warning", again, got[0].ID)
	}
}

func TestAHostProblemIsAnEvent(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	c := adapter(t, d, nil)
	host := sourcetest.Unique("down")
	d.Host(t, host, false)
	d.Result(t, host, 1, "PING CRITICAL - Packet loss = 100%")
	got := listed(t, c, host)
	if len(got) != 1 {
		t.Fatalf("host problem: %+v", got)
	}
	e := got[0]
	if e.Device != host || e.Component != "" || e.Severity != source.SeverityCritical || e.NativeStatus != "DOWN" || e.EventClass != "dummy" {
		t.Errorf("host event %+v", e)
	}
	if changed, err := c.Acknowledge(context.Background(), e.ID); err != nil || !changed {
		t.Fatalf("acknowledge the host problem: %v %v", changed, err)
	}
	if changed, err := c.Close(context.Background(), e.ID); err != nil || !changed {
		t.Fatalf("close the passive host: %v %v", changed, err)
	}
	if attrs := d.Attrs(t, host); attrs["state"] != 0.0 || attrs["acknowledgement"] != 0.0 {
		t.Errorf("after Close the host is state %v, acknowledgement %v; want UP and the acknowledgement cleared", attrs["state"], attrs["acknowledgement"])
	}
}

func TestAcknowledgementsAreTheSyncUsersAndStickyAsConfigured(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	ctx := source.WithIncident(context.Background(), source.IncidentRef{IncidentID: "PINC42", URL: "https://acme.pagerduty.com/incidents/PINC42"})
	for _, sticky := range []bool{true, false} {
		c := adapter(t, d, func(cfg *icinga2.Config) { cfg.StickyAcknowledgement = sticky })
		p := problem(t, d, false)
		e := findOne(t, c, p)
		if _, err := c.Acknowledge(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		var ack *sourcetest.IcingaComment
		name := e.DedupID
		for _, cm := range d.Comments(t, name) {
			if cm.EntryType == 4 {
				ack = &cm
			}
		}
		if ack == nil || ack.Author != d.User || !strings.Contains(ack.Text, "PINC42") || !strings.Contains(ack.Text, "https://acme.pagerduty.com/incidents/PINC42") {
			t.Errorf("acknowledgement comment %+v: want one by %s naming the incident and its link", ack, d.User)
		}
		if got, _ := c.Get(ctx, e.ID); got.AcknowledgedBy != d.User {
			t.Errorf("AcknowledgedBy %q", got.AcknowledgedBy)
		}
		// Icinga clears a non-sticky acknowledgement on any state change.
		d.Result(t, name, 1, "WARNING now")
		got, err := c.Get(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]source.Status{true: source.StatusAcknowledged, false: source.StatusNew}[sticky]
		if got.Status != want {
			t.Errorf("sticky=%v: after CRITICAL to WARNING the event is %s, want %s", sticky, got.Status, want)
		}
	}
}

func findOne(t *testing.T, c *icinga2.Client, p sourcetest.Problem) source.Event {
	t.Helper()
	page, err := c.List(context.Background(), source.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Events {
		if p.Is(e) {
			return e
		}
	}
	t.Fatal("problem not listed")
	return source.Event{}
}

func TestADowntimeIsMaintenance(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	c := adapter(t, d, nil)
	p := problem(t, d, false)
	e := findOne(t, c, p)
	if e.Maintenance != "" {
		t.Fatalf("maintenance %q before any downtime", e.Maintenance)
	}
	// A downtime of the host covers its services.
	dt := d.Downtime(t, e.Device, "bob", "kernel upgrade", time.Hour)
	e = findOne(t, c, p)
	if !strings.Contains(e.Maintenance, dt) || !strings.Contains(e.Maintenance, "kernel upgrade") {
		t.Errorf("maintenance %q, want the host's downtime %s named", e.Maintenance, dt)
	}
	if got, _ := c.Get(context.Background(), e.ID); got.Maintenance != e.Maintenance {
		t.Errorf("Get says maintenance %q, List %q", got.Maintenance, e.Maintenance)
	}
}

func TestTheReferenceOfAnEarlierProblemIsNotTheNextOnes(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	c := adapter(t, d, nil)
	p := problem(t, d, false)
	first := findOne(t, c, p)
	ctx := context.Background()
	if err := c.SetIncidentRef(ctx, first.ID, source.IncidentRef{IncidentID: "POLD", State: "triggered"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AppendLog(ctx, first.ID, "a line about the first problem"); err != nil {
		t.Fatal(err)
	}
	p.Recover(t)
	p.Recur(t)
	second := findOne(t, c, p)
	if second.ID == first.ID || !second.Ref.IsZero() {
		t.Fatalf("the recurrence %s (first %s) reads reference %+v", second.ID, first.ID, second.Ref)
	}
	// The variable survives the recovery in Icinga, but is the first problem's.
	vars, _ := d.Attrs(t, first.DedupID)["vars"].(map[string]any)
	if _, ok := vars["pdbridge"]; !ok {
		t.Errorf("vars %v: the reference was expected to survive recovery", vars)
	}
	got, err := c.Get(ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range got.Log {
		if strings.Contains(l.Text, "first problem") {
			t.Errorf("the second problem's log holds the first one's line: %+v", got.Log)
		}
	}
	// The first problem is over: gone for Get and for writes, closed for Close.
	if _, err := c.Get(ctx, first.ID); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Get of the recovered problem: %v", err)
	}
	if _, err := c.Acknowledge(ctx, first.ID); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Acknowledge of the recovered problem: %v", err)
	}
	if changed, err := c.Close(ctx, first.ID); changed || err != nil {
		t.Errorf("Close of the recovered problem = %v, %v; want unchanged", changed, err)
	}
	// Clearing writes the whole vars back without it, keeping the others.
	d.Call(t, "POST", "/v1/objects/services/"+strings.ReplaceAll(first.DedupID, "!", "%21"), map[string]any{"attrs": map[string]any{"vars.team": "web"}})
	if err := c.SetIncidentRef(ctx, second.ID, source.IncidentRef{IncidentID: "PNEW"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetIncidentRef(ctx, second.ID, source.IncidentRef{}); err != nil {
		t.Fatal(err)
	}
	vars, _ = d.Attrs(t, first.DedupID)["vars"].(map[string]any)
	if _, ok := vars["pdbridge"]; ok || vars["team"] != "web" {
		t.Errorf("vars after clearing the reference: %v", vars)
	}
	if e := findOne(t, c, p); e.Details["vars.team"] != "web" {
		t.Errorf("custom variables as details: %v", e.Details)
	}
}

func TestBadCredentialsAreErrAuthWithoutThePassword(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	c := adapter(t, d, func(cfg *icinga2.Config) { cfg.Password = "wrong-secret-123" })
	_, err := c.List(context.Background(), source.ListOptions{})
	if !errors.Is(err, source.ErrAuth) {
		t.Fatalf("List with a wrong password: %v, want ErrAuth", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-123") || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q: want the status and no password", err)
	}
}

func TestAnUntrustedCertificateFailsWithoutRetries(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	retries := 0
	c := adapter(t, d, func(cfg *icinga2.Config) {
		cfg.TLS = &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12} // trusts nothing
		cfg.OnRetry = func(string, string, int, time.Duration) { retries++ }
	})
	_, err := c.List(context.Background(), source.ListOptions{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("List against a certificate the CA bundle does not vouch for: %v", err)
	}
	if retries != 0 {
		t.Errorf("a certificate error was retried %d times", retries)
	}
	// The system roots do not know the daemon's own CA either.
	sys := adapter(t, d, func(cfg *icinga2.Config) { cfg.TLS = nil })
	if _, err := sys.List(context.Background(), source.ListOptions{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("List with the system roots: %v", err)
	}
}

// A daemon that stops answering: every request is bounded and retried
// within the policy, then fails with a clear error.
func TestADaemonThatIsGoneFailsFast(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	c := adapter(t, d, func(cfg *icinga2.Config) { cfg.URL = "https://" + addr })
	start := time.Now()
	_, err = c.List(context.Background(), source.ListOptions{})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("List against a stopped daemon: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %s", d)
	}
}

// A 404 that is not Icinga's "No objects found." (a wrong base path) is
// no missing event: the sync would take every event for gone.
func TestAWrongBasePathIsNotAMissingEvent(t *testing.T) {
	d := sourcetest.NewIcinga2(t)
	c := adapter(t, d, func(cfg *icinga2.Config) { cfg.URL = d.URL + "/icingaweb2/api" })
	_, err := c.Get(context.Background(), "web01!http@0.000000")
	if err == nil || errors.Is(err, source.ErrNotFound) {
		t.Errorf("Get through a wrong base path: %v; want an error that is not ErrNotFound", err)
	}
	if _, err := c.List(context.Background(), source.ListOptions{}); err == nil || errors.Is(err, source.ErrNotFound) {
		t.Errorf("List through a wrong base path: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []icinga2.Config{
		{URL: "icinga:5665", Username: "u", Password: "p"},
		{URL: "https://u:p@icinga:5665", Username: "u", Password: "p"},
		{URL: "https://icinga:5665", Username: "u"},
		{URL: "https://icinga:5665", Username: "u", Password: "p", PageSize: -1},
	} {
		if _, err := icinga2.New(cfg); err == nil {
			t.Errorf("New(%v) accepted", cfg)
		}
	}
	if s := (icinga2.Config{URL: "https://i", Username: "u", Password: "hunter2"}).String(); strings.Contains(s, "hunter2") {
		t.Errorf("Config prints its password: %s", s)
	}
}
