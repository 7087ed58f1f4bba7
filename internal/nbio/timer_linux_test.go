package nbio

import (
	"testing"
	"time"
)

// These run on the real clock (a timerfd knows no fake one): the bounds
// are generous so that a loaded machine cannot fail them, and each case
// checks an order of events rather than a duration.

func TestTimerExpires(t *testing.T) {
	tm, err := NewTimer()
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	start := time.Now()
	tm.Reset(20 * time.Millisecond)
	select {
	case <-tm.C():
		if d := time.Since(start); d < 20*time.Millisecond {
			t.Fatalf("expired after %v, armed for 20ms", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tick")
	}
	tm.Reset(0) // at once
	select {
	case <-tm.C():
	case <-time.After(10 * time.Second):
		t.Fatal("Reset(0) did not tick")
	}
}

func TestTimerStopAndReset(t *testing.T) {
	tm, err := NewTimer()
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	tm.Reset(time.Millisecond)
	time.Sleep(50 * time.Millisecond) // expired, its tick waiting
	tm.Stop()
	// Re-armed far away: neither the old expiry nor the new one ticks.
	tm.Reset(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("a stopped timer's tick was delivered after Stop and Reset")
	case <-time.After(100 * time.Millisecond):
	}
	tm.Reset(10 * time.Millisecond) // re-armed nearer: the new time counts
	select {
	case <-tm.C():
	case <-time.After(10 * time.Second):
		t.Fatal("no tick after re-arming nearer")
	}
}

func TestTimerCloseEndsGoroutine(t *testing.T) {
	tm, err := NewTimer()
	if err != nil {
		t.Fatal(err)
	}
	tm.Reset(time.Hour)
	tm.Close() // waits for the goroutine
	tm.Close()
	tm.Reset(time.Millisecond) // after Close: nothing, no panic
	tm.Stop()
}
