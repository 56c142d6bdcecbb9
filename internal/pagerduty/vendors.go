package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	gopd "github.com/PagerDuty/go-pagerduty"
	"golang.org/x/sync/singleflight"
)

// Vendor is a kind of tool PagerDuty has integrations for (Zenoss,
// Prometheus, Elastic Alerts, ...). An integration made for a vendor names
// it, and PagerDuty keeps that for the integration's life.
type Vendor struct {
	ID   string
	Name string
}

// ErrNoSuchVendor is returned for a vendor name PagerDuty does not list.
var ErrNoSuchVendor = errors.New("PagerDuty lists no such vendor")

// vendorCatalogue is PagerDuty's vendor list, read once per client when a
// vendor is first looked up: it is PagerDuty's own and changes rarely, and
// reading it takes a call per hundred vendors.
type vendorCatalogue struct {
	group singleflight.Group
	mu    sync.Mutex
	list  []Vendor // nil until read
}

// VendorNamed returns the vendor whose name is name, ignoring case.
func (c *Client) VendorNamed(ctx context.Context, name string) (*Vendor, error) {
	list, err := c.vendorList(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range list {
		if strings.EqualFold(v.Name, name) {
			return &v, nil
		}
	}
	return nil, fmt.Errorf("vendor %q: %w", name, ErrNoSuchVendor)
}

func (c *Client) vendorList(ctx context.Context) ([]Vendor, error) {
	cat := &c.vendors
	cat.mu.Lock()
	list := cat.list
	cat.mu.Unlock()
	if list != nil {
		return list, nil
	}
	// Shared by concurrent callers, and not ended by the one that started
	// it; each caller stops waiting when its own context ends.
	shared := context.WithoutCancel(ctx)
	ch := cat.group.DoChan("vendors", func() (any, error) {
		list, err := c.listVendors(shared)
		if err == nil {
			cat.mu.Lock()
			cat.list = list
			cat.mu.Unlock()
		}
		return list, err
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("listing PagerDuty's vendors: %w", ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		list, _ := res.Val.([]Vendor) // the only type the call returns
		return list, nil
	}
}

func (c *Client) listVendors(ctx context.Context) ([]Vendor, error) {
	list := []Vendor{}
	err := paginate(ctx, func(offset, limit uint) (bool, error) {
		resp, err := c.api.ListVendorsWithContext(ctx, gopd.ListVendorOptions{Limit: limit, Offset: offset})
		if err != nil {
			return false, err
		}
		for _, v := range resp.Vendors {
			list = append(list, Vendor{ID: v.ID, Name: v.Name})
		}
		return resp.More, nil
	})
	if err != nil {
		return nil, wrap(ctx, "listing PagerDuty's vendors", err)
	}
	return list, nil
}
