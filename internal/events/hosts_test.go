package events

import (
	"strings"
	"testing"
)

func TestCheckHostAllowed(t *testing.T) {
	allowed := []string{"events.pagerduty.com", "127.0.0.1", "::1", "Events.EU.PagerDuty.com."}
	for _, u := range []string{
		"https://events.pagerduty.com", "https://EVENTS.pagerduty.com:443/v2/enqueue", "http://127.0.0.1:8080",
		"http://[::1]:9000", "https://events.eu.pagerduty.com",
	} {
		if err := CheckHostAllowed(u, allowed); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"https://events.pagerduty.com.evil.example", "https://pagerduty.com", "http://localhost:8080", "http://127.0.0.2"} {
		err := CheckHostAllowed(u, allowed)
		if err == nil || !strings.Contains(err.Error(), "not in allowed_hosts") {
			t.Errorf("%s allowed: %v", u, err)
		}
	}
}

func TestNoListOrWildcardAllowsEverything(t *testing.T) {
	for _, allowed := range [][]string{nil, {}, {"example.com", "*"}} {
		if err := CheckHostAllowed("https://anything.example.net", allowed); err != nil {
			t.Errorf("allowed %v refused: %v", allowed, err)
		}
	}
}

func TestCheckAllowedHostEntry(t *testing.T) {
	for _, ok := range []string{"events.pagerduty.com", "127.0.0.1", "::1", "[::1]", "*", "localhost"} {
		if err := CheckAllowedHostEntry(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", " events.pagerduty.com", "https://events.pagerduty.com", "events.pagerduty.com:443", "events.pagerduty.com/v2"} {
		if err := CheckAllowedHostEntry(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
