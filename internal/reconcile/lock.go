package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/pagerduty"
)

// Two passes over one source at once (two CI jobs) would both send the
// same triggers (harmless: PagerDuty de-duplicates them) and both copy the
// same lines and notes (not harmless: neither console can take a line
// back). So a pass holds a lock, and the lock needs an operation that
// PagerDuty makes atomic: creating a service, whose name must be unique
// ("Name has already been taken"). The lock is a service named for the
// source, created when a pass starts and deleted when it ends; its
// description says until when it holds, so a pass that died holding it
// does not block the others for longer than RunTimeout.

// LockName is the name of the service that is a source's lock.
func LockName(sourceName string) string { return "pdbridge sync lock: " + sourceName }

const lockUntil = "Held until "

// ErrLocked is another pass holding the source's lock.
var ErrLocked = errors.New("another sync pass holds the lock")

// LockedError says who holds the lock and until when.
type LockedError struct {
	Name  string
	Until time.Time // zero when the holder's description is unreadable
}

func (e *LockedError) Error() string {
	if e.Until.IsZero() {
		return fmt.Sprintf("another sync pass holds the lock (PagerDuty service %q); delete it if no pass is running", e.Name)
	}
	return fmt.Sprintf("another sync pass holds the lock (PagerDuty service %q) until %s", e.Name, stamp(e.Until))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a held lock.
type Lock struct {
	pd        PagerDuty
	serviceID string
}

// Acquire takes the source's lock until now+ttl, or says who holds it. A
// lock whose time is past (a pass that died) is broken: deleted by its id,
// so a newer holder's lock is never the one deleted, and taken again.
func Acquire(ctx context.Context, pd PagerDuty, sourceName, escalationPolicyID string, now time.Time, ttl time.Duration) (*Lock, error) {
	name := LockName(sourceName)
	until := now.Add(ttl).UTC()
	desc := lockUntil + until.Format(time.RFC3339) + ". pdbridge creates this service while a sync pass of source " +
		sourceName + " runs and deletes it when the pass ends; it takes no events. Delete it if no pass is running."
	for attempt := 0; attempt < 2; attempt++ {
		svc, err := pd.CreateService(ctx, name, desc, escalationPolicyID)
		if err == nil {
			return &Lock{pd: pd, serviceID: svc.ID}, nil
		}
		if !nameTaken(err) {
			return nil, fmt.Errorf("taking the sync lock (creating PagerDuty service %q): %w", name, err)
		}
		held, ferr := pd.FindServiceByName(ctx, name)
		if ferr != nil {
			if pagerduty.IsNotFound(ferr) {
				continue // released in between: try again
			}
			return nil, fmt.Errorf("reading the sync lock: %w", ferr)
		}
		heldUntil := lockTime(held.Description)
		if heldUntil.IsZero() || now.Before(heldUntil) {
			return nil, &LockedError{Name: name, Until: heldUntil}
		}
		if derr := pd.DeleteService(ctx, held.ID); derr != nil && !pagerduty.IsNotFound(derr) {
			return nil, fmt.Errorf("breaking the expired sync lock %s: %w", held.ID, derr)
		}
	}
	return nil, &LockedError{Name: name}
}

// Release gives the lock back.
func (l *Lock) Release(ctx context.Context) error {
	if err := l.pd.DeleteService(ctx, l.serviceID); err != nil && !pagerduty.IsNotFound(err) {
		return fmt.Errorf("releasing the sync lock (deleting PagerDuty service %s): %w", l.serviceID, err)
	}
	return nil
}

func nameTaken(err error) bool {
	var e *pagerduty.Error
	if !errors.As(err, &e) || e.Status != 400 {
		return false
	}
	for _, m := range e.Errors {
		if strings.Contains(strings.ToLower(m), "already been taken") {
			return true
		}
	}
	return false
}

func lockTime(description string) time.Time {
	rest, ok := strings.CutPrefix(description, lockUntil)
	if !ok {
		return time.Time{}
	}
	stampText, _, _ := strings.Cut(rest, ". ")
	t, err := time.Parse(time.RFC3339, stampText)
	if err != nil {
		return time.Time{}
	}
	return t
}
