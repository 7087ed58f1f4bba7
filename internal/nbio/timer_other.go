//go:build !linux

package nbio

import (
	"errors"
	"time"
)

// Timer is a timer in the poller, which only Linux has (timerfd): kqueue's
// timers are not reachable through Go's poller. NewTimer fails here, and
// the caller uses a time.Timer.
type Timer struct{}

// NewTimer fails: see Timer.
func NewTimer() (*Timer, error) { return nil, errors.New("no timer in the poller on this system") }

// C, Reset, Stop and Close are never called on a Timer of this system.
func (t *Timer) C() <-chan time.Time        { return nil }
func (t *Timer) Reset(time.Time, time.Time) {}
func (t *Timer) Stop()                      {}
func (t *Timer) Close()                     {}
