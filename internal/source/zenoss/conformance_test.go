package zenoss_test

import (
	"net/http/httptest"
	"testing"
	"time"

	sandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/zenoss"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/sourcetest"
	"github.com/pdbridge/terraform-provider-pdbridge/internal/source/zenoss"
)

// The Source contract, against the Zenoss sandbox (Zenoss cannot run here).
func TestConformance(t *testing.T) {
	for _, version := range []int{4, 5, 6} {
		t.Run(map[int]string{4: "4.x", 5: "5.x", 6: "6.x"}[version], func(t *testing.T) {
			sb := sandbox.New(sandbox.Options{Username: "pdbridge", Password: "secret", Version: sandbox.Version(version), Location: time.UTC})
			srv := httptest.NewServer(sb)
			t.Cleanup(srv.Close)
			c, err := zenoss.New(zenoss.Config{URL: srv.URL, Username: "pdbridge", Password: "secret", Version: version, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.Run(t, sourcetest.Fixture{
				Source:    c,
				UnknownID: "00000000-0000-0000-0000-000000000000",
				Raise: func(t *testing.T) sourcetest.Problem {
					o := sandbox.Occurrence{Device: sourcetest.Unique("web"), Component: "httpd", EventClass: "/Status/Web",
						Summary: "HTTP 503", Severity: sandbox.SeverityError}
					if sb.AddEvent(o) == "" {
						t.Fatal("the sandbox dropped the event")
					}
					clearing := o
					clearing.Severity, clearing.Summary = sandbox.SeverityClear, "HTTP OK"
					return sourcetest.Problem{
						Is: func(e source.Event) bool { return e.Device == o.Device },
						Recover: func(t *testing.T) {
							if sb.AddEvent(clearing) == "" {
								t.Fatal("the clear cleared nothing")
							}
						},
						Recur: func(t *testing.T) { sb.AddEvent(o) },
						Note: func(t *testing.T, text string) {
							for _, e := range sb.Events() {
								if e.Device == o.Device && (e.Status == sandbox.StatusNew || e.Status == sandbox.StatusAcknowledged) {
									if err := sb.WriteLog(e.Evid, "alice", text); err != nil {
										t.Fatal(err)
									}
								}
							}
						},
					}
				},
			})
		})
	}
}
