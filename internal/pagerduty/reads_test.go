package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/fault"
	pdsandbox "github.com/pdbridge/terraform-provider-pdbridge/internal/sandbox/pagerduty"
)

// sharingClient is a client with Config.ShareReads on the sandbox of a
// plain client.
func sharingClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := New(Config{Token: "tok", UserEmail: "bridge@example.com", APIURL: url, EventsURL: url, Retry: fastRetry, ShareReads: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// servicesWithIntegrations makes services×perService integrations.
func servicesWithIntegrations(t *testing.T, sb *pdsandbox.Server, c *Client, services, perService int) []*Integration {
	t.Helper()
	var out []*Integration
	for s := range services {
		svc, err := c.CreateService(context.Background(), fmt.Sprintf("svc %d", s), "", sb.DefaultEscalationPolicyID())
		if err != nil {
			t.Fatal(err)
		}
		for i := range perService {
			in, err := c.CreateEventsV2Integration(context.Background(), svc.ID, fmt.Sprintf("int %d", i))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, in)
		}
	}
	return out
}

func TestSharedReadsCostOneCallPerService(t *testing.T) {
	sb, plain := startSandbox(t)
	ints := servicesWithIntegrations(t, sb, plain, 3, 4)
	c := sharingClient(t, plain.APIURL())
	sb.Faults().ResetCounts()

	// As Terraform refreshes: ten at a time, every integration twice.
	var g errgroup.Group
	g.SetLimit(10)
	for range 2 {
		for _, want := range ints {
			g.Go(func() error {
				got, err := c.GetIntegration(context.Background(), want.ServiceID, want.ID)
				if err == nil && (got.IntegrationKey != want.IntegrationKey || got.Name != want.Name) {
					err = fmt.Errorf("read %+v, want %+v", got, want)
				}
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	counts := sb.Faults().Counts()
	if counts["GET /services/{id}"] != 3 || counts["GET /services/{id}/integrations/{integration_id}"] != 0 || sb.Faults().Total() != 3 {
		t.Fatalf("24 reads of 12 integrations on 3 services made %v, want 3 service reads", counts)
	}
}

func TestAWriteOnAServiceIsSeenByTheNextRead(t *testing.T) {
	sb, plain := startSandbox(t)
	ints := servicesWithIntegrations(t, sb, plain, 2, 2)
	c := sharingClient(t, plain.APIURL())
	ctx := context.Background()
	read := func(i *Integration) (*Integration, error) { return c.GetIntegration(ctx, i.ServiceID, i.ID) }
	for _, i := range ints {
		if _, err := read(i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RenameIntegration(ctx, ints[0].ServiceID, ints[0].ID, "renamed"); err != nil {
		t.Fatal(err)
	}
	if got, err := read(ints[0]); err != nil || got.Name != "renamed" {
		t.Fatalf("after a rename: %+v, %v", got, err)
	}
	if err := c.DeleteIntegration(ctx, ints[1].ServiceID, ints[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := read(ints[1]); !IsNotFound(err) {
		t.Fatalf("after a delete: %v, want not found", err)
	}
	made, err := c.CreateEventsV2Integration(ctx, ints[0].ServiceID, "new")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := read(made); err != nil || got.IntegrationKey != made.IntegrationKey {
		t.Fatalf("after a create: %+v, %v", got, err)
	}
	// The other service was not written: it is still answered from its read.
	sb.Faults().ResetCounts()
	if _, err := read(ints[2]); err != nil || sb.Faults().Total() != 0 {
		t.Fatalf("untouched service: %v, %v calls", err, sb.Faults().Counts())
	}
	// Unknown integrations and services are PagerDuty's 404.
	if _, err := c.GetIntegration(ctx, ints[2].ServiceID, "PNOSUCH"); !IsNotFound(err) {
		t.Fatalf("unknown integration: %v", err)
	}
	if _, err := c.GetIntegration(ctx, "PNOSUCH", ints[2].ID); !IsNotFound(err) {
		t.Fatalf("unknown service: %v", err)
	}
}

// A read that was under way when a write ended is handed to whoever waited
// for it, but the next reader asks PagerDuty again.
func TestAReadUnderWayDuringAWriteIsNotKept(t *testing.T) {
	sb, plain := startSandbox(t)
	ints := servicesWithIntegrations(t, sb, plain, 1, 1)
	c := sharingClient(t, plain.APIURL())
	ctx := context.Background()
	sb.Faults().Set(fault.Faults{RoutePrefix: "GET /services/{id}", Latency: 300 * time.Millisecond})
	slow := make(chan error, 1)
	go func() {
		_, err := c.GetIntegration(ctx, ints[0].ServiceID, ints[0].ID)
		slow <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the slow read start (the outcome is the same if it has not)
	if _, err := c.RenameIntegration(ctx, ints[0].ServiceID, ints[0].ID, "renamed"); err != nil {
		t.Fatal(err)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetIntegration(ctx, ints[0].ServiceID, ints[0].ID); err != nil || got.Name != "renamed" {
		t.Fatalf("read after the rename: %+v, %v", got, err)
	}
}

func TestASharedReadOutlivesTheCallerThatStartedIt(t *testing.T) {
	sb, plain := startSandbox(t)
	ints := servicesWithIntegrations(t, sb, plain, 1, 1)
	c := sharingClient(t, plain.APIURL())
	sb.Faults().Set(fault.Faults{RoutePrefix: "GET /services/{id}", Latency: 300 * time.Millisecond})
	sb.Faults().ResetCounts()
	impatient, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	patient := make(chan error, 1)
	go func() {
		time.Sleep(10 * time.Millisecond)
		_, err := c.GetIntegration(context.Background(), ints[0].ServiceID, ints[0].ID)
		patient <- err
	}()
	if _, err := c.GetIntegration(impatient, ints[0].ServiceID, ints[0].ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("caller whose deadline passed: %v", err)
	}
	if err := <-patient; err != nil {
		t.Fatalf("caller still waiting: %v (failed with the other caller's deadline)", err)
	}
	if n := sb.Faults().Count("GET /services/{id}"); n != 1 {
		t.Fatalf("%d service reads, want 1 shared", n)
	}
}

func TestClientsOfOneTokenShareItsBudget(t *testing.T) {
	sb := pdsandbox.New(pdsandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	client := func(token string) *Client {
		// 45 a minute: a burst of 2, then one request every 1.3s.
		c, err := New(Config{Token: token, APIURL: srv.URL, EventsURL: srv.URL, Retry: fastRetry, RequestsPerMinute: 45})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b, other := client("budget-token"), client("budget-token"), client("another-token")
	for range 2 { // the burst
		if _, err := a.GetService(context.Background(), "PNOSUCH"); !IsNotFound(err) {
			t.Fatal(err)
		}
	}
	sb.Faults().ResetCounts()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := b.GetService(ctx, "PSVC1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second client of the token, budget spent: %v, want its deadline", err)
	}
	if n := sb.Faults().Total(); n != 0 {
		t.Fatalf("the spent budget let %d requests through", n)
	}
	if _, err := other.GetService(context.Background(), "PNOSUCH"); !IsNotFound(err) {
		t.Fatalf("client of another token: %v, want PagerDuty's answer", err)
	}
}
