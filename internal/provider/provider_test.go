package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
)

const (
	testToken = "sandbox-token"
	testEmail = "sandbox-admin@example.com"
)

// testAccProtoV6ProviderFactories runs the provider in-process.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"pdbridge": providerserver.NewProtocol6WithError(New("test")()),
}

// testAccPreCheck runs before plugin-testing looks for Terraform: without a
// CLI it would try a download and then os.Exit the whole test binary.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC_TERRAFORM_PATH") != "" {
		return
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("SKIPPING ACCEPTANCE TEST: terraform CLI not found on PATH (install it or set TF_ACC_TERRAFORM_PATH)")
	}
}

// sandbox is a PagerDuty sandbox started for one test, with a client on it.
type sandbox struct {
	*pdsandbox.Server
	URL    string
	Client *pagerduty.Client

	mu       sync.Mutex
	arrivals map[string][]time.Time // by "METHOD /path"
}

// testEventDelay is how long the sandbox takes to apply an event after its
// 202: PagerDuty's Events API is asynchronous, so tests must not read
// PagerDuty right after sending one without waiting (see incident, Events).
const testEventDelay = 50 * time.Millisecond

func startSandbox(t *testing.T) *sandbox {
	t.Helper()
	s := &sandbox{Server: pdsandbox.New(pdsandbox.Options{Token: testToken, EventDelay: testEventDelay}), arrivals: map[string][]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		route := r.Method + " " + r.URL.Path
		s.arrivals[route] = append(s.arrivals[route], time.Now())
		s.mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := pagerduty.New(pagerduty.Config{
		Token: testToken, UserEmail: testEmail, APIURL: srv.URL, EventsURL: srv.URL,
		Retry: httpretry.Policy{MaxRetries: 2, MinWait: 5 * time.Millisecond, MaxWait: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.URL, s.Client = srv.URL, c
	return s
}

// arrivedAt says when each request to route ("METHOD /path") reached the
// sandbox, refused ones (such as an injected 429) included.
func (s *sandbox) arrivedAt(route string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.arrivals[route])
}

// settle waits until every event sent so far has taken effect.
func settle(s *pdsandbox.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Settle(ctx)
}

// Events returns what PagerDuty did with each event, once every event sent
// so far has taken effect (a timeout leaves some "queued", which the
// caller's assertions then report).
func (s *sandbox) Events() []pdsandbox.EventRecord {
	_ = settle(s.Server)
	return s.Server.Events()
}

// service creates a service in the sandbox through its API.
func (s *sandbox) service(t *testing.T, name string) *pagerduty.Service {
	t.Helper()
	svc, err := s.Client.CreateService(context.Background(), name, "created by a test", s.DefaultEscalationPolicyID())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// providerConfig is the provider block aimed at the sandbox, with fast retries.
func (s *sandbox) providerConfig() string { return providerBlock(s.URL, "") }

// providerBlock is the provider aimed at a PagerDuty sandbox at pdURL, with
// fast retries and sources (the HCL between the braces of the sources map).
func providerBlock(pdURL, sources string) string {
	if sources != "" {
		sources = "  sources = {\n" + sources + "\n  }\n"
	}
	return fmt.Sprintf(`
provider "pdbridge" {
  token      = %[2]q
  user_email = %[3]q
  api_url    = %[1]q
  events_url = %[1]q
  retry = {
    max_retries = 2
    min_delay   = "10ms"
    max_delay   = "50ms"
  }
%[4]s}
`, pdURL, testToken, testEmail, sources)
}

func TestAccProviderConfigRejectsBadValuesAtPlan(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "checks")
	body := func(provider string) string {
		return provider + fmt.Sprintf(`
data "pdbridge_service" "s" {
  id = %q
}`, svc.ID)
	}
	withSources := func(sources string) string {
		return body(fmt.Sprintf(`
provider "pdbridge" {
  token      = %q
  user_email = %q
  api_url    = %q
  events_url = %q
  sources    = %s
}`, testToken, testEmail, sb.URL, sb.URL, sources))
	}
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{"unknown kind", withSources(`{ z = { kind = "nagios", url = "https://z.example.com" } }`), `(?s)Unknown Source Kind.*sources\["z"\]\.kind: Kind "nagios"`},
		{"malformed url", withSources(`{ z = { kind = "alertmanager", url = "am.example.com:9093" } }`), `(?s)Invalid Source URL.*sources\["z"\]\.url: .*has no scheme`},
		{"plain http to a remote host", withSources(`{ z = { kind = "alertmanager", url = "http://am.example.com:9093" } }`), `(?s)Invalid Source URL.*sources\["z"\]\.url: .*not a\s+loopback\s+address`},
		{"zenoss without credentials", withSources(`{ z = { kind = "zenoss", url = "https://z.example.com" } }`), `(?s)Missing Zenoss Credentials.*sources\["z"\]\.username:`},
		{"zenoss with both credentials", withSources(`{ z = { kind = "zenoss", url = "https://z.example.com", username = "u", password = "p", api_key = "k" } }`), `(?s)Conflicting Zenoss Credentials.*sources\["z"\]\.api_key:`},
		{"bad timeout", withSources(`{ z = { kind = "alertmanager", url = "https://am.example.com", timeout = "soon" } }`), `(?s)Invalid Duration.*sources\["z"\]\.timeout: "soon" is not a duration`},
		{"bad time zone", withSources(`{ z = { kind = "alertmanager", url = "https://am.example.com", time_zone = "Mars/Olympus" } }`), `(?s)Unknown Time Zone.*sources\["z"\]\.time_zone: "Mars/Olympus"`},
		{"unknown zenoss version", withSources(`{ z = { kind = "zenoss", url = "https://z.example.com", username = "u", password = "p", version = 3 } }`), `(?s)Unknown Zenoss Version.*sources\["z"\]\.version: Version 3`},
		{"version on alertmanager", withSources(`{ z = { kind = "alertmanager", url = "https://am.example.com", version = 5 } }`), `(?s)Zenoss Setting.*sources\["z"\]\.version: version is for Zenoss`},
		{"bad ca bundle", withSources(`{ z = { kind = "alertmanager", url = "https://am.example.com", ca_bundle = "not pem" } }`), `(?s)Invalid CA Bundle.*sources\["z"\]\.ca_bundle:`},
		{"bad api url", body(`provider "pdbridge" {
  token   = "t"
  api_url = "http://api.example.com"
}`), `(?s)Invalid PagerDuty URL.*api_url: .*plain http`},
		{"bad email", body(fmt.Sprintf(`provider "pdbridge" {
  token      = "t"
  user_email = "bridge"
  api_url    = %q
}`, sb.URL)), `(?s)Invalid User Email.*user_email: "bridge" is not an email`},
		{"bad region", body(`provider "pdbridge" {
  token          = "t"
  service_region = "apac"
}`), `(?s)service_region.*value must be one of`},
		{"bad retry", body(fmt.Sprintf(`provider "pdbridge" {
  token   = "t"
  api_url = %q
  retry   = { max_retries = 50, min_delay = "1s", max_delay = "10ms" }
}`, sb.URL)), `(?s)retry.max_retries.*between 0 and 10`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			resource.UnitTest(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile(c.want)}},
			})
		})
	}
}

func TestAccProviderAcceptsOptInsAndLoopbackHTTP(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "opt-ins")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "pdbridge" {
  token      = %q
  user_email = %q
  api_url    = %q
  events_url = %q
  sources = {
    zenoss_prod = { kind = "zenoss", url = "https://zenoss.example.com/cz0", api_key = "k" }
    lab_am      = { kind = "alertmanager", url = "http://alertmanager.lab:9093", allow_insecure_http = true }
    icinga      = { kind = "icinga2", url = "https://127.0.0.1:5665", username = "u", password = "p", insecure_skip_verify = true, timeout = "5s" }
  }
}
data "pdbridge_service" "s" {
  id = %q
}`, testToken, testEmail, sb.URL, sb.URL, svc.ID),
		}},
	})
}

func TestAccProviderWithoutTokenExplainsWhy(t *testing.T) {
	t.Setenv("PAGERDUTY_TOKEN", "")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `data "pdbridge_service" "s" { id = "PSVC1" }`,
			ExpectError: regexp.MustCompile(`(?s)PagerDuty Not Configured.*PAGERDUTY_TOKEN`),
		}},
	})
}

func TestSecretsAreSensitive(t *testing.T) {
	t.Parallel()
	resp := providerSchema(t)
	for _, attr := range []string{"token"} {
		if !resp.Provider.Block.Attributes[indexOf(t, resp.Provider.Block.Attributes, attr)].Sensitive {
			t.Errorf("provider attribute %s is not sensitive", attr)
		}
	}
	sources := resp.Provider.Block.Attributes[indexOf(t, resp.Provider.Block.Attributes, "sources")]
	for _, a := range sources.NestedType.Attributes {
		want := a.Name == "password" || a.Name == "api_key"
		if a.Sensitive != want {
			t.Errorf("sources.%s sensitive = %v, want %v", a.Name, a.Sensitive, want)
		}
	}
	conn := resp.ResourceSchemas["pdbridge_connector"].Block.Attributes
	if !conn[indexOf(t, conn, "integration_key")].Sensitive {
		t.Error("pdbridge_connector.integration_key is not sensitive")
	}
}

func providerSchema(t *testing.T) *tfprotov6.GetProviderSchemaResponse {
	t.Helper()
	srv, err := testAccProtoV6ProviderFactories["pdbridge"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("schema: %v %v", err, resp.Diagnostics)
	}
	return resp
}

func indexOf(t *testing.T, attrs []*tfprotov6.SchemaAttribute, name string) int {
	t.Helper()
	for i, a := range attrs {
		if a.Name == name {
			return i
		}
	}
	t.Fatalf("no attribute %s", name)
	return -1
}

// Provider settings computed by another resource are unknown at plan: the
// provider must neither crash on them nor fall back to PagerDuty's
// production endpoints, and an apply (where they are known) must work.
func TestAccProviderSettingsKnownOnlyAtApply(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "late")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{ // a data source read at plan time says why it cannot reach PagerDuty yet
				Config: fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %[1]q
}
provider "pdbridge" {
  token      = %[2]q
  user_email = %[3]q
  api_url    = terraform_data.endpoint.output
  events_url = terraform_data.endpoint.output
}
data "pdbridge_service" "s" {
  id = %[4]q
}`, sb.URL, testToken, testEmail, svc.ID),
				ExpectError: regexp.MustCompile(`(?s)PagerDuty Not Configured.*api_url, events_url are not\s+known until apply`),
			},
			{ // whole maps and objects unknown at plan; the connector is created at apply
				Config: fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %[1]q
}
resource "terraform_data" "sources" {
  input = { am = { kind = "alertmanager", url = "http://127.0.0.1:9093" } }
}
resource "terraform_data" "retry" {
  input = { max_retries = 1, min_delay = "10ms", max_delay = "20ms" }
}
provider "pdbridge" {
  token      = %[2]q
  user_email = %[3]q
  api_url    = terraform_data.endpoint.output
  events_url = terraform_data.endpoint.output
  sources    = terraform_data.sources.output
  retry      = terraform_data.retry.output
}
resource "pdbridge_connector" "k" {
  name        = "Kibana"
  service_id  = %[4]q
  source_kind = "kibana"
}`, sb.URL, testToken, testEmail, svc.ID),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("pdbridge_connector.k", "kibana.api_url", sb.URL+"/v2/enqueue"),
					resource.TestCheckResourceAttrSet("pdbridge_connector.k", "integration_key"),
				),
			},
		},
	})
}

// Values known only at apply (from another resource) are checked by the same
// rules once known, before anything is created.
func TestAccProviderChecksValuesKnownOnlyAtApply(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	svc := sb.service(t, "late checks")
	config := func(timeout, timeZone string) string {
		return fmt.Sprintf(`
resource "terraform_data" "late" {
  input = { timeout = %[5]q, sources = { am = { kind = "alertmanager", url = "https://am.example.com", time_zone = %[6]q } } }
}
provider "pdbridge" {
  token           = %[2]q
  user_email      = %[3]q
  api_url         = %[1]q
  events_url      = %[1]q
  request_timeout = terraform_data.late.output.timeout
  sources         = terraform_data.late.output.sources
}
resource "pdbridge_connector" "c" {
  name        = "late"
  service_id  = %[4]q
  source_kind = "alertmanager"
}`, sb.URL, testToken, testEmail, svc.ID, timeout, timeZone)
	}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("soon", "UTC"), ExpectError: regexp.MustCompile(`(?s)Invalid Duration.*request_timeout: "soon" is not a duration`)},
			{Config: config("5s", "Mars/Olympus"), ExpectError: regexp.MustCompile(`(?s)Unknown Time Zone.*sources\["am"\]\.time_zone: "Mars/Olympus"`)},
		},
	})
	if n := sb.Faults().Count("POST /services/{id}/integrations"); n != 0 {
		t.Errorf("%d integrations created by a provider with bad settings", n)
	}
}

// Validation never sees the environment's defaults: Configure checks them.
func TestAccProviderChecksTheEmailFromTheEnvironment(t *testing.T) {
	sb := startSandbox(t)
	svc := sb.service(t, "env email")
	t.Setenv("PAGERDUTY_USER_EMAIL", "bridge")
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "pdbridge" {
  token   = %q
  api_url = %q
}
data "pdbridge_service" "s" {
  id = %q
}`, testToken, sb.URL, svc.ID),
			ExpectError: regexp.MustCompile(`(?s)Invalid User Email.*user_email: "bridge" is not an email`),
		}},
	})
}

// Every object gets the provider's clock with its data, so that what reasons
// about "now" can be tested with a fake one.
func TestProviderHandsItsClockToEveryObject(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	p := newWithClock("test", fake)()
	ctx := context.Background()
	var s provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &s)
	typ := s.Schema.Type().TerraformType(ctx)
	config := tfObject(mustType[tftypes.Object](typ), map[string]tftypes.Value{"token": tfString(testToken), "api_url": tfString("http://127.0.0.1:1")})
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Schema: s.Schema, Raw: config}}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("configure: %v", resp.Diagnostics)
	}
	for name, data := range map[string]any{"resources": resp.ResourceData, "data sources": resp.DataSourceData,
		"ephemeral resources": resp.EphemeralResourceData, "actions": resp.ActionData} {
		d, ok := data.(*providerData)
		if !ok {
			t.Fatalf("%s got %T", name, data)
		}
		if d.clock != fake {
			t.Errorf("%s got clock %v, not the provider's", name, d.clock)
		}
	}
	if released, ok := New("test")().(*PdbridgeProvider); !ok || released.clock != clock.System {
		t.Errorf("a released provider (%T) does not take the system's clock", released)
	}
}
