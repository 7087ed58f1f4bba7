package session

import (
	"runtime"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
	"github.com/ssh-mosh/ssh-mosh/roam"
)

// OneProc makes the Go runtime run goroutines on one thread at a time
// (GOMAXPROCS 1), for a process whose work is one session loop. The loop
// and the goroutines that feed it (socket, terminal, pty readers) then hand
// over on the same thread: a keystroke or a datagram wakes one thread, not
// a second one to run the loop and a third that spins looking for work, and
// an idle session has no idle processors to wake. Setting it also stops the
// runtime's once-a-second re-reading of the cgroup's CPU limit. Only the
// binaries call it: it is a process-wide setting.
func OneProc() { runtime.GOMAXPROCS(1) }

// clock is a loop's time: its reading and its wake-up timer.
type clock struct {
	now      func() time.Time
	newTimer func() (roam.Timer, error) // nil: a time.Timer
}

// osClock is the binaries' clock: the wake-up timer waits in the poller
// where the system has such a timer (nbio.Timer), so an idle session's
// heartbeats wake one thread, not also the runtime's monitor. Tests use
// clock{now: time.Now}: a fake clock drives only runtime timers.
func osClock() clock {
	return clock{now: time.Now, newTimer: func() (roam.Timer, error) {
		t, err := nbio.NewTimer()
		if err != nil {
			return nil, err
		}
		return t, nil
	}}
}
