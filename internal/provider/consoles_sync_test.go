package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcetest"
)

// End-to-end: the real Terraform CLI runs the sync (an ephemeral
// pdbridge_sync_run, echoed into state) between the PagerDuty sandbox and
// a real Icinga 2 or Alertmanager, which scripts/consoles.sh starts.

const humanEmail = "jane@example.com"

// consoleFixture is a PagerDuty sandbox with a service, a second user
// (Jane, who acts in PagerDuty) and clients as the sync and as Jane.
type consoleFixture struct {
	pd      *pdsandbox.Server
	pdURL   string
	sync    *pagerduty.Client
	human   *pagerduty.Client
	service string
}

func startConsoleFixture(t *testing.T) *consoleFixture {
	t.Helper()
	sb := pdsandbox.New(pdsandbox.Options{Token: testToken, EventDelay: testEventDelay, Users: []pdsandbox.User{{Name: "Jane Doe", Email: humanEmail}}})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	client := func(email string) *pagerduty.Client {
		c, err := pagerduty.New(pagerduty.Config{Token: testToken, UserEmail: email, APIURL: srv.URL, EventsURL: srv.URL,
			Retry: httpretry.Policy{MaxRetries: 2, MinWait: 5 * time.Millisecond, MaxWait: 20 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	f := &consoleFixture{pd: sb, pdURL: srv.URL, sync: client(testEmail), human: client(humanEmail)}
	svc, err := f.sync.CreateService(context.Background(), "Web team", "", sb.DefaultEscalationPolicyID())
	if err != nil {
		t.Fatal(err)
	}
	f.service = svc.ID
	return f
}

// config is the provider with one source (HCL attributes), a connector,
// routing that sends the events whose source matches part device and drops
// the rest (the daemons are shared by every test), the sync settings, and
// a sync run echoed into state.
func (f *consoleFixture) config(kind, sourceAttrs, device string) string {
	return providerBlock(f.pdURL, fmt.Sprintf(`    console = {
      kind = %q
%s
    }`, kind, sourceAttrs)) + fmt.Sprintf(`
resource "pdbridge_connector" "web" {
  name        = "Web team"
  service_id  = %[2]q
  source_kind = %[1]q
}

resource "pdbridge_routing_transform" "web" {
  rule {
    label     = "web"
    condition = "event.source matches part '%[3]s'"
    route_to  = pdbridge_connector.web.id
  }
  catch_all {
    drop = true
  }
}

resource "pdbridge_sync_settings" "console" {
  source  = "console"
  routing = pdbridge_routing_transform.web
}

ephemeral "pdbridge_sync_run" "console" {
  settings = pdbridge_sync_settings.console
  dry_run  = false
}

provider "echo" {
  data = ephemeral.pdbridge_sync_run.console
}

resource "echo" "run" {}
`, kind, f.service, device)
}

// incidents are the sandbox's incidents, once every event sent has taken effect.
func (f *consoleFixture) incidents(t *testing.T) []pagerduty.Incident {
	t.Helper()
	if err := settle(f.pd); err != nil {
		t.Fatal(err)
	}
	list, err := f.sync.ListIncidents(context.Background(), pagerduty.IncidentFilter{AllDates: true})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func titles(list []pagerduty.Incident) string {
	var out []string
	for _, inc := range list {
		out = append(out, fmt.Sprintf("%s %q (%s)", inc.ID, inc.Title, inc.Status))
	}
	return strings.Join(out, ", ")
}

// only is the one incident whose title contains text.
func (f *consoleFixture) only(text string) func() (pagerduty.Incident, error) {
	return func() (pagerduty.Incident, error) {
		if err := settle(f.pd); err != nil {
			return pagerduty.Incident{}, err
		}
		list, err := f.sync.ListIncidents(context.Background(), pagerduty.IncidentFilter{AllDates: true})
		if err != nil {
			return pagerduty.Incident{}, err
		}
		var hits []pagerduty.Incident
		for _, inc := range list {
			if strings.Contains(inc.Title, text) {
				hits = append(hits, inc)
			}
		}
		if len(hits) != 1 {
			return pagerduty.Incident{}, fmt.Errorf("%d incidents titled %q, want 1 (all: %d)", len(hits), text, len(list))
		}
		return hits[0], nil
	}
}

// onePDPerIcinga keeps the Icinga 2 syncs of different tests apart: each
// test has a PagerDuty sandbox of its own, whose ids (PSVC0001/PINT0001...)
// are every sandbox's, and a reference another test's sync left pending on
// an Icinga object would be sent again through this sandbox's connector of
// the same id (a pending reference keeps its connector, whatever routing
// says). Real PagerDuty ids are unique.
var onePDPerIcinga sync.Mutex

func icingaSource(d *sourcetest.Icinga2, password string, caPEM []byte) string {
	return fmt.Sprintf(`      url       = %q
      username  = %q
      password  = %q
      ca_bundle = %q
      timeout   = "5s"`, d.URL, d.User, password, string(caPEM))
}

func TestAccIcinga2SyncFollowsBothSides(t *testing.T) {
	t.Parallel()
	onePDPerIcinga.Lock()
	defer onePDPerIcinga.Unlock()
	d := sourcetest.NewIcinga2(t)
	f := startConsoleFixture(t)
	prefix := sourcetest.Unique("e2e")
	web, maint := prefix+"-web", prefix+"-maint"
	d.Host(t, web, false)
	d.Host(t, maint, false)
	http := d.Service(t, web, "http", false)
	maintHTTP := d.Service(t, maint, "http", false)
	d.Downtime(t, maint, "bob", "kernel upgrade", time.Hour)
	d.Result(t, http, 2, "HTTP CRITICAL - 503 on "+web)
	d.Result(t, maintHTTP, 2, "HTTP CRITICAL - 503 on "+maint)
	config := f.config("icinga2", icingaSource(d, d.Password, d.CACert), prefix)
	incident := f.only(web)
	var incID string
	comments := func(text string) int {
		n := 0
		for _, c := range d.Comments(t, http) {
			if strings.Contains(c.Text, text) {
				n++
			}
		}
		return n
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			// A problem opens an incident; a problem in a downtime does not.
			Config: config,
			Check: func(*terraform.State) error {
				inc, err := incident()
				if err != nil {
					return err
				}
				incID = inc.ID
				if inc.Status != "triggered" || inc.ServiceID != f.service {
					return fmt.Errorf("incident %+v", inc)
				}
				vars, _ := d.Attrs(t, http)["vars"].(map[string]any)
				ref, _ := vars["pdbridge"].(map[string]any)
				if ref["incident_id"] != inc.ID {
					return fmt.Errorf("the reference on %s is %v, want incident %s", http, ref, inc.ID)
				}
				if comments("[pdbridge:created:"+inc.ID+"]") != 1 {
					return fmt.Errorf("comments %+v: want one saying the incident was created", d.Comments(t, http))
				}
				if n := len(f.incidents(t)); n != 1 {
					return fmt.Errorf("%d incidents, want 1: the problem in a downtime opened one", n)
				}
				if a := d.Attrs(t, maintHTTP); a["acknowledgement"] == 0.0 {
					return fmt.Errorf("the problem in a downtime is not acknowledged (on_service_maintenance = acknowledge_event)")
				}
				for _, c := range d.Comments(t, maintHTTP) {
					if strings.Contains(c.Text, "No PagerDuty incident") && strings.Contains(c.Text, "kernel upgrade") {
						return nil
					}
				}
				return fmt.Errorf("no comment says why the problem in a downtime has no incident: %+v", d.Comments(t, maintHTTP))
			},
		}, {
			// Jane acknowledges the incident in PagerDuty and adds a note.
			PreConfig: func() {
				if _, err := f.human.UpdateIncidents(context.Background(), []pagerduty.IncidentUpdate{{ID: incID, Status: "acknowledged"}}); err != nil {
					t.Fatal(err)
				}
				if _, err := f.human.AddNote(context.Background(), incID, "restarting nginx"); err != nil {
					t.Fatal(err)
				}
			},
			Config: config,
			Check: func(*terraform.State) error {
				a := d.Attrs(t, http)
				if a["acknowledgement"] == 0.0 {
					return fmt.Errorf("not acknowledged in Icinga after the incident was acknowledged in PagerDuty")
				}
				ack := false
				for _, c := range d.Comments(t, http) {
					ack = ack || (c.EntryType == 4 && c.Author == d.User && strings.Contains(c.Text, incID))
				}
				if !ack {
					return fmt.Errorf("no acknowledgement by %s naming %s: %+v", d.User, incID, d.Comments(t, http))
				}
				if n := comments("restarting nginx"); n != 1 {
					return fmt.Errorf("the note is in %d comments, want 1", n)
				}
				return nil
			},
		}, {
			// The service recovers: the incident resolves; the note stays copied once.
			PreConfig: func() { d.Result(t, http, 0, "HTTP OK") },
			Config:    config,
			Check: func(*terraform.State) error {
				inc, err := incident()
				if err != nil {
					return err
				}
				if inc.Status != "resolved" {
					return fmt.Errorf("incident %s after the recovery", inc.Status)
				}
				if n := comments("restarting nginx"); n != 1 {
					return fmt.Errorf("the note is in %d comments after more runs, want 1", n)
				}
				if list := f.incidents(t); len(list) != 1 {
					return fmt.Errorf("%d incidents, want 1: %s", len(list), titles(list))
				}
				return nil
			},
		}},
	})
}

func TestAccIcinga2SyncErrors(t *testing.T) {
	t.Parallel()
	onePDPerIcinga.Lock()
	defer onePDPerIcinga.Unlock()
	d := sourcetest.NewIcinga2(t)
	f := startConsoleFixture(t)
	prefix := sourcetest.Unique("e2e-err")
	d.Host(t, prefix, false)
	http := d.Service(t, prefix, "http", false)
	d.Result(t, http, 2, "HTTP CRITICAL - 503 on "+prefix)
	other := otherCA(t)
	proxy := startProxy(t, strings.TrimPrefix(d.URL, "https://"))
	viaProxy := *d
	viaProxy.URL = "https://" + proxy.addr
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			Config:      f.config("icinga2", icingaSource(d, "not-the-password", d.CACert), prefix),
			ExpectError: regexp.MustCompile(`(?s)listing icinga2 events.*HTTP 401.*check the API user`),
		}, {
			Config:      f.config("icinga2", icingaSource(d, d.Password, other), prefix),
			ExpectError: regexp.MustCompile(`(?s)listing icinga2 events.*certificate signed by unknown authority`),
		}, {
			PreConfig:   func() { proxy.stopAfterFirstEvent(f) },
			Config:      f.config("icinga2", icingaSource(&viaProxy, d.Password, d.CACert), prefix),
			ExpectError: regexp.MustCompile(`(?s)listing icinga2 events.*connection refused`),
			Check:       func(*terraform.State) error { return nil },
		}, {
			// Back again: the next run pairs the incident the first one opened.
			PreConfig: func() {
				if n := len(f.incidents(t)); n != 1 {
					t.Fatalf("%d incidents after the cut-off run, want 1", n)
				}
				proxy.restart(t)
			},
			Config: f.config("icinga2", icingaSource(&viaProxy, d.Password, d.CACert), prefix),
			Check: func(*terraform.State) error {
				list := f.incidents(t)
				if len(list) != 1 {
					return fmt.Errorf("%d incidents after the daemon came back, want the one: %s", len(list), titles(list))
				}
				vars, _ := d.Attrs(t, http)["vars"].(map[string]any)
				if ref, _ := vars["pdbridge"].(map[string]any); ref["incident_id"] != list[0].ID {
					return fmt.Errorf("reference %v, want incident %s", ref, list[0].ID)
				}
				return nil
			},
		}},
	})
}

func amSource(d *sourcetest.Alertmanager, password string) string {
	return fmt.Sprintf(`      url      = %q
      username = %q
      password = %q
      timeout  = "5s"`, d.URL, d.User, password)
}

func TestAccAlertmanagerSyncFollowsBothSides(t *testing.T) {
	t.Parallel()
	d := sourcetest.NewAlertmanager(t)
	f := startConsoleFixture(t)
	prefix := sourcetest.Unique("e2e")
	web := map[string]string{"alertname": "HTTPDown", "instance": prefix + "-web", "severity": "critical"}
	maint := map[string]string{"alertname": "HTTPDown", "instance": prefix + "-maint", "severity": "critical"}
	d.Fire(t, web, map[string]string{"summary": "HTTP 503 on " + web["instance"]})
	d.Fire(t, maint, map[string]string{"summary": "HTTP 503 on " + maint["instance"]})
	d.Silence(t, map[string]string{"instance": maint["instance"]}, "bob", "kernel upgrade", time.Hour)
	config := f.config("alertmanager", amSource(d, d.Password), prefix)
	incident := f.only(web["instance"])
	var incID string
	ours := func(instance string) []sourcetest.AMSilence {
		var out []sourcetest.AMSilence
		for _, s := range d.Silences(t, "instance", instance) {
			if s.CreatedBy == d.User {
				out = append(out, s)
			}
		}
		return out
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			// A firing alert opens an incident; a silenced one does not.
			Config: config,
			Check: func(*terraform.State) error {
				inc, err := incident()
				if err != nil {
					return err
				}
				incID = inc.ID
				if inc.Status != "triggered" {
					return fmt.Errorf("incident %s", inc.Status)
				}
				if n := len(f.incidents(t)); n != 1 {
					return fmt.Errorf("%d incidents, want 1: the silenced alert opened one", n)
				}
				if s := ours(web["instance"]); len(s) != 0 {
					return fmt.Errorf("the firing alert is silenced before anyone acknowledged it: %+v", s)
				}
				return nil
			},
		}, {
			// Jane acknowledges the incident in PagerDuty: the alert is silenced.
			PreConfig: func() {
				if _, err := f.human.UpdateIncidents(context.Background(), []pagerduty.IncidentUpdate{{ID: incID, Status: "acknowledged"}}); err != nil {
					t.Fatal(err)
				}
			},
			Config: config,
			Check: func(*terraform.State) error {
				s := ours(web["instance"])
				if len(s) != 1 || s[0].Status.State != "active" || !strings.Contains(s[0].Comment, incID) {
					return fmt.Errorf("silences by %s: %+v; want one, active, naming %s", d.User, s, incID)
				}
				if inc, err := incident(); err != nil || inc.Status != "acknowledged" {
					return fmt.Errorf("incident %+v, %v: the sync undid the acknowledgement", inc.Status, err)
				}
				return nil
			},
		}, {
			// The alert resolves: so does the incident.
			PreConfig: func() { d.Resolve(t, web) },
			Config:    config,
			Check: func(*terraform.State) error {
				inc, err := incident()
				if err != nil {
					return err
				}
				if inc.Status != "resolved" {
					return fmt.Errorf("incident %s after the alert resolved", inc.Status)
				}
				return nil
			},
		}},
	})
}

func TestAccAlertmanagerSyncErrors(t *testing.T) {
	t.Parallel()
	d := sourcetest.NewAlertmanager(t)
	f := startConsoleFixture(t)
	prefix := sourcetest.Unique("e2e-err")
	d.Fire(t, map[string]string{"alertname": "HTTPDown", "instance": prefix, "severity": "critical"}, map[string]string{"summary": "HTTP 503 on " + prefix})
	proxy := startProxy(t, strings.TrimPrefix(d.URL, "http://"))
	viaProxy := *d
	viaProxy.URL = "http://" + proxy.addr
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccEchoFactories,
		Steps: []resource.TestStep{{
			Config:      f.config("alertmanager", amSource(d, "not-the-password"), prefix),
			ExpectError: regexp.MustCompile(`(?s)listing alertmanager events.*HTTP 401`),
		}, {
			PreConfig:   func() { proxy.stopAfterFirstEvent(f) },
			Config:      f.config("alertmanager", amSource(&viaProxy, d.Password), prefix),
			ExpectError: regexp.MustCompile(`(?s)listing alertmanager events.*connection refused`),
		}, {
			PreConfig: func() { proxy.restart(t) },
			Config:    f.config("alertmanager", amSource(&viaProxy, d.Password), prefix),
			Check: func(*terraform.State) error {
				// Paired by its dedup key: the run that was cut off sent the
				// trigger, and no run sent another.
				if n := len(f.incidents(t)); n != 1 {
					return fmt.Errorf("%d incidents, want 1", n)
				}
				if n := len(f.pd.Events()); n != 1 {
					return fmt.Errorf("%d events sent to PagerDuty, want 1", n)
				}
				return nil
			},
		}},
	})
}

// proxy forwards TCP to a daemon until stopped; stopping it closes every
// connection, so the daemon is gone for the adapter as if it had stopped
// (the daemon itself is shared by the other tests).
type proxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{target: target}
	p.listen(t, "127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) listen(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// stopAfterFirstEvent stops the proxy as soon as PagerDuty receives an
// event: right after a run sent its trigger, before it could pair the
// incident with its event (the run waits at least 250 ms for that).
func (p *proxy) stopAfterFirstEvent(f *consoleFixture) {
	go func() {
		for range 2000 { // 10 s
			if len(f.pd.Events()) > 0 {
				p.stop()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// restart listens again on the same address.
func (p *proxy) restart(t *testing.T) {
	t.Helper()
	p.stop()
	p.listen(t, p.addr)
}

// otherCA is a CA certificate that signed nothing the daemon serves.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the Icinga CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
