package pagerduty

import (
	"context"
	"fmt"
)

const (
	pageSize = 100 // PagerDuty's maximum `limit`
	// maxOffset is PagerDuty's ceiling: offset+limit beyond 10,000 is a 400.
	maxOffset = 10000
)

// paginate calls page with successive offsets while it reports more results,
// up to PagerDuty's classic-pagination ceiling, and stops on cancellation.
func paginate(ctx context.Context, page func(offset, limit uint) (more bool, err error)) error {
	for offset := uint(0); ; offset += pageSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		if offset+pageSize > maxOffset {
			return fmt.Errorf("more than %d results: PagerDuty's offset pagination stops there; narrow the query", maxOffset)
		}
		more, err := page(offset, pageSize)
		if err != nil || !more {
			return err
		}
	}
}
