// Package endpoint checks the URLs pdbridge is told to call: well formed,
// http or https, and plain http only to a loopback address (the sandboxes)
// unless the user explicitly opted in, so that tokens and passwords never
// cross a network in clear text by accident.
package endpoint

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Check parses raw and applies the transport policy. allowPlainHTTP is the
// user's explicit opt-in to plain http to a non-loopback host.
func Check(raw string, allowPlainHTTP bool) (*url.URL, error) {
	// Messages quote only scheme, host and path: the raw value may carry a
	// password or a token in its user info or query.
	if raw == "" || strings.TrimSpace(raw) != raw {
		return nil, fmt.Errorf("the URL is empty or has surrounding spaces")
	}
	if !strings.Contains(raw, "://") {
		// Without it, "host:port" would parse as scheme "host".
		return nil, fmt.Errorf("the URL has no scheme: write it as https://host[:port][/path]")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("value is not a URL (it cannot be parsed)")
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL must not carry credentials; use the username and password attributes instead")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the URL must not have a query or fragment")
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	switch u.Scheme {
	case "https", "http":
	default:
		return nil, fmt.Errorf("%q has scheme %q: only https (or http to a loopback address) is supported", shown, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%q has no host", shown)
	}
	if u.Scheme == "http" && !allowPlainHTTP && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%q uses plain http to %s, which is not a loopback address: use https, or opt in explicitly if this network is trusted", shown, u.Hostname())
	}
	return u, nil
}

// IsLoopback reports whether host names the local machine: localhost, or an
// address in 127.0.0.0/8 or ::1. Other names are not resolved, so a DNS
// answer cannot turn a remote host into a "loopback" one.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}
