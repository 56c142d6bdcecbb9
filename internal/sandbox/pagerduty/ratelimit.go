package pagerduty

import (
	"net/http"
	"strconv"
	"time"
)

// PagerDuty's documented limits: the REST API allows 960 requests per
// minute per API key (docs, REST API Rate Limits); the Events API about 120
// events per minute per integration (routing) key (docs, Events API v2
// Rate Limits; PagerDuty community: "Events - 120/min/integration key").
const (
	announcedRateLimit = 960
	eventsRateLimit    = 120
)

type rateWindow struct {
	start time.Time
	count int
}

// tick counts one request in the one-minute window that contains now and
// returns the count so far.
func tick(windows map[string]*rateWindow, key string, now time.Time) *rateWindow {
	win := windows[key]
	if win == nil || now.Sub(win.start) >= time.Minute || now.Before(win.start) {
		win = &rateWindow{start: now}
		windows[key] = win
	}
	win.count++
	return win
}

// countRequest sets the ratelimit-* headers and reports whether the
// request is over the enforced limit. Called with s.mu held.
func (s *Server) countRequest(w http.ResponseWriter, token string, now time.Time) bool {
	win := tick(s.limits, token, now)
	limit := announcedRateLimit
	if s.opts.RateLimitPerMinute > 0 {
		limit = s.opts.RateLimitPerMinute
	}
	remaining := max(limit-win.count, 0)
	reset := int((time.Minute - now.Sub(win.start) + time.Second - 1) / time.Second)
	w.Header().Set("Ratelimit-Limit", strconv.Itoa(limit))
	w.Header().Set("Ratelimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("Ratelimit-Reset", strconv.Itoa(max(reset, 1)))
	return s.opts.RateLimitPerMinute > 0 && win.count > limit
}

// eventsLimited counts an alert event against its routing key's window and
// reports whether it is over Options.EventsRateLimitPerMinute. Called with
// s.mu held.
func (s *Server) eventsLimited(routingKey string, now time.Time) bool {
	if s.opts.EventsRateLimitPerMinute <= 0 {
		return false
	}
	return tick(s.st.eventWindows, routingKey, now).count > s.opts.EventsRateLimitPerMinute
}

// writeEventsThrottled writes the Events API's 429. The Events API sends
// no ratelimit-* headers; clients back off on their own.
func writeEventsThrottled(w http.ResponseWriter) {
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"status": "throttle event",
		"message": "Requests for this service are arriving too quickly.  Please retry later."})
}
