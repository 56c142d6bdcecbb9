package source

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSeverityNamesRoundTrip(t *testing.T) {
	for s := SeverityUnknown; s <= SeverityCritical; s++ {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	if _, err := ParseSeverity("major"); err == nil {
		t.Error("an unknown name should fail")
	}
	if Severity(42).String() != "unknown" || Severity(-1).String() != "unknown" {
		t.Error("out-of-range severities should print as unknown")
	}
	if SeverityWarning >= SeverityError || SeverityError >= SeverityCritical || SeverityUnknown >= SeverityClear {
		t.Error("severities must be ordered from least to most severe")
	}
}

func TestStatusOpen(t *testing.T) {
	for s, open := range map[Status]bool{StatusNew: true, StatusAcknowledged: true, StatusClosed: false, StatusUnknown: false} {
		if s.Open() != open {
			t.Errorf("%v.Open() = %v", s, s.Open())
		}
	}
}

func TestRefusedErrorMatchesErrRefused(t *testing.T) {
	err := fmt.Errorf("sync: %w", &RefusedError{ID: "e1", Op: "reopen", Status: StatusClosed, Reason: "open event e2 has the same dedupid", ConflictID: "e2"})
	if !errors.Is(err, ErrRefused) || errors.Is(err, ErrNotFound) {
		t.Fatalf("errors.Is: %v", err)
	}
	var r *RefusedError
	if !errors.As(err, &r) || r.ConflictID != "e2" {
		t.Fatalf("errors.As: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "reopen of event e1 refused, it stays closed: open event e2") {
		t.Errorf("message: %q", msg)
	}
}

func TestIncidentRefIsZero(t *testing.T) {
	if !(IncidentRef{}).IsZero() {
		t.Error("the zero ref is zero")
	}
	for _, r := range []IncidentRef{{IncidentID: "Q1"}, {URL: "u"}, {ConnectorID: "c"}, {Created: time.Unix(1, 0)}} {
		if r.IsZero() {
			t.Errorf("%+v is not zero", r)
		}
	}
}
