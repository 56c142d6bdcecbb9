package events

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

const key = "abcdefabcdefabcdefabcdefabcdef12"

func TestTriggerGetsKibanasDefaults(t *testing.T) {
	ev, errs := Alert{}.Event(key)
	if errs != nil {
		t.Fatal(errs)
	}
	want := pagerduty.AlertEvent{RoutingKey: key, EventAction: "trigger",
		Payload: &pagerduty.AlertPayload{Summary: "No summary provided.", Source: "pdbridge", Severity: "info"}}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("event %+v\nwant  %+v", ev, want)
	}
}

func TestTriggerCarriesEveryField(t *testing.T) {
	a := Alert{
		Action: "trigger", DedupKey: "srv01/disk", Summary: "Disk full on srv01", Source: "srv01", Severity: "critical",
		Timestamp: "2025-06-01T14:00:00+02:00", Class: "disk", Component: "/var", Group: "web",
		CustomDetails: map[string]any{"free_bytes": 0, "mounts": []any{"/var"}},
		Links:         []Link{{Href: "https://runbooks.example.com/disk", Text: "Runbook"}},
		Images:        []Image{{Src: "https://graphs.example.com/disk.png", Href: "https://graphs.example.com", Alt: "usage"}},
		Client:        "Grafana", ClientURL: "https://grafana.example.com/d/disk",
	}
	ev, errs := a.Event(key)
	if errs != nil {
		t.Fatal(errs)
	}
	want := pagerduty.AlertEvent{
		RoutingKey: key, EventAction: "trigger", DedupKey: "srv01/disk",
		Payload: &pagerduty.AlertPayload{Summary: "Disk full on srv01", Source: "srv01", Severity: "critical",
			Timestamp: "2025-06-01T12:00:00Z", Class: "disk", Component: "/var", Group: "web", CustomDetails: a.CustomDetails},
		Client: "Grafana", ClientURL: "https://grafana.example.com/d/disk",
		Links:  []pagerduty.Link{{Href: "https://runbooks.example.com/disk", Text: "Runbook"}},
		Images: []pagerduty.Image{{Src: "https://graphs.example.com/disk.png", Href: "https://graphs.example.com", Alt: "usage"}},
	}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("event %+v\nwant  %+v", ev, want)
	}
}

func TestAcknowledgeAndResolveCarryOnlyTheDedupKey(t *testing.T) {
	for _, action := range []string{"acknowledge", "resolve"} {
		a := Alert{Action: action, DedupKey: "srv01/disk", Summary: "ignored", Links: []Link{{Href: "https://x.example.com"}}}
		ev, errs := a.Event(key)
		if errs != nil {
			t.Fatal(errs)
		}
		if want := (pagerduty.AlertEvent{RoutingKey: key, EventAction: action, DedupKey: "srv01/disk"}); !reflect.DeepEqual(ev, want) {
			t.Errorf("%s event %+v, want %+v", action, ev, want)
		}
		var warned []string
		for _, e := range a.Check(AllKnown) {
			if !e.Warning {
				t.Errorf("%s: unexpected error %v", action, e)
			}
			warned = append(warned, e.Path())
		}
		if !reflect.DeepEqual(warned, []string{"summary", "links"}) {
			t.Errorf("%s warned about %v, want summary and links", action, warned)
		}
	}
}

func TestAlertRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // runes, not bytes, count
	cases := []struct {
		name    string
		alert   Alert
		path    string
		summary string
	}{
		{"unknown action", Alert{Action: "escalate"}, "event_action", "Invalid Event Action"},
		{"acknowledge without dedup key", Alert{Action: "acknowledge"}, "dedup_key", "Missing Dedup Key"},
		{"resolve with a blank dedup key", Alert{Action: "resolve", DedupKey: "  "}, "dedup_key", "Missing Dedup Key"},
		{"dedup key over 255", Alert{DedupKey: long(256)}, "dedup_key", "Dedup Key Too Long"},
		{"summary over 1024", Alert{Summary: long(1025)}, "summary", "Summary Too Long"},
		{"unknown severity", Alert{Severity: "fatal"}, "severity", "Invalid Severity"},
		{"severity in capitals", Alert{Severity: "Critical"}, "severity", "Invalid Severity"},
		{"timestamp not ISO 8601", Alert{Timestamp: "yesterday"}, "timestamp", "Invalid Timestamp"},
		{"timestamp without zone", Alert{Timestamp: "2025-06-01T12:00:00"}, "timestamp", "Invalid Timestamp"},
		{"client url not absolute", Alert{ClientURL: "grafana/d/1"}, "client_url", "Invalid Client URL"},
		{"custom details a string", Alert{CustomDetails: "disk full"}, "custom_details", "Invalid Custom Details"},
		{"custom details a list", Alert{CustomDetails: []any{1}}, "custom_details", "Invalid Custom Details"},
		{"link without href", Alert{Links: []Link{{Href: "https://ok.example.com"}, {Text: "Runbook"}}}, "links[1].href", "Missing Link"},
		{"image over http", Alert{Images: []Image{{Src: "http://graphs.example.com/a.png"}}}, "images[0].src", "Invalid Image Source"},
		{"image without src", Alert{Images: []Image{{Alt: "graph"}}}, "images[0].src", "Invalid Image Source"},
		{"event over 512 KB", Alert{CustomDetails: map[string]any{"log": strings.Repeat("x", MaxEventBytes)}}, "custom_details", "Event Too Large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := onlyErrors(c.alert.Check(AllKnown))
			if len(errs) != 1 || errs[0].Path() != c.path || errs[0].Summary != c.summary {
				t.Fatalf("got %+v, want one %q error on %s", errs, c.summary, c.path)
			}
			if _, got := c.alert.Event(key); len(got) != 1 {
				t.Errorf("Event sent an event that breaks a rule: %v", got)
			}
		})
	}
}

func TestLimitsAreInclusive(t *testing.T) {
	a := Alert{DedupKey: strings.Repeat("k", 255), Summary: strings.Repeat("s", 1024), Severity: "warning", Timestamp: "2025-06-01"}
	if errs := a.Check(AllKnown); len(errs) != 0 {
		t.Fatalf("limits refused values at the limit: %v", errs)
	}
	ev, _ := a.Event(key)
	if ev.Payload.Timestamp != "2025-06-01T00:00:00Z" {
		t.Errorf("date-only timestamp became %q", ev.Payload.Timestamp)
	}
}

func TestTimestampForms(t *testing.T) {
	for in, want := range map[string]string{
		"2025-06-01T12:00:00Z":          "2025-06-01T12:00:00Z",
		"2025-06-01T12:00:00.250Z":      "2025-06-01T12:00:00.25Z",
		"2025-06-01T12:00:00-05:00":     "2025-06-01T17:00:00Z",
		"2025-06-01T12:00:00+0200":      "2025-06-01T10:00:00Z",
		"2025-06-01T12:00+01:00":        "2025-06-01T11:00:00Z",
		"2025-06-01":                    "2025-06-01T00:00:00Z",
		"2025-06-01T12:00:00.123+00:00": "2025-06-01T12:00:00.123Z",
	} {
		got, err := normalizeTimestamp(in)
		if err != nil || got != want {
			t.Errorf("normalizeTimestamp(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := normalizeTimestamp("2025-06-01T12:00"); err == nil || !strings.Contains(err.Error(), "no time zone") {
		t.Errorf("a zoneless time was accepted or badly explained: %v", err)
	}
}

func TestUnknownFieldsAreCheckedLater(t *testing.T) {
	bad := Alert{Action: "acknowledge", Summary: strings.Repeat("s", 2000), Severity: "fatal", Timestamp: "never", CustomDetails: "x",
		Links: []Link{{}}, Images: []Image{{Src: "ftp://x"}}, ClientURL: "x"}
	if errs := bad.Check(func(string) bool { return false }); len(errs) != 0 {
		t.Errorf("checked fields that are not known yet: %v", errs)
	}
	// An unknown action cannot make dedup_key required yet.
	if errs := (Alert{Action: "resolve"}).Check(func(f string) bool { return f != "event_action" }); len(errs) != 0 {
		t.Errorf("dedup_key required before the action is known: %v", errs)
	}
}

func TestChangeEvent(t *testing.T) {
	c := Change{Summary: "Deployed web v42", Source: "github-actions", Timestamp: "2025-06-01T12:00:00+02:00",
		CustomDetails: map[string]any{"commit": "abc123"}, Links: []Link{{Href: "https://ci.example.com/run/1", Text: "Run"}},
		Images: []Image{{Src: "https://ci.example.com/badge.png"}}}
	ev, errs := c.Event(key)
	if errs != nil {
		t.Fatal(errs)
	}
	want := pagerduty.ChangeEvent{RoutingKey: key,
		Payload: pagerduty.ChangePayload{Summary: "Deployed web v42", Source: "github-actions", Timestamp: "2025-06-01T10:00:00Z", CustomDetails: c.CustomDetails},
		Links:   []pagerduty.Link{{Href: "https://ci.example.com/run/1", Text: "Run"}}, Images: []pagerduty.Image{{Src: "https://ci.example.com/badge.png"}}}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("event %+v\nwant  %+v", ev, want)
	}
}

func TestChangeRules(t *testing.T) {
	cases := []struct {
		name    string
		change  Change
		path    string
		summary string
	}{
		{"no summary", Change{}, "summary", "Missing Summary"},
		{"blank summary", Change{Summary: " "}, "summary", "Missing Summary"},
		{"summary over 1024", Change{Summary: strings.Repeat("s", 1025)}, "summary", "Summary Too Long"},
		{"bad timestamp", Change{Summary: "s", Timestamp: "1/6/2025"}, "timestamp", "Invalid Timestamp"},
		{"custom details not an object", Change{Summary: "s", CustomDetails: true}, "custom_details", "Invalid Custom Details"},
		{"link without href", Change{Summary: "s", Links: []Link{{Text: "t"}}}, "links[0].href", "Missing Link"},
		{"image over http", Change{Summary: "s", Images: []Image{{Src: "http://x.example.com/a.png"}}}, "images[0].src", "Invalid Image Source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := c.change.Check(AllKnown)
			if len(errs) != 1 || errs[0].Path() != c.path || errs[0].Summary != c.summary {
				t.Fatalf("got %+v, want one %q error on %s", errs, c.summary, c.path)
			}
			if _, got := c.change.Event(key); len(got) == 0 {
				t.Error("Event sent a change event that breaks a rule")
			}
		})
	}
}
