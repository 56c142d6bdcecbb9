package clock

import (
	"sync"
	"testing"
	"time"
)

func TestFakeMovesOnlyWhenAdvanced(t *testing.T) {
	t0 := time.Date(2024, 1, 15, 14, 30, 0, 250e6, time.UTC)
	c := NewFake(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now() = %v, want %v", got, t0)
	}
	time.Sleep(time.Millisecond)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("the fake clock moved by itself to %v", got)
	}
	c.Advance(90 * time.Second)
	if got, want := c.Now(), t0.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Advance: %v, want %v", got, want)
	}
}

func TestFakeIsSafeForConcurrentUse(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	if got := c.Now().Unix(); got != 800 {
		t.Fatalf("after 800 one-second advances: %d s", got)
	}
}

func TestSystemIsTheMachineClock(t *testing.T) {
	before := time.Now()
	got := System.Now()
	if got.Before(before) || got.After(time.Now()) {
		t.Fatalf("System.Now() = %v, not between the machine's readings", got)
	}
}

func TestShiftedRunsWithTheMachineAndJumpsWhenAdvanced(t *testing.T) {
	var c Shifted
	before := time.Now()
	if got := c.Now(); got.Before(before) || got.After(time.Now()) {
		t.Fatalf("an unshifted clock reads %v, not the machine's time", got)
	}
	c.Advance(time.Hour)
	c.Advance(30 * time.Minute)
	lo := time.Now().Add(90 * time.Minute)
	got := c.Now()
	if hi := time.Now().Add(90 * time.Minute); got.Before(lo) || got.After(hi) {
		t.Fatalf("after advancing 1h30m: %v, want between %v and %v", got, lo, hi)
	}
	a := c.Now()
	time.Sleep(2 * time.Millisecond)
	if b := c.Now(); !b.After(a) {
		t.Fatalf("a shifted clock stood still: %v then %v", a, b)
	}
}
