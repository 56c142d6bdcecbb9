package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
)

// Conditions of the Zenoss example.
const (
	condUnix    = "event.custom_details.device_class matches part '/Server/Linux' or event.custom_details.device_class matches part '/Server/AIX'"
	condWindows = "event.custom_details.device_class matches part 'Windows' or event.custom_details.device_class matches part 'WMI'"
	condAIX     = "event.custom_details.device_class matches part '/Server/AIX'"
	condHand    = "event.summary matches part 'hand'"
)

// routingFixture is a sandbox with three services, one connector on each.
type routingFixture struct {
	*sandbox
	unix, windows, other          string // connector ids
	unixSvc, windowsSvc, otherSvc string
}

func newRoutingFixture(t *testing.T) *routingFixture {
	t.Helper()
	f := &routingFixture{sandbox: startSandbox(t)}
	for _, x := range []struct {
		name              string
		connector, servID *string
	}{{"Unix team", &f.unix, &f.unixSvc}, {"Windows team", &f.windows, &f.windowsSvc}, {"Operations", &f.other, &f.otherSvc}} {
		svc := f.service(t, x.name)
		i, err := f.Client.CreateEventsV2Integration(context.Background(), svc.ID, "Zenoss")
		if err != nil {
			t.Fatal(err)
		}
		*x.connector, *x.servID = svc.ID+"/"+i.ID, svc.ID
	}
	return f
}

// orchestration creates an orchestration whose router already holds one
// rule made by hand, which pdbridge must leave alone.
func (f *routingFixture) orchestration(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	o, err := f.Client.CreateOrchestration(ctx, name, "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Client.ModifyRouter(ctx, o.ID, func(r *pagerduty.Router) error {
		r.Rules = append(r.Rules, pagerduty.RouterRule{Label: "hand made", Conditions: []string{condHand}, RouteTo: f.otherSvc})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

type tfRule struct{ label, condition, routeTo, extra string }

func ruleHCL(r tfRule) string {
	route := ""
	if r.routeTo != "" {
		route = fmt.Sprintf("    route_to  = %q\n", r.routeTo)
	}
	return fmt.Sprintf("  rule {\n    label     = %q\n    condition = %q\n%s%s  }\n", r.label, r.condition, route, r.extra)
}

// transformHCL is a pdbridge_routing_transform; body holds extra attributes.
func transformHCL(name, body string, rules ...tfRule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "resource \"pdbridge_routing_transform\" %q {\n%s\n", name, body)
	for _, r := range rules {
		b.WriteString(ruleHCL(r))
	}
	b.WriteString("}\n")
	return b.String()
}

func published(orch string, extra ...string) string {
	return fmt.Sprintf("  event_orchestration_id = %q\n%s", orch, strings.Join(extra, "\n"))
}

func catchAllHCL(connector string) string {
	return fmt.Sprintf("  catch_all {\n    route_to = %q\n  }\n", connector)
}

// routerView is the router as one line per rule, in order, with the
// transform ids replaced by their names, for readable comparisons. names maps
// a short name to a transform's resource address, whose id is read from s
// (transforms no longer in s are left out).
func (f *routingFixture) routerView(s *terraform.State, orch string, names map[string]string) ([]string, error) {
	r, err := f.Client.GetRouter(context.Background(), orch)
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for name, address := range names {
		if rs, ok := s.RootModule().Resources[address]; ok {
			ids[name] = rs.Primary.ID
		}
	}
	svcName := map[string]string{f.unixSvc: "UNIX", f.windowsSvc: "WINDOWS", f.otherSvc: "OTHER"}
	var out []string
	for _, rule := range r.Rules {
		label := rule.Label
		for name, id := range ids {
			label = strings.ReplaceAll(label, id, name)
		}
		line := fmt.Sprintf("%s -> %s if %s", label, svcName[rule.RouteTo], strings.Join(rule.Conditions, " | "))
		if rule.Disabled {
			line += " (disabled)"
		}
		out = append(out, line)
	}
	return out, nil
}

// expectRouter checks the router's rules; names as for routerView.
func (f *routingFixture) expectRouter(orch string, names map[string]string, want ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		got, err := f.routerView(s, orch, names)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("router rules:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		return nil
	}
}

// editRouter changes the router behind Terraform's back, as a user in the
// PagerDuty UI would.
func (f *routingFixture) editRouter(t *testing.T, orch string, edit func(rules []pagerduty.RouterRule) []pagerduty.RouterRule) func() {
	return func() {
		_, _, err := f.Client.ModifyRouter(context.Background(), orch, func(r *pagerduty.Router) error {
			r.Rules = edit(r.Rules)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func ruleIDs(f *routingFixture, orch string) (map[string]string, error) {
	r, err := f.Client.GetRouter(context.Background(), orch)
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, rule := range r.Rules {
		_, _, label, _ := routing.ParseOwnedLabel(rule.Label)
		if label == "" {
			label = rule.Label
		}
		ids[label] = rule.ID
	}
	return ids, nil
}

func expectUpdate(name string) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}}
}

func TestAccRoutingTransformPublishedLifecycle(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	orch := f.orchestration(t, "Zenoss")
	const res = "pdbridge_routing_transform.zenoss"
	names := map[string]string{"Z": res}
	unix := tfRule{"unix", condUnix, f.unix, ""}
	windows := tfRule{"windows", condWindows, f.windows, ""}
	aix := tfRule{"aix", condAIX, f.unix, ""}
	final := f.providerConfig() + transformHCL("zenoss", published(orch), windows, aix)
	finalRouter := []string{
		"[pdbridge:100:Z] windows -> WINDOWS if " + condWindows,
		"[pdbridge:100:Z] aix -> UNIX if " + condAIX,
		"hand made -> OTHER if " + condHand,
	}
	var idsBefore map[string]string

	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{ // create: the rules go first, verbatim, routed to the connectors' services; the hand-made rule stays, last
				Config: f.providerConfig() + transformHCL("zenoss", published(orch, catchAllHCL(f.other)), unix, windows),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("priority"), knownvalue.Int64Exact(100)),
				},
				Check: resource.ComposeTestCheckFunc(
					f.expectRouter(orch, names,
						"[pdbridge:100:Z] unix -> UNIX if "+condUnix,
						"[pdbridge:100:Z] windows -> WINDOWS if "+condWindows,
						"[pdbridge:100:Z] catch_all -> OTHER if ",
						"hand made -> OTHER if "+condHand,
					),
					func(*terraform.State) (err error) { idsBefore, err = ruleIDs(f, orch); return err },
				),
			},
			{ // reorder: rewritten in place; PagerDuty keeps each rule's id
				Config:           f.providerConfig() + transformHCL("zenoss", published(orch, catchAllHCL(f.other)), windows, unix),
				ConfigPlanChecks: expectUpdate(res),
				Check: resource.ComposeTestCheckFunc(
					f.expectRouter(orch, names,
						"[pdbridge:100:Z] windows -> WINDOWS if "+condWindows,
						"[pdbridge:100:Z] unix -> UNIX if "+condUnix,
						"[pdbridge:100:Z] catch_all -> OTHER if ",
						"hand made -> OTHER if "+condHand,
					),
					func(*terraform.State) error {
						ids, err := ruleIDs(f, orch)
						if err != nil {
							return err
						}
						for _, l := range []string{"unix", "windows", "catch_all", "hand made"} {
							if ids[l] != idsBefore[l] {
								return fmt.Errorf("rule %q changed id from %s to %s", l, idsBefore[l], ids[l])
							}
						}
						return nil
					},
				),
			},
			{ // add a rule, remove a rule and the catch-all
				Config:           final,
				ConfigPlanChecks: expectUpdate(res),
				Check:            f.expectRouter(orch, names, finalRouter...),
			},
			{ // import by EVENT_ORCHESTRATION_ID/TRANSFORM_ID, from the router alone
				ResourceName: res,
				ImportState:  true,
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return orch + "/" + s.RootModule().Resources[res].Primary.ID, nil
				},
				ImportStateVerify: true,
			},
			{ // a condition edited in PagerDuty is drift; apply restores it
				PreConfig: f.editRouter(t, orch, func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
					r[0].Conditions = []string{"event.source matches 'win01'"}
					return r
				}),
				Config:           final,
				ConfigPlanChecks: expectUpdate(res),
				Check:            f.expectRouter(orch, names, finalRouter...),
			},
			{ // a rule removed in PagerDuty
				PreConfig: f.editRouter(t, orch, func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
					return slices.Delete(r, 1, 2)
				}),
				Config:           final,
				ConfigPlanChecks: expectUpdate(res),
				Check:            f.expectRouter(orch, names, finalRouter...),
			},
			{ // rules reordered in PagerDuty
				PreConfig: f.editRouter(t, orch, func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
					r[0], r[1] = r[1], r[0]
					return r
				}),
				Config:           final,
				ConfigPlanChecks: expectUpdate(res),
				Check:            f.expectRouter(orch, names, finalRouter...),
			},
			{ // a rule disabled, and another routed elsewhere, in PagerDuty
				PreConfig: f.editRouter(t, orch, func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
					r[0].Disabled = true
					r[1].RouteTo = f.otherSvc
					return r
				}),
				Config:           final,
				ConfigPlanChecks: expectUpdate(res),
				Check:            f.expectRouter(orch, names, finalRouter...),
			},
			{ // the hand-made rule edited: not this transform's business, no drift
				PreConfig: f.editRouter(t, orch, func(r []pagerduty.RouterRule) []pagerduty.RouterRule {
					r[2].Conditions = []string{"event.summary matches part 'by hand'"}
					return r
				}),
				Config:           final,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
		// Destroy removes only the transform's rules.
		CheckDestroy: f.expectRouter(orch, nil, "hand made -> OTHER if event.summary matches part 'by hand'"),
	})
}

func TestAccRoutingTransformsShareAnOrchestration(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	orch := f.orchestration(t, "shared")
	names := map[string]string{"A": "pdbridge_routing_transform.a", "B": "pdbridge_routing_transform.b"}
	ruleA1, ruleA2 := tfRule{"unix", condUnix, f.unix, ""}, tfRule{"windows", condWindows, f.windows, ""}
	ruleB := tfRule{"aix", condAIX, f.other, ""}
	both := func(priorityB int) string {
		return f.providerConfig() +
			transformHCL("a", published(orch, "  priority = 10"), ruleA1, ruleA2) +
			transformHCL("b", published(orch, fmt.Sprintf("  priority = %d", priorityB)), ruleB)
	}
	var bIDs map[string]string
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{ // created in the same apply (in parallel): each keeps its rules, ordered by priority
				Config: both(20),
				Check: resource.ComposeTestCheckFunc(
					f.expectRouter(orch, names,
						"[pdbridge:10:A] unix -> UNIX if "+condUnix,
						"[pdbridge:10:A] windows -> WINDOWS if "+condWindows,
						"[pdbridge:20:B] aix -> OTHER if "+condAIX,
						"hand made -> OTHER if "+condHand,
					),
				),
			},
			{ // B moves ahead of A
				Config:           both(5),
				ConfigPlanChecks: expectUpdate("pdbridge_routing_transform.b"),
				Check: resource.ComposeTestCheckFunc(
					f.expectRouter(orch, names,
						"[pdbridge:5:B] aix -> OTHER if "+condAIX,
						"[pdbridge:10:A] unix -> UNIX if "+condUnix,
						"[pdbridge:10:A] windows -> WINDOWS if "+condWindows,
						"hand made -> OTHER if "+condHand,
					),
					func(*terraform.State) (err error) { bIDs, err = ruleIDs(f, orch); return err },
				),
			},
			{ // A is destroyed: B's rules and the hand-made one are untouched
				Config: f.providerConfig() + transformHCL("b", published(orch, "  priority = 5"), ruleB),
				Check: resource.ComposeTestCheckFunc(
					f.expectRouter(orch, names,
						"[pdbridge:5:B] aix -> OTHER if "+condAIX,
						"hand made -> OTHER if "+condHand,
					),
					func(*terraform.State) error {
						ids, err := ruleIDs(f, orch)
						if err != nil || ids["aix"] != bIDs["aix"] || ids["hand made"] != bIDs["hand made"] {
							return fmt.Errorf("rule ids changed: %v -> %v (%v)", bIDs, ids, err)
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: f.expectRouter(orch, nil, "hand made -> OTHER if "+condHand),
	})
}

func TestAccRoutingTransformMovesBetweenOrchestrations(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	o1, o2 := f.orchestration(t, "one"), f.orchestration(t, "two")
	const res = "pdbridge_routing_transform.t"
	names := map[string]string{"T": res}
	rule := tfRule{"unix", condUnix, f.unix, ""}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            f.providerConfig() + transformHCL("t", published(o1), rule),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(res, tfjsonpath.New("id"))},
				Check:             f.expectRouter(o1, names, "[pdbridge:100:T] unix -> UNIX if "+condUnix, "hand made -> OTHER if "+condHand),
			},
			{
				Config:            f.providerConfig() + transformHCL("t", published(o2), rule),
				ConfigPlanChecks:  expectUpdate(res),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(res, tfjsonpath.New("id"))},
				Check: resource.ComposeTestCheckFunc(
					f.expectRouter(o1, names, "hand made -> OTHER if "+condHand),
					f.expectRouter(o2, names, "[pdbridge:100:T] unix -> UNIX if "+condUnix, "hand made -> OTHER if "+condHand),
				),
			},
			{ // no longer published: the state is its home again, and it keeps its id
				Config:           f.providerConfig() + transformHCL("t", "", rule),
				ConfigPlanChecks: expectUpdate(res),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("event_orchestration_id"), knownvalue.Null()),
					sameID.AddStateValue(res, tfjsonpath.New("id")),
				},
				Check: f.expectRouter(o2, names, "hand made -> OTHER if "+condHand),
			},
		},
	})
}

// The orchestration deleted in PagerDuty takes the transform's home with it:
// the plan creates it again, and apply says the orchestration is gone.
func TestAccRoutingTransformOrchestrationDeleted(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	orch := f.orchestration(t, "doomed")
	config := f.providerConfig() + transformHCL("t", published(orch), tfRule{"unix", condUnix, f.unix, ""})
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					if err := f.Client.DeleteOrchestration(context.Background(), orch); err != nil {
						t.Fatal(err)
					}
				},
				Config:      config,
				ExpectError: regexp.MustCompile(`(?s)Event Orchestration Not Found.*` + wrapped(fmt.Sprintf(`event_orchestration_id: No Global Event Orchestration has id %q.`, orch))),
			},
		},
	})
}

func TestAccRoutingTransformLocalOnly(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	const res = "pdbridge_routing_transform.local"
	sameID := statecheck.CompareValue(compare.ValuesSame())
	body := func(rules ...tfRule) string {
		return f.providerConfig() + transformHCL("local", catchAllHCL(f.other), rules...)
	}
	overrides := tfRule{"windows", condWindows, f.windows, `    severity  = "{{if eq .Severity \"info\"}}warning{{else}}{{.Severity}}{{end}}"
    summary   = "[{{.Details.device_class}}] {{.Summary}}"
    dedup_key = "{{.Device}}|{{.Component}}|{{.Severity}}"
    custom_details = {
      team = "windows"
    }
    priority = "P2"
    suppress = true
`}
	drop := tfRule{label: "test systems", condition: "event.custom_details.prod_state matches 'Test'", extra: "    drop = true\n"}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: body(tfRule{"unix", condUnix, f.unix, ""}, overrides),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("rule").AtSliceIndex(1).AtMapKey("custom_details").AtMapKey("team"), knownvalue.StringExact("windows")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("event_orchestration_id"), knownvalue.Null()),
					sameID.AddStateValue(res, tfjsonpath.New("id")),
				},
			},
			{ // reorder and add a drop rule: updated in place, same id
				Config:           body(drop, overrides, tfRule{"unix", condUnix, f.unix, ""}),
				ConfigPlanChecks: expectUpdate(res),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(res, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("rule").AtSliceIndex(0).AtMapKey("label"), knownvalue.StringExact("test systems")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("rule").AtSliceIndex(0).AtMapKey("drop"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

func TestAccRoutingTransformRejectsBadConfigAtPlan(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	const orch = "b02e973d-9620-4e0a-9edc-00fedf7d4694"
	ok := tfRule{"unix", condUnix, f.unix, ""}
	for _, tc := range []struct {
		name, config, want string
	}{
		{"bad condition", transformHCL("t", "", ok, tfRule{"windows", "event.custom_details.device_class matches", f.windows, ""}),
			`(?s)Invalid Condition.*rule\[1\]\.condition.*Rule "windows": column 42: expected part, regex,.*found end of input`},
		{"double-quoted string", transformHCL("t", "", tfRule{"unix", `event.source matches "lnx01"`, f.unix, ""}),
			`(?s)Invalid Condition.*rule\[0\]\.condition.*column 22`},
		{"unknown template field", transformHCL("t", "", ok, tfRule{"windows", condWindows, f.windows, "    summary = \"{{.Devise}} is down\"\n"}),
			`(?s)Invalid Template.*rule\[1\]\.summary.*the event has no field \.Devise`},
		{"template syntax", transformHCL("t", "", tfRule{"unix", condUnix, f.unix, "    dedup_key = \"{{.Device}\"\n"}),
			`(?s)Invalid Template.*rule\[0\]\.dedup_key`},
		{"custom details template", transformHCL("t", "", tfRule{"unix", condUnix, f.unix, "    custom_details = { site = \"{{.Site}}\" }\n"}),
			`(?s)Invalid Template.*rule\[0\]\.custom_details\["site"\].*no field \.Site`},
		{"severity", transformHCL("t", "", tfRule{"unix", condUnix, f.unix, "    severity = \"high\"\n"}),
			`(?s)Invalid Severity.*rule\[0\]\.severity`},
		{"route_to not a connector", transformHCL("t", "", tfRule{"unix", condUnix, f.unixSvc, ""}),
			`(?s)Invalid Connector ID.*rule\[0\]\.route_to.*SERVICE_ID/INTEGRATION_ID`},
		{"duplicate label", transformHCL("t", "", ok, ok),
			`(?s)Duplicate Rule Label.*rule\[1\]\.label`},
		{"override when publishing", transformHCL("t", published(orch), ok, tfRule{"windows", condWindows, f.windows, "    severity = \"critical\"\n"}),
			`(?s)Not Expressible In PagerDuty's Router.*rule\[1\]\.severity.*can only route`},
		{"drop when publishing", transformHCL("t", published(orch), tfRule{label: "x", condition: condUnix, extra: "    drop = true\n"}),
			`(?s)Not Expressible In PagerDuty's Router.*rule\[0\]\.drop`},
		{"catch_all drop when publishing", transformHCL("t", published(orch, "  catch_all {\n    drop = true\n  }"), ok),
			`(?s)Not Expressible In PagerDuty's Router.*catch_all\.drop`},
		{"catch_all without a route", transformHCL("t", "  catch_all {}", ok),
			`(?s)Missing Route.*catch_all\.route_to`},
		{"no rules", transformHCL("t", ""),
			`(?s)Empty Routing Transform`},
		{"priority", transformHCL("t", published(orch, "  priority = 10000"), ok),
			`(?s)priority.*between 0 and 9999`},
		{"orchestration id", transformHCL("t", published("orch/1"), ok),
			`(?s)event_orchestration_id.*must be an Event Orchestration ID`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resource.UnitTest(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      f.providerConfig() + tc.config,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

// A route_to that comes from a connector not created yet is checked once
// known: the plan succeeds, and apply publishes it.
func TestAccRoutingTransformWithConnectorsOfTheSameRun(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	orch := f.orchestration(t, "same run")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: f.providerConfig() + fmt.Sprintf(`
resource "pdbridge_connector" "unix" {
  name        = "Zenoss: Unix team"
  service_id  = %q
  source_kind = "zenoss"
}
`, f.unixSvc) + transformHCL("t", published(orch), tfRule{"unix", condUnix, "${pdbridge_connector.unix.id}", ""}),
			Check: f.expectRouter(orch, map[string]string{"T": "pdbridge_routing_transform.t"}, "[pdbridge:100:T] unix -> UNIX if "+condUnix, "hand made -> OTHER if "+condHand),
		}},
	})
}

func TestAccRoutingTransformImportRejectsOtherIDForms(t *testing.T) {
	t.Parallel()
	f := newRoutingFixture(t)
	orch := f.orchestration(t, "import")
	config := f.providerConfig() + transformHCL("t", published(orch), tfRule{"unix", condUnix, f.unix, ""})
	for _, tc := range []struct{ id, want string }{
		{"3f0c5a1e-8b1d-4c55-9a43-0e6f2d1b7c88", `(?s)Unexpected Format of ID.*EVENT_ORCHESTRATION_ID/TRANSFORM_ID`},
		{orch + "/", `(?s)Unexpected Format of ID`},
		{"/3f0c5a1e", `(?s)Unexpected Format of ID`},
		{orch + "/a/b", `(?s)Unexpected Format of ID`},
		{orch + ":3f0c5a1e", `(?s)Unexpected Format of ID`},
		{orch + "/3f0c5a1e-8b1d-4c55-9a43-0e6f2d1b7c88", `(?s)Routing Transform Not Found.*has no\s+rule of transform\s+3f0c5a1e-8b1d-4c55-9a43-0e6f2d1b7c88`},
		{"b02e973d-0000-4e0a-9edc-00fedf7d4694/3f0c5a1e", `(?s)Import Routing Transform Error.*404`},
	} {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			resource.UnitTest(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:        config,
					ResourceName:  "pdbridge_routing_transform.t",
					ImportState:   true,
					ImportStateId: tc.id,
					ExpectError:   regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

// routerStub serves one router document, as PagerDuty would, and answers
// every PUT with the given warnings.
func routerStub(t *testing.T, rules []any, warnings []any) *pagerduty.Client {
	t.Helper()
	router := map[string]any{"orchestration_path": map[string]any{
		"sets":      []any{map[string]any{"id": "start", "rules": rules}},
		"catch_all": map[string]any{"actions": map[string]any{"route_to": "unrouted"}},
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPut {
			var body map[string]any
			data, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(data, &body)
			router = body
			_ = json.NewEncoder(w).Encode(map[string]any{"orchestration_path": body["orchestration_path"], "warnings": warnings})
			return
		}
		_ = json.NewEncoder(w).Encode(router)
	}))
	t.Cleanup(srv.Close)
	c, err := pagerduty.New(pagerduty.Config{Token: "t", APIURL: srv.URL, EventsURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func publishWarnings(t *testing.T, c *pagerduty.Client, tr routing.Transform) []string {
	t.Helper()
	var diags diag.Diagnostics
	if !(&RoutingTransformResource{}).publish(context.Background(), c, "b02e973d-9620-4e0a-9edc-00fedf7d4694", "T1", 100, &tr, &diags) {
		t.Fatalf("publish failed: %v", diags)
	}
	var got []string
	for _, d := range diags.Warnings() {
		got = append(got, d.Summary()+": "+d.Detail())
	}
	return got
}

// PagerDuty's router warnings, and catch-alls that shadow rules, reach the
// user as warnings (the sandbox never answers with warnings).
func TestPublishReportsRouterWarnings(t *testing.T) {
	t.Parallel()
	handMade := map[string]any{"id": "h1", "label": "hand made", "conditions": []any{}, "actions": map[string]any{"route_to": "POTHER"}}
	c := routerStub(t, []any{handMade}, []any{
		map[string]any{"rule_id": "r9", "feature": "dynamic_route_to", "feature_type": "actions", "warning_type": "forbidden_feature", "message": "Dynamic routing is not on your plan"},
	})
	got := publishWarnings(t, c, routing.Transform{Rules: []routing.Rule{{Label: "unix", Condition: condUnix, RouteTo: "PUNIX/PINT"}}, CatchAll: &routing.CatchAll{RouteTo: "PDEF/PINT"}})
	if len(got) != 2 || !strings.Contains(got[0], "PagerDuty Router Warning: PagerDuty accepted the router of event orchestration b02e973d-9620-4e0a-9edc-00fedf7d4694 with a warning: rule r9: Dynamic routing is not on your plan") ||
		!strings.Contains(got[1], "Catch-All Shadows Later Rules: The catch_all is published as an unconditional rule, and 1 enabled rule(s)") {
		t.Fatalf("warnings:\n%s", strings.Join(got, "\n"))
	}

	// Another transform's catch-all ahead of this one's rules.
	other := map[string]any{"id": "o1", "label": "[pdbridge:5:OTHER] catch_all", "conditions": []any{}, "actions": map[string]any{"route_to": "PDEF"}}
	c = routerStub(t, []any{other}, nil)
	got = publishWarnings(t, c, routing.Transform{Rules: []routing.Rule{{Label: "unix", Condition: condUnix, RouteTo: "PUNIX/PINT"}}})
	if len(got) != 1 || !strings.Contains(got[0], "Rules Shadowed By Another Catch-All: Routing transform OTHER publishes a catch_all") {
		t.Fatalf("warnings:\n%s", strings.Join(got, "\n"))
	}
}
