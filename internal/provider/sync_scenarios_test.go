package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/reconcile"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

// The sync's behaviours as a user meets them: the real Terraform CLI runs
// each pass against the PagerDuty and Zenoss sandboxes, as a CI job would.
// On Terraform 1.14 and later a pass is `terraform apply -invoke` of the
// pdbridge_sync_run action; before 1.14 it is `terraform plan` opening the
// pdbridge_sync_run ephemeral resource with dry_run = false. make check runs
// this file on 1.11.4 and 1.14.3, so every scenario goes through both.
// internal/reconcile's scenario tests check the same behaviours in more
// detail, without Terraform.

// syncWorld is one user's setup: PagerDuty with a Unix team service and
// Jane, who acts in PagerDuty; Zenoss; and a working directory whose
// configuration holds the connector, the routing, the sync settings and
// both ways to run a sync. The sandboxes and the provider share a clock
// that runs with the machine's and that the test can move ahead.
type syncWorld struct {
	t       *testing.T
	clock   *clock.Shifted
	pd      *pdsandbox.Server
	pdURL   string
	zs      *zsandbox.Server
	zURL    string
	sync    *pagerduty.Client // as the provider's user
	human   *pagerduty.Client // as Jane
	service string
	tf      *terraformCLI
	config  string
}

// newSyncWorld applies the configuration with settings (HCL attributes of
// pdbridge_sync_settings) and returns the world, in sync and empty.
func newSyncWorld(t *testing.T, settings string) *syncWorld {
	t.Helper()
	return newSyncWorldWith(t, worldOptions{settings: settings})
}

type worldOptions struct {
	minTerraform  string // default 1.10.0, the first with ephemeral resources
	settings      string // HCL attributes of pdbridge_sync_settings
	extra         string // more configuration
	zenossVersion int    // 4, 5 or 6 (default)
}

// newSyncWorldWith is newSyncWorld with more to say.
func newSyncWorldWith(t *testing.T, o worldOptions) *syncWorld {
	t.Helper()
	t.Parallel()
	if o.minTerraform == "" {
		o.minTerraform = "1.10.0"
	}
	w := &syncWorld{t: t, clock: &clock.Shifted{}}
	w.pd = pdsandbox.New(pdsandbox.Options{Token: testToken, Now: w.clock.Now, EventDelay: testEventDelay,
		Users: []pdsandbox.User{{Name: "Jane Doe", Email: humanEmail}}})
	pdSrv := httptest.NewServer(w.pd)
	t.Cleanup(pdSrv.Close)
	w.zs = zsandbox.New(zsandbox.Options{Username: zenossTestUser, Password: zenossTestPassword, Now: w.clock.Now, Version: zsandbox.Version(o.zenossVersion)})
	zSrv := httptest.NewServer(w.zs)
	t.Cleanup(zSrv.Close)
	w.pdURL, w.zURL = pdSrv.URL, zSrv.URL
	client := func(email string) *pagerduty.Client {
		c, err := pagerduty.New(pagerduty.Config{Token: testToken, UserEmail: email, APIURL: w.pdURL, EventsURL: w.pdURL,
			Retry: httpretry.Policy{MaxRetries: 2, MinWait: 5 * time.Millisecond, MaxWait: 20 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	w.sync, w.human = client(testEmail), client(humanEmail)
	svc, err := w.sync.CreateService(context.Background(), "Unix team", "", w.pd.DefaultEscalationPolicyID())
	if err != nil {
		t.Fatal(err)
	}
	w.service = svc.ID
	w.tf = startTerraformCLI(t, o.minTerraform, w.clock)
	w.config = w.configuration(o, w.tf.atLeast("1.14.0")) + o.extra
	w.tf.init(w.config)
	w.tf.mustRun("apply", "-auto-approve", "-input=false")
	return w
}

func (w *syncWorld) configuration(o worldOptions, withAction bool) string {
	action := ""
	if withAction { // an action block does not parse before Terraform 1.14
		action = `
action "pdbridge_sync_run" "zenoss" {
  config {
    settings = pdbridge_sync_settings.zenoss
  }
}
`
	}
	version := ""
	if o.zenossVersion != 0 {
		version = fmt.Sprintf("\n      version  = %d", o.zenossVersion)
	}
	return providerBlock(w.pdURL, fmt.Sprintf(`    zenoss_prod = {
      kind     = "zenoss"
      url      = %q
      username = %q
      password = %q%s
    }`, w.zURL, zenossTestUser, zenossTestPassword, version)) + fmt.Sprintf(`
variable "run_sync" {
  type    = bool
  default = false
}

resource "pdbridge_connector" "unix" {
  name        = "Zenoss: Unix team"
  service_id  = %[1]q
  source_kind = "zenoss"
}

resource "pdbridge_routing_transform" "zenoss" {
  catch_all {
    route_to = pdbridge_connector.unix.id
  }
}

resource "pdbridge_sync_settings" "zenoss" {
  source  = "zenoss_prod"
  routing = pdbridge_routing_transform.zenoss
%[2]s
}

ephemeral "pdbridge_sync_run" "zenoss" {
  count    = var.run_sync ? 1 : 0
  settings = pdbridge_sync_settings.zenoss
  dry_run  = false
}
%[3]s`, w.service, o.settings, action)
}

// syncOnce runs one sync the way the CLI in use allows, and fails the test
// if Terraform reports a failed operation.
func (w *syncWorld) syncOnce() string {
	w.t.Helper()
	out, ok := w.syncAllowingFailures(w.tf)
	if !ok || strings.Contains(out, "Sync Operation Failed") {
		w.t.Fatalf("the sync failed:\n%s", out)
	}
	return out
}

// syncAllowingFailures runs one sync with tf and says whether Terraform
// succeeded. Failed operations are errors of the action, and warnings of
// the ephemeral resource (whose result holds them).
func (w *syncWorld) syncAllowingFailures(tf *terraformCLI) (string, bool) {
	w.t.Helper()
	if tf.atLeast("1.14.0") {
		return tf.invoke("pdbridge_sync_run.zenoss", "-lock=false")
	}
	return tf.run("plan", "-input=false", "-lock=false", "-var", "run_sync=true")
}

func (w *syncWorld) raise(device, summary string) string {
	w.t.Helper()
	id := w.zs.AddEvent(zsandbox.Occurrence{Device: device, DeviceClass: "/Server/Linux", Summary: summary, Severity: zsandbox.SeverityCritical})
	if id == "" {
		w.t.Fatal("the Zenoss sandbox dropped the event")
	}
	return id
}

func (w *syncWorld) event(id string) zsandbox.Event {
	w.t.Helper()
	e, ok := w.zs.Event(id)
	if !ok {
		w.t.Fatalf("event %s is gone", id)
	}
	return e
}

// lines counts the event's log lines that contain sub.
func (w *syncWorld) lines(id, sub string) int {
	w.t.Helper()
	n := 0
	for _, l := range w.event(id).Log {
		if strings.Contains(l.Message, sub) {
			n++
		}
	}
	return n
}

func (w *syncWorld) log(id string) string {
	w.t.Helper()
	var b strings.Builder
	for _, l := range w.event(id).Log {
		fmt.Fprintf(&b, "\n  %s: %s", l.User, l.Message)
	}
	return b.String()
}

// incidentOf is the incident the event's reference names.
func (w *syncWorld) incidentOf(id string) pagerduty.Incident {
	w.t.Helper()
	ref := w.event(id).Details["pdbridge.incident_id"]
	if len(ref) == 0 || ref[0] == "" {
		w.t.Fatalf("event %s has no incident reference: %v", id, w.event(id).Details)
	}
	inc, err := w.sync.GetIncident(context.Background(), ref[0])
	if err != nil {
		w.t.Fatal(err)
	}
	return inc
}

func (w *syncWorld) incidents() []pagerduty.Incident {
	w.t.Helper()
	list, err := w.sync.ListIncidents(context.Background(), pagerduty.IncidentFilter{AllDates: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

// paired raises an event and syncs once: the run waits for the incident
// its trigger opens and writes the reference back.
func (w *syncWorld) paired(device, summary string) (string, string) {
	w.t.Helper()
	id := w.raise(device, summary)
	w.syncOnce()
	return id, w.incidentOf(id).ID
}

// later moves the clock ahead, as time passes between CI jobs.
func (w *syncWorld) later(d time.Duration) { w.clock.Advance(d) }

func (w *syncWorld) setStatus(incidentID, status string) {
	w.t.Helper()
	if _, err := w.human.UpdateIncidents(context.Background(), []pagerduty.IncidentUpdate{{ID: incidentID, Status: status}}); err != nil {
		w.t.Fatal(err)
	}
}

// rest sends a REST request as Jane, for what the client does not do.
func (w *syncWorld) rest(method, path, body string) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.pdURL+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token token="+testToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("From", humanEmail)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("%s %s = %s", method, path, resp.Status)
	}
}

func (w *syncWorld) noteTexts(incidentID string) []string {
	w.t.Helper()
	notes, err := w.sync.ListNotes(context.Background(), incidentID)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, n := range notes {
		out = append(out, n.Content)
	}
	return out
}

func countIn(texts []string, sub string) int {
	n := 0
	for _, s := range texts {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func TestAccSyncEventOpensAnIncident(t *testing.T) {
	w := newSyncWorld(t, "")
	id := w.raise("web01", "Disk full")
	out := w.syncOnce()
	inc := w.incidentOf(id)
	if inc.ServiceID != w.service || inc.Title != "Disk full" || inc.Status != "triggered" {
		t.Errorf("incident %+v, want a triggered \"Disk full\" on the Unix team", inc)
	}
	if w.lines(id, "[pdbridge:created:"+inc.ID+"]") != 1 {
		t.Errorf("event log, want one line saying the incident was created:%s", w.log(id))
	}
	if w.tf.atLeast("1.14.0") && !strings.Contains(out, "create_incident") {
		t.Errorf("the action's progress does not mention the trigger:\n%s", out)
	}
	// The next CI job has nothing to do.
	w.later(time.Minute)
	w.syncOnce()
	if n := len(w.incidents()); n != 1 {
		t.Errorf("%d incidents after a second sync, want 1", n)
	}
}

func TestAccSyncAcknowledgeInPagerDutyAcknowledgesTheEvent(t *testing.T) {
	w := newSyncWorld(t, "")
	id, inc := w.paired("web01", "Load high")
	w.later(time.Minute)
	w.setStatus(inc, "acknowledged")
	w.syncOnce()
	if e := w.event(id); e.Status != zsandbox.StatusAcknowledged || w.lines(id, "Acknowledged by Jane Doe") != 1 {
		t.Errorf("event %s, want acknowledged with one line naming Jane:%s", e.Status, w.log(id))
	}
}

func TestAccSyncCloseInZenossResolvesTheIncident(t *testing.T) {
	w := newSyncWorld(t, "")
	id, inc := w.paired("web01", "Ping lost")
	w.later(time.Minute)
	if _, err := w.zs.Close(id, "alice"); err != nil {
		t.Fatal(err)
	}
	w.syncOnce()
	if got := w.incidentOf(id); got.ID != inc || got.Status != "resolved" {
		t.Errorf("incident %s is %s after its event closed, want resolved", got.ID, got.Status)
	}
}

func TestAccSyncResolveInPagerDutyClosesTheEventOnlyWhenEnabled(t *testing.T) {
	for _, closeIt := range []bool{false, true} {
		t.Run(fmt.Sprintf("close_event_on_incident_resolution=%t", closeIt), func(t *testing.T) {
			settings := ""
			if closeIt {
				settings = "close_event_on_incident_resolution = true"
			}
			w := newSyncWorld(t, settings)
			id, inc := w.paired("web01", "Disk full")
			w.later(time.Minute)
			w.setStatus(inc, "resolved")
			w.syncOnce()
			e := w.event(id)
			if closeIt && (e.Status != zsandbox.StatusClosed || w.lines(id, "Closing the event") != 1) {
				t.Errorf("event %s, want closed with one line saying why:%s", e.Status, w.log(id))
			}
			if !closeIt && (e.Status != zsandbox.StatusNew || w.lines(id, "Resolved by Jane Doe") != 1) {
				t.Errorf("event %s, want left open with one line saying Jane resolved the incident:%s", e.Status, w.log(id))
			}
		})
	}
}

func TestAccSyncMaintenanceAcknowledgesTheEventWithoutAnIncident(t *testing.T) {
	w := newSyncWorld(t, "")
	now := w.clock.Now()
	if _, err := w.human.CreateMaintenanceWindow(context.Background(), "kernel patching", now.Add(-time.Minute), now.Add(time.Hour), w.service); err != nil {
		t.Fatal(err)
	}
	id := w.raise("web01", "Reboot")
	w.syncOnce()
	if n := len(w.incidents()); n != 0 {
		t.Errorf("%d incidents for an event on a service in maintenance", n)
	}
	if e := w.event(id); e.Status != zsandbox.StatusAcknowledged || w.lines(id, `maintenance window "kernel patching"`) != 1 {
		t.Errorf("event %s, want acknowledged with one line naming the window:%s", e.Status, w.log(id))
	}
}

func TestAccSyncDisabledServiceLeavesTheEventNew(t *testing.T) {
	w := newSyncWorld(t, "")
	w.rest("PUT", "/services/"+w.service, `{"service":{"type":"service","status":"disabled","escalation_policy":{"id":"`+
		w.pd.DefaultEscalationPolicyID()+`","type":"escalation_policy_reference"}}}`)
	id := w.raise("web01", "CPU")
	w.syncOnce()
	w.later(time.Minute)
	w.syncOnce()
	if n := len(w.incidents()); n != 0 {
		t.Errorf("%d incidents on a disabled service", n)
	}
	if e := w.event(id); e.Status != zsandbox.StatusNew || w.lines(id, "is disabled") != 1 {
		t.Errorf("event %s, want new with one line saying the service is disabled:%s", e.Status, w.log(id))
	}
}

func TestAccSyncFloodOfFiftyEventsOpensAtMostMaxIncidents(t *testing.T) {
	w := newSyncWorld(t, `  suppression = {
    max_incidents = 3
    window        = "10m"
  }`)
	var ids []string
	for i := range 50 { // one device, component and severity: one flood signature
		ids = append(ids, w.raise("web01", fmt.Sprintf("Flapping link %d", i)))
	}
	w.syncOnce()
	w.later(time.Minute)
	w.syncOnce()
	if n := len(w.incidents()); n != 3 {
		t.Errorf("a flood of 50 events opened %d incidents, want 3 (max_incidents)", n)
	}
	suppressed := 0
	for _, id := range ids {
		suppressed += w.lines(id, "flood suppression")
	}
	if suppressed != 47 {
		t.Errorf("%d flood lines on the events, want one on each of the 47 suppressed", suppressed)
	}
}

func TestAccSyncRecurrenceWhileOpenKeepsTheIncident(t *testing.T) {
	w := newSyncWorld(t, "send_on_initial_occurrence_only = false")
	id, inc := w.paired("web01", "Disk full")
	w.later(time.Minute)
	if again := w.raise("web01", "Disk full"); again != id {
		t.Fatalf("Zenoss gave the recurrence evid %s, want %s", again, id)
	}
	w.syncOnce()
	if list := w.incidents(); len(list) != 1 || list[0].ID != inc || list[0].Status != "triggered" {
		t.Errorf("after a recurrence: %+v, want incident %s alone and still triggered", list, inc)
	}
}

func TestAccSyncRecurrenceAfterCloseFollowsTheOption(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		t.Run(fmt.Sprintf("reopen_incident_on_event_recurrence=%t", reopen), func(t *testing.T) {
			w := newSyncWorld(t, fmt.Sprintf("reopen_incident_on_event_recurrence = %t", reopen))
			id, inc := w.paired("web01", "Disk full")
			w.later(time.Minute)
			if _, err := w.zs.Close(id, "alice"); err != nil {
				t.Fatal(err)
			}
			w.syncOnce()
			w.later(time.Minute)
			again := w.raise("web01", "Disk full")
			if again == id {
				t.Fatal("Zenoss revived the closed event; a recurrence after close is a new evid")
			}
			w.syncOnce()
			got, all := w.incidentOf(again), w.incidents()
			if reopen && (got.ID != inc || got.Status != "triggered" || len(all) != 1) {
				t.Errorf("paired with %s (%s), %d incidents; want %s re-opened", got.ID, got.Status, len(all), inc)
			}
			if !reopen && (got.ID == inc || len(all) != 2) {
				t.Errorf("paired with %s, %d incidents; want a new incident", got.ID, len(all))
			}
		})
	}
}

func TestAccSyncMergedIncidentIsFollowed(t *testing.T) {
	w := newSyncWorld(t, "")
	a, incA := w.paired("web01", "Disk full")
	b, incB := w.paired("web02", "Disk full too")
	w.later(time.Minute)
	w.rest("PUT", "/incidents/"+incA+"/merge", `{"source_incidents":[{"id":"`+incB+`","type":"incident_reference"}]}`)
	w.syncOnce()
	if got, e := w.incidentOf(b), w.event(b); got.ID != incA || e.Status != zsandbox.StatusNew || w.lines(b, "was merged into") != 1 {
		t.Errorf("event b follows %s and is %s, want %s and still new, with one line about the merge:%s", got.ID, e.Status, incA, w.log(b))
	}
	if e := w.event(a); e.Status != zsandbox.StatusNew {
		t.Errorf("event a is %s after the merge", e.Status)
	}
}

func TestAccSyncAcknowledgementTimeoutReturnsTheEventToNew(t *testing.T) {
	w := newSyncWorld(t, "")
	id, inc := w.paired("web01", "Disk full")
	w.later(time.Minute)
	w.setStatus(inc, "acknowledged")
	w.syncOnce()
	if e := w.event(id); e.Status != zsandbox.StatusAcknowledged {
		t.Fatalf("event %s after the acknowledgement", e.Status)
	}
	w.later(31 * time.Minute) // the service's acknowledgement_timeout is 30 minutes
	w.syncOnce()
	if got := w.incidentOf(id); got.Status != "triggered" {
		t.Fatalf("incident %s after the timeout", got.Status)
	}
	if e := w.event(id); e.Status != zsandbox.StatusNew || w.lines(id, "Unacknowledged due to timeout") != 1 {
		t.Errorf("event %s, want new with one line about the timeout:%s", e.Status, w.log(id))
	}
}

func TestAccSyncNotesAreCopiedBothWaysOnce(t *testing.T) {
	w := newSyncWorld(t, "")
	id, inc := w.paired("web01", "Disk full")
	w.later(time.Minute)
	if err := w.zs.WriteLog(id, "alice", "<b>Looking</b> into it"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.human.AddNote(context.Background(), inc, "Restarting nginx"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		w.syncOnce()
		w.later(time.Minute)
	}
	notes := w.noteTexts(inc)
	if countIn(notes, "Looking into it") != 1 || countIn(notes, "Restarting nginx") != 1 {
		t.Errorf("incident notes %q, want the event's note once and Jane's own once", notes)
	}
	if w.lines(id, "Restarting nginx") != 1 || w.lines(id, "Looking") != 1 {
		t.Errorf("event log, want Jane's note once and alice's line not echoed back:%s", w.log(id))
	}
}

func TestAccSyncRetriesRateLimitsAndServerErrors(t *testing.T) {
	w := newSyncWorld(t, "")
	a, _ := w.paired("web01", "Disk full")
	b, _ := w.paired("web02", "Disk full")
	w.later(time.Minute)
	for _, id := range []string{a, b} {
		if _, err := w.zs.Close(id, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	// The bulk status write answers 429 (with its reset), then 503; the
	// Zenoss API answers 503 once.
	w.pd.Faults().Set(fault.Faults{RoutePrefix: "PUT /incidents", RateLimit: 1, RateLimitReset: time.Second, ServerErrors: 1, ServerErrorStatus: 503})
	w.zs.Faults().Set(fault.Faults{ServerErrors: 1, ServerErrorStatus: 503})
	w.syncOnce()
	if len(w.pd.Faults().Injected()) == 0 || len(w.zs.Faults().Injected()) == 0 {
		t.Fatalf("no fault was injected (PagerDuty %v, Zenoss %v)", w.pd.Faults().Injected(), w.zs.Faults().Injected())
	}
	for _, id := range []string{a, b} {
		if got := w.incidentOf(id); got.Status != "resolved" {
			t.Errorf("incident of %s is %s, want resolved despite the 429 and the 503s", id, got.Status)
		}
	}
}

func TestAccSyncRunCutOffConvergesOnTheNextRun(t *testing.T) {
	w := newSyncWorld(t, `run_timeout = "1m"`)
	ids := []string{w.raise("web01", "Disk full"), w.raise("web02", "Load high"), w.raise("web03", "Ping lost")}
	// PagerDuty's Events API goes away after the first trigger, as a
	// killed PagerDuty or a lost network would: every later request to it
	// has its connection reset.
	w.pd.Faults().Set(fault.Faults{RoutePrefix: "POST /v2/enqueue", ResetAfter: 1, Resets: 1 << 20})
	out, _ := w.syncAllowingFailures(w.tf)
	w.pd.Faults().Clear()
	if !strings.Contains(out, "Sync Operation Failed") {
		t.Fatalf("the cut run reported no failed operation:\n%s", out)
	}
	w.later(2 * time.Minute) // past any lock the cut run left
	w.syncOnce()
	if n := len(w.incidents()); n != 3 {
		t.Fatalf("%d incidents after the cut run and a clean one, want 3", n)
	}
	for _, id := range ids {
		inc := w.incidentOf(id)
		if w.lines(id, "[pdbridge:created:") != 1 || inc.Status != "triggered" {
			t.Errorf("event %s: incident %s %s, log:%s", id, inc.ID, inc.Status, w.log(id))
		}
	}

	// The status writes go away: the closes reach PagerDuty on the next run.
	w.later(time.Minute)
	for _, id := range ids {
		if _, err := w.zs.Close(id, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	w.pd.Faults().Set(fault.Faults{RoutePrefix: "PUT /incidents", ResetAfter: 0, Resets: 1 << 20})
	w.syncAllowingFailures(w.tf)
	w.pd.Faults().Clear()
	w.later(2 * time.Minute)
	w.syncOnce()
	for _, id := range ids {
		if got := w.incidentOf(id); got.Status != "resolved" {
			t.Errorf("incident of %s is %s after the cut run and a clean one", id, got.Status)
		}
		if n := w.lines(id, "[pdbridge:created:"); n != 1 {
			t.Errorf("event %s has %d created lines", id, n)
		}
	}
}

func TestAccSyncTwoRunsAtOnceDoNotDuplicate(t *testing.T) {
	w := newSyncWorld(t, "")
	var ids, incs []string
	for i := range 10 {
		id, inc := w.paired(fmt.Sprintf("web%02d", i), "Disk full")
		ids, incs = append(ids, id), append(incs, inc)
	}
	w.later(time.Minute)
	for i, inc := range incs {
		if _, err := w.human.AddNote(context.Background(), inc, "checking "+ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	// A second CI job on another runner: its own Terraform, provider and
	// working directory, the same configuration and state.
	other := startTerraformCLI(t, "1.10.0", w.clock)
	other.init(w.config)
	copyFile(t, w.tf.dir+"/terraform.tfstate", other.dir+"/terraform.tfstate")

	// Copying the notes to Zenoss is slow, so the first run holds the lock
	// while the second one starts.
	w.zs.Faults().Set(fault.Faults{RoutePrefix: "EventsRouter.write_log", Latency: 300 * time.Millisecond})
	var first string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		first, _ = w.syncAllowingFailures(w.tf)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := w.sync.FindServiceByName(context.Background(), reconcile.LockName("zenoss_prod"))
		if err == nil {
			break
		}
		if !pagerduty.IsNotFound(err) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			wg.Wait()
			t.Fatalf("the first run never took the lock:\n%s", first)
		}
		time.Sleep(20 * time.Millisecond)
	}
	second, _ := w.syncAllowingFailures(other)
	wg.Wait()
	w.zs.Faults().Clear()
	if !strings.Contains(second, "Another Sync Run Is Running") {
		t.Errorf("the second run did not find the lock held:\n%s", second)
	}
	if strings.Contains(first, "Another Sync Run Is Running") || strings.Contains(first, "Sync Operation Failed") {
		t.Errorf("the first run:\n%s", first)
	}
	// Whatever the first run left undone, the next job finishes.
	w.syncOnce()
	for _, id := range ids {
		if n := w.lines(id, "checking "+id); n != 1 {
			t.Errorf("event %s has Jane's note %d times, want 1:%s", id, n, w.log(id))
		}
	}
	if n := len(w.incidents()); n != len(ids) {
		t.Errorf("%d incidents, want %d", n, len(ids))
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Zenoss 4 has nowhere to keep the incident's reference: the sync pairs by
// the alert's dedup key, and still never opens a second incident.
func TestAccSyncZenoss4PairsWithoutAReference(t *testing.T) {
	w := newSyncWorldWith(t, worldOptions{zenossVersion: 4})
	id := w.raise("web01", "Disk full")
	w.syncOnce()
	list := w.incidents()
	if len(list) != 1 || len(w.event(id).Details["pdbridge.incident_id"]) != 0 {
		t.Fatalf("%d incidents, details %v; want one incident and no reference on a Zenoss 4 event", len(list), w.event(id).Details)
	}
	w.later(time.Minute)
	w.setStatus(list[0].ID, "acknowledged")
	w.syncOnce()
	w.later(time.Minute)
	w.syncOnce()
	if e := w.event(id); e.Status != zsandbox.StatusAcknowledged || w.lines(id, "Acknowledged by Jane Doe") != 1 {
		t.Errorf("event %s, want acknowledged with one line naming Jane:%s", e.Status, w.log(id))
	}
	if n := len(w.incidents()); n != 1 {
		t.Errorf("%d incidents after three syncs, want 1", n)
	}
}
