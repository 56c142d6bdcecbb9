package provider

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
)

// Most action tests run the real Terraform CLI (1.14 or later): `terraform
// apply -invoke` through terraformCLI, and action_trigger through
// plugin-testing. What only the plugin protocol shows stays here: refusals at
// ValidateActionConfig against their exact attribute path with not one request
// sent, values unknown at validation, and provider configuration diagnostics.

// actionProtocol is the provider server, configured against a sandbox.
type actionProtocol struct {
	t       *testing.T
	srv     tfprotov6.ProviderServer
	actions tfprotov6.ActionServer
	schema  *tfprotov6.GetProviderSchemaResponse
}

// newActionProtocol starts the provider and configures it with the sandbox's
// provider attributes (fast retries) plus extra.
func newActionProtocol(t *testing.T, sb *sandbox, extra map[string]tftypes.Value) (*actionProtocol, []*tfprotov6.Diagnostic) {
	t.Helper()
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	actions, ok := srv.(tfprotov6.ActionServer)
	if !ok {
		t.Fatal("the provider server does not serve actions")
	}
	ctx := context.Background()
	schema, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schema.Diagnostics) > 0 {
		t.Fatalf("schema: %v %v", err, schema.Diagnostics)
	}
	p := &actionProtocol{t: t, srv: srv, actions: actions, schema: schema}
	typ := mustType[tftypes.Object](schema.Provider.ValueType())
	retryType := mustType[tftypes.Object](typ.AttributeTypes["retry"])
	attrs := map[string]tftypes.Value{
		"token": tfString(testToken), "user_email": tfString(testEmail), "api_url": tfString(sb.URL), "events_url": tfString(sb.URL),
		"retry": tfObject(retryType, map[string]tftypes.Value{
			"max_retries": tftypes.NewValue(tftypes.Number, big.NewFloat(2)), "min_delay": tfString("10ms"), "max_delay": tfString("50ms"),
		}),
	}
	for k, v := range extra {
		attrs[k] = v
	}
	config := p.dynamic(typ, tfObject(typ, attrs))
	v, err := srv.ValidateProviderConfig(ctx, &tfprotov6.ValidateProviderConfigRequest{Config: config})
	if err != nil {
		t.Fatal(err)
	}
	if hasErrorDiag(v.Diagnostics) {
		return p, v.Diagnostics
	}
	c, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.14.0", Config: config})
	if err != nil {
		t.Fatal(err)
	}
	return p, c.Diagnostics
}

// configuredActions is newActionProtocol for a configuration that must succeed.
func configuredActions(t *testing.T, sb *sandbox, extra map[string]tftypes.Value) *actionProtocol {
	t.Helper()
	p, diags := newActionProtocol(t, sb, extra)
	if hasErrorDiag(diags) {
		t.Fatalf("provider configuration failed: %s", describeDiags(diags))
	}
	return p
}

// validate runs ValidateActionConfig on a configuration that sets attrs
// (every other attribute null), as Terraform does before planning.
func (p *actionProtocol) validate(actionType string, attrs map[string]tftypes.Value) []*tfprotov6.Diagnostic {
	p.t.Helper()
	v, err := p.actions.ValidateActionConfig(context.Background(), &tfprotov6.ValidateActionConfigRequest{ActionType: actionType, Config: p.actionConfig(actionType, attrs)})
	if err != nil {
		p.t.Fatal(err)
	}
	return v.Diagnostics
}

func (p *actionProtocol) actionType(actionType string) tftypes.Object {
	p.t.Helper()
	s, ok := p.schema.ActionSchemas[actionType]
	if !ok {
		p.t.Fatalf("no action %s", actionType)
	}
	return mustType[tftypes.Object](s.Schema.ValueType())
}

func (p *actionProtocol) actionConfig(actionType string, attrs map[string]tftypes.Value) *tfprotov6.DynamicValue {
	typ := p.actionType(actionType)
	return p.dynamic(typ, tfObject(typ, attrs))
}

func (p *actionProtocol) dynamic(typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	p.t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		p.t.Fatal(err)
	}
	return &dv
}

// tfObject is a value of typ with attrs set and every other attribute null.
func tfObject(typ tftypes.Object, attrs map[string]tftypes.Value) tftypes.Value {
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := attrs[name]; ok {
			vals[name] = v
		} else {
			vals[name] = tftypes.NewValue(at, nil)
		}
	}
	for name := range attrs {
		if _, ok := typ.AttributeTypes[name]; !ok {
			panic("no attribute " + name)
		}
	}
	return tftypes.NewValue(typ, vals)
}

// tfObjectList is a list attribute of typ.AttributeTypes[name] holding objects.
func tfObjectList(typ tftypes.Object, name string, elems ...map[string]tftypes.Value) tftypes.Value {
	lt := mustType[tftypes.List](typ.AttributeTypes[name])
	et := mustType[tftypes.Object](lt.ElementType)
	var vals []tftypes.Value
	for _, e := range elems {
		vals = append(vals, tfObject(et, e))
	}
	return tftypes.NewValue(lt, vals)
}

// mustType asserts a schema type the test relies on.
func mustType[T tftypes.Type](t tftypes.Type) T {
	v, ok := t.(T)
	if !ok {
		panic(fmt.Sprintf("type %s is not a %T", t, v))
	}
	return v
}

func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func tfUnknownString() tftypes.Value { return tftypes.NewValue(tftypes.String, tftypes.UnknownValue) }

func hasErrorDiag(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func describeDiags(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "[%v] %v: %s: %s\n", d.Severity, d.Attribute, d.Summary, d.Detail)
	}
	return b.String()
}

// errorDiagAt returns the error diagnostic against the attribute at steps
// (names and list indexes), failing when there is none.
func errorDiagAt(t *testing.T, diags []*tfprotov6.Diagnostic, steps ...any) *tfprotov6.Diagnostic {
	t.Helper()
	want := tftypes.NewAttributePath()
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			want = want.WithAttributeName(s)
		case int:
			want = want.WithElementKeyInt(s)
		}
	}
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError && d.Attribute != nil && d.Attribute.Equal(want) {
			return d
		}
	}
	t.Fatalf("no error at %v in:\n%s", want, describeDiags(diags))
	return nil
}

// routingKey creates a service with an Events API v2 integration and returns its routing key.
func (s *sandbox) routingKey(t *testing.T, service string) (*pagerduty.Service, string) {
	t.Helper()
	svc := s.service(t, service)
	i, err := s.Client.CreateEventsV2Integration(context.Background(), svc.ID, "pdbridge test")
	if err != nil {
		t.Fatal(err)
	}
	return svc, i.IntegrationKey
}

// incident returns the one incident with the dedup key, failing
// otherwise, once the events sent so far have taken effect.
func (s *sandbox) incident(t *testing.T, dedupKey string) pagerduty.Incident {
	t.Helper()
	if err := settle(s.Server); err != nil {
		t.Fatal(err)
	}
	list, err := s.Client.ListIncidents(context.Background(), pagerduty.IncidentFilter{IncidentKey: dedupKey, AllDates: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d incidents with key %q, want 1", len(list), dedupKey)
	}
	return list[0]
}

const enqueueRoute = "POST /v2/enqueue"

// invokeConfig is a configuration with the provider aimed at the sandbox, a
// sensitive routing_key variable (as the docs advise: actions cannot mark it
// sensitive themselves) and body.
func (s *sandbox) invokeConfig(body string) string {
	return s.providerConfig() + `
variable "routing_key" {
  type      = string
  sensitive = true
}
` + body
}

// invokeFixture is a sandbox with a service and its routing key, and
// Terraform 1.14 or later in a directory whose configuration declares actions
// that take var.routing_key.
type invokeFixture struct {
	*sandbox
	svc *pagerduty.Service
	key string
	tf  *terraformCLI
}

func newInvokeFixture(t *testing.T, service, actions string) *invokeFixture {
	t.Helper()
	sb := startSandbox(t)
	svc, key := sb.routingKey(t, service)
	return &invokeFixture{sandbox: sb, svc: svc, key: key, tf: newTerraformCLI(t, "1.14.0", sb.invokeConfig(actions))}
}

// invoke runs `terraform apply -invoke` on the action at address, with the
// service's routing key, and returns Terraform's output and whether it succeeded.
func (f *invokeFixture) invoke(address string, args ...string) (string, bool) {
	f.tf.t.Helper()
	return f.tf.invoke(address, append([]string{"-var", "routing_key=" + f.key}, args...)...)
}

func TestAccEventActionTriggersAcknowledgesAndResolvesAnIncident(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "web", `
variable "event_action" {
  type = string
}

action "pdbridge_event" "page" {
  config {
    routing_key  = var.routing_key
    event_action = var.event_action
    dedup_key    = "web-01/disk"
    summary      = "Disk full on web-01"
    source       = "web-01"
    severity     = "critical"
  }
}
`)
	send := func(action string) []string {
		t.Helper()
		out, ok := f.invoke("pdbridge_event.page", "-var", "event_action="+action)
		if !ok {
			t.Fatalf("the %s failed", action)
		}
		msgs := progress(out, "pdbridge_event.page")
		want := fmt.Sprintf(`PagerDuty accepted the %s event: status "success", dedup_key "web-01/disk" (Event processed).`, action)
		if len(msgs) == 0 || msgs[len(msgs)-1] != want {
			t.Errorf("%s progress %q, want it to end with %q", action, msgs, want)
		}
		return msgs
	}

	msgs := send("trigger")
	if len(msgs) == 0 || msgs[0] != "Sending a trigger event to "+f.URL+"/v2/enqueue." {
		t.Errorf("progress %q", msgs)
	}
	inc := f.incident(t, "web-01/disk")
	if inc.Status != "triggered" || inc.Title != "Disk full on web-01" || inc.ServiceID != f.svc.ID {
		t.Fatalf("after trigger: %+v", inc)
	}
	send("trigger") // the same key while open: grouped into the same incident
	if got := f.incident(t, "web-01/disk"); got.ID != inc.ID {
		t.Fatalf("a second trigger opened incident %s", got.ID)
	}
	send("acknowledge")
	if got := f.incident(t, "web-01/disk"); got.Status != "acknowledged" {
		t.Fatalf("after acknowledge: %s", got.Status)
	}
	send("resolve")
	if got := f.incident(t, "web-01/disk"); got.Status != "resolved" {
		t.Fatalf("after resolve: %s", got.Status)
	}
	outcomes := []string{}
	for _, e := range f.Events() {
		outcomes = append(outcomes, e.Outcome)
	}
	want := []string{pdsandbox.OutcomeTriggered, pdsandbox.OutcomeDeduplicated, pdsandbox.OutcomeAcknowledged, pdsandbox.OutcomeResolved}
	if !reflect.DeepEqual(outcomes, want) {
		t.Errorf("PagerDuty saw %v, want %v", outcomes, want)
	}
}

func TestAccEventActionAppliesKibanasDefaults(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "defaults", `
action "pdbridge_event" "page" {
  config {
    routing_key = var.routing_key
  }
}
`)
	out, ok := f.invoke("pdbridge_event.page")
	if !ok {
		t.Fatal("the action failed")
	}
	events := f.Events()
	if len(events) != 1 {
		t.Fatalf("%d events sent", len(events))
	}
	ev := events[0]
	payload, _ := ev.Event["payload"].(map[string]any)
	want := map[string]any{"summary": "No summary provided.", "severity": "info", "source": "pdbridge"}
	if ev.EventAction != "trigger" || !reflect.DeepEqual(payload, want) {
		t.Errorf("sent %v, want a trigger with payload %v", ev.Event, want)
	}
	// PagerDuty generated the dedup key; the action reports it, and it names the incident.
	msgs := progress(out, "pdbridge_event.page")
	if len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1], fmt.Sprintf("dedup_key %q", ev.DedupKey)) {
		t.Errorf("progress %q does not report dedup key %s", msgs, ev.DedupKey)
	}
	if inc := f.incident(t, ev.DedupKey); inc.Title != "No summary provided." {
		t.Errorf("incident %+v", inc)
	}
}

func TestAccEventActionSendsEveryField(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "fields", `
action "pdbridge_event" "page" {
  config {
    routing_key = var.routing_key
    dedup_key   = "db/replication"
    summary     = "Replication lag"
    source      = "db-02"
    severity    = "warning"
    timestamp   = "2025-06-01T14:00:00+02:00"
    class       = "lag"
    component   = "postgres"
    group       = "db"
    client      = "Grafana"
    client_url  = "https://grafana.example.com/d/db"
    custom_details = {
      build = 42.5
      tags  = ["prod", true]
      host  = { name = "db-02" }
    }
    links  = [{ href = "https://runbooks.example.com/lag", text = "Runbook" }]
    images = [{ src = "https://graphs.example.com/lag.png", alt = "lag" }]
  }
}
`)
	if _, ok := f.invoke("pdbridge_event.page"); !ok {
		t.Fatal("the action failed")
	}
	got := f.Events()[0].Event
	delete(got, "routing_key")
	want := map[string]any{
		"event_action": "trigger", "dedup_key": "db/replication", "client": "Grafana", "client_url": "https://grafana.example.com/d/db",
		"payload": map[string]any{
			"summary": "Replication lag", "source": "db-02", "severity": "warning", "timestamp": "2025-06-01T12:00:00Z",
			"class": "lag", "component": "postgres", "group": "db",
			"custom_details": map[string]any{"build": 42.5, "tags": []any{"prod", true}, "host": map[string]any{"name": "db-02"}},
		},
		"links":  []any{map[string]any{"href": "https://runbooks.example.com/lag", "text": "Runbook"}},
		"images": []any{map[string]any{"src": "https://graphs.example.com/lag.png", "alt": "lag"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PagerDuty received\n%v\nwant\n%v", got, want)
	}
}

func TestEventActionRejectsBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "rules")
	p := configuredActions(t, sb, nil)
	typ := p.actionType("pdbridge_event")
	cases := []struct {
		name  string
		attrs map[string]tftypes.Value
		at    []any
		want  string
	}{
		{"unknown event action", map[string]tftypes.Value{"event_action": tfString("escalate")}, []any{"event_action"}, "Invalid Event Action"},
		{"acknowledge without dedup key", map[string]tftypes.Value{"event_action": tfString("acknowledge")}, []any{"dedup_key"}, "Missing Dedup Key"},
		{"resolve without dedup key", map[string]tftypes.Value{"event_action": tfString("resolve")}, []any{"dedup_key"}, "Missing Dedup Key"},
		{"dedup key over 255", map[string]tftypes.Value{"dedup_key": tfString(strings.Repeat("k", 256))}, []any{"dedup_key"}, "Dedup Key Too Long"},
		{"summary over 1024", map[string]tftypes.Value{"summary": tfString(strings.Repeat("s", 1025))}, []any{"summary"}, "Summary Too Long"},
		{"unknown severity", map[string]tftypes.Value{"severity": tfString("fatal")}, []any{"severity"}, "Invalid Severity"},
		{"timestamp not ISO 8601", map[string]tftypes.Value{"timestamp": tfString("last tuesday")}, []any{"timestamp"}, "Invalid Timestamp"},
		{"timestamp without zone", map[string]tftypes.Value{"timestamp": tfString("2025-06-01T12:00:00")}, []any{"timestamp"}, "Invalid Timestamp"},
		{"custom details not an object", map[string]tftypes.Value{"custom_details": tfString("disk full")}, []any{"custom_details"}, "Invalid Custom Details"},
		{"empty link", map[string]tftypes.Value{"links": tfObjectList(typ, "links", map[string]tftypes.Value{"href": tfString("")})}, []any{"links", 0, "href"}, "Missing Link"},
		{"image over http", map[string]tftypes.Value{"images": tfObjectList(typ, "images", map[string]tftypes.Value{"src": tfString("http://graphs.example.com/a.png")})}, []any{"images", 0, "src"}, "Invalid Image Source"},
		{"relative client url", map[string]tftypes.Value{"client_url": tfString("/d/db")}, []any{"client_url"}, "Invalid Client URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.attrs["routing_key"] = tfString(key)
			// Refused at validation: Terraform never plans, let alone invokes.
			if d := errorDiagAt(t, p.validate("pdbridge_event", c.attrs), c.at...); d.Summary != c.want {
				t.Errorf("error %q, want %q", d.Summary, c.want)
			}
		})
	}
	if n := sb.Faults().Count(enqueueRoute); n != 0 {
		t.Errorf("%d events reached PagerDuty", n)
	}
}

func TestEventActionChecksValuesKnownOnlyAtPlan(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "late")
	p := configuredActions(t, sb, nil)
	// At validation the summary comes from a resource not created yet: nothing to check.
	if diags := p.validate("pdbridge_event", map[string]tftypes.Value{"routing_key": tfString(key), "summary": tfUnknownString()}); hasErrorDiag(diags) {
		t.Fatalf("an unknown summary was refused: %s", describeDiags(diags))
	}
	// At plan it is known, and too long.
	pl, err := p.actions.PlanAction(context.Background(), &tfprotov6.PlanActionRequest{ActionType: "pdbridge_event",
		Config: p.actionConfig("pdbridge_event", map[string]tftypes.Value{"routing_key": tfString(key), "summary": tfString(strings.Repeat("s", 2000))})})
	if err != nil {
		t.Fatal(err)
	}
	if d := errorDiagAt(t, pl.Diagnostics, "summary"); d.Summary != "Summary Too Long" {
		t.Errorf("plan error %q", d.Summary)
	}
}

func TestAccEventActionWarnsAboutFieldsAnAcknowledgeIgnores(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "warn", `
action "pdbridge_event" "page" {
  config {
    routing_key  = var.routing_key
    event_action = "acknowledge"
    dedup_key    = "k"
    severity     = "critical"
  }
}
`)
	out, ok := f.invoke("pdbridge_event.page")
	if !ok {
		t.Fatal("the acknowledge failed")
	}
	// One warning, on severity, shown once although Terraform validates and plans.
	if n := len(regexp.MustCompile(`(?m)^Warning: `).FindAllString(out, -1)); n != 1 || !regexp.MustCompile(`Warning: Field Ignored\n\n.*\n.*\n.*severity\s+= "critical"`).MatchString(out) {
		t.Errorf("want one warning on severity, got %d in:\n%s", n, out)
	}
	if got := f.Events()[0]; got.Outcome != pdsandbox.OutcomeIgnored || got.Event["payload"] != nil {
		t.Errorf("acknowledge of nothing: outcome %s, event %v", got.Outcome, got.Event)
	}
}

func TestAccEventActionRetriesAThrottledEventAfterTheReset(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "throttled", `
action "pdbridge_event" "page" {
  config {
    routing_key = var.routing_key
    dedup_key   = "throttled"
    summary     = "Throttled once"
  }
}
`)
	f.Faults().Set(fault.Faults{RoutePrefix: enqueueRoute, RateLimit: 1, RateLimitReset: time.Second})
	if _, ok := f.invoke("pdbridge_event.page"); !ok {
		t.Fatal("the throttled event failed")
	}
	if n := f.Faults().Count(enqueueRoute); n != 2 {
		t.Errorf("%d requests, want the 429 and one retry", n)
	}
	if at := f.arrivedAt(enqueueRoute); len(at) != 2 || at[1].Sub(at[0]) < time.Second {
		t.Errorf("requests at %v: want the retry at least the announced 1s after the 429", at)
	}
	if inc := f.incident(t, "throttled"); inc.Status != "triggered" {
		t.Errorf("incident %+v", inc)
	}
}

func TestAccEventActionReportsPagerDutysRefusal(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	tf := newTerraformCLI(t, "1.14.0", sb.invokeConfig(`
action "pdbridge_event" "page" {
  config {
    routing_key = var.routing_key
  }
}
`))
	badKey := strings.Repeat("0", 32)
	out, ok := tf.invoke("pdbridge_event.page", "-var", "routing_key="+badKey)
	if ok {
		t.Fatal("an event PagerDuty refused was reported as sent")
	}
	// Terraform wraps what the action reports in an error of its own.
	if n := len(regexp.MustCompile(`(?m)^Error: `).FindAllString(out, -1)); n != 1 ||
		!regexp.MustCompile(`Error: Error when invoking action\s+PagerDuty Rejected the Event: PagerDuty refused[\s\S]*400\s+\(invalid event\): Event object is\s+invalid: Invalid\s+routing\s+key`).MatchString(out) {
		t.Errorf("want one error with PagerDuty's reason, got %d in:\n%s", n, out)
	}
	if strings.Contains(out, badKey) {
		t.Error("Terraform's output shows the routing key")
	}
}

func TestEventsToAHostNotInAllowedHostsAreRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	hosts := func(hs ...string) map[string]tftypes.Value {
		var vals []tftypes.Value
		for _, h := range hs {
			vals = append(vals, tfString(h))
		}
		return map[string]tftypes.Value{"allowed_hosts": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, vals)}
	}

	// events_url (the sandbox, 127.0.0.1) is not allowed: refused when the provider is validated.
	_, diags := newActionProtocol(t, sb, hosts("events.pagerduty.com"))
	d := errorDiagAt(t, diags, "events_url")
	if d.Summary != "Events URL Not Allowed" || !strings.Contains(d.Detail, `host "127.0.0.1" is not in allowed_hosts (events.pagerduty.com)`) {
		t.Errorf("diagnostic %s: %s", d.Summary, d.Detail)
	}

	// No events_url: the region's host, events.pagerduty.com, is checked once configured.
	extra := hosts("127.0.0.1")
	extra["events_url"] = tftypes.NewValue(tftypes.String, nil)
	_, diags = newActionProtocol(t, sb, extra)
	if d := errorDiagAt(t, diags, "allowed_hosts"); !strings.Contains(d.Detail, `host "events.pagerduty.com" is not in allowed_hosts`) {
		t.Errorf("diagnostic %s: %s", d.Summary, d.Detail)
	}

	// Malformed entries are named.
	_, diags = newActionProtocol(t, sb, hosts("127.0.0.1", "https://events.pagerduty.com"))
	if d := errorDiagAt(t, diags, "allowed_hosts", 1); d.Summary != "Invalid Allowed Host" {
		t.Errorf("diagnostic %s: %s", d.Summary, d.Detail)
	}

	if n := sb.Faults().Count(enqueueRoute); n != 0 {
		t.Fatalf("%d events were sent to a host not allowed", n)
	}
}

func TestAccEventActionSendsToAHostInAllowedHosts(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "allowed")
	tf := newTerraformCLI(t, "1.14.0", strings.Replace(sb.invokeConfig(`
action "pdbridge_event" "page" {
  config {
    routing_key = var.routing_key
  }
}
`), `provider "pdbridge" {`, `provider "pdbridge" {
  allowed_hosts = ["events.pagerduty.com", "127.0.0.1"]`, 1))
	if _, ok := tf.invoke("pdbridge_event.page", "-var", "routing_key="+key); !ok {
		t.Fatal("an allowed host was refused")
	}
	if n := sb.Faults().Count(enqueueRoute); n != 1 {
		t.Errorf("%d events sent, want 1", n)
	}
}

func TestEventActionSchema(t *testing.T) {
	t.Parallel()
	resp := providerSchema(t)
	s, ok := resp.ActionSchemas["pdbridge_event"]
	if !ok {
		t.Fatal("no pdbridge_event action")
	}
	attrs := s.Schema.Block.Attributes
	rk := attrs[indexOf(t, attrs, "routing_key")]
	if !rk.Required {
		t.Error("routing_key is optional")
	}
	for _, a := range attrs {
		if a.Name != "routing_key" && a.Required {
			t.Errorf("%s is required; every other field has Kibana's default or is optional", a.Name)
		}
	}
}

// With Terraform 1.14 or later, the action runs from a resource's action_trigger.
func TestAccEventActionFromActionTrigger(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	_, key := sb.routingKey(t, "trigger")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: sb.providerConfig() + fmt.Sprintf(`
resource "terraform_data" "release" {
  input = "v1"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.pdbridge_event.page]
    }
  }
}

action "pdbridge_event" "page" {
  config {
    routing_key = %q
    dedup_key   = "release/v1"
    summary     = "Release v1 needs attention"
    severity    = "warning"
  }
}
`, key),
			Check: func(*terraform.State) error {
				if err := settle(sb.Server); err != nil {
					return err
				}
				list, err := sb.Client.ListIncidents(context.Background(), pagerduty.IncidentFilter{IncidentKey: "release/v1", AllDates: true})
				if err != nil || len(list) != 1 || list[0].Title != "Release v1 needs attention" {
					return fmt.Errorf("incidents %+v, %v", list, err)
				}
				return nil
			},
		}},
	})
}

// The routing key never appears in what Terraform shows of the action.
func TestAccEventActionNeverShowsTheRoutingKey(t *testing.T) {
	t.Parallel()
	f := newInvokeFixture(t, "secret", `
action "pdbridge_event" "page" {
  config {
    routing_key = var.routing_key
    summary     = "s"
  }
}
`)
	out, ok := f.invoke("pdbridge_event.page")
	// Only a run that sent the event and reported on it proves anything.
	if !ok || len(progress(out, "pdbridge_event.page")) == 0 || len(f.Events()) != 1 {
		t.Fatalf("the action did not send and report (%d events):\n%s", len(f.Events()), out)
	}
	if strings.Contains(out, f.key) {
		t.Errorf("Terraform's output shows the routing key:\n%s", out)
	}
}
