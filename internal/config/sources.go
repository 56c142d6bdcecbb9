// Package config checks the event-console connections users declare in the
// provider's `sources` map, so that every mistake is reported at plan time
// against the attribute that holds it.
package config

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/endpoint"
)

// SourceKinds are the consoles pdbridge can synchronise with.
var SourceKinds = []string{"zenoss", "icinga2", "alertmanager"}

// Source is one named event-console connection.
type Source struct {
	Name               string
	Kind               string
	URL                string
	Username           string
	Password           string
	APIKey             string
	CABundle           string // PEM
	InsecureSkipVerify bool
	AllowInsecureHTTP  bool
	Timeout            time.Duration
	TimeZone           *time.Location // how the console writes local times (Zenoss 4.x)
	// Version is the console's major version where its API differs by
	// version (Zenoss 4, 5 or 6); 0 is the newest.
	Version int
	// StickyAcknowledgement (Icinga 2) keeps an acknowledgement until the
	// problem recovers; nil is the default, true.
	StickyAcknowledgement *bool
}

// FieldError is a problem with one attribute of a source.
type FieldError struct {
	Field   string // attribute name inside the source, e.g. "url"
	Summary string
	Detail  string
}

// Known reports whether a value was given (the provider passes unknown values as not given).
type Known func(field string) bool

// ParseDuration reads a timeout written as a Go duration ("30s", "2m").
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like \"30s\" or \"2m\"", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// CheckSource validates a source whose string fields are already read; fields
// the caller marks unknown (not yet computed at plan time) are skipped.
func CheckSource(s Source, known Known) []FieldError {
	var errs []FieldError
	add := func(field, summary, detail string, args ...any) {
		errs = append(errs, FieldError{Field: field, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
	}
	if known("kind") && !slices.Contains(SourceKinds, s.Kind) {
		add("kind", "Unknown Source Kind", "Kind %q is not one pdbridge can synchronise with: use %s.", s.Kind, strings.Join(SourceKinds, ", "))
	}
	if known("url") {
		if _, err := endpoint.Check(s.URL, s.AllowInsecureHTTP); err != nil {
			add("url", "Invalid Source URL", "%v.", err)
		}
	}
	if known("kind") && known("username") && known("password") && known("api_key") {
		switch s.Kind {
		case "zenoss":
			basic := s.Username != "" || s.Password != ""
			if basic && s.APIKey != "" {
				add("api_key", "Conflicting Zenoss Credentials", "Both username/password (Basic auth) and api_key (Zenoss Cloud) are set; set one.")
			}
			if !basic && s.APIKey == "" {
				add("username", "Missing Zenoss Credentials", "Zenoss needs username and password (Resource Manager) or api_key (Zenoss Cloud).")
			}
			if basic && (s.Username == "" || s.Password == "") {
				field := "password"
				if s.Username == "" {
					field = "username"
				}
				add(field, "Incomplete Zenoss Credentials", "Only one of username and password is set.")
			}
		case "icinga2":
			if s.Username == "" || s.Password == "" {
				add("username", "Missing Icinga 2 Credentials", "Icinga 2 needs the username and password of an API user.")
			}
		case "alertmanager":
			// Alertmanager has no auth of its own; a web config or a proxy
			// in front of it may ask for Basic auth.
			if (s.Username == "") != (s.Password == "") {
				field := "password"
				if s.Username == "" {
					field = "username"
				}
				add(field, "Incomplete Alertmanager Credentials", "Only one of username and password is set: set both for Basic auth, or neither.")
			}
		}
		if s.Kind != "zenoss" && s.APIKey != "" {
			add("api_key", "API Key Not Used", "api_key is Zenoss Cloud's; %s takes username and password.", s.Kind)
		}
	}
	if known("kind") && s.StickyAcknowledgement != nil && s.Kind != "icinga2" {
		add("sticky_acknowledgement", "Icinga 2 Setting", "sticky_acknowledgement is for Icinga 2 sources; a %s source does not use it.", s.Kind)
	}
	if known("kind") && s.Version != 0 && s.Kind != "zenoss" {
		add("version", "Zenoss Setting", "version is for Zenoss sources (4, 5 or 6); a %s source does not use it.", s.Kind)
	}
	if known("version") && s.Version != 0 && (s.Version < 4 || s.Version > 6) {
		add("version", "Unknown Zenoss Version", "Version %d: pdbridge speaks to Zenoss 4, 5 and 6 (Zenoss Cloud is 6).", s.Version)
	}
	if known("ca_bundle") && s.CABundle != "" {
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(s.CABundle)) {
			add("ca_bundle", "Invalid CA Bundle", "ca_bundle holds no PEM certificate.")
		}
		if s.InsecureSkipVerify {
			add("insecure_skip_verify", "Conflicting TLS Settings", "Both ca_bundle and insecure_skip_verify are set; a CA bundle is pointless when verification is off.")
		}
	}
	return errs
}
