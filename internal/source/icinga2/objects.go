package icinga2

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// kind is Icinga's object type of a checkable: hosts or services.
type kind struct {
	Type   string // "Host", "Service"
	plural string // URL segment and query attribute prefix
	// lastOK is the attribute that holds when the checkable was last OK:
	// it stays fixed for the whole problem.
	lastOK string
}

var (
	hostKind    = kind{Type: "Host", plural: "hosts", lastOK: "last_state_up"}
	serviceKind = kind{Type: "Service", plural: "services", lastOK: "last_state_ok"}
)

// kindOf tells a host name from a service's full name (host!service).
func kindOf(name string) kind {
	if strings.Contains(name, "!") {
		return serviceKind
	}
	return hostKind
}

// attrs the adapter reads; asking for one that does not exist in 2.13
// (acknowledgement_type, is_in_effect) is a 400 "Invalid field specified".
func (k kind) attrs() []string {
	a := []string{"__name", "name", "state", "state_type", k.lastOK, "last_hard_state_change", "last_check",
		"acknowledgement", "acknowledgement_last_change", "downtime_depth", "enable_active_checks", "check_command",
		"groups", "vars", "last_check_result"}
	if k == serviceKind {
		a = append(a, "host_name")
	}
	return a
}

// joins are the host's attributes a service needs: its groups and its downtimes.
func (k kind) joins() []string {
	if k == serviceKind {
		return []string{"host.groups", "host.downtime_depth"}
	}
	return nil
}

// object is a host or service as the API returns it.
type object struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Attrs struct {
		FullName            string         `json:"__name"`
		ShortName           string         `json:"name"`
		HostName            string         `json:"host_name"`
		State               float64        `json:"state"`
		StateType           float64        `json:"state_type"`
		LastStateOK         json.Number    `json:"last_state_ok"`
		LastStateUp         json.Number    `json:"last_state_up"`
		LastHardStateChange float64        `json:"last_hard_state_change"`
		LastCheck           float64        `json:"last_check"`
		Acknowledgement     float64        `json:"acknowledgement"`
		AckLastChange       float64        `json:"acknowledgement_last_change"`
		DowntimeDepth       float64        `json:"downtime_depth"`
		EnableActiveChecks  bool           `json:"enable_active_checks"`
		CheckCommand        string         `json:"check_command"`
		Groups              []string       `json:"groups"`
		Vars                map[string]any `json:"vars"`
		LastCheckResult     *checkResult   `json:"last_check_result"`
	} `json:"attrs"`
	Joins struct {
		Host *struct {
			Groups        []string `json:"groups"`
			DowntimeDepth float64  `json:"downtime_depth"`
		} `json:"host"`
	} `json:"joins"`
}

type checkResult struct {
	Output      string `json:"output"`
	CheckSource string `json:"check_source"`
}

func (o object) kind() kind { return kindOf(o.Name) }

// problem reports a non-OK HARD state. Never-checked objects are SOFT
// (a service is state 3, a host DOWN, before any result).
func (o object) problem() bool { return o.Attrs.State != 0 && o.Attrs.StateType == 1 }

// since is the time the checkable was last OK, in microseconds: the
// problem's key. It is read from the JSON text, not through a float, so
// the same value always gives the same key.
func (o object) since() int64 {
	n := o.Attrs.LastStateOK
	if o.kind() == hostKind {
		n = o.Attrs.LastStateUp
	}
	return micros(n)
}

func (o object) host() string {
	if o.kind() == serviceKind {
		return o.Attrs.HostName
	}
	return o.Name
}

func (o object) service() string {
	if o.kind() == serviceKind {
		return o.Attrs.ShortName
	}
	return ""
}

// inDowntime reports a downtime on the object, or on a service's host.
func (o object) inDowntime() bool {
	return o.Attrs.DowntimeDepth > 0 || (o.Joins.Host != nil && o.Joins.Host.DowntimeDepth > 0)
}

// micros reads an Icinga timestamp (float seconds) as whole microseconds.
func micros(n json.Number) int64 {
	s := n.String()
	if s == "" {
		return 0
	}
	if !strings.ContainsAny(s, "eE") {
		whole, frac, _ := strings.Cut(s, ".")
		frac = (frac + "000000")[:6]
		w, err1 := strconv.ParseInt(whole, 10, 64)
		f, err2 := strconv.ParseInt(frac, 10, 64)
		if err1 == nil && err2 == nil && w >= 0 {
			return w*1_000_000 + f
		}
	}
	v, err := n.Float64()
	if err != nil || v <= 0 {
		return 0
	}
	return int64(math.Round(v * 1e6))
}

func secondsTime(v float64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(math.Round(v * 1e6))).UTC()
}

// eventID is "<object name>@<seconds>.<micros>" of the time last OK.
func eventID(name string, since int64) string {
	return fmt.Sprintf("%s@%d.%06d", name, since/1_000_000, since%1_000_000)
}

// parseID splits an event ID; a malformed one names no event.
func parseID(id string) (name string, since int64, err error) {
	i := strings.LastIndex(id, "@")
	bad := fmt.Errorf("icinga2: %q is not an Icinga 2 event id (host!service@seconds): %w", id, source.ErrNotFound)
	if i <= 0 {
		return "", 0, bad
	}
	name = id[:i]
	whole, frac, ok := strings.Cut(id[i+1:], ".")
	if !ok || len(frac) != 6 {
		return "", 0, bad
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || f < 0 || strings.HasPrefix(name, "!") || strings.HasSuffix(name, "!") {
		return "", 0, bad
	}
	return name, w*1_000_000 + f, nil
}

// query lists the objects a filter matches.
func (c *Client) query(ctx context.Context, k kind, filter string, vars map[string]any) ([]object, error) {
	body := map[string]any{"attrs": k.attrs(), "filter": filter}
	if j := k.joins(); j != nil {
		body["joins"] = j
	}
	if vars != nil {
		body["filter_vars"] = vars
	}
	results, err := c.call(ctx, "listing "+k.plural, http.MethodGet, "/v1/objects/"+k.plural, nil, body)
	if err != nil {
		return nil, err
	}
	return decodeAll[object](k.plural, results)
}

// object reads one host or service; an unknown one is source.ErrNotFound.
func (c *Client) object(ctx context.Context, name string) (object, error) {
	k := kindOf(name)
	q := url.Values{"attrs": k.attrs()}
	if j := k.joins(); j != nil {
		q["joins"] = j
	}
	results, err := c.call(ctx, "reading "+strings.ToLower(k.Type)+" "+name, http.MethodGet, "/v1/objects/"+k.plural+"/"+url.PathEscape(name), q, nil)
	if err != nil {
		return object{}, err
	}
	objs, err := decodeAll[object](k.plural, results)
	if err != nil {
		return object{}, err
	}
	if len(objs) != 1 {
		return object{}, fmt.Errorf("icinga2: reading %s: %w", name, source.ErrNotFound)
	}
	return objs[0], nil
}

func decodeAll[T any](what string, results []json.RawMessage) ([]T, error) {
	out := make([]T, 0, len(results))
	for _, r := range results {
		var v T
		dec := json.NewDecoder(strings.NewReader(string(r)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("icinga2: %s: %w: %v", what, ErrMalformed, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// comment is a Comment object: entry_type 1 is a user's comment, 2 a
// downtime's, 3 flapping, 4 an acknowledgement's.
type comment struct {
	Attrs struct {
		Author      string  `json:"author"`
		Text        string  `json:"text"`
		EntryType   float64 `json:"entry_type"`
		EntryTime   float64 `json:"entry_time"`
		HostName    string  `json:"host_name"`
		ServiceName string  `json:"service_name"`
	} `json:"attrs"`
}

// downtime is a Downtime object.
type downtime struct {
	Name  string `json:"name"`
	Attrs struct {
		Author      string  `json:"author"`
		Comment     string  `json:"comment"`
		HostName    string  `json:"host_name"`
		ServiceName string  `json:"service_name"`
		StartTime   float64 `json:"start_time"`
		EndTime     float64 `json:"end_time"`
		TriggerTime float64 `json:"trigger_time"`
		Fixed       bool    `json:"fixed"`
	} `json:"attrs"`
}

// inEffect: 2.13 has no is_in_effect; a fixed downtime is in effect within
// its window, a flexible one once triggered and until it ends.
func (d downtime) inEffect(now time.Time) bool {
	t := float64(now.UnixMicro()) / 1e6
	if d.Attrs.Fixed {
		return d.Attrs.StartTime <= t && t < d.Attrs.EndTime
	}
	return d.Attrs.TriggerTime > 0
}

func (c *Client) comments(ctx context.Context, filter string, vars map[string]any) ([]comment, error) {
	body := map[string]any{"attrs": []string{"author", "text", "entry_type", "entry_time", "host_name", "service_name"}, "filter": filter}
	if vars != nil {
		body["filter_vars"] = vars
	}
	results, err := c.call(ctx, "listing comments", http.MethodGet, "/v1/objects/comments", nil, body)
	if err != nil {
		return nil, err
	}
	return decodeAll[comment]("comments", results)
}

func (c *Client) downtimes(ctx context.Context, filter string, vars map[string]any) ([]downtime, error) {
	body := map[string]any{"attrs": []string{"author", "comment", "host_name", "service_name", "start_time", "end_time", "trigger_time", "fixed"}}
	if filter != "" {
		body["filter"] = filter
		body["filter_vars"] = vars
	}
	results, err := c.call(ctx, "listing downtimes", http.MethodGet, "/v1/objects/downtimes", nil, body)
	if err != nil {
		return nil, err
	}
	return decodeAll[downtime]("downtimes", results)
}

// checkableKey keys comments and downtimes by host and service ("" for a host).
func checkableKey(host, service string) string { return host + "!" + service }

// extras is what decoding needs beyond the object: who acknowledged
// what, and the downtimes in effect.
type extras struct {
	ackBy     map[string]string     // checkable key -> author of the latest acknowledgement comment
	downtimes map[string][]downtime // checkable key -> downtimes in effect
}

// varRef is the custom variable that holds the incident reference.
const varRef = "pdbridge"

// event normalises a problem; ok is false for anything that is not one.
func (c *Client) event(o object, x extras) (source.Event, bool) {
	if !o.problem() {
		return source.Event{}, false
	}
	a := o.Attrs
	e := source.Event{
		ID:         eventID(o.Name, o.since()),
		DedupID:    o.Name,
		Device:     o.host(),
		Component:  o.service(),
		EventClass: a.CheckCommand,
		Severity:   severity(o),
		Status:     source.StatusNew,
		FirstSeen:  secondsTime(a.LastHardStateChange),
		LastSeen:   secondsTime(a.LastCheck),
		Details:    map[string]string{"icinga2.object": o.Name, "icinga2.type": o.Type, "icinga2.state": stateName(o)},
	}
	e.NativeStatus = stateName(o)
	if a.Acknowledgement > 0 {
		e.Status = source.StatusAcknowledged
		e.NativeStatus += " (acknowledged)"
		e.AcknowledgedBy = x.ackBy[checkableKey(o.host(), o.service())]
	}
	e.StatusChanged = secondsTime(max(a.LastHardStateChange, a.AckLastChange))
	groups := a.Groups
	if o.Joins.Host != nil {
		groups = o.Joins.Host.Groups
		if len(a.Groups) > 0 {
			e.Details["icinga2.service_groups"] = strings.Join(a.Groups, ", ")
		}
	}
	e.DeviceClass = strings.Join(groups, ", ")
	if r := a.LastCheckResult; r != nil {
		e.Message = strings.TrimSpace(r.Output)
		e.Summary, _, _ = strings.Cut(e.Message, "\n")
		if r.CheckSource != "" {
			e.Details["icinga2.check_source"] = r.CheckSource
		}
	}
	for k, v := range a.Vars {
		if k == varRef {
			continue
		}
		switch v := v.(type) {
		case string:
			e.Details["vars."+k] = v
		case json.Number, bool:
			e.Details["vars."+k] = fmt.Sprint(v)
		}
	}
	if o.inDowntime() {
		e.Maintenance = maintenance(o, x)
	}
	e.Ref = readRef(a.Vars[varRef], e.ID)
	return e, true
}

func stateName(o object) string {
	if o.kind() == hostKind {
		return map[float64]string{0: "UP", 1: "DOWN"}[o.Attrs.State]
	}
	return map[float64]string{0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}[o.Attrs.State]
}

// severity: a service's WARNING, UNKNOWN (between the two in Icinga Web's
// severity order) and CRITICAL; a DOWN host is critical.
func severity(o object) source.Severity {
	if o.kind() == hostKind {
		return source.SeverityCritical
	}
	switch o.Attrs.State {
	case 1:
		return source.SeverityWarning
	case 2:
		return source.SeverityCritical
	case 3:
		return source.SeverityError
	}
	return source.SeverityUnknown
}

// maintenance names the downtimes in effect on the object (or its host).
func maintenance(o object, x extras) string {
	var names []string
	for _, key := range []string{checkableKey(o.host(), o.service()), checkableKey(o.host(), "")} {
		for _, d := range x.downtimes[key] {
			text := "downtime " + d.Name
			if d.Attrs.Author != "" || d.Attrs.Comment != "" {
				text += fmt.Sprintf(" by %s: %q", d.Attrs.Author, d.Attrs.Comment)
			}
			names = append(names, text)
		}
		if o.kind() == hostKind {
			break
		}
	}
	if len(names) == 0 {
		// Listed between the object and its downtimes: still in one.
		return fmt.Sprintf("%s %s is in a downtime", strings.ToLower(o.Type), o.Name)
	}
	sort.Strings(names)
	return strings.Join(names, "; ")
}

// refFields are the reference's keys in vars.pdbridge.
const (
	refEvent           = "event_id"
	refIncident        = "incident_id"
	refURL             = "url"
	refCreated         = "created"
	refConnector       = "connector_id"
	refDedupKey        = "dedup_key"
	refState           = "state"
	refIncidentUpdated = "incident_updated"
	refEventChanged    = "event_changed"
	refEventStatus     = "event_status"
)

// readRef reads vars.pdbridge, when it belongs to this event: the
// variable survives recovery, and a reference left by an earlier problem
// of the object is not this one's.
func readRef(v any, eventID string) source.IncidentRef {
	m, ok := v.(map[string]any)
	if !ok {
		return source.IncidentRef{}
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	if str(refEvent) != eventID {
		return source.IncidentRef{}
	}
	at := func(k string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, str(k))
		if err != nil {
			return time.Time{}
		}
		return t.UTC()
	}
	return source.IncidentRef{IncidentID: str(refIncident), URL: str(refURL), Created: at(refCreated), ConnectorID: str(refConnector),
		DedupKey: str(refDedupKey), State: str(refState), IncidentUpdated: at(refIncidentUpdated), EventChanged: at(refEventChanged),
		EventStatus: str(refEventStatus)}
}

func writeRef(ref source.IncidentRef, eventID string) map[string]string {
	m := map[string]string{refEvent: eventID}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	at := func(k string, t time.Time) {
		if !t.IsZero() {
			m[k] = t.UTC().Format(time.RFC3339Nano)
		}
	}
	set(refIncident, ref.IncidentID)
	set(refURL, ref.URL)
	at(refCreated, ref.Created)
	set(refConnector, ref.ConnectorID)
	set(refDedupKey, ref.DedupKey)
	set(refState, ref.State)
	at(refIncidentUpdated, ref.IncidentUpdated)
	at(refEventChanged, ref.EventChanged)
	set(refEventStatus, ref.EventStatus)
	return m
}
