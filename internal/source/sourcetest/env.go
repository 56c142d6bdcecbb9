// Package sourcetest is what tests of event-console sources share: a
// conformance suite that drives any source.Source through the console
// behind it (Run), and drivers for the real Icinga 2 and Alertmanager
// daemons that scripts/consoles.sh starts, acting as their checks, alerts
// and operators would.
package sourcetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// consolesScript starts the daemons and exports their settings.
const consolesScript = "scripts/consoles.sh"

// need returns the environment variables named, or skips the test loudly
// when one is unset; under CI (CI=true) it fails instead, since CI must
// run every test.
func need(t testing.TB, console string, names ...string) []string {
	t.Helper()
	var missing []string
	values := make([]string, len(names))
	for i, n := range names {
		values[i] = os.Getenv(n)
		if values[i] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return values
	}
	msg := strings.Join(missing, ", ") + " unset: this test needs a real " + console + "; run it through " + consolesScript +
		" (make check does), which installs and starts one, e.g. " + consolesScript + " go test ./internal/source/..."
	if inCI() {
		t.Fatal("CI is set, and " + msg)
	}
	noteSkipped("the tests against a real " + console + ": " + msg)
	t.Skip("SKIPPING: " + msg)
	return nil
}

// inCI reports CI set to anything but a false value, as CI services set it.
func inCI() bool {
	v := os.Getenv("CI")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// noteSkipped appends why a check did not run to the file named by
// $PDBRIDGE_SKIPPED_CHECKS, which scripts/check.sh prints at the end
// (`go test ./...` shows no skip of a passing package).
func noteSkipped(msg string) {
	path := os.Getenv("PDBRIDGE_SKIPPED_CHECKS")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return // the skip itself still says it
	}
	defer f.Close()
	_, _ = fmt.Fprintln(f, msg)
}

// Unique returns prefix with a random suffix: tests share each daemon,
// so every object a test makes has a name of its own.
func Unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
