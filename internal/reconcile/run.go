package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
)

// Options tune a run.
type Options struct {
	// DryRun observes and plans, and writes nothing.
	DryRun bool
	// Progress hears what the run does, a line per step or batch.
	Progress func(string)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// FollowUp is how long a run waits, after sending triggers, for their
	// incidents to appear (the Events API is asynchronous) so it can pair
	// them before it ends; zero is DefaultFollowUp, negative is no wait.
	FollowUp time.Duration
	// NoLock runs without the source's lock (tests of the lock itself).
	NoLock bool
}

// DefaultFollowUp is how long a run waits for the incidents its triggers open.
const DefaultFollowUp = 20 * time.Second

// maxPasses bounds the passes of one run: one, and the follow-ups that
// pair the incidents it opened.
const maxPasses = 3

// Report is what a run did (or, for a dry run, would do).
type Report struct {
	// Plan is the first pass's plan: what was out of sync when the run began.
	Plan Plan
	// Result is what every pass did.
	Result Result
	Passes int
}

// Run carries out one reconciliation: it takes the source's lock, observes
// both sides, plans and executes, and pairs the incidents its triggers
// opened in follow-up passes. Operations that fail are in the report's
// result; the error is for a run that could not observe or lock.
func Run(ctx context.Context, s Settings, src source.Source, pd PagerDuty, o Options) (Report, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	say := func(format string, a ...any) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf(format, a...))
		}
	}
	if s.Routing == nil {
		return Report{}, errors.New("the sync settings have no routing")
	}
	ctx, cancel := context.WithTimeout(ctx, s.RunTimeout)
	defer cancel()
	var rep Report
	if o.DryRun {
		_, plan, err := Observe(ctx, s, src, pd, now())
		rep.Plan, rep.Passes = plan, 1
		return rep, err
	}
	// A pass with nothing to do writes nothing and needs no lock; one with
	// work takes the lock and observes again under it, since another pass
	// may have done the work in between.
	first, firstPlan, err := Observe(ctx, s, src, pd, now())
	if err != nil {
		return rep, err
	}
	rep.Plan, rep.Passes = firstPlan, 1
	if len(firstPlan.Ops) == 0 {
		say("%d open incidents, %d events: in sync", len(first.Open), len(first.Events))
		return rep, nil
	}
	if !o.NoLock {
		ep, err := lockPolicy(ctx, s, pd)
		if err != nil {
			return rep, err
		}
		lock, err := Acquire(ctx, pd, s.Source, ep, now(), s.RunTimeout)
		if err != nil {
			return rep, err
		}
		defer func() {
			// The pass's own context may be spent; release on a short one of its own.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer rcancel()
			if err := lock.Release(rctx); err != nil {
				say("warning: %v", err)
			}
		}()
	}
	x := &Executor{Source: src, PD: pd, Progress: o.Progress}
	for pass := 1; pass <= maxPasses; pass++ {
		snap, plan, err := Observe(ctx, s, src, pd, now())
		if err != nil {
			return rep, err
		}
		if pass == 1 {
			rep.Plan = plan
			say("%d open incidents, %d events: %d operations to do", len(snap.Open), len(snap.Events), plan.Pending())
		}
		rep.Passes = pass
		res := x.Execute(ctx, plan)
		rep.Result.Done = append(rep.Result.Done, res.Done...)
		rep.Result.Failed = append(rep.Result.Failed, res.Failed...)
		rep.Result.Skipped = append(rep.Result.Skipped, res.Skipped...)
		sent := sentKeys(res)
		if len(sent) == 0 || pass == maxPasses || o.FollowUp < 0 {
			break
		}
		wait := o.FollowUp
		if wait == 0 {
			wait = DefaultFollowUp
		}
		say("waiting up to %s for the %d incidents just triggered", wait, len(sent))
		waitForIncidents(ctx, pd, sent, wait)
	}
	return rep, nil
}

// lockPolicy is the escalation policy the lock service is created on: any
// routed service's (the service never takes an incident).
func lockPolicy(ctx context.Context, s Settings, pd PagerDuty) (string, error) {
	var lastErr error
	for _, id := range routedServices(s.Routing) {
		svc, err := pd.GetService(ctx, id)
		if err != nil {
			lastErr = err
			continue
		}
		if svc.EscalationPolicyID != "" {
			return svc.EscalationPolicyID, nil
		}
	}
	if lastErr != nil {
		return "", fmt.Errorf("reading a routed service for the sync lock: %w", lastErr)
	}
	return "", errors.New("routing sends to no service, so there is nothing to sync to")
}

func sentKeys(res Result) []string {
	var keys []string
	for _, o := range res.Done {
		if o.Kind == CreateIncident && o.Ref != nil {
			keys = append(keys, o.Ref.DedupKey)
		}
	}
	return keys
}

// waitForIncidents polls, with backoff and at most until wait has passed,
// until an incident holds each dedup key.
func waitForIncidents(ctx context.Context, pd PagerDuty, keys []string, wait time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	pending := keys
	delay := 250 * time.Millisecond
	for len(pending) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		var still []string
		for _, k := range pending {
			list, err := pd.ListIncidents(ctx, pagerduty.IncidentFilter{IncidentKey: k, AllDates: true})
			if err != nil || len(list) == 0 {
				still = append(still, k)
			}
		}
		pending = still
		delay = min(2*delay, 2*time.Second)
	}
}
