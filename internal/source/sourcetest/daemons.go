package sourcetest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"
)

// Icinga2 drives the Icinga 2 that scripts/consoles.sh started, as its
// checks and operators would: it makes hosts and passive services, posts
// check results, comments and downtimes. The adapter under test is never
// used for that.
type Icinga2 struct {
	URL, User, Password string
	// CACertFile and CACert are the CA that signed the API's certificate.
	CACertFile string
	CACert     []byte
	http       *http.Client
}

// NewIcinga2 connects to the daemon named by PDBRIDGE_ICINGA2_URL, _USER,
// _PASSWORD and _CACERT, or skips (fails under CI) when they are unset.
func NewIcinga2(t testing.TB) *Icinga2 {
	t.Helper()
	v := need(t, "Icinga 2", "PDBRIDGE_ICINGA2_URL", "PDBRIDGE_ICINGA2_USER", "PDBRIDGE_ICINGA2_PASSWORD", "PDBRIDGE_ICINGA2_CACERT")
	pem, err := os.ReadFile(v[3])
	if err != nil {
		t.Fatalf("PDBRIDGE_ICINGA2_CACERT: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("PDBRIDGE_ICINGA2_CACERT %s holds no PEM certificate", v[3])
	}
	return &Icinga2{URL: v[0], User: v[1], Password: v[2], CACertFile: v[3], CACert: pem,
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: d2TLS(pool)}}}
}

func d2TLS(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// TLS is a TLS configuration that trusts the daemon's CA.
func (d *Icinga2) TLS() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(d.CACert)
	return d2TLS(pool)
}

// Call makes one API request as the daemon's API user and returns the
// status and body; a transport failure fails the test.
func (d *Icinga2) Call(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, d.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(d.User, d.Password)
	req.Header.Set("Accept", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		t.Fatalf("icinga2 %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (d *Icinga2) must(t testing.TB, method, path string, body any) []byte {
	t.Helper()
	status, raw := d.Call(t, method, path, body)
	if status != http.StatusOK {
		t.Fatalf("icinga2 %s %s: HTTP %d %s", method, path, status, raw)
	}
	return raw
}

// Host makes a host with the dummy check, passive unless active, where a
// first DOWN is HARD (max_check_attempts 1); the test's cleanup deletes it
// with its services, comments and downtimes.
func (d *Icinga2) Host(t testing.TB, name string, active bool) {
	t.Helper()
	d.must(t, http.MethodPut, "/v1/objects/hosts/"+url.PathEscape(name),
		map[string]any{"attrs": map[string]any{"check_command": "dummy", "enable_active_checks": active, "max_check_attempts": 1}})
	t.Cleanup(func() {
		// Without cascade: 500 "cannot be deleted because other objects depend on it".
		d.Call(t, http.MethodDelete, "/v1/objects/hosts/"+url.PathEscape(name)+"?cascade=1", nil)
	})
}

// Service makes a service on host, with the passive check command unless
// active (then the dummy one, which this daemon never runs: it has no
// checker), and max_check_attempts 1 so a first CRITICAL is HARD.
func (d *Icinga2) Service(t testing.TB, host, service string, active bool) string {
	t.Helper()
	cmd := "passive"
	if active {
		cmd = "dummy"
	}
	name := host + "!" + service
	d.must(t, http.MethodPut, "/v1/objects/services/"+url.PathEscape(name),
		map[string]any{"attrs": map[string]any{"check_command": cmd, "enable_active_checks": active, "max_check_attempts": 1}})
	return name
}

func objectKind(name string) string {
	for _, c := range name {
		if c == '!' {
			return "Service"
		}
	}
	return "Host"
}

// Result posts a check result (services: 0 OK, 1 WARNING, 2 CRITICAL, 3
// UNKNOWN; hosts: 0 UP, 1 DOWN only).
func (d *Icinga2) Result(t testing.TB, name string, exit int, output string) {
	t.Helper()
	k := objectKind(name)
	d.must(t, http.MethodPost, "/v1/actions/process-check-result", map[string]any{"type": k, map[string]string{"Host": "host", "Service": "service"}[k]: name,
		"exit_status": exit, "plugin_output": output, "check_source": "sourcetest"})
}

// Downtime schedules a fixed downtime on the object from now, for d, as
// author; it returns the downtime's name.
func (d *Icinga2) Downtime(t testing.TB, name, author, comment string, length time.Duration) string {
	t.Helper()
	k := objectKind(name)
	now := time.Now()
	raw := d.must(t, http.MethodPost, "/v1/actions/schedule-downtime", map[string]any{"type": k, map[string]string{"Host": "host", "Service": "service"}[k]: name,
		"author": author, "comment": comment, "start_time": now.Add(-time.Second).Unix(), "end_time": now.Add(length).Unix(), "fixed": true})
	var out struct {
		Results []struct {
			Name string `json:"name"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Results) != 1 {
		t.Fatalf("schedule-downtime: %s", raw)
	}
	return out.Results[0].Name
}

// Comment adds a comment as author, as an operator would in Icinga Web.
func (d *Icinga2) Comment(t testing.TB, name, author, text string) {
	t.Helper()
	k := objectKind(name)
	d.must(t, http.MethodPost, "/v1/actions/add-comment", map[string]any{"type": k, map[string]string{"Host": "host", "Service": "service"}[k]: name,
		"author": author, "comment": text})
}

// Attrs reads one object's attributes.
func (d *Icinga2) Attrs(t testing.TB, name string) map[string]any {
	t.Helper()
	plural := map[string]string{"Host": "hosts", "Service": "services"}[objectKind(name)]
	raw := d.must(t, http.MethodGet, "/v1/objects/"+plural+"/"+url.PathEscape(name), nil)
	var out struct {
		Results []struct {
			Attrs map[string]any `json:"attrs"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Results) != 1 {
		t.Fatalf("reading %s: %s", name, raw)
	}
	return out.Results[0].Attrs
}

// IcingaComment is a comment as Icinga keeps it.
type IcingaComment struct {
	Author    string  `json:"author"`
	Text      string  `json:"text"`
	EntryType float64 `json:"entry_type"`
}

// Comments are the object's comments, of every entry type.
func (d *Icinga2) Comments(t testing.TB, name string) []IcingaComment {
	t.Helper()
	host, service := name, ""
	for i, c := range name {
		if c == '!' {
			host, service = name[:i], name[i+1:]
			break
		}
	}
	raw := d.must(t, http.MethodGet, "/v1/objects/comments", map[string]any{ // Go sends a GET body, which Icinga reads
		"filter": "comment.host_name == h && comment.service_name == s", "filter_vars": map[string]string{"h": host, "s": service}})
	var out struct {
		Results []struct {
			Attrs IcingaComment `json:"attrs"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("comments of %s: %s", name, raw)
	}
	list := make([]IcingaComment, 0, len(out.Results))
	for _, r := range out.Results {
		list = append(list, r.Attrs)
	}
	return list
}

// Alertmanager drives the Alertmanager that scripts/consoles.sh started,
// as Prometheus and its operators would: it fires and resolves alerts and
// reads the silences.
type Alertmanager struct {
	// URL, User and Password reach the daemon (it requires Basic auth).
	URL, User, Password string
	http                *http.Client
}

// NewAlertmanager connects to the daemon at PDBRIDGE_ALERTMANAGER_URL (with
// _USER and _PASSWORD), or skips (fails under CI) when they are unset.
func NewAlertmanager(t testing.TB) *Alertmanager {
	t.Helper()
	v := need(t, "Alertmanager", "PDBRIDGE_ALERTMANAGER_URL", "PDBRIDGE_ALERTMANAGER_USER", "PDBRIDGE_ALERTMANAGER_PASSWORD")
	return &Alertmanager{URL: v[0], User: v[1], Password: v[2], http: &http.Client{Timeout: 10 * time.Second}}
}

func (a *Alertmanager) request(method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(method, a.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(a.User, a.Password)
	req.Header.Set("Content-Type", "application/json")
	return a.http.Do(req)
}

func (a *Alertmanager) call(t testing.TB, method, path string, body any, out any) {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	resp, err := a.request(method, path, raw)
	if err != nil {
		t.Fatalf("alertmanager %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("alertmanager %s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("alertmanager %s %s: %v: %s", method, path, err, raw)
		}
	}
}

// Fire sends an alert as Prometheus does: starting now, with an end an
// hour away (without one Alertmanager resolves it after its
// resolve_timeout, 5 minutes; with an end but no start it starts it at
// the end). The test's cleanup resolves it.
func (a *Alertmanager) Fire(t testing.TB, labels, annotations map[string]string) {
	t.Helper()
	now := time.Now().UTC()
	a.call(t, http.MethodPost, "/api/v2/alerts", []map[string]any{{"labels": labels, "annotations": annotations, "startsAt": now.Format(time.RFC3339Nano),
		"endsAt": now.Add(time.Hour).Format(time.RFC3339Nano), "generatorURL": "http://prometheus.test/graph"}}, nil)
	t.Cleanup(func() { a.post(labels, time.Now()) })
}

// Resolve sends the alert with an end now: Alertmanager drops it from
// its listing at once.
func (a *Alertmanager) Resolve(t testing.TB, labels map[string]string) {
	t.Helper()
	a.call(t, http.MethodPost, "/api/v2/alerts", []map[string]any{{"labels": labels, "endsAt": time.Now().UTC().Format(time.RFC3339Nano)}}, nil)
}

func (a *Alertmanager) post(labels map[string]string, end time.Time) {
	raw, _ := json.Marshal([]map[string]any{{"labels": labels, "endsAt": end.UTC().Format(time.RFC3339Nano)}})
	if resp, err := a.request(http.MethodPost, "/api/v2/alerts", raw); err == nil {
		resp.Body.Close()
	}
}

// AMSilence is a silence as Alertmanager keeps it.
type AMSilence struct {
	ID        string `json:"id"`
	CreatedBy string `json:"createdBy"`
	Comment   string `json:"comment"`
	Status    struct {
		State string `json:"state"`
	} `json:"status"`
	Matchers []struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual *bool  `json:"isEqual"`
	} `json:"matchers"`
}

// Silences are the silences whose matchers include label=value.
func (a *Alertmanager) Silences(t testing.TB, label, value string) []AMSilence {
	t.Helper()
	var all []AMSilence
	a.call(t, http.MethodGet, "/api/v2/silences?filter="+url.QueryEscape(fmt.Sprintf("%s=%q", label, value)), nil, &all)
	return all
}

// Silence creates a silence of the exact labels as createdBy, as an
// operator would for a maintenance; it returns its id.
func (a *Alertmanager) Silence(t testing.TB, labels map[string]string, createdBy, comment string, length time.Duration) string {
	t.Helper()
	var matchers []map[string]any
	for k, v := range labels {
		matchers = append(matchers, map[string]any{"name": k, "value": v, "isRegex": false, "isEqual": true})
	}
	var out struct {
		ID string `json:"silenceID"`
	}
	now := time.Now().UTC()
	a.call(t, http.MethodPost, "/api/v2/silences", map[string]any{"matchers": matchers, "startsAt": now.Format(time.RFC3339Nano),
		"endsAt": now.Add(length).Format(time.RFC3339Nano), "createdBy": createdBy, "comment": comment}, &out)
	t.Cleanup(func() {
		if resp, err := a.request(http.MethodDelete, "/api/v2/silence/"+out.ID, nil); err == nil {
			resp.Body.Close()
		}
	})
	return out.ID
}
