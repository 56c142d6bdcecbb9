package pagerduty

import (
	"container/heap"
	"context"
	"time"
)

// What happens on the sandbox's clock rather than in a request: alert
// events applied a while after their 202 (the Events API is asynchronous:
// "events are processed asynchronously", Events API v2 docs, Overview),
// and the services' acknowledgement and auto-resolve timeouts (spec:
// Service.acknowledgement_timeout, "Time in seconds that an incident
// changes to the Triggered State after being Acknowledged";
// auto_resolve_timeout, "Time in seconds that an incident is automatically
// resolved if left open for that long").
//
// Nothing runs in the background: every request first brings the state up
// to the clock (advance), applying what fell due in time order, at the
// time it fell due. Clients only see the state through requests, so this is
// indistinguishable from a background worker, and a fake clock drives it
// deterministically.

// queuedEvent is an accepted alert event waiting to be applied.
type queuedEvent struct {
	at  time.Time // when its effects happen
	rec EventRecord
	// payload is the validated trigger payload (nil for acknowledge/resolve).
	payload map[string]any
}

type timerKind int

const (
	timerUnacknowledge timerKind = iota // acknowledgement_timeout
	timerAutoResolve                    // auto_resolve_timeout
)

// timer fires at at unless the incident moved on: the incident's deadline
// for that kind (unackAt, autoResolveAt) must still be at.
type timer struct {
	at         time.Time
	seq        int // ties keep scheduling order
	kind       timerKind
	incidentID string
}

type timerQueue []timer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timerQueue) Push(x any) {
	if t, ok := x.(timer); ok {
		*q = append(*q, t)
	}
}
func (q *timerQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	*q = old[:len(old)-1]
	return t
}

// schedule sets the incident's deadline of that kind and queues its timer.
func (st *state) schedule(kind timerKind, inc *incident, at time.Time) {
	if kind == timerUnacknowledge {
		inc.unackAt = at
	} else {
		inc.autoResolveAt = at
	}
	st.seq["timer"]++
	heap.Push(&st.timers, timer{at: at, seq: st.seq["timer"], kind: kind, incidentID: inc.id})
}

// advance applies every queued event and timer due at or before now, in
// time order (a timer before an event due at the same instant).
func (st *state) advance(now time.Time) {
	for {
		var tAt, eAt time.Time
		if len(st.timers) > 0 {
			tAt = st.timers[0].at
		}
		if len(st.queued) > 0 {
			eAt = st.queued[0].at
		}
		switch {
		case len(st.timers) > 0 && !tAt.After(now) && (len(st.queued) == 0 || !eAt.Before(tAt)):
			if t, ok := heap.Pop(&st.timers).(timer); ok {
				st.fire(t)
			}
		case len(st.queued) > 0 && !eAt.After(now):
			q := st.queued[0]
			st.queued[0] = nil
			st.queued = st.queued[1:]
			st.applyQueued(q)
		default:
			return
		}
	}
}

func (st *state) fire(t timer) {
	inc := st.incidentsByID[t.incidentID]
	if inc == nil {
		return
	}
	svc := st.services[inc.serviceID]
	agent := ref{ID: inc.serviceID, Type: "service_reference", Path: "/services/" + inc.serviceID, HTMLPath: "/service-directory/" + inc.serviceID}
	if svc != nil {
		agent = svc.ref()
	}
	// PagerDuty names the timeout as the channel ("Unacknowledged due to
	// timeout", the ZenPack's rendering of channel.type).
	channel := map[string]any{"type": "timeout", "summary": "Timeout"}
	switch t.kind {
	case timerUnacknowledge:
		if inc.status == "acknowledged" && inc.unackAt.Equal(t.at) {
			st.unacknowledge(inc, agent, channel, t.at)
		}
	case timerAutoResolve:
		if inc.open() && inc.autoResolveAt.Equal(t.at) {
			st.resolve(inc, agent, channel, "", t.at)
		}
	}
}

// Settle waits, on the real clock and at most until ctx ends, until every
// accepted alert event has been applied, so that a test can read the
// outcome of what it sent without guessing a delay. With a fake clock the
// test must move the clock past Options.EventDelay itself.
func (s *Server) Settle(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		s.st.advance(s.now())
		n := len(s.st.queued)
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
