package events

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// AnyHost in an allowed-hosts list allows every host, as in Kibana's
// xpack.actions.allowedHosts.
const AnyHost = "*"

// CheckAllowedHostEntry checks one entry of an allowed-hosts list: a bare
// host name or IP address (or AnyHost), without scheme, port or path.
func CheckAllowedHostEntry(entry string) error {
	if entry == AnyHost {
		return nil
	}
	if entry == "" || strings.TrimSpace(entry) != entry {
		return fmt.Errorf("%q is not a host name: it is empty or has surrounding spaces", entry)
	}
	if strings.ContainsAny(entry, "/:@?#") && net.ParseIP(strings.Trim(entry, "[]")) == nil {
		return fmt.Errorf("%q is not a bare host name: write only the host (e.g. events.pagerduty.com), without scheme, port or path", entry)
	}
	return nil
}

// CheckHostAllowed returns an error when allowed is not empty and the host
// of rawURL is not in it. Host names compare case-insensitively, and a
// trailing dot is ignored; ports are not part of the comparison.
func CheckHostAllowed(rawURL string, allowed []string) error {
	if len(allowed) == 0 || slices.Contains(allowed, AnyHost) {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("the events URL %q has no host to check against allowed_hosts", rawURL)
	}
	host := normalizeHost(u.Hostname())
	for _, a := range allowed {
		if normalizeHost(a) == host {
			return nil
		}
	}
	return fmt.Errorf("events go to %s, whose host %q is not in allowed_hosts (%s): add it there, or point events_url (or service_region) at an allowed host", rawURL, host, strings.Join(allowed, ", "))
}

func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}
