package pagerduty

import (
	"net/http"
	"strconv"
)

// Classic offset pagination (PagerDuty docs, Pagination): limit defaults to
// 25 and is capped at 100, offset+limit may not exceed 10,000, and the
// response echoes limit and offset and says exactly whether there is more.
const (
	defaultLimit    = 25
	maxLimit        = 100
	maxOffsetWindow = 10000
)

type page struct {
	limit, offset int
	total         bool // the client asked for total=true
}

func parsePage(c *reqCtx) (page, *apiError) {
	q := c.r.URL.Query()
	p := page{limit: defaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errInvalid("Limit must be a non-negative integer")
		}
		if n > 0 {
			// PagerDuty caps limit silently and echoes the limit it used, which
			// clients then add to offset to get the next page.
			p.limit = min(n, maxLimit)
		}
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errInvalid("Offset must be a non-negative integer")
		}
		p.offset = n
	}
	if p.offset+p.limit > maxOffsetWindow {
		return p, &apiError{Status: http.StatusBadRequest, Code: codeInvalidInput, Message: "Invalid Input Provided",
			Errors: []string{"Offset + limit must not exceed 10000; use filters such as since/until to narrow the results"}}
	}
	t, e := queryBool(c, "total")
	if e != nil {
		return p, e
	}
	p.total = t
	return p, nil
}

// bounds returns the slice [lo, hi) of n items that this page covers.
func (p page) bounds(n int) (lo, hi int) {
	lo = min(p.offset, n)
	hi = min(p.offset+p.limit, n)
	return lo, hi
}

// list renders a page of items under key with the pagination fields; total
// is null unless the client asked for it, as in PagerDuty.
func (p page) list(key string, items []any, n int) map[string]any {
	var total any
	if p.total {
		total = n
	}
	return map[string]any{
		key: items, "limit": p.limit, "offset": p.offset, "more": p.offset+p.limit < n, "total": total,
	}
}
