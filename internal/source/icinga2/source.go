package icinga2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Kind implements source.Source.
func (c *Client) Kind() string { return "icinga2" }

// Capabilities implements source.Source. A recovered problem is over: it
// is not listed and cannot be reopened, and its recurrence is a new
// event. Close works for passive checks only (see Close).
func (c *Client) Capabilities() source.Capabilities {
	return source.Capabilities{
		Acknowledge:       true,
		Unacknowledge:     true,
		Close:             true,
		AppendLog:         true,
		IncidentRef:       true,
		NewIDOnRecurrence: true,
		TimePrecision:     time.Microsecond,
	}
}

const (
	serviceProblems = "service.state != 0 && service.state_type == 1"
	hostProblems    = "host.state != 0 && host.state_type == 1"
)

// List implements source.Source: every host and service problem (Icinga
// has no paging, so each page reads them all and returns its slice, in ID
// order). ChangedSince adds nothing: recovered problems vanish.
func (c *Client) List(ctx context.Context, opts source.ListOptions) (source.Page, error) {
	offset, err := parseCursor(opts.Cursor)
	if err != nil {
		return source.Page{}, err
	}
	size := opts.PageSize
	if size <= 0 {
		size = c.pageSize
	}
	var objs []object
	for _, q := range []struct {
		k      kind
		filter string
	}{{hostKind, hostProblems}, {serviceKind, serviceProblems}} {
		list, err := c.query(ctx, q.k, q.filter, nil)
		if err != nil {
			return source.Page{}, err
		}
		objs = append(objs, list...)
	}
	x, err := c.extras(ctx, objs, nil)
	if err != nil {
		return source.Page{}, err
	}
	var events []source.Event
	for _, o := range objs {
		if e, ok := c.event(o, x); ok && (opts.MinSeverity <= source.SeverityClear || e.Severity >= opts.MinSeverity) {
			events = append(events, e)
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].ID < events[j].ID })
	if offset > len(events) {
		offset = len(events)
	}
	page := source.Page{Events: events[offset:min(offset+size, len(events))]}
	if offset+size < len(events) {
		page.Next = "i1." + strconv.Itoa(offset+size)
	}
	return page, nil
}

func parseCursor(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "i1."))
	if !strings.HasPrefix(s, "i1.") || err != nil || n < 0 {
		return 0, fmt.Errorf("icinga2: invalid cursor %.40q", s)
	}
	return n, nil
}

// extras reads who acknowledged the acknowledged objects, and the
// downtimes of those in one: a query each, and only when needed. With
// vars (objectVars), only that object's.
func (c *Client) extras(ctx context.Context, objs []object, vars map[string]any) (extras, error) {
	x := extras{ackBy: map[string]string{}, downtimes: map[string][]downtime{}}
	acked, down := false, false
	for _, o := range objs {
		acked = acked || (o.problem() && o.Attrs.Acknowledgement > 0)
		down = down || (o.problem() && o.inDowntime())
	}
	if acked {
		f := "comment.entry_type == 4"
		if vars != nil {
			f += " && " + objectFilter("comment")
		}
		list, err := c.comments(ctx, f, vars)
		if err != nil {
			return x, err
		}
		latest := map[string]float64{}
		for _, cm := range list {
			key := checkableKey(cm.Attrs.HostName, cm.Attrs.ServiceName)
			if cm.Attrs.EntryTime >= latest[key] {
				latest[key], x.ackBy[key] = cm.Attrs.EntryTime, cm.Attrs.Author
			}
		}
	}
	if down {
		f := ""
		if vars != nil {
			// The object's own downtimes and its host's.
			f = "downtime.host_name == pdbridge_host && (downtime.service_name == pdbridge_service || downtime.service_name == \"\")"
		}
		list, err := c.downtimes(ctx, f, vars)
		if err != nil {
			return x, err
		}
		now := time.Now()
		for _, d := range list {
			if d.inEffect(now) {
				key := checkableKey(d.Attrs.HostName, d.Attrs.ServiceName)
				x.downtimes[key] = append(x.downtimes[key], d)
			}
		}
	}
	return x, nil
}

// current reads the object of an event and checks that the event is its
// current problem. A problem that is over (recovered, or followed by
// another) is source.ErrNotFound, as is an unknown object; the object is
// returned with the error when it exists.
func (c *Client) current(ctx context.Context, id string) (object, error) {
	name, since, err := parseID(id)
	if err != nil {
		return object{}, err
	}
	o, err := c.object(ctx, name)
	if err != nil {
		return object{}, err
	}
	if !o.problem() || o.since() != since {
		return o, fmt.Errorf("icinga2: event %s: %w: the problem is over (%s %s is %s %s now)", id, source.ErrNotFound,
			strings.ToLower(o.Type), name, map[float64]string{0: "SOFT", 1: "HARD"}[o.Attrs.StateType], stateName(o))
	}
	return o, nil
}

// objectVars are the filter variables that select an object's comments
// and downtimes (see objectFilter). Values go as filter_vars, never into
// the filter's text, so no name can change its meaning.
func objectVars(o object) map[string]any {
	return map[string]any{"pdbridge_host": o.host(), "pdbridge_service": o.service()}
}

// objectFilter selects the comments (or downtimes) of one object. The
// variables are not named host and service: those are the joined objects
// in a comment's filter.
func objectFilter(typ string) string {
	return typ + ".host_name == pdbridge_host && " + typ + ".service_name == pdbridge_service"
}

// Get implements source.Source: the event with its log, the comments made
// on the object since the problem began, oldest first.
func (c *Client) Get(ctx context.Context, id string) (source.Event, error) {
	o, err := c.current(ctx, id)
	if err != nil {
		return source.Event{}, err
	}
	vars := objectVars(o)
	x, err := c.extras(ctx, []object{o}, vars)
	if err != nil {
		return source.Event{}, err
	}
	e, _ := c.event(o, x)
	list, err := c.comments(ctx, objectFilter("comment"), vars)
	if err != nil {
		return source.Event{}, err
	}
	since := float64(o.since()) / 1e6
	e.Log = []source.LogEntry{}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Attrs.EntryTime < list[j].Attrs.EntryTime })
	for _, cm := range list {
		if cm.Attrs.EntryTime < since {
			continue // a comment from before this problem
		}
		e.Log = append(e.Log, source.LogEntry{Author: cm.Attrs.Author, Time: secondsTime(cm.Attrs.EntryTime), Text: cm.Attrs.Text,
			Audit: cm.Attrs.EntryType != 1})
	}
	return e, nil
}

// target is an action body's object: {"type": "Service", "service": name}.
func target(o object) map[string]any {
	return map[string]any{"type": o.Type, strings.ToLower(o.Type): o.Name}
}

// incidentText names the incident a change follows, for Icinga's records.
func incidentText(ctx context.Context) string {
	ref, ok := source.IncidentFrom(ctx)
	if !ok {
		return ""
	}
	text := "incident " + ref.IncidentID
	if ref.URL != "" {
		text += " (" + ref.URL + ")"
	}
	return text
}

// Acknowledge implements source.Source: an acknowledgement by the API
// user, sticky if configured, without notifications, its comment naming
// the incident it follows. A 409 "already acknowledged" is success.
func (c *Client) Acknowledge(ctx context.Context, id string) (bool, error) {
	o, err := c.current(ctx, id)
	if err != nil {
		return false, err
	}
	if o.Attrs.Acknowledgement > 0 {
		return false, nil
	}
	comment := "Acknowledged by pdbridge, the PagerDuty sync"
	if inc := incidentText(ctx); inc != "" {
		comment = "Acknowledged in PagerDuty: " + inc
	}
	body := target(o)
	body["author"], body["comment"], body["sticky"], body["notify"] = c.user, comment, c.sticky, false
	err = c.action(ctx, "acknowledge-problem", body)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict {
		if strings.Contains(apiErr.Msg, "already acknowledged") {
			return false, nil
		}
		// "... is OK.": it recovered since it was read.
		return false, fmt.Errorf("icinga2: event %s: %w: %s", id, source.ErrNotFound, apiErr.Msg)
	}
	return err == nil, err
}

// Reopen implements source.Source for acknowledged problems: it removes
// the acknowledgement (Icinga answers 200 even when there is none). A
// recovered problem cannot be reopened: it is over (source.ErrNotFound).
func (c *Client) Reopen(ctx context.Context, id string) (bool, error) {
	o, err := c.current(ctx, id)
	if err != nil {
		return false, err
	}
	if o.Attrs.Acknowledgement == 0 {
		return false, nil
	}
	body := target(o)
	body["author"] = c.user
	if err := c.action(ctx, "remove-acknowledgement", body); err != nil {
		return false, err
	}
	return true, nil
}

// Close implements source.Source: a passive check is set OK (UP for a
// host) with a check result naming the incident; Icinga's recovery then
// clears the acknowledgement. An actively checked object is OK only when
// its check passes: source.ErrUnsupported, for this event. A problem
// already over is closed: no change.
func (c *Client) Close(ctx context.Context, id string) (bool, error) {
	o, err := c.current(ctx, id)
	switch {
	case errors.Is(err, source.ErrNotFound) && o.Name != "":
		return false, nil
	case err != nil:
		return false, err
	}
	if o.Attrs.EnableActiveChecks {
		return false, fmt.Errorf("icinga2: %s %s is actively checked, and Icinga sets it OK only when its check passes: %w",
			strings.ToLower(o.Type), o.Name, source.ErrUnsupported)
	}
	output := "OK - closed by pdbridge, the PagerDuty sync"
	if inc := incidentText(ctx); inc != "" {
		output = "OK - closed by pdbridge: " + inc + " was resolved in PagerDuty"
	}
	body := target(o)
	body["exit_status"], body["plugin_output"], body["check_source"] = 0, output, c.user
	if err := c.action(ctx, "process-check-result", body); err != nil {
		return false, err
	}
	return true, nil
}

// AppendLog implements source.Source: a comment by the API user. A
// comment request is not retried once Icinga may have added it.
func (c *Client) AppendLog(ctx context.Context, id, text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("icinga2: empty log text")
	}
	o, err := c.current(ctx, id)
	if err != nil {
		return err
	}
	body := target(o)
	body["author"], body["comment"] = c.user, text
	return c.action(httpretry.NotIdempotent(ctx), "add-comment", body)
}

// SetIncidentRef implements source.Source: vars.pdbridge, a dictionary
// naming the event it belongs to. A zero ref writes the whole vars back
// without it, since Icinga 2.13 cannot remove one variable ({"vars.x":
// null} keeps x as null); a change made to other variables between the
// read and the write is lost.
func (c *Client) SetIncidentRef(ctx context.Context, id string, ref source.IncidentRef) error {
	o, err := c.current(ctx, id)
	if err != nil {
		return err
	}
	k := o.kind()
	var attrs map[string]any
	if ref.IsZero() {
		if _, ok := o.Attrs.Vars[varRef]; !ok {
			return nil
		}
		vars := map[string]any{}
		for name, v := range o.Attrs.Vars {
			if name != varRef {
				vars[name] = v
			}
		}
		attrs = map[string]any{"vars": vars}
	} else {
		attrs = map[string]any{"vars." + varRef: writeRef(ref, id)}
	}
	results, err := c.call(ctx, "writing the incident reference onto "+o.Name, http.MethodPost,
		"/v1/objects/"+k.plural+"/"+url.PathEscape(o.Name), nil, map[string]any{"attrs": attrs})
	if err != nil {
		return err
	}
	rs, err := decodeAll[actionResult]("modify", results)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Code >= 300 {
			return apiError("writing the incident reference onto "+o.Name, int(r.Code), c.secrets.Scrub(r.Status))
		}
	}
	return nil
}
