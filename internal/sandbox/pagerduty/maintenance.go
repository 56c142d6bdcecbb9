package pagerduty

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

type window struct {
	id          string
	seq         int
	start, end  time.Time
	description string
	serviceIDs  []string
	createdBy   string // user ID
}

func (w *window) ongoing(now time.Time) bool { return !now.Before(w.start) && now.Before(w.end) }
func (w *window) future(now time.Time) bool  { return now.Before(w.start) }
func (w *window) past(now time.Time) bool    { return !now.Before(w.end) }

func (st *state) renderWindow(w *window, base string) map[string]any {
	services := []any{}
	for _, id := range w.serviceIDs {
		r := ref{ID: id, Type: "service_reference", Path: "/services/" + id, HTMLPath: "/service-directory/" + id}
		if s := st.services[id]; s != nil {
			r = s.ref()
		}
		services = append(services, r.render(base))
	}
	m := map[string]any{
		"id": w.id, "type": "maintenance_window", "summary": w.description, "self": base + "/maintenance_windows/" + w.id,
		"html_url": base + "/maintenance_windows#/show/" + w.id, "sequence_number": w.seq,
		"start_time": fmtTime(w.start), "end_time": fmtTime(w.end), "description": w.description,
		"services": services, "teams": []any{},
	}
	if u := st.users[w.createdBy]; u != nil {
		m["created_by"] = u.ref().render(base)
	}
	return m
}

type windowInput struct {
	Type        *string `json:"type"`
	StartTime   *string `json:"start_time"`
	EndTime     *string `json:"end_time"`
	Description *string `json:"description"`
	Services    []idRef `json:"services"`
}

// applyWindow validates in and applies it to w, which is not yet linked to
// its services (see linkWindow). PagerDuty
// moves a start in the past to now; the end must be after the start and in
// the future.
func (st *state) applyWindow(w *window, in windowInput, creating bool, now time.Time) *apiError {
	var errs []string
	if in.Type != nil && *in.Type != "maintenance_window" {
		errs = append(errs, "Type must be maintenance_window")
	}
	parse := func(name string, v *string, dst *time.Time) {
		if v == nil {
			if creating {
				errs = append(errs, name+" can't be blank")
			}
			return
		}
		t, ok := parseTime(*v)
		if !ok {
			errs = append(errs, name+" is not a valid date-time")
			return
		}
		*dst = t
	}
	start, end := w.start, w.end
	parse("Start time", in.StartTime, &start)
	parse("End time", in.EndTime, &end)
	if in.StartTime != nil && start.Before(now) {
		start = now
	}
	if len(errs) == 0 {
		if !end.After(start) {
			errs = append(errs, "End time must be after the start time")
		}
		if !end.After(now) {
			errs = append(errs, "End time must be in the future")
		}
	}
	if in.Services != nil || creating {
		if len(in.Services) == 0 {
			errs = append(errs, "Services can't be blank")
		}
		for _, r := range in.Services {
			if st.services[r.ID] == nil {
				errs = append(errs, "Service "+r.ID+" not found")
			}
		}
	}
	if len(errs) > 0 {
		return errInvalid(errs...)
	}
	w.start, w.end = start, end
	if in.Description != nil {
		w.description = *in.Description
	}
	if in.Services != nil {
		w.serviceIDs = nil
		for _, r := range in.Services {
			if !contains(w.serviceIDs, r.ID) {
				w.serviceIDs = append(w.serviceIDs, r.ID)
			}
		}
	}
	return nil
}

// linkWindow adds w to its services' window lists, which status derivation
// and event suppression read.
func (st *state) linkWindow(w *window) {
	for _, id := range w.serviceIDs {
		if s := st.services[id]; s != nil && !contains(s.windowIDs, w.id) {
			s.windowIDs = append(s.windowIDs, w.id)
		}
	}
}

// unlinkWindow removes w from its services' window lists.
func (st *state) unlinkWindow(w *window) {
	for _, id := range w.serviceIDs {
		s := st.services[id]
		if s == nil {
			continue
		}
		ids := s.windowIDs[:0]
		for _, wid := range s.windowIDs {
			if wid != w.id {
				ids = append(ids, wid)
			}
		}
		s.windowIDs = ids
	}
}

func listWindows(c *reqCtx) (int, any, *apiError) {
	pg, e := parsePage(c)
	if e != nil {
		return 0, nil, e
	}
	q := c.r.URL.Query()
	filter := q.Get("filter")
	var keep func(*window) bool
	switch filter {
	case "", "all":
		keep = func(*window) bool { return true }
	case "past":
		keep = func(w *window) bool { return w.past(c.now) }
	case "future":
		keep = func(w *window) bool { return w.future(c.now) }
	case "ongoing":
		keep = func(w *window) bool { return w.ongoing(c.now) }
	case "open":
		keep = func(w *window) bool { return !w.past(c.now) }
	default:
		return 0, nil, errInvalid("Filter must be one of past, future, ongoing, open, all")
	}
	serviceIDs := queryList(c, "service_ids")
	query := strings.ToLower(q.Get("query"))
	teamFilter := len(queryList(c, "team_ids")) > 0 // the sandbox has no teams
	var list []*window
	for _, id := range c.st.windowOrder {
		w := c.st.windows[id]
		if w == nil || teamFilter || !keep(w) || (query != "" && !strings.Contains(strings.ToLower(w.description), query)) {
			continue
		}
		if len(serviceIDs) > 0 {
			match := false
			for _, sid := range w.serviceIDs {
				match = match || contains(serviceIDs, sid)
			}
			if !match {
				continue
			}
		}
		list = append(list, w)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].start.Before(list[j].start) })
	items := []any{}
	lo, hi := pg.bounds(len(list))
	for _, w := range list[lo:hi] {
		items = append(items, c.st.renderWindow(w, c.base))
	}
	return http.StatusOK, pg.list("maintenance_windows", items, len(list)), nil
}

func createWindow(c *reqCtx) (int, any, *apiError) {
	actor, e := c.fromUser()
	if e != nil {
		return 0, nil, e
	}
	var in windowInput
	if e := decodeWrapped(c, "maintenance_window", &in); e != nil {
		return 0, nil, e
	}
	w := &window{createdBy: actor.id}
	if e := c.st.applyWindow(w, in, true, c.now); e != nil {
		return 0, nil, e
	}
	w.id = c.st.newID("PMNW")
	w.seq = c.st.seq["PMNW"]
	c.st.linkWindow(w)
	c.st.windows[w.id] = w
	c.st.windowOrder = append(c.st.windowOrder, w.id)
	return http.StatusCreated, map[string]any{"maintenance_window": c.st.renderWindow(w, c.base)}, nil
}

func (c *reqCtx) window() (*window, *apiError) {
	w := c.st.windows[c.r.PathValue("id")]
	if w == nil {
		return nil, errNotFound()
	}
	return w, nil
}

func getWindow(c *reqCtx) (int, any, *apiError) {
	w, e := c.window()
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, map[string]any{"maintenance_window": c.st.renderWindow(w, c.base)}, nil
}

// updateWindow takes the spec's wrapped body and go-pagerduty's bare one.
// Ended windows cannot be changed.
func updateWindow(c *reqCtx) (int, any, *apiError) {
	w, e := c.window()
	if e != nil {
		return 0, nil, e
	}
	if w.past(c.now) {
		return 0, nil, errInvalid("Cannot update a maintenance window that has ended")
	}
	var in windowInput
	if e := decodeWrapped(c, "maintenance_window", &in); e != nil {
		return 0, nil, e
	}
	if w.ongoing(c.now) && in.StartTime != nil {
		// The start of an ongoing window is in the past and stays there.
		in.StartTime = nil
	}
	updated := *w
	updated.serviceIDs = append([]string(nil), w.serviceIDs...)
	if e := c.st.applyWindow(&updated, in, false, c.now); e != nil {
		return 0, nil, e
	}
	c.st.unlinkWindow(w)
	*w = updated
	c.st.linkWindow(w)
	return http.StatusOK, map[string]any{"maintenance_window": c.st.renderWindow(w, c.base)}, nil
}

// deleteWindow deletes a future window, ends an ongoing one now, and
// refuses (405, code 5003) a window that has already ended.
func deleteWindow(c *reqCtx) (int, any, *apiError) {
	w, e := c.window()
	if e != nil {
		return 0, nil, e
	}
	switch {
	case w.past(c.now):
		return 0, nil, &apiError{Status: http.StatusMethodNotAllowed, Code: codeWindowInPast,
			Message: "Cannot cancel a maintenance window from the past"}
	case w.ongoing(c.now):
		w.end = c.now
	default:
		c.st.unlinkWindow(w)
		delete(c.st.windows, w.id)
	}
	return http.StatusNoContent, nil, nil
}
