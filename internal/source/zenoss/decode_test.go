package zenoss

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Response bodies in the shapes real servers send (field names and value
// types as recorded from Zenoss 4.2, 5.x and 6.x; values made up).
const (
	query5x = `{"uuid":"eadafce3-0000-4000-8000-000000000001","action":"EventsRouter","method":"query","tid":1,"type":"rpc",
 "result":{"success":true,"totalCount":50,"asof":1508797504.409547,"events":[{
  "evid":"02420a11-0015-98b9-11e7-9d96ae351999","id":"02420a11-0015-98b9-11e7-9d96ae351999",
  "dedupid":"nas01.example.com|node-01|/Status|csm|3","eventState":"Acknowledged","severity":3,
  "device":{"url":"/zport/dmd/goto?guid=02e2","text":"nas01.example.com","uuid":"02e2","uid":"/zport/dmd/Devices/Storage/devices/nas01.example.com"},
  "component":{"url":"/zport/dmd/goto?guid=08c4","text":"node-01","uid":"/zport/dmd/Devices/Storage/devices/nas01.example.com/nodes/node-01","uuid":"08c4"},
  "eventClass":{"text":"/Status","uid":"/zport/dmd/Events/Status"},
  "summary":"session failed","message":"session failed\nResolution: fail over",
  "firstTime":1505865565.822,"lastTime":1508797479.194,"stateChange":1507054918.83,"count":66,"ownerid":"zenoss",
  "details":{"zenoss.device.device_class":["/Storage/NetApp"],"node":["node-01"],"groups":["/A","/B"]},
  "DeviceClass":[{"uid":"/zport/dmd/Devices/Storage/NetApp","name":"/Storage/NetApp"}],
  "Location":[],"clearid":null,"eventGroup":null,"ntevid":null,"prodState":"Production"}]}}`

	detail6x = `{"action":"EventsRouter","method":"detail","tid":2,"type":"rpc","result":{"success":true,"event":[{
  "evid":"e6","dedupid":"web01|eth0|/Net|5|down","eventState":"Closed","severity":5,
  "device":"web01","device_title":"Web Server 01","device_uuid":"d1","device_url":"/zport/dmd/goto?guid=d1",
  "component":"eth0","component_title":"eth0","eventClass":"/Net","eventClass_url":"/zport/dmd/Events/Net",
  "firstTime":1647618907,"lastTime":1647618907.5,"stateChange":1647619000.123,"count":1,"ownerid":null,
  "details":[{"key":"pdbridge.incident_id","value":"Q1"},{"key":"pdbridge.incident_url","value":"https://x/incidents/Q1?a=1&amp;b=2"},
             {"key":"runbook","value":"a &lt;b&gt;"},{"key":"zenoss.device.device_class","value":"/Server/Linux"}],
  "log":[["pdbridge",1647619000123,"<p>Test log entry</p>"],["zenoss",1647618999000,"state changed to Acknowledged"]]}]}}`

	detail4x = `{"result":{"success":true,"event":[{"evid":"e4","eventState":"New","severity":"4",
  "device":"db01","component":"","eventClass":"/App","firstTime":"2013-03-10 01:59:59","lastTime":"2013-03-10 03:00:01",
  "stateChange":"2013/03/10 03:00:01.500","count":2,"details":[],
  "log":[["admin","2013-03-10 03:00:01","plain & simple"]]}]}}`

	update = `{"result":{"success":true,"data":{"updated":1,"total":1}}}`
)

func TestDecodeQuery5x(t *testing.T) {
	result, err := decodeEnvelope([]byte(query5x))
	if err != nil {
		t.Fatal(err)
	}
	res, err := decoder{loc: time.UTC}.query(result)
	if err != nil {
		t.Fatal(err)
	}
	if res.total != 50 || !res.asof.Equal(time.UnixMilli(1508797504410).UTC()) || len(res.events) != 1 {
		t.Fatalf("total %d asof %v events %d", res.total, res.asof, len(res.events))
	}
	e := res.events[0]
	checks := map[string][2]any{
		"ID":            {e.ID, "02420a11-0015-98b9-11e7-9d96ae351999"},
		"Device":        {e.Device, "nas01.example.com"},
		"Component":     {e.Component, "node-01"},
		"EventClass":    {e.EventClass, "/Status"},
		"DeviceClass":   {e.DeviceClass, "/Storage/NetApp"},
		"Status":        {e.Status, source.StatusAcknowledged},
		"Severity":      {e.Severity, source.SeverityWarning},
		"Count":         {e.Count, 66},
		"Ack by":        {e.AcknowledgedBy, "zenoss"},
		"StatusChanged": {e.StatusChanged, time.UnixMilli(1507054918830).UTC()},
		"FirstSeen":     {e.FirstSeen, time.UnixMilli(1505865565822).UTC()},
		"groups":        {e.Details["groups"], "/A, /B"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
}

func TestDecodeDetail6x(t *testing.T) {
	result, err := decodeEnvelope([]byte(detail6x))
	if err != nil {
		t.Fatal(err)
	}
	e, err := decoder{loc: time.UTC}.detail(result)
	if err != nil {
		t.Fatal(err)
	}
	if e.Device != "Web Server 01" || e.Component != "eth0" || e.EventClass != "/Net" || e.Status != source.StatusClosed || e.NativeStatus != "Closed" {
		t.Errorf("detail fields: %+v", e)
	}
	if !e.FirstSeen.Equal(time.Unix(1647618907, 0)) || !e.StatusChanged.Equal(time.UnixMilli(1647619000123)) {
		t.Errorf("times: first %v changed %v", e.FirstSeen, e.StatusChanged)
	}
	if e.Ref.IncidentID != "Q1" || e.Ref.URL != "https://x/incidents/Q1?a=1&b=2" || e.Details["runbook"] != "a <b>" {
		t.Errorf("details should be unescaped and the ref taken out: ref %+v details %v", e.Ref, e.Details)
	}
	if len(e.Log) != 2 || e.Log[0].Text != "state changed to Acknowledged" || !e.Log[0].Audit ||
		e.Log[1].Text != "Test log entry" || !e.Log[1].Time.Equal(time.UnixMilli(1647619000123)) {
		t.Errorf("log: %+v", e.Log)
	}
}

func TestDecodeDetail4xLocalTimes(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	result, err := decodeEnvelope([]byte(detail4x))
	if err != nil {
		t.Fatal(err)
	}
	e, err := decoder{loc: ny}.detail(result)
	if err != nil {
		t.Fatal(err)
	}
	// The night DST began in 2013: 01:59:59 EST, 03:00:01 EDT.
	if want := time.Date(2013, 3, 10, 6, 59, 59, 0, time.UTC); !e.FirstSeen.Equal(want) {
		t.Errorf("FirstSeen = %v, want %v", e.FirstSeen, want)
	}
	if want := time.Date(2013, 3, 10, 7, 0, 1, 500e6, time.UTC); !e.StatusChanged.Equal(want) || e.StatusChanged.Location() != time.UTC {
		t.Errorf("StatusChanged = %v, want %v in UTC", e.StatusChanged, want)
	}
	if e.Severity != source.SeverityError || e.Component != "" || e.Log[0].Text != "plain & simple" {
		t.Errorf("severity %v component %q log %+v", e.Severity, e.Component, e.Log)
	}
}

func TestDecodeTimes(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	d := decoder{loc: ny}
	for raw, want := range map[string]time.Time{
		`1507054918.83`:           time.UnixMilli(1507054918830),
		`1507054918830`:           time.UnixMilli(1507054918830),
		`1647618907`:              time.Unix(1647618907, 0),
		`"1507054918.83"`:         time.UnixMilli(1507054918830),
		`"2017-10-03 14:21:58"`:   time.Date(2017, 10, 3, 18, 21, 58, 0, time.UTC),
		`"2017-10-03T14:21:58"`:   time.Date(2017, 10, 3, 18, 21, 58, 0, time.UTC),
		`"2017/10/03 14:21:58.5"`: time.Date(2017, 10, 3, 18, 21, 58, 500e6, time.UTC),
		`null`:                    {},
		`""`:                      {},
	} {
		got, err := d.time(json.RawMessage(raw))
		if err != nil || !got.Equal(want) {
			t.Errorf("time(%s) = %v, %v; want %v", raw, got, err, want)
		}
	}
	for _, raw := range []string{`-1`, `1e300`, `"yesterday"`, `true`, `[1]`, `"2017-13-45 99:00:00"`} {
		if got, err := d.time(json.RawMessage(raw)); err == nil {
			t.Errorf("time(%s) = %v, want an error", raw, got)
		}
	}
}

func TestStatusAndSeverityMapping(t *testing.T) {
	for raw, want := range map[string]source.Status{
		`"New"`: source.StatusNew, `"Suppressed"`: source.StatusNew, `"Acknowledged"`: source.StatusAcknowledged,
		`"Closed"`: source.StatusClosed, `"Cleared"`: source.StatusClosed, `"Aged"`: source.StatusClosed,
		`1`: source.StatusAcknowledged, `"Snoozed"`: source.StatusUnknown, `null`: source.StatusUnknown,
	} {
		if got, _ := status(json.RawMessage(raw)); got != want {
			t.Errorf("status(%s) = %v, want %v", raw, got, want)
		}
	}
	for raw, want := range map[string]source.Severity{
		`0`: source.SeverityClear, `2`: source.SeverityInfo, `5`: source.SeverityCritical, `"4"`: source.SeverityError,
		`"Warning"`: source.SeverityWarning, `6`: source.SeverityUnknown, `2.5`: source.SeverityUnknown, `null`: source.SeverityUnknown,
	} {
		if got := severity(json.RawMessage(raw)); got != want {
			t.Errorf("severity(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestHTMLText(t *testing.T) {
	for in, want := range map[string]string{
		"<p>Test log entry</p>":                           "Test log entry",
		"<div>line one<br>line two</div>":                 "line one\nline two",
		"<p>a &amp; b &lt;c&gt;</p>":                      "a & b <c>",
		`Incident <a href="https://pd/x">PX1</a> created`: "Incident PX1 created",
		"raw 4.x text: a < b":                             "raw 4.x text: a < b",
		"<p>x<script>alert(1)</script></p><!-- c -->":     "x",
		"  spaced  ":                                    "spaced",
		"<p>  indented <br/>  second  </p>":             "indented\nsecond",
		"&#39;quoted&#39; &quot;twice&quot; &nbsp;nbsp": "'quoted' \"twice\" \u00a0nbsp",
	} {
		if got := htmlToText(in); got != want {
			t.Errorf("htmlToText(%q) = %q, want %q", in, got, want)
		}
	}
	for _, text := range []string{"a & b", "<b>not a tag</b>", "two\nlines", "&amp;", "plain"} {
		if got := htmlToText("<p>" + textToHTML(text) + "</p>"); got != text {
			t.Errorf("round trip of %q gave %q", text, got)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, c := range []cursor{
		{phase: phaseClosed, offset: 300, asof: time.UnixMilli(1700000000123).UTC()},
		{phase: phaseArchive, offset: 7, asof: time.UnixMilli(1700000000123).UTC()},
	} {
		got, err := parseCursor(c.String())
		if err != nil || got != c {
			t.Fatalf("round trip: %+v %v", got, err)
		}
	}
	for _, bad := range []string{"z1.3.0.0", "z1.0.-1.0", "z2.0.0.0", "z1.0.0", "z1.0.99999999999.0", "{}"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) should fail", bad)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to everything that reads server
// responses. It must return errors, never panic; what it accepts must be
// well formed (UTC times, known statuses).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{query5x, detail6x, detail4x, update,
		`{"result":{"success":false,"type":"exception","msg":"ServiceResponseError: Not Found"}}`,
		`"{\"type\": \"exception\", \"message\": \"boom\"}"`, `[{"result":{"success":true,"events":[],"totalCount":0}}]`,
		`{"result":{"success":true,"event":[{"evid":"x","details":{"a":[1,null,{"b":2}]},"log":[{"user_name":"u","created_time":"1","message":"<p>m</p>"}]}]}}`,
		"<html>__ac_password</html>", "", "null", "[]", `{"result":null}`} {
		f.Add([]byte(seed))
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	decoders := []decoder{{loc: time.UTC}, {loc: ny}}
	f.Fuzz(func(t *testing.T, body []byte) {
		result, err := decodeEnvelope(body)
		if err != nil {
			var re *RemoteError
			if !errors.Is(err, ErrMalformed) && !errors.As(err, &re) {
				t.Fatalf("unclassified error: %v", err)
			}
			result = body // the decoders must also survive raw bytes
		}
		for _, d := range decoders {
			if res, err := d.query(result); err == nil {
				for _, e := range res.events {
					wellFormed(t, e)
				}
			}
			if e, err := d.detail(result); err == nil {
				wellFormed(t, e)
			}
		}
		if n, total, err := updated(result); err == nil && (n < 0 || total < -1) {
			t.Fatalf("negative count: updated %d total %d", n, total)
		}
		_ = htmlToText(string(body))
		_, _ = parseCursor(string(body))
	})
}

func wellFormed(t *testing.T, e source.Event) {
	t.Helper()
	if e.ID == "" {
		t.Fatal("an event without an id was accepted")
	}
	for _, tm := range []time.Time{e.StatusChanged, e.FirstSeen, e.LastSeen, e.Ref.Created} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Fatalf("time not in UTC: %v", tm)
		}
	}
	for _, l := range e.Log {
		if !l.Time.IsZero() && l.Time.Location() != time.UTC {
			t.Fatalf("log time not in UTC: %v", l.Time)
		}
	}
	if e.Status < source.StatusUnknown || e.Status > source.StatusClosed || e.Severity < source.SeverityUnknown || e.Severity > source.SeverityCritical {
		t.Fatalf("status %d or severity %d out of range", e.Status, e.Severity)
	}
	if strings.HasPrefix(e.NativeStatus, "{") && e.Status != source.StatusUnknown {
		t.Fatalf("status %v from %q", e.Status, e.NativeStatus)
	}
}
