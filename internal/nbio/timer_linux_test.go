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
	reset(tm, 20*time.Millisecond)
	select {
	case <-tm.C():
		if d := time.Since(start); d < 20*time.Millisecond {
			t.Fatalf("expired after %v, armed for 20ms", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tick")
	}
	reset(tm, 0) // at once
	awaitTick(t, tm, "Reset(0)")
}

// awaitTick fails t unless tm ticks within a generous bound.
func awaitTick(t *testing.T, tm *Timer, what string) {
	t.Helper()
	select {
	case <-tm.C():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no tick", what)
	}
}

func TestTimerStopAndReset(t *testing.T) {
	tm, err := NewTimer()
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	reset(tm, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // expired, its tick waiting
	tm.Stop()
	// Re-armed far away: neither the old expiry nor the new one ticks.
	reset(tm, time.Hour)
	select {
	case <-tm.C():
		t.Fatal("a stopped timer's tick was delivered after Stop and Reset")
	case <-time.After(100 * time.Millisecond):
	}
	reset(tm, 10*time.Millisecond) // re-armed nearer: the new time counts
	awaitTick(t, tm, "re-armed nearer")
}

func TestTimerCloseEndsGoroutine(t *testing.T) {
	tm, err := NewTimer()
	if err != nil {
		t.Fatal(err)
	}
	reset(tm, time.Hour)
	tm.Close() // waits for the goroutine
	tm.Close()
	reset(tm, time.Millisecond) // after Close: nothing, no panic
	tm.Stop()
}

// reset arms tm to expire d from now.
func reset(tm *Timer, d time.Duration) {
	now := time.Now()
	tm.Reset(now.Add(d), now)
}

// TestTimerSameDeadline: re-arming for the deadline it has keeps a tick
// already due (the loop woke for something else just as it expired);
// arming for another deadline drops it.
func TestTimerSameDeadline(t *testing.T) {
	tm, err := NewTimer()
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	now := time.Now()
	at := now.Add(5 * time.Millisecond)
	tm.Reset(at, now)
	time.Sleep(50 * time.Millisecond) // expired, its tick waiting
	tm.Reset(at, now)                 // the loop's reading was taken before the deadline
	select {
	case <-tm.C():
	default:
		t.Fatal("re-arming for the same deadline dropped its due tick")
	}
	now = time.Now()
	tm.Reset(now.Add(time.Millisecond), now)
	time.Sleep(50 * time.Millisecond)
	now = time.Now()
	tm.Reset(now.Add(time.Hour), now) // another deadline: the waiting tick goes
	select {
	case <-tm.C():
		t.Fatal("a tick of the old deadline was delivered after re-arming")
	case <-time.After(100 * time.Millisecond):
	}
}
