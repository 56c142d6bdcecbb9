package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "127.0.0.2:8080": true, "[::1]:0": true, "localhost:0": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:0": false, "192.168.1.10:80": false, "example.com:80": false, "nope": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	err := run(context.Background(), []string{"-listen", "0.0.0.0:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("run with 0.0.0.0 = %v, want a loopback error", err)
	}
}

// TestRunServesAndShutsDown starts the command on port 0, reads the URL
// from its first line, calls the REST and Events APIs and stops it.
func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-token", "secret"}, pw, io.Discard) }()

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, pr)
	}()
	var first string
	select {
	case first = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("no first line within 10s")
	}
	const prefix = "pdbridge-sandbox listening on "
	if !strings.HasPrefix(first, prefix) || strings.HasSuffix(strings.TrimSpace(first), ":0") {
		t.Fatalf("first line = %q, want %q followed by the real URL", first, prefix)
	}
	base := strings.TrimSpace(strings.TrimPrefix(first, prefix))

	client := &http.Client{Timeout: 5 * time.Second}
	call := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/abilities", nil)
		req.Header.Set("Authorization", "Token token="+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call("secret"); got != http.StatusOK {
		t.Errorf("GET /abilities with the -token = %d, want 200", got)
	}
	if got := call("other"); got != http.StatusUnauthorized {
		t.Errorf("GET /abilities with another token = %d, want 401", got)
	}
	resp, err := client.Post(base+"/v2/enqueue", "application/json", strings.NewReader(`{"routing_key":"short"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /v2/enqueue with a bad key = %d, want 400", resp.StatusCode)
	}

	zreq, _ := http.NewRequest(http.MethodPost, base+"/zport/dmd/evconsole_router",
		strings.NewReader(`{"action":"EventsRouter","method":"query","tid":1,"type":"rpc","data":[{"limit":10}]}`))
	zreq.Header.Set("Content-Type", "application/json")
	zreq.SetBasicAuth("admin", "zenoss")
	zresp, err := client.Do(zreq)
	if err != nil {
		t.Fatal(err)
	}
	zbody, _ := io.ReadAll(zresp.Body)
	zresp.Body.Close()
	if zresp.StatusCode != http.StatusOK || !strings.Contains(string(zbody), `"success":true`) {
		t.Errorf("Zenoss query = %d %s, want a successful result", zresp.StatusCode, zbody)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of cancel")
	}
	pw.Close()
}

// TestDefaultsAreAsStrictAsPagerDuty checks what the command serves by
// default: PagerDuty's REST limit of 960 a minute enforced, events applied
// after a delay, and From headers limited to account users (-user adds one).
func TestDefaultsAreAsStrictAsPagerDuty(t *testing.T) {
	cfg, err := parseConfig([]string{"-user", "Pd Bridge <bridge@example.com>", "-time-zone", "Europe/Paris"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.rateLimit != 960 || cfg.eventsRateLimit != 120 || cfg.eventDelay <= 0 || cfg.timeZone.String() != "Europe/Paris" {
		t.Fatalf("defaults = rate %d, events %d, delay %v, zone %v", cfg.rateLimit, cfg.eventsRateLimit, cfg.eventDelay, cfg.timeZone)
	}
	srv := httptest.NewServer(handler(cfg))
	defer srv.Close()
	do := func(method, path, from, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Token token=t")
		req.Header.Set("Content-Type", "application/json")
		if from != "" {
			req.Header.Set("From", from)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// An incident write as a user of the account gets past the From check
	// (then fails on its empty body); as a stranger it is refused for that.
	if _, body := do("POST", "/incidents", "bridge@example.com", `{"incident":{}}`); !strings.Contains(body, "Title can't be blank") {
		t.Errorf("POST /incidents as the -user = %s, want the body's own errors", body)
	}
	if _, body := do("POST", "/incidents", "stranger@example.com", `{"incident":{}}`); !strings.Contains(body, "Requester User Not Found") {
		t.Errorf("POST /incidents as a stranger = %s, want Requester User Not Found", body)
	}
	status := 0
	for i := 0; i < 961 && status != http.StatusTooManyRequests; i++ {
		status, _ = do("GET", "/abilities", "", "")
	}
	if status != http.StatusTooManyRequests {
		t.Errorf("961 requests in a minute were all answered; want the 961st refused with 429")
	}
	for _, bad := range [][]string{{"-rate-limit", "-1"}, {"-time-zone", "Mars/Base"}, {"-user", "no-name@example.com"}} {
		if _, err := parseConfig(bad, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) accepted it", bad)
		}
	}
}
