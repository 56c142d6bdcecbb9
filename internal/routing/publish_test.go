package routing

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pcl"
)

const (
	idA = "aaaaaaaa-0000-4000-8000-000000000000"
	idB = "bbbbbbbb-0000-4000-8000-000000000000"
)

func TestOwnedLabel(t *testing.T) {
	l := OwnedLabel(100, idA, "unix\nand aix")
	if l != "[pdbridge:100:"+idA+"] unix\nand aix" {
		t.Fatalf("label %q", l)
	}
	p, id, label, ok := ParseOwnedLabel(l)
	if !ok || p != 100 || id != idA || label != "unix\nand aix" {
		t.Fatalf("parsed %d %q %q %v", p, id, label, ok)
	}
	for _, foreign := range []string{"", "db events", "[pdbridge] x", "[pdbridge:x:id] y", "[pdbridge:100:] y", " [pdbridge:1:a] y", "[pdbridge:12345:a] y"} {
		if _, _, _, ok := ParseOwnedLabel(foreign); ok {
			t.Errorf("%q parsed as owned", foreign)
		}
	}
}

func TestPublish(t *testing.T) {
	rules, err := Publish(zenoss(), idA, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := []pagerduty.RouterRule{
		{Label: "[pdbridge:7:" + idA + "] unix", Conditions: []string{zenoss().Rules[0].Condition}, RouteTo: "PUNIX"},
		{Label: "[pdbridge:7:" + idA + "] windows", Conditions: []string{zenoss().Rules[1].Condition}, RouteTo: "PWIN"},
		{Label: "[pdbridge:7:" + idA + "] catch_all", RouteTo: "PDEF"},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Fatalf("published\n%+v\nwant\n%+v", rules, want)
	}
	bad := zenoss()
	bad.Rules[1].Severity = "critical"
	if _, err := Publish(bad, idA, 7); err == nil || !strings.Contains(err.Error(), "rule[1].severity") {
		t.Fatalf("publishing an override: %v", err)
	}
}

// decode turns router JSON into rules as the client reads them.
func decode(t *testing.T, js string) []pagerduty.RouterRule {
	t.Helper()
	var rules []pagerduty.RouterRule
	if err := json.Unmarshal([]byte(js), &rules); err != nil {
		t.Fatal(err)
	}
	return rules
}

func labels(rules []pagerduty.RouterRule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Label)
	}
	return out
}

func TestPlaceComposesBlocksAndKeepsForeignRules(t *testing.T) {
	current := decode(t, `[
	  {"id":"dyn","label":"dynamic","actions":{"dynamic_route_to":{"source":"event.custom_details.svc","regex":".*","lookup_by":"service_name"}}},
	  {"id":"f1","label":"hand made","conditions":[{"expression":"trigger_count over 1 minute > 3"}],"actions":{"route_to":"PX","future_action":{"a":1}},"future_key":true},
	  {"id":"b1","label":"[pdbridge:200:`+idB+`] b-one","conditions":[{"expression":"event.source exists"}],"actions":{"route_to":"PB"}},
	  {"id":"f2","label":"another","conditions":[],"actions":{"route_to":"PY"},"disabled":true}
	]`)
	a, _ := Publish(zenoss(), idA, 100)
	got := Place(current, idA, 100, a)
	want := []string{"dynamic",
		"[pdbridge:100:" + idA + "] unix", "[pdbridge:100:" + idA + "] windows", "[pdbridge:100:" + idA + "] catch_all",
		"[pdbridge:200:" + idB + "] b-one", "hand made", "another"}
	if !reflect.DeepEqual(labels(got), want) {
		t.Fatalf("layout\n%q\nwant\n%q", labels(got), want)
	}
	// Foreign rules and other blocks are written back byte for byte.
	for _, i := range []int{0, 4, 5, 6} {
		orig := map[string]int{"dynamic": 0, "hand made": 1, "another": 3}[got[i].Label]
		if i == 4 {
			orig = 2
		}
		gb, _ := json.Marshal(got[i])
		ob, _ := json.Marshal(current[orig])
		wantRaw := map[int]string{0: `"dynamic_route_to"`, 5: `"future_key":true`, 6: `"disabled":true`}[i]
		if string(gb) != string(ob) || !strings.Contains(string(gb), wantRaw) {
			t.Fatalf("rule %q written as %s, read as %s", got[i].Label, gb, ob)
		}
	}
	// A lower priority goes first; an equal one is ordered by id.
	b, _ := Publish(Transform{Rules: []Rule{{Label: "b-new", Condition: "event.source exists", RouteTo: "PB/I"}}}, idB, 100)
	got = Place(got, idB, 100, b)
	want = []string{"dynamic",
		"[pdbridge:100:" + idA + "] unix", "[pdbridge:100:" + idA + "] windows", "[pdbridge:100:" + idA + "] catch_all",
		"[pdbridge:100:" + idB + "] b-new", "hand made", "another"}
	if !reflect.DeepEqual(labels(got), want) {
		t.Fatalf("after B moved to 100:\n%q", labels(got))
	}
	b, _ = Publish(Transform{Rules: []Rule{{Label: "b-new", Condition: "event.source exists", RouteTo: "PB/I"}}}, idB, 5)
	got = Place(got, idB, 5, b)
	if l := labels(got); l[1] != "[pdbridge:5:"+idB+"] b-new" || l[2] != "[pdbridge:100:"+idA+"] unix" {
		t.Fatalf("after B moved to 5:\n%q", l)
	}
	// Removing A leaves everything else as it was.
	got = Place(got, idA, 100, nil)
	want = []string{"dynamic", "[pdbridge:5:" + idB + "] b-new", "hand made", "another"}
	if !reflect.DeepEqual(labels(got), want) {
		t.Fatalf("after removing A:\n%q", labels(got))
	}
}

func TestPlaceKeepsRuleIDsByLabel(t *testing.T) {
	current := decode(t, `[
	  {"id":"r1","label":"[pdbridge:100:`+idA+`] unix","conditions":[{"expression":"event.source exists"}],"actions":{"route_to":"PUNIX"}},
	  {"id":"r2","label":"[pdbridge:100:`+idA+`] windows","conditions":[{"expression":"event.source exists"}],"actions":{"route_to":"PWIN"}}
	]`)
	tr := zenoss()
	tr.Rules[0], tr.Rules[1] = tr.Rules[1], tr.Rules[0] // reorder
	tr.Rules = append(tr.Rules, Rule{Label: "new", Condition: "event.source exists", RouteTo: unix})
	own, _ := Publish(tr, idA, 50) // and a new priority
	got := Place(current, idA, 50, own)
	ids := []string{}
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if !reflect.DeepEqual(ids, []string{"r2", "r1", "", ""}) {
		t.Fatalf("ids %q (labels %q)", ids, labels(got))
	}
}

func TestRulesAfterCatchAll(t *testing.T) {
	a, _ := Publish(zenoss(), idA, 1)
	b, _ := Publish(Transform{Rules: []Rule{{Label: "b", Condition: "event.source exists", RouteTo: "PB/I"}}}, idB, 2)
	rules := Place(Place(nil, idA, 1, a), idB, 2, b)
	if n := RulesAfterCatchAll(rules, idA); n != 1 {
		t.Fatalf("A's catch-all shadows %d rules, want 1", n)
	}
	if n := RulesAfterCatchAll(rules, idB); n != 0 {
		t.Fatalf("B has no catch-all, got %d", n)
	}
	if other, ok := ShadowingCatchAll(rules, idB); !ok || other != idA {
		t.Fatalf("B is shadowed by %q %v, want A", other, ok)
	}
	if other, ok := ShadowingCatchAll(rules, idA); ok {
		t.Fatalf("A is shadowed by %q", other)
	}
	rules[2].Conditions = []string{"event.source exists"} // A's catch-all no longer unconditional
	if other, ok := ShadowingCatchAll(rules, idB); ok {
		t.Fatalf("B is shadowed by %q", other)
	}
}

// routeLikePagerDuty is the router's semantics: the first enabled rule with
// a matching condition (any of them; none means always) routes; else the
// catch-all.
func routeLikePagerDuty(t *testing.T, rules []pagerduty.RouterRule, ev Event) string {
	t.Helper()
	in := pcl.Input{Event: ev.Payload(), RawEvent: ev.body()}
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		match := len(r.Conditions) == 0
		for _, c := range r.Conditions {
			match = match || pcl.MustParse(c).Eval(in)
		}
		if match {
			return r.RouteTo
		}
	}
	return pagerduty.UnroutedServiceID
}

func TestPublishedRulesRouteLikeLocalEvaluation(t *testing.T) {
	a := Transform{Rules: []Rule{
		{Label: "db", Condition: "event.source matches regex '^db[0-9]+$'", RouteTo: "PDB/I1"},
		{Label: "web", Condition: "event.source matches part 'web' and not (event.severity matches 'info')", RouteTo: "PWEB/I2"},
	}}
	b := zenoss()
	pa, _ := Publish(a, idA, 10)
	pb, _ := Publish(b, idB, 20)
	router := Place(Place(nil, idA, 10, pa), idB, 20, pb)
	ca, cb := compile(t, a), compile(t, b)
	for i, src := range []string{"db1", "db12x", "web01", "WEB02", "mail"} {
		for j, class := range []string{"/Server/Linux", "/Server/WMI", "/Network"} {
			ev := Event{Summary: "s", Severity: []string{"info", "critical"}[(i+j)%2], Source: src, CustomDetails: map[string]any{"device_class": class}}
			// Locally: transform A, then B for what A leaves unmatched.
			d, _ := ca.Route(ev)
			if !d.Routed() {
				d, _ = cb.Route(ev)
			}
			if got := routeLikePagerDuty(t, router, ev); got != d.ServiceID {
				t.Errorf("%s %s %s: router sends to %s, local evaluation to %s (%s)", src, ev.Severity, class, got, d.ServiceID, d.Label)
			}
		}
	}
}

func TestRebuildWithoutDriftGivesBackTheTransform(t *testing.T) {
	tr := zenoss()
	tr.Rules[0].Condition = "event.custom_details.device_class   matches part '/Server/Linux' OR event.custom_details.device_class matches part '/Server/AIX'"
	own, _ := Publish(tr, idA, 30)
	got := Rebuild(own, tr, nil)
	if !reflect.DeepEqual(got.Transform, tr) || got.Priority != 30 || !reflect.DeepEqual(got.Prev, []int{0, 1}) {
		t.Fatalf("rebuilt %+v", got)
	}
	// PagerDuty may store the condition in other words: still no drift.
	own[0].Conditions = []string{"event.custom_details.device_class matches part '/Server/Linux' or event.custom_details.device_class matches part '/Server/AIX'"}
	if got := Rebuild(own, tr, nil); got.Transform.Rules[0].Condition != tr.Rules[0].Condition {
		t.Fatalf("reworded condition shows as drift: %q", got.Transform.Rules[0].Condition)
	}
}

func TestRebuildShowsDrift(t *testing.T) {
	tr := zenoss()
	published := func() []pagerduty.RouterRule { own, _ := Publish(tr, idA, 100); return own }
	for _, tc := range []struct {
		name  string
		edit  func(r []pagerduty.RouterRule) []pagerduty.RouterRule
		check func(t *testing.T, got Rebuilt)
	}{
		{"condition edited", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[1].Conditions = []string{"event.source matches 'win01'"}
			return r
		}, func(t *testing.T, got Rebuilt) {
			if c := got.Transform.Rules[1].Condition; c != "event.source matches 'win01'" {
				t.Fatalf("condition %q", c)
			}
		}},
		{"condition added", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[1].Conditions = append(r[1].Conditions, "event.source matches 'x'")
			return r
		}, func(t *testing.T, got Rebuilt) {
			want := "(" + tr.Rules[1].Condition + ") or (event.source matches 'x')"
			if c := got.Transform.Rules[1].Condition; c != want {
				t.Fatalf("condition %q", c)
			}
		}},
		{"routed to another configured service", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[0].RouteTo = "PWIN"
			return r
		}, func(t *testing.T, got Rebuilt) {
			if c := got.Transform.Rules[0].RouteTo; c != windows {
				t.Fatalf("route_to %q", c)
			}
		}},
		{"routed to an unknown service", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[2].RouteTo = "PELSE"
			return r
		}, func(t *testing.T, got Rebuilt) {
			if c := got.Transform.CatchAll.RouteTo; c != "PELSE" {
				t.Fatalf("catch_all route_to %q", c)
			}
		}},
		{"rule removed", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			return append(r[:1], r[2:]...)
		}, func(t *testing.T, got Rebuilt) {
			if len(got.Transform.Rules) != 1 || got.Transform.Rules[0].Label != "unix" || got.Transform.CatchAll == nil {
				t.Fatalf("rules %+v", got.Transform)
			}
		}},
		{"rule disabled", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[0].Disabled = true
			return r
		}, func(t *testing.T, got Rebuilt) {
			if len(got.Transform.Rules) != 1 || got.Transform.Rules[0].Label != "windows" || !reflect.DeepEqual(got.Prev, []int{1}) {
				t.Fatalf("rules %+v", got)
			}
		}},
		{"rules reordered", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[0], r[1] = r[1], r[0]
			return r
		}, func(t *testing.T, got Rebuilt) {
			if got.Transform.Rules[0].Label != "windows" || got.Transform.Rules[1].Label != "unix" || !reflect.DeepEqual(got.Prev, []int{1, 0}) {
				t.Fatalf("rules %+v", got)
			}
		}},
		{"catch-all given a condition", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[2].Conditions = []string{"event.source exists"}
			return r
		}, func(t *testing.T, got Rebuilt) {
			if got.Transform.CatchAll != nil || got.Transform.Rules[2].Label != CatchAllLabel {
				t.Fatalf("rules %+v", got.Transform)
			}
		}},
		{"label edited", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[0].Label = OwnedLabel(100, idA, "linux")
			return r
		}, func(t *testing.T, got Rebuilt) {
			if got.Transform.Rules[0].Label != "linux" || got.Prev[0] != -1 || got.Transform.Rules[0].RouteTo != unix {
				t.Fatalf("rules %+v", got)
			}
		}},
		{"priority edited", func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
			r[0].Label = OwnedLabel(3, idA, "unix")
			return r
		}, func(t *testing.T, got Rebuilt) {
			if got.Priority != 3 {
				t.Fatalf("priority %d", got.Priority)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Rebuild(tc.edit(published()), tr, nil)
			if reflect.DeepEqual(got.Transform, tr) && got.Priority == 100 {
				t.Fatal("no drift")
			}
			tc.check(t, got)
		})
	}
}

func TestRebuildForImportAsksForConnectors(t *testing.T) {
	own, _ := Publish(zenoss(), idA, 100)
	asked := []string{}
	got := Rebuild(own, Transform{}, func(svc string) string {
		asked = append(asked, svc)
		if svc == "PDEF" {
			return "" // several integrations: cannot tell
		}
		return fmt.Sprintf("%s/INT", svc)
	})
	if got.Transform.Rules[0].RouteTo != "PUNIX/INT" || got.Transform.Rules[1].RouteTo != "PWIN/INT" || got.Transform.CatchAll.RouteTo != "PDEF" {
		t.Fatalf("rebuilt %+v %+v", got.Transform.Rules, got.Transform.CatchAll)
	}
	if !reflect.DeepEqual(asked, []string{"PUNIX", "PWIN", "PDEF"}) {
		t.Fatalf("asked for %q", asked)
	}
}
