package zenoss

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// filter is a parsed query "params" dict.
type filter struct {
	states, severities map[int]bool
	evids              []string
	texts              []textFilter
	ranges             []rangeFilter
	countFrom, countTo int // -1: open
}

type textFilter struct {
	get              func(*event) string
	include, exclude []string // lower-case globs; "" matches an empty field
}

type rangeFilter struct {
	get      func(*event) int64
	from, to int64 // to < 0: open
}

// textFields are the string filters Zenoss parses for ||, !! and wildcards.
// device, component and eventClass get no leading wildcard.
var textFields = map[string]func(*event) string{
	"device":        func(e *event) string { return e.device },
	"component":     func(e *event) string { return e.component },
	"eventClass":    func(e *event) string { return e.eventClass },
	"ownerid":       func(e *event) string { return e.ownerid },
	"summary":       func(e *event) string { return e.summary },
	"message":       func(e *event) string { return e.message },
	"monitor":       func(e *event) string { return e.monitor },
	"agent":         func(e *event) string { return e.agent },
	"eventClassKey": func(e *event) string { return e.eventClassKey },
	"eventGroup":    func(*event) string { return "" },
	"eventKey":      func(e *event) string { return e.eventKey },
	"dedupid":       func(e *event) string { return e.dedupid },
	"DeviceClass":   func(e *event) string { return first(e.details[deviceClassDetail]) },
}

var timeFields = map[string]func(*event) int64{
	"firstTime":   func(e *event) int64 { return e.firstTime },
	"lastTime":    func(e *event) int64 { return e.lastTime },
	"stateChange": func(e *event) int64 { return e.changed },
}

// notEmulated are valid Zenoss filters the sandbox does not implement; it
// rejects them rather than ignore them.
var notEmulated = []string{"tags", "prodState", "DevicePriority", "ipAddress", "Location", "DeviceGroups", "Systems",
	"zenoss.device.production_state", "zenoss.device.priority", "zenoss.device.ip_address",
	"zenoss.device.location", "zenoss.device.groups", "zenoss.device.systems"}

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func (s *Server) buildFilter(params map[string]any) (*filter, error) {
	f := &filter{countFrom: -1, countTo: -1}
	var invalid []string
	for key, v := range params {
		var err error
		switch {
		case key == "eventState" || key == "eventStateText":
			f.states, err = intSet(f.states, key, v)
		case key == "severity":
			f.severities, err = intSet(f.severities, key, v)
		case key == "evid":
			switch v := v.(type) {
			case string:
				f.evids = append(f.evids, v)
			case []any:
				for _, id := range v {
					f.evids = append(f.evids, fmt.Sprint(id))
				}
			}
		case key == "count":
			err = f.setCount(v)
		case key == "excludeNonActionables":
		case textFields[key] != nil:
			var tf textFilter
			tf, err = parseText(key, v)
			tf.get = textFields[key]
			f.texts = append(f.texts, tf)
		case timeFields[key] != nil:
			var rf rangeFilter
			var ok bool
			rf, ok, err = s.parseRange(v)
			rf.get = timeFields[key]
			if ok {
				f.ranges = append(f.ranges, rf)
			}
		case key == deviceClassDetail:
			var tf textFilter
			tf, err = parseText(key, v)
			tf.get = textFields["DeviceClass"]
			f.texts = append(f.texts, tf)
		case slices.Contains(notEmulated, key):
			err = raise("NotImplementedError", "the sandbox does not emulate the %s filter", key)
		default:
			invalid = append(invalid, key)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(invalid) > 0 {
		sort.Strings(invalid)
		return nil, raise("InvalidQueryParameterException", "Invalid query parameters specified: %s", strings.Join(invalid, ", "))
	}
	return f, nil
}

// intSet reads eventState, eventStateText or severity. An empty value (an
// empty list, 0, "" or null) filters nothing: createEventFilter in
// zepfacade.py adds a field only when it is truthy.
func intSet(set map[int]bool, key string, v any) (map[int]bool, error) {
	l, ok := v.([]any)
	if !ok {
		if falsy(v) {
			return set, nil
		}
		l = []any{v}
	}
	if len(l) == 0 {
		return set, nil
	}
	if set == nil {
		set = map[int]bool{}
	}
	for _, x := range l {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(x)))
		if err != nil {
			return nil, raise("ValueError", "%s: invalid literal for int(): %v", key, x)
		}
		set[n] = true
	}
	return set, nil
}

// falsy is Python's truth test for a decoded JSON scalar.
func falsy(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	}
	return false
}

func (f *filter) setCount(v any) error {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return raise("ValueError", "Invalid range: %s", v)
		}
		f.countFrom, f.countTo = int(n), int(n)
	case string:
		m := countRange.FindStringSubmatch(v)
		if m == nil {
			return raise("ValueError", "Invalid range: %s", v)
		}
		if m[1] != "" {
			f.countFrom, _ = strconv.Atoi(m[1])
		}
		if m[2] != "" {
			f.countTo, _ = strconv.Atoi(m[2])
		}
	default:
		return raise("ValueError", "Invalid range: %v", v)
	}
	return nil
}

var (
	countRange = regexp.MustCompile(`^(\d+)?:?(\d+)?$`)
	spaces     = regexp.MustCompile(`\s+`)
)

// parseText follows Zenoss's _FilterParser: "a!!b" keeps a and excludes b,
// "a||b" is either, `""` is an empty field, and strings get wildcards;
// list values are taken as they are.
func parseText(key string, v any) (textFilter, error) {
	var tf textFilter
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			tf.include = append(tf.include, strings.ToLower(fmt.Sprint(x)))
		}
		return tf, nil
	case string:
		inc, exc, _ := strings.Cut(cleanText(v), "!!")
		tf.include = orClauses(key, inc)
		tf.exclude = orClauses(key, exc)
		return tf, nil
	}
	return tf, raise("TypeError", "%s must be a string or a list", key)
}

func cleanText(s string) string { return strings.Trim(spaces.ReplaceAllString(s, " "), " *") }

func orClauses(key, v string) []string {
	v = cleanText(v)
	if v == "" {
		return nil
	}
	var out []string
	for _, c := range strings.Split(v, "||") {
		c = strings.TrimSpace(c)
		switch {
		case c == "":
		case c == `""`:
			out = append(out, "")
		case key == "device" || key == "component" || key == "eventClass":
			out = append(out, strings.ToLower(c)+"*")
		default:
			out = append(out, "*"+strings.ToLower(c)+"*")
		}
	}
	return out
}

// parseRange reads a time range as the emulated version does. Like Zenoss,
// a value it cannot parse is logged and ignored (ok false): the filter
// silently matches everything.
func (s *Server) parseRange(v any) (rangeFilter, bool, error) {
	str, isStr := v.(string)
	if !isStr {
		return rangeFilter{}, false, raise("AttributeError", "'%T' object has no attribute 'split'", v)
	}
	ms, ok := s.rangeBounds(str)
	if !ok {
		// Not an error: Zenoss logs the bad value and drops the filter
		// rather than failing the query.
		return rangeFilter{}, false, nil
	}
	rf := rangeFilter{from: ms[0], to: -1}
	if len(ms) == 2 {
		rf.to = ms[1]
	}
	return rf, true, nil
}

// rangeBounds splits a time range and reads its bounds as epoch
// milliseconds, as the emulated version does; ok is false if any bound
// does not parse.
func (s *Server) rangeBounds(str string) (ms []int64, ok bool) {
	if s.opts.Version >= Version6 {
		// Since 6.0 (ZEN-28204): epoch milliseconds, "a/b" or "a TO b".
		sep := "/"
		if strings.Contains(str, " TO ") {
			sep = " TO "
		}
		for _, p := range strings.Split(str, sep) {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, false
			}
			ms = append(ms, int64(f))
		}
		return ms, true
	}
	// Up to 5.x: "<iso>/<iso>" in server local time, whole seconds.
	for _, p := range strings.Split(str, "/") {
		t, err := s.parseLocal(strings.Replace(p, "T", " ", 1))
		if err != nil {
			return nil, false
		}
		ms = append(ms, t.Unix()*1000)
	}
	return ms, true
}

func (f *filter) match(e *event) bool {
	if f.states != nil && !f.states[int(e.status)] {
		return false
	}
	if f.severities != nil && !f.severities[int(e.severity)] {
		return false
	}
	if len(f.evids) > 0 && !slices.Contains(f.evids, e.evid) {
		return false
	}
	if (f.countFrom >= 0 && e.count < f.countFrom) || (f.countTo >= 0 && e.count > f.countTo) {
		return false
	}
	for _, r := range f.ranges {
		t := r.get(e)
		if t < r.from || (r.to >= 0 && t > r.to) {
			return false
		}
	}
	for _, tf := range f.texts {
		v := strings.ToLower(tf.get(e))
		if len(tf.include) > 0 && !slices.ContainsFunc(tf.include, func(g string) bool { return glob(g, v) }) {
			return false
		}
		if slices.ContainsFunc(tf.exclude, func(g string) bool { return glob(g, v) }) {
			return false
		}
	}
	return true
}

// glob matches a pattern whose only wildcard is "*".
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

var sortKeys = map[string]func(a, b *event) int{
	"eventstate":    func(a, b *event) int { return cmp.Compare(a.status, b.status) },
	"severity":      func(a, b *event) int { return cmp.Compare(a.severity, b.severity) },
	"firsttime":     func(a, b *event) int { return cmp.Compare(a.firstTime, b.firstTime) },
	"lasttime":      func(a, b *event) int { return cmp.Compare(a.lastTime, b.lastTime) },
	"eventclass":    func(a, b *event) int { return cmp.Compare(a.eventClass, b.eventClass) },
	"device":        func(a, b *event) int { return cmp.Compare(a.device, b.device) },
	"component":     func(a, b *event) int { return cmp.Compare(a.component, b.component) },
	"count":         func(a, b *event) int { return cmp.Compare(a.count, b.count) },
	"summary":       func(a, b *event) int { return cmp.Compare(a.summary, b.summary) },
	"ownerid":       func(a, b *event) int { return cmp.Compare(a.ownerid, b.ownerid) },
	"agent":         func(a, b *event) int { return cmp.Compare(a.agent, b.agent) },
	"monitor":       func(a, b *event) int { return cmp.Compare(a.monitor, b.monitor) },
	"eventkey":      func(a, b *event) int { return cmp.Compare(a.eventKey, b.eventKey) },
	"evid":          func(a, b *event) int { return cmp.Compare(a.evid, b.evid) },
	"statechange":   func(a, b *event) int { return cmp.Compare(a.changed, b.changed) },
	"dedupid":       func(a, b *event) int { return cmp.Compare(a.dedupid, b.dedupid) },
	"eventclasskey": func(a, b *event) int { return cmp.Compare(a.eventClassKey, b.eventClassKey) },
	"eventgroup":    func(*event, *event) int { return 0 },
}

// sortFunc orders as ZEP does: by the key, then by lastTime descending
// (unless the key is lastTime or evid); ties keep creation order.
func sortFunc(key, dir string) (func(a, b *event) bool, error) {
	by, ok := sortKeys[strings.ToLower(key)]
	if !ok {
		return nil, raise("KeyError", "'%s'", strings.ToLower(key))
	}
	sign := 0
	switch strings.ToLower(dir) {
	case "asc":
		sign = 1
	case "desc":
		sign = -1
	default:
		return nil, raise("KeyError", "'%s'", strings.ToLower(dir))
	}
	secondary := strings.ToLower(key) != "lasttime" && strings.ToLower(key) != "evid"
	return func(a, b *event) bool {
		if c := sign * by(a, b); c != 0 {
			return c < 0
		}
		return secondary && a.lastTime > b.lastTime
	}, nil
}

// parseLocal reads a server-local wall time as mktime does. In the hour a
// DST change repeats, mktime may pick either offset; the sandbox picks the
// later instant, the one that hides events from a "since" bound.
func (s *Server) parseLocal(v string) (time.Time, error) {
	t, err := time.ParseInLocation(localLayout, v, s.opts.Location)
	if err != nil {
		return t, err
	}
	for _, shift := range []time.Duration{time.Hour, 30 * time.Minute} {
		if later := t.Add(shift); later.Format(localLayout) == t.Format(localLayout) {
			return later, nil
		}
	}
	return t, nil
}
