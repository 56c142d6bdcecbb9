package zenoss

import (
	"html"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// localLayout is isoDateTime's format: server local time, whole seconds.
const localLayout = "2006-01-02 15:04:05"

// stamp renders firstTime, lastTime and stateChange: local strings up to
// 4.x, float epoch seconds since 5.0.
func (s *Server) stamp(ms int64) any {
	if s.opts.Version <= Version4 {
		return time.UnixMilli(ms).In(s.opts.Location).Format(localLayout)
	}
	return float64(ms) / 1000
}

// logStamp renders a log entry's time: local strings (isoDateTimeFromMilli)
// up to 5.2, integer epoch milliseconds from 5.3 on, where
// EventCompatDetailInfo.log stopped converting (Products/Zuul/infos/event.py
// at tag 5.3.0; ZEN-15837, commit cc9179bea on the 6.0 line).
func (s *Server) logStamp(ms int64) any {
	if s.atLeast(Version5, 3) {
		return ms
	}
	return time.UnixMilli(ms).In(s.opts.Location).Format(localLayout)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// model returns the device's uid and uuid when the device is in the model
// (the sandbox's rule: it has a device class).
func (e *event) model() (uid, uuid string, ok bool) {
	dc := first(e.details[deviceClassDetail])
	if dc == "" {
		return "", "", false
	}
	return "/zport/dmd/Devices" + dc + "/devices/" + e.device, guid("device", e.device), true
}

func goURL(uuid string) string { return "/zport/dmd/goto?guid=" + uuid }

// refs returns the device and component objects of EventCompatInfo.
func (e *event) refs() (device, component map[string]any) {
	device = map[string]any{"text": e.device, "uid": nil, "url": nil, "uuid": nil}
	component = map[string]any{"text": nilIfEmpty(e.component), "uid": nil, "url": nil, "uuid": nil}
	if uid, uuid, ok := e.model(); ok {
		device = map[string]any{"text": e.device, "uid": uid, "url": goURL(uuid), "uuid": uuid}
		if e.component != "" {
			cuuid := guid("component", e.device+"/"+e.component)
			component = map[string]any{"text": e.component, "uid": uid + "/" + e.component, "url": goURL(cuuid), "uuid": cuuid}
		}
	}
	return device, component
}

// renderQuery is EventCompatInfo: the shape of query results.
func (s *Server) renderQuery(e *event) map[string]any {
	device, component := e.refs()
	details := make(map[string]any, len(e.details))
	for k, v := range e.details {
		details[k] = slices.Clone(v)
	}
	deviceClass := []any{}
	for _, dc := range e.details[deviceClassDetail] {
		deviceClass = append(deviceClass, map[string]any{"uid": "/zport/dmd/Devices" + dc, "name": dc})
	}
	var ip any = ""
	if v, ok := e.details["zenoss.device.ip_address"]; ok {
		ip = v
	}
	return map[string]any{
		"evid": e.evid, "id": e.evid, "dedupid": e.dedupid,
		"eventState": e.status.String(), "severity": int(e.severity),
		"device": device, "component": component,
		"eventClass": map[string]any{"text": e.eventClass, "uid": "/zport/dmd/Events" + e.eventClass},
		"summary":    e.summary, "message": e.message,
		"firstTime": s.stamp(e.firstTime), "lastTime": s.stamp(e.lastTime), "stateChange": s.stamp(e.changed),
		"count": e.count, "ownerid": nilIfEmpty(e.ownerid), "details": details,
		"eventClassKey": nilIfEmpty(e.eventClassKey), "eventKey": nilIfEmpty(e.eventKey), "eventGroup": nil,
		"agent": nilIfEmpty(e.agent), "monitor": nilIfEmpty(e.monitor), "facility": nil, "priority": nil,
		"clearid": nilIfEmpty(e.clearid), "ntevid": nil, "ipAddress": ip, "eventClassMapping": "",
		"DeviceClass": deviceClass, "Location": []any{}, "DeviceGroups": []any{}, "Systems": []any{},
		"prodState": nil, "DevicePriority": nil,
	}
}

// renderDetail is EventCompatDetailInfo: device and component as id
// strings with _title/_uuid/_url siblings, details as a sorted list of
// {key, value}, and the log merged from notes and the status audit.
func (s *Server) renderDetail(e *event) map[string]any {
	m := s.renderQuery(e)
	device, component := e.refs()
	m["device"], m["device_title"], m["device_uuid"], m["device_url"] = e.device, e.device, device["uuid"], device["url"]
	m["component"], m["component_title"], m["component_uuid"], m["component_url"] = nilIfEmpty(e.component), component["text"], component["uuid"], component["url"]
	m["eventClass"], m["eventClass_url"] = e.eventClass, "/zport/dmd/Events"+e.eventClass
	m["eventClassMapping"], m["eventClassMapping_url"] = nil, nil

	names := slices.SortedFunc(maps.Keys(e.details), func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})
	details := []any{}
	for _, k := range names {
		if strings.HasPrefix(k, "__meta__") {
			continue
		}
		for _, v := range e.details[k] {
			if v == "" {
				continue
			}
			key := k
			if s.opts.Version >= Version6 {
				// HEAD cleans detail names and values as HTML (an
				// assumption for 6.x; 4.2 does not).
				key, v = cleanFragment(k), cleanFragment(v)
			}
			details = append(details, map[string]any{"key": key, "value": v})
		}
	}
	m["details"] = details

	log := []any{}
	for _, n := range e.newestFirst() {
		log = append(log, []any{n.user, s.logStamp(n.ms), n.message})
	}
	m["log"] = log
	return m
}

// selectKeys keeps the requested fields; like EventCompatInfo.__getattr__,
// a key may also name a non-empty detail.
func selectKeys(m map[string]any, e *event, keys []string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		} else if v := e.details[k]; len(v) > 0 {
			out[k] = slices.Clone(v)
		}
	}
	return out
}

// HTML cleaning, an approximation of lxml.html.clean.clean_html: scripts,
// styles, frames, objects and comments are removed with their content,
// other tags keep only an href without "javascript:", text is re-escaped,
// and the result has one root: text alone is wrapped in <p>, mixed content
// in <div>. Good enough for what a client writes to an event log.

var (
	tagRE      = regexp.MustCompile(`(?s)<!--.*?-->|</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>`)
	tagNameRE  = regexp.MustCompile(`^</?([a-zA-Z][a-zA-Z0-9]*)`)
	hrefRE     = regexp.MustCompile(`(?i)\bhref\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	droppedTag = map[string]bool{"script": true, "style": true, "iframe": true, "frame": true, "object": true, "embed": true}
	voidTag    = map[string]bool{"br": true, "hr": true, "img": true, "input": true, "meta": true, "link": true}
)

func cleanHTML(in string) string {
	var b strings.Builder
	roots, text := 0, false // top-level elements and non-blank text
	depth := 0
	skip := "" // inside a dropped element
	pos := 0
	emitText := func(t string) {
		if skip != "" || t == "" {
			return
		}
		if depth == 0 && strings.TrimSpace(t) != "" {
			text = true
		}
		b.WriteString(escapeText(html.UnescapeString(t)))
	}
	for _, loc := range tagRE.FindAllStringIndex(in, -1) {
		emitText(in[pos:loc[0]])
		pos = loc[1]
		tag := in[loc[0]:loc[1]]
		if strings.HasPrefix(tag, "<!--") {
			continue
		}
		name := strings.ToLower(tagNameRE.FindStringSubmatch(tag)[1])
		closing := strings.HasPrefix(tag, "</")
		switch {
		case skip != "":
			if closing && name == skip {
				skip = ""
			}
			continue
		case droppedTag[name]:
			if !closing && !strings.HasSuffix(tag, "/>") {
				skip = name
			}
			continue
		}
		if closing {
			if !voidTag[name] {
				depth = max(depth-1, 0)
				b.WriteString("</" + name + ">")
			}
			continue
		}
		if depth == 0 {
			roots++
		}
		b.WriteString("<" + name)
		if m := hrefRE.FindStringSubmatch(tag); m != nil && !strings.Contains(strings.ToLower(m[1]), "javascript:") {
			b.WriteString(" href=" + m[1])
		}
		b.WriteString(">")
		if !voidTag[name] && !strings.HasSuffix(tag, "/>") {
			depth++
		}
	}
	emitText(in[pos:])
	out := b.String()
	switch {
	case roots == 0:
		return "<p>" + out + "</p>"
	case roots == 1 && !text:
		return strings.TrimSpace(out)
	}
	return "<div>" + out + "</div>"
}

// cleanFragment is Zenoss's _clean_html: clean "<p>value</p>" and drop the
// wrapper again, so plain text comes back plain (but re-escaped).
func cleanFragment(s string) string {
	c := cleanHTML("<p>" + s + "</p>")
	if strings.HasPrefix(c, "<p>") && strings.HasSuffix(c, "</p>") {
		return c[3 : len(c)-4]
	}
	return c
}

// escapeText escapes text as lxml serialises it: &, < and > only.
func escapeText(s string) string { return textEscaper.Replace(s) }

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
