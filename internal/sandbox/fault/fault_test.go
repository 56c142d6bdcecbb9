package fault

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newServer(t *testing.T, inj *Injector) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.Handle("GET /a", inj.Wrap("GET /a", ok))
	mux.Handle("GET /b", inj.Wrap("GET /b", ok))
	mux.Handle("/_faults", inj.AdminHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	_, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, nil
}

func TestRateLimitThenServe(t *testing.T) {
	inj := New(nil)
	srv := newServer(t, inj)
	inj.Set(Faults{RateLimit: 2, RateLimitReset: 1500 * time.Millisecond})
	for i := 0; i < 2; i++ {
		status, h, err := get(t, srv.URL+"/a")
		if err != nil || status != 429 || h.Get("Ratelimit-Reset") != "2" || h.Get("Ratelimit-Remaining") != "0" {
			t.Fatalf("request %d: %d %v %v", i, status, h, err)
		}
	}
	if status, _, _ := get(t, srv.URL+"/a"); status != 200 {
		t.Fatalf("third request: %d", status)
	}
	if inj.Count("GET /a") != 3 || inj.Injected()["429"] != 2 {
		t.Fatalf("counts %v injected %v", inj.Counts(), inj.Injected())
	}
}

func TestRoutePrefixLimitsFaults(t *testing.T) {
	inj := New(func(w http.ResponseWriter, _ *http.Request, route string, status int) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, route)
	})
	srv := newServer(t, inj)
	inj.Set(Faults{RoutePrefix: "GET /b", ServerErrors: 1, ServerErrorStatus: 503})
	if status, _, _ := get(t, srv.URL+"/a"); status != 200 {
		t.Fatalf("/a got %d", status)
	}
	if status, _, _ := get(t, srv.URL+"/b"); status != 503 {
		t.Fatalf("/b got %d", status)
	}
	if status, _, _ := get(t, srv.URL+"/b"); status != 200 {
		t.Fatalf("/b second got %d", status)
	}
}

func TestConnectionResetAfterN(t *testing.T) {
	inj := New(nil)
	srv := newServer(t, inj)
	inj.Set(Faults{ResetAfter: 1, Resets: 1})
	// Fresh connections: Go's transport silently retries an idempotent request
	// whose reused connection breaks, which would hide the reset.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	status := func() (int, error) {
		resp, err := c.Get(srv.URL + "/a")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if s, err := status(); err != nil || s != 200 {
		t.Fatalf("first: %d %v", s, err)
	}
	if _, err := status(); err == nil {
		t.Fatal("second request should have had its connection reset")
	}
	if s, err := status(); err != nil || s != 200 {
		t.Fatalf("third: %d %v", s, err)
	}
	if inj.Injected()["reset"] != 1 {
		t.Fatalf("injected %v", inj.Injected())
	}
}

func TestLatencyEndsWithTheClient(t *testing.T) {
	inj := New(nil)
	srv := newServer(t, inj)
	inj.Set(Faults{Latency: 200 * time.Millisecond})
	start := time.Now()
	if status, _, _ := get(t, srv.URL+"/a"); status != 200 || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("latency not applied: %d in %v", status, time.Since(start))
	}
	c := http.Client{Timeout: 20 * time.Millisecond}
	_, err := c.Get(srv.URL + "/a")
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a client timeout, got %v", err)
	}
}

func TestAdminHandler(t *testing.T) {
	inj := New(nil)
	srv := newServer(t, inj)
	resp, err := http.Post(srv.URL+"/_faults", "application/json", strings.NewReader(`{"rate_limit": 1, "rate_limit_reset": "3s", "latency": "1ms"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	if f := inj.Current(); f.RateLimit != 1 || f.RateLimitReset != 3*time.Second || f.Latency != time.Millisecond {
		t.Fatalf("faults %+v", f)
	}
	_, _, _ = get(t, srv.URL+"/a")
	resp, err = http.Get(srv.URL + "/_faults")
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Counts   map[string]int `json:"counts"`
		Injected map[string]int `json:"injected"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	if state.Counts["GET /a"] != 1 || state.Injected["429"] != 1 {
		t.Fatalf("admin state %+v", state)
	}
	req, _ := http.NewRequest("DELETE", srv.URL+"/_faults", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("delete: %v %v", resp, err)
	}
	if inj.Total() != 0 || inj.Current() != (Faults{}) {
		t.Fatalf("not cleared: %v %+v", inj.Counts(), inj.Current())
	}
	resp, _ = http.Post(srv.URL+"/_faults", "application/json", strings.NewReader(`{"latency": "soon"}`))
	if resp.StatusCode != 400 {
		t.Fatalf("bad body got %d", resp.StatusCode)
	}
	resp.Body.Close()
}
