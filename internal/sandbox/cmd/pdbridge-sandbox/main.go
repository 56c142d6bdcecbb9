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
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
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
	listen         string
	token          string
	zenossUser     string
	zenossPassword string
	zenossVersion  int
}

// handler mounts every emulator on one mux. PagerDuty owns the root
// because its REST paths are top-level; another emulator takes a prefix.
func handler(cfg config) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", pagerduty.New(pagerduty.Options{Token: cfg.token}))
	mux.Handle("/zport/", zenoss.New(zenoss.Options{Username: cfg.zenossUser, Password: cfg.zenossPassword, Version: zenoss.Version(cfg.zenossVersion)}))
	return mux
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pdbridge-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "loopback `address` to serve on (host:port; port 0 picks a free port)")
	fs.StringVar(&cfg.token, "token", "", "the only API `token` accepted (default: any non-empty token)")
	fs.StringVar(&cfg.zenossUser, "zenoss-user", "admin", "Zenoss API `user`")
	fs.StringVar(&cfg.zenossPassword, "zenoss-password", "zenoss", "Zenoss API `password`")
	fs.IntVar(&cfg.zenossVersion, "zenoss-version", 6, "Zenoss `version` whose timestamp formats to emulate (4, 5 or 6)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.zenossVersion < 4 || cfg.zenossVersion > 6 {
		return fmt.Errorf("-zenoss-version %d: use 4, 5 or 6", cfg.zenossVersion)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := checkLoopback(cfg.listen); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler(cfg), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "pdbridge-sandbox listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "  PagerDuty REST API at /, Events API at /v2/enqueue and /v2/change/enqueue, controls at /_sandbox/\n")
	fmt.Fprintf(stdout, "  Zenoss %d.x JSON API at /zport/dmd/evconsole_router (user %q)\n", cfg.zenossVersion, cfg.zenossUser)

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
