package reconcile

import (
	"context"
	"fmt"
	"testing"

	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

// BenchmarkPlan measures the planner alone on a quiet snapshot of n open
// pairs (observed once, through both sandboxes): the work every pass does
// whatever happens. A whole pass, with its requests, is tools/syncbench.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("pairs=%d", n), func(b *testing.B) {
			w := newWorld(b, func(in *Input) {
				all, noScan := int64(n), int64(0)
				in.MaxEventsPerPass, in.NoteScanPerPass = &all, &noScan
			})
			for i := range n {
				w.zevent(fmt.Sprintf("host%05d", i), "/Server/Linux", "Disk full", zsandbox.SeverityCritical)
			}
			w.settle(6)
			snap, plan, err := Observe(context.Background(), w.settings, w.src, w.sync, w.clock.Now())
			if err != nil {
				b.Fatal(err)
			}
			if plan.Pending() != 0 || len(snap.Open) != n {
				b.Fatalf("setup: %d open incidents, %d operations pending; want %d and none", len(snap.Open), plan.Pending(), n)
			}
			b.ReportAllocs()
			for b.Loop() {
				if p := w.settings.Plan(snap); p.Pending() != 0 {
					b.Fatalf("a quiet snapshot planned %d operations", p.Pending())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/pair")
		})
	}
}
