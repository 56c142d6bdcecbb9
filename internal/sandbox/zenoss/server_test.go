package zenoss

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/clock"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
)

var t0 = time.Date(2024, 1, 15, 14, 30, 0, 250e6, time.UTC)

func start(t *testing.T, o Options) (*Server, *httptest.Server, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	if o.Username == "" {
		o.Username, o.Password = "pdbridge", "s3cret"
	}
	o.Now = clk.Now
	s := New(o)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs, clk
}

type reply struct {
	status int
	header http.Header
	body   []byte
	result map[string]any
}

// call posts one EventsRouter request with valid credentials.
func call(t *testing.T, hs *httptest.Server, method string, data any) reply {
	t.Helper()
	return post(t, hs, map[string]any{"action": "EventsRouter", "method": method, "data": []any{data}, "type": "rpc", "tid": 7},
		func(r *http.Request) { r.SetBasicAuth("pdbridge", "s3cret") })
}

func post(t *testing.T, hs *httptest.Server, body any, edit func(*http.Request)) reply {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, hs.URL+"/zport/dmd/evconsole_router", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if edit != nil {
		edit(req)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: raw}
	var env struct {
		Result map[string]any `json:"result"`
	}
	if json.Unmarshal(raw, &env) == nil {
		r.result = env.Result
	}
	return r
}

// as returns a decoded JSON value as a T, failing the test if it is not one.
func as[T any](t *testing.T, v any) T {
	t.Helper()
	x, ok := v.(T)
	if !ok {
		t.Fatalf("got %T %v, want a %T", v, v, x)
	}
	return x
}

func succeeded(t *testing.T, r reply) map[string]any {
	t.Helper()
	if r.status != http.StatusOK || r.result == nil || r.result["success"] != true {
		t.Fatalf("want success, got HTTP %d: %s", r.status, r.body)
	}
	return r.result
}

func failedWith(t *testing.T, r reply, msgPart string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("method failures answer HTTP 200, got %d: %s", r.status, r.body)
	}
	if msg, ok := r.result["msg"].(string); r.result["success"] != false || !ok || !strings.Contains(msg, msgPart) {
		t.Fatalf("want success:false with %q, got %s", msgPart, r.body)
	}
}

// queryEvents queries, by default for a full page: query's own default
// limit is 0, which returns no events.
func queryEvents(t *testing.T, hs *httptest.Server, data map[string]any) []map[string]any {
	t.Helper()
	if _, ok := data["keys"]; !ok {
		data["keys"] = nil
	}
	if _, ok := data["limit"]; !ok {
		data["limit"] = 1000
	}
	res := succeeded(t, call(t, hs, "query", data))
	var out []map[string]any
	for _, e := range as[[]any](t, res["events"]) {
		out = append(out, as[map[string]any](t, e))
	}
	return out
}

func updateCounts(t *testing.T, r reply) (updated, total float64) {
	t.Helper()
	d := as[map[string]any](t, succeeded(t, r)["data"])
	return as[float64](t, d["updated"]), as[float64](t, d["total"])
}

func TestAddEventDedupsWhileOpenAndNewEvidAfterClose(t *testing.T) {
	s, hs, clk := start(t, Options{})
	occ := map[string]any{"summary": "disk full", "device": "web01", "component": "/var", "severity": "Error", "evclasskey": "df", "evclass": "/Perf/FileSystem"}

	res := succeeded(t, call(t, hs, "add_event", occ))
	if res["msg"] != "Created event" || res["evid"] != nil {
		t.Fatalf("add_event should say Created event and return no evid, got %v", res)
	}
	clk.Advance(time.Minute)
	succeeded(t, call(t, hs, "add_event", occ))
	events := s.Events()
	if len(events) != 1 || events[0].Count != 2 || !events[0].LastTime.Equal(t0.Add(time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("a re-occurrence should bump count and lastTime of the open event, got %+v", events)
	}
	first := events[0].Evid

	// Acknowledged events still de-duplicate, and stay acknowledged.
	updateCounts(t, call(t, hs, "acknowledge", map[string]any{"evids": []string{first}}))
	succeeded(t, call(t, hs, "add_event", occ))
	if e, _ := s.Event(first); e.Count != 3 || e.Status != StatusAcknowledged {
		t.Fatalf("want count 3 and still acknowledged, got %d %s", e.Count, e.Status)
	}

	updateCounts(t, call(t, hs, "close", map[string]any{"evids": []string{first}}))
	succeeded(t, call(t, hs, "add_event", occ))
	events = s.Events()
	if len(events) != 2 || events[1].Evid == first || events[1].DedupID != events[0].DedupID || events[1].Count != 1 {
		t.Fatalf("a recurrence after close should be a new evid with the same dedupid, got %+v", events)
	}
}

func TestStateMachine(t *testing.T) {
	s, hs, _ := start(t, Options{})
	a := s.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityCritical})
	ids := map[string]any{"evids": []string{a}}

	if u, n := updateCounts(t, call(t, hs, "acknowledge", ids)); u != 1 || n != 1 {
		t.Fatalf("ack: updated %v total %v", u, n)
	}
	if u, _ := updateCounts(t, call(t, hs, "acknowledge", ids)); u != 0 {
		t.Fatal("re-ack by the same user should be a no-op")
	}
	if e, _ := s.Event(a); e.OwnerID != "pdbridge" {
		t.Fatalf("ownerid should be the acknowledging user, got %q", e.OwnerID)
	}
	updateCounts(t, call(t, hs, "close", ids))
	if u, _ := updateCounts(t, call(t, hs, "acknowledge", ids)); u != 0 {
		t.Fatal("acknowledging a closed event should do nothing")
	}
	if u, _ := updateCounts(t, call(t, hs, "reopen", ids)); u != 1 {
		t.Fatal("reopen of a closed event without an open twin should work")
	}
	e, _ := s.Event(a)
	if e.Status != StatusNew || e.OwnerID != "" {
		t.Fatalf("reopen should give New and clear ownerid, got %s %q", e.Status, e.OwnerID)
	}
	var audit []string
	for _, l := range e.Log {
		audit = append(audit, l.Message)
	}
	want := []string{"state changed to New", "state changed to Closed", "state changed to Acknowledged"}
	if !slices.Equal(audit, want) {
		t.Fatalf("audit log (newest first) = %q, want %q", audit, want)
	}

	// Close it, let the problem recur (new evid), then try to reopen the old one.
	updateCounts(t, call(t, hs, "close", ids))
	b := s.AddEvent(Occurrence{Device: "web01", Summary: "down", Severity: SeverityCritical})
	if u, n := updateCounts(t, call(t, hs, "reopen", ids)); u != 0 || n != 1 {
		t.Fatalf("reopen with an open twin (%s) should silently do nothing: updated %v total %v", b, u, n)
	}
	if e, _ := s.Event(a); e.Status != StatusClosed {
		t.Fatalf("the event should stay closed, got %s", e.Status)
	}
}

func TestClearEventClearsMatchingOpenEvents(t *testing.T) {
	s, _, _ := start(t, Options{})
	a := s.AddEvent(Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net/Link", Summary: "link down", Severity: SeverityError})
	other := s.AddEvent(Occurrence{Device: "web02", Component: "eth0", EventClass: "/Net/Link", Summary: "link down", Severity: SeverityError})
	s.AddEvent(Occurrence{Device: "web01", Component: "eth0", EventClass: "/Net/Link", Summary: "link up", Severity: SeverityClear})
	if e, _ := s.Event(a); e.Status != StatusCleared || e.ClearID == "" {
		t.Fatalf("want Cleared with a clearid, got %s %q", e.Status, e.ClearID)
	}
	if e, _ := s.Event(other); e.Status != StatusNew {
		t.Fatalf("another device's event must stay open, got %s", e.Status)
	}
}

func TestQueryFiltersSortPagingAndKeys(t *testing.T) {
	s, hs, clk := start(t, Options{})
	var ids []string
	for i, dev := range []string{"db01", "web01", "web02", "web03"} {
		ids = append(ids, s.AddEvent(Occurrence{Device: dev, Summary: "problem " + dev, Severity: Severity(2 + i%4), DeviceClass: "/Server/Linux"}))
		clk.Advance(time.Second)
	}
	if err := s.SetStatus(ids[3], StatusAged); err != nil {
		t.Fatal(err)
	}

	got := queryEvents(t, hs, map[string]any{"params": map[string]any{"device": "web", "eventState": []int{0, 1, 2}}, "sort": "firstTime", "dir": "ASC", "keys": []string{"evid", "device"}})
	if len(got) != 2 || got[0]["evid"] != ids[1] || got[1]["evid"] != ids[2] {
		t.Fatalf("device prefix + open states, sorted by firstTime: got %v", got)
	}
	if len(got[0]) != 2 {
		t.Fatalf("keys should limit the fields, got %v", got[0])
	}

	res := succeeded(t, call(t, hs, "query", map[string]any{"keys": []string{"evid"}, "sort": "firstTime", "dir": "DESC", "start": 1, "limit": 2}))
	evs := as[[]any](t, res["events"])
	if as[float64](t, res["totalCount"]) != 4 || len(evs) != 2 || as[map[string]any](t, evs[0])["evid"] != ids[2] {
		t.Fatalf("paging: got %v", res)
	}
	if _, ok := res["asof"].(float64); !ok {
		t.Fatalf("asof should be float seconds, got %v", res["asof"])
	}

	if got := queryEvents(t, hs, map[string]any{"start": 1 << 31, "limit": 10}); len(got) != 0 {
		t.Fatalf("a start past the end gives no events, got %d", len(got))
	}
	// start and limit are protobuf uint32 fields of ZEP's request.
	failedWith(t, call(t, hs, "query", map[string]any{"keys": nil, "start": int64(1) << 62}), "ValueError: Value out of range")
	failedWith(t, call(t, hs, "query", map[string]any{"keys": nil, "limit": -1}), "ValueError: Value out of range: -1")
	failedWith(t, call(t, hs, "query", map[string]any{"keys": nil, "limit": "10"}), "TypeError")

	got = queryEvents(t, hs, map[string]any{"params": map[string]any{"summary": "web01||web03", "severity": []int{3, 5}}})
	if len(got) != 2 {
		t.Fatalf("|| and severity filters: got %d events", len(got))
	}
	got = queryEvents(t, hs, map[string]any{"params": map[string]any{"device": "web!!web02"}})
	if len(got) != 2 {
		t.Fatalf("!! should exclude web02: got %d events", len(got))
	}

	failedWith(t, call(t, hs, "query", map[string]any{"keys": nil, "params": map[string]any{"pdIncident": "P1", "bogus": 1}}),
		"InvalidQueryParameterException: Invalid query parameters specified: bogus, pdIncident")
	failedWith(t, call(t, hs, "query", map[string]any{"keys": nil, "sort": "nope"}), "KeyError")
	failedWith(t, call(t, hs, "query", map[string]any{"keys": nil, "colour": "red"}), "unexpected keyword argument 'colour'")
}

func TestTimeRangeFormatsByVersion(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v          Version
		since, bad string
	}{
		// t0 + 1h is 10:30:00.250 in New York.
		{Version4, "2024-01-15T10:30:00", "1705332600000"},
		{Version5, "2024-01-15 10:30:00", "1705332600000"},
		{Version6, "1705332600000", "2024-01-15T10:30:00"},
	} {
		s, hs, clk := start(t, Options{Version: tc.v, Location: ny})
		s.AddEvent(Occurrence{Device: "old", Summary: "x", Severity: SeverityError})
		clk.Advance(time.Hour)
		late := s.AddEvent(Occurrence{Device: "new", Summary: "x", Severity: SeverityError})

		got := queryEvents(t, hs, map[string]any{"params": map[string]any{"stateChange": tc.since}, "keys": []string{"evid"}})
		if len(got) != 1 || got[0]["evid"] != late {
			t.Errorf("v%d: stateChange %q should select the later event only, got %v", tc.v, tc.since, got)
		}
		// Like Zenoss, a range it cannot parse is ignored: everything matches.
		got = queryEvents(t, hs, map[string]any{"params": map[string]any{"stateChange": tc.bad}, "keys": []string{"evid"}})
		if len(got) != 2 {
			t.Errorf("v%d: an unparsable range should be ignored, got %d events", tc.v, len(got))
		}
	}
}

func TestTimestampShapesByVersion(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		v             Version
		first, logged any
	}{
		{Version4, "2024-01-15 09:30:00", "2024-01-15 09:30:00"},
		{Version5, 1705329000.25, "2024-01-15 09:30:00"},
		{Version6, 1705329000.25, float64(1705329000250)},
	} {
		s, hs, _ := start(t, Options{Version: tc.v, Location: ny})
		id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
		succeeded(t, call(t, hs, "write_log", map[string]any{"evid": id, "message": "note"}))
		ev := queryEvents(t, hs, map[string]any{"keys": []string{"firstTime", "stateChange"}})[0]
		if ev["firstTime"] != tc.first || ev["stateChange"] != tc.first {
			t.Errorf("v%d: firstTime %v (%T), want %v", tc.v, ev["firstTime"], ev["firstTime"], tc.first)
		}
		d := as[map[string]any](t, as[[]any](t, succeeded(t, call(t, hs, "detail", map[string]any{"evid": id}))["event"])[0])
		if got := as[[]any](t, as[[]any](t, d["log"])[0])[1]; got != tc.logged {
			t.Errorf("v%d: log time %v (%T), want %v", tc.v, got, got, tc.logged)
		}
	}
}

func TestQueryAndDetailShapes(t *testing.T) {
	s, hs, _ := start(t, Options{})
	id := s.AddEvent(Occurrence{Device: "web01", Component: "eth0", Summary: "down", Severity: SeverityError,
		EventClass: "/Net", DeviceClass: "/Server/Linux", Details: map[string]string{"runbook": "https://wiki/x?a=1&b=2", "__meta__x": "hidden"}})
	q := queryEvents(t, hs, map[string]any{})[0]
	if dev := as[map[string]any](t, q["device"]); dev["text"] != "web01" || dev["uid"] != "/zport/dmd/Devices/Server/Linux/devices/web01" {
		t.Errorf("query device should be an object, got %v", q["device"])
	}
	if q["eventState"] != "New" || as[map[string]any](t, q["eventClass"])["text"] != "/Net" {
		t.Errorf("query eventState/eventClass: %v %v", q["eventState"], q["eventClass"])
	}
	if d := as[map[string]any](t, q["details"]); as[[]any](t, d["runbook"])[0] != "https://wiki/x?a=1&b=2" {
		t.Errorf("query details should be a map of lists, raw: %v", q["details"])
	}

	d := as[map[string]any](t, as[[]any](t, succeeded(t, call(t, hs, "detail", map[string]any{"evid": id}))["event"])[0])
	if d["device"] != "web01" || d["device_title"] != "web01" || d["component"] != "eth0" || d["eventClass"] != "/Net" {
		t.Errorf("detail should give strings: %v %v %v %v", d["device"], d["device_title"], d["component"], d["eventClass"])
	}
	details := as[[]any](t, d["details"])
	var keys []string
	for _, x := range details {
		kv := as[map[string]any](t, x)
		keys = append(keys, as[string](t, kv["key"]))
		if kv["key"] == "runbook" && kv["value"] != "https://wiki/x?a=1&amp;b=2" {
			t.Errorf("detail values are HTML-cleaned on 6.x: %v", x)
		}
	}
	if !slices.Equal(keys, []string{"runbook", deviceClassDetail}) {
		t.Errorf("detail details should be a sorted list without __meta__: %v", keys)
	}

	failedWith(t, call(t, hs, "detail", map[string]any{"evid": "nope"}), "ServiceResponseError: Not Found")
}

func TestWriteLogHTMLByVersion(t *testing.T) {
	for _, tc := range []struct {
		v    Version
		want string
	}{
		{Version4, "Test log entry & more"},
		{Version5, "<p>Test log entry &amp; more</p>"},
		{Version6, "<p>Test log entry &amp; more</p>"},
	} {
		s, hs, _ := start(t, Options{Version: tc.v, Location: time.UTC})
		id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
		succeeded(t, call(t, hs, "write_log", map[string]any{"evid": id, "message": "Test log entry & more"}))
		e, _ := s.Event(id)
		if e.Log[0].Message != tc.want || e.Log[0].User != "pdbridge" {
			t.Errorf("v%d: stored %q by %q, want %q", tc.v, e.Log[0].Message, e.Log[0].User, tc.want)
		}
	}
}

func TestCleanHTML(t *testing.T) {
	for in, want := range map[string]string{
		"Test log entry":                       "<p>Test log entry</p>",
		"a < b && c":                           "<p>a &lt; b &amp;&amp; c</p>",
		"<p>x</p>":                             "<p>x</p>",
		"line one<br>line two":                 "<div>line one<br>line two</div>",
		`<b onclick="evil()">bold</b>`:         "<b>bold</b>",
		"hi<script>alert(1)</script> there":    "<p>hi there</p>",
		`<a href="https://pd/x">inc</a>`:       `<a href="https://pd/x">inc</a>`,
		`<a href="javascript:alert(1)">x</a>`:  "<a>x</a>",
		"&amp;&lt;already escaped&gt;<!--c-->": "<p>&amp;&lt;already escaped&gt;</p>",
	} {
		if got := cleanHTML(in); got != want {
			t.Errorf("cleanHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUpdateDetails(t *testing.T) {
	s, hs, _ := start(t, Options{})
	id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
	res := succeeded(t, call(t, hs, "updateDetails", map[string]any{"evid": id, "pd.incident": "Q1", "n": 3}))
	if res["status"] != "204" {
		t.Errorf(`updateDetails answers ZEP's status as the string "204", got %v (%T)`, res["status"], res["status"])
	}
	e, _ := s.Event(id)
	if !slices.Equal(e.Details["pd.incident"], []string{"Q1"}) || !slices.Equal(e.Details["n"], []string{"3"}) {
		t.Fatalf("updateDetails should store each keyword as a one-value detail: %v", e.Details)
	}
	r := call(t, hs, "updateDetails", map[string]any{"evid": "nope", "x": "y"})
	failedWith(t, r, "Not Found")
	if r.result["type"] != "error" {
		t.Errorf(`a missing evid is a DirectResponse.fail, type "error": %s`, r.body)
	}
	failedWith(t, call(t, hs, "updateDetails", map[string]any{"evid": id, "x": nil}), "TypeError")

	_, hs4, _ := start(t, Options{Version: Version4, Location: time.UTC})
	if r := call(t, hs4, "updateDetails", map[string]any{"evid": id}); r.status != http.StatusInternalServerError {
		t.Fatalf("4.x has no updateDetails: want a Zope error, got %d %s", r.status, r.body)
	}
}

func TestVersion4Quirks(t *testing.T) {
	s, hs, _ := start(t, Options{Version: Version4, Location: time.UTC})
	id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
	failedWith(t, call(t, hs, "query", map[string]any{}), "TypeError")
	failedWith(t, call(t, hs, "acknowledge", map[string]any{"evids": []string{id}, "timeout": 5}), "unexpected keyword argument 'timeout'")
	failedWith(t, call(t, hs, "add_event", map[string]any{"summary": "s", "device": "d", "component": "", "severity": "5", "evclasskey": "", "extra": "x"}), "unexpected keyword argument 'extra'")
	r := post(t, hs, map[string]any{"action": "EventsRouter", "method": "detail", "data": []any{map[string]any{"evid": id}}, "tid": 1},
		func(r *http.Request) {
			r.SetBasicAuth("pdbridge", "s3cret")
			r.Header.Set("Content-Type", "text/plain")
		})
	succeeded(t, r) // content type is checked from 5.2 on
}

func TestEnvelopeErrors(t *testing.T) {
	s, hs, _ := start(t, Options{})
	id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
	auth := func(r *http.Request) { r.SetBasicAuth("pdbridge", "s3cret") }
	detail := map[string]any{"action": "EventsRouter", "method": "detail", "data": []any{map[string]any{"evid": id}}, "tid": 1}

	r := post(t, hs, detail, func(r *http.Request) { auth(r); r.Header.Set("Content-Type", "text/plain") })
	if r.status != http.StatusInternalServerError || !strings.Contains(string(r.body), "Only &#39;application/json&#39; is supported") {
		t.Errorf("wrong content type: want a 500 DirectException, got %d %s", r.status, r.body)
	}
	r = post(t, hs, map[string]any{"action": "EventsRouter", "method": "nuke", "tid": 1}, auth)
	if r.status != http.StatusInternalServerError {
		t.Errorf("unknown method: want 500, got %d", r.status)
	}
	r = post(t, hs, map[string]any{"action": "DeviceRouter", "method": "detail", "tid": 1}, auth)
	if r.status != http.StatusInternalServerError {
		t.Errorf("wrong action: want 500, got %d", r.status)
	}

	// A batch answers a list; one tid each.
	r = post(t, hs, []any{detail, map[string]any{"action": "EventsRouter", "method": "detail", "data": []any{map[string]any{"evid": "nope"}}, "tid": 2}}, auth)
	var batch []map[string]any
	if err := json.Unmarshal(r.body, &batch); err != nil || len(batch) != 2 || as[map[string]any](t, batch[1]["result"])["success"] != false {
		t.Errorf("batch: got %s", r.body)
	}
}

func TestBadCredentialsRedirectToLoginForm(t *testing.T) {
	_, hs, _ := start(t, Options{APIKey: "cloud-key"})
	body := map[string]any{"action": "EventsRouter", "method": "query", "data": []any{map[string]any{}}, "tid": 1}
	for name, edit := range map[string]func(*http.Request){
		"wrong password": func(r *http.Request) { r.SetBasicAuth("pdbridge", "wrong") },
		"no credentials": nil,
		"wrong api key":  func(r *http.Request) { r.Header.Set("z-api-key", "nope") },
	} {
		r := post(t, hs, body, edit)
		if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("__ac_password")) {
			t.Errorf("%s: want the 200 HTML login form after the redirect, got %d %s", name, r.status, r.body)
		}
	}
	r := post(t, hs, body, func(r *http.Request) { r.Header.Set("z-api-key", "cloud-key") })
	succeeded(t, r)

	// Without following redirects, the 302 is visible.
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/cz0/zport/dmd/evconsole_router", strings.NewReader(`{}`))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/cz0/zport/acl_users/cookieAuthHelper/login_form?came_from=") {
		t.Errorf("want a 302 to the login form under the same prefix, got %d %q", resp.StatusCode, loc)
	}
}

func TestReadOnlyUser(t *testing.T) {
	// 4.x requires the permission by name; from 5.0 acknowledge, close,
	// reopen and write_log are checked by functions the message names.
	for v, want := range map[Version]string{
		Version4: `Unauthorized: Calling acknowledge requires "Manage Events" permission`,
		Version6: `Unauthorized: Calling acknowledge requires "manage_events" permission`,
	} {
		s, hs, _ := start(t, Options{ReadOnly: true, Version: v, Location: time.UTC})
		id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
		failedWith(t, call(t, hs, "acknowledge", map[string]any{"evids": []string{id}}), want)
		if e, _ := s.Event(id); e.Status != StatusNew {
			t.Fatalf("v%d: a refused change must change nothing, got %s", v, e.Status)
		}
		queryEvents(t, hs, map[string]any{"keys": []string{"evid"}}) // reading is allowed
	}
	s, hs, _ := start(t, Options{ReadOnly: true})
	id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
	failedWith(t, call(t, hs, "write_log", map[string]any{"evid": id, "message": "m"}), `requires "write_event_logs" permission`)
	failedWith(t, call(t, hs, "updateDetails", map[string]any{"evid": id, "k": "v"}), `Calling updateDetails requires "Manage Events" permission`)
	// manage_events lets through a request whose evids name no live event.
	if u, n := updateCounts(t, call(t, hs, "close", map[string]any{"evids": []string{"nope"}})); u != 0 || n != 0 {
		t.Fatalf("closing an unknown evid: updated %v total %v", u, n)
	}
}

func TestFaultsAreCountedPerMethod(t *testing.T) {
	s, hs, _ := start(t, Options{})
	id := s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError})
	s.Faults().Set(fault.Faults{RoutePrefix: "EventsRouter.detail", RateLimit: 1})

	r := call(t, hs, "detail", map[string]any{"evid": id})
	if r.status != http.StatusTooManyRequests || r.header.Get("Ratelimit-Reset") == "" {
		t.Fatalf("want an injected 429 with a reset header, got %d", r.status)
	}
	succeeded(t, call(t, hs, "detail", map[string]any{"evid": id}))
	queryEvents(t, hs, map[string]any{})
	if got := s.Faults().Count("EventsRouter.detail"); got != 2 {
		t.Errorf("detail count = %d, want 2", got)
	}
	if got := s.Faults().Count("EventsRouter.query"); got != 1 {
		t.Errorf("query count = %d, want 1", got)
	}
}

// FuzzRouter sends arbitrary bodies to the router: every request gets an
// answer (a result, a success:false, or a Zope error), never a panic.
func FuzzRouter(f *testing.F) {
	for _, seed := range []string{
		`{"action":"EventsRouter","method":"query","data":[{"params":{"summary":"a||b!!c","stateChange":"1/2"},"keys":["evid"],"sort":"count","dir":"ASC"}],"tid":1}`,
		`{"action":"EventsRouter","method":"add_event","data":[{"summary":"s","device":"d","component":"c","severity":"Critical","evclasskey":"k","x":[1]}],"tid":1}`,
		`[{"action":"EventsRouter","method":"reopen","data":[{"evids":["x"],"excludeIds":{"y":true},"asof":1}],"tid":1}]`,
		`{"action":"EventsRouter","method":"write_log","data":[{"evid":"x","message":"<b>hi</b><script>"}],"tid":1}`,
		`{"action":"EventsRouter","method":"updateDetails","data":[null],"tid":1}`, `[]`, `{}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	s := New(Options{Username: "u", Password: "p", Now: func() time.Time { return t0 }})
	s.AddEvent(Occurrence{Device: "web01", Summary: "x", Severity: SeverityError, DeviceClass: "/Server"})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/zport/dmd/evconsole_router", bytes.NewReader(body))
		req.SetBasicAuth("u", "p")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK && w.Code != http.StatusInternalServerError {
			t.Fatalf("status %d for %q", w.Code, body)
		}
	})
}
