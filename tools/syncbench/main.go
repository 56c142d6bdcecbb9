// Command syncbench measures what a sync pass costs: it starts the
// PagerDuty and Zenoss sandboxes in a child process (itself, with
// -serve-sandboxes: zero latency, rate limits off, since it counts requests
// rather than waiting for them), opens N pairs through the real engine, then
// runs a pass with nothing to do and a pass with k changes, and prints for
// each the PagerDuty calls by route, the Zenoss calls by method, the wall time
// and the peak heap. The sandboxes' own state and garbage stay in the child,
// so the heap is the engine's, as in a CI job's Terraform provider.
//
//	go run ./tools/syncbench -pairs 100,1000,10000 -changes 300
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/reconcile"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/routing"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
	zsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/zenoss"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		if err := serveSandboxes(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "syncbench sandboxes:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("syncbench", flag.ContinueOnError)
	pairsFlag := fs.String("pairs", "100,1000,10000", "comma-separated numbers of open pairs")
	changes := fs.Int("changes", 300, "events closed before the busy pass (at most the number of pairs)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the measured passes to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		cpuProfile = f
	}
	var sizes []int
	for _, f := range strings.Split(*pairsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 10000 {
			return fmt.Errorf("-pairs: %q is not a number from 1 to 10000", f)
		}
		sizes = append(sizes, n)
	}
	fmt.Fprintln(out, "sandboxes in a child process on loopback, zero latency, rate limits off (requests are counted, not waited for); heap figures are this process's, the engine's alone")
	for _, n := range sizes {
		if err := bench(out, n, min(*changes, n)); err != nil {
			return err
		}
	}
	return nil
}

const (
	childFlag              = "-serve-sandboxes"
	benchUser, benchSecret = "pdbridge", "secret"
	benchEmail             = "pdbridge@example.com"
)

// serveSandboxes is the child: both sandboxes on a free loopback port, with
// n open Zenoss events and a few bench controls, until its stdin closes
// (the parent ended, however it ended). Its first line of output is the
// URL and the escalation policy services need.
func serveSandboxes(args []string) error {
	n, err := strconv.Atoi(strings.Join(args, ""))
	if err != nil || n < 0 {
		return fmt.Errorf("want the number of events, got %q", args)
	}
	pd := pdsandbox.New(pdsandbox.Options{Users: []pdsandbox.User{{Name: "pdbridge", Email: benchEmail}}})
	zs := zsandbox.New(zsandbox.Options{Username: benchUser, Password: benchSecret})
	for i := range n {
		zs.AddEvent(zsandbox.Occurrence{Device: fmt.Sprintf("host%05d", i), Summary: "Disk full", Severity: zsandbox.SeverityCritical})
	}
	mux := http.NewServeMux()
	mux.Handle("/zport/", zs)
	mux.Handle("/", pd)
	mux.HandleFunc("GET /_bench/counts", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]map[string]int{"pagerduty": pd.Faults().Counts(), "zenoss": zs.Faults().Counts()})
	})
	mux.HandleFunc("POST /_bench/reset-counts", func(w http.ResponseWriter, _ *http.Request) {
		pd.Faults().ResetCounts()
		zs.Faults().ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_bench/close", func(w http.ResponseWriter, r *http.Request) {
		k, _ := strconv.Atoi(r.URL.Query().Get("n"))
		events := zs.Events()
		for i := 0; i < k && i < len(events); i++ {
			if _, err := zs.Close(events[i].Evid, "alice"); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	// The sandboxes' own cost, for when a pass waits on them: a CPU profile
	// of the child from the first count reset (the first measured pass) on.
	if path := os.Getenv("SYNCBENCH_SANDBOX_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var once sync.Once
		mux.HandleFunc("POST /_bench/profile", func(w http.ResponseWriter, _ *http.Request) {
			once.Do(func() { _ = pprof.StartCPUProfile(f) })
			w.WriteHeader(http.StatusNoContent)
		})
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); _ = srv.Close() }()
	fmt.Printf("http://%s %s\n", ln.Addr(), pd.DefaultEscalationPolicyID())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type rig struct {
	url      string
	sync     *pagerduty.Client
	src      *zenoss.Client
	settings reconcile.Settings
}

// newRig starts the child with n events and connects the engine to it.
func newRig(n int) (*rig, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, func() {}, err
	}
	cmd := exec.Command(self, childFlag, strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, func() {}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, func() {}, err
	}
	if err := cmd.Start(); err != nil {
		return nil, func() {}, err
	}
	stop := func() { _ = stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return nil, func() {}, fmt.Errorf("the sandboxes did not start: %w", err)
	}
	url, policy, _ := strings.Cut(strings.TrimSpace(line), " ")
	r := &rig{url: url}
	retry := httpretry.Policy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}
	if r.sync, err = pagerduty.New(pagerduty.Config{Token: "t", UserEmail: benchEmail, APIURL: r.url, EventsURL: r.url, Retry: retry}); err != nil {
		return nil, stop, err
	}
	if r.src, err = zenoss.New(zenoss.Config{URL: r.url, Username: benchUser, Password: benchSecret, Retry: retry, PageSize: 1000}); err != nil {
		return nil, stop, err
	}
	ctx := context.Background()
	svc, err := r.sync.CreateService(ctx, "Unix team", "", policy)
	if err != nil {
		return nil, stop, err
	}
	in, err := r.sync.CreateEventsV2Integration(ctx, svc.ID, "Zenoss")
	if err != nil {
		return nil, stop, err
	}
	noScan, all := int64(0), int64(n)
	settings, errs := reconcile.Parse(reconcile.Input{Source: "zenoss_prod", NoteScanPerPass: &noScan, MaxEventsPerPass: &all,
		Routing: &routing.Transform{CatchAll: &routing.CatchAll{RouteTo: svc.ID + "/" + in.ID}}})
	if len(errs) > 0 {
		return nil, stop, fmt.Errorf("settings: %v", errs)
	}
	r.settings = settings
	return r, stop, nil
}

// control posts to one of the child's bench controls.
func (r *rig) control(path string) error {
	resp, err := http.Post(r.url+path, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	return nil
}

func (r *rig) counts() (pd, z map[string]int, err error) {
	resp, err := http.Get(r.url + "/_bench/counts")
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var c map[string]map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return nil, nil, err
	}
	return c["pagerduty"], c["zenoss"], nil
}

// figures is one measured pass.
type figures struct {
	pdCalls  map[string]int
	zCalls   map[string]int
	wall     time.Duration
	peakHeap uint64
	// baseHeap is the live heap when the pass began: mostly the in-process
	// sandboxes' state, which a real pass does not carry.
	baseHeap uint64
	ops      map[reconcile.Kind]int
	failed   int
}

// cpuProfile, when set, receives a CPU profile of the measured passes.
var cpuProfile io.Writer

func (r *rig) measure() (figures, error) {
	if cpuProfile != nil {
		if err := pprof.StartCPUProfile(cpuProfile); err == nil {
			defer pprof.StopCPUProfile()
			cpuProfile = nil // one profile: the first measured pass
		}
	}
	if err := r.control("/_bench/reset-counts"); err != nil {
		return figures{}, err
	}
	if os.Getenv("SYNCBENCH_SANDBOX_CPUPROFILE") != "" {
		if err := r.control("/_bench/profile"); err != nil {
			return figures{}, err
		}
	}
	runtime.GC()
	base := liveHeap()
	peak := watchHeap()
	start := time.Now()
	rep, err := reconcile.Run(context.Background(), r.settings, r.src, r.sync, reconcile.Options{FollowUp: -1})
	wall := time.Since(start)
	f := figures{wall: wall, peakHeap: peak(), baseHeap: base, ops: rep.Plan.Counts(), failed: len(rep.Result.Failed)}
	if err != nil {
		return f, err
	}
	f.pdCalls, f.zCalls, err = r.counts()
	return f, err
}

func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// watchHeap samples the live heap until the returned function is called,
// which returns the largest sample.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-stopped; return peak.Load() }
}

func bench(out io.Writer, n, k int) error {
	r, stop, err := newRig(n)
	defer stop()
	if err != nil {
		return err
	}
	setupStart := time.Now()
	for pass := 0; pass < 6; pass++ {
		rep, err := reconcile.Run(context.Background(), r.settings, r.src, r.sync, reconcile.Options{FollowUp: -1})
		if err != nil {
			return err
		}
		if len(rep.Result.Failed) > 0 {
			return fmt.Errorf("setup pass: %v", rep.Result.Failed[0].Err)
		}
		if rep.Plan.Pending() == 0 && pass > 0 {
			break
		}
	}
	fmt.Fprintf(out, "\n== %d open pairs (set up through the engine in %s)\n", n, time.Since(setupStart).Round(time.Millisecond))

	quiet, err := r.measure()
	if err != nil {
		return err
	}
	report(out, "pass with nothing to do", quiet, n)

	if err := r.control(fmt.Sprintf("/_bench/close?n=%d", k)); err != nil {
		return err
	}
	busy, err := r.measure()
	if err != nil {
		return err
	}
	report(out, fmt.Sprintf("pass with %d events closed", k), busy, n)
	fmt.Fprintf(out, "  bulk status writes: %d PUT /incidents (ceil(%d/250) = %d)\n", busy.pdCalls["PUT /incidents"], k, (k+249)/250)
	fmt.Fprintf(out, "  zenpdsync v1.5, same work: its window holds at most 100 of the %d pairs; per cycle it spends 1 incident list, then per pair\n"+
		"  one Zenoss detail, one incident_key lookup and one log-entry list (3 calls a pair: %d for the 100 it sees), and never looks at the other %d\n",
		n, 3*min(n, 100)+2, max(n-100, 0))
	return nil
}

func report(out io.Writer, name string, f figures, pairs int) {
	pdTotal, zTotal := 0, 0
	for _, c := range f.pdCalls {
		pdTotal += c
	}
	for _, c := range f.zCalls {
		zTotal += c
	}
	fmt.Fprintf(out, "%s: %s wall, peak heap %.1f MB (%.1f MB above the %.1f MB held before the pass), %d PagerDuty calls (%.4f a pair), %d Zenoss calls, %d operations, %d failed\n",
		name, f.wall.Round(time.Millisecond), float64(f.peakHeap)/(1<<20), float64(f.peakHeap-min(f.baseHeap, f.peakHeap))/(1<<20), float64(f.baseHeap)/(1<<20), pdTotal, float64(pdTotal)/float64(pairs), zTotal, sum(f.ops), f.failed)
	fmt.Fprintf(out, "  PagerDuty: %s\n  Zenoss: %s\n", byRoute(f.pdCalls), byRoute(f.zCalls))
}

func sum(m map[reconcile.Kind]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func byRoute(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
