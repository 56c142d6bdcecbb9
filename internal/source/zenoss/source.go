package zenoss

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Kind implements source.Source.
func (c *Client) Kind() string { return "zenoss" }

// Capabilities implements source.Source. Zenoss can do everything the
// interface asks, except keep the incident reference before 5.0 (no
// updateDetails). Reopen may still be refused per event.
func (c *Client) Capabilities() source.Capabilities {
	precision := time.Millisecond
	if c.version == 4 {
		precision = time.Second // "YYYY-MM-DD HH:MM:SS"
	}
	return source.Capabilities{
		Acknowledge:       true,
		Unacknowledge:     true,
		Close:             true,
		Reopen:            true,
		AppendLog:         true,
		IncidentRef:       c.version >= 5,
		ListClosed:        true,
		NewIDOnRecurrence: true,
		TimePrecision:     precision,
	}
}

// Zenoss eventState values.
var (
	openStates   = []int{0, 1, 2} // New, Acknowledged, Suppressed
	closedStates = []int{3, 4, 6} // Closed, Cleared, Aged
)

// queryKeys are the fields List asks for; the rest of an event (notably
// the log) comes with Get.
var queryKeys = []string{"evid", "dedupid", "device", "component", "eventClass", "DeviceClass", "severity",
	"summary", "message", "eventState", "stateChange", "firstTime", "lastTime", "count", "ownerid", "details"}

// List implements source.Source. A listing has two phases, each paged by
// offset: the open events, then (with ChangedSince) the closed events whose
// stateChange is at or after it. Pages are sorted by firstTime, so events
// that arrive during a listing land on later pages rather than shift them.
// Zenoss moves closed events to its archive after
// event_archive_interval_minutes (3 days by default): a ChangedSince
// further back does not list them, though Get still reads them.
func (c *Client) List(ctx context.Context, opts source.ListOptions) (source.Page, error) {
	cur, err := parseCursor(opts.Cursor)
	if err != nil {
		return source.Page{}, err
	}
	if cur.phase == phaseClosed && opts.ChangedSince.IsZero() {
		return source.Page{}, errors.New("zenoss: cursor continues a listing with ChangedSince, but none is set")
	}
	size := opts.PageSize
	if size <= 0 {
		size = c.pageSize
	}
	size = min(size, maxPageSize)
	// At most two queries: an empty open phase moves straight to the closed one.
	for range 2 {
		params := map[string]any{"eventState": openStates}
		var since time.Time
		if cur.phase == phaseClosed {
			since = opts.ChangedSince.Add(-c.dstSlack(opts.ChangedSince))
			params = map[string]any{"eventState": closedStates, "stateChange": c.timeParam(since)}
		}
		if sev := zenossSeverity(opts.MinSeverity); sev > 0 {
			var sevs []int
			for s := sev; s <= 5; s++ {
				sevs = append(sevs, s)
			}
			params["severity"] = sevs
		}
		result, err := c.call(ctx, "query", map[string]any{
			"params": params, "keys": queryKeys, "sort": "firstTime", "dir": "ASC",
			"start": cur.offset, "limit": size,
		})
		if err != nil {
			return source.Page{}, err
		}
		res, err := c.dec.query(result)
		if err != nil {
			return source.Page{}, fmt.Errorf("zenoss: EventsRouter.query: %w", err)
		}
		if cur.asof.IsZero() {
			cur.asof = res.asof
		}
		page := source.Page{AsOf: cur.asof}
		for _, e := range res.events {
			// The server bound is widened for DST (and Zenoss ignores a
			// range it cannot parse): keep exactly what was asked for.
			if cur.phase == phaseClosed && (e.Status != source.StatusClosed || c.before(e.StatusChanged, opts.ChangedSince)) {
				continue
			}
			page.Events = append(page.Events, e)
		}
		next := cur.offset + len(res.events)
		switch {
		case len(res.events) > 0 && next < res.total:
			if next > maxListing {
				return source.Page{}, fmt.Errorf("zenoss: listing stopped after %d events", maxListing)
			}
			page.Next = cursor{phase: cur.phase, offset: next, asof: cur.asof}.String()
		case cur.phase == phaseOpen && !opts.ChangedSince.IsZero():
			closed := cursor{phase: phaseClosed, asof: cur.asof}
			if len(page.Events) == 0 {
				cur = closed
				continue
			}
			page.Next = closed.String()
		}
		return page, nil
	}
	return source.Page{AsOf: cur.asof}, nil
}

// maxListing bounds a listing, whatever totalCount the server claims.
const maxListing = 1_000_000

// zenossSeverity maps the common scale onto Zenoss's 0-5 (0 for "all").
func zenossSeverity(s source.Severity) int {
	if s <= source.SeverityClear || s > source.SeverityCritical {
		return 0
	}
	return int(s - source.SeverityClear)
}

// timeParam writes a query time range open at the end: epoch milliseconds
// since 6.0, a server-local "YYYY-MM-DDTHH:MM:SS" before (whole seconds,
// rounded down so the bound stays inclusive).
func (c *Client) timeParam(t time.Time) string {
	if c.version >= 6 {
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return t.In(c.dec.loc).Format("2006-01-02T15:04:05")
}

// dstSlack is how far to move a local-time bound back so that the hour a
// DST change repeats, which the server may read either way, cannot hide
// events: the zone's DST shift, or nothing for 6.x and zones without DST.
func (c *Client) dstSlack(t time.Time) time.Duration {
	if c.version >= 6 {
		return 0
	}
	y := t.In(c.dec.loc).Year()
	_, jan := time.Date(y, time.January, 1, 0, 0, 0, 0, c.dec.loc).Zone()
	_, jul := time.Date(y, time.July, 1, 0, 0, 0, 0, c.dec.loc).Zone()
	d := time.Duration(jan-jul) * time.Second
	return max(d, -d)
}

// before reports whether a status change at t is surely before since, to
// the version's precision. A 4.x local time in the hour a DST change
// repeats may be the later of its two instants, so it gets the benefit of
// the doubt.
func (c *Client) before(t, since time.Time) bool {
	if c.version == 4 {
		local := t.In(c.dec.loc).Format(time.DateTime)
		if later := t.Add(c.dstSlack(t)); later.In(c.dec.loc).Format(time.DateTime) == local {
			t = later
		}
	}
	return t.Before(since.Truncate(c.Capabilities().TimePrecision))
}

// Get implements source.Source.
func (c *Client) Get(ctx context.Context, id string) (source.Event, error) {
	if id == "" {
		return source.Event{}, errors.New("zenoss: empty event id")
	}
	result, err := c.call(ctx, "detail", map[string]any{"evid": id})
	if err != nil {
		return source.Event{}, err
	}
	e, err := c.dec.detail(result)
	if err != nil {
		return source.Event{}, fmt.Errorf("zenoss: EventsRouter.detail: %w", err)
	}
	return e, nil
}

// Acknowledge implements source.Source.
func (c *Client) Acknowledge(ctx context.Context, id string) (bool, error) {
	return c.transition(ctx, "acknowledge", id, source.StatusAcknowledged)
}

// Close implements source.Source.
func (c *Client) Close(ctx context.Context, id string) (bool, error) {
	return c.transition(ctx, "close", id, source.StatusClosed)
}

// Reopen implements source.Source. Zenoss keeps one open event per dedupid
// and silently ignores a reopen that would make a second one; that comes
// back as a *source.RefusedError naming the open event.
func (c *Client) Reopen(ctx context.Context, id string) (bool, error) {
	return c.transition(ctx, "reopen", id, source.StatusNew)
}

// transition runs acknowledge, close or reopen on one event. Zenoss only
// says how many events it updated; when that is none, the event's status
// tells "already there" from "refused".
func (c *Client) transition(ctx context.Context, op, id string, target source.Status) (bool, error) {
	if id == "" {
		return false, errors.New("zenoss: empty event id")
	}
	result, err := c.call(ctx, op, map[string]any{"evids": []string{id}})
	if err != nil {
		return false, err
	}
	n, err := updated(result)
	if err != nil {
		return false, fmt.Errorf("zenoss: EventsRouter.%s: %w", op, err)
	}
	if n > 0 {
		return true, nil
	}
	e, err := c.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if e.Status == target {
		return false, nil
	}
	refused := &source.RefusedError{ID: id, Op: op, Status: e.Status, Reason: "Zenoss left the event " + e.NativeStatus}
	if op == "reopen" && e.Status == source.StatusClosed {
		refused.Reason = "another open event has the same dedupid, and Zenoss keeps one open event per dedupid"
		// Best effort: the refusal stands even if the lookup fails.
		if twin, err := c.openTwin(ctx, e); err == nil && twin != "" {
			refused.ConflictID = twin
			refused.Reason = fmt.Sprintf("open event %s has the same dedupid, and Zenoss keeps one open event per dedupid", twin)
		}
	}
	return false, refused
}

// openTwin finds the open event sharing e's dedupid.
func (c *Client) openTwin(ctx context.Context, e source.Event) (string, error) {
	// A one-element list is matched as is; a string would be parsed for
	// "||" (common in dedupids with an empty field) and wildcarded.
	result, err := c.call(ctx, "query", map[string]any{
		"params": map[string]any{"dedupid": []string{e.DedupID}, "eventState": openStates},
		"keys":   []string{"evid", "dedupid"}, "limit": 10,
	})
	if err != nil {
		return "", err
	}
	res, err := c.dec.query(result)
	if err != nil {
		return "", err
	}
	for _, o := range res.events {
		if o.ID != e.ID && o.DedupID == e.DedupID {
			return o.ID, nil
		}
	}
	return "", nil
}

// AppendLog implements source.Source. The text is sent as escaped HTML
// (newlines as <br>), which every version stores so that Get reads the
// same text back.
func (c *Client) AppendLog(ctx context.Context, id, text string) error {
	if id == "" {
		return errors.New("zenoss: empty event id")
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("zenoss: empty log text")
	}
	_, err := c.call(ctx, "write_log", map[string]any{"evid": id, "message": textToHTML(text)})
	return err
}

// SetIncidentRef implements source.Source: the reference is written as
// event details (see DetailIncidentID and friends) with updateDetails,
// which Zenoss has since 5.0. Empty values clear it.
func (c *Client) SetIncidentRef(ctx context.Context, id string, ref source.IncidentRef) error {
	if c.version < 5 {
		return fmt.Errorf("zenoss: storing the incident reference needs Zenoss 5.0 or later: %w", source.ErrUnsupported)
	}
	if id == "" {
		return errors.New("zenoss: empty event id")
	}
	created := ""
	if !ref.Created.IsZero() {
		created = ref.Created.UTC().Format(time.RFC3339Nano)
	}
	_, err := c.call(ctx, "updateDetails", map[string]any{
		"evid":                id,
		DetailIncidentID:      ref.IncidentID,
		DetailIncidentURL:     ref.URL,
		DetailIncidentCreated: created,
		DetailConnectorID:     ref.ConnectorID,
	})
	return err
}

// A cursor carries a listing's phase, offset and start time between pages.
type cursor struct {
	phase  int
	offset int
	asof   time.Time
}

const (
	phaseOpen   = 0
	phaseClosed = 1
)

func (c cursor) String() string {
	return fmt.Sprintf("z1.%d.%d.%d", c.phase, c.offset, c.asof.UnixMilli())
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := fmt.Errorf("zenoss: invalid cursor %.40q", s)
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] != "z1" {
		return cursor{}, bad
	}
	var n [3]int64
	for i, p := range parts[1:] {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 {
			return cursor{}, bad
		}
		n[i] = v
	}
	if n[0] > phaseClosed || n[1] > maxListing {
		return cursor{}, bad
	}
	c := cursor{phase: int(n[0]), offset: int(n[1])}
	if n[2] > 0 {
		c.asof = time.UnixMilli(n[2]).UTC()
	}
	return c, nil
}
