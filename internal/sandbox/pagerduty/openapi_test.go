package pagerduty

// Where the conformance test finds PagerDuty's OpenAPI descriptions.
//
// PagerDuty publishes them in github.com/PagerDuty/api-schema without a
// licence, so the repository carries no copies: testdata/pagerduty-openapi.pin
// names the upstream commit and each file's sha256, and the test takes the
// files from the first of these places that exists:
//
//  1. the directory in $PDBRIDGE_PAGERDUTY_OPENAPI_DIR (an absolute path);
//  2. ../shared/pagerduty-openapi/ beside the repository root (the team's
//     machines keep a copy there);
//  3. the cache that scripts/fetch-pagerduty-openapi.sh fills,
//     ${XDG_CACHE_HOME:-$HOME/.cache}/pdbridge/pagerduty-openapi/<commit>/.
//
// A file whose sha256 differs from the pin fails the test wherever it was
// found: the relaxations are tied to that exact text. When none of the
// places exists the test fails under CI and skips elsewhere, naming the
// script.
//
// Defects of the published spec at that commit, which the relaxations R1…R10
// in conformance_test.go refer to by number (found by loading the files
// with kin-openapi v0.152.0 and comparing them with PagerDuty's API
// reference and go-pagerduty v1.8.0):
//
//  1. Two responses $ref a requestBodies component
//     (OrchestrationCacheVariableDataPutResponse); kin-openapi will not load
//     the file.
//  2. Incident.resolved_at, Incident.resolve_reason,
//     alert_grouping.ended_at, Service.acknowledgement_timeout and
//     Service.auto_resolve_timeout are not nullable, though the API returns
//     null and the spec's own examples show null.
//  3. AcknowledgeLogEntry pins type to "acknowledgement_log_entry" while
//     LogEntry requires "acknowledge_log_entry": no acknowledge entry can
//     validate.
//  4. Channel is a oneOf whose branches cannot be told apart: every log
//     entry with a channel matches more than one.
//  5. Tag/allOf/0 marks id and type read-only, so every request body
//     holding a reference object fails the read-only check.
//  6. Notification has a property named "".
//  7. Service.integrations[] admits only references, while
//     include[]=integrations returns full integrations.
//  8. Integration has no integration_key; there is no
//     DELETE /services/{id}/integrations/{integration_id}; POST
//     /incidents/{id}/notes declares only 200 (PagerDuty answers 201).
//  9. statuses[], urgencies[] and include[] are declared as scalars, so only
//     their first value is checked.
//  10. Some operations leave out statuses they return (e.g. a 400 on
//     PUT /services/{id}).
//  11. Events v2: no length limits (routing_key 32, dedup_key 255, summary
//     1024 are documented only in prose); the 400 and 429 responses are
//     strings, not $refs; the examples' +0000 offsets are not date-times.
//  12. An EscalationPolicy example has a value outside its enum.
//
// R10 is about the client, not the spec: go-pagerduty v1.8.0 sends the
// integration and maintenance-window PUT bodies without their wrapper key,
// and "priority": null on CreateIncident.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	specDirEnv   = "PDBRIDGE_PAGERDUTY_OPENAPI_DIR"
	specFetcher  = "scripts/fetch-pagerduty-openapi.sh"
	specPinFile  = "testdata/pagerduty-openapi.pin"
	skipNotesEnv = "PDBRIDGE_SKIPPED_CHECKS"
)

// errSpecNotFound means none of the places holds the descriptions; every
// other problem with them is a failure, in CI or not.
var errSpecNotFound = errors.New("PagerDuty's OpenAPI descriptions not found")

type openAPIPin struct {
	repository, commit string
	files              []pinnedFile
}

type pinnedFile struct{ name, upstreamPath, sha256 string }

func readPin(path string) (openAPIPin, error) {
	f, err := os.Open(path)
	if err != nil {
		return openAPIPin{}, err
	}
	defer f.Close()
	var pin openAPIPin
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0 || strings.HasPrefix(fields[0], "#"):
		case fields[0] == "repository" && len(fields) == 2:
			pin.repository = fields[1]
		case fields[0] == "commit" && len(fields) == 2:
			pin.commit = fields[1]
		case fields[0] == "file" && len(fields) == 4:
			pin.files = append(pin.files, pinnedFile{name: fields[1], upstreamPath: fields[2], sha256: fields[3]})
		default:
			return openAPIPin{}, fmt.Errorf("%s:%d: not a repository, commit or file line: %q", path, n, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return openAPIPin{}, err
	}
	if pin.repository == "" || pin.commit == "" || len(pin.files) == 0 {
		return openAPIPin{}, fmt.Errorf("%s names no repository, commit or file", path)
	}
	return pin, nil
}

// specCacheDir is where scripts/fetch-pagerduty-openapi.sh puts the files;
// both spell it ${XDG_CACHE_HOME:-$HOME/.cache}/pdbridge/pagerduty-openapi/<commit>.
func specCacheDir(getenv func(string) string, commit string) string {
	base := getenv("XDG_CACHE_HOME")
	if base == "" {
		if home := getenv("HOME"); home != "" {
			base = filepath.Join(home, ".cache")
		}
	}
	if base == "" {
		return ""
	}
	return filepath.Join(base, "pdbridge", "pagerduty-openapi", commit)
}

// findSpecDir returns the first place that holds the descriptions and how
// it was chosen; root is the repository root.
func findSpecDir(getenv func(string) string, root string, pin openAPIPin) (dir, from string, err error) {
	if d := getenv(specDirEnv); d != "" {
		// Set on purpose: what it lacks is a failure, not a skip.
		if !filepath.IsAbs(d) {
			return "", "", fmt.Errorf("$%s is %q: give an absolute path (go test runs in each package's directory)", specDirEnv, d)
		}
		return d, "$" + specDirEnv, nil
	}
	shared := filepath.Join(root, "..", "shared", "pagerduty-openapi")
	if fi, err := os.Stat(shared); err == nil && fi.IsDir() {
		return shared, "the copy beside the repository", nil
	}
	cache := specCacheDir(getenv, pin.commit)
	if fi, err := os.Stat(cache); cache != "" && err == nil && fi.IsDir() {
		return cache, "the cache of " + specFetcher, nil
	}
	return "", "", fmt.Errorf("%w in $%s (unset), %s or %s: run %s to download %s@%.8s into that cache, or set %s to an absolute directory holding them",
		errSpecNotFound, specDirEnv, shared, orUnknown(cache), specFetcher, pin.repository, pin.commit, specDirEnv)
}

func orUnknown(dir string) string {
	if dir == "" {
		return "the cache (neither XDG_CACHE_HOME nor HOME is set)"
	}
	return dir
}

// readPinnedSpec reads one file and refuses it unless it is the pinned text.
func readPinnedSpec(dir, from string, f pinnedFile) ([]byte, error) {
	path := filepath.Join(dir, f.name)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s (from %s): %w", f.name, from, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != f.sha256 {
		return nil, fmt.Errorf("%s (from %s) has sha256 %s, but %s pins %s: not the text the relaxations were written for (run %s for the pinned one)",
			path, from, got, specPinFile, f.sha256, specFetcher)
	}
	return data, nil
}

// underCI reports whether CI is set to anything but a false value.
func underCI(getenv func(string) string) bool {
	v := getenv("CI")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// noteSkippedCheck appends why a check did not run to the file named by
// $PDBRIDGE_SKIPPED_CHECKS, which scripts/check.sh prints at the end:
// `go test ./...` shows no skip of a passing package.
func noteSkippedCheck(msg string) {
	path := os.Getenv(skipNotesEnv)
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

// ---- tests of the lookup and of the fetch script ----

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSpecLookupOrder(t *testing.T) {
	pin := openAPIPin{repository: "PagerDuty/api-schema", commit: "0123456789abcdef0123456789abcdef01234567"}
	tmp := t.TempDir()
	root := filepath.Join(tmp, "checkout")
	shared := filepath.Join(tmp, "shared", "pagerduty-openapi")
	byEnv := filepath.Join(tmp, "elsewhere")
	xdg := filepath.Join(tmp, "xdg")
	home := filepath.Join(tmp, "home")
	mkdirs(t, root, shared, byEnv)

	find := func(env map[string]string) (string, error) {
		dir, _, err := findSpecDir(envOf(env), root, pin)
		return dir, err
	}
	if dir, err := find(map[string]string{specDirEnv: byEnv, "XDG_CACHE_HOME": xdg}); err != nil || dir != byEnv {
		t.Errorf("with $%s set: %q, %v; want %q", specDirEnv, dir, err, byEnv)
	}
	if _, err := find(map[string]string{specDirEnv: "specs"}); err == nil || errors.Is(err, errSpecNotFound) || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("a relative $%s: %v; want a failure asking for an absolute path", specDirEnv, err)
	}
	if dir, err := find(map[string]string{"XDG_CACHE_HOME": xdg}); err != nil || dir != shared {
		t.Errorf("with the copy beside the checkout: %q, %v; want %q", dir, err, shared)
	}

	if err := os.RemoveAll(filepath.Join(tmp, "shared")); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(xdg, "pdbridge", "pagerduty-openapi", pin.commit)
	homeCache := filepath.Join(home, ".cache", "pdbridge", "pagerduty-openapi", pin.commit)
	mkdirs(t, cache, homeCache)
	if dir, err := find(map[string]string{"XDG_CACHE_HOME": xdg, "HOME": home}); err != nil || dir != cache {
		t.Errorf("with the cache under $XDG_CACHE_HOME: %q, %v; want %q", dir, err, cache)
	}
	if dir, err := find(map[string]string{"HOME": home}); err != nil || dir != homeCache {
		t.Errorf("with the cache under $HOME/.cache: %q, %v; want %q", dir, err, homeCache)
	}

	_, err := find(map[string]string{"HOME": filepath.Join(tmp, "nobody")})
	if !errors.Is(err, errSpecNotFound) {
		t.Fatalf("with nothing anywhere: %v; want errSpecNotFound", err)
	}
	for _, want := range []string{specFetcher, "$" + specDirEnv, filepath.Join(tmp, "shared", "pagerduty-openapi"), filepath.Join(tmp, "nobody", ".cache")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the not-found message does not name %q: %v", want, err)
		}
	}
}

func TestReadPinnedSpecRefusesOtherText(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"openapi":"3.0.2"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(`{"openapi":"3.0.2"}`))
	right := hex.EncodeToString(sum[:])
	if data, err := readPinnedSpec(dir, "test", pinnedFile{name: "a.json", sha256: right}); err != nil || string(data) != `{"openapi":"3.0.2"}` {
		t.Errorf("the pinned text: %q, %v", data, err)
	}
	wrong := strings.Repeat("0", 64)
	_, err := readPinnedSpec(dir, "test", pinnedFile{name: "a.json", sha256: wrong})
	if err == nil || !strings.Contains(err.Error(), right) || !strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), filepath.Join(dir, "a.json")) {
		t.Errorf("other text: %v; want a failure naming the file and both hashes", err)
	}
	if _, err := readPinnedSpec(dir, "test", pinnedFile{name: "b.json", sha256: right}); err == nil || errors.Is(err, errSpecNotFound) || !strings.Contains(err.Error(), "b.json") {
		t.Errorf("a missing file where the files should be: %v; want a failure naming it", err)
	}
}

func TestPinNamesTheFilesTheTestLoads(t *testing.T) {
	pin, err := readPin(specPinFile)
	if err != nil {
		t.Fatal(err)
	}
	if pin.repository != "PagerDuty/api-schema" || len(pin.commit) != 40 {
		t.Errorf("pin: repository %q, commit %q", pin.repository, pin.commit)
	}
	var names []string
	for _, f := range pin.files {
		names = append(names, f.name)
		if _, err := hex.DecodeString(f.sha256); err != nil || len(f.sha256) != 64 {
			t.Errorf("%s: sha256 %q is not 64 hex digits", f.name, f.sha256)
		}
	}
	if strings.Join(names, " ") != "rest-openapiv3.json events-v2-openapiv3.json" {
		t.Errorf("pinned files %v; loadSpecs loads rest-openapiv3.json and events-v2-openapiv3.json", names)
	}
}

func TestUnderCI(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "0": false, "true": true, "1": true, "yes": true} {
		if got := underCI(envOf(map[string]string{"CI": v})); got != want {
			t.Errorf("CI=%q: under CI = %v, want %v", v, got, want)
		}
	}
}

// TestFetchScript runs scripts/fetch-pagerduty-openapi.sh against a
// loopback server standing in for raw.githubusercontent.com.
func TestFetchScript(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	pin, err := readPin(specPinFile)
	if err != nil {
		t.Fatal(err)
	}
	// run serves src on a loopback port and runs the script with the cache
	// under xdg; it returns the script's output and whether it succeeded.
	var requests atomic.Int64
	run := func(t *testing.T, src, xdg string) (string, bool) {
		t.Helper()
		files := http.FileServer(http.Dir(src))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			files.ServeHTTP(w, r)
		}))
		defer srv.Close()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, specFetcher))
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+xdg, "PDBRIDGE_PAGERDUTY_OPENAPI_BASE_URL="+srv.URL)
		out, err := cmd.CombinedOutput()
		return string(out), err == nil
	}
	cacheOf := func(xdg string) string {
		return specCacheDir(envOf(map[string]string{"XDG_CACHE_HOME": xdg}), pin.commit)
	}
	serve := func(t *testing.T, content func(pinnedFile) []byte) string {
		src := t.TempDir()
		for _, f := range pin.files {
			p := filepath.Join(src, filepath.FromSlash(f.upstreamPath))
			mkdirs(t, filepath.Dir(p))
			if err := os.WriteFile(p, content(f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return src
	}

	t.Run("other text is refused and nothing is kept", func(t *testing.T) {
		src := serve(t, func(f pinnedFile) []byte { return []byte(`{"not":"` + f.name + `"}`) })
		xdg := t.TempDir()
		cache := cacheOf(xdg)
		mkdirs(t, cache)
		stale := filepath.Join(cache, pin.files[0].name)
		if err := os.WriteFile(stale, []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, ok := run(t, src, xdg)
		if ok {
			t.Fatalf("the script accepted files with other hashes:\n%s", out)
		}
		for _, f := range pin.files {
			if !strings.Contains(out, f.upstreamPath) || !strings.Contains(out, "the pin wants "+f.sha256) {
				t.Errorf("the output does not name %s and its pinned hash:\n%s", f.upstreamPath, out)
			}
		}
		if left, _ := os.ReadDir(cache); len(left) != 0 {
			t.Errorf("the cache keeps %v after a refused download", left)
		}
	})

	t.Run("a missing file fails", func(t *testing.T) {
		out, ok := run(t, t.TempDir(), t.TempDir())
		if ok || !strings.Contains(out, "could not download") {
			t.Errorf("the script with nothing to download: ok=%v\n%s", ok, out)
		}
	})

	t.Run("the pinned text is kept and found", func(t *testing.T) {
		dir, from, err := findSpecDir(os.Getenv, root, pin)
		if err != nil {
			t.Skipf("needs the pinned files to serve: %v", err)
		}
		src := serve(t, func(f pinnedFile) []byte {
			data, err := readPinnedSpec(dir, from, f)
			if err != nil {
				t.Fatal(err)
			}
			return data
		})
		xdg := t.TempDir()
		if out, ok := run(t, src, xdg); !ok {
			t.Fatalf("the script failed on the pinned files:\n%s", out)
		}
		// With nothing beside the checkout and no variable, the test finds the cache.
		got, from, err := findSpecDir(envOf(map[string]string{"XDG_CACHE_HOME": xdg}), filepath.Join(t.TempDir(), "checkout"), pin)
		if err != nil || got != cacheOf(xdg) {
			t.Fatalf("after the script the lookup finds %q, %v; want the cache %q", got, err, cacheOf(xdg))
		}
		for _, f := range pin.files {
			if _, err := readPinnedSpec(got, from, f); err != nil {
				t.Error(err)
			}
		}
		before := requests.Load()
		if out, ok := run(t, src, xdg); !ok || !strings.Contains(out, "already in") || requests.Load() != before {
			t.Errorf("a second run: ok=%v, %d requests (want none)\n%s", ok, requests.Load()-before, out)
		}
	})
}
