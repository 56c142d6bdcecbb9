package pagerduty

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	gopd "github.com/PagerDuty/go-pagerduty"
	"golang.org/x/sync/singleflight"
)

// serviceReads shares reads of service integrations: the first read of any
// integration of a service fetches all of them with one call (GET
// /services/{id}?include[]=integrations), concurrent readers of the same
// service wait for that call instead of making their own, and later readers
// are answered from it. A write on a service forgets what was read of it,
// so a read after a write is always fresh.
//
// Terraform refreshes up to ten resources at once in one provider process,
// so a plan over N connectors on S services costs S calls instead of N.
type serviceReads struct {
	group singleflight.Group

	mu   sync.Mutex
	done map[string]serviceIntegrations
	// gen counts the writes on each service: a read that started before
	// the last write is handed to the callers already waiting for it, but
	// neither kept nor joined by later callers.
	gen map[string]uint64
}

// serviceIntegrations is one read of a service: its integrations in
// PagerDuty's order, or the error it answered (a 404 is worth keeping: the
// service is gone).
type serviceIntegrations struct {
	list []Integration
	err  error
}

func newServiceReads() *serviceReads {
	return &serviceReads{done: map[string]serviceIntegrations{}, gen: map[string]uint64{}}
}

// forget drops what was read of a service; writers call it once their write
// is over (whatever its outcome: a failed write may still have happened).
func (r *serviceReads) forget(serviceID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen[serviceID]++
	delete(r.done, serviceID)
}

// integration returns one integration of a service from a shared read.
func (r *serviceReads) integration(ctx context.Context, c *Client, serviceID, integrationID string) (*Integration, error) {
	s, err := r.service(ctx, c, serviceID)
	if err != nil {
		return nil, err
	}
	for _, i := range s.list {
		if i.ID == integrationID {
			return &i, nil
		}
	}
	// What GET /services/{id}/integrations/{integration_id} answers.
	return nil, fmt.Errorf("reading integration %s of service %s: %w", integrationID, serviceID, &Error{Status: 404, Code: 2100, Message: "Not Found"})
}

func (r *serviceReads) service(ctx context.Context, c *Client, serviceID string) (serviceIntegrations, error) {
	r.mu.Lock()
	s, ok := r.done[serviceID]
	gen := r.gen[serviceID]
	r.mu.Unlock()
	if ok {
		return s, s.err
	}
	// The shared call must not fail for everyone when the caller that
	// happened to start it gives up, so it runs without that caller's
	// cancellation (its own timeout and retries still bound it); each
	// caller stops waiting when its own context ends.
	shared := context.WithoutCancel(ctx)
	ch := r.group.DoChan(serviceID+"@"+strconv.FormatUint(gen, 10), func() (any, error) {
		s := fetchServiceIntegrations(shared, c, serviceID)
		if s.err == nil || IsNotFound(s.err) {
			r.mu.Lock()
			if r.gen[serviceID] == gen {
				r.done[serviceID] = s
			}
			r.mu.Unlock()
		}
		return s, nil
	})
	select {
	case <-ctx.Done():
		return serviceIntegrations{}, fmt.Errorf("reading the integrations of service %s: %w", serviceID, ctx.Err())
	case res := <-ch:
		s, _ := res.Val.(serviceIntegrations) // the only type the call returns
		return s, s.err
	}
}

func fetchServiceIntegrations(ctx context.Context, c *Client, serviceID string) serviceIntegrations {
	svc, err := c.api.GetServiceWithContext(ctx, url.PathEscape(serviceID), &gopd.GetServiceOptions{Includes: []string{"integrations"}})
	if err != nil {
		return serviceIntegrations{err: wrap(ctx, fmt.Sprintf("reading the integrations of service %s", serviceID), err)}
	}
	list := make([]Integration, 0, len(svc.Integrations))
	for _, i := range svc.Integrations {
		list = append(list, integrationFrom(serviceID, i))
	}
	return serviceIntegrations{list: list}
}

// serviceIntegrations returns every integration of a service, from a
// shared read with Config.ShareReads.
func (c *Client) serviceIntegrations(ctx context.Context, serviceID string) ([]Integration, error) {
	if c.reads != nil {
		s, err := c.reads.service(ctx, c, serviceID)
		return s.list, err
	}
	s := fetchServiceIntegrations(ctx, c, serviceID)
	return s.list, s.err
}
