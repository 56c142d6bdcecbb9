package provider

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
)

// terraformCLI is the real Terraform CLI in a working directory of its own,
// with this provider served from the test process and reattached, as
// plugin-testing does for ProtoV6ProviderFactories. plugin-testing has no
// step for `terraform apply -invoke`, so the tests that need it drive the CLI
// themselves.
type terraformCLI struct {
	t       *testing.T
	bin     string
	dir     string
	env     []string
	version *version.Version
}

// providerAddress is where Terraform looks for "pdbridge" when the
// configuration has no required_providers block.
const providerAddress = "registry.terraform.io/hashicorp/pdbridge"

// cliTimeout bounds every Terraform command.
const cliTimeout = 2 * time.Minute

// newTerraformCLI finds Terraform as plugin-testing does (TF_ACC_TERRAFORM_PATH,
// else PATH), skips loudly when it is missing or older than minVersion, starts
// the provider and writes config as main.tf in a fresh directory.
func newTerraformCLI(t *testing.T, minVersion, config string) *terraformCLI {
	t.Helper()
	c := startTerraformCLI(t, minVersion, clock.System)
	c.init(config)
	return c
}

// startTerraformCLI is newTerraformCLI before any configuration: the
// provider it serves reads clk, and the caller may ask the version (atLeast)
// before writing a configuration with init.
func startTerraformCLI(t *testing.T, minVersion string, clk clock.Clock) *terraformCLI {
	t.Helper()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("SKIPPING ACCEPTANCE TEST: terraform CLI not found on PATH (install it or set TF_ACC_TERRAFORM_PATH)")
		}
	}
	dir := t.TempDir() // each test its own: state written by 1.14 is refused by 1.11
	cliConfig := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil { // private and empty: never the user's own
		t.Fatal(err)
	}
	c := &terraformCLI{t: t, bin: bin, dir: dir, env: append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")}

	out, err := c.exec("version", "-json")
	if err != nil {
		t.Fatalf("terraform version: %v\n%s", err, out)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("terraform version -json: %v\n%s", err, out)
	}
	if c.version, err = version.NewVersion(v.Version); err != nil {
		t.Fatal(err)
	}
	if !c.atLeast(minVersion) {
		t.Skipf("Terraform CLI version %s is below minimum version %s: skipping test", c.version, minVersion)
	}
	c.env = append(c.env, "TF_REATTACH_PROVIDERS="+serveProvider(t, clk))
	return c
}

// atLeast reports whether the CLI is version v or later.
func (c *terraformCLI) atLeast(v string) bool {
	return !c.version.LessThan(version.Must(version.NewVersion(v)))
}

// init writes config as main.tf and runs terraform init.
func (c *terraformCLI) init(config string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(config), 0o600); err != nil {
		c.t.Fatal(err)
	}
	c.mustRun("init", "-input=false")
}

// serveProvider serves the provider, reading clk, from this process until the test ends
// and returns the TF_REATTACH_PROVIDERS value that points Terraform at it.
func serveProvider(t *testing.T, clk clock.Clock) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve(providerAddress, providerserver.NewProtocol6(newWithClock("test", clk)()),
			tf6server.WithDebug(ctx, reattach, closed), tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(t), tf6server.WithoutLogStderrOverride())
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Error("the provider server did not stop within 10s")
		}
	})
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case err := <-served:
		t.Fatalf("the provider server stopped before serving: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the provider server did not start within 10s")
	}
	// The format Terraform reads (terraform-exec's ReattachConfig).
	type addr struct{ Network, String string }
	b, err := json.Marshal(map[string]any{providerAddress: struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            addr
	}{string(rc.Protocol), rc.ProtocolVersion, rc.Pid, rc.Test, addr{rc.Addr.Network(), rc.Addr.String()}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exec runs terraform with args in the working directory, bounded by
// cliTimeout, and returns its combined output.
func (c *terraformCLI) exec(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	cmd.WaitDelay = 5 * time.Second // output pipes held open by a stray child end too
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = errors.New("terraform " + args[0] + " did not finish within " + cliTimeout.String())
	}
	return string(out), err
}

// run runs a terraform command with -no-color, logs its output, and returns
// the output and whether it succeeded.
func (c *terraformCLI) run(args ...string) (string, bool) {
	c.t.Helper()
	out, err := c.exec(append(args, "-no-color")...)
	c.t.Logf("terraform %s:\n%s", strings.Join(args, " "), out)
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			c.t.Fatalf("terraform %s: %v", args[0], err)
		}
		return out, false
	}
	return out, true
}

// mustRun is run for a command that must succeed.
func (c *terraformCLI) mustRun(args ...string) string {
	c.t.Helper()
	out, ok := c.run(args...)
	if !ok {
		c.t.Fatalf("terraform %s failed", strings.Join(args, " "))
	}
	return out
}

// invoke runs `terraform apply -invoke=action.ADDRESS` with extra arguments
// (such as -var), and returns the output and whether it succeeded.
func (c *terraformCLI) invoke(address string, args ...string) (string, bool) {
	c.t.Helper()
	return c.run(append([]string{"apply", "-invoke=action." + address, "-auto-approve", "-input=false"}, args...)...)
}

// progress returns the progress messages Terraform printed for the action at
// address ("pdbridge_event.page"), in order.
func progress(out, address string) []string {
	var msgs []string
	prefix := "Action action." + address + " (triggered by "
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			if _, msg, ok := strings.Cut(rest, "): "); ok {
				msgs = append(msgs, msg)
			}
		}
	}
	return msgs
}
