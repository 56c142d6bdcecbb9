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
	if strings.TrimSpace(raw) != raw || raw == "" {
		return nil, fmt.Errorf("%q is not a URL: it is empty or has surrounding spaces", raw)
	}
	if !strings.Contains(raw, "://") {
		// Without it, "host:port" would parse as scheme "host".
		return nil, fmt.Errorf("%q has no scheme: write it as https://%s", raw, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole input, which may hold a password: say less.
		return nil, fmt.Errorf("value is not a URL (it cannot be parsed)")
	}
	switch u.Scheme {
	case "https", "http":
	default:
		return nil, fmt.Errorf("%q has scheme %q: only https (or http to a loopback address) is supported", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%q has no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL must not carry credentials; use the username and password attributes instead")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not have a query or fragment", raw)
	}
	if u.Scheme == "http" && !allowPlainHTTP && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%q uses plain http to %s, which is not a loopback address: use https, or opt in explicitly if this network is trusted", raw, u.Hostname())
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

// Host returns the host (without port) a URL points at, lower-cased.
func Host(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	return strings.ToLower(u.Hostname()), nil
}
