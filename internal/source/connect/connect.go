// Package connect opens the event consoles the provider's `sources`
// declare: it turns a checked config.Source into the adapter for its kind.
package connect

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/config"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/httpretry"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/alertmanager"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/icinga2"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcehttp"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/zenoss"
)

// Open returns the adapter for s. It makes no request.
func Open(s config.Source, retry httpretry.Policy) (source.Source, error) {
	tlsConfig, err := tlsFor(s)
	if err != nil {
		return nil, err
	}
	conn := sourcehttp.Connection{Timeout: s.Timeout, Retry: retry, TLS: tlsConfig}
	switch s.Kind {
	case "zenoss":
		return zenoss.New(zenoss.Config{URL: s.URL, Username: s.Username, Password: s.Password, APIKey: s.APIKey,
			Version: s.Version, Location: s.TimeZone, Timeout: s.Timeout, Retry: retry, TLS: tlsConfig})
	case "icinga2":
		return icinga2.New(icinga2.Config{URL: s.URL, Username: s.Username, Password: s.Password,
			StickyAcknowledgement: s.StickyAcknowledgement == nil || *s.StickyAcknowledgement, Connection: conn})
	case "alertmanager":
		return alertmanager.New(alertmanager.Config{URL: s.URL, Username: s.Username, Password: s.Password, Connection: conn})
	}
	return nil, fmt.Errorf("source %q: pdbridge cannot synchronise with a %s console yet", s.Name, s.Kind)
}

// tlsFor is the TLS configuration a source's settings ask for: a private
// CA bundle, or (for tests only) no verification.
func tlsFor(s config.Source) (*tls.Config, error) {
	if s.CABundle == "" && !s.InsecureSkipVerify {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CABundle != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(s.CABundle)) {
			return nil, errors.New("ca_bundle holds no PEM certificate")
		}
		c.RootCAs = pool
	}
	c.InsecureSkipVerify = s.InsecureSkipVerify //nolint:gosec // the user asked for it, for a test console
	return c, nil
}
