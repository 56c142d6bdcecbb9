package pagerduty

import (
	"errors"
	"strings"
	"time"
)

// Timestamps are rendered in the response's time zone with its offset
// ("2026-03-01T07:00:00-05:00"), "Z" for UTC (spec: time_zone, "Time zone
// in which results will be rendered"), so clients must parse offsets.
// Renderers return a stamp; restHandler turns every stamp of the response
// into text in the right zone just before writing it.

// stamp is a timestamp in a response body, not yet rendered.
type stamp time.Time

// fmtTime marks t for rendering in the response's zone, at second
// precision as PagerDuty renders.
func fmtTime(t time.Time) stamp { return stamp(t.Truncate(time.Second)) }

func (s stamp) in(loc *time.Location) string { return time.Time(s).In(loc).Format(time.RFC3339) }

// MarshalJSON renders in UTC: a stamp that reaches JSON without localize
// (admin endpoints) still comes out as PagerDuty's UTC form.
func (s stamp) MarshalJSON() ([]byte, error) { return []byte(`"` + s.in(time.UTC) + `"`), nil }

// localize replaces every stamp in a response body with its text in loc.
func localize(v any, loc *time.Location) any {
	switch x := v.(type) {
	case stamp:
		return x.in(loc)
	case map[string]any:
		for k, e := range x {
			x[k] = localize(e, loc)
		}
	case []any:
		for i, e := range x {
			x[i] = localize(e, loc)
		}
	}
	return v
}

// loadZone reads a time_zone value: an IANA name (PagerDuty documents
// tzinfo names such as "America/New_York"; "UTC" and "Etc/UTC" work too).
func loadZone(name string) (*time.Location, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, errors.New("invalid time zone")
	}
	return time.LoadLocation(name)
}

func (s *Server) accountZone() *time.Location {
	if s.opts.TimeZone != nil {
		return s.opts.TimeZone
	}
	return time.UTC
}
