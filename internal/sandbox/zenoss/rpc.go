package zenoss

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// rpcRequest is one Ext.Direct request.
type rpcRequest struct {
	Action string            `json:"action"`
	Method string            `json:"method"`
	Data   []json.RawMessage `json:"data"`
	TID    json.RawMessage   `json:"tid"`
}

// exception is an error raised inside a router method: Zenoss answers it
// with HTTP 200 and success:false.
type exception struct{ class, msg string }

func (e *exception) Error() string { return e.class + ": " + e.msg }

func raise(class, format string, a ...any) error {
	return &exception{class: class, msg: fmt.Sprintf(format, a...)}
}

var errNotFound = raise("ServiceResponseError", "Not Found")

// args are a method's keyword arguments.
type args map[string]json.RawMessage

// signature checks the keyword arguments as Python would: unknown names
// (unless the method takes **kwargs) and missing required ones are a
// TypeError.
func (a args) signature(method string, required, optional []string, kwargs bool) error {
	if !kwargs {
		var unknown []string
		for k := range a {
			if !slices.Contains(required, k) && !slices.Contains(optional, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return raise("TypeError", "%s() got an unexpected keyword argument '%s'", method, unknown[0])
		}
	}
	for _, k := range required {
		if _, ok := a[k]; !ok {
			return raise("TypeError", "%s() takes at least %d arguments (%s missing)", method, len(required)+1, k)
		}
	}
	return nil
}

func (a args) present(k string) bool {
	v, ok := a[k]
	return ok && !isNull(v)
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || string(v) == "null"
}

func (a args) str(k, def string) (string, error) {
	if !a.present(k) {
		return def, nil
	}
	var s string
	if err := json.Unmarshal(a[k], &s); err != nil {
		return "", raise("TypeError", "%s must be a string", k)
	}
	return s, nil
}

// uint32 reads limit and start as ZEP's EventSummaryRequest gets them:
// protobuf uint32 fields, which take a Python int and nothing else.
func (a args) uint32(k string, def int) (int, error) {
	if !a.present(k) {
		return def, nil
	}
	var n json.Number
	// json.Number would also take a quoted number; Python would not.
	if t := bytes.TrimSpace(a[k]); t[0] == '"' || json.Unmarshal(t, &n) != nil {
		return 0, raise("TypeError", "%s has type %s, but expected one of: int, long", scalarString(a[k]), pyType(a[k]))
	}
	v, err := n.Int64()
	if err != nil {
		return 0, raise("TypeError", "%s has type float, but expected one of: int, long", n)
	}
	if v < 0 || v > math.MaxUint32 {
		return 0, raise("ValueError", "Value out of range: %d", v)
	}
	return int(v), nil
}

// pyType names a JSON value's Python type, for TypeError messages.
func pyType(raw json.RawMessage) string {
	switch t := bytes.TrimSpace(raw); {
	case len(t) == 0:
		return "NoneType"
	case t[0] == '"':
		return "str"
	case t[0] == '[':
		return "list"
	case t[0] == '{':
		return "dict"
	case t[0] == 't' || t[0] == 'f':
		return "bool"
	}
	return "float"
}

func (a args) bool(k string) (bool, error) {
	if !a.present(k) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(a[k], &b); err != nil {
		return false, raise("TypeError", "%s must be a boolean", k)
	}
	return b, nil
}

func (a args) strings(k string) ([]string, bool, error) {
	if !a.present(k) {
		return nil, false, nil
	}
	var l []string
	if err := json.Unmarshal(a[k], &l); err != nil {
		var one string
		if json.Unmarshal(a[k], &one) != nil {
			return nil, false, raise("TypeError", "%s must be a list of strings", k)
		}
		l = []string{one}
	}
	return l, true, nil
}

// params decodes a filter dict; Zenoss also accepts it JSON-encoded in a string.
func (a args) params(k string) (map[string]any, error) {
	if !a.present(k) {
		return nil, nil
	}
	raw := a[k]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(s)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil {
		return nil, raise("ValueError", "%s must be a dict", k)
	}
	return p, nil
}

// directException is a DirectException's message: Zenoss's own text,
// which the client sees verbatim, so it keeps Zenoss's capitals and
// punctuation.
type directException string

func (e directException) Error() string { return string(e) }

// direct runs one Ext.Direct request. An error is one Zenoss raises outside
// the method (bad action, unknown method): the whole HTTP request fails.
func (s *Server) direct(raw json.RawMessage) (map[string]any, error) {
	var req rpcRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, directException("Body is not a supported type")
	}
	if req.Action != "EventsRouter" {
		return nil, directException(fmt.Sprintf("Action specified in request ('%s') is not named EventsRouter.", req.Action))
	}
	fn := s.method(req.Method)
	if fn == nil {
		return nil, directException(fmt.Sprintf("'%s' is not the name of a method on EventsRouter", req.Method))
	}
	a := args{}
	if len(req.Data) > 0 && !isNull(req.Data[0]) {
		if err := json.Unmarshal(req.Data[0], &a); err != nil {
			return nil, directException("data[0] is not a dict")
		}
	}
	result, err := fn(a)
	if err != nil {
		var ex *exception
		if !errors.As(err, &ex) {
			ex = &exception{class: "Exception", msg: err.Error()}
		}
		result = map[string]any{"success": false, "type": "exception", "msg": ex.Error()}
	} else if _, ok := result["success"]; !ok {
		result["success"] = true
	}
	s.mu.Lock()
	s.calls++
	uuid := fmt.Sprintf("5e1f0c3a-0000-4000-8000-%012x", s.calls)
	s.mu.Unlock()
	tid := req.TID
	if tid == nil {
		tid = json.RawMessage("null")
	}
	return map[string]any{"type": "rpc", "tid": tid, "action": req.Action, "method": req.Method, "uuid": uuid, "result": result}, nil
}

func (s *Server) method(name string) func(args) (map[string]any, error) {
	switch name {
	case "query":
		return s.queryMethod("query")
	case "queryArchive":
		return s.queryMethod("queryArchive")
	case "detail":
		return s.detail
	case "acknowledge":
		return s.update("acknowledge", s.acknowledge)
	case "close":
		return s.update("close", s.close)
	case "reopen":
		return s.update("reopen", s.reopen)
	case "unacknowledge":
		// zep.py: @deprecated, "Use reopen"; it calls reopen(*args, **kwargs).
		return s.update("unacknowledge", s.reopen)
	case "write_log":
		return s.writeLog
	case "add_event":
		return s.addEvent
	case "updateDetails":
		if s.opts.Version >= Version5 {
			return s.updateDetails
		}
	}
	return nil
}

// requireManage is the permission check of a method that needs "Manage
// Events" (zep.py's @require): 4.x names the permission, from 5.0 on
// acknowledge, close, reopen and write_log are checked by functions
// (manage_events, write_event_logs), whose names the message shows.
func (s *Server) requireManage(method string) error {
	if !s.opts.ReadOnly {
		return nil
	}
	perm := "Manage Events"
	if s.opts.Version >= Version5 {
		switch method {
		case "acknowledge", "close", "reopen", "unacknowledge":
			perm = "manage_events"
		case "write_log":
			perm = "write_event_logs"
		}
	}
	return raise("Unauthorized", `Calling %s requires "%s" permission`, method, perm)
}

// queryMethod serves query and queryArchive (the same, reading the
// archive; query does too with archive: true).
func (s *Server) queryMethod(method string) func(args) (map[string]any, error) {
	optional := []string{"limit", "start", "sort", "dir", "params", "exclusion_filter", "keys", "page", "uid", "detailFormat"}
	if method == "query" {
		optional = append(optional, "archive")
	}
	return func(a args) (map[string]any, error) {
		if err := a.signature(method, nil, optional, false); err != nil {
			return nil, err
		}
		return s.query(a, method == "queryArchive")
	}
}

func (s *Server) query(a args, fromArchive bool) (map[string]any, error) {
	// limit and start end up in EventSummaryRequest's uint32 fields
	// (zenoss-protocols services/zep.py _buildRequest): a negative or
	// non-integer value fails there.
	limit, err := a.uint32("limit", 0)
	if err != nil {
		return nil, err
	}
	start, err := a.uint32("start", 0)
	if err != nil {
		return nil, err
	}
	sortKey, err := a.str("sort", "lastTime")
	if err != nil {
		return nil, err
	}
	dir, err := a.str("dir", "desc")
	if err != nil {
		return nil, err
	}
	params, err := a.params("params")
	if err != nil {
		return nil, err
	}
	keys, haveKeys, err := a.strings("keys")
	if err != nil {
		return nil, err
	}
	if !haveKeys && s.opts.Version == Version4 {
		// 4.2 marshals with list(set(keys)).
		return nil, raise("TypeError", "'NoneType' object is not iterable")
	}
	archive, err := a.bool("archive")
	if err != nil {
		return nil, err
	}
	archive = archive || fromArchive
	detailFormat, err := a.bool("detailFormat")
	if err != nil {
		return nil, err
	}
	if a.present("exclusion_filter") {
		return nil, raise("NotImplementedError", "the sandbox does not emulate exclusion_filter")
	}
	if err := contextUID(a); err != nil {
		return nil, err
	}
	f, err := s.buildFilter(params)
	if err != nil {
		return nil, err
	}
	less, err := sortFunc(sortKey, dir)
	if err != nil {
		return nil, err
	}
	// ZEP caps a page at its query limit, and a limit of 0 gives no events
	// but the true total (LuceneEventIndexBackend.searchToEventSummaryResult).
	limit = min(limit, maxLimit)

	s.lock()
	defer s.mu.Unlock()
	var hits []*event
	for _, e := range s.order {
		if e.archived() == archive && f.match(e) {
			hits = append(hits, e)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return less(hits[i], hits[j]) })
	total := len(hits)
	lo := min(start, total)
	hits = hits[lo:min(lo+limit, total)]
	events := make([]map[string]any, 0, len(hits))
	for _, e := range hits {
		var m map[string]any
		if detailFormat {
			m = s.renderDetail(e)
		} else {
			m = s.renderQuery(e)
		}
		if haveKeys {
			m = selectKeys(m, e, keys)
		}
		events = append(events, m)
	}
	return map[string]any{"events": events, "totalCount": total, "asof": float64(s.opts.Now().UnixMicro()) / 1e6}, nil
}

// maxLimit caps a page, as ZEP does.
const maxLimit = 1000

func (s *Server) detail(a args) (map[string]any, error) {
	if err := a.signature("detail", []string{"evid"}, nil, false); err != nil {
		return nil, err
	}
	evid, err := a.str("evid", "")
	if err != nil {
		return nil, err
	}
	// EventStoreDaoImpl.findByUuid reads the archive when the event is
	// not live.
	s.lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	if !ok {
		return nil, errNotFound
	}
	return map[string]any{"event": []any{s.renderDetail(e)}}, nil
}

// update serves acknowledge, close, reopen and unacknowledge: select live
// events by evids and params as zep.py's _buildRequestFilters and
// _buildFilter do, apply the transition to each, and report {updated,
// total}, total being the events selected.
func (s *Server) update(method string, apply func(*event, string, int64) bool) func(args) (map[string]any, error) {
	sig := method
	if method == "unacknowledge" {
		sig = "reopen" // the alias passes its arguments on to reopen
	}
	return func(a args) (map[string]any, error) {
		optional := []string{"evids", "excludeIds", "params", "uid", "asof", "limit"}
		if s.opts.Version >= Version5 {
			optional = append(optional, "timeout")
		}
		if err := a.signature(sig, nil, optional, false); err != nil {
			return nil, err
		}
		if s.opts.Version < Version5 {
			if err := s.requireManage(method); err != nil {
				return nil, err
			}
		}
		// Only a list of evids selects events (isinstance(evids, (list,
		// tuple))); anything else is ignored. An empty list, no evids and
		// no params build an empty filter: every event.
		var evids []string
		raw := bytes.TrimSpace(a["evids"])
		isList := a.present("evids") && raw[0] == '['
		if isList {
			if err := json.Unmarshal(raw, &evids); err != nil {
				return nil, raise("TypeError", "evids must be a list of strings")
			}
		}

		if err := contextUID(a); err != nil {
			return nil, err
		}

		now := s.lock()
		defer s.mu.Unlock()
		if err := s.manageEvents(method, a); err != nil {
			return nil, err
		}
		params, err := a.params("params")
		if err != nil {
			return nil, err
		}
		f, err := s.buildFilter(params)
		if err != nil {
			return nil, err
		}
		if isList {
			// Specific uuids replace any evid in params; an empty list
			// filters nothing (createEventFilter skips an empty uuid).
			f.evids = evids
		}
		excluded, err := excludeIDs(a)
		if err != nil {
			return nil, err
		}
		// asof ("only if there has been no state change since") is in the
		// signature of every version and used by none: it is ignored.

		user := s.user()
		updated, total := 0, 0
		for _, e := range s.order {
			// The update runs a saved search on the summary index: archived
			// events are not in it.
			if e.archived() || excluded[e.evid] || !f.match(e) {
				continue
			}
			total++
			if apply(e, user, now) {
				updated++
			}
		}
		return map[string]any{"data": map[string]any{"updated": updated, "total": total}}, nil
	}
}

// contextUID accepts the contexts that select every event; a device or
// organizer context would narrow the selection, which the sandbox does not
// emulate.
func contextUID(a args) error {
	if uid, _ := a.str("uid", ""); uid != "" && uid != "/zport/dmd" && uid != "/zport/dmd/Events" && uid != "/zport/dmd/Devices" {
		return raise("NotImplementedError", "the sandbox does not emulate context uid %s", uid)
	}
	return nil
}

// excludeIDs reads excludeIds, which zep.py takes as a dict of evids
// (excludeIds.keys()) when it is truthy.
func excludeIDs(a args) (map[string]bool, error) {
	excluded := map[string]bool{}
	switch string(bytes.TrimSpace(a["excludeIds"])) {
	case "", "null", "[]", "{}", `""`, "0", "false":
		return excluded, nil
	}
	var ids map[string]json.RawMessage
	if err := json.Unmarshal(a["excludeIds"], &ids); err != nil {
		return nil, raise("AttributeError", "'%s' object has no attribute 'keys'", pyType(a["excludeIds"]))
	}
	for id := range ids {
		excluded[id] = true
	}
	return excluded, nil
}

// manageEvents is the permission check of the state changes from 5.0,
// zep.py's manage_events: a user without "Manage Events" gets through when
// the live events the evids name (_hasPermissionsForAllEvents: a list or a
// single evid; all events without one) are on devices the user may
// manage, which for the sandbox's read-only user holds only when they name
// none. The caller holds s.mu.
func (s *Server) manageEvents(method string, a args) error {
	if !s.opts.ReadOnly || s.opts.Version < Version5 {
		return nil
	}
	var named []string
	if a.present("evids") {
		if err := json.Unmarshal(a["evids"], &named); err != nil {
			var one string
			if json.Unmarshal(a["evids"], &one) != nil {
				return s.requireManage(method) // the check fails on what it cannot read
			}
			named = []string{one}
		}
	}
	for _, e := range s.order {
		if !e.archived() && (len(named) == 0 || slices.Contains(named, e.evid)) {
			return s.requireManage(method)
		}
	}
	return nil
}

func (s *Server) writeLog(a args) (map[string]any, error) {
	if err := a.signature("write_log", nil, []string{"evid", "message"}, false); err != nil {
		return nil, err
	}
	if s.opts.Version < Version5 {
		if err := s.requireManage("write_log"); err != nil {
			return nil, err
		}
	}
	evid, err := a.str("evid", "")
	if err != nil {
		return nil, err
	}
	msg, err := a.str("message", "")
	if err != nil {
		return nil, err
	}
	if !a.present("message") {
		return nil, raise("TypeError", "expected string or buffer")
	}
	if s.opts.Version >= Version5 {
		msg = cleanHTML(msg) // since 5.0: stored as clean_html(message)
	}
	now := s.lock()
	defer s.mu.Unlock()
	// EventStoreDaoImpl.addNote writes to the archive when the event is not
	// live. From 5.0 the permission check (write_event_logs) reads the
	// event with detail first, so a missing evid fails as detail does.
	e, ok := s.events[evid]
	if !ok {
		return nil, errNotFound
	}
	if err := s.requireManage("write_log"); err != nil {
		return nil, err
	}
	e.log = append(e.log, note{user: s.user(), ms: now, message: msg})
	return map[string]any{}, nil
}

// occurrenceFields are add_event keyword arguments that set event fields;
// other keyword arguments become details.
var occurrenceFields = map[string]func(*Occurrence, string){
	"message":       func(o *Occurrence, v string) { o.Message = v },
	"eventKey":      func(o *Occurrence, v string) { o.EventKey = v },
	"agent":         func(o *Occurrence, v string) { o.Agent = v },
	"dedupid":       func(o *Occurrence, v string) { o.DedupID = v },
	"eventClassKey": func(o *Occurrence, v string) { o.EventClassKey = v },
}

func (s *Server) addEvent(a args) (map[string]any, error) {
	required := []string{"summary", "device", "component", "severity", "evclasskey"}
	optional := []string{"evclass"}
	if s.opts.Version >= Version5 {
		optional = append(optional, "monitor")
	}
	// **kwargs arrived with ZEN-22305 (2016), after 4.x.
	if err := a.signature("add_event", required, optional, s.opts.Version >= Version5); err != nil {
		return nil, err
	}
	if err := s.requireManage("add_event"); err != nil {
		return nil, err
	}
	var o Occurrence
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{"summary", &o.Summary}, {"device", &o.Device}, {"component", &o.Component}, {"evclasskey", &o.EventClassKey}, {"evclass", &o.EventClass}, {"monitor", &o.Monitor}} {
		if *f.dst, err = a.str(f.key, ""); err != nil {
			return nil, err
		}
	}
	o.Device = strings.TrimSpace(o.Device) // ZEN-2479
	if o.Severity, err = parseSeverity(a["severity"]); err != nil {
		return nil, err
	}
	for k, raw := range a {
		if slices.Contains(required, k) || slices.Contains(optional, k) || isNull(raw) {
			continue
		}
		v := scalarString(raw)
		if set, ok := occurrenceFields[k]; ok {
			set(&o, v)
			continue
		}
		if o.Details == nil {
			o.Details = map[string]string{}
		}
		o.Details[k] = v
	}
	now := s.lock()
	s.occur(o, now)
	s.mu.Unlock()
	// The event is queued for zeneventd: no evid comes back.
	return map[string]any{"msg": "Created event"}, nil
}

func parseSeverity(raw json.RawMessage) (Severity, error) {
	v := scalarString(raw)
	for i, n := range severityNames {
		if strings.EqualFold(v, n) || v == strconv.Itoa(i) {
			return Severity(i), nil
		}
	}
	return 0, raise("ValueError", "invalid severity %q", v)
}

// scalarString renders a JSON value as Python's str() would, near enough.
func scalarString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// updateDetails is zep.py's updateDetails: each keyword argument becomes a
// one-value detail (zepfacade.py updateDetails), on a live or an archived
// event (EventStoreDaoImpl.updateDetails). It needs "Manage Events"
// (@require(ZEN_MANAGE_EVENTS) in every version that has it). On success
// it returns ZEP's HTTP status as the protocols client reports it, the
// string "204"; a missing evid is ZEP's 404, which the router turns into
// DirectResponse.fail: type "error", msg "Not Found".
func (s *Server) updateDetails(a args) (map[string]any, error) {
	if err := a.signature("updateDetails", []string{"evid"}, nil, true); err != nil {
		return nil, err
	}
	if err := s.requireManage("updateDetails"); err != nil {
		return nil, err
	}
	evid, err := a.str("evid", "")
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	for k, raw := range a {
		switch {
		case k == "evid":
		case isNull(raw):
			// EventDetailSet.details.add(value=(None,)) is a protobuf TypeError.
			return nil, raise("TypeError", "None has type NoneType, but expected one of: bytes, unicode")
		default:
			values[k] = scalarString(raw)
		}
	}
	s.lock()
	defer s.mu.Unlock()
	e, ok := s.events[evid]
	if !ok {
		return map[string]any{"success": false, "type": "error", "msg": "Not Found"}, nil
	}
	for k, v := range values {
		e.details[k] = []string{v}
	}
	return map[string]any{"status": "204"}, nil
}
