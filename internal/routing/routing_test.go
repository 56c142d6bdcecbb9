package routing

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

const (
	unix    = "PUNIX/PINT1"
	windows = "PWIN/PINT2"
	other   = "PDEF/PINT3"
)

// zenoss is the routing the docs and the terraform test example use.
func zenoss() Transform {
	return Transform{
		Rules: []Rule{
			{Label: "unix", RouteTo: unix, Condition: "event.custom_details.device_class matches part '/Server/Linux' or event.custom_details.device_class matches part '/Server/AIX'"},
			{Label: "windows", RouteTo: windows, Condition: "event.custom_details.device_class matches part '/Server/Windows' or event.custom_details.device_class matches part '/Server/WMI'"},
		},
		CatchAll: &CatchAll{RouteTo: other},
	}
}

func compile(t *testing.T, tr Transform) *Compiled {
	t.Helper()
	c, err := Compile(tr, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func device(class string) Event {
	return Event{Summary: "disk full", Severity: "error", Source: "host1", CustomDetails: map[string]any{"device_class": class}}
}

func TestZenossExampleRouting(t *testing.T) {
	c := compile(t, zenoss())
	for _, tc := range []struct {
		class, label, connector, service string
		rule                             int
	}{
		{"/Server/Linux/RHEL", "unix", unix, "PUNIX", 0},
		{"/Server/AIX", "unix", unix, "PUNIX", 0},
		{"/Server/Windows/WMI", "windows", windows, "PWIN", 1},
		{"/Server/WMI", "windows", windows, "PWIN", 1},
		{"/Network/Router/Cisco", CatchAllLabel, other, "PDEF", CatchAllIndex},
		{"", CatchAllLabel, other, "PDEF", CatchAllIndex},
	} {
		d, err := c.Route(device(tc.class))
		if err != nil {
			t.Fatal(err)
		}
		if d.Label != tc.label || d.Rule != tc.rule || d.ConnectorID != tc.connector || d.ServiceID != tc.service || !d.Routed() || d.Drop || d.Suppress {
			t.Errorf("%q: got %+v, want %s -> %s", tc.class, d, tc.label, tc.connector)
		}
	}
}

func TestFirstMatchingRuleWins(t *testing.T) {
	c := compile(t, Transform{Rules: []Rule{
		{Label: "first", Condition: "event.source matches part 'db'", RouteTo: unix},
		{Label: "second", Condition: "event.source matches 'db01'", RouteTo: windows},
	}})
	d, _ := c.Route(Event{Summary: "s", Severity: "info", Source: "db01"})
	if d.Label != "first" || d.ConnectorID != unix {
		t.Fatalf("got %+v", d)
	}
}

func TestNoMatchWithoutCatchAllIsNotRouted(t *testing.T) {
	c := compile(t, Transform{Rules: []Rule{{Label: "db", Condition: "event.source matches part 'db'", RouteTo: unix}}})
	d, err := c.Route(Event{Summary: "s", Severity: "info", Source: "web01"})
	if err != nil || d.Rule != NoMatch || d.Label != "" || d.Routed() {
		t.Fatalf("got %+v, %v", d, err)
	}
}

func TestOverridesRenderOverTheSourceEvent(t *testing.T) {
	c := compile(t, Transform{Rules: []Rule{{
		Label: "windows", Condition: "event.custom_details.device_class matches part 'Windows'", RouteTo: windows,
		Severity: "{{if eq .Severity \"info\"}}warning{{else}}critical{{end}}",
		Summary:  "[{{.Details.device_class}}] {{.Summary}} ({{.Severity}})",
		DedupKey: "{{.Device}}|{{.Component}}|{{.Severity}}",
		CustomDetails: map[string]string{
			"team":     "windows",
			"original": "{{.Summary}}",
		},
		Priority: "P2",
		Suppress: true,
	}}})
	ev := Event{DedupKey: "zen-1", Summary: "CPU high", Severity: "info", Source: "win01", Component: "cpu",
		CustomDetails: map[string]any{"device_class": "/Server/Windows", "evid": "zen-1"}}
	d, err := c.Route(ev)
	if err != nil {
		t.Fatal(err)
	}
	got := d.Event
	// Every template saw the event as it came, not another override's result.
	if got.Severity != "warning" || got.Summary != "[/Server/Windows] CPU high (info)" || got.DedupKey != "win01|cpu|info" {
		t.Fatalf("overrides: %+v", got)
	}
	want := map[string]any{"device_class": "/Server/Windows", "evid": "zen-1", "team": "windows", "original": "CPU high"}
	if !equalJSON(got.CustomDetails, want) {
		t.Fatalf("custom_details = %v, want %v", got.CustomDetails, want)
	}
	if !d.Suppress || d.Priority != "P2" || d.ConnectorID != windows {
		t.Fatalf("decision: %+v", d)
	}
	// The source event is untouched.
	if ev.CustomDetails["team"] != nil || ev.Summary != "CPU high" {
		t.Fatalf("source event changed: %+v", ev)
	}
}

func TestDrop(t *testing.T) {
	c := compile(t, Transform{
		Rules:    []Rule{{Label: "noise", Condition: "event.severity matches 'info'", Drop: true}},
		CatchAll: &CatchAll{Drop: true},
	})
	for _, sev := range []string{"info", "critical"} {
		d, err := c.Route(Event{Summary: "s", Severity: sev, Source: "h"})
		if err != nil || !d.Drop || d.Routed() || d.ConnectorID != "" {
			t.Fatalf("%s: got %+v, %v", sev, d, err)
		}
	}
}

func TestRouteReportsWhatCannotBeSent(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule Rule
		want string
	}{
		{"missing detail", Rule{Summary: "{{.Details.site}}"}, `rule\[0\] \("r"\) summary: .*map has no entry for key "site"`},
		{"missing detail in custom details", Rule{CustomDetails: map[string]string{"where": "{{.Details.site}}"}}, `rule\[0\] \("r"\) custom_details\["where"\]: .*map has no entry for key "site"`},
		{"severity out of range", Rule{Severity: "{{.Details.level}}"}, `rule\[0\] \("r"\) severity: rendered "high", which is not a PagerDuty severity`},
		{"empty summary", Rule{Summary: "{{if false}}x{{end}}"}, `summary: rendered an empty summary`},
		{"long summary", Rule{Summary: strings.Repeat("x", 1025)}, `summary: rendered 1025 characters; PagerDuty takes at most 1024`},
		{"long dedup key", Rule{DedupKey: strings.Repeat("{{.Source}}", 100)}, `dedup_key: rendered 300 characters; PagerDuty takes at most 255`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rule
			r.Label, r.Condition, r.RouteTo = "r", "event.source exists", unix
			c := compile(t, Transform{Rules: []Rule{r}})
			_, err := c.Route(Event{Summary: "s", Severity: "info", Source: "abc", CustomDetails: map[string]any{"level": "high"}})
			var re *RenderError
			if !errors.As(err, &re) || re.Rule != 0 || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Fatalf("error %v, want a RenderError matching %s", err, tc.want)
			}
		})
	}
	// An optional detail is read with index, which gives no error.
	c := compile(t, Transform{Rules: []Rule{{Label: "r", Condition: "event.source exists", RouteTo: unix, Summary: "{{.Summary}}{{with index .Details \"site\"}} at {{.}}{{end}}"}}})
	d, err := c.Route(Event{Summary: "s", Severity: "info", Source: "abc"})
	if err != nil || d.Event.Summary != "s" {
		t.Fatalf("optional detail: %+v, %v", d.Event, err)
	}
}

func TestConditionsSeeTheEventAsSent(t *testing.T) {
	c := compile(t, Transform{Rules: []Rule{
		{Label: "by dedup key", Condition: "raw_event.dedup_key matches part 'zen'", RouteTo: unix},
		{Label: "by payload", Condition: "raw_event.payload.component == 'disk' and event.component == 'disk'", RouteTo: windows},
		{Label: "by number", Condition: "event.custom_details.count > 3", RouteTo: other},
	}})
	for _, tc := range []struct {
		ev    Event
		label string
	}{
		{Event{DedupKey: "zen-42", Summary: "s", Severity: "info", Source: "h"}, "by dedup key"},
		{Event{Summary: "s", Severity: "info", Source: "h", Component: "disk"}, "by payload"},
		{Event{Summary: "s", Severity: "info", Source: "h", CustomDetails: map[string]any{"count": 4.0}}, "by number"},
		{Event{Summary: "s", Severity: "info", Source: "h", CustomDetails: map[string]any{"count": json.Number("4")}}, "by number"},
		{Event{Summary: "s", Severity: "info", Source: "h", CustomDetails: map[string]any{"count": "4"}}, ""}, // PCL does not compare strings with numbers
	} {
		d, _ := c.Route(tc.ev)
		if d.Label != tc.label {
			t.Errorf("%+v: matched %q, want %q", tc.ev, d.Label, tc.label)
		}
	}
}

func TestCheck(t *testing.T) {
	ok := Rule{Label: "ok", Condition: "event.source exists", RouteTo: unix}
	with := func(f func(r *Rule)) Transform {
		r := ok
		f(&r)
		return Transform{Rules: []Rule{ok, r}}
	}
	for _, tc := range []struct {
		name       string
		t          Transform
		publishing bool
		rule       int
		field, key string
		want       string // regexp over Summary + ": " + Detail
	}{
		{"empty transform", Transform{}, false, TransformWide, "", "", `Empty Routing Transform`},
		{"bad condition", with(func(r *Rule) { r.Label = "x"; r.Condition = "event.source matches" }), false, 1, "condition", "",
			`(?s)Invalid Condition: Rule "x": column 21: expected .*, found end of input\.\n\n  event.source matches\n {22}\^$`},
		{"double quotes", with(func(r *Rule) { r.Label = "x"; r.Condition = `event.source matches "db"` }), false, 1, "condition", "", `Invalid Condition: .*column 22`},
		{"empty label", with(func(r *Rule) { r.Label = " " }), false, 1, "label", "", `Missing Rule Label`},
		{"reserved label", with(func(r *Rule) { r.Label = "catch_all" }), false, 1, "label", "", `Reserved Rule Label`},
		{"duplicate label", with(func(r *Rule) {}), false, 1, "label", "", `Duplicate Rule Label: Rules 0 and 1 are both labelled "ok"`},
		{"route_to not a connector", with(func(r *Rule) { r.Label = "x"; r.RouteTo = "PSVC1" }), false, 1, "route_to", "", `Invalid Connector ID: .*"PSVC1" is not a connector id.*SERVICE_ID/INTEGRATION_ID`},
		{"no route", with(func(r *Rule) { r.Label = "x"; r.RouteTo = "" }), false, 1, "route_to", "", `Missing Route: Rule 1 needs route_to .* or drop = true`},
		{"route and drop", with(func(r *Rule) { r.Label = "x"; r.Drop = true }), false, 1, "drop", "", `Conflicting Route`},
		{"unknown template field", with(func(r *Rule) { r.Label = "x"; r.Summary = "{{.Devise}} down" }), false, 1, "summary", "", `Invalid Template: Rule "x": summary:1:2: the event has no field .Devise; the fields are .Summary .Severity`},
		{"field of a string", with(func(r *Rule) { r.Label = "x"; r.DedupKey = "{{.Source.name}}" }), false, 1, "dedup_key", "", `Invalid Template: .*\.Source is a string and has no field \.name`},
		{"template syntax", with(func(r *Rule) { r.Label = "x"; r.Summary = "{{.Summary" }), false, 1, "summary", "", `Invalid Template: Rule "x": summary:1: unclosed action`},
		{"unknown function", with(func(r *Rule) { r.Label = "x"; r.Summary = "{{upcase .Summary}}" }), false, 1, "summary", "", `function "upcase" not defined`},
		{"constant severity", with(func(r *Rule) { r.Label = "x"; r.Severity = "high" }), false, 1, "severity", "", `Invalid Severity: Rule "x" sets severity "high"; PagerDuty's severities are critical, error, warning, info`},
		{"custom details template", with(func(r *Rule) {
			r.Label = "x"
			r.CustomDetails = map[string]string{"ok": "{{.Class}}", "site": "{{.Site}}"}
		}), false, 1, "custom_details", "site", `Invalid Template: .*custom_details.site:1:2: the event has no field .Site`},
		{"custom details empty key", with(func(r *Rule) { r.Label = "x"; r.CustomDetails = map[string]string{"": "x"} }), false, 1, "custom_details", "", `Invalid Custom Details Key`},
		{"override on drop", with(func(r *Rule) { r.Label = "x"; r.RouteTo = ""; r.Drop = true; r.Summary = "x" }), false, 1, "summary", "", `Override On A Dropped Event`},
		{"catch_all without route", Transform{CatchAll: &CatchAll{}}, false, CatchAllIndex, "route_to", "", `Missing Route: The catch_all needs route_to`},
		{"catch_all bad route", Transform{CatchAll: &CatchAll{RouteTo: "a/b/c"}}, false, CatchAllIndex, "route_to", "", `Invalid Connector ID`},
		{"publishing severity", with(func(r *Rule) { r.Label = "x"; r.Severity = "critical" }), true, 1, "severity", "", `Not Expressible In PagerDuty's Router: Rule "x" sets severity, but an Event Orchestration router can only route, not change an event's severity`},
		{"publishing summary", with(func(r *Rule) { r.Label = "x"; r.Summary = "s" }), true, 1, "summary", "", `Not Expressible`},
		{"publishing dedup key", with(func(r *Rule) { r.Label = "x"; r.DedupKey = "k" }), true, 1, "dedup_key", "", `Not Expressible`},
		{"publishing custom details", with(func(r *Rule) { r.Label = "x"; r.CustomDetails = map[string]string{"a": "b"} }), true, 1, "custom_details", "", `Not Expressible`},
		{"publishing priority", with(func(r *Rule) { r.Label = "x"; r.Priority = "P1" }), true, 1, "priority", "", `not set an incident priority`},
		{"publishing suppress", with(func(r *Rule) { r.Label = "x"; r.Suppress = true }), true, 1, "suppress", "", `not suppress an event`},
		{"publishing drop", with(func(r *Rule) { r.Label = "x"; r.RouteTo = ""; r.Drop = true }), true, 1, "drop", "", `not drop an event`},
		{"publishing catch_all drop", Transform{CatchAll: &CatchAll{Drop: true}}, true, CatchAllIndex, "drop", "", `Not Expressible.*catch_all drops events`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := Check(tc.t, tc.publishing, AllKnown)
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", errs)
			}
			e := errs[0]
			if e.Rule != tc.rule || e.Field != tc.field || e.Key != tc.key {
				t.Fatalf("error at rule %d field %q key %q, want %d %q %q: %v", e.Rule, e.Field, e.Key, tc.rule, tc.field, tc.key, e)
			}
			if text := e.Summary + ": " + e.Detail; !regexp.MustCompile(tc.want).MatchString(text) {
				t.Fatalf("error %q does not match %s", text, tc.want)
			}
		})
	}
	// The same transforms without the faults pass.
	if errs := Check(zenoss(), true, AllKnown); len(errs) > 0 {
		t.Fatalf("zenoss example: %v", errs)
	}
}

func TestCheckSkipsUnknownValues(t *testing.T) {
	tr := Transform{Rules: []Rule{{Label: "r", Condition: "event.source matches", RouteTo: ""}}}
	unknown := func(rule int, field string) bool { return field != "route_to" && field != "condition" }
	if errs := Check(tr, false, unknown); len(errs) > 0 {
		t.Fatalf("unknown route_to and condition were checked: %v", errs)
	}
	if errs := Check(tr, false, AllKnown); len(errs) != 2 {
		t.Fatalf("known: want 2 errors, got %v", errs)
	}
}

func TestCompileRefusesWhatCheckRefuses(t *testing.T) {
	_, err := Compile(Transform{Rules: []Rule{{Label: "x", Condition: "(", RouteTo: unix}}}, false)
	if err == nil || !strings.HasPrefix(err.Error(), "rule[0].condition: Invalid Condition: Rule \"x\": column 2:") {
		t.Fatalf("got %v", err)
	}
}

func TestEventFromJSON(t *testing.T) {
	payload := `{"summary":"s","severity":"info","source":"h","class":"c","custom_details":{"count":4,"device_class":"/Server/Linux"}}`
	for _, doc := range []string{payload, `{"dedup_key":"k1","event_action":"trigger","payload":` + payload + `}`} {
		e, err := EventFromJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if e.Summary != "s" || e.Class != "c" || e.CustomDetails["device_class"] != "/Server/Linux" || e.CustomDetails["count"] != json.Number("4") {
			t.Fatalf("%s: %+v", doc, e)
		}
		if strings.Contains(doc, "dedup_key") != (e.DedupKey == "k1") {
			t.Fatalf("%s: dedup key %q", doc, e.DedupKey)
		}
	}
	for doc, want := range map[string]string{
		`[1]`:                           "not a JSON object",
		`{"summary": 1}`:                `"summary" is not a string`,
		`{"payload": "x"}`:              `"payload" is not an object`,
		`{"custom_details": [1]}`:       `"custom_details" is not an object`,
		`{"summary": "a"} {"b": 1}`:     "trailing data",
		`{"payload": {"source": true}}`: `"source" is not a string`,
	} {
		if _, err := EventFromJSON([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", doc, err, want)
		}
	}
}

func TestPayloadLeavesOutEmptyOptionalFields(t *testing.T) {
	p := Event{Summary: "s", Severity: "info", Source: "h", Group: "g"}.Payload()
	if !equalJSON(p, map[string]any{"summary": "s", "severity": "info", "source": "h", "group": "g"}) {
		t.Fatalf("payload %v", p)
	}
}

func TestNewTransformID(t *testing.T) {
	a, b := NewTransformID(), NewTransformID()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(a) || a == b || !ValidTransformID(a) {
		t.Fatalf("ids %q %q", a, b)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestSplitConnectorID(t *testing.T) {
	if s, i, err := SplitConnectorID("PSVC1/PINT2"); err != nil || s != "PSVC1" || i != "PINT2" {
		t.Fatalf("got %q %q %v", s, i, err)
	}
	for _, bad := range []string{"", "PSVC1", "PSVC1/", "/PINT2", "PSVC1/PINT2/x", " PSVC1/PINT2", "PSVC1.PINT2"} {
		if _, _, err := SplitConnectorID(bad); err == nil || !strings.Contains(err.Error(), "SERVICE_ID/INTEGRATION_ID") {
			t.Errorf("SplitConnectorID(%q) = %v, want an error naming the form", bad, err)
		}
	}
}
