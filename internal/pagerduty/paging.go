package pagerduty

import (
	"context"
	"errors"
	"fmt"
)

const (
	pageSize = 100 // PagerDuty's maximum `limit`
	// maxOffset is PagerDuty's ceiling: offset+limit beyond 10,000 is a 400.
	maxOffset = 10000
)

// errTooManyResults is a listing that reached PagerDuty's offset ceiling.
type errTooManyResults struct{}

func (errTooManyResults) Error() string {
	return fmt.Sprintf("more than %d results: PagerDuty's offset pagination stops there; narrow the query", maxOffset)
}

func asTooMany(err error, target **errTooManyResults) bool {
	var e errTooManyResults
	if errors.As(err, &e) {
		*target = &e
		return true
	}
	return false
}

// paginate calls page with successive offsets while it reports more results,
// up to PagerDuty's classic-pagination ceiling, and stops on cancellation.
func paginate(ctx context.Context, page func(offset, limit uint) (more bool, err error)) error {
	for offset := uint(0); ; offset += pageSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		if offset+pageSize > maxOffset {
			return errTooManyResults{}
		}
		more, err := page(offset, pageSize)
		if err != nil || !more {
			return err
		}
	}
}
