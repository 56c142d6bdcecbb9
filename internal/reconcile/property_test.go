package reconcile

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

// Property tests of the planner on generated worlds: a seed decides the
// events, what people do to them on both sides and when, and the settings;
// the snapshots the planner sees are observed from the sandboxes, and what
// it plans is really executed.

// scenario is one generated history.
type scenario struct {
	events   int
	actions  []action
	settings func(*Input)
}

type action struct {
	at    time.Duration // after the pairs exist
	event int
	what  string // zenoss:ack|close|reopen|note, pagerduty:ack|resolve|reopen|note
}

var actionKinds = []string{"zenoss:ack", "zenoss:close", "zenoss:reopen", "zenoss:note",
	"pagerduty:ack", "pagerduty:resolve", "pagerduty:reopen", "pagerduty:note"}

func generate(seed uint64) scenario {
	r := rand.New(rand.NewPCG(seed, seed*7919))
	sc := scenario{events: 1 + r.IntN(4)}
	for range r.IntN(7) {
		sc.actions = append(sc.actions, action{at: time.Duration(r.IntN(40)) * time.Minute, event: r.IntN(sc.events),
			what: actionKinds[r.IntN(len(actionKinds))]})
	}
	sort.SliceStable(sc.actions, func(i, j int) bool { return sc.actions[i].at < sc.actions[j].at })
	closeOnResolve, reopen, conflict := r.IntN(2) == 0, r.IntN(2) == 0, []string{"most_recent", "source_wins", "pagerduty_wins"}[r.IntN(3)]
	sc.settings = func(in *Input) {
		in.CloseEventOnIncidentResolution = &closeOnResolve
		in.ReopenIncidentOnEventReopen = &reopen
		in.Conflict = conflict
	}
	return sc
}

func (sc scenario) String() string {
	var parts []string
	for _, a := range sc.actions {
		parts = append(parts, fmt.Sprintf("+%s %s #%d", a.at, a.what, a.event))
	}
	return fmt.Sprintf("%d events; %s", sc.events, strings.Join(parts, ", "))
}

// build makes the world of a scenario up to the point where people have
// acted and no pass has run since.
func (sc scenario) build(t *testing.T) (*world, []string) {
	w := newWorld(t, sc.settings)
	var ids []string
	for i := range sc.events {
		ids = append(ids, w.zevent(fmt.Sprintf("host%d", i), "/Server/Linux", "Problem", zsandbox.SeverityCritical))
	}
	w.pass()
	w.settle(5)
	start := w.clock.Now()
	for _, a := range sc.actions {
		if d := start.Add(a.at).Sub(w.clock.Now()); d > 0 {
			w.clock.Advance(d)
		}
		w.clock.Advance(time.Second)
		w.act(ids[a.event], a.what)
	}
	w.clock.Advance(time.Minute)
	return w, ids
}

func (w *world) act(eventID, what string) {
	w.t.Helper()
	ctx := context.Background()
	inc := w.event(eventID).Ref.IncidentID
	switch what {
	case "zenoss:ack":
		_, _ = w.zs.Acknowledge(eventID, "alice")
	case "zenoss:close":
		_, _ = w.zs.Close(eventID, "alice")
	case "zenoss:reopen":
		_, _ = w.zs.Reopen(eventID, "alice")
	case "zenoss:note":
		_ = w.zs.WriteLog(eventID, "alice", "note at "+w.clock.Now().Format(time.TimeOnly))
	case "pagerduty:note":
		_, _ = w.human.AddNote(ctx, inc, "PD note at "+w.clock.Now().Format(time.TimeOnly))
	default:
		status := map[string]string{"pagerduty:ack": "acknowledged", "pagerduty:resolve": "resolved", "pagerduty:reopen": "triggered"}[what]
		// People try what PagerDuty may refuse (acknowledging an
		// acknowledged incident): that is their problem, not the sync's.
		_, _ = w.human.UpdateIncidents(ctx, []pagerduty.IncidentUpdate{{ID: inc, Status: status}})
	}
}

// state is what a world looks like to a person: each event's status and
// its incident's, the number of incidents, and each event's log lines.
type state struct {
	pairs     []string
	incidents int
	lines     []string
}

func (w *world) state(ids []string) state {
	w.t.Helper()
	var st state
	for _, id := range ids {
		e := w.event(id)
		incStatus := "-"
		if e.Ref.IncidentID != "" {
			incStatus = w.incident(e.Ref.IncidentID).Status
		}
		st.pairs = append(st.pairs, e.Status.String()+"/"+incStatus)
		for _, l := range e.Log {
			st.lines = append(st.lines, id+": "+l.Text)
		}
	}
	st.incidents = len(w.incidents())
	sort.Strings(st.lines)
	return st
}

func TestPlanExecutePlanIsEmptyAndNothingFlips(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		sc := generate(seed)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w, ids := sc.build(t)
			var history [][]string
			for pass := 0; pass < 8; pass++ {
				rep := w.pass()
				history = append(history, w.state(ids).pairs)
				if rep.Plan.Pending() == 0 {
					break
				}
				w.clock.Advance(eventDelay + time.Second)
			}
			w.clock.Advance(time.Minute)
			if p := w.plan(); p.Pending() != 0 {
				t.Fatalf("%s\nafter the passes, still:\n%s", sc, Describe(p.Ops))
			}
			// No pair goes back to a state it left.
			for i := range ids {
				var seen []string
				for _, h := range history {
					if len(seen) > 0 && seen[len(seen)-1] == h[i] {
						continue
					}
					if slices.Contains(seen, h[i]) {
						t.Errorf("%s\nevent %d flips: %v", sc, i, column(history, i))
						break
					}
					seen = append(seen, h[i])
				}
			}
			// Every line once.
			st := w.state(ids)
			for i := 1; i < len(st.lines); i++ {
				if st.lines[i] == st.lines[i-1] {
					t.Errorf("%s\na line is written twice: %q", sc, st.lines[i])
				}
			}
		})
	}
}

func column(history [][]string, i int) []string {
	var out []string
	for _, h := range history {
		out = append(out, h[i])
	}
	return out
}

func TestACutAfterAnyOperationConvergesToTheSameEnd(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		sc := generate(seed)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			ref, refIDs := sc.build(t)
			ops := InOrder(ref.plan().Ops)
			t.Logf("%s: %d operations to cut", sc, len(ops))
			ref.settle(6)
			want := ref.state(refIDs)
			for k := 0; k < len(ops); k++ {
				w, ids := sc.build(t)
				plan := w.plan()
				prefix := InOrder(plan.Ops)[:min(k, len(plan.Ops))]
				x := &Executor{Source: w.src, PD: w.sync}
				x.Execute(context.Background(), Plan{Ops: prefix})
				w.settle(6)
				got := w.state(ids)
				if fmt.Sprint(got.pairs) != fmt.Sprint(want.pairs) || got.incidents != want.incidents {
					t.Errorf("%s\ncut after %d of %d operations: pairs %v, %d incidents; uncut: %v, %d", sc, k, len(ops),
						got.pairs, got.incidents, want.pairs, want.incidents)
				}
				if markers(got.lines) != markers(want.lines) {
					t.Errorf("%s\ncut after %d of %d operations, the logs differ:\n%s\nuncut:\n%s", sc, k, len(ops),
						strings.Join(got.lines, "\n"), strings.Join(want.lines, "\n"))
				}
			}
		})
	}
}

// markers summarises log lines by their marker, which names what they
// say; the text around may differ in times between a cut and an uncut run.
func markers(lines []string) string {
	var out []string
	for _, l := range lines {
		id, text, _ := strings.Cut(l, ": ")
		_ = id
		if i := strings.LastIndex(text, "["); i >= 0 {
			out = append(out, id+" "+text[i:])
		} else {
			out = append(out, id+" "+text)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
