package zenoss

import "time"

// ZEP's defaults for aging and archiving (zep.proto, ZepConfig).
const (
	// DefaultAgeInterval is event_age_interval_minutes: open events below
	// Error with no occurrence for this long age.
	DefaultAgeInterval = 240 * time.Minute
	// DefaultArchiveInterval is event_archive_interval_minutes: closed,
	// cleared and aged events last seen this long ago move to the archive.
	DefaultArchiveInterval = 4320 * time.Minute
	// DefaultSweepInterval is aging_interval_milliseconds and
	// archive_interval_milliseconds: how often ZEP's ager and archiver run.
	DefaultSweepInterval = time.Minute
)

// ageBelow is event_age_disable_severity's default (SEVERITY_ERROR, not
// inclusive): Clear, Debug, Info and Warning events age.
const ageBelow = SeverityError

// sweep runs ZEP's ager and archiver (zenoss-zep Application
// startEventSummaryAging / startEventSummaryArchiving) for every run due up
// to now, on the server's clock. The runs are scheduled every
// SweepInterval from the server's creation; catching up when the server is
// next used, each event is aged or archived at the first run that would
// have found it eligible, and that run's time is its new stateChange, as if
// ZEP had been running all along. The caller holds s.mu.
//
// Not modelled: aging_limit and archive_limit (1,000 events a run), and
// the archive's 90-day purge.
func (s *Server) sweep(now int64) {
	if now <= s.swept {
		return
	}
	last := s.lastRun(s.swept)
	if s.lastRun(now) == last {
		s.swept = now
		return
	}
	age, archive := s.opts.AgeInterval.Milliseconds(), s.opts.ArchiveInterval.Milliseconds()
	for _, e := range s.order {
		if e.archived() {
			continue
		}
		// EventSummaryDaoImpl.ageEvents: open, severity below Error, and
		// last_seen < run - interval. Only the status and stateChange
		// change: no audit line, the owner and the fingerprint hash stay.
		agedAt := int64(0)
		if age > 0 && e.status.open() && e.severity < ageBelow {
			if t := s.firstRunAfter(max(e.lastTime+age, last)); t <= now {
				e.status, e.changed, agedAt = StatusAged, t, t
			}
		}
		// EventSummaryDaoImpl.archive: closed_status and last_seen < run -
		// interval; the row moves to event_archive.
		if archive > 0 && e.status.closed() {
			t := max(s.firstRunAfter(max(e.lastTime+archive, last)), agedAt)
			if t <= now {
				e.archivedAt = t
			}
		}
	}
	s.swept = now
}

// lastRun is the time of the last sweep run at or before t (the server's
// creation if none has run yet).
func (s *Server) lastRun(t int64) int64 {
	period := s.opts.SweepInterval.Milliseconds()
	if t < s.origin {
		return s.origin
	}
	return s.origin + (t-s.origin)/period*period
}

// firstRunAfter is the time of the first sweep run strictly after t.
func (s *Server) firstRunAfter(t int64) int64 {
	return s.lastRun(t) + s.opts.SweepInterval.Milliseconds()
}
