// Command planbench measures what a Terraform run of many pdbridge_connector
// resources costs in PagerDuty calls, with the real Terraform CLI against the
// PagerDuty sandbox: the provider is served in this process (as
// terraform-plugin-testing does) and Terraform attaches to it, so the figures
// are what a user's plan or apply makes.
//
// It is a benchmark run by hand, not part of CI: the apply scenario runs at
// PagerDuty's rate limit and takes minutes by design.
//
//	go run ./tools/planbench -scenario plan -connectors 200 -services 20
//	go run ./tools/planbench -scenario plan -connectors 2000 -services 100
//	go run ./tools/planbench -scenario apply -connectors 2000 -services 100
//	go run ./tools/planbench -scenario burst -connectors 2000 -services 100
//
// plan: the connectors are applied (setup, not measured), then one
// `terraform plan` is measured. apply: the sandbox enforces PagerDuty's 960
// requests per minute with 429s (as PagerDuty answers past its limit), and
// the `terraform apply` that creates every connector is measured, then the
// `terraform plan` that follows it, within the same rate-limit windows.
// burst: no Terraform; pdbridge's PagerDuty client reads a service once per
// connector from ten goroutines (Terraform's parallelism), as fast as it
// may, against the enforced limit: the pacing alone, at a rate a slow
// machine's Terraform does not reach.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/provider"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
)

const (
	providerAddress = "registry.terraform.io/pdbridge/pdbridge"
	token           = "planbench-token"
	// PagerDuty's documented REST limit per token (REST API docs, Rate Limits).
	pagerDutyLimit = 960
)

func main() {
	scenario := flag.String("scenario", "plan", "plan (cost of one plan over existing connectors), apply (creating them under an enforced rate limit) or burst (client reads as fast as allowed under the limit)")
	connectors := flag.Int("connectors", 200, "number of pdbridge_connector resources")
	services := flag.Int("services", 20, "number of PagerDuty services they are spread over")
	kind := flag.String("source-kind", "zenoss", "source_kind of every connector")
	tf := flag.String("terraform", os.Getenv("TF_ACC_TERRAFORM_PATH"), "terraform CLI (default: TF_ACC_TERRAFORM_PATH, else terraform on PATH)")
	timeout := flag.Duration("timeout", 30*time.Minute, "bound on the whole run")
	flag.Parse()
	if *connectors < 1 || *services < 1 || *services > *connectors {
		log.Fatal("need 1 <= services <= connectors")
	}
	if *tf == "" {
		*tf = "terraform"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *scenario, *tf, *connectors, *services, *kind); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, scenario, tf string, connectors, services int, kind string) error {
	limit := 0
	switch scenario {
	case "plan":
	case "apply", "burst":
		limit = pagerDutyLimit
	default:
		return fmt.Errorf("unknown scenario %q", scenario)
	}
	sb := pdsandbox.New(pdsandbox.Options{Token: token, RateLimitPerMinute: limit})
	statuses := &statusCounter{counts: map[int]int{}}
	srv := httptest.NewServer(statuses.wrap(sb)) // loopback only
	defer srv.Close()

	ids, err := createServices(ctx, srv.URL, sb, services)
	if err != nil {
		return err
	}
	if scenario == "burst" {
		sb.Faults().ResetCounts()
		statuses.reset()
		start := time.Now()
		err := burst(ctx, srv.URL, ids, connectors)
		report(fmt.Sprintf("burst of service reads (sandbox enforcing %d requests/minute)", limit), connectors, services, "-", time.Since(start), sb.Faults().Counts(), statuses.snapshot())
		return err
	}
	work, err := os.MkdirTemp("", "planbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := writeConfig(work, srv.URL, ids, connectors, kind); err != nil {
		return err
	}
	reattach, stop, err := serveProvider(ctx)
	if err != nil {
		return err
	}
	defer stop()
	cli := terraform{bin: tf, dir: work, env: append(os.Environ(),
		"TF_REATTACH_PROVIDERS="+reattach, "TF_CLI_CONFIG_FILE="+filepath.Join(work, "empty.tfrc"), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")}
	if err := os.WriteFile(filepath.Join(work, "empty.tfrc"), nil, 0o600); err != nil {
		return err
	}
	if err := cli.run(ctx, "init", "-input=false", "-no-color"); err != nil {
		return err
	}

	if scenario == "plan" {
		if err := cli.run(ctx, "apply", "-input=false", "-no-color", "-auto-approve"); err != nil {
			return fmt.Errorf("setup apply: %w", err)
		}
	}
	measure := func(what string, args ...string) error {
		sb.Faults().ResetCounts()
		statuses.reset()
		start := time.Now()
		err := cli.run(ctx, args...)
		report(what, connectors, services, kind, time.Since(start), sb.Faults().Counts(), statuses.snapshot())
		return err
	}
	plan := []string{"plan", "-input=false", "-no-color", "-detailed-exitcode"}
	if scenario == "plan" {
		return measure("plan", plan...)
	}
	if err := measure(fmt.Sprintf("apply (sandbox enforcing %d requests/minute)", limit), "apply", "-input=false", "-no-color", "-auto-approve"); err != nil {
		return err
	}
	return measure(fmt.Sprintf("plan after that apply (sandbox enforcing %d requests/minute)", limit), plan...)
}

// createServices makes the services the connectors go on, through the
// sandbox's API (setup, not measured).
func createServices(ctx context.Context, url string, sb *pdsandbox.Server, n int) ([]string, error) {
	c, err := pagerduty.New(pagerduty.Config{Token: token, UserEmail: sb.DefaultUserEmail(), APIURL: url, EventsURL: url, RequestsPerMinute: pagerduty.DefaultRequestsPerMinute})
	if err != nil {
		return nil, err
	}
	ids := make([]string, n)
	for i := range ids {
		s, err := c.CreateService(ctx, fmt.Sprintf("bench service %03d", i), "planbench", sb.DefaultEscalationPolicyID())
		if err != nil {
			return nil, err
		}
		ids[i] = s.ID
	}
	return ids, nil
}

// burst reads services n times from ten goroutines, with the client's
// default retries (a 429 waits for its reset).
func burst(ctx context.Context, url string, services []string, n int) error {
	c, err := pagerduty.New(pagerduty.Config{Token: token, APIURL: url, EventsURL: url, RequestsPerMinute: pagerduty.DefaultRequestsPerMinute})
	if err != nil {
		return err
	}
	jobs := make(chan string)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				if _, err := c.GetService(ctx, id); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range n {
			select {
			case jobs <- services[i%len(services)]:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	return firstErr
}

func writeConfig(dir, url string, services []string, connectors int, kind string) error {
	quoted := make([]string, len(services))
	for i, s := range services {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	config := fmt.Sprintf(`terraform {
  required_providers {
    pdbridge = { source = "pdbridge/pdbridge" }
  }
}

provider "pdbridge" {
  token      = %q
  user_email = "sandbox-admin@example.com"
  api_url    = %q
  events_url = %q
}

locals {
  services = [%s]
}

resource "pdbridge_connector" "c" {
  count       = %d
  name        = "bench connector ${count.index}"
  service_id  = local.services[count.index %% length(local.services)]
  source_kind = %q
}
`, token, url, url, strings.Join(quoted, ", "), connectors, kind)
	return os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600)
}

// serveProvider serves the provider in this process and returns the
// TF_REATTACH_PROVIDERS value that points Terraform at it.
func serveProvider(ctx context.Context) (string, func(), error) {
	// The SDK logs every RPC at trace level in debug mode; keep the
	// provider's own warnings (retries) only.
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
		_ = os.Setenv(v, "OFF")
	}
	_ = os.Setenv("TF_LOG_PROVIDER_PDBRIDGE", "WARN")
	ctx, cancel := context.WithCancel(ctx)
	configCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	errCh := make(chan error, 1)
	go func() {
		errCh <- tf6server.Serve(providerAddress, providerserver.NewProtocol6(provider.New("planbench")()),
			tf6server.WithDebug(ctx, configCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithoutLogStderrOverride())
	}()
	select {
	case cfg := <-configCh:
		b, err := json.Marshal(map[string]any{providerAddress: map[string]any{
			"Protocol": string(cfg.Protocol), "ProtocolVersion": cfg.ProtocolVersion, "Pid": cfg.Pid, "Test": true,
			"Addr": map[string]string{"Network": cfg.Addr.Network(), "String": cfg.Addr.String()},
		}})
		if err != nil {
			cancel()
			return "", nil, err
		}
		return string(b), func() { cancel(); <-closeCh }, nil
	case err := <-errCh:
		cancel()
		return "", nil, fmt.Errorf("serving the provider: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		return "", nil, fmt.Errorf("the provider did not start within 30s")
	}
}

type terraform struct {
	bin, dir string
	env      []string
}

func (t terraform) run(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, t.bin, args...)
	cmd.Dir, cmd.Env = t.dir, t.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		// plan -detailed-exitcode: 2 means changes, which is a result, not a failure.
		if ee, ok := err.(*exec.ExitError); ok && args[0] == "plan" && ee.ExitCode() == 2 {
			fmt.Printf("terraform plan: changes pending (%s)\n", lastLine(out))
			return nil
		}
		return fmt.Errorf("terraform %s: %v\n%s", args[0], err, tail(out, 40))
	}
	fmt.Printf("terraform %s: %s\n", args[0], lastLine(out))
	return nil
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// statusCounter counts the sandbox's responses by status, to tell 429s from
// the rest (the sandbox's own counts are per route).
type statusCounter struct {
	mu     sync.Mutex
	counts map[int]int
}

func (s *statusCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if !strings.HasPrefix(r.URL.Path, "/_sandbox/") && !strings.HasPrefix(r.URL.Path, "/v2/") {
			s.mu.Lock()
			s.counts[rec.status]++
			s.mu.Unlock()
		}
	})
}

func (s *statusCounter) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[int]int{}
}

func (s *statusCounter) snapshot() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func report(what string, connectors, services int, kind string, elapsed time.Duration, routes map[string]int, statuses map[int]int) {
	total := 0
	for _, n := range statuses {
		total += n
	}
	fmt.Printf("\n%s: %d connectors (source_kind %s) on %d services, in %s\n", what, connectors, kind, services, elapsed.Round(time.Second))
	fmt.Printf("PagerDuty REST calls: %d (%.2f per connector, %.2f per service); 429s received: %d\n",
		total, float64(total)/float64(connectors), float64(total)/float64(services), statuses[http.StatusTooManyRequests])
	var keys []string
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  %6d  %s\n", routes[k], k)
	}
	var codes []int
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Printf("  status %d: %d\n", c, statuses[c])
	}
}
