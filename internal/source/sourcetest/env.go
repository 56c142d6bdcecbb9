// Package sourcetest is what tests of event-console sources share: a
// conformance suite that drives any source.Source through the console
// behind it (Run), and drivers for the real Icinga 2 and Alertmanager
// daemons that scripts/consoles.sh starts, acting as their checks, alerts
// and operators would.
package sourcetest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
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
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true and " + msg)
	}
	t.Skip("SKIPPING: " + msg)
	return nil
}

// Unique returns prefix with a random suffix: tests share each daemon,
// so every object a test makes has a name of its own.
func Unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
