package alertmanager_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/alertmanager"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcehttp"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcetest"
)

// These tests run against the real Alertmanager that scripts/consoles.sh
// starts; every alert they fire has labels of its own.

var fastRetry = httpretry.Policy{MaxRetries: 2, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond}

func adapter(t *testing.T, d *sourcetest.Alertmanager, edit func(*alertmanager.Config)) *alertmanager.Client {
	t.Helper()
	cfg := alertmanager.Config{URL: d.URL, Username: d.User, Password: d.Password,
		Connection: sourcehttp.Connection{Retry: fastRetry, Timeout: 5 * time.Second}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := alertmanager.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func labels(instance string) map[string]string {
	return map[string]string{"alertname": "HTTPDown", "instance": instance, "job": "blackbox", "severity": "critical"}
}

func fire(t *testing.T, d *sourcetest.Alertmanager) (map[string]string, sourcetest.Problem) {
	l := labels(sourcetest.Unique("web"))
	d.Fire(t, l, map[string]string{"summary": "HTTP 503 on " + l["instance"], "description": "The probe failed.\nTwice."})
	return l, sourcetest.Problem{
		Is:      func(e source.Event) bool { return e.Device == l["instance"] },
		Recover: func(t *testing.T) { d.Resolve(t, l) },
		Recur: func(t *testing.T) {
			time.Sleep(5 * time.Millisecond) // a new start, to the millisecond
			d.Fire(t, l, map[string]string{"summary": "HTTP 503 again"})
		},
	}
}

func TestConformance(t *testing.T) {
	d := sourcetest.NewAlertmanager(t)
	sourcetest.Run(t, sourcetest.Fixture{
		Source: adapter(t, d, nil),
		Raise: func(t *testing.T) sourcetest.Problem {
			_, p := fire(t, d)
			return p
		},
		UnknownID: "0123456789abcdef@1700000000000",
	})
}

func only(t *testing.T, c *alertmanager.Client, p sourcetest.Problem) source.Event {
	t.Helper()
	page, err := c.List(context.Background(), source.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var hits []source.Event
	for _, e := range page.Events {
		if p.Is(e) {
			hits = append(hits, e)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("%d events for the alert: %+v", len(hits), hits)
	}
	return hits[0]
}

func TestAnAlertAsAnEvent(t *testing.T) {
	d := sourcetest.NewAlertmanager(t)
	c := adapter(t, d, nil)
	l, p := fire(t, d)
	e := only(t, c, p)
	if e.EventClass != "HTTPDown" || e.Component != "blackbox" || e.Severity != source.SeverityCritical || e.Summary != "HTTP 503 on "+l["instance"] ||
		e.Message != "The probe failed.\nTwice." || e.Details["labels.instance"] != l["instance"] || e.Details["annotations.summary"] == "" ||
		!strings.HasPrefix(e.URL, d.URL+"/#/alerts") || !strings.HasPrefix(e.ID, e.DedupID+"@") || e.Maintenance != "" {
		t.Errorf("event %+v", e)
	}
}

func TestAnAcknowledgementIsASilenceOfExactlyTheAlert(t *testing.T) {
	d := sourcetest.NewAlertmanager(t)
	c := adapter(t, d, nil)
	l, p := fire(t, d)
	e := only(t, c, p)
	ctx := source.WithIncident(context.Background(), source.IncidentRef{IncidentID: "PINC7", URL: "https://acme.pagerduty.com/incidents/PINC7"})
	if changed, err := c.Acknowledge(ctx, e.ID); err != nil || !changed {
		t.Fatalf("Acknowledge = %v, %v", changed, err)
	}
	silences := d.Silences(t, "instance", l["instance"])
	if len(silences) != 1 {
		t.Fatalf("%d silences of the alert, want 1: %+v", len(silences), silences)
	}
	s := silences[0]
	if s.CreatedBy != d.User || !strings.Contains(s.Comment, "PINC7") || !strings.Contains(s.Comment, "https://acme.pagerduty.com/incidents/PINC7") || s.Status.State != "active" {
		t.Errorf("silence %+v: want one by %s naming the incident and its link", s, d.User)
	}
	if len(s.Matchers) != len(l) {
		t.Errorf("silence matchers %+v, want exactly the alert's %d labels", s.Matchers, len(l))
	}
	for _, m := range s.Matchers {
		if m.IsRegex || (m.IsEqual != nil && !*m.IsEqual) || l[m.Name] != m.Value {
			t.Errorf("matcher %+v is not an exact match of the alert's label", m)
		}
	}
	if got := only(t, c, p); got.Status != source.StatusAcknowledged || got.AcknowledgedBy != d.User || got.Maintenance != "" {
		t.Errorf("after Acknowledge: %+v", got)
	}
	// Un-acknowledging expires it; a second time there is nothing to do.
	if changed, err := c.Reopen(ctx, e.ID); err != nil || !changed {
		t.Fatalf("Reopen = %v, %v", changed, err)
	}
	if s := d.Silences(t, "instance", l["instance"]); len(s) != 1 || s[0].Status.State != "expired" {
		t.Errorf("silences after Reopen: %+v", s)
	}
	got := only(t, c, p)
	if got.Status != source.StatusNew || !got.StatusChanged.After(e.StatusChanged) {
		t.Errorf("after Reopen: %s since %s (started %s)", got.Status, got.StatusChanged, e.StatusChanged)
	}
}

func TestOthersSilencesAreMaintenance(t *testing.T) {
	d := sourcetest.NewAlertmanager(t)
	c := adapter(t, d, nil)
	l, p := fire(t, d)
	id := d.Silence(t, map[string]string{"instance": l["instance"]}, "bob", "kernel upgrade", time.Hour)
	var e source.Event
	deadline := time.Now().Add(5 * time.Second)
	for e = only(t, c, p); e.Maintenance == "" && time.Now().Before(deadline); e = only(t, c, p) {
		time.Sleep(50 * time.Millisecond)
	}
	if e.Status != source.StatusNew || !strings.Contains(e.Maintenance, id) || !strings.Contains(e.Maintenance, "kernel upgrade") {
		t.Errorf("silenced by someone else: %s, maintenance %q; want new, with silence %s named", e.Status, e.Maintenance, id)
	}
}

// A silence the sync made for an earlier firing of the same labels mutes
// the next one too, but does not acknowledge it; acknowledging the next
// one replaces it.
func TestAnEarlierFiringsSilenceDoesNotAcknowledge(t *testing.T) {
	d := sourcetest.NewAlertmanager(t)
	c := adapter(t, d, nil)
	l, p := fire(t, d)
	first := only(t, c, p)
	if _, err := c.Acknowledge(context.Background(), first.ID); err != nil {
		t.Fatal(err)
	}
	p.Recover(t)
	p.Recur(t)
	second := only(t, c, p)
	if second.ID == first.ID || second.Status != source.StatusNew || second.Maintenance != "" {
		t.Fatalf("the next firing: %+v", second)
	}
	if _, err := c.Acknowledge(context.Background(), second.ID); err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, s := range d.Silences(t, "instance", l["instance"]) {
		if s.Status.State == "active" {
			active++
			if !strings.Contains(s.Comment, second.ID) {
				t.Errorf("active silence %+v is not the second firing's", s)
			}
		}
	}
	if active != 1 {
		t.Errorf("%d active silences, want the second firing's alone", active)
	}
}

// DELETE of a silence Alertmanager does not know is a 500 "silence not
// found": done, and not retried as a server error.
func TestExpiringAnUnknownSilenceIsDone(t *testing.T) {
	d := sourcetest.NewAlertmanager(t)
	retries := 0
	c := adapter(t, d, func(cfg *alertmanager.Config) {
		cfg.OnRetry = func(string, string, int, time.Duration) { retries++ }
	})
	if err := alertmanager.Expire(c, context.Background(), "6c1d7e3a-0000-4000-8000-000000000000"); err != nil {
		t.Errorf("expiring an unknown silence: %v", err)
	}
	if retries != 0 {
		t.Errorf("retried %d times", retries)
	}
}

func TestBadCredentialsAreErrAuthWithoutThePassword(t *testing.T) {
	d := sourcetest.NewAlertmanager(t)
	for name, edit := range map[string]func(*alertmanager.Config){
		"wrong password": func(cfg *alertmanager.Config) { cfg.Password = "wrong-secret-123" },
		"no credentials": func(cfg *alertmanager.Config) { cfg.Username, cfg.Password = "", "" },
	} {
		_, err := adapter(t, d, edit).List(context.Background(), source.ListOptions{})
		if !errors.Is(err, source.ErrAuth) || strings.Contains(err.Error(), "wrong-secret-123") || !strings.Contains(err.Error(), "401") {
			t.Errorf("%s: %v; want ErrAuth with the status and no password", name, err)
		}
	}
}

func TestADaemonThatIsGoneFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := alertmanager.New(alertmanager.Config{URL: "http://" + addr, Connection: sourcehttp.Connection{Retry: fastRetry, Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.List(context.Background(), source.ListOptions{}); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("List against a stopped daemon: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %s", d)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []alertmanager.Config{
		{URL: "am:9093"},
		{URL: "http://am:9093", Username: "u"},
		{URL: "http://am:9093", AckSilence: time.Second},
		{URL: "http://am:9093?x=1"},
	} {
		if _, err := alertmanager.New(cfg); err == nil {
			t.Errorf("New(%v) accepted", cfg)
		}
	}
	if s := (alertmanager.Config{URL: "https://a", Username: "u", Password: "hunter2"}).String(); strings.Contains(s, "hunter2") {
		t.Errorf("Config prints its password: %s", s)
	}
}
