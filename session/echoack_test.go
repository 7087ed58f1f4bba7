package session

import (
	"testing"
	"time"
)

func TestEchoTracker(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var e echoTracker
	if e.update(t0) || e.ack != 0 || !e.next().IsZero() {
		t.Fatalf("fresh tracker: ack %d next %v", e.ack, e.next())
	}
	e.register(3, t0)
	e.register(5, t0.Add(20*time.Millisecond))
	if e.update(t0.Add(50 * time.Millisecond)) {
		t.Errorf("acked state 3 at exactly 50 ms; mosh needs strictly more")
	}
	if got, want := e.next(), t0.Add(51*time.Millisecond); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got, want)
	}
	if !e.update(t0.Add(51*time.Millisecond)) || e.ack != 3 {
		t.Errorf("after 51 ms ack = %d, want 3", e.ack)
	}
	if got, want := e.next(), t0.Add(71*time.Millisecond); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got, want)
	}
	if e.update(t0.Add(60 * time.Millisecond)) {
		t.Errorf("ack changed before state 5 was 50 ms old")
	}
	if !e.update(t0.Add(71*time.Millisecond)) || e.ack != 5 {
		t.Errorf("ack = %d, want 5", e.ack)
	}
	if !e.next().IsZero() {
		t.Errorf("nothing pending, next = %v", e.next())
	}
	// Monotone even if a lower number is registered late.
	e.register(4, t0.Add(100*time.Millisecond))
	if e.update(t0.Add(200*time.Millisecond)) || e.ack != 5 {
		t.Errorf("ack went from 5 to %d", e.ack)
	}
}
