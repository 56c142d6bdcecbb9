package zenoss

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Kind implements source.Source.
func (c *Client) Kind() string { return "zenoss" }

// Capabilities implements source.Source. Zenoss can do everything the
// interface asks, except keep the incident reference before 5.0 (no
// updateDetails). Reopen may still be refused per event: while another
// event holds the dedupid (an open or an aged one), and once the event is
// archived. A recurrence gets a new evid after a close or a clear, but
// revives an aged event under its own.
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
	// holderStates hold a dedupid: ZEP's aging keeps the event's fingerprint
	// hash (EventSummaryDaoImpl.ageEvents), so an aged event blocks a reopen
	// of its closed siblings as an open one does.
	holderStates = []int{0, 1, 2, 6}
)

// queryKeys are the fields List asks for; the rest of an event (notably
// the log) comes with Get.
var queryKeys = []string{"evid", "dedupid", "device", "component", "eventClass", "DeviceClass", "severity",
	"summary", "message", "eventState", "stateChange", "firstTime", "lastTime", "count", "ownerid", "details"}

// List implements source.Source. A listing has up to three phases, each
// paged by offset: the open events, then (with ChangedSince) the closed
// events whose stateChange is at or after it, first the live ones and then
// the archived ones. Zenoss moves closed events to its archive within a
// minute once their last occurrence is event_archive_interval_minutes (3
// days by default) old, which may be right after they close; the archive
// phase keeps such closes in the listing. Pages are sorted by firstTime,
// so events that arrive during a listing land on later pages rather than
// shift them; a page that ends a phase is filled from the next one.
func (c *Client) List(ctx context.Context, opts source.ListOptions) (source.Page, error) {
	cur, err := parseCursor(opts.Cursor)
	if err != nil {
		return source.Page{}, err
	}
	if cur.phase != phaseOpen && opts.ChangedSince.IsZero() {
		return source.Page{}, errors.New("zenoss: cursor continues a listing with ChangedSince, but none is set")
	}
	size := opts.PageSize
	if size <= 0 {
		size = c.pageSize
	}
	size = min(size, maxPageSize)
	var page source.Page
	// At most one query per phase.
	for {
		res, err := c.listQuery(ctx, opts, cur, size-len(page.Events))
		if err != nil {
			return source.Page{}, err
		}
		if cur.asof.IsZero() {
			cur.asof = res.asof
		}
		page.AsOf = cur.asof
		for _, e := range res.events {
			// The server bound is widened for DST (and Zenoss ignores a
			// range it cannot parse): keep exactly what was asked for.
			if cur.phase != phaseOpen && (e.Status != source.StatusClosed || c.before(e.StatusChanged, opts.ChangedSince)) {
				continue
			}
			e.URL = c.eventURL(e.ID)
			page.Events = append(page.Events, e)
		}
		next := cur.offset + len(res.events)
		if len(res.events) > 0 && next < res.total {
			if next > maxListing {
				return source.Page{}, fmt.Errorf("zenoss: listing stopped after %d events", maxListing)
			}
			page.Next = cursor{phase: cur.phase, offset: next, asof: cur.asof}.String()
			return page, nil
		}
		if cur.phase == phaseArchive || opts.ChangedSince.IsZero() {
			return page, nil
		}
		cur = cursor{phase: cur.phase + 1, asof: cur.asof}
		if len(page.Events) >= size {
			page.Next = cur.String()
			return page, nil
		}
	}
}

// listQuery reads one page of a listing phase.
func (c *Client) listQuery(ctx context.Context, opts source.ListOptions, cur cursor, limit int) (queryResult, error) {
	params := map[string]any{"eventState": openStates}
	if cur.phase != phaseOpen {
		since := opts.ChangedSince.Add(-c.dstSlack(opts.ChangedSince))
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
		"start": cur.offset, "limit": limit, "archive": cur.phase == phaseArchive,
	})
	if err != nil {
		return queryResult{}, err
	}
	res, err := c.dec.query(result)
	if err != nil {
		return queryResult{}, fmt.Errorf("zenoss: EventsRouter.query: %w", err)
	}
	return res, nil
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
	e.URL = c.eventURL(e.ID)
	return e, nil
}

// eventURL is the event's page in the console, as Zenoss links it in its
// own notifications (Products/ZenModel/actions.py getEventUrl).
func (c *Client) eventURL(id string) string {
	return strings.TrimSuffix(c.endpoint, "/evconsole_router") + "/Events/viewDetail?evid=" + url.QueryEscape(id)
}

// Acknowledge implements source.Source.
func (c *Client) Acknowledge(ctx context.Context, id string) (bool, error) {
	return c.transition(ctx, "acknowledge", id, source.StatusAcknowledged)
}

// Close implements source.Source.
func (c *Client) Close(ctx context.Context, id string) (bool, error) {
	return c.transition(ctx, "close", id, source.StatusClosed)
}

// Reopen implements source.Source. Zenoss keeps one event per dedupid
// open (or aged) and silently ignores a reopen that would make a second
// one; that comes back as a *source.RefusedError naming the event that
// holds the dedupid.
func (c *Client) Reopen(ctx context.Context, id string) (bool, error) {
	return c.transition(ctx, "reopen", id, source.StatusNew)
}

// transition runs acknowledge, close or reopen on one event. Zenoss only
// says how many events it updated and how many it selected; when it
// updated none, the event's status tells "already there" from "refused",
// and a closed event it did not even select is archived.
func (c *Client) transition(ctx context.Context, op, id string, target source.Status) (bool, error) {
	if id == "" {
		return false, errors.New("zenoss: empty event id")
	}
	result, err := c.call(ctx, op, selection{Evids: []string{id}})
	if err != nil {
		return false, err
	}
	n, total, err := updated(result)
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
	switch {
	case total == 0 && e.Status == source.StatusClosed:
		// detail reads the archive, state changes only the live events.
		return false, &source.RefusedError{ID: id, Op: op, Status: e.Status,
			Reason: "the event is archived (Zenoss archives closed events days after their last occurrence) and its status can no longer change"}
	case total == 0:
		// Open but not selected: ZEP's index has not caught up with it yet.
		return false, fmt.Errorf("zenoss: EventsRouter.%s: event %s is %s but Zenoss did not find it to change; try again later", op, id, e.NativeStatus)
	}
	refused := &source.RefusedError{ID: id, Op: op, Status: e.Status, Reason: "Zenoss left the event " + e.NativeStatus}
	if op == "reopen" && e.Status == source.StatusClosed {
		refused.Reason = "another event holds the same dedupid (open or aged), and Zenoss keeps one such event per dedupid"
		// Best effort: the refusal stands even if the lookup fails.
		if twin, err := c.dedupHolder(ctx, e); err == nil && twin.ID != "" {
			refused.ConflictID = twin.ID
			refused.Reason = fmt.Sprintf("%s event %s has the same dedupid, and Zenoss keeps one open or aged event per dedupid", twin.NativeStatus, twin.ID)
		}
	}
	return false, refused
}

// dedupHolder finds the live event holding e's dedupid: an open or an
// aged one.
func (c *Client) dedupHolder(ctx context.Context, e source.Event) (source.Event, error) {
	// A one-element list is matched as is; a string would be parsed for
	// "||" (common in dedupids with an empty field) and wildcarded.
	result, err := c.call(ctx, "query", map[string]any{
		"params": map[string]any{"dedupid": []string{e.DedupID}, "eventState": holderStates},
		"keys":   []string{"evid", "dedupid", "eventState"}, "limit": 10,
	})
	if err != nil {
		return source.Event{}, err
	}
	res, err := c.dec.query(result)
	if err != nil {
		return source.Event{}, err
	}
	for _, o := range res.events {
		if o.ID != e.ID && o.DedupID == e.DedupID {
			return o, nil
		}
	}
	return source.Event{}, nil
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
	args := refDetails(ref)
	args["evid"] = id
	_, err := c.call(ctx, "updateDetails", args)
	return err
}

// A cursor carries a listing's phase, offset and start time between pages.
type cursor struct {
	phase  int
	offset int
	asof   time.Time
}

const (
	phaseOpen    = 0
	phaseClosed  = 1 // closed, live
	phaseArchive = 2 // closed, archived
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
	if n[0] > phaseArchive || n[1] > maxListing {
		return cursor{}, bad
	}
	c := cursor{phase: int(n[0]), offset: int(n[1])}
	if n[2] > 0 {
		c.asof = time.UnixMilli(n[2]).UTC()
	}
	return c, nil
}
