package zenoss

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Everything here turns bytes from the server into values, and must fail
// with an error, never a panic, whatever the bytes (see FuzzDecode).

// decodeEnvelope checks an Ext.Direct response and returns its result
// object, or a *RemoteError when the result says success:false.
func decodeEnvelope(body []byte) (json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	// The generic Ext.Direct router reports a method exception as a JSON
	// string holding JSON.
	if len(body) > 0 && body[0] == '"' {
		var inner string
		if err := json.Unmarshal(body, &inner); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		body = bytes.TrimSpace([]byte(inner))
	}
	// A batch answer is a list; we send one request, so read the first.
	if len(body) > 0 && body[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%w: empty response list", ErrMalformed)
		}
		body = list[0]
	}
	var env struct {
		Type    string          `json:"type"`
		Message string          `json:"message"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: not an Ext.Direct response: %v", ErrMalformed, err)
	}
	if env.Type == "exception" && isNull(env.Result) {
		return nil, &RemoteError{Type: env.Type, Msg: env.Message}
	}
	if isNull(env.Result) {
		return nil, fmt.Errorf("%w: no result", ErrMalformed)
	}
	var head struct {
		Success *bool  `json:"success"`
		Type    string `json:"type"`
		Msg     string `json:"msg"`
	}
	if err := json.Unmarshal(env.Result, &head); err != nil {
		return nil, fmt.Errorf("%w: result is not an object: %v", ErrMalformed, err)
	}
	if head.Success == nil {
		return nil, fmt.Errorf("%w: result has no success flag", ErrMalformed)
	}
	if !*head.Success {
		return nil, &RemoteError{Type: head.Type, Msg: head.Msg}
	}
	return env.Result, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// decoder turns raw events into source events; loc reads local-time strings.
type decoder struct{ loc *time.Location }

// rawEvent has the fields of both result shapes: query (EventCompatInfo)
// and detail (EventCompatDetailInfo). Fields whose type varies stay raw.
type rawEvent struct {
	Evid           string          `json:"evid"`
	ID             string          `json:"id"`
	DedupID        string          `json:"dedupid"`
	EventState     json.RawMessage `json:"eventState"`
	Severity       json.RawMessage `json:"severity"`
	Device         json.RawMessage `json:"device"`
	DeviceTitle    string          `json:"device_title"`
	Component      json.RawMessage `json:"component"`
	ComponentTitle string          `json:"component_title"`
	EventClass     json.RawMessage `json:"eventClass"`
	DeviceClass    json.RawMessage `json:"DeviceClass"`
	Summary        string          `json:"summary"`
	Message        string          `json:"message"`
	FirstTime      json.RawMessage `json:"firstTime"`
	LastTime       json.RawMessage `json:"lastTime"`
	StateChange    json.RawMessage `json:"stateChange"`
	Count          json.RawMessage `json:"count"`
	OwnerID        string          `json:"ownerid"`
	Details        json.RawMessage `json:"details"`
	Log            json.RawMessage `json:"log"`
}

type queryResult struct {
	events []source.Event
	total  int
	asof   time.Time
}

func (d decoder) query(result json.RawMessage) (queryResult, error) {
	var r struct {
		Events     *[]rawEvent     `json:"events"`
		TotalCount json.RawMessage `json:"totalCount"`
		Asof       json.RawMessage `json:"asof"`
	}
	if err := json.Unmarshal(result, &r); err != nil {
		return queryResult{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.Events == nil || isNull(r.TotalCount) {
		return queryResult{}, fmt.Errorf("%w: query result without events or totalCount", ErrMalformed)
	}
	var out queryResult
	var err error
	if out.total, err = intOf(r.TotalCount); err != nil || out.total < 0 {
		return queryResult{}, fmt.Errorf("%w: totalCount: %v", ErrMalformed, err)
	}
	if out.asof, err = d.time(r.Asof); err != nil {
		return queryResult{}, fmt.Errorf("%w: asof: %v", ErrMalformed, err)
	}
	for _, re := range *r.Events {
		e, err := d.event(re, false)
		if err != nil {
			return queryResult{}, err
		}
		out.events = append(out.events, e)
	}
	return out, nil
}

func (d decoder) detail(result json.RawMessage) (source.Event, error) {
	var r struct {
		Event []rawEvent `json:"event"`
	}
	if err := json.Unmarshal(result, &r); err != nil {
		return source.Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(r.Event) == 0 {
		return source.Event{}, fmt.Errorf("%w: detail result without an event", ErrMalformed)
	}
	return d.event(r.Event[0], true)
}

// updated reads {data: {updated, total}} from acknowledge, close and
// reopen: the events changed and the live events selected (total is -1 if
// the server did not say).
func updated(result json.RawMessage) (n, total int, err error) {
	var r struct {
		Data *struct {
			Updated json.RawMessage `json:"updated"`
			Total   json.RawMessage `json:"total"`
		} `json:"data"`
	}
	if err := json.Unmarshal(result, &r); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.Data == nil || isNull(r.Data.Updated) {
		return 0, 0, fmt.Errorf("%w: update result without data.updated", ErrMalformed)
	}
	n, err = intOf(r.Data.Updated)
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("%w: data.updated: %v", ErrMalformed, err)
	}
	total = -1
	if !isNull(r.Data.Total) {
		if total, err = intOf(r.Data.Total); err != nil || total < 0 {
			return 0, 0, fmt.Errorf("%w: data.total: %v", ErrMalformed, err)
		}
	}
	return n, total, nil
}

func (d decoder) event(r rawEvent, withLog bool) (source.Event, error) {
	e := source.Event{ID: r.Evid, DedupID: r.DedupID, Summary: r.Summary, Message: r.Message, AcknowledgedBy: r.OwnerID}
	if e.ID == "" {
		e.ID = r.ID
	}
	if e.ID == "" {
		return source.Event{}, fmt.Errorf("%w: event without evid", ErrMalformed)
	}
	fail := func(field string, err error) (source.Event, error) {
		return source.Event{}, fmt.Errorf("%w: event %s: %s: %v", ErrMalformed, e.ID, field, err)
	}
	e.Status, e.NativeStatus = status(r.EventState)
	e.Severity = severity(r.Severity)
	var err error
	// query gives {text: title, ...}; detail gives the id string plus a title.
	if e.Device, err = textOf(r.Device); err != nil {
		return fail("device", err)
	}
	if r.DeviceTitle != "" {
		e.Device = r.DeviceTitle
	}
	if e.Component, err = textOf(r.Component); err != nil {
		return fail("component", err)
	}
	if r.ComponentTitle != "" {
		e.Component = r.ComponentTitle
	}
	if e.EventClass, err = textOf(r.EventClass); err != nil {
		return fail("eventClass", err)
	}
	for _, t := range []struct {
		name string
		raw  json.RawMessage
		dst  *time.Time
	}{{"stateChange", r.StateChange, &e.StatusChanged}, {"firstTime", r.FirstTime, &e.FirstSeen}, {"lastTime", r.LastTime, &e.LastSeen}} {
		if *t.dst, err = d.time(t.raw); err != nil {
			return fail(t.name, err)
		}
	}
	if !isNull(r.Count) {
		if e.Count, err = intOf(r.Count); err != nil {
			return fail("count", err)
		}
	}
	details, err := detailsOf(r.Details)
	if err != nil {
		return fail("details", err)
	}
	e.Ref = d.takeRef(details)
	e.DeviceClass = first(details[deviceClassDetail])
	if e.DeviceClass == "" {
		if e.DeviceClass, err = deviceClassOf(r.DeviceClass); err != nil {
			return fail("DeviceClass", err)
		}
	}
	if len(details) > 0 {
		e.Details = make(map[string]string, len(details))
		for k, v := range details {
			e.Details[k] = strings.Join(v, ", ")
		}
	}
	if withLog {
		if e.Log, err = d.log(r.Log); err != nil {
			return fail("log", err)
		}
	}
	return e, nil
}

const deviceClassDetail = "zenoss.device.device_class"

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// status maps eventState (a name since Zenoss 4, an int in Zenoss 3 and
// in filters) onto the common scale, keeping the native name.
func status(raw json.RawMessage) (source.Status, string) {
	name := scalar(raw)
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < len(zenossStatuses) {
		name = zenossStatuses[n]
	}
	switch strings.ToLower(name) {
	case "new", "suppressed":
		return source.StatusNew, canonical(name)
	case "acknowledged":
		return source.StatusAcknowledged, canonical(name)
	case "closed", "cleared", "aged", "dropped":
		return source.StatusClosed, canonical(name)
	}
	return source.StatusUnknown, name
}

var zenossStatuses = []string{"New", "Acknowledged", "Suppressed", "Closed", "Cleared", "Dropped", "Aged"}

func canonical(name string) string {
	for _, s := range zenossStatuses {
		if strings.EqualFold(s, name) {
			return s
		}
	}
	return name
}

// severity maps Zenoss 0 (Clear) to 5 (Critical), as a number or a name.
func severity(raw json.RawMessage) source.Severity {
	v := scalar(raw)
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f >= 0 && f <= 5 && f == math.Trunc(f) {
			return source.SeverityClear + source.Severity(f)
		}
		return source.SeverityUnknown
	}
	if s, err := source.ParseSeverity(strings.ToLower(v)); err == nil {
		return s
	}
	return source.SeverityUnknown
}

// textOf reads a value that is a string, or an object with a text (or
// name) field.
func textOf(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var obj struct {
		Text *string `json:"text"`
		Name *string `json:"name"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", errors.New("neither a string nor an object with text")
	}
	switch {
	case obj.Text != nil:
		return *obj.Text, nil
	case obj.Name != nil:
		return *obj.Name, nil
	}
	return "", nil
}

// deviceClassOf reads DeviceClass: [{uid, name}] in results, or a string.
func deviceClassOf(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		if len(list) == 0 {
			return "", nil
		}
		return textOf(list[0])
	}
	return textOf(raw)
}

// detailsOf reads details as query gives them ({name: [values]}) or as
// detail does ([{key, value}], one entry per value, values HTML-cleaned).
func detailsOf(raw json.RawMessage) (map[string][]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	out := map[string][]string{}
	// The map form is decoded in one pass (every listed event has one, so
	// this is a listing's hot path); values become text as scalar does.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) == nil {
		for k, v := range m {
			out[k] = scalarsOf(v)
		}
		return out, nil
	}
	var list []struct {
		Key   *string         `json:"key"`
		Name  *string         `json:"name"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("neither a map nor a list of {key, value}")
	}
	for _, item := range list {
		var k string
		switch {
		case item.Key != nil:
			k = *item.Key
		case item.Name != nil:
			k = *item.Name
		default:
			continue
		}
		// The detail view escapes values as HTML (Zenoss 6); undo it.
		k = htmlToText(k)
		for _, v := range scalars(item.Value) {
			out[k] = append(out[k], htmlToText(v))
		}
	}
	return out, nil
}

// scalarsOf is scalars for a value already decoded (with UseNumber).
func scalarsOf(v any) []string {
	text := func(x any) string {
		switch t := x.(type) {
		case nil:
			return ""
		case string:
			return t
		case json.Number:
			return t.String()
		}
		b, _ := json.Marshal(x)
		return string(b)
	}
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			out = append(out, text(x))
		}
		return out
	}
	return []string{text(v)}
}

// scalars reads a value that is a list of scalars or one scalar.
func scalars(raw json.RawMessage) []string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		out := make([]string, 0, len(list))
		for _, v := range list {
			out = append(out, scalar(v))
		}
		return out
	}
	if isNull(raw) {
		return nil
	}
	return []string{scalar(raw)}
}

// scalar renders a JSON value as text: strings unquoted, anything else as
// its compact JSON.
func scalar(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return strings.TrimSpace(string(raw))
}

// intOf reads a count: a JSON number (possibly written as a float) or a
// numeric string.
func intOf(raw json.RawMessage) (int, error) {
	v := scalar(raw)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > math.MaxInt32 {
		return 0, fmt.Errorf("not a count: %.40q", v)
	}
	return int(f), nil
}

// time reads a timestamp in any shape Zenoss uses: epoch seconds as a float
// (5.x, 6.x), epoch milliseconds as an int (6.x logs), or a local wall-clock
// string without zone (4.x; 5.x logs), read in the server's time zone.
func (d decoder) time(raw json.RawMessage) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return time.Time{}, fmt.Errorf("not a timestamp: %.40q", string(raw))
		}
		return epoch(f)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epoch(f)
	}
	for _, layout := range localLayouts {
		// Fractional seconds after the seconds field parse without being
		// in the layout.
		if t, err := time.ParseInLocation(layout, s, d.loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %.40q", s)
}

var localLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006/01/02 15:04:05"}

// epoch reads seconds or milliseconds: anything from 1e11 up is taken as
// milliseconds (1e11 seconds is the year 5138, 1e11 ms is 1973).
func epoch(f float64) (time.Time, error) {
	if math.IsNaN(f) || f < 0 || f > 1e15 {
		return time.Time{}, fmt.Errorf("timestamp out of range: %g", f)
	}
	ms := f * 1000
	if f >= 1e11 {
		ms = f
	}
	return time.UnixMilli(int64(math.Round(ms))).UTC(), nil
}

// auditLine matches the lines ZEP writes for status changes.
func auditLine(text string) bool {
	rest, ok := strings.CutPrefix(text, "state changed to ")
	return ok && slices.Contains(zenossStatuses, rest)
}

// log reads [[user, time, message], ...] (newest first) into entries,
// oldest first, messages as plain text.
func (d decoder) log(raw json.RawMessage) ([]source.LogEntry, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("not a list")
	}
	out := make([]source.LogEntry, 0, len(items))
	for i, item := range items {
		var user, when, msg json.RawMessage
		var tuple []json.RawMessage
		var obj struct {
			UserName    json.RawMessage `json:"user_name"`
			CreatedTime json.RawMessage `json:"created_time"`
			Message     json.RawMessage `json:"message"`
		}
		switch {
		case json.Unmarshal(item, &tuple) == nil && len(tuple) >= 3:
			user, when, msg = tuple[0], tuple[1], tuple[2]
		case json.Unmarshal(item, &obj) == nil && obj.Message != nil:
			user, when, msg = obj.UserName, obj.CreatedTime, obj.Message
		default:
			return nil, fmt.Errorf("entry %d is not [user, time, message]", i)
		}
		t, err := d.time(when)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %v", i, err)
		}
		text := htmlToText(scalar(msg))
		out = append(out, source.LogEntry{Author: scalar(user), Time: t, Text: text, Audit: auditLine(text)})
	}
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b source.LogEntry) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// Where the PagerDuty incident reference is kept: event details, written
// with updateDetails (Zenoss >= 5.0). The prefix keeps them apart from
// Zenoss's own and other integrations' details.
const (
	DetailIncidentID      = "pdbridge.incident_id"
	DetailIncidentURL     = "pdbridge.incident_url"
	DetailIncidentCreated = "pdbridge.incident_created"
	DetailConnectorID     = "pdbridge.connector_id"
	DetailDedupKey        = "pdbridge.dedup_key"
	DetailState           = "pdbridge.state"
	DetailIncidentUpdated = "pdbridge.incident_updated"
	DetailEventChanged    = "pdbridge.event_changed"
	DetailEventStatus     = "pdbridge.event_status"
)

// refFields maps each detail to its field of the reference; times are
// RFC 3339 in UTC.
var refFields = []struct {
	detail string
	text   func(*source.IncidentRef) *string
	time   func(*source.IncidentRef) *time.Time
}{
	{detail: DetailIncidentID, text: func(r *source.IncidentRef) *string { return &r.IncidentID }},
	{detail: DetailIncidentURL, text: func(r *source.IncidentRef) *string { return &r.URL }},
	{detail: DetailConnectorID, text: func(r *source.IncidentRef) *string { return &r.ConnectorID }},
	{detail: DetailDedupKey, text: func(r *source.IncidentRef) *string { return &r.DedupKey }},
	{detail: DetailState, text: func(r *source.IncidentRef) *string { return &r.State }},
	{detail: DetailIncidentCreated, time: func(r *source.IncidentRef) *time.Time { return &r.Created }},
	{detail: DetailIncidentUpdated, time: func(r *source.IncidentRef) *time.Time { return &r.IncidentUpdated }},
	{detail: DetailEventChanged, time: func(r *source.IncidentRef) *time.Time { return &r.EventChanged }},
	{detail: DetailEventStatus, text: func(r *source.IncidentRef) *string { return &r.EventStatus }},
}

// refDetails renders a reference as the details updateDetails writes;
// empty values clear them.
func refDetails(ref source.IncidentRef) map[string]any {
	out := map[string]any{}
	for _, f := range refFields {
		if f.text != nil {
			out[f.detail] = *f.text(&ref)
		} else if t := *f.time(&ref); !t.IsZero() {
			out[f.detail] = t.UTC().Format(time.RFC3339Nano)
		} else {
			out[f.detail] = ""
		}
	}
	return out
}

// takeRef removes the reference's details from details and returns it. A
// time that does not parse is dropped, not fatal: it is ours, and a lost
// watermark only makes the next pass look at the pair again.
func (d decoder) takeRef(details map[string][]string) source.IncidentRef {
	var ref source.IncidentRef
	for _, f := range refFields {
		v := first(details[f.detail])
		delete(details, f.detail)
		if f.text != nil {
			*f.text(&ref) = v
		} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			*f.time(&ref) = t.UTC()
		}
	}
	return ref
}
