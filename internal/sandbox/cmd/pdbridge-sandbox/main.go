// Command pdbridge-sandbox serves the sandbox emulators on one loopback
// address, for manual testing and for tests that run the provider as a
// separate process:
//
//	go run ./internal/sandbox/cmd/pdbridge-sandbox -listen 127.0.0.1:8080 [-token T]
//
// The PagerDuty REST API is at the root, the Events API at /v2/enqueue and
// /v2/change/enqueue, the sandbox controls under /_sandbox/, and the Zenoss
// JSON API at /zport/dmd/evconsole_router (Basic auth with -zenoss-user and
// -zenoss-password, timestamps as -zenoss-version writes them). The first
// line on stdout is "pdbridge-sandbox listening on http://HOST:PORT" (the
// real port when -listen asks for port 0). It runs until SIGINT or SIGTERM
// and then shuts down gracefully.
//
// It is as strict as PagerDuty by default: the REST API enforces 960
// requests per minute per token and the Events API 120 events per minute
// per routing key (-rate-limit, -events-rate-limit; 0 turns a limit off),
// alert events take effect -event-delay after their 202, timestamps render
// in the account's -time-zone, and a From header must name a user of the
// account (-user "Name <email>", repeatable, or POST /_sandbox/users).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/endpoint"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pdbridge-sandbox:", err)
		os.Exit(1)
	}
}

type config struct {
	listen          string
	token           string
	zenossUser      string
	zenossPassword  string
	zenossVersion   int
	rateLimit       int
	eventsRateLimit int
	eventDelay      time.Duration
	timeZone        *time.Location
	users           []pagerduty.User
}

// handler mounts every emulator on one mux. PagerDuty owns the root
// because its REST paths are top-level; another emulator takes a prefix.
func handler(cfg config) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", pagerduty.New(pagerduty.Options{Token: cfg.token, RateLimitPerMinute: cfg.rateLimit,
		EventsRateLimitPerMinute: cfg.eventsRateLimit, EventDelay: cfg.eventDelay, TimeZone: cfg.timeZone, Users: cfg.users}))
	mux.Handle("/zport/", zenoss.New(zenoss.Options{Username: cfg.zenossUser, Password: cfg.zenossPassword, Version: zenoss.Version(cfg.zenossVersion)}))
	return mux
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	if err := checkLoopback(cfg.listen); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	return serve(ctx, ln, cfg, stdout)
}

// parseConfig reads the command line. The defaults are as strict as
// PagerDuty: its rate limits, an asynchronous Events API.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("pdbridge-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "loopback `address` to serve on (host:port; port 0 picks a free port)")
	fs.StringVar(&cfg.token, "token", "", "the only API `token` accepted (default: any non-empty token)")
	fs.StringVar(&cfg.zenossUser, "zenoss-user", "admin", "Zenoss API `user`")
	fs.StringVar(&cfg.zenossPassword, "zenoss-password", "zenoss", "Zenoss API `password`")
	fs.IntVar(&cfg.zenossVersion, "zenoss-version", 6, "Zenoss `version` whose timestamp formats to emulate (4, 5 or 6)")
	fs.IntVar(&cfg.rateLimit, "rate-limit", pagerduty.DefaultRateLimitPerMinute, "REST `requests` per minute per token before 429 (0: not enforced)")
	fs.IntVar(&cfg.eventsRateLimit, "events-rate-limit", pagerduty.DefaultEventsRateLimitPerMinute, "alert `events` per minute per routing key before 429 (0: not enforced)")
	fs.DurationVar(&cfg.eventDelay, "event-delay", time.Second, "how long after its 202 an alert event takes effect (the Events API is asynchronous)")
	zone := fs.String("time-zone", "UTC", "the account's time `zone` (IANA name), in which timestamps render by default")
	fs.Func("user", "add an account user `\"Name <email>\"` that From headers may name (repeatable)", func(v string) error {
		a, err := mail.ParseAddress(v)
		if err != nil || a.Name == "" {
			return fmt.Errorf("want \"Name <email>\", got %q", v)
		}
		cfg.users = append(cfg.users, pagerduty.User{Name: a.Name, Email: a.Address})
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		return cfg, fmt.Errorf("-time-zone %q: %v", *zone, err)
	}
	cfg.timeZone = loc
	if cfg.rateLimit < 0 || cfg.eventsRateLimit < 0 || cfg.eventDelay < 0 {
		return cfg, errors.New("-rate-limit, -events-rate-limit and -event-delay must not be negative")
	}
	if cfg.zenossVersion < 4 || cfg.zenossVersion > 6 {
		return cfg, fmt.Errorf("-zenoss-version %d: use 4, 5 or 6", cfg.zenossVersion)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return cfg, nil
}

func serve(ctx context.Context, ln net.Listener, cfg config, stdout io.Writer) error {
	srv := &http.Server{Handler: handler(cfg), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "pdbridge-sandbox listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "  PagerDuty REST API at /, Events API at /v2/enqueue and /v2/change/enqueue, controls at /_sandbox/\n")
	fmt.Fprintf(stdout, "  Zenoss %d.x JSON API at /zport/dmd/evconsole_router (user %q)\n", cfg.zenossVersion, cfg.zenossUser)
	fmt.Fprintf(stdout, "  rate limits %s REST/min/token, %s events/min/routing key; events applied %s after their 202; account zone %s\n",
		limitText(cfg.rateLimit), limitText(cfg.eventsRateLimit), cfg.eventDelay, cfg.timeZone)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func limitText(n int) string {
	if n == 0 {
		return "no"
	}
	return fmt.Sprint(n)
}

// checkLoopback refuses addresses other machines could reach: the sandbox
// accepts any token and has unauthenticated controls.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %v", addr, err)
	}
	if endpoint.IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("-listen %q: only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed", addr)
}
